# The provider block with every option. All are optional: `provider "database" {}` uses the defaults.

terraform {
  required_providers {
    database = {
      source  = "terraform.local/dbupgrade/database"
      version = "0.1.0"
    }
  }
}

provider "database" {
  # Dumps, backups and run journals. Absolute path.
  # Default: $XDG_STATE_HOME/terraform-provider-database, else ~/.local/state/terraform-provider-database.
  work_dir = "/var/lib/terraform-database"

  # Parallel copy/restore workers, 1..64. Default: the number of CPUs.
  parallelism = 4

  # Absolute directories searched first for pg_dump, pg_restore, pg_upgrade ..., before PATH and
  # /usr/lib/postgresql/<major>/bin. Default: none.
  tool_paths = [
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/13/bin",
  ]
}
