// dump_restore: the PostgreSQL upgrade method "copy everything into a new, newer server".
//
// Scope: ONE database, the one named in the source URL, copied into the database named in the
// target URL (created on the target, from template0 with the source's encoding, when missing).
// Other databases of the source cluster are not copied; roles are (those missing on the target).
//
// Steps (names persisted in the journal: engines/pipeline.h), in order:
//   precheck          source and target reachable, target major >= source major, pg_dump and
//                     pg_restore >= source major found, the target database empty (no user tables,
//                     views, sequences, functions, types or large objects), every source extension
//                     available on the target, space for the backup when enabled. Changes nothing.
//                     Not resumable (always re-run).
//   backup            backup.h into spec.backup_dir (default <run_dir>/backup); path -> outcome and
//                     scratch "backup.path". Skipped when backup is disabled.
//   freeze_writes     (block_writes) FreezeWrites on the source (freeze.h). undo: UnfreezeWrites.
//   dump_schema       pg_dump -Fc --schema-only into <run_dir>/schema.dump.
//   restore_pre_data  creates the target database if missing (scratch "restore_pre_data.created_db"),
//                     copies missing roles ("restore_pre_data.roles_created"), pg_restore pre-data
//                     (one transaction). undo: drops the
//                     database if we created it; otherwise drops every schema and object the run
//                     created there (the database was verified empty by precheck), and the roles
//                     we created.
//   copy_data         tables copied in parallel (spec.parallelism workers) from one exported
//                     snapshot of the source: COPY ... TO STDOUT streamed into COPY ... FROM STDIN
//                     on the target (no file). A table copied whole is truncated and loaded with
//                     COPY FREEZE in one target transaction; tables above CopyDataOptions::
//                     chunk_bytes are split into ctid ranges (one transaction each) so one big
//                     table uses every worker. Binary COPY format for tables whose columns all have
//                     built-in types, else text (extension types). synchronous_commit=off on the
//                     target sessions. A failed table or range leaves nothing (its transaction
//                     rolls back). Large objects are copied with their oid, owner and content
//                     (their GRANTs and comments are not). Progress: bytes per table while
//                     copying, rows when a table is done. Re-run: truncates the target tables first.
//   restore_post_data pg_restore --section=post-data -j parallelism (indexes, constraints,
//                     triggers), maintenance_work_mem raised per session; then ANALYZE of the
//                     target database (a restore has no planner statistics).
//   sync_sequences    sequence positions copied (sequences.h).
//   verify            verify.h with spec.verify_row_counts / verify_checksums; lines -> outcome.
//                     With block_writes, the source side of the row counts is what the source
//                     reported for its COPYs in copy_data (exact counts of the snapshot, which was
//                     taken after the freeze; scratch "copy_data.source_rows"), so the source is
//                     not read a second time; the target is always counted anew.
//   switch            active_url = target URL without password; commits (point of no return): the
//                     source stays frozen read-only so nothing writes to it by mistake.
// After switch the old server keeps refusing writes (default_transaction_read_only in its
// postgresql.auto.conf); to take writes there again on purpose: ALTER SYSTEM RESET
// default_transaction_read_only; SELECT pg_reload_conf();
// On failure or cancel before switch, the pipeline undoes in reverse: the target is cleaned as
// above and the source is unfrozen (writes enabled again). The backup file is kept.
//
// Thread-safety: the steps run on the pipeline's thread (copy_data and verify start their own
// workers and join them before returning).
#ifndef TPD_ENGINES_POSTGRES_DUMP_RESTORE_H_
#define TPD_ENGINES_POSTGRES_DUMP_RESTORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engines/pipeline.h"
#include "engines/postgres/upgrade_spec.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

// Tuning of copy_data (exposed for tests and the benchmark).
// Big tables are split into at most `parallelism` ctid ranges (PostgreSQL 14+ scans only the range;
// 13 filters a full scan, still faster than one stream when cores are free).
struct CopyDataOptions {
  // Tables whose heap is larger than this are split into ctid ranges. 0 = never. Default 1 GiB: a
  // table copied whole is loaded with COPY FREEZE in the transaction that truncates it (no later
  // hint-bit rewrite of every page, much faster index builds), which a split table loses; on a
  // PostgreSQL 13 source each range also filters a full scan (TID range scans arrived in 14).
  int64_t chunk_bytes = 1024LL * 1024 * 1024;
  // Copy tables whose columns all have built-in types (pg_catalog, with binary send/receive) in
  // COPY's binary format, which both sides encode and decode with less CPU; their binary forms are
  // the same on 10..17. Tables with extension or user-defined types always use text. Default true.
  bool binary = true;
  // Load a table copied whole with COPY FREEZE in the transaction that truncates it. Default true.
  bool freeze = true;
  // Pass char(n) values to the target without their trailing blanks (engines/postgres/copy_trim.h);
  // the target's char(n) input pads them back, so the stored values are byte-for-byte the same.
  // Checking the length of those blanks, character by character in UTF-8, was the target's largest
  // single cost on pgbench's char(84) filler. Columns of unbounded bpchar, arrays and domains pass
  // as they are. Default true.
  bool trim_char_padding = true;
};

// Filled by the steps while the pipeline runs; read it after Pipeline::Run returns.
struct DumpRestoreState {
  // backup_path, verification, active_url, new_version are set by the steps that produce them
  // (also when a resumed run skips the step: values come back from the journal's scratch store).
  // measured_downtime_seconds / total_seconds are left for the caller (RunSummary has them).
  UpgradeOutcome outcome;

  // Set before Run: copy_data tuning.
  CopyDataOptions copy_options;

  // Test hook: called from copy-data workers after each table (or chunk) was copied, with the
  // table "schema.name" and its rows. May block or fail things on purpose (kill a server).
  std::function<void(std::string_view table, int64_t rows)> on_table_copied_ForTest;

  // Rows and bytes copied per table by copy_data ("schema.name" -> totals); guarded by mu.
  std::mutex mu;
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> copied;
  // Rows the source sent per table, {schema, table} -> rows (its COPY's "COPY n", summed over a
  // table's ranges); guarded by mu.
  std::map<std::pair<std::string, std::string>, int64_t> source_rows;
};

// The steps described above for `spec`. `spec` is copied into the steps. `state` is borrowed: it
// must outlive every Pipeline::Run/Rollback using the returned steps.
// REQUIRES: spec.source.conn and spec.target.conn set; spec.parallelism >= 1.
std::vector<engines::Step> DumpRestoreSteps(const UpgradeSpec& spec, DumpRestoreState* state);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_DUMP_RESTORE_H_
