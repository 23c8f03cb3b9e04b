output "cluster_name" {
  description = "GKE cluster name (Cloud Build's _CLUSTER)."
  value       = google_container_cluster.primary.name
}

output "region" {
  description = "Region of the cluster and the repository (Cloud Build's _REGION)."
  value       = var.region
}

output "get_credentials_command" {
  description = "Points kubectl and skaffold at the cluster."
  value       = "gcloud container clusters get-credentials ${google_container_cluster.primary.name} --region ${var.region} --project ${var.project_id}"
}

output "app_service_account_email" {
  description = "The pods' Google service account: the KSA's iam.gke.io/gcp-service-account annotation."
  value       = google_service_account.app.email
}

output "deployer_service_account_email" {
  description = "The Cloud Build deployer's email."
  value       = google_service_account.deployer.email
}

output "deployer_service_account" {
  description = "The Cloud Build deployer, projects/<project>/serviceAccounts/<email>: --service-account of `gcloud builds submit` and of the trigger."
  value       = google_service_account.deployer.name
}

output "build_source_staging_dir" {
  description = "--gcs-source-staging-dir of `gcloud builds submit`: the bucket the deployer may read the source from."
  value       = "gs://${google_storage_bucket.build_source.name}/source"
}

output "pubsub_topic" {
  description = "The shared topic: the app's PUBSUB_TOPIC."
  value       = google_pubsub_topic.template_events.name
}

output "cloudsql_instance_connection_name" {
  description = "The Cloud SQL Auth Proxy's instance argument (project:region:instance)."
  value       = google_sql_database_instance.main.connection_name
}

output "database_url_secret" {
  description = "Secret Manager secret holding the app's DATABASE_URL."
  value       = google_secret_manager_secret.database_url.secret_id
}

output "auth_jwt_secret_secret" {
  description = "Secret Manager secret holding the app's AUTH_JWT_SECRET."
  value       = google_secret_manager_secret.auth_jwt_secret.secret_id
}

output "skaffold_default_repo" {
  description = "Artifact Registry path for `skaffold run -p prod --default-repo=...`."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "ingress_ip_address" {
  description = "The Ingress' static IP: point the host's DNS A record at it."
  value       = google_compute_global_address.ingress.address
}
