# Workload Identity: the Kubernetes service account
# <k8s_namespace>/<k8s_service_account> may act as the app's Google service
# account. The workload pool exists once the cluster does.
resource "google_service_account_iam_member" "app_workload_identity" {
  service_account_id = google_service_account.app.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[${var.k8s_namespace}/${var.k8s_service_account}]"

  depends_on = [google_container_cluster.primary]
}
