# Upgrade a PostgreSQL cluster in place with pg_upgrade (e.g. 13 -> 15), on the database host
# itself: Terraform must run on the machine holding the data directories (as root or as the
# postgres user). Apply takes a backup, runs pg_upgrade --check, stops the old server, runs
# pg_upgrade --link, starts the new server on the same port with the old configuration, and
# rebuilds planner statistics. Applications keep their URL. There is no way back except the
# backup once the new server has started (link mode).
#
#   terraform init
#   terraform apply -var 'url=postgresql://postgres@127.0.0.1:5432/postgres' -var 'password=...'

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
  description = "URL of the running server, without password."
  type        = string
}

variable "password" {
  type      = string
  sensitive = true
}

resource "database_upgrade" "cluster" {
  engine         = "postgresql"
  target_version = "15"
  strategy       = "in_place"

  source {
    url      = var.url
    password = var.password
    data_dir = "/var/lib/postgresql/13/main"
    bin_dir  = "/usr/lib/postgresql/13/bin"
    # Debian/Ubuntu clusters managed by systemd:
    # stop_command  = ["systemctl", "stop", "postgresql@13-main"]
    # start_command = ["systemctl", "start", "postgresql@13-main"]
  }

  target {
    data_dir     = "/var/lib/postgresql/15/main"
    bin_dir      = "/usr/lib/postgresql/15/bin"
    upgrade_mode = "link"
    # start_command = ["systemctl", "start", "postgresql@15-main"]
  }

  backup {
    enabled = true
    dir     = "/var/backups/postgresql"
  }
}

output "version" {
  value = database_upgrade.cluster.current_version
}
