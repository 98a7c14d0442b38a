#!/usr/bin/env bash
# Benchmark: downtime of our in_place upgrade (pg_upgrade --link) of a pgbench database (scale 60,
# ~0.9 GB) from Debian's PostgreSQL 13 to Debian's PostgreSQL 15; median of RUNS runs.
#
#   bench/in_place/run.sh [--driver PATH] [--runs N] [--scale S] [--mode link|clone|copy]
#
# Each run: a fresh 13 cluster (initdb as the unprivileged user, fsync on, max_wal_size 4GB,
# shared_buffers 256MB) loaded with pgbench -i -s S and checkpointed, then tpd-bench-in-place (our
# whole in_place pipeline: precheck, init_new, carry_config, pg_upgrade_check, stop_old,
# pg_upgrade, start_new, analyze, switch; no backup). Downtime = start of stop_old until the new
# server accepts connections on the old port (RunSummary::downtime_seconds). The new server is
# checked (version 15, S*100000 accounts) and removed after each run.
# Baseline "manual" (interleaved with ours, each on its own freshly loaded cluster): the runbook
# by hand: initdb 15 and the config lines (untimed), then timed: pg_ctl stop -m fast, pg_upgrade
# --link -j 2 (with its default fsync of the new cluster), pg_ctl start -w, first successful
# connection. Disable with --no-manual.
# Needs ~1 GB per run free in $BENCH_DIR (default /tmp/tpd-bench-ip). Not part of ctest.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DRIVER=${DRIVER:-$ROOT/build/bench/in_place/tpd-bench-in-place}
RUNS=3
SCALE=60
MODE=link
MANUAL=1
while [ $# -gt 0 ]; do
  case "$1" in
    --driver) DRIVER=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --no-manual) MANUAL=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
BENCH_DIR=${BENCH_DIR:-/tmp/tpd-bench-ip}
OUT=${OUT:-$BENCH_DIR}
OLD=/usr/lib/postgresql/13/bin
NEW=/usr/lib/postgresql/15/bin
PORT=${PORT:-54931}
PGUSER_OS=${TPD_PG_USER:-tpdpg}

[ -x "$DRIVER" ] || { echo "driver not found: $DRIVER (build target tpd-bench-in-place, -DTPD_BENCH=ON)" >&2; exit 1; }
[ -x "$OLD/pg_upgrade" ] && [ -x "$NEW/pg_upgrade" ] || { echo "needs Debian postgresql-13 and postgresql-15" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }

rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"; chmod 755 "$BENCH_DIR"
[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$BENCH_DIR"

cleanup() {
  for d in "$BENCH_DIR"/*/old "$BENCH_DIR"/*/old-pg15; do
    [ -f "$d/postmaster.pid" ] || continue
    bin=$OLD; [[ "$d" == *-pg15 ]] && bin=$NEW
    as_pg "$bin/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

URL="postgres://postgres@127.0.0.1:$PORT/bench"
psql_at() { "$NEW/psql" -X -At "host=127.0.0.1 port=$PORT user=postgres dbname=bench" -c "$1"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

conf_lines() {  # run dir
  cat <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$1'
max_wal_size = '4GB'
shared_buffers = '256MB'
CONF
}
load_old() {  # run dir
  local run=$1
  as_pg mkdir -p "$run"
  as_pg "$OLD/initdb" -D "$run/old" -U postgres -E UTF8 --no-locale --auth=trust >/dev/null
  conf_lines "$run" >>"$run/old/postgresql.conf"
  as_pg "$OLD/pg_ctl" -D "$run/old" -l "$run/old.log" -w start >/dev/null
  "$NEW/createdb" -h 127.0.0.1 -p "$PORT" -U postgres bench
  "$NEW/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$PORT" -U postgres bench 2>&1 | tail -1
  SIZE=$(psql_at "SELECT pg_size_pretty(pg_database_size('bench'))")
  psql_at "CHECKPOINT" >/dev/null
}
check_new() {
  [ "$(psql_at 'SHOW server_version_num' | cut -c1-2)" = 15 ] || { echo "not upgraded" >&2; exit 1; }
  local n; n=$(psql_at "SELECT count(*) FROM pgbench_accounts")
  [ "$n" = "$((SCALE * 100000))" ] || { echo "new server has $n accounts, want $((SCALE * 100000))" >&2; exit 1; }
}
now() { date +%s.%N; }
run_manual() {  # run dir; prints the downtime
  local run=$1
  as_pg "$NEW/initdb" -D "$run/old-pg15" -U postgres -E UTF8 --no-locale --auth=trust >/dev/null 2>&1
  conf_lines "$run" | as_pg tee -a "$run/old-pg15/postgresql.conf" >/dev/null
  local t0; t0=$(now)
  as_pg "$OLD/pg_ctl" -D "$run/old" -m fast -w stop >/dev/null
  (cd "$run" && as_pg "$NEW/pg_upgrade" -b "$OLD" -B "$NEW" -d "$run/old" -D "$run/old-pg15" -U postgres -j 2 \
     -p $((PORT + 1)) -P $((PORT + 2)) -s "$run" --link >"$run/pg_upgrade.out")
  as_pg "$NEW/pg_ctl" -D "$run/old-pg15" -l "$run/new.log" -w start >/dev/null
  until psql_at "SELECT 1" >/dev/null 2>&1; do sleep 0.05; done
  echo "$(now) - $t0" | bc
}

DOWN=""; TOTAL=""; UPG=""; MAN=""
for i in $(seq 1 "$RUNS"); do
  run=$BENCH_DIR/run$i
  echo "run $i: loading pgbench -i -s $SCALE into PostgreSQL 13 ..."
  load_old "$run"
  line=$("$DRIVER" --source "$URL" --old-data "$run/old" --old-bin "$OLD" --new-bin "$NEW" --mode "$MODE" \
           --parallelism 2 --work-dir "$run/work" 2>"$run/driver.log") || { cat "$run/driver.log" >&2; exit 1; }
  echo "run $i: $line (database $SIZE)"
  check_new
  DOWN="$DOWN $(sed -E 's/.*downtime_s=([0-9.e+-]+).*/\1/' <<<"$line")"
  TOTAL="$TOTAL $(sed -E 's/.*total_s=([0-9.e+-]+).*/\1/' <<<"$line")"
  UPG="$UPG $(sed -E 's/.*pg_upgrade_s=([0-9.e+-]+).*/\1/' <<<"$line")"
  as_pg "$NEW/pg_ctl" -D "$run/old-pg15" -m fast -w stop >/dev/null
  rm -rf "$run"
  if [ "$MANUAL" = 1 ]; then
    run=$BENCH_DIR/manual$i
    echo "run $i (manual): loading pgbench -i -s $SCALE into PostgreSQL 13 ..."
    load_old "$run"
    t=$(run_manual "$run")
    check_new
    echo "run $i (manual): downtime_s=$t"
    MAN="$MAN $t"
    as_pg "$NEW/pg_ctl" -D "$run/old-pg15" -m fast -w stop >/dev/null
    rm -rf "$run"
  fi
done

{
  echo "in_place ($MODE) pgbench scale $SCALE ($SIZE), PostgreSQL 13 -> 15, $RUNS runs, median seconds:"
  printf '  downtime    %6.2f   (runs:%s)\n' "$(echo "$DOWN" | median)" "$DOWN"
  printf '  pg_upgrade  %6.2f   (runs:%s)\n' "$(echo "$UPG" | median)" "$UPG"
  printf '  total       %6.2f   (runs:%s)\n' "$(echo "$TOTAL" | median)" "$TOTAL"
  if [ "$MANUAL" = 1 ]; then
    printf '  manual downtime (stop, pg_upgrade --link, start) %6.2f   (runs:%s)\n' "$(echo "$MAN" | median)" "$MAN"
  fi
} | tee "$OUT/results.txt"
