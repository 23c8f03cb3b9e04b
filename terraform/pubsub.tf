# The one shared topic. Subscriptions are not declared here: each pod
# creates its own at start-up (<topic>-<pod name>, with an expiration
# policy) and deletes it on SIGTERM, so they come and go with the pods.
#
# No message retention on the topic: nothing seeks. A pod that was cut off
# reads what it missed from the store's event log when it reattaches
# (docs/pubsub.md, catch-up), not from Pub/Sub, and retained messages
# would only be billed storage.
resource "google_pubsub_topic" "template_events" {
  name = var.pubsub_topic

  labels = {
    app = "template-feed"
  }

  depends_on = [google_project_service.enabled]
}
