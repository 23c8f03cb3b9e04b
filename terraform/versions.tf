# Terraform and provider versions. Pin the minor range so a provider release
# with breaking changes is an explicit upgrade; .terraform.lock.hcl (commit
# it after `terraform init`) pins the exact build.
terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.30"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # State holds the generated database password and JWT secret: keep it in a
  # private, versioned bucket rather than on a laptop.
  # backend "gcs" {
  #   bucket = "my-gcp-project-terraform-state"
  #   prefix = "template-feed"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
