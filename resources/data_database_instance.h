// Data source "database_instance": probes a running database server and reports its version, size,
// settings and readiness for each upgrade strategy.
//
//   data "database_instance" "old" {
//     engine   = "postgresql"
//     url      = "postgresql://postgres@db.example.com:5432/app"
//     password = var.db_password
//   }
//
// Inputs: engine (required; only "postgresql" is supported for now), url (required), password
// (optional, sensitive). Outputs (all computed): id, version, major_version, size_bytes,
// database_size_bytes, wal_level, tables_without_primary_key, extensions (map name -> version),
// replication_ready, replication_blockers, data_directory, in_place_ready, in_place_blockers.
//
// Read validates every input before touching a server; then connects once (libpq), probes, and
// closes. Errors become diagnostics on the attribute at fault (resources/diagnostics.h): a malformed
// URL or an unreachable server on `url`, refused credentials on `password`, an unsupported engine on
// `engine`. No message or log line contains the password.
//
// Thread-safety: the returned object is stateless; Read may run concurrently.
#ifndef TPD_RESOURCES_DATA_DATABASE_INSTANCE_H_
#define TPD_RESOURCES_DATA_DATABASE_INSTANCE_H_

#include <memory>

#include "resources/resource.h"

namespace tpd::resources {

// Type name "database_instance". The caller (provider/registry.cc) owns the result.
std::unique_ptr<DataSource> NewDatabaseInstanceDataSource();

// The data source's schema (version 0). The reference lives for the whole process.
const schema::Schema& DatabaseInstanceSchema();

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_DATA_DATABASE_INSTANCE_H_
