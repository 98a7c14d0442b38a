# Read a PostgreSQL server's version, size and upgrade readiness with the database_instance data
# source. Nothing on the server changes.
#
#   terraform init
#   terraform apply -var 'url=postgresql://postgres@127.0.0.1:5432/postgres' -var 'password=...'
#
# (or set TF_VAR_url / TF_VAR_password). Use `tofu` the same way.

terraform {
  required_providers {
    database = {
      source  = "terraform.local/dbupgrade/database"
      version = "0.1.0"
    }
  }
}

provider "database" {}

variable "url" {
  description = "Connection URL of the server, without the password, e.g. postgresql://postgres@db.example.com:5432/postgres"
  type        = string
}

variable "password" {
  description = "Password of the user in url (leave null to use ~/.pgpass or PGPASSWORD)."
  type        = string
  sensitive   = true
  default     = null
}

data "database_instance" "this" {
  engine   = "postgresql"
  url      = var.url
  password = var.password
}

output "version" {
  description = "Full server version, e.g. 13.23."
  value       = data.database_instance.this.version
}

output "major_version" {
  value = data.database_instance.this.major_version
}

output "size_bytes" {
  description = "Size of all databases the user can connect to."
  value       = data.database_instance.this.size_bytes
}

output "wal_level" {
  value = data.database_instance.this.wal_level
}

output "extensions" {
  description = "Installed extensions: name => version."
  value       = data.database_instance.this.extensions
}

output "tables_without_primary_key" {
  value = data.database_instance.this.tables_without_primary_key
}

output "replication_ready" {
  value = data.database_instance.this.replication_ready
}

output "replication_blockers" {
  description = "What to change before logical replication can start (empty when ready)."
  value       = data.database_instance.this.replication_blockers
}

output "in_place_ready" {
  value = data.database_instance.this.in_place_ready
}

output "in_place_blockers" {
  value = data.database_instance.this.in_place_blockers
}
