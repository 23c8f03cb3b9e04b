# The Ingress' global address, reserved so DNS and the managed certificate
# survive re-creating the Ingress.
resource "google_compute_global_address" "ingress" {
  name = var.ingress_static_ip_name

  depends_on = [google_project_service.enabled]
}
