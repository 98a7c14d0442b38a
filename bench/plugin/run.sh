#!/usr/bin/env bash
# Provider process benchmark (issue 2): handshake time, GetProviderSchema latency, peak RSS after one
# ReadDataSource. Builds the release build with the bench drivers and prints per-run lines + medians.
#   bench/plugin/run.sh [runs]
source "$(dirname "$0")/../../scripts/lib.sh"
runs="${1:-30}"
TPD_SKIP_SETUP="${TPD_SKIP_SETUP:-0}" "$TPD_ROOT/scripts/build" -DTPD_BENCH=ON >/dev/null
"$TPD_BUILD/bench/plugin/tpd-bench-plugin" --provider "$TPD_BUILD/terraform-provider-database" --runs "$runs"
