# Build a PostgreSQL 17 replica of a PostgreSQL 13 database, watch it, then cut over in a second,
# separately reviewed apply.
#
# Step 1: create the replica (schema copied, initial copy of every table, then streaming):
#
#   terraform init
#   terraform apply \
#     -var 'source_url=postgresql://postgres@old-db:5432/app' -var 'source_password=...' \
#     -var 'target_url=postgresql://postgres@new-db:5432/app' -var 'target_password=...'
#
#   terraform output            # status = "streaming"
#   terraform plan              # no changes: lag_bytes moving does not count as a change
#
#   Test your application against the target (read-only!) while the source keeps serving.
#
# Step 2: the cutover. Same command with promote = true:
#
#   terraform apply -var promote=true ...
#
#   The plan shows status -> "promoted". Applying freezes writes on the source (clients get
#   "read-only transaction" errors for the seconds it takes), waits until the target has every
#   change, copies sequence values, verifies row counts, and removes the subscription, publication
#   and replication slot. measured_downtime_seconds records how long writes were frozen. Point
#   applications at the target afterwards; the source stays read-only.
#
# A replica found "broken" (subscription dropped or disabled, slot or publication missing) is
# replaced by the next apply: what is left is dropped and the initial copy runs again. promote
# cannot go back to false. `terraform destroy` before promotion removes the subscription on the
# target and the publication and slot on the source (also when the target server is gone), so
# nothing keeps WAL on the source.

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
  description = "URL of the running (old) server and its database, without password. Needs wal_level = logical."
  type        = string
}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "target_url" {
  description = "URL of the new server and an empty database on it, without password."
  type        = string
}

variable "target_password" {
  type      = string
  sensitive = true
}

variable "promote" {
  description = "false: build and keep streaming. true: cut over to the target (one-way)."
  type        = bool
  default     = false
}

# What the source looks like before anything is created (tables without a primary key are also
# reported as a warning by the replica's plan).
data "database_instance" "source" {
  engine   = "postgresql"
  url      = var.source_url
  password = var.source_password
}

resource "database_replica" "new" {
  engine = "postgresql"

  source {
    url      = var.source_url
    password = var.source_password
  }

  target {
    url      = var.target_url
    password = var.target_password
  }

  promote = var.promote

  timeouts {
    create = "2h"
    update = "15m"
  }
}

output "source_version" {
  value = database_replica.new.source_version
}

output "target_version" {
  value = database_replica.new.target_version
}

output "status" {
  value = database_replica.new.status
}

# lag_bytes is deliberately not an output: every refresh reads a new value, so an output of it would
# make every plan report "Changes to Outputs". Watch it with
#   terraform apply -refresh-only -auto-approve && terraform state show database_replica.new

output "promoted_at" {
  value = database_replica.new.promoted_at
}

output "measured_downtime_seconds" {
  description = "How long writes were frozen on the source during the cutover."
  value       = database_replica.new.measured_downtime_seconds
}

output "tables_without_primary_key" {
  value = data.database_instance.source.tables_without_primary_key
}
