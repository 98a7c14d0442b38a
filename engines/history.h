// Run history: one JSON object per line in <work_dir>/history.jsonl, one line per finished run
// (successful or failed), appended by the executors and read back as text for the planner, which
// parses it (planner/ does no I/O) to calibrate downtime and duration estimates.
//
// Record format, version 1 (Persisted: never rename a key; add keys, readers ignore unknown ones):
//   {
//     "v": 1,                              format version
//     "time": "2026-08-21T14:10:23.123456Z", when the run ended (UTC)
//     "run_id": "pg-dump_restore-...",     engines/run_paths.h RunIdFor
//     "engine": "postgresql",              engine name as in the resource's `engine`
//     "strategy": "dump_restore",          dump_restore | replication | in_place
//     "from_version": "13.4",              source server version before the run
//     "to_version": "17.2",                target version reached (or aimed at when ok is false)
//     "data_size_bytes": 1234567,          source database size measured before the run
//     "ok": true,                          every step done
//     "total_s": 42.5,                     sum of step durations (seconds)
//     "downtime_s": 1.3 | null,            measured downtime (engines/pipeline.h), null if none
//     "steps": [{"step": "copy_data", "duration_s": 30.1, "rows": 1000, "bytes": 1048576}, ...]
//   }
// Lines are at most a few KiB; a reader must skip a line that does not parse (a crash may cut the
// last line; ReadHistoryText already drops such lines).
//
// Thread-safety: functions are thread-safe; concurrent appends (threads or processes) are
// serialized with flock(2) on the history file, so lines never interleave.
#ifndef TPD_ENGINES_HISTORY_H_
#define TPD_ENGINES_HISTORY_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::engines {

struct RunSummary;

struct HistoryStep {
  std::string step;
  double duration_seconds = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
};

struct HistoryRecord {
  std::string time;  // filled by AppendHistory when empty
  std::string run_id;
  std::string engine;
  std::string strategy;
  std::string from_version;
  std::string to_version;
  int64_t data_size_bytes = 0;
  bool ok = false;
  double total_seconds = 0;
  std::optional<double> downtime_seconds;
  std::vector<HistoryStep> steps;  // steps that reached `done` or `failed`, in method order
};

// A record from a pipeline summary: run_id, ok (= completed), totals, downtime and the steps that
// ran (state done or failed). Pure.
HistoryRecord HistoryRecordFromSummary(const RunSummary& summary, std::string_view engine,
                                       std::string_view strategy, std::string_view from_version,
                                       std::string_view to_version, int64_t data_size_bytes);

// One line (without newline) in the format above. Pure.
std::string FormatHistoryLine(const HistoryRecord& record);
// Parses one line. InvalidArgument when it is not a JSON object with string "engine" and
// "strategy"; missing numeric fields default to 0. Pure.
Result<HistoryRecord> ParseHistoryLine(std::string_view line);

// Appends `record` to <work_dir>/history.jsonl (creating work_dir and the file), fsync'd.
// Blocks on file I/O and on a concurrent appender. Internal on I/O errors.
Status AppendHistory(const std::filesystem::path& work_dir, const HistoryRecord& record);

// The last `max_records` valid lines of <work_dir>/history.jsonl joined with "\n" (each followed
// by "\n"), oldest first; lines that do not parse as records are dropped. Empty string when the
// file does not exist. Internal when it exists but cannot be read.
Result<std::string> ReadHistoryText(const std::filesystem::path& work_dir, size_t max_records = 1000);

}  // namespace tpd::engines

#endif  // TPD_ENGINES_HISTORY_H_
