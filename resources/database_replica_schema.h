// Schema of resource "database_replica" (SPEC.md, "resource database_replica"), as code.
//
// Not registered with the provider yet: the resource type is added to provider/registry.cc by the
// issue that gives it behaviour. Until then this schema is unit-tested on its own.
//
// Thread-safety: pure functions.
#ifndef TPD_RESOURCES_DATABASE_REPLICA_SCHEMA_H_
#define TPD_RESOURCES_DATABASE_REPLICA_SCHEMA_H_

#include <cstdint>

#include "schema/diagnostics.h"
#include "schema/schema.h"
#include "schema/value.h"

namespace tpd::resources {

// The current state schema version of database_replica.
inline constexpr int64_t kDatabaseReplicaSchemaVersion = 0;

// Values of `mode`. Persisted: never rename.
inline constexpr char kReplicaModeLogical[] = "logical";

// Version 0: arguments engine (requires replace), mode (default "logical"), tables, promote
// (default false); blocks source and target (both required), timeouts; computed status, lag_bytes,
// source_version, target_version, publication, subscription, slot_name, promoted_at,
// measured_downtime_seconds, id. Replacing: engine, tables, source.url, target.url, and slot_name (a
// plan that finds status "broken" plans slot_name unknown, which replaces the replica).
// Returns a fresh value; callers cache it.
schema::Schema DatabaseReplicaSchemaV0();

// Cross-attribute checks for Resource::ValidateConfig:
//  - engine must be "postgresql" (the only engine with logical replication here) -> engine;
//  - source.url / target.url schemes for the engine -> the url; a password in a URL -> warning;
//  - source.url and target.url must differ -> target.url.
// Unknown or null values, and values failing their own attribute validator, are skipped. REQUIRES: config null or of
// the implied type; diags != nullptr.
void ValidateDatabaseReplicaConfig(const schema::Value& config, schema::Diagnostics* diags);

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_DATABASE_REPLICA_SCHEMA_H_
