# The pods' Google service account and exactly what template-feed does with
# Pub/Sub and Cloud SQL.
#
# Pub/Sub, per pod: publish to the shared topic; at start-up create its own
# subscription on that topic (pubsub.subscriptions.create on the project and
# pubsub.topics.attachSubscription on the topic); pull and ack from it
# (pubsub.subscriptions.consume); on SIGTERM delete it
# (pubsub.subscriptions.delete). roles/pubsub.editor would grant all that,
# but also deleting the topic and every other subscription and topic in the
# project, so two narrow custom roles are used instead.
#
# The pods act as this account through Workload Identity; no key is made.
resource "google_service_account" "app" {
  account_id   = var.gsa_account_id
  display_name = "template-feed pods (Workload Identity)"

  depends_on = [google_project_service.enabled]
}

# What a pod does with its own subscription, granted on the project below.
resource "google_project_iam_custom_role" "subscription_manager" {
  role_id     = "templateFeedSubscriptionManager"
  title       = "template-feed subscription manager"
  description = "Create, read, pull from and delete the per-pod subscriptions template-feed manages at run time."
  permissions = [
    "pubsub.subscriptions.consume",
    "pubsub.subscriptions.create",
    "pubsub.subscriptions.delete",
    "pubsub.subscriptions.get",
  ]

  depends_on = [google_project_service.enabled]
}

# Attaching subscriptions, granted on the one topic only.
resource "google_project_iam_custom_role" "topic_subscriber" {
  role_id     = "templateFeedTopicSubscriber"
  title       = "template-feed topic subscriber"
  description = "Look up a topic and attach subscriptions to it; granted on the template-events topic only."
  permissions = [
    "pubsub.topics.attachSubscription",
    "pubsub.topics.get",
  ]

  depends_on = [google_project_service.enabled]
}

# Known shortcoming: project-wide. The subscriptions do not exist until a
# pod creates them, so the grant cannot sit on them, and it cannot be
# narrowed to the `<topic>-` name prefix either: Pub/Sub does not recognise
# the resource attributes of IAM Conditions (IAM's "Resource attributes for
# IAM Conditions" lists pubsublite.googleapis.com, not pubsub). So a pod may
# pull from, or delete, any subscription in the project, other applications'
# included. The remedy is a project of template-feed's own, holding no
# other Pub/Sub subscriptions (docs/deploy.md).
resource "google_project_iam_member" "app_subscription_manager" {
  project = var.project_id
  role    = google_project_iam_custom_role.subscription_manager.id
  member  = "serviceAccount:${google_service_account.app.email}"
}

# addTemplate and the outbox relay publish template events.
resource "google_pubsub_topic_iam_member" "app_publisher" {
  topic  = google_pubsub_topic.template_events.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.app.email}"
}

# Each pod attaches its new subscription to the topic.
resource "google_pubsub_topic_iam_member" "app_topic_subscriber" {
  topic  = google_pubsub_topic.template_events.id
  role   = google_project_iam_custom_role.topic_subscriber.id
  member = "serviceAccount:${google_service_account.app.email}"
}

# The Cloud SQL Auth Proxy sidecar connects as the pod's identity.
resource "google_project_iam_member" "app_cloudsql_client" {
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${google_service_account.app.email}"
}

# Cloud Build's deployer: pushes the image and applies manifests. Run every
# build as it, from a trigger or `gcloud builds submit` (--service-account,
# docs/deploy.md): the project's default build account may be the Compute
# Engine default one, which new projects leave without roles (or disabled).
resource "google_service_account" "deployer" {
  account_id   = "${var.cluster_name}-deployer"
  display_name = "template-feed Cloud Build deployer"

  depends_on = [google_project_service.enabled]
}

# Apply manifests to the cluster (get-credentials, then kubectl through
# Skaffold) and write the build's logs: a build with a service account of
# its own must log to Cloud Logging (cloudbuild.yaml sets
# CLOUD_LOGGING_ONLY). Pushing is granted on the repository only
# (artifact_registry.tf), reading the staged source on its bucket only
# (cloud_build.tf).
resource "google_project_iam_member" "deployer" {
  for_each = toset([
    "roles/container.developer",
    "roles/logging.logWriter",
  ])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.deployer.email}"
}

# Who may start builds as the deployer (creating the trigger, or
# `gcloud builds submit --service-account`): actAs on this account only,
# never roles/iam.serviceAccountUser on the project, which would let them act
# as the pods' and the nodes' accounts too.
resource "google_service_account_iam_member" "deployer_users" {
  for_each = toset(var.deployer_users)

  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value
}
