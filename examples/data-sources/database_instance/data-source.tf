# Probe a server before planning an upgrade: version, size, and whether logical replication or an
# in-place upgrade can run against it (with the reasons when not). Reading changes nothing.
data "database_instance" "old" {
  engine   = "postgresql"
  url      = "postgresql://postgres@old-db.example.com:5432/app?sslmode=require"
  password = var.old_db_password
}

output "old_version" {
  value = data.database_instance.old.version
}

output "replication_blockers" {
  # Empty when a database_replica can start from this server.
  value = data.database_instance.old.replication_blockers
}

output "tables_without_primary_key" {
  # These get REPLICA IDENTITY FULL when replicated.
  value = data.database_instance.old.tables_without_primary_key
}
