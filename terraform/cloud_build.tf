# Where `gcloud builds submit` uploads the source it builds
# (--gcs-source-staging-dir). A bucket of template-feed's own, rather than
# the gs://<project>_cloudbuild gcloud would create, so the deployer can be
# allowed to read just this one. Source archives are only needed while their
# build runs: a week later they are deleted, and destroy may empty it.
resource "google_storage_bucket" "build_source" {
  name                        = "${var.project_id}-${var.cluster_name}-build-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  lifecycle_rule {
    condition {
      age = 7
    }
    action {
      type = "Delete"
    }
  }

  labels = {
    app = "template-feed"
  }

  depends_on = [google_project_service.enabled]
}

# Cloud Build fetches a submitted build's source as the build's own service
# account, so the deployer must read the archives; nothing else in Storage.
resource "google_storage_bucket_iam_member" "deployer_source_reader" {
  bucket = google_storage_bucket.build_source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.deployer.email}"
}
