# Upgrade PostgreSQL with logical replication: the new server is filled while the old one keeps
# serving, then a short cutover freezes writes on the old server, waits until the new one has every
# change, copies sequence values, verifies row counts and switches active_url. The write freeze is
# recorded as measured_downtime_seconds. The source needs wal_level = logical (the plan says so
# when it is not) and every table a primary key or REPLICA IDENTITY FULL.
#
#   terraform init
#   terraform apply \
#     -var 'source_url=postgresql://postgres@old-db:5432/app' -var 'source_password=...' \
#     -var 'target_url=postgresql://postgres@new-db:5432/app' -var 'target_password=...'

terraform {
  required_providers {
    database = {
      source  = "terraform.local/dbupgrade/database"
      version = "0.1.0"
    }
  }
}

provider "database" {}

variable "source_url" {
  description = "URL of the running (old) server and its database, without password."
  type        = string
}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "target_url" {
  description = "URL of the new server of the target version, without password."
  type        = string
}

variable "target_password" {
  type      = string
  sensitive = true
}

resource "database_upgrade" "app" {
  engine         = "postgresql"
  target_version = "17"
  # "auto" would choose replication too when the source is ready for it; forcing it makes the plan
  # fail with the reason when it is not.
  strategy     = "replication"
  max_downtime = "60s"

  source {
    url      = var.source_url
    password = var.source_password
  }

  target {
    url      = var.target_url
    password = var.target_password
  }

  cutover {
    block_writes       = true
    terminate_sessions = true
  }

  timeouts {
    create = "6h"
  }
}

output "active_url" {
  value = database_upgrade.app.active_url
}

output "write_freeze_seconds" {
  value = database_upgrade.app.measured_downtime_seconds
}
