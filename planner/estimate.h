// Downtime estimates: one documented model per strategy, coefficients in one place (EstimateModel),
// overridable, and refitted from measured past runs.
//
// "Downtime" = the time writes are blocked (freeze to resume), not the total run time: for
// replication the initial copy runs while the source serves and is not counted.
//
// The models (size_gib = data_size_bytes / 2^30):
//   dump_restore        = dump_restore_fixed_seconds + size_gib * dump_restore_seconds_per_gib
//   replication         = replication_cutover_seconds + size_gib * replication_seconds_per_gib
//                         (fixed cutover; the small per-GiB term is catch-up and row-count checks)
//   in_place, link      = hops * in_place_hop_seconds + size_gib * in_place_link_seconds_per_gib
//                         (pg_upgrade --link: near-constant)
//   in_place, copy      = hops * in_place_hop_seconds + size_gib * in_place_copy_seconds_per_gib
//   in_place, restart   = hops * in_place_hop_seconds + size_gib * in_place_restart_seconds_per_gib
//                         (binary swap and restart; the server re-reads its files: MongoDB, MySQL,
//                         Redis RDB load, Elasticsearch, KWDB offline)
//   in_place, rolling   = in_place_online_seconds (node by node, the cluster keeps serving)
//
// History: the provider appends one JSON line per finished run to <work_dir>/history.jsonl (the I/O
// lives in engines/resources; this file only formats and parses text):
//   {"engine":"postgresql","strategy":"dump_restore","mode":"","data_size_bytes":1073741824,
//    "downtime_seconds":75.5,"hops":1}
// `mode` is the in-place mode ("link", "copy", "restart", "rolling") and empty otherwise.
//
// Pure; no I/O. Thread-safety: values only.
#ifndef TPD_PLANNER_ESTIMATE_H_
#define TPD_PLANNER_ESTIMATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/request.h"
#include "planner/version.h"
#include "schema/status.h"

namespace tpd::planner {

// How an in-place upgrade touches the data files. Persisted: never rename ("link", "copy",
// "restart", "rolling").
enum class InPlaceMode { kLink, kCopy, kRestart, kRolling };
std::string_view InPlaceModeName(InPlaceMode mode);

struct EstimateModel {
  // Seconds, and seconds per GiB. Defaults are conservative figures for a single mid-range server
  // with local SSDs; FitHistory replaces them with measured ones.
  double dump_restore_fixed_seconds = 120;    // start-up, schema, switch
  double dump_restore_seconds_per_gib = 45;   // dump + restore + index builds (~23 MB/s)
  double replication_cutover_seconds = 30;    // freeze, wait for zero lag, sync sequences, switch
  double replication_seconds_per_gib = 0.5;   // final catch-up and row-count verification
  double in_place_hop_seconds = 60;           // stop, upgrade catalog/binaries, start (per hop)
  double in_place_link_seconds_per_gib = 0.05;
  double in_place_copy_seconds_per_gib = 20;
  double in_place_restart_seconds_per_gib = 1;
  double in_place_online_seconds = 0;         // rolling: no cluster-wide write block

  // auto: an in-place estimate that beats a strategy keeping the old server intact by no more than
  // max(tie_margin_seconds, tie_margin_fraction * that estimate) counts as a tie, and the
  // rollback-friendly strategy wins.
  double tie_margin_seconds = 60;
  double tie_margin_fraction = 0.10;

  static EstimateModel Defaults() { return EstimateModel(); }

  // Names of the coefficients above, as used by Override and in Estimate::inputs.
  static const std::vector<std::string>& CoefficientNames();
  // Value of the coefficient `name`, or NotFound.
  Result<double> Get(std::string_view name) const;
  // Sets coefficient `name`. InvalidArgument for an unknown name or a negative/non-finite value.
  Status Override(std::string_view name, double value);
};

// One named input of an estimate's formula ("size_gib" = 200, "seconds_per_gib" = 45).
struct EstimateInput {
  std::string name;
  double value = 0;
};

struct Estimate {
  int64_t seconds = 0;                // rounded up
  std::string formula;                // "dump_restore_fixed_seconds + size_gib * dump_restore_seconds_per_gib"
  std::vector<EstimateInput> inputs;  // every name in `formula`, with its value
  bool size_known = true;             // false: data size unknown, computed with size 0
};

// What the estimate of one strategy depends on.
struct EstimateShape {
  std::optional<int64_t> data_size_bytes;
  int hops = 1;                                 // in_place only
  InPlaceMode in_place_mode = InPlaceMode::kLink;  // in_place only
};

Estimate EstimateDowntime(const EstimateModel& model, Strategy strategy, const EstimateShape& shape);

// One measured run.
struct HistoryRecord {
  Engine engine = Engine::kPostgres;
  Strategy strategy = Strategy::kDumpRestore;
  std::optional<InPlaceMode> mode;  // in_place only
  int64_t data_size_bytes = 0;
  double downtime_seconds = 0;
  int hops = 1;
};

struct HistoryParseResult {
  std::vector<HistoryRecord> records;
  // 1-based numbers of lines that were not valid records (a run cut off mid-write leaves one).
  std::vector<int> skipped_lines;
};

// Parses JSON-lines history text. Blank lines are ignored; invalid lines are skipped and reported
// (never an error, so one torn line does not lose all history).
HistoryParseResult ParseHistory(std::string_view text);

// One JSON line (with trailing '\n') for `record`, in the format above.
std::string FormatHistoryRecord(const HistoryRecord& record);

// Returns `base` with the coefficients of each strategy/mode refitted from the records of `engine`:
//  - two or more records with different sizes: least squares of downtime = fixed + per_gib * size
//    (per hop for in_place), both clamped to >= 0;
//  - otherwise (one record, or all the same size): both coefficients scaled by measured/predicted.
// Strategies without records keep their base coefficients. Records with negative values are ignored.
EstimateModel FitHistory(const EstimateModel& base, const std::vector<HistoryRecord>& records,
                         Engine engine);

}  // namespace tpd::planner

#endif  // TPD_PLANNER_ESTIMATE_H_
