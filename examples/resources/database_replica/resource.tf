# Replicate a PostgreSQL 13 database into a new PostgreSQL 17 server with logical replication.
# The source needs wal_level = logical. Apply with promote = false to build and watch the replica
# (status; lag_bytes is in the state). Set promote = true in a later, reviewed apply to cut over:
# writes on the source are frozen, the target catches up, sequences are copied, row counts
# verified, and the subscription, publication and slot are removed. The source stays read-only
# afterwards.
resource "database_replica" "example" {
  engine = "postgresql"

  source {
    url      = "postgresql://postgres@old-db.example.com:5432/app?sslmode=require"
    password = var.old_db_password
  }

  target {
    url      = "postgresql://postgres@new-db.example.com:5432/app?sslmode=require"
    password = var.new_db_password
  }

  # Optional: only these tables (default: all tables of the source database).
  # tables = ["public.orders", "public.customers"]

  promote = false

  timeouts {
    create = "2h" # initial copy
    update = "10m" # catching up before the write freeze
  }
}

output "replica_status" {
  value = database_replica.example.status # copying | streaming | promoted | broken
}
