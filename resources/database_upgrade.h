// Resource "database_upgrade": plans and applies a database version upgrade (PostgreSQL for now).
//
//   resource "database_upgrade" "main" {
//     engine         = "postgresql"
//     target_version = "17"
//     source { url = "postgresql://postgres@old:5432/app"  password = var.old_password }
//     target { url = "postgresql://postgres@new:5432/app"  password = var.new_password }
//   }
//
// Lifecycle (SPEC.md "resource database_upgrade"):
//  - Plan probes the server to upgrade (source on create, the active server on an update), probes
//    the target server and the host's tools, and asks planner::Decide; the plan shows
//    current_version, planned_strategy, upgrade_path, estimated_downtime_seconds, decision and
//    data_size_bytes. Unknown inputs give unknown values. A downgrade, a forced strategy that cannot
//    run, or nothing within max_downtime is an error on the attribute at fault. The computed
//    values are kept in the plan cache (plan_cache.h) so Terraform's apply-time re-plan reproduces
//    them exactly. An existing resource whose active server satisfies target_version and whose
//    configuration did not change plans no change.
//  - Apply re-probes, re-checks the planned strategy (error at step "precheck" when it can no longer
//    run; nothing changed), runs engines::postgres::RunUpgrade and records active_url, backup_path,
//    measured_downtime_seconds, verification, completed_at. planned_strategy "none" records state
//    without touching anything. A failed create saves no state; a failed update keeps the prior.
//  - Read probes the active server: current_version and data_size_bytes follow reality;
//    unreachable -> warning, state kept.
//  - Delete forgets (touches no database). Import by the source URL without password.
// No diagnostic or log line contains a password (every diagnostic passes RedactSecrets).
//
// Thread-safety: the object is stateless; every method may run concurrently.
#ifndef TPD_RESOURCES_DATABASE_UPGRADE_H_
#define TPD_RESOURCES_DATABASE_UPGRADE_H_

#include <memory>

#include "resources/resource.h"

namespace tpd::resources {

// Type name "database_upgrade". The caller (provider/registry.cc) owns the result.
std::unique_ptr<Resource> NewDatabaseUpgradeResource();

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_DATABASE_UPGRADE_H_
