# A regional GKE Standard cluster (nodes in three zones) with Workload
# Identity, so pods act as a Google service account without key files.
resource "google_container_cluster" "primary" {
  name     = var.cluster_name
  location = var.region

  # The default pool cannot be configured the way we want; replace it with
  # google_container_node_pool.primary below.
  remove_default_node_pool = true
  initial_node_count       = 1

  # GKE still creates that default pool, with a node per zone, before
  # Terraform removes it. Without a service account here its nodes would
  # run as the Compute Engine default account, and cluster creation fails
  # where that account is disabled or deleted (or lacks the node role).
  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
  }

  # In template-feed's own network (network.tf), not the project's
  # `default` one, which a fresh or hardened project may not have.
  network    = google_compute_network.main.id
  subnetwork = google_compute_subnetwork.nodes.id

  # VPC-native: pods and Services get addresses from the subnetwork's
  # secondary ranges, which container-native load balancing (the Service's
  # NEG) needs.
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = google_compute_subnetwork.nodes.secondary_ip_range[0].range_name
    services_secondary_range_name = google_compute_subnetwork.nodes.secondary_ip_range[1].range_name
  }

  release_channel {
    channel = "REGULAR"
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  addons_config {
    # The GCE Ingress controller (k8s/base/ingress.yaml).
    http_load_balancing {
      disabled = false
    }
  }

  # Managed Service for Prometheus: collects /metrics for dashboards and for
  # scaling on open connections (k8s/base/horizontalpodautoscaler.yaml).
  monitoring_config {
    managed_prometheus {
      enabled = true
    }
  }

  deletion_protection = var.deletion_protection

  # node_config only shapes the temporary default pool at creation; once it
  # is gone the API reports the first remaining pool's configuration
  # instead, and changing its service account forces a new cluster.
  # Ignored after creation, so neither that drift nor adding the block to a
  # cluster created without it replaces the cluster.
  lifecycle {
    ignore_changes = [node_config]
  }

  # The temporary pool's nodes already log and report metrics as the nodes'
  # account, so it holds its role first.
  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.nodes,
  ]
}

# Nodes run as their own service account with only what nodes need (logs,
# metrics, pulling images), not the Compute Engine default account, which
# has Editor on the project.
resource "google_service_account" "nodes" {
  account_id   = "${var.cluster_name}-nodes"
  display_name = "GKE nodes of ${var.cluster_name}"

  depends_on = [google_project_service.enabled]
}

# Logs, metrics and autoscaler reports: the role GKE documents for node
# service accounts.
resource "google_project_iam_member" "nodes" {
  project = var.project_id
  role    = "roles/container.defaultNodeServiceAccount"
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

# The nodes template-feed runs on, autoscaled per zone and kept patched.
resource "google_container_node_pool" "primary" {
  name     = "primary"
  cluster  = google_container_cluster.primary.id
  location = var.region

  # Per zone, in each of the region's zones. The maximum must hold
  # production's busiest moment: the autoscaler's 30 pods, a rollout's
  # surge and the pods still draining (variables.tf; test/deploy checks it).
  autoscaling {
    min_node_count = var.node_min_count_per_zone
    max_node_count = var.node_max_count_per_zone
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  # Surge one node at a time; the PodDisruptionBudget lets one template-feed
  # pod go at a time, so clients reconnect in small waves.
  upgrade_settings {
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.node_machine_type
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

    # Pods see the GKE metadata server, which hands out the Workload
    # Identity of their Kubernetes service account, never the node's.
    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    labels = {
      app = "template-feed"
    }
  }
}
