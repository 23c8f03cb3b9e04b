# Cloud SQL for PostgreSQL 15: the store and the outbox of template events.
# Pods reach it through the Cloud SQL Auth Proxy sidecar (IAM-authorised,
# encrypted), so the public IP has no authorised networks and accepts only
# encrypted connections.
resource "google_sql_database_instance" "main" {
  name             = var.database_instance_name
  database_version = "POSTGRES_15"
  region           = var.region

  settings {
    tier              = var.database_tier
    availability_type = var.database_availability_type
    disk_autoresize   = true

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
    }

    insights_config {
      query_insights_enabled = true
    }

    # Set, not left to the tier's default (100 on 3.75 GB), which is fewer
    # than production's pods may hold at once; see the variable.
    database_flags {
      name  = "max_connections"
      value = tostring(var.database_max_connections)
    }
  }

  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.enabled]
}

# The database the app migrates and uses; it owns nothing else.
resource "google_sql_database" "template_feed" {
  name     = var.database_name
  instance = google_sql_database_instance.main.name
}

# Letters and digits only, so the password needs no escaping in a URL.
resource "random_password" "database" {
  length  = 32
  special = false
}

# The app's login, with the generated password above.
resource "google_sql_user" "template_feed" {
  name     = var.database_user
  instance = google_sql_database_instance.main.name
  password = random_password.database.result
}

# The app's DATABASE_URL, whole: the proxy listens on the pod's loopback.
resource "google_secret_manager_secret" "database_url" {
  secret_id = "template-feed-database-url"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# The current value; docs/deploy.md says how a new one reaches the pods.
resource "google_secret_manager_secret_version" "database_url" {
  secret      = google_secret_manager_secret.database_url.id
  secret_data = "postgres://${google_sql_user.template_feed.name}:${random_password.database.result}@127.0.0.1:5432/${google_sql_database.template_feed.name}"
}

# The HS256 secret for AUTH_JWT_SECRET (production refuses fewer than 32
# characters). Not needed when tokens are verified with AUTH_JWKS_URL.
resource "random_password" "auth_jwt_secret" {
  length  = 64
  special = false
}

# Kept beside DATABASE_URL, from where it is copied into the cluster.
resource "google_secret_manager_secret" "auth_jwt_secret" {
  secret_id = "template-feed-auth-jwt-secret"

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

# The current value of the HS256 secret.
resource "google_secret_manager_secret_version" "auth_jwt_secret" {
  secret      = google_secret_manager_secret.auth_jwt_secret.id
  secret_data = random_password.auth_jwt_secret.result
}
