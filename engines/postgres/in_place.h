// in_place: the PostgreSQL upgrade method "pg_upgrade the cluster where it lives".
//
// Scope: the WHOLE cluster of source.data_dir (every database, roles, settings) is upgraded by the
// new version's pg_upgrade into a new data directory on the same host; the new server then takes
// over the old one's port and configuration, so applications keep their URL.
//
// Inputs (UpgradeSpec): source.conn (superuser URL of the running old server), source.data_dir,
// source.bin_dir (old version's postgres, pg_ctl, pg_controldata, pg_resetwal), target.bin_dir (new
// version's full tool set incl. pg_upgrade, or pg_upgrade through tool_paths), target.data_dir
// (optional; default DefaultNewDataDir), source.stop_command / source.start_command and
// target.start_command / target.stop_command (optional; default pg_ctl, see server_control.h),
// in_place_mode (link default | clone | copy), parallelism (pg_upgrade -j, vacuumdb -j),
// backup_enabled/backup_dir, tool_paths, stop.
//
// When we run as root, every PostgreSQL server tool (initdb, pg_ctl, postgres, pg_upgrade) runs as
// the owner of source.data_dir, and the new data directory is created owned by that user (0700).
//
// Steps (names persisted in the journal: engines/pipeline.h), in order:
//   precheck          both data dirs/bin dirs local and usable: PG_VERSION of the old cluster, the
//                     versions of both `postgres --version`, new major > old major (== target_major
//                     when set); old bin dir has postgres, pg_ctl, pg_controldata and pg_resetwal
//                     (the embedded npm builds ship only initdb/pg_ctl/postgres: the message says to
//                     install the distribution's full server package); new bin dir has the tools
//                     pg_upgrade runs, pg_upgrade itself found; the new data dir absent or empty (or
//                     ours from an earlier attempt); the old server running and reachable as a
//                     superuser, and its data_directory is source.data_dir; free disk space next to
//                     the new data dir (link/clone: 256 MiB, copy: size of the old data dir +
//                     256 MiB); link/clone: both on one file system. Changes nothing; not resumable.
//   backup            (backup_enabled) backup.h of the source URL's database into backup_dir
//                     (default <run_dir>/backup) while the old server still runs.
//   init_new          initdb of the new data dir with the old cluster's encoding, locale
//                     (template0's), data checksums setting, WAL segment size and bootstrap
//                     superuser name (initdb --no-sync: the whole new cluster is made durable once,
//                     after pg_upgrade). Re-run: removes the directory it created before. undo:
//                     removes the new data dir if this run created it.
//   carry_config      the old server's configuration written into the new cluster and validated
//                     (pg_config_carry.h); settings the new version rejects become warnings. Done
//                     before the downtime, so pg_upgrade --check also validates it by starting the
//                     new cluster with it. undo: nothing (recorded so that a re-apply writes the
//                     configuration into the re-created cluster).
//   pg_upgrade_check  pg_upgrade --check against the live old server (nothing changes; it may run
//                     while the old server serves). On failure pg_upgrade's report is in the error;
//                     undo of the earlier steps removes the new data dir: the old server was never
//                     touched and keeps serving. Ends with a CHECKPOINT on the old server so the
//                     shutdown checkpoint in stop_old (inside the downtime) is short.
//   stop_old          fast shutdown of the old server (source.stop_command, else pg_ctl): clients
//                     are disconnected, open transactions roll back, every committed write is in
//                     the shutdown checkpoint. This is the write freeze of this method (a server
//                     that is down takes no writes) and where the measured downtime starts. undo:
//                     starts the old server again (source.start_command, else pg_ctl) and waits
//                     until it accepts connections on source.conn — refused (error) in link mode
//                     once the new server was started, see below.
//   pg_upgrade        pg_upgrade --link|--clone|--copy -b -B -d -D -U -j, -p/-P on free temporary
//                     ports, sockets in a private temp dir, cwd <run_dir>/pg_upgrade (pg_upgrade
//                     writes delete_old_cluster.sh there; when the data directory's owner cannot
//                     reach the run dir, e.g. a work_dir under /root, a kept /tmp/tpd-pg_upgrade-*
//                     directory instead). New version 15+: with --no-sync, then
//                     one syncfs(2) per file system of the new data dir, its pg_wal, tablespaces and
//                     the old data dir (what PostgreSQL 17 calls --sync-method=syncfs; far fewer
//                     flushes than fsync of every file, so less downtime), before the step is done.
//                     Re-run after an interrupted attempt:
//                     re-creates the new cluster first (and restores global/pg_control, see undo).
//                     undo: in link mode, renames the old cluster's global/pg_control.old back to
//                     pg_control (pg_upgrade's documented revert for a link-mode run whose new
//                     cluster was never started), so the old cluster can start again.
//   start_new         copies the old pg_hba.conf/pg_ident.conf into the new data dir, starts the new
//                     server (target.start_command, else pg_ctl -D <new> -l <new>/pg_ctl.log) and
//                     waits until it accepts connections on source.conn (same port): the measured
//                     downtime ends here. commits: point of no return (the new server may take
//                     writes; in link mode the old cluster's files now belong to the new one).
//   analyze           vacuumdb --all --analyze-in-stages -j parallelism from the new bin dir while
//                     the server already serves. A failure is a warning, not an error (the upgrade
//                     is complete; statistics can be rebuilt any time).
//   switch            active_url = source URL (unchanged), new_version from the new server; the
//                     path of delete_old_cluster.sh is reported. The old cluster is never started
//                     again by us; in link mode it cannot be (pg_control renamed).
// Link mode after the new server was started (start_new attempted): no step or undo touches the
// old cluster or deletes the new one any more; undo reports FailedPrecondition saying the new
// cluster is the only usable one, and a re-apply resumes at the failed step.
//
// Thread-safety: the steps run on the pipeline's thread.
#ifndef TPD_ENGINES_POSTGRES_IN_PLACE_H_
#define TPD_ENGINES_POSTGRES_IN_PLACE_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/pipeline.h"
#include "engines/postgres/upgrade_spec.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

// Step names of InPlaceSteps not in pipeline.h. Persisted: never rename.
inline constexpr std::string_view kInitNew = "init_new";
inline constexpr std::string_view kCarryConfig = "carry_config";

// Filled by the steps while the pipeline runs; read it after Pipeline::Run returns. Values come
// back from the journal's scratch store when a resumed run skips the step that produced them.
struct InPlaceState {
  // active_url, backup_path, new_version, verification are set by the steps;
  // measured_downtime_seconds / total_seconds by FinishInPlaceOutcome.
  UpgradeOutcome outcome;
  // Settings not carried over, an analyze that failed, notes for the user.
  std::vector<std::string> warnings;
  // The new data directory (given or derived), set by precheck.
  std::string new_data_dir;
  // Old major as in PG_VERSION ("13") and new major ("15"), set by precheck.
  std::string old_major;
  std::string new_major;
  // delete_old_cluster.sh written by pg_upgrade (kept; run it once the new cluster is trusted).
  std::string delete_old_cluster_script;

  // Test hook: called by the pg_upgrade step after pg_upgrade succeeded; a non-OK Status makes
  // the step fail (to exercise the revert path).
  std::function<Status()> after_pg_upgrade_ForTest;
};

// The default new data directory: a sibling of `old_data_dir` named "<name>-pg<new_major>",
// e.g. /var/lib/pg/data -> /var/lib/pg/data-pg15. Pure.
std::string DefaultNewDataDir(const std::string& old_data_dir, int new_major);

// The steps described above for `spec`. `spec` is copied into the steps. `state` is borrowed: it
// must outlive every Pipeline::Run/Rollback using the returned steps.
// REQUIRES: spec.source.conn set; state != nullptr.
std::vector<engines::Step> InPlaceSteps(const UpgradeSpec& spec, InPlaceState* state);

// Copies the run's measured downtime (stop_old start -> new server accepting connections) and
// total time from `summary` into state->outcome. Call after a successful Pipeline::Run.
void FinishInPlaceOutcome(const RunSummary& summary, InPlaceState* state);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_IN_PLACE_H_
