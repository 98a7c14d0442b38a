#include "engines/postgres/schema_copy.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "engines/postgres/connection.h"
#include "engines/postgres/tools.h"
#include "engines/process.h"
#include "provider/log.h"

namespace tpd::engines::postgres {

namespace {

constexpr std::string_view kUserSchemaFilter = R"sql(
  n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))sql";

Result<int> MajorOf(int source_major, const ConnInfo& conn, const std::atomic<bool>* cancel) {
  if (source_major > 0) return source_major;
  return ProbeServerMajor(conn, cancel);
}

std::string RestoreArgsDb(const ConnInfo& target) { return "--dbname=" + target.ToLibpqConnString(); }

}  // namespace

Result<int> ProbeServerMajor(const ConnInfo& conn, const std::atomic<bool>* cancel_flag) {
  ConnectOptions o;
  o.cancel_flag = cancel_flag;
  TPD_ASSIGN_OR_RETURN(auto c, Connection::Connect(conn, o));
  int num = c->server_version_num();
  return num / 10000;  // 130023 -> 13; 90624 -> 9
}

Result<std::string> RunPgTool(std::string_view name, int min_major, const std::vector<std::string>& tool_paths,
                              const std::vector<std::string>& args, const ConnInfo& conn,
                              const std::vector<std::pair<std::string, std::string>>& extra_env,
                              const std::atomic<bool>* cancel_flag, std::chrono::milliseconds timeout) {
  ToolSearchOptions so;
  so.tool_paths = tool_paths;
  if (min_major > 0) so.min_major = min_major;
  TPD_ASSIGN_OR_RETURN(ToolInfo tool, FindTool(name, so));
  ProcessOptions po;
  po.argv.push_back(tool.path);
  po.argv.insert(po.argv.end(), args.begin(), args.end());
  po.env = conn.PasswordEnv();
  po.env.insert(po.env.end(), extra_env.begin(), extra_env.end());
  po.env_remove = {"PGPASSWORD", "PGDATABASE", "PGHOST", "PGPORT", "PGUSER", "PGOPTIONS"};
  po.cancel_flag = cancel_flag;
  po.timeout = timeout;
  po.max_stdout_bytes = 64u * 1024 * 1024;
  log::Info("running " + FormatCommandLine(po.argv), {{"tool", tool.name}, {"version", tool.version.text}});
  auto r = RunProcess(po);
  if (!r.ok()) return r.status();
  return tool.version.text;
}

Status DumpSchema(const ConnInfo& source, const std::string& path, const SchemaCopyOptions& options) {
  TPD_ASSIGN_OR_RETURN(int major, MajorOf(options.source_major, source, options.cancel_flag));
  std::string partial = path + ".partial";
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  auto r = RunPgTool("pg_dump", major, options.tool_paths,
                     {"--format=custom", "--schema-only", "--file=" + partial, "--dbname=" + source.ToLibpqConnString()},
                     source, {}, options.cancel_flag, options.timeout);
  if (!r.ok()) {
    std::filesystem::remove(partial, ec);
    return r.status().WithContext("schema dump of " + source.Redacted());
  }
  std::filesystem::rename(partial, path, ec);
  if (ec) return Status::Internal("cannot rename " + partial + ": " + ec.message());
  return Status::Ok();
}

Status RestorePreData(const ConnInfo& target, const std::string& path, const SchemaCopyOptions& options) {
  int major = std::max(options.source_major, 0);
  auto r = RunPgTool("pg_restore", major, options.tool_paths,
                     {"--section=pre-data", "--single-transaction", "--exit-on-error", RestoreArgsDb(target), path},
                     target, {}, options.cancel_flag, options.timeout);
  if (!r.ok()) return r.status().WithContext("restore of the schema (pre-data) into " + target.Redacted());
  return Status::Ok();
}

Status RestorePostData(const ConnInfo& target, const std::string& path, const SchemaCopyOptions& options) {
  int major = std::max(options.source_major, 0);
  std::vector<std::string> args = {"--section=post-data", "--exit-on-error",
                                   "--jobs=" + std::to_string(std::max(1, options.jobs)), RestoreArgsDb(target), path};
  std::vector<std::pair<std::string, std::string>> env;
  if (!options.maintenance_work_mem.empty()) {
    env.emplace_back("PGOPTIONS", "-c maintenance_work_mem=" + options.maintenance_work_mem +
                                      " -c synchronous_commit=off");
  }
  auto r = RunPgTool("pg_restore", major, options.tool_paths, args, target, env, options.cancel_flag, options.timeout);
  if (!r.ok()) return r.status().WithContext("restore of indexes and constraints (post-data) into " + target.Redacted());
  return Status::Ok();
}

Status CopySchema(const ConnInfo& source, const ConnInfo& target, const std::string& path,
                  const SchemaCopyOptions& options) {
  SchemaCopyOptions o = options;
  if (o.source_major <= 0) {
    TPD_ASSIGN_OR_RETURN(o.source_major, ProbeServerMajor(source, options.cancel_flag));
  }
  TPD_RETURN_IF_ERROR(DumpSchema(source, path, o));
  TPD_RETURN_IF_ERROR(RestorePreData(target, path, o));
  return RestorePostData(target, path, o);
}

Result<RoleCopyReport> CopyRoles(Connection& source, Connection& target) {
  constexpr std::string_view kWithPassword = R"sql(
SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text, a.rolpassword
FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid
WHERE r.rolname !~ '^pg_' ORDER BY 1)sql";
  constexpr std::string_view kWithoutPassword = R"sql(
SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::text, NULL::text
FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY 1)sql";
  auto roles = source.Query(kWithPassword);
  if (!roles.ok()) {
    if (!roles.status().IsFailedPrecondition()) return roles.status();
    roles = source.Query(kWithoutPassword);
    if (!roles.ok()) return roles.status();
  }
  TPD_ASSIGN_OR_RETURN(QueryResult existing, target.Query("SELECT rolname FROM pg_roles"));
  std::set<std::string> have;
  for (const auto& row : existing.rows) have.insert(row[0].value_or(""));

  RoleCopyReport report;
  for (const auto& row : roles->rows) {
    std::string name = row[0].value_or("");
    if (have.count(name)) {
      report.skipped.push_back(name);
      continue;
    }
    auto flag = [&](size_t i, const char* yes, const char* no) { return std::string(" ") + (row[i] == "t" ? yes : no); };
    std::string sql = "CREATE ROLE " + QuoteIdent(name) + " WITH" + flag(1, "SUPERUSER", "NOSUPERUSER") +
                      flag(2, "INHERIT", "NOINHERIT") + flag(3, "CREATEROLE", "NOCREATEROLE") +
                      flag(4, "CREATEDB", "NOCREATEDB") + flag(5, "LOGIN", "NOLOGIN") +
                      flag(6, "REPLICATION", "NOREPLICATION") + flag(7, "BYPASSRLS", "NOBYPASSRLS") +
                      " CONNECTION LIMIT " + row[8].value_or("-1");
    if (row[9]) {
      TPD_ASSIGN_OR_RETURN(std::string lit, target.QuoteLiteral(*row[9]));
      sql += " VALID UNTIL " + lit;
    }
    if (row[10]) {
      TPD_ASSIGN_OR_RETURN(std::string lit, target.QuoteLiteral(*row[10]));
      sql += " PASSWORD " + lit;  // already a hash (md5/SCRAM): stored as is
    }
    Status st = target.Exec(sql);
    if (!st.ok()) return st.WithContext("create role " + name + " on the target");
    report.created.push_back(name);
  }
  if (!report.created.empty()) {
    std::set<std::string> created(report.created.begin(), report.created.end());
    TPD_ASSIGN_OR_RETURN(QueryResult members, source.Query(R"sql(
SELECT r.rolname, m.rolname, am.admin_option
FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
WHERE r.rolname !~ '^pg_' OR m.rolname !~ '^pg_')sql"));
    for (const auto& row : members.rows) {
      std::string role = row[0].value_or(""), member = row[1].value_or("");
      if (!created.count(role) && !created.count(member)) continue;  // never touch existing pairs
      std::string sql = "GRANT " + QuoteIdent(role) + " TO " + QuoteIdent(member);
      if (row[2] == "t") sql += " WITH ADMIN OPTION";
      Status st = target.Exec(sql);
      if (!st.ok()) log::Warn("could not copy role membership " + role + " -> " + member + ": " + st.message());
    }
  }
  return report;
}

Status DropRoles(Connection& target, const std::vector<std::string>& roles) {
  for (auto it = roles.rbegin(); it != roles.rend(); ++it) {
    TPD_RETURN_IF_ERROR(target.Exec("DROP ROLE IF EXISTS " + QuoteIdent(*it)));
  }
  return Status::Ok();
}

Status CheckExtensionsAvailable(Connection& source, Connection& target) {
  TPD_ASSIGN_OR_RETURN(QueryResult src, source.Query("SELECT extname, extversion FROM pg_extension ORDER BY 1"));
  TPD_ASSIGN_OR_RETURN(QueryResult avail, target.Query("SELECT name FROM pg_available_extensions"));
  std::set<std::string> have;
  for (const auto& row : avail.rows) have.insert(row[0].value_or(""));
  std::string missing;
  for (const auto& row : src.rows) {
    if (have.count(row[0].value_or(""))) continue;
    if (!missing.empty()) missing += ", ";
    missing += row[0].value_or("") + " " + row[1].value_or("");
  }
  if (!missing.empty()) {
    return Status::FailedPrecondition("extensions not available on the target server " + target.conninfo().Endpoint() +
                                      ": " + missing + " (install their packages there first)");
  }
  return Status::Ok();
}

Result<SchemaShape> ReadSchemaShape(Connection& conn) {
  SchemaShape shape;
  TPD_ASSIGN_OR_RETURN(QueryResult tables,
                       conn.Query(std::string("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON "
                                              "n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND ") +
                                  std::string(kUserSchemaFilter) + " ORDER BY 1, 2"));
  for (const auto& row : tables.rows) shape.tables.push_back(row[0].value_or("") + "." + row[1].value_or(""));
  TPD_ASSIGN_OR_RETURN(
      QueryResult cols,
      conn.Query(std::string("SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
                             "a.attnotnull FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                             "WHERE c.relkind IN ('r','p') AND ") +
                 std::string(kUserSchemaFilter) + " ORDER BY 1, 2, a.attnum"));
  for (const auto& row : cols.rows) {
    ColumnShape c;
    c.schema = row[0].value_or("");
    c.table = row[1].value_or("");
    c.column = row[2].value_or("");
    c.type = row[3].value_or("");
    c.not_null = row[4] == "t";
    shape.columns.push_back(std::move(c));
  }
  return shape;
}

std::vector<std::string> DiffSchemaShapes(const SchemaShape& source, const SchemaShape& target) {
  std::vector<std::string> out;
  std::set<std::string> st(source.tables.begin(), source.tables.end());
  std::set<std::string> tt(target.tables.begin(), target.tables.end());
  for (const auto& t : st) {
    if (!tt.count(t)) out.push_back("table " + t + ": missing on target");
  }
  for (const auto& t : tt) {
    if (!st.count(t)) out.push_back("table " + t + ": only on target");
  }
  auto key = [](const ColumnShape& c) { return c.schema + "." + c.table + "." + c.column; };
  std::map<std::string, const ColumnShape*> sc, tc;
  for (const auto& c : source.columns) sc[key(c)] = &c;
  for (const auto& c : target.columns) tc[key(c)] = &c;
  for (const auto& [k, c] : sc) {
    if (!tt.count(c->schema + "." + c->table)) continue;  // reported as a table
    auto it = tc.find(k);
    if (it == tc.end()) {
      out.push_back("column " + k + ": missing on target");
      continue;
    }
    if (it->second->type != c->type) {
      out.push_back("column " + k + ": type " + c->type + " on source, " + it->second->type + " on target");
    }
    if (it->second->not_null != c->not_null) {
      out.push_back("column " + k + ": NOT NULL on " + std::string(c->not_null ? "source" : "target") + " only");
    }
  }
  for (const auto& [k, c] : tc) {
    if (!st.count(c->schema + "." + c->table)) continue;
    if (!sc.count(k)) out.push_back("column " + k + ": only on target");
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> SchemaFingerprint(Connection& conn) {
  TPD_ASSIGN_OR_RETURN(SchemaShape shape, ReadSchemaShape(conn));
  std::string text;
  for (const auto& t : shape.tables) text += "T " + t + "\n";
  for (const auto& c : shape.columns) {
    text += "C " + c.schema + "." + c.table + "." + c.column + " " + c.type + (c.not_null ? " NN" : "") + "\n";
  }
  return conn.QueryString("SELECT md5($1)", {text});
}

}  // namespace tpd::engines::postgres
