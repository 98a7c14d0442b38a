// Replication: the one logical-replication engine of the provider, used by `database_replica`
// (CreateReplica / GetReplicaStatus / Cutover / DropReplica) and by `database_upgrade` with
// strategy = "replication" (ReplicationSteps: the same primitives as pipeline steps).
//
// Objects (all named from one id, NamesForReplica, so a re-run or a destroy after a crash finds the
// leftovers of an earlier run):
//   source database: PUBLICATION <name> (FOR ALL TABLES, or FOR TABLE <spec.tables>), a logical
//                    replication slot <name> (plugin pgoutput), and the comment of the publication
//                    "tpd:slot=<lsn>;sub=<oid>" (pairing token, see below);
//   target database: SUBSCRIPTION <name> (create_slot = false, slot_name = <name>, copy_data = true),
//                    commented with the same pairing token.
// Pairing token: a subscription is reused only when its comment equals the token of the slot it
// streams from. A slot created anew (e.g. after it was dropped behind our back) gets a new token,
// so a stale subscription is dropped and recreated with a fresh initial copy instead of silently
// resuming from a position the new slot no longer has (that would lose the changes in between).
//
// Schema: copied in full (pre-data AND post-data: tables, indexes, primary keys, constraints)
// BEFORE the subscription starts. Why not pre-data now and indexes after the initial sync (which
// makes the initial COPY faster)? Because the subscriber needs the primary key / replica-identity
// index of each table to apply UPDATE and DELETE that arrive while and after each table is
// synchronised: without it the apply worker errors and restarts in a loop until the index exists.
// The initial copy runs while the source keeps serving, so its speed does not add downtime; the
// write freeze at cutover does not depend on it.
//
// Tables without a primary key (planner rule: replica identity): REPLICA IDENTITY FULL is set on the
// source for every published table that has neither a primary key nor a replica identity of FULL
// or USING INDEX, so UPDATE/DELETE replicate (the subscriber matches the whole old row). Each such
// table is reported in CreateReplicaReport::warnings. The setting stays after the replica is
// dropped (it only makes UPDATE/DELETE of those tables write the old row into WAL).
//
// Secrets: the subscription's CONNECTION string is stored by the TARGET server in its catalog
// (pg_subscription.subconninfo, readable only by superusers) and used by its apply worker to reach
// the source. By default it is built from ReplicaSpec::source and includes the password; set
// ReplicaSpec::source_conninfo_for_target to a string without password (the target server's
// ~/.pgpass or a certificate then authenticates) to keep the password out of the target's catalog.
// It is never logged or put into a Status.
//
// Writes on the source during a cutover are refused with a write freeze (freeze.h): clients see
// SQLSTATE 25006 (read-only transaction) and retry elsewhere; no acknowledged write is lost.
//
// Connections: every function opens its own connections (superuser on both sides: CREATE
// PUBLICATION FOR ALL TABLES, CREATE SUBSCRIPTION, slots and the write freeze need it) and sets
// default_transaction_read_only = off on its source session, so it also works on a frozen source.
//
// Thread-safety: all functions are thread-safe (no shared state); two functions working on the SAME
// replica id at the same time are not supported. Everything blocks and does network I/O.
#ifndef TPD_ENGINES_POSTGRES_REPLICATION_H_
#define TPD_ENGINES_POSTGRES_REPLICATION_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/pipeline.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/freeze.h"
#include "engines/postgres/sequences.h"
#include "engines/postgres/upgrade_spec.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

// Step name of ReplicationSteps not in pipeline.h. Persisted: never rename.
inline constexpr std::string_view kCopySchema = "copy_schema";

struct ReplicationNames {
  std::string publication;   // on the source database
  std::string slot;          // logical slot on the source server (pgoutput)
  std::string subscription;  // on the target database
};

// The object names of replica `id`: all three "tpd_<id>" with `id` lower-cased and every byte
// outside [a-z0-9_] replaced by '_'; when anything was replaced or the name would exceed 63 bytes,
// the name is cut and "_<8 hex digits of FNV-1a 32 of id>" appended, so distinct ids give distinct
// names. Always a valid unquoted identifier and slot name. Pure. REQUIRES: !id.empty().
ReplicationNames NamesForReplica(std::string_view id);

struct ReplicaSpec {
  // --- what ---
  // The source database (the publication lives in it) and the target database. Superuser roles.
  ConnInfo source;
  ConnInfo target;
  // Replica / run id: names the objects (NamesForReplica). Persisted: keep it stable for a replica.
  std::string id;
  // Tables to replicate, "schema.table" or "table" (= public.table); empty = all tables
  // (FOR ALL TABLES, which also covers tables created later; see Cutover's DDL check).
  std::vector<std::string> tables;
  // The connection string the TARGET server uses to reach the source (libpq keyword/value or URL).
  // nullopt = built from `source`, password included (see "Secrets" above).
  std::optional<std::string> source_conninfo_for_target;

  // --- behaviour ---
  // Copy the schema to the target when its database has no user tables yet (skipped when the
  // target already has the source's tables with the same columns; FailedPrecondition when it has
  // tables that differ).
  bool copy_schema = true;
  // When a subscription is (re)created, published tables on the target that already hold rows
  // (leftovers of an earlier attempt) are truncated so the initial copy does not duplicate them.
  // false: FailedPrecondition naming them instead.
  bool truncate_nonempty_target_tables = true;
  // "Small lag" at which CreateReplica returns: source WAL not yet confirmed by the target.
  int64_t max_lag_bytes = 16LL * 1024 * 1024;
  // Give up waiting for the initial copy after this long (Unavailable). Zero = no limit.
  std::chrono::seconds sync_timeout{0};
  // Borrowed; true -> waits stop with Cancelled and running tools are killed. nullptr = not used.
  const std::atomic<bool>* stop = nullptr;

  // --- how (performance, tools) ---
  // Directories searched first for pg_dump/pg_restore.
  std::vector<std::string> tool_paths;
  // pg_restore jobs for indexes and constraints (>= 1).
  int parallelism = 1;
  // Directory for the temporary schema dump; empty = the system temp directory.
  std::string work_dir;
};

struct CreateReplicaReport {
  ReplicationNames names;
  // User-facing warnings: one per table given REPLICA IDENTITY FULL, large objects (not carried by
  // logical replication), few free replication slots.
  std::vector<std::string> warnings;
  // Tables ("schema.table") whose replica identity was set to FULL on the source by this call.
  std::vector<std::string> replica_identity_full;
  bool schema_copied = false;         // false: the target already had the schema
  bool slot_created = false;          // false: an existing slot was reused
  bool subscription_created = false;  // false: an existing, paired subscription was reused
  int tables = 0;                     // tables in the subscription
  int64_t lag_bytes = 0;              // at return
  double seconds = 0;                 // wall time of the call
};

// Creates (or completes) the replica as described at the top of this file and returns once every
// table's initial copy finished (pg_subscription_rel states 'r' or 's') and the lag is at most
// spec.max_lag_bytes. Logs progress (tables synced, lag bytes) at most every 5 s. Idempotent:
// objects with our names are reused when consistent, recreated otherwise.
// Errors:
//   FailedPrecondition - source older than 10, wal_level not logical (says to set it and restart),
//     no free replication slot / wal sender, not superuser, target tables differ from the source,
//     an extension missing on the target, non-empty target tables with !truncate_nonempty_...;
//   Unavailable - a server unreachable, or the initial copy not done within sync_timeout (message
//     has tables ready/total, lag, and says to read the target's server log);
//   Cancelled - spec.stop; NotFound - pg_dump/pg_restore not found; Internal - tool failures.
// On error the objects created so far are left in place (a re-run continues; DropReplica removes).
Result<CreateReplicaReport> CreateReplica(const ReplicaSpec& spec);

// Persisted (state attribute `status`): never rename the strings of ReplicaStateName.
enum class ReplicaState { kCopying, kStreaming, kPromoted, kBroken };
// "copying", "streaming", "promoted", "broken".
std::string_view ReplicaStateName(ReplicaState state);

struct ReplicaStatus {
  ReplicaState state = ReplicaState::kBroken;
  // Why it is broken (or other detail): e.g. "subscription tpd_x is missing on the target",
  // "subscription tpd_x is disabled", "publication tpd_x is missing on the source",
  // "replication slot tpd_x is missing on the source". Empty when healthy.
  std::string reason;
  // pg_current_wal_lsn() on the source minus the slot's confirmed_flush_lsn; -1 when unknown
  // (slot missing); 0 when promoted.
  int64_t lag_bytes = -1;
  std::string source_version;  // "13.23"
  std::string target_version;  // "17.2"
  int tables_total = 0;        // tables in the subscription
  int tables_ready = 0;        // of those, initial copy finished ('r' or 's')
  bool worker_running = false; // the target's apply worker is running (pg_stat_subscription.pid)
};

// Reads the replica's state. kPromoted when `promoted` is true (the caller's state says so) or when
// none of the three objects exist any more and the source is frozen read-only (a finished
// cutover). kBroken when any of subscription, publication or slot is missing or the subscription is
// disabled (reason says which). kCopying while some table's initial copy runs, else kStreaming.
// Errors: Unavailable when a server cannot be reached (the caller decides: a warning, state kept),
// Cancelled, Internal.
Result<ReplicaStatus> GetReplicaStatus(const ReplicaSpec& spec, bool promoted = false);

struct CutoverOptions {
  // --- behaviour ---
  // How writes are frozen on the source (terminate_sessions etc.).
  FreezeOptions freeze;
  // Verification after the target caught up: exact row counts of the published tables (always
  // on; they are the sanity check that nothing was lost) and optional per-table checksums.
  bool verify_checksums = false;
  // Before freezing, wait until the lag is at most this many bytes (the freeze then lasts only
  // as long as applying that much takes). Default 1 MiB.
  int64_t max_lag_bytes_before_freeze = 1024 * 1024;
  // Limit for that wait (FailedPrecondition after it; nothing frozen yet). Default 10 min.
  std::chrono::milliseconds catch_up_timeout{600000};
  // Limit for the target to apply everything up to the freeze position while writes are frozen
  // (Unavailable after it; writes are unfrozen again). Default 60 s.
  std::chrono::milliseconds apply_timeout{60000};
};

struct CutoverReport {
  // Seconds from the start of the write freeze until the target was detached and ready for writes
  // (measured_downtime_seconds). The source stays read-only afterwards.
  double write_freeze_seconds = 0;
  // Source WAL position after the freeze: the target applied everything up to it.
  std::string freeze_lsn;
  int64_t sessions_terminated = 0;
  // Sequence positions copied to the target.
  std::vector<SequenceValue> sequences;
  // One line per check (verify.h format), e.g. "public.accounts: 1000 rows on both sides".
  std::vector<std::string> verification;
  // Breakdown of write_freeze_seconds: FreezeWrites itself (reload, sessions ended), waiting for
  // the target to apply up to freeze_lsn, sequences, verification, detach.
  double freeze_call_seconds = 0;
  double apply_wait_seconds = 0;
  double sequences_seconds = 0;
  double verify_seconds = 0;
  double detach_seconds = 0;
};

// Promotes the target: (1) the replica must be streaming; (2) schema differences between source
// and target (DDL run on the source since the replica was created) are detected BEFORE freezing
// and refuse the cutover; (3) waits until the lag is small; (4) freezes writes on the source;
// (5) checks the schema again; (6) waits until the target applied everything up to the source's
// WAL position, and makes it durable on the target; (7) copies sequence values; (8) verifies row
// counts; (9) detaches: subscription disabled, slot_name = NONE, dropped; publication and slot
// dropped on the source. The source stays frozen read-only.
// Errors (on any error before detach the source is unfrozen and the replica keeps streaming):
//   FailedPrecondition - replica not streaming (reason), schema differences ("cutover refused:
//     the source schema changed since the replica was created: column public.t.note: missing on
//     target; ..."), lag not small in time, a verification mismatch;
//   Unavailable - a server unreachable, or the target did not catch up within apply_timeout;
//   Cancelled, Internal.
// Error after the detach started: Internal with "detach incomplete: ..." (writes stay frozen:
// the target already has every acknowledged write; run DropReplica to finish).
Result<CutoverReport> Cutover(const ReplicaSpec& spec, const CutoverOptions& options = {});

struct DropReplicaReport {
  bool target_reachable = false;
  bool subscription_dropped = false;  // existed and was dropped
  bool publication_dropped = false;
  bool slot_dropped = false;
  int sync_slots_dropped = 0;         // leftover table-sync slots of the subscription
  int64_t walsenders_terminated = 0;  // walsenders that still held the slot
  std::vector<std::string> warnings;  // e.g. "target unreachable: subscription left there ..."
};

// Removes the replica: on the target (when reachable) disables the subscription, sets slot_name =
// NONE and drops it; on the source drops the publication, the slot (terminating a walsender that
// still holds it) and the subscription's leftover table-sync slots. Works when the target is
// gone: then only the source objects are dropped and a warning says so. Afterwards nothing of the
// replica holds WAL on the source. OK when nothing existed.
// Errors: Unavailable when the SOURCE cannot be reached (its slot may still hold WAL; retry),
// Cancelled, Internal.
Result<DropReplicaReport> DropReplica(const ReplicaSpec& spec);

// --- database_upgrade, strategy "replication" ---

// Filled by ReplicationSteps while the pipeline runs; read it after Pipeline::Run returns.
struct ReplicationState {
  // backup_path, verification, active_url, new_version (measured downtime comes from RunSummary).
  UpgradeOutcome outcome;
  // Warnings of create_publication (REPLICA IDENTITY FULL tables ...).
  std::vector<std::string> warnings;
  // Cutover tuning (freeze options are taken from the UpgradeSpec).
  CutoverOptions cutover;
  // Test hook: called by wait_sync at each poll with (tables ready, tables total, lag bytes).
  std::function<void(int ready, int total, int64_t lag)> on_wait_sync_ForTest;
};

// Steps (names persisted), in order:
//   precheck            (not resumable) both servers reachable, source >= 10, wal_level = logical
//                       (FailedPrecondition with restart advice), free slot and wal sender, target
//                       major >= source major, superuser on both sides. Changes nothing.
//   backup              (when spec.backup_enabled) backup.h into spec.backup_dir (default
//                       <run_dir>/backup); scratch "backup.path".
//   copy_schema         full schema to the target (see top of file); skipped when already there.
//   create_publication  replica identity FULL where needed, publication and slot.
//                       undo: drops publication, slot and leftover sync slots on the source.
//   create_subscription subscription on the target. undo: drops it (Unavailable when the target
//                       is unreachable; a re-run drops/recreates the stale one).
//   wait_sync           initial copy done and lag <= 16 MiB; progress logged every 5 s.
//   freeze_writes       schema-diff check (refuses on DDL before freezing), lag small, FreezeWrites.
//                       undo: UnfreezeWrites.
//   catch_up            target applied everything up to the frozen source's WAL position.
//   sync_sequences      sequence values copied.
//   verify              verify.h (row counts; checksums when spec.verify_checksums).
//   switch              (commits) detach: subscription, publication and slot dropped; active_url =
//                       target URL without password. The source stays read-only.
// On failure before switch the pipeline's undo leaves the source writable with no publication or
// slot of ours. `state` is borrowed and must outlive every Run/Rollback using the steps.
// REQUIRES: spec.source.conn and spec.target.conn set; !spec.run_id.empty().
std::vector<engines::Step> ReplicationSteps(const UpgradeSpec& spec, ReplicationState* state);

// The ReplicaSpec the steps use for `spec` (id = spec.run_id): lets a caller inspect or DropReplica
// the objects of an upgrade run.
ReplicaSpec ReplicaSpecForUpgrade(const UpgradeSpec& spec);

// "X/Y" LSN text to a number; nullopt when malformed. Pure.
std::optional<uint64_t> ParseLsn(std::string_view text);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_REPLICATION_H_
