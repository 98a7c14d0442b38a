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

# Runs a command as the unprivileged PostgreSQL account when we are root (PostgreSQL refuses root).
as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid="$TPD_PG_USER" --regid="$TPD_PG_USER" --clear-groups --reset-env -- env PATH="$PATH" HOME=/tmp "$@"
  else
    "$@"
  fi
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local p
  for p in $(shuf -i 20000-29999 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# start_pg MAJOR DIR PORT PASSWORD [extra postgresql.conf lines...]
# Initialises and starts an embedded PostgreSQL server of MAJOR in DIR (created, owned by the
# unprivileged account), listening on 127.0.0.1:PORT with password authentication for "postgres".
start_pg() {
  local major="$1" dir="$2" port="$3" password="$4"; shift 4
  local bin="$TPD_CACHE/pg/$major/bin"
  [ -x "$bin/postgres" ] || { echo "no embedded PostgreSQL $major in $bin (run scripts/setup)" >&2; return 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown "$TPD_PG_USER" "$dir"; fi
  local pwfile="$dir/.pw"
  printf '%s\n' "$password" > "$pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown "$TPD_PG_USER" "$pwfile"; fi
  chmod 600 "$pwfile"
  as_pg_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" -A scram-sha-256 -E UTF8 >/dev/null
  rm -f "$pwfile"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$dir'"
    for line in "$@"; do echo "$line"; done
  } >> "$dir/data/postgresql.conf"
  as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

# stop_pg MAJOR DIR
stop_pg() {
  local major="$1" dir="$2"
  [ -d "$dir/data" ] || return 0
  as_pg_user "$TPD_CACHE/pg/$major/bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
