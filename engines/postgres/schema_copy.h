// Schema copy: the schema of ONE database from a source server to a target server, and a schema
// diff between two servers.
//
// How (fast and exact, the way pg_dump documents it):
//   DumpSchema        pg_dump -Fc --schema-only of the source database into a file (tools.h:
//                     pg_dump major >= the source's major).
//   RestorePreData    pg_restore --section=pre-data --single-transaction --exit-on-error into the
//                     target: schemas, extensions (CREATE EXTENSION as the dump says), types,
//                     functions, tables, sequences, views, comments, ownership, grants. All or
//                     nothing: on error nothing of it stays on the target.
//   RestorePostData   pg_restore --section=post-data -j <jobs> --exit-on-error: indexes, primary
//                     keys/unique constraints, foreign keys, triggers, rules. pg_restore orders the
//                     items by their dependencies (PK/unique before the FKs that need them) and runs
//                     independent ones on `jobs` connections in parallel; each session runs with
//                     maintenance_work_mem = SchemaCopyOptions::maintenance_work_mem (PGOPTIONS).
//   CopyRoles         roles the dump may need: every login/group role of the source (not pg_*)
//                     that does not exist on the target is created with the source's attributes,
//                     password hash (md5/SCRAM hashes are portable) and memberships. Roles that
//                     already exist on the target (including the bootstrap superuser) are never
//                     altered: their attributes and password stay as they are.
//   CheckExtensionsAvailable  every extension installed in the source database is available on the
//                     target server (pg_available_extensions), checked before changing anything.
//
// pg_restore is the newest one found with major >= the source's (it emits plain SQL that newer
// servers accept). Passwords reach the tools through their environment only.
//
// Thread-safety: all functions are thread-safe; Connection arguments are used by this thread only
// for the duration of the call. Everything blocks.
#ifndef TPD_ENGINES_POSTGRES_SCHEMA_COPY_H_
#define TPD_ENGINES_POSTGRES_SCHEMA_COPY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/postgres/conninfo.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

class Connection;

struct SchemaCopyOptions {
  // --- behaviour ---
  // Source server major (e.g. 13): pg_dump/pg_restore must be >= it. 0 = probe the source.
  int source_major = 0;
  // Directories searched first for pg_dump/pg_restore (provider `tool_paths`).
  std::vector<std::string> tool_paths;
  // Borrowed; true -> the running tool is killed and Cancelled returned. nullptr = not used.
  const std::atomic<bool>* cancel_flag = nullptr;
  // Kill a tool after this long (Cancelled). Zero = no limit.
  std::chrono::milliseconds timeout{0};
  // --- performance ---
  // Parallel pg_restore jobs for post-data (>= 1).
  int jobs = 1;
  // maintenance_work_mem for index builds in RestorePostData sessions, e.g. "512MB".
  std::string maintenance_work_mem = "256MB";
};

// Writes `pg_dump -Fc --schema-only` of the database of `source` to `path` (replaced if present;
// written under path + ".partial" then renamed). Blocks.
// Errors: NotFound (no suitable pg_dump), Unavailable, Cancelled, Internal (tool failed: exit code
// and redacted stderr tail).
Status DumpSchema(const ConnInfo& source, const std::string& path, const SchemaCopyOptions& options);

// Applies the pre-data section of the schema dump at `path` to the database of `target`, in one
// transaction. Errors: NotFound (tool), Cancelled, Internal (pg_restore failed; nothing applied).
// REQUIRES: the objects of the dump do not exist on the target yet (see dump_restore precheck).
Status RestorePreData(const ConnInfo& target, const std::string& path, const SchemaCopyOptions& options);

// Applies the post-data section (indexes, constraints, triggers) with options.jobs parallel
// sessions. Run it after the data is loaded (building indexes once is much faster than
// maintaining them row by row). Errors as RestorePreData; on error part of the indexes may exist
// (re-running after dropping them, or dump_restore's undo, clears them).
Status RestorePostData(const ConnInfo& target, const std::string& path, const SchemaCopyOptions& options);

// DumpSchema into `path`, then RestorePreData and RestorePostData: the whole schema, no data (for
// logical replication, whose initial sync fills the tables).
Status CopySchema(const ConnInfo& source, const ConnInfo& target, const std::string& path,
                  const SchemaCopyOptions& options);

struct RoleCopyReport {
  std::vector<std::string> created;  // roles created on the target
  std::vector<std::string> skipped;  // roles that already existed on the target (left untouched)
};

// Creates on `target` the roles of `source` that are missing there, as described above, plus the
// memberships between roles (GRANT r TO m) where both exist on the target. Both connections must be
// superusers to copy password hashes (without pg_authid access roles are created without password).
// Errors: FailedPrecondition (not allowed to create roles), Unavailable, Internal.
Result<RoleCopyReport> CopyRoles(Connection& source, Connection& target);

// Drops the named roles on `target` (undo of CopyRoles; roles that no longer exist are ignored).
Status DropRoles(Connection& target, const std::vector<std::string>& roles);

// OK when every extension installed in the source connection's database is available on the target
// server; FailedPrecondition "extensions not available on the target server: postgis 3.4 ..." otherwise.
Status CheckExtensionsAvailable(Connection& source, Connection& target);

// --- helpers shared by backup.cc and dump_restore.cc ---

// The server major of `conn` (e.g. 13 for 130023; 9 for 9.6). Connects once. Errors of Connect.
Result<int> ProbeServerMajor(const ConnInfo& conn, const std::atomic<bool>* cancel_flag = nullptr);

// Runs the PostgreSQL client tool `name` (pg_dump, pg_dumpall, pg_restore) with major >= min_major
// (tools.h FindTool over tool_paths, $PATH, /usr/lib/postgresql/N/bin) and the arguments `args`.
// `conn`'s password goes to the child's environment (PGPASSWORD); `extra_env` is added (e.g.
// PGOPTIONS). The redacted command line is logged at info. Returns the tool's version text.
// Errors: NotFound (tool), Cancelled (flag or timeout), Internal (non-zero exit: code and redacted
// stderr tail).
Result<std::string> RunPgTool(std::string_view name, int min_major, const std::vector<std::string>& tool_paths,
                              const std::vector<std::string>& args, const ConnInfo& conn,
                              const std::vector<std::pair<std::string, std::string>>& extra_env,
                              const std::atomic<bool>* cancel_flag, std::chrono::milliseconds timeout);

// --- schema diff (used to detect DDL run on the source while replicating) ---

// One column of a user table (schemas other than pg_catalog, information_schema, pg_toast*, and
// objects that are not members of an extension).
struct ColumnShape {
  std::string schema;
  std::string table;
  std::string column;
  std::string type;   // format_type(atttypid, atttypmod), e.g. "character varying(20)"
  bool not_null = false;
};

// The shape of the user tables of one database: tables (regular and partitioned; relkind r/p) and
// their columns, sorted by schema, table, column position.
struct SchemaShape {
  std::vector<std::string> tables;    // "schema.table", sorted
  std::vector<ColumnShape> columns;   // sorted by schema, table, then column number
};

// Reads the shape of the connection's database. Errors: Unavailable, Internal.
Result<SchemaShape> ReadSchemaShape(Connection& conn);

// Differences of `target` relative to `source`, one human-readable line each, sorted, e.g.
//   "table public.orders: missing on target"
//   "table public.audit: only on target"
//   "column public.orders.note: missing on target"
//   "column public.orders.qty: type integer on source, bigint on target"
//   "column public.orders.qty: NOT NULL on source only"
// Empty when equal. Pure.
std::vector<std::string> DiffSchemaShapes(const SchemaShape& source, const SchemaShape& target);

// A hex digest (md5) of ReadSchemaShape's result: equal digests = equal shapes. Cheap way to notice
// that DDL ran between two moments on one server. Errors as ReadSchemaShape.
Result<std::string> SchemaFingerprint(Connection& conn);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_SCHEMA_COPY_H_
