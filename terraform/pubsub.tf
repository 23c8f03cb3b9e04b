# The one shared topic. Subscriptions are not declared here: each pod
# creates its own at start-up (<topic>-<pod name>, with an expiration
# policy) and deletes it on SIGTERM, so they come and go with the pods.
resource "google_pubsub_topic" "template_events" {
  name                       = var.pubsub_topic
  message_retention_duration = var.pubsub_message_retention

  labels = {
    app = "template-feed"
  }

  depends_on = [google_project_service.enabled]
}
