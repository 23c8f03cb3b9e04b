variable "project_id" {
  type        = string
  description = "Google Cloud project that holds every resource (the k8s prod overlay's GOOGLE_CLOUD_PROJECT)."
}

variable "region" {
  type        = string
  description = "Region of the GKE cluster, Cloud SQL instance and Artifact Registry repository."
  default     = "europe-west1"
}

variable "cluster_name" {
  type        = string
  description = "Name of the GKE cluster (Cloud Build's _CLUSTER substitution)."
  default     = "template-feed"
}

variable "network_name" {
  type        = string
  description = "Name of the VPC network Terraform creates for the cluster."
  default     = "template-feed"
}

variable "subnetwork_cidr" {
  type        = string
  description = "Primary IPv4 range of the cluster's subnetwork: one address per node."
  default     = "10.10.0.0/20"

  validation {
    condition     = can(cidrhost(var.subnetwork_cidr, 0))
    error_message = "subnetwork_cidr must be an IPv4 CIDR range such as 10.10.0.0/20."
  }
}

variable "pods_cidr" {
  type        = string
  description = "Secondary range for pod IPs (VPC-native); GKE gives each node a /24 of it, so a /16 holds 256 nodes."
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be an IPv4 CIDR range such as 10.20.0.0/16."
  }
}

variable "services_cidr" {
  type        = string
  description = "Secondary range for Service cluster IPs (VPC-native)."
  default     = "10.30.0.0/20"

  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be an IPv4 CIDR range such as 10.30.0.0/20."
  }
}

variable "node_machine_type" {
  type        = string
  description = "Machine type of the cluster's node pool. An e2-standard-2 has 1930m CPU allocatable; less GKE's DaemonSets (~300m) it holds two production pods (550m each: the app's 500m and the Cloud SQL proxy's 50m). Changing it replaces the node pool. Size node_max_count_per_zone with it (test/deploy checks the two against the prod overlay)."
  default     = "e2-standard-2"
}

variable "node_min_count_per_zone" {
  type        = number
  description = "Fewest nodes the node pool keeps in each of the region's zones."
  default     = 1
}

variable "node_max_count_per_zone" {
  type        = number
  description = "Most nodes the node pool autoscaler may add in each zone. Production's busiest moment is 46 pods (HPA maxReplicas 30, a rollout's surge of 8, the previous 8 still draining); at two pods per e2-standard-2 that is 23 nodes, and 10 in each of 3 zones (30) leaves room for a node being repaired, an uneven zone spread and kube-system. Needs 60 vCPUs (62 while a node upgrade surges) of the region's CPUS and E2_CPUS quota."
  default     = 10
}

variable "deployer_users" {
  type        = list(string)
  description = "Principals (\"user:ana@example.com\", \"group:deployers@example.com\") who may run Cloud Build as the deployer service account, through a trigger they create or `gcloud builds submit --service-account`: roles/iam.serviceAccountUser on that account only. Project Owners need no entry."
  default     = []
}

variable "pubsub_topic" {
  type        = string
  description = "The shared topic every pod publishes template events to and subscribes to (the app's PUBSUB_TOPIC)."
  default     = "template-events"
}

variable "k8s_namespace" {
  type        = string
  description = "Kubernetes namespace production runs in (k8s/base/namespace.yaml); the dev overlay's template-feed-dev needs no Workload Identity binding."
  default     = "template-feed"
}

variable "k8s_service_account" {
  type        = string
  description = "Kubernetes service account of the pods (k8s/base/serviceaccount.yaml), bound to the Google service account by Workload Identity."
  default     = "template-feed"
}

variable "gsa_account_id" {
  type        = string
  description = "Account id of the pods' Google service account (the part before @ in the KSA's iam.gke.io/gcp-service-account annotation)."
  default     = "template-feed"
}

variable "artifact_registry_repository" {
  type        = string
  description = "Artifact Registry Docker repository for the template-feed image (Cloud Build's _REPOSITORY substitution)."
  default     = "template-feed"
}

variable "database_instance_name" {
  type        = string
  description = "Name of the Cloud SQL for PostgreSQL instance (part of the Cloud SQL Auth Proxy's instance connection name)."
  default     = "template-feed"
}

variable "database_tier" {
  type        = string
  description = "Cloud SQL machine tier."
  default     = "db-custom-1-3840"
}

variable "database_max_connections" {
  type        = number
  description = "PostgreSQL max_connections (a Cloud SQL database flag; changing it restarts the instance). Must hold every pod's pool at peak plus a reserve: DATABASE_POOL_SIZE x (HPA maxReplicas + 2 x rollout surge) + 13, which test/deploy checks against the prod overlay. Cloud SQL's default for the default 3.75 GB tier is 100, too few; each connection costs memory, so for much more than this move to a larger tier."
  default     = 200

  validation {
    condition     = var.database_max_connections >= 50 && var.database_max_connections <= 1000
    error_message = "database_max_connections must be from 50 to 1000."
  }
}

variable "database_availability_type" {
  type        = string
  description = "ZONAL, or REGIONAL for a standby in a second zone with automatic failover."
  default     = "REGIONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.database_availability_type)
    error_message = "database_availability_type must be ZONAL or REGIONAL."
  }
}

variable "database_name" {
  type        = string
  description = "PostgreSQL database template-feed uses."
  default     = "template_feed"
}

variable "database_user" {
  type        = string
  description = "PostgreSQL user template-feed connects as; its password is generated and kept in Secret Manager."
  default     = "template_feed"
}

variable "ingress_static_ip_name" {
  type        = string
  description = "Name of the global static IP the Ingress uses (its kubernetes.io/ingress.global-static-ip-name annotation)."
  default     = "template-feed-ip"
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to destroy the cluster and the database instance; set false only to tear an environment down."
  default     = true
}
