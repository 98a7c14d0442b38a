#!/usr/bin/env bash
# Benchmark: write freeze of the logical-replication cutover, PostgreSQL 13 -> 17, pgbench scale 10
# with a pgbench writer (4 clients) running during the cutover; median of RUNS runs.
#
#   bench/replication/run.sh [--driver PATH] [--runs N] [--scale S] [--clients C]
#
# Build the driver first: cmake --build <build dir> --target tpd-bench-replication-cutover
# (needs bench/ added to the build with add_subdirectory(bench)). Not part of ctest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DRIVER=${DRIVER:-$ROOT/build/bench/replication/tpd-bench-replication-cutover}
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --driver) DRIVER=$2; shift 2 ;;
    --runs|--scale|--clients) ARGS+=("$1" "$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
exec "$DRIVER" "${ARGS[@]}"
