// Resource "database_replica": a PostgreSQL logical-replication stream from `source` to `target`,
// promoted to the primary by setting `promote = true` (SPEC.md, issue 5). All replication work is
// done by engines/postgres/replication.h (the one replication engine); this file holds the
// Terraform semantics only.
//
//   resource "database_replica" "new" {
//     engine  = "postgresql"
//     source { url = "postgresql://postgres@old:5432/app"  password = var.old_password }
//     target { url = "postgresql://postgres@new:5432/app"  password = var.new_password }
//     promote = false   # set to true in a later, reviewed apply: the cutover
//   }
//
// Lifecycle:
//  - Plan (create): probes the source when it is reachable (a failed probe is not an error: the
//    source may be created by the same apply). Tables without a primary key that lack a usable
//    replica identity are listed in a WARNING (the replica gives them REPLICA IDENTITY FULL);
//    wal_level other than logical or a server older than 10 is an ERROR on source.url. Object names
//    (id, publication, subscription, slot_name) are known at plan time when both URLs and `tables`
//    are: they derive from the two databases and the table list (ReplicaIdFor).
//  - Plan (existing): computed values keep their prior state (lag_bytes changes all the time and
//    must not show as a diff). promote false -> true plans status "promoted", lag_bytes 0 and
//    unknown promoted_at / measured_downtime_seconds. promote true -> false is an error on
//    `promote`. A prior status "broken" plans every computed value unknown, which replaces the
//    replica (slot_name is a requires-replace attribute), with a WARNING giving the reason Read found.
//  - Create: CreateReplica (schema copy, publication, slot, subscription; returns once the initial
//    copy is done and the stream is live), then Cutover when promote is already true. On failure
//    everything created is dropped again (DropReplica) and no state is saved.
//  - Read: GetReplicaStatus -> status, lag_bytes (null when unknown), versions. An unreachable
//    server or a failed read is a WARNING and the state is kept. status "broken" keeps the object
//    (so the plan shows a replacement, not a silent create) and stores the reason in private data.
//  - Update promote false -> true: Cutover (schema diff refused before the freeze, freeze, zero lag,
//    sequences, row counts, detach); records promoted_at (RFC 3339 UTC) and
//    measured_downtime_seconds. Errors are on `promote`; the prior state is kept.
//  - Delete: DropReplica: subscription on the target (when reachable), publication and slots on the
//    source. An unreachable source is an error (its slot would keep holding WAL) unless the replica
//    was promoted (nothing of it is left on the source).
//  - Import ID: "<source_url>|<target_url>|<slot_name>" (URLs without password; slot_name as shown
//    in state, e.g. "tpd_r1a2b3c4d"). Passwords come from the configuration on the next apply
//    (an in-place update). Only replicas of all tables import cleanly: `tables` is left null.
//
// No password appears in diagnostics or logs (resources/diagnostics.h RedactSecrets is applied to
// everything this resource reports).
//
// Thread-safety: the resource object is stateless; every method may run concurrently.
#ifndef TPD_RESOURCES_DATABASE_REPLICA_H_
#define TPD_RESOURCES_DATABASE_REPLICA_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resources/resource.h"
#include "schema/diagnostics.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::resources {

// Type name "database_replica". The caller (provider/registry.cc) owns the result.
std::unique_ptr<Resource> NewDatabaseReplicaResource();

// The registered schema (DatabaseReplicaSchemaV0). Lives for the whole process.
const schema::Schema& DatabaseReplicaSchema();

// --- Pure pieces, exposed for unit tests ---

// The replica id that names the objects (engines::postgres::NamesForReplica): "r" + 8 lower-case
// hex digits of a hash of the source database (host:port/dbname), the target database and the
// normalised, sorted `tables` (empty = all tables). Same inputs, same id. InvalidArgument when a
// URL does not parse.
Result<std::string> ReplicaIdFor(std::string_view source_url, std::string_view target_url,
                                 const std::vector<std::string>& tables);

// "orders" -> "public.orders"; "Sales.Orders" -> "sales.orders"; "\"My.S\".t" -> "My.S.t" (quoted
// parts kept verbatim, unquoted parts lower-cased, as PostgreSQL resolves them). Pure.
std::string NormalizeTableName(std::string_view name);

struct ReplicaImportId {
  std::string source_url;
  std::string target_url;
  std::string slot_name;  // "tpd_<replica id>"
  std::string replica_id; // the part after "tpd_"
};
// Parses "<source_url>|<target_url>|<slot_name>". InvalidArgument (saying the expected form) when
// a part is missing or empty, a URL does not parse or holds a password, or the slot name is not one
// this provider creates.
Result<ReplicaImportId> ParseReplicaImportId(std::string_view id);

// What a plan learned from the source server (nullopt in PlanReplica: not reachable / not probed).
struct ReplicaSourceFacts {
  std::string version;         // "13.23"
  int server_version_num = 0;  // 130023
  std::string wal_level;       // "logical"
  // "schema.table" of tables without primary key whose replica identity is neither FULL nor USING
  // INDEX (all of the database; PlanReplica filters by `tables`).
  std::vector<std::string> tables_needing_identity;
};

// The planning decision, without I/O: fills resp->planned_state from `req` (and `source` facts on
// create) and adds the warnings/errors described at the top of this file. REQUIRES: req.config
// non-null; req.proposed_new_state of DatabaseReplicaSchema()'s implied type; diags != nullptr.
void PlanReplica(const PlanRequest& req, const std::optional<ReplicaSourceFacts>& source, PlanResponse* resp,
                 schema::Diagnostics* diags);

// The tables of `facts` that need REPLICA IDENTITY FULL among those replicated (`tables` empty =
// all; otherwise matched after NormalizeTableName). Sorted. Pure.
std::vector<std::string> TablesNeedingIdentity(const ReplicaSourceFacts& facts, const std::vector<std::string>& tables);

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_DATABASE_REPLICA_H_
