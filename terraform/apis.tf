# The Google APIs the resources below and the running service need. On a
# fresh project none is on but Service Usage (which enabling the others
# needs), so every other resource depends, directly or through a resource it
# references, on google_project_service.enabled: without that Terraform
# creates them in parallel with the enabling and the first apply fails.
locals {
  services = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    # Project IAM bindings (google_project_iam_member) go through it.
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    # Service accounts and custom roles.
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    # Where the nodes send logs, and Managed Service for Prometheus the
    # scraped metrics.
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
    "sqladmin.googleapis.com",
    # The bucket `gcloud builds submit` stages its source in.
    "storage.googleapis.com",
  ])
}

# Left enabled on destroy: other workloads in the project may rely on them.
# Enabling can take a minute to reach every Google service; should a first
# apply still fail with "API has not been used in project", apply again.
resource "google_project_service" "enabled" {
  for_each = local.services

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
