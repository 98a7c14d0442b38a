# Upgrade one PostgreSQL database (e.g. 13 -> 17) by dump and restore into a new, empty server.
# `terraform plan` shows the chosen strategy, why the others were rejected, the version path and the
# expected downtime; `terraform apply` takes a backup, freezes writes on the old server for the
# copy, copies schema, data, sequences and large objects, verifies row counts and checksums, and
# records the new server in active_url. The old server stays read-only afterwards.
#
#   terraform init
#   terraform apply \
#     -var 'source_url=postgresql://postgres@old-db:5432/app' -var 'source_password=...' \
#     -var 'target_url=postgresql://postgres@new-db:5432/app' -var 'target_password=...'
#
# (or set TF_VAR_source_url etc.). Use `tofu` the same way. Destroying forgets the upgrade only.

terraform {
  required_providers {
    database = {
      source  = "terraform.local/dbupgrade/database"
      version = "0.1.0"
    }
  }
}

provider "database" {
  parallelism = 4
}

variable "source_url" {
  description = "URL of the running (old) server and its database, without password."
  type        = string
}

variable "source_password" {
  description = "Password of the user in source_url."
  type        = string
  sensitive   = true
}

variable "target_url" {
  description = "URL of the new, empty server of the target version (the database is created when missing)."
  type        = string
}

variable "target_password" {
  description = "Password of the user in target_url."
  type        = string
  sensitive   = true
}

resource "database_upgrade" "app" {
  engine         = "postgresql"
  target_version = "17"
  strategy       = "dump_restore"
  max_downtime   = "30m"

  source {
    url      = var.source_url
    password = var.source_password
  }

  target {
    url      = var.target_url
    password = var.target_password
  }

  backup {
    enabled = true
  }

  verify {
    row_counts = true
    checksums  = true
  }

  timeouts {
    create = "2h"
    update = "2h"
  }
}

output "active_url" {
  description = "Where applications must connect now."
  value       = database_upgrade.app.active_url
}

output "decision" {
  value = database_upgrade.app.decision
}

output "backup_path" {
  value = database_upgrade.app.backup_path
}
