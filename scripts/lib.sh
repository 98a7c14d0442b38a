# Shared helpers for the project's scripts. Sourced, never run.
# Every script works from the repository root and installs what it needs itself, so that a fresh
# Debian 12 machine needs nothing but a clone.
set -euo pipefail

TPD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TPD_CACHE="${TPD_CACHE:-$TPD_ROOT/.cache}"
TPD_BUILD="${TPD_BUILD:-$TPD_ROOT/build}"
# The unprivileged account that owns and runs test and demo PostgreSQL servers (PostgreSQL refuses root).
TPD_PG_USER="${TPD_PG_USER:-tpdpg}"

# Embedded PostgreSQL server binaries (initdb, pg_ctl, postgres) from npm, one pinned version per major.
TPD_EMBEDDED_PG_VERSIONS=(13.23.0-beta.16 14.23.0-beta.17 16.14.0-beta.17 17.10.0-beta.17)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
