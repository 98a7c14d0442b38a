#!/usr/bin/env bash
# Benchmark: copy a pgbench database (scale 60, ~0.9 GB) from embedded PostgreSQL 13 to embedded
# PostgreSQL 17, with our dump_restore and with the usual tools; medians of RUNS runs each.
#
#   bench/dump_restore/run.sh [--driver PATH] [--runs N] [--scale S] [--jobs J]
#
# Methods (each run starts from a dropped target database; runs are interleaved A B C D A B C D ...):
#   ours      tpd-bench-dump-restore --parallelism J --block-writes  (write freeze on the source,
#             schema, parallel streamed COPY, post-data with pg_restore -j J, sequences, row-count
#             verification; no backup)
#   ours_text the same with --text (COPY text format for every table; optional, see METHODS)
#   ours_nofreeze the same with --no-freeze (plain COPY instead of TRUNCATE + COPY FREEZE; optional)
#   ours_padded the same with --keep-char-padding (char(n) sent with its trailing blanks; optional)
#   dir       pg_dump -Fd -jJ -f DIR  then  pg_restore -jJ -d target DIR
#   pipe      pg_dump src | psql target
#   pgcopydb  pgcopydb clone --table-jobs J --index-jobs J --dir DIR   (as the unprivileged user)
# Servers: .cache/pg/{13,17}/bin, trust auth on 127.0.0.1, max_wal_size=4GB; client tools and pgbench
# from /usr/lib/postgresql/15/bin. Prints the medians and writes them to $OUT/results.txt.
# Not part of ctest. Needs ~4 GB free in $BENCH_DIR (default /tmp/tpd-bench-dr).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DRIVER=${DRIVER:-$ROOT/build/bench/dump_restore/tpd-bench-dump-restore}
RUNS=3
SCALE=60
JOBS=2
METHODS=${METHODS:-"ours dir pipe pgcopydb"}   # subset to run, e.g. METHODS=ours
OURS_ARGS=${OURS_ARGS:-}                      # extra driver arguments, e.g. "--text"
while [ $# -gt 0 ]; do
  case "$1" in
    --driver) DRIVER=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
BENCH_DIR=${BENCH_DIR:-/tmp/tpd-bench-dr}
OUT=${OUT:-$BENCH_DIR}
PG15=/usr/lib/postgresql/15/bin
P13=${P13:-54913}   # override both when two benchmarks run at once
P17=${P17:-54917}
PGUSER_OS=${TPD_PG_USER:-tpdpg}

[ -x "$DRIVER" ] || { echo "driver not found: $DRIVER (build target tpd-bench-dump-restore)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi; }

rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"
[ "$(id -u)" = 0 ] && chown "$PGUSER_OS" "$BENCH_DIR"

start_server() {  # major port
  local major=$1 port=$2 data=$BENCH_DIR/pg$1
  as_pg "$ROOT/.cache/pg/$major/bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale --auth=trust >/dev/null
  cat >>"$data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BENCH_DIR'
max_wal_size = '4GB'
shared_buffers = '256MB'
CONF
  as_pg "$ROOT/.cache/pg/$major/bin/pg_ctl" -D "$data" -l "$BENCH_DIR/pg$major.log" -w start >/dev/null
}
stop_servers() {
  for m in 13 17; do
    [ -d "$BENCH_DIR/pg$m" ] && as_pg "$ROOT/.cache/pg/$m/bin/pg_ctl" -D "$BENCH_DIR/pg$m" -m fast -w stop >/dev/null 2>&1 || true
  done
}
trap stop_servers EXIT

start_server 13 "$P13"
start_server 17 "$P17"
SRC="host=127.0.0.1 port=$P13 user=postgres dbname=bench"
TGT="host=127.0.0.1 port=$P17 user=postgres dbname=bench"
psql17() { "$PG15/psql" -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$P17 user=postgres dbname=postgres" "$@"; }

"$PG15/createdb" -h 127.0.0.1 -p "$P13" -U postgres bench
echo "loading pgbench -i -s $SCALE into PostgreSQL 13 ..."
"$PG15/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$P13" -U postgres bench 2>&1 | tail -1
SIZE=$("$PG15/psql" -X -At "$SRC" -c "SELECT pg_size_pretty(pg_database_size('bench'))")
echo "source database size: $SIZE"

reset_target() {  # create: 1 = create an empty database, 0 = leave it missing
  psql17 -c "DROP DATABASE IF EXISTS bench WITH (FORCE)"
  [ "$1" = 1 ] && psql17 -c "CREATE DATABASE bench" || true
  psql17 -c "CHECKPOINT"
}
check_target() {
  local n
  n=$("$PG15/psql" -X -At "$TGT" -c "SELECT count(*) FROM pgbench_accounts")
  [ "$n" = "$((SCALE * 100000))" ] || { echo "target has $n accounts, want $((SCALE * 100000))" >&2; exit 1; }
}
now() { date +%s.%N; }

# ours runs as database_upgrade does by default: writes on the source frozen for the whole copy
# (cutover.block_writes = true). The source stays read-only after a successful run (as after a real
# upgrade); it is made writable again after the timing so the next run finds it as before.
run_ours() {
  reset_target 0
  local t0 t; t0=$(now)
  "$DRIVER" --source "postgres://postgres@127.0.0.1:$P13/bench" --target "postgres://postgres@127.0.0.1:$P17/bench" \
    --parallelism "$JOBS" --block-writes $OURS_ARGS --work-dir "$BENCH_DIR/work" >"$BENCH_DIR/ours.last" 2>"$BENCH_DIR/ours.log"
  t=$(echo "$(now) - $t0" | bc)
  "$PG15/psql" -X -q "$SRC" -c "ALTER SYSTEM RESET default_transaction_read_only" -c "SELECT pg_reload_conf()" >/dev/null
  echo "$t"
}
run_ours_text() { OURS_ARGS="--text $OURS_ARGS" run_ours; }
run_ours_nofreeze() { OURS_ARGS="--no-freeze $OURS_ARGS" run_ours; }
run_ours_padded() { OURS_ARGS="--keep-char-padding $OURS_ARGS" run_ours; }
run_dir() {
  reset_target 1
  rm -rf "$BENCH_DIR/dumpdir"
  local t0; t0=$(now)
  "$PG15/pg_dump" -Fd -j "$JOBS" -f "$BENCH_DIR/dumpdir" -d "$SRC"
  "$PG15/pg_restore" -j "$JOBS" -d "$TGT" "$BENCH_DIR/dumpdir"
  echo "$(now) - $t0" | bc
}
run_pipe() {
  reset_target 1
  local t0; t0=$(now)
  "$PG15/pg_dump" -d "$SRC" | "$PG15/psql" -X -q -v ON_ERROR_STOP=1 -d "$TGT" >/dev/null
  echo "$(now) - $t0" | bc
}
run_pgcopydb() {
  reset_target 1
  local d=$BENCH_DIR/pgcopydb; rm -rf "$d"; as_pg mkdir -p "$d"
  local t0; t0=$(now)
  as_pg pgcopydb clone --source "postgres://postgres@127.0.0.1:$P13/bench" --target "postgres://postgres@127.0.0.1:$P17/bench" \
    --table-jobs "$JOBS" --index-jobs "$JOBS" --dir "$d" >"$BENCH_DIR/pgcopydb.log" 2>&1
  echo "$(now) - $t0" | bc
}

declare -A TIMES
for i in $(seq 1 "$RUNS"); do
  for m in $METHODS; do
    t=$("run_$m")
    check_target
    TIMES[$m]="${TIMES[$m]:-} $t"
    printf 'run %d %-9s %6.1f s\n' "$i" "$m" "$t"
    [ "$m" = ours ] && echo "    steps: $(cat "$BENCH_DIR/ours.last")"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
{
  echo "pgbench scale $SCALE ($SIZE), PostgreSQL 13 -> 17, jobs $JOBS, $RUNS runs, median seconds:"
  for m in $METHODS; do
    printf '  %-9s %7.1f   (runs:%s)\n' "$m" "$(echo "${TIMES[$m]}" | median)" "${TIMES[$m]}"
  done
} | tee "$OUT/results.txt"
