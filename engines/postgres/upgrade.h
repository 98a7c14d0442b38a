// upgrade: runs one PostgreSQL upgrade with the executor of the planner's chosen strategy.
//
// RunUpgrade builds the steps (dump_restore.h, replication.h or in_place.h), runs them with
// engines::Pipeline under the run id UpgradeRunId(strategy, spec) (spec.run_id when set), appends
// one record to <work_dir>/history.jsonl (engines/history.h; also for failed runs, with ok=false),
// and resets the journal (Pipeline::Reset) when the run completed, or when it failed and its undo
// finished completely, so that the next apply starts cleanly. A run that died (kill) or whose undo
// failed keeps its journal: the next RunUpgrade of the same run id resumes or finishes undoing it.
//
// The strategy comes from the planner (planner/request.h); this file does not choose.
//
// Thread-safety: RunUpgrade may run concurrently for different run ids; two runs of the same run id
// exclude each other (the pipeline's lock: FailedPrecondition). Blocks for the whole upgrade.
#ifndef TPD_ENGINES_POSTGRES_UPGRADE_H_
#define TPD_ENGINES_POSTGRES_UPGRADE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engines/postgres/upgrade_spec.h"
#include "planner/request.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

// Per-run inputs that are not part of the executors' spec.
struct RunUpgradeOptions {
  // Version of the source before the run ("13.23") and the target asked for ("17"), for history.
  std::string from_version;
  std::string to_version;
  // Source size measured before the run, for history (feeds later estimates).
  int64_t data_size_bytes = 0;
};

// What RunUpgrade reports besides the outcome: warnings of the executor (REPLICA IDENTITY FULL set
// on tables, settings not carried over ...).
struct UpgradeReport {
  UpgradeOutcome outcome;
  std::vector<std::string> warnings;
  std::string run_id;
};

// The persisted name of `strategy` ("dump_restore", "replication", "in_place"). Pure.
std::string StrategyText(planner::Strategy strategy);

// The deterministic run id of an upgrade: engines::RunIdFor("pg-<strategy>", identity) where the
// identity is the redacted source URL, the target (redacted URL or data dir) and target_major.
// Never contains a password. Pure.
std::string UpgradeRunId(planner::Strategy strategy, const UpgradeSpec& spec);

// Runs the upgrade as described at the top of this file. Returns the outcome (active_url,
// backup_path, measured_downtime_seconds from the pipeline's measurement, verification lines,
// new_version, total_seconds). Errors: the pipeline's (see engines/pipeline.h Run), whose message
// starts "step <name> failed: ..." (or "cancelled"); InvalidArgument when the spec lacks what the
// strategy needs (no target URL for dump_restore/replication, no data dirs for in_place) or
// spec.work_dir is empty.
Result<UpgradeReport> RunUpgrade(planner::Strategy strategy, const UpgradeSpec& spec,
                                 const RunUpgradeOptions& options = {});

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_UPGRADE_H_
