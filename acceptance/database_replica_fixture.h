// Shared set-up of the database_replica acceptance tests (header-only; included by
// acceptance/database_replica_*_test.cc): a PostgreSQL 13 source with wal_level = logical, a
// PostgreSQL 17 target, the resource's configuration as Terraform would send it, and polling.
#ifndef TPD_ACCEPTANCE_DATABASE_REPLICA_FIXTURE_H_
#define TPD_ACCEPTANCE_DATABASE_REPLICA_FIXTURE_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "acceptance/acc_util.h"
#include "acceptance/client.h"
#include "tests/support/pg_server.h"

namespace tpd::acceptance::replica {

using schema::Value;
using testsupport::PgServer;
using testsupport::PgServerOptions;

inline constexpr char kType[] = "database_replica";
inline constexpr char kDb[] = "app";

struct Servers {
  std::unique_ptr<PgServer> source;  // PostgreSQL 13, wal_level = logical
  std::unique_ptr<PgServer> target;  // PostgreSQL 17
};

inline std::unique_ptr<PgServer> StartServer(int major, bool logical, const std::string& password) {
  PgServerOptions o;
  o.major = major;
  o.password = password;
  if (logical) o.settings.push_back({"wal_level", "logical"});
  auto s = PgServer::Start(o);
  INFO("PostgreSQL " << major << ": " << s.status().ToString());
  REQUIRE(s.ok());
  std::unique_ptr<PgServer> server = std::move(s).value();
  Status st = server->Exec(std::string("CREATE DATABASE ") + kDb);
  INFO(st.ToString());
  REQUIRE(st.ok());
  return server;
}

// Source 13 (logical) and target 17, each with an empty database "app".
inline Servers StartServers() {
  Servers s;
  s.source = StartServer(13, /*logical=*/true, "src-Secr3t-13");
  s.target = StartServer(17, /*logical=*/false, "dst-Secr3t-17");
  return s;
}

inline std::string UrlOf(const PgServer& pg) {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(pg.port()) + "/" + kDb;
}

// The resource schema as the provider serves it (fetched once per process).
inline const schema::Schema& ReplicaSchema() {
  static const schema::Schema kSchema = [] {
    Harness h = StartProvider(LaunchFor(6));
    auto it = h.client->schemas().resources.find(kType);
    INFO("the provider does not serve " << kType << " (is it registered in provider/registry.cc?)");
    REQUIRE(it != h.client->schemas().resources.end());
    schema::Schema s = it->second;
    h.process->Shutdown();
    return s;
  }();
  return kSchema;
}

inline Value ServerBlock(const char* name, const PgServer& pg) {
  const schema::Type t = ReplicaSchema().block.FindBlock(name)->block.ImpliedType();
  return Value::Object(t, {{"url", Value::String(UrlOf(pg))}, {"password", Value::String(pg.password())}});
}

// resource "database_replica" { engine, source, target, promote, tables }.
inline Value ReplicaConfig(const Servers& s, bool promote, std::optional<std::vector<std::string>> tables = {}) {
  std::map<std::string, Value> attrs = {
      {"engine", Value::String("postgresql")},
      {"source", ServerBlock("source", *s.source)},
      {"target", ServerBlock("target", *s.target)},
      {"promote", Value::Bool(promote)},
  };
  if (tables) attrs["tables"] = Value::StringList(*tables);
  return Value::Object(ReplicaSchema().block.ImpliedType(), std::move(attrs));
}

inline Terraform MakeTerraform(int protocol = 6) {
  TerraformOptions o;
  o.launch = LaunchFor(protocol);
  return Terraform(o);
}

// One integer from `sql` in database "app" of `pg`; -1 on error (with the error in the test log).
inline int64_t QueryInt(const PgServer& pg, const std::string& sql) {
  auto r = pg.Query(sql, kDb);
  if (!r.ok()) {
    UNSCOPED_INFO("query failed: " << r.status().ToString());
    return -1;
  }
  if (r->rows.empty() || r->rows[0].empty() || !r->rows[0][0]) return -1;
  return std::stoll(*r->rows[0][0]);
}

// Polls `cond` every 200 ms until it holds or `limit` passes.
inline bool WaitFor(const std::function<bool()>& cond, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return cond();
}

inline std::string Str(const Value& obj, const char* attr) {
  const Value& v = obj.GetAttr(attr);
  if (v.IsNull() || !v.IsKnown()) return "";
  return v.AsString();
}

// Objects of replica `name` ("tpd_r...") left on either server: slots and publications on the
// source, subscriptions on the target (when `target` is given).
inline int64_t LeftoversOnSource(const PgServer& source, const std::string& name) {
  return QueryInt(source, "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '" + name +
                              "%') + (SELECT count(*) FROM pg_publication WHERE pubname = '" + name + "')");
}
inline int64_t SubscriptionsOnTarget(const PgServer& target, const std::string& name) {
  return QueryInt(target, "SELECT count(*) FROM pg_subscription WHERE subname = '" + name + "'");
}

// The walk succeeded without any Terraform-core error; prints everything otherwise.
#define TPD_REQUIRE_WALK_OK(walk)            \
  do {                                       \
    INFO((walk).Describe());                 \
    REQUIRE_FALSE((walk).HasError());        \
    REQUIRE((walk).core_errors.empty());     \
  } while (0)

}  // namespace tpd::acceptance::replica

#endif  // TPD_ACCEPTANCE_DATABASE_REPLICA_FIXTURE_H_
