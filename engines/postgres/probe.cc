#include "engines/postgres/probe.h"

#include <algorithm>
#include <cstdlib>

#include "engines/postgres/connection.h"
#include "engines/postgres/sql/embedded.h"

namespace tpd::engines::postgres {
namespace {

bool IsTrue(const std::optional<std::string>& v) { return v && (*v == "t" || *v == "true" || *v == "on"); }

int64_t ToInt(const std::optional<std::string>& v) { return v ? std::atoll(v->c_str()) : 0; }

Status ReadInstance(Connection& conn, InstanceFacts& f) {
  const std::string_view sql = conn.server_version_num() >= 100000 ? sql::kInstance : sql::kInstancePre10;
  TPD_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql));
  if (r.rows.size() != 1) {
    return Status::Internal("probe: expected one row of instance facts, got " + std::to_string(r.rows.size()));
  }
  std::string full = r.Get(0, "server_version").value_or("");
  f.version = full.substr(0, full.find(' '));
  f.server_version_num = static_cast<int>(ToInt(r.Get(0, "server_version_num")));
  f.major = MajorFromVersionNum(f.server_version_num);
  f.wal_level = r.Get(0, "wal_level").value_or("");
  f.max_replication_slots = static_cast<int>(ToInt(r.Get(0, "max_replication_slots")));
  f.used_replication_slots = static_cast<int>(ToInt(r.Get(0, "used_replication_slots")));
  f.max_wal_senders = static_cast<int>(ToInt(r.Get(0, "max_wal_senders")));
  f.port = static_cast<int>(ToInt(r.Get(0, "port")));
  f.current_database = r.Get(0, "current_database").value_or("");
  f.current_user = r.Get(0, "current_user").value_or("");
  f.is_superuser = IsTrue(r.Get(0, "is_superuser"));
  f.has_replication_privilege = f.is_superuser || IsTrue(r.Get(0, "has_replication"));
  f.in_recovery = IsTrue(r.Get(0, "in_recovery"));
  f.database_size_bytes = ToInt(r.Get(0, "database_size_bytes"));
  f.data_directory = r.Get(0, "data_directory");
  f.current_wal_lsn = r.Get(0, "current_wal_lsn").value_or("");
  return Status::Ok();
}

Status ReadDatabases(Connection& conn, InstanceFacts& f) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql::kDatabases));
  f.total_size_bytes = 0;
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    DatabaseInfo d;
    d.name = r.Get(i, "datname").value_or("");
    d.allow_connections = IsTrue(r.Get(i, "allow_connections"));
    if (auto s = r.Get(i, "size_bytes")) {
      d.size_bytes = std::atoll(s->c_str());
      f.total_size_bytes += *d.size_bytes;
    }
    f.databases.push_back(std::move(d));
  }
  return Status::Ok();
}

Status ReadTables(Connection& conn, InstanceFacts& f) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql::kTablesWithoutPk));
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    TableWithoutPk t;
    t.schema = r.Get(i, "schema_name").value_or("");
    t.name = r.Get(i, "table_name").value_or("");
    auto ri = r.Get(i, "replica_identity").value_or("d");
    t.replica_identity = ri.empty() ? 'd' : ri[0];
    f.tables_without_primary_key.push_back(std::move(t));
  }
  return Status::Ok();
}

Status ReadExtensions(Connection& conn, InstanceFacts& f) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, conn.Query(sql::kExtensions));
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    f.extensions.push_back(ExtensionInfo{r.Get(i, "name").value_or(""), r.Get(i, "version").value_or(""),
                                         r.Get(i, "schema_name").value_or("")});
  }
  return Status::Ok();
}

}  // namespace

std::string MajorFromVersionNum(int num) {
  if (num >= 100000) return std::to_string(num / 10000);
  return std::to_string(num / 10000) + "." + std::to_string((num / 100) % 100);
}

std::vector<std::string> InstanceFacts::UnreplicableTables() const {
  std::vector<std::string> out;
  for (const auto& t : tables_without_primary_key) {
    if (!t.replicable()) out.push_back(t.QualifiedName());
  }
  return out;
}

bool InstanceFacts::HasExtension(const std::string& name) const {
  return std::any_of(extensions.begin(), extensions.end(), [&](const ExtensionInfo& e) { return e.name == name; });
}

std::vector<std::string> ReplicationBlockers(const InstanceFacts& f) {
  std::vector<std::string> out;
  if (f.server_version_num > 0 && f.server_version_num < 100000) {
    out.push_back("the server runs PostgreSQL " + f.version +
                  ", older than 10: logical replication (publications and subscriptions) needs 10 or newer; "
                  "use dump_restore or in_place instead");
  }
  if (f.wal_level != "logical") {
    out.push_back("wal_level is '" + f.wal_level +
                  "', not 'logical': set wal_level = logical in postgresql.conf and restart the server");
  }
  if (f.in_recovery && f.server_version_num < 160000) {
    out.push_back("the server is a standby (in recovery): logical replication must read from the primary");
  }
  if (f.max_wal_senders <= 0) {
    out.push_back("max_wal_senders is 0: set it to at least 1 (e.g. 10) and restart the server");
  }
  if (f.max_replication_slots - f.used_replication_slots <= 0) {
    out.push_back("no free replication slot (max_replication_slots = " + std::to_string(f.max_replication_slots) +
                  ", " + std::to_string(f.used_replication_slots) +
                  " in use): raise max_replication_slots and restart, or drop an unused slot");
  }
  auto bad = f.UnreplicableTables();
  if (!bad.empty()) {
    std::string names;
    const std::size_t shown = std::min<std::size_t>(bad.size(), 20);
    for (std::size_t i = 0; i < shown; ++i) {
      if (i) names += ", ";
      names += bad[i];
    }
    if (bad.size() > shown) names += " and " + std::to_string(bad.size() - shown) + " more";
    out.push_back("tables without a primary key or REPLICA IDENTITY FULL cannot replicate UPDATE and DELETE: " +
                  names + "; add a primary key or run ALTER TABLE <table> REPLICA IDENTITY FULL");
  }
  if (!f.has_replication_privilege) {
    out.push_back("role \"" + f.current_user + "\" lacks the REPLICATION privilege: run ALTER ROLE " +
                  QuoteIdent(f.current_user) + " REPLICATION as a superuser, or connect as a superuser");
  }
  return out;
}

Result<InstanceFacts> Probe(Connection& conn) {
  InstanceFacts f;
  TPD_RETURN_IF_ERROR(ReadInstance(conn, f).WithContext("probe instance"));
  TPD_RETURN_IF_ERROR(ReadDatabases(conn, f).WithContext("probe databases"));
  TPD_RETURN_IF_ERROR(ReadTables(conn, f).WithContext("probe tables"));
  TPD_RETURN_IF_ERROR(ReadExtensions(conn, f).WithContext("probe extensions"));
  f.replication_blockers = ReplicationBlockers(f);
  f.replication_ready = f.replication_blockers.empty();
  return f;
}

}  // namespace tpd::engines::postgres
