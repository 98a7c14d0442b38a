// RunPaths: every file and directory of one upgrade run, in one place.
//
// Layout (all under the provider's work_dir):
//
//   <work_dir>/history.jsonl                 measured runs, one JSON object a line (engines/history.h)
//   <work_dir>/runs/<run_id>/                run_dir: kept after the run for diagnosis
//   <work_dir>/runs/<run_id>/journal.jsonl   step records of the current run (engines/pipeline.h)
//   <work_dir>/runs/<run_id>/journal.previous.jsonl  the journal moved aside by Pipeline::Reset
//   <work_dir>/runs/<run_id>/lock.pid        "<pid> <start_ticks>\n" of the process running it
//   <work_dir>/runs/<run_id>/backup/         default backup directory (backup.dir unset)
//   <work_dir>/runs/<run_id>/logs/           stderr captures of the tools a step runs
//   <work_dir>/runs/<run_id>/tables/         per-table state of parallel copies (one file a table)
//   <work_dir>/runs/<run_id>/summary.json    RunSummary of the last Run (pipeline.h)
//
// The run id is deterministic (RunIdFor): the same resource and method always map to the same
// run_dir, so a re-apply after a crash finds the previous run's journal and resumes it.
//
// Persisted: every file name below is on users' disks; never rename.
//
// Thread-safety: RunPaths is a value; the functions are pure (no I/O) and thread-safe.
#ifndef TPD_ENGINES_RUN_PATHS_H_
#define TPD_ENGINES_RUN_PATHS_H_

#include <filesystem>
#include <string>
#include <string_view>

namespace tpd::engines {

struct RunPaths {
  // <work_dir>: the provider's work directory (ProviderOptions::work_dir).
  std::filesystem::path work_dir;
  // <work_dir>/history.jsonl: one line per measured run, read back for estimates.
  std::filesystem::path history;
  // <work_dir>/runs/<run_id>: everything of one run; created by Pipeline::Run, never deleted by it.
  std::filesystem::path run_dir;
  // <run_dir>/journal.jsonl: append-only step records (format in engines/pipeline.h).
  std::filesystem::path journal;
  // <run_dir>/journal.previous.jsonl: where Pipeline::Reset moves a finished journal.
  std::filesystem::path previous_journal;
  // <run_dir>/lock.pid: held (flock + pid) while a Run executes; refuses a concurrent Run.
  std::filesystem::path lock_file;
  // <run_dir>/backup: default backup directory when the configuration names none.
  std::filesystem::path backup_dir;
  // <run_dir>/logs: stderr of child processes (pg_dump, pg_upgrade ...), one file per tool call.
  std::filesystem::path log_dir;
  // <run_dir>/tables: per-table copy state (TableState()).
  std::filesystem::path tables_dir;
  // <run_dir>/summary.json: the RunSummary of the last Run, success or failure.
  std::filesystem::path summary;

  // The paths of run `run_id` under `work_dir`. Pure: creates nothing.
  // REQUIRES: run_id is a single path component (RunIdFor output is).
  static RunPaths For(const std::filesystem::path& work_dir, std::string_view run_id);

  // <tables_dir>/<name>.json where <name> is `table` (e.g. "public.orders") with every byte outside
  // [A-Za-z0-9._-] replaced by '_' and a short hash appended when anything was replaced, so distinct
  // tables never share a file.
  std::filesystem::path TableState(std::string_view table) const;
};

// A run id for a run of `method` (e.g. "pg-dump_restore") on the resource identified by `identity`
// (e.g. the redacted source URL + target version). Deterministic across processes and builds:
// "<method>-<16 hex digits of FNV-1a 64 of identity>", with `method` sanitized to [A-Za-z0-9_-].
// Callers should include in `identity` everything that makes two runs different upgrades, and never
// a password (the hash is not a secret store).
std::string RunIdFor(std::string_view method, std::string_view identity);

}  // namespace tpd::engines

#endif  // TPD_ENGINES_RUN_PATHS_H_
