// Schema of resource "database_upgrade" (SPEC.md, "resource database_upgrade"), as code.
//
// Not registered with the provider yet: the resource type is added to provider/registry.cc by the
// issue that gives it behaviour. Until then this schema is unit-tested on its own.
//
// Thread-safety: pure functions.
#ifndef TPD_RESOURCES_DATABASE_UPGRADE_SCHEMA_H_
#define TPD_RESOURCES_DATABASE_UPGRADE_SCHEMA_H_

#include <cstdint>

#include "schema/diagnostics.h"
#include "schema/schema.h"
#include "schema/value.h"

namespace tpd::resources {

// The current state schema version of database_upgrade. Bump it together with a new
// DatabaseUpgradeSchemaV<N> and an upgrader from the previous version.
inline constexpr int64_t kDatabaseUpgradeSchemaVersion = 0;

// Values of `strategy` / `planned_strategy`. Persisted: never rename.
inline constexpr char kStrategyAuto[] = "auto";
inline constexpr char kStrategyDumpRestore[] = "dump_restore";
inline constexpr char kStrategyReplication[] = "replication";
inline constexpr char kStrategyInPlace[] = "in_place";

// Version 0 of the schema: arguments engine (requires replace), target_version, strategy,
// max_downtime; blocks source (required), target, backup, cutover, verify, timeouts; computed
// current_version, planned_strategy, upgrade_path, estimated_downtime_seconds, decision,
// data_size_bytes, active_url, backup_path, measured_downtime_seconds, verification, completed_at, id.
// Returns a fresh value (attribute validators included); callers cache it.
schema::Schema DatabaseUpgradeSchemaV0();

// Cross-attribute checks the attribute validators cannot make, for Resource::ValidateConfig:
//  - target_version syntax for the configured engine (CheckVersionForEngine) -> target_version;
//  - source.url / target.url schemes for the engine (CheckUrlForEngine) -> the url;
//  - a password inside a URL -> warning on that url;
//  - strategy "in_place" needs source.data_dir, target.data_dir and target.bin_dir;
//    "dump_restore" and "replication" need target.url -> error on the missing attribute.
// Unknown or null values are skipped (config may contain unknowns anywhere), and so are values that
// fail their own attribute validator (the framework reports those). Appends to `diags`.
// REQUIRES: config is null or an object of DatabaseUpgradeSchemaV0().block.ImpliedType();
// diags != nullptr.
void ValidateDatabaseUpgradeConfig(const schema::Value& config, schema::Diagnostics* diags);

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_DATABASE_UPGRADE_SCHEMA_H_
