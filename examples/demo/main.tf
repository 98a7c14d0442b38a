# The demo (scripts/demo): upgrade a PostgreSQL 13 server to 17. The provider probes both servers,
# chooses the strategy that fits max_downtime (the plan shows why, one `decision` line per strategy),
# takes a backup, moves the data, verifies it and reports the server applications should use now.
#
#   terraform init
#   terraform plan  -var 'source_url=postgresql://postgres@127.0.0.1:5432/app' -var 'target_url=...' ...
#   terraform apply -auto-approve ...
#   terraform plan -detailed-exitcode ...   # exit 0: nothing left to do
#
# (scripts/demo sets TF_VAR_source_url, TF_VAR_source_password, TF_VAR_target_url,
# TF_VAR_target_password, TF_VAR_backup_dir and TF_VAR_work_dir.)

terraform {
  required_providers {
    database = {
      source  = "terraform.local/dbupgrade/database"
      version = "0.1.0"
    }
  }
}

variable "work_dir" {
  description = "The provider's directory for plans, dumps and run journals (null: its per-user default)."
  type        = string
  default     = null
}

provider "database" {
  work_dir = var.work_dir
}

variable "source_url" {
  description = "URL of the running PostgreSQL 13 server and its database, without password."
  type        = string
}

variable "source_password" {
  type      = string
  sensitive = true
}

variable "target_url" {
  description = "URL of the new, empty PostgreSQL 17 server and the database to fill, without password."
  type        = string
}

variable "target_password" {
  type      = string
  sensitive = true
}

variable "backup_dir" {
  description = "Absolute directory for the backup taken before the upgrade."
  type        = string
}

# What the instance looks like before the upgrade (the planner probes it again itself).
data "database_instance" "source" {
  engine   = "postgresql"
  url      = var.source_url
  password = var.source_password
}

resource "database_upgrade" "demo" {
  engine         = "postgresql"
  target_version = "17"
  strategy       = "auto"
  max_downtime   = "5m"

  source {
    url      = var.source_url
    password = var.source_password
  }

  target {
    url      = var.target_url
    password = var.target_password
  }

  backup {
    dir = var.backup_dir
  }
}

output "source_version" {
  value = data.database_instance.source.version
}

output "source_replication_blockers" {
  value = data.database_instance.source.replication_blockers
}

output "planned_strategy" {
  value = database_upgrade.demo.planned_strategy
}

output "upgrade_path" {
  value = database_upgrade.demo.upgrade_path
}

output "estimated_downtime_seconds" {
  value = database_upgrade.demo.estimated_downtime_seconds
}

output "decision" {
  value = database_upgrade.demo.decision
}

output "active_url" {
  value = database_upgrade.demo.active_url
}

output "measured_downtime_seconds" {
  value = database_upgrade.demo.measured_downtime_seconds
}

output "verification" {
  value = database_upgrade.demo.verification
}

output "backup_path" {
  value = database_upgrade.demo.backup_path
}
