# template-feed's own VPC network rather than the project's `default` one:
# a fresh project created under an organisation policy may have none, and
# a network of our own keeps the cluster's address ranges ours to choose.
# Subnetworks are declared explicitly (no auto mode). It starts with no
# firewall rules: GKE adds the ones its nodes and control plane need, and the
# Ingress controller the one for the load balancer's health checks.
resource "google_compute_network" "main" {
  name                    = var.network_name
  auto_create_subnetworks = false

  depends_on = [google_project_service.enabled]
}

# The nodes' primary range, with secondary ranges for pods and Services
# (a VPC-native cluster). Private Google Access lets nodes reach Google APIs
# without leaving Google's network.
resource "google_compute_subnetwork" "nodes" {
  name                     = "${var.cluster_name}-nodes"
  region                   = var.region
  network                  = google_compute_network.main.id
  ip_cidr_range            = var.subnetwork_cidr
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.pods_cidr
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.services_cidr
  }
}
