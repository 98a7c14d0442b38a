// UpgradeSpec: everything a PostgreSQL upgrade executor needs, parsed from the resource
// configuration by resources/ and handed to engines/. Plain data; no I/O.
//
// The executors (dump_restore.h, replication.h, in_place.h) each turn an UpgradeSpec into the
// ordered list of pipeline steps (engines/pipeline.h) that performs their method; upgrade.h picks
// the executor for the planner's chosen strategy and runs the pipeline.
#ifndef TPD_ENGINES_POSTGRES_UPGRADE_SPEC_H_
#define TPD_ENGINES_POSTGRES_UPGRADE_SPEC_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engines/postgres/conninfo.h"

namespace tpd::engines::postgres {

// How pg_upgrade moves the data files. Persisted: never rename (state, journal).
enum class InPlaceMode { kLink, kClone, kCopy };

struct ServerSide {
  // The server's URL and password (password optional; never printed: ConnInfo redacts it).
  std::optional<ConnInfo> conn;
  // in_place only: the cluster's data directory and the directory holding its postgres/pg_ctl.
  std::string data_dir;
  std::string bin_dir;
  // in_place only: commands that stop the old / start the new server instead of pg_ctl (run through
  // /bin/sh -c, e.g. "systemctl stop postgresql@13-main"). Empty = pg_ctl on data_dir.
  std::string stop_command;
  std::string start_command;
};

struct UpgradeSpec {
  // --- what ---
  ServerSide source;  // the running server; conn always set
  ServerSide target;  // dump_restore/replication: conn set (new server); in_place: bin_dir/data_dir
  // Target major version, e.g. 17 (in_place: the new bin_dir's version).
  int target_major = 0;

  // --- backup ---
  bool backup_enabled = true;
  // Where the custom-format dump goes. Empty = <work_dir>/backups.
  std::string backup_dir;

  // --- cutover ---
  // Freeze writes on the source for the final switch (dump_restore: for the whole copy).
  bool block_writes = true;
  // Terminate other sessions on the source when freezing so none keeps writing in an open transaction.
  bool terminate_sessions = true;

  // --- verify ---
  bool verify_row_counts = true;
  bool verify_checksums = false;

  // --- in_place ---
  InPlaceMode in_place_mode = InPlaceMode::kLink;

  // --- how (performance) ---
  // Parallel copy/index workers (>= 1).
  int parallelism = 1;
  // Directories searched first for pg_dump, pg_restore, pg_upgrade ...
  std::vector<std::string> tool_paths;

  // --- run ---
  // Provider work_dir: journals, default backups (see engines/run_paths.h).
  std::string work_dir;
  // Stable identifier of this upgrade (derived from the resource's identity) so a re-apply finds the
  // journal of an interrupted run.
  std::string run_id;
  // Borrowed; set by StopProvider or a timeout. Executors poll it and stop with Cancelled.
  const std::atomic<bool>* stop = nullptr;
  // Overall deadline (create/update timeout); zero = none.
  std::chrono::seconds timeout{0};
};

// The spec undo steps run with: undo always runs to the end (engines/pipeline.h), so it must not
// poll the stop flag that may be what started it (StopProvider, a timeout).
inline UpgradeSpec ForUndo(UpgradeSpec spec) {
  spec.stop = nullptr;
  return spec;
}

// What an executed upgrade reports back; resources/ stores it in state.
struct UpgradeOutcome {
  // URL (without password) applications must use now.
  std::string active_url;
  // Path of the pre-upgrade backup, empty when disabled.
  std::string backup_path;
  // Seconds during which writes on the source were refused (or the server was down).
  double measured_downtime_seconds = 0;
  // One line per check, e.g. "public.accounts: 6000000 rows on both sides".
  std::vector<std::string> verification;
  // Version string of the active server after the upgrade, e.g. "17.10".
  std::string new_version;
  // Total wall time of the run.
  double total_seconds = 0;
};

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_UPGRADE_SPEC_H_
