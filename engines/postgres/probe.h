// Probe: facts about a running PostgreSQL server, read through one connection.
//
// The facts feed the planner (planner/ decides; this file only reports) and the data source
// `database_instance`. Catalog queries live in engines/postgres/sql/*.sql (embedded at build time);
// the variant is chosen from the server version.
//
// Database-scoped facts (tables without primary key, extensions, database_size_bytes) are about the
// database the connection is attached to; instance-wide facts cover the whole server.
#ifndef TPD_ENGINES_POSTGRES_PROBE_H_
#define TPD_ENGINES_POSTGRES_PROBE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schema/status.h"

namespace tpd::engines::postgres {

class Connection;

struct ExtensionInfo {
  std::string name;     // "plpgsql"
  std::string version;  // "1.0"
  std::string schema;   // "pg_catalog"
};

struct DatabaseInfo {
  std::string name;
  bool allow_connections = true;
  // pg_database_size; nullopt when the connected role may not connect to it.
  std::optional<int64_t> size_bytes;
};

// A user table without a primary key.
struct TableWithoutPk {
  std::string schema;
  std::string name;
  // pg_class.relreplident: 'd' default, 'n' nothing, 'f' full, 'i' index.
  char replica_identity = 'd';

  // "schema.name" (unquoted, for messages).
  std::string QualifiedName() const { return schema + "." + name; }
  // Logical replication can carry UPDATE/DELETE of this table (REPLICA IDENTITY FULL or USING INDEX).
  bool replicable() const { return replica_identity == 'f' || replica_identity == 'i'; }
  bool replica_identity_full() const { return replica_identity == 'f'; }
};

struct InstanceFacts {
  // --- version ---
  std::string version;         // "13.23", "17.2", "9.6.24" (first word of server_version)
  int server_version_num = 0;  // 130023, 170002, 90624
  std::string major;           // "13", "17"; "9.6" for pre-10 servers
  int port = 0;                // the server's configured port

  // --- where we are ---
  std::string current_database;
  std::string current_user;
  bool is_superuser = false;
  // rolreplication, or superuser (which implies it).
  bool has_replication_privilege = false;
  bool in_recovery = false;  // a standby
  // Readable only by superusers / pg_read_all_settings members; nullopt otherwise.
  std::optional<std::string> data_directory;
  // pg_current_wal_lsn() as text ("0/16B3748"); empty on a standby.
  std::string current_wal_lsn;

  // --- sizes ---
  int64_t database_size_bytes = 0;  // current database
  int64_t total_size_bytes = 0;     // sum over non-template databases the role can connect to
  std::vector<DatabaseInfo> databases;

  // --- replication settings ---
  std::string wal_level;  // "replica", "logical", "minimal"
  int max_replication_slots = 0;
  int used_replication_slots = 0;
  int max_wal_senders = 0;

  // --- current database contents ---
  std::vector<TableWithoutPk> tables_without_primary_key;
  std::vector<ExtensionInfo> extensions;

  // --- verdicts (computed from the facts above by ReplicationBlockers) ---
  // True when logical replication from this server (current database) can start as is.
  bool replication_ready = false;
  // Plain-English reasons why not, each saying what to do; empty when ready.
  std::vector<std::string> replication_blockers;

  // Tables without primary key whose replica identity is neither FULL nor USING INDEX.
  std::vector<std::string> UnreplicableTables() const;
  // True if an extension named `name` is installed in the current database.
  bool HasExtension(const std::string& name) const;
};

// Reads all facts. Blocks on a few catalog queries (milliseconds on small catalogs).
// REQUIRES: `conn` is connected and not in a COPY. Borrowed for the call only.
// Errors: those of Connection::Query (Unavailable when the connection drops, Cancelled, ...);
// Internal if the server answers in an unexpected shape. Missing privileges do not fail the probe:
// the affected facts stay empty/nullopt as documented above.
Result<InstanceFacts> Probe(Connection& conn);

// The replication verdict for `facts` (already filled by Probe; exposed for unit tests). Reasons:
//   - server older than 10 (no publications/subscriptions);
//   - wal_level is not logical ("set wal_level = logical in postgresql.conf and restart the server");
//   - a standby before 16 (logical decoding needs a primary);
//   - max_wal_senders is 0, or no free replication slot;
//   - tables without primary key or REPLICA IDENTITY FULL (names listed, up to 20 then "and N more");
//   - the role is neither superuser nor has REPLICATION.
std::vector<std::string> ReplicationBlockers(const InstanceFacts& facts);

// "13" for 130023, "9.6" for 90624.
std::string MajorFromVersionNum(int server_version_num);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_PROBE_H_
