# Upgrade a PostgreSQL database to version 17; the provider picks the strategy (dump_restore,
# replication or in_place) that fits max_downtime and explains its choice in `decision`.
resource "database_upgrade" "example" {
  engine         = "postgresql"
  target_version = "17"
  strategy       = "auto"
  max_downtime   = "5m"

  source {
    url      = "postgresql://postgres@old-db.example.com:5432/app?sslmode=require"
    password = var.old_db_password
  }

  target {
    url      = "postgresql://postgres@new-db.example.com:5432/app?sslmode=require"
    password = var.new_db_password
  }
}
