// database_instance against real embedded PostgreSQL servers (13 and 17): outputs, and the wrong
// password diagnostic. ctest label: pg.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "provider/log.h"
#include "resources/data_database_instance.h"
#include "schema_walk.h"
#include "tests/support/pg_server.h"

namespace tpd::resources {
namespace {

using schema::Value;
using testsupport::PgServer;
using testsupport::PgServerOptions;

constexpr char kPassword[] = "Pg-Real-Secret-4711";
constexpr char kWrongPassword[] = "Wrong-Guess-0815";

std::unique_ptr<PgServer> StartServer(int major, std::vector<std::pair<std::string, std::string>> settings = {}) {
  if (!PgServer::Available(major)) return nullptr;
  PgServerOptions o;
  o.major = major;
  o.password = kPassword;
  o.settings = std::move(settings);
  Result<std::unique_ptr<PgServer>> s = PgServer::Start(o);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s).value();
}

Value Config(const std::string& url, const std::string& password) {
  return testing::ConfigOf(
      DatabaseInstanceSchema().block,
      {{"engine", Value::String("postgresql")}, {"url", Value::String(url)}, {"password", Value::String(password)}});
}

struct ReadResult {
  Value value;
  schema::Diagnostics diags;
  std::vector<std::string> log_lines;
};

ReadResult Read(const Value& config) {
  ReadResult r;
  log::SetLevel(log::Level::kTrace);
  log::SetSinkForTest([&r](const std::string& line) { r.log_lines.push_back(line); });
  auto ds = NewDatabaseInstanceDataSource();
  ProviderOptions opts;
  StopToken stop;
  CallContext ctx{&opts, &stop};
  r.value = ds->Read(ctx, config, &r.diags);
  log::SetSinkForTest(nullptr);
  return r;
}

void RequireNoneContains(const ReadResult& r, const std::string& secret) {
  for (const auto& d : r.diags.items()) {
    CHECK(d.summary.find(secret) == std::string::npos);
    CHECK(d.detail.find(secret) == std::string::npos);
  }
  for (const auto& l : r.log_lines) CHECK(l.find(secret) == std::string::npos);
}

std::vector<std::string> Strings(const Value& list) {
  std::vector<std::string> out;
  for (const auto& e : list.Elements()) out.push_back(e.AsString());
  return out;
}

TEST_CASE("DatabaseInstance: reads version, size and blockers from PostgreSQL 13", "[resources][pg]") {
  auto server = StartServer(13);
  if (!server) {
    WARN("embedded PostgreSQL 13 not installed; run scripts/setup");
    return;
  }
  REQUIRE(server->Exec("CREATE TABLE public.no_pk (a int); CREATE TABLE public.with_pk (id int PRIMARY KEY);").ok());
  ReadResult r = Read(Config(server->url(), kPassword));
  for (const auto& d : r.diags.items()) INFO(d.summary + ": " + d.detail);
  REQUIRE_FALSE(r.diags.HasError());
  const Value& v = r.value;
  REQUIRE(v.IsWhollyKnown());
  CHECK(schema::CheckConforms(v, DatabaseInstanceSchema().block.ImpliedType()).ok());
  CHECK(v.GetAttr("version").AsString().rfind("13.", 0) == 0);
  CHECK(v.GetAttr("major_version") == Value::String("13"));
  CHECK(v.GetAttr("size_bytes").AsNumber().ToInt64().value_or(0) > 1000000);
  CHECK(v.GetAttr("database_size_bytes").AsNumber().ToInt64().value_or(0) > 0);
  CHECK(v.GetAttr("wal_level") == Value::String("replica"));
  CHECK(Strings(v.GetAttr("tables_without_primary_key")) == std::vector<std::string>{"public.no_pk"});
  CHECK(v.GetAttr("extensions").MapElements().count("plpgsql") == 1);
  CHECK(v.GetAttr("replication_ready") == Value::Bool(false));
  std::string blockers;
  for (const auto& b : Strings(v.GetAttr("replication_blockers"))) blockers += b + "\n";
  CHECK(blockers.find("wal_level") != std::string::npos);
  CHECK(blockers.find("no_pk") != std::string::npos);
  CHECK(v.GetAttr("data_directory").AsString() == server->data_dir());
  CHECK(v.GetAttr("in_place_ready") == Value::Bool(true));
  CHECK(v.GetAttr("in_place_blockers").Length() == 0);
  CHECK(v.GetAttr("id").AsString() == "127.0.0.1:" + std::to_string(server->port()) + "/postgres");
  // Inputs are returned as configured.
  CHECK(v.GetAttr("password") == Value::String(kPassword));
  CHECK(v.GetAttr("url") == Value::String(server->url()));
  RequireNoneContains(r, kPassword);
}

TEST_CASE("DatabaseInstance: a PostgreSQL 17 server with wal_level=logical is replication-ready", "[resources][pg]") {
  auto server = StartServer(17, {{"wal_level", "logical"}});
  if (!server) {
    WARN("embedded PostgreSQL 17 not installed; run scripts/setup");
    return;
  }
  ReadResult r = Read(Config(server->url(), kPassword));
  for (const auto& d : r.diags.items()) INFO(d.summary + ": " + d.detail);
  REQUIRE_FALSE(r.diags.HasError());
  const Value& v = r.value;
  REQUIRE(v.IsWhollyKnown());
  CHECK(v.GetAttr("version").AsString().rfind("17.", 0) == 0);
  CHECK(v.GetAttr("major_version") == Value::String("17"));
  CHECK(v.GetAttr("wal_level") == Value::String("logical"));
  CHECK(v.GetAttr("tables_without_primary_key").Length() == 0);
  CHECK(v.GetAttr("replication_ready") == Value::Bool(true));
  CHECK(v.GetAttr("replication_blockers").Length() == 0);
  RequireNoneContains(r, kPassword);
}

TEST_CASE("DatabaseInstance: a wrong password is an error on password that shows no password", "[resources][pg]") {
  auto server = StartServer(17);
  if (!server) {
    WARN("embedded PostgreSQL 17 not installed; run scripts/setup");
    return;
  }
  SECTION("wrong password attribute") {
    ReadResult r = Read(Config(server->url(), kWrongPassword));
    REQUIRE(r.diags.HasError());
    REQUIRE(r.diags.items().size() == 1);
    const auto& d = r.diags.items()[0];
    CHECK(d.attribute->ToString() == "password");
    CHECK(d.summary == "Database authentication failed");
    CHECK(d.detail.find("authentication failed") != std::string::npos);
    CHECK(d.detail.find("\"postgres\"") != std::string::npos);
    CHECK(r.value.IsNull());
    RequireNoneContains(r, kWrongPassword);
    RequireNoneContains(r, kPassword);
  }
  SECTION("wrong password inside the URL") {
    std::string url = "postgresql://postgres:" + std::string(kWrongPassword) +
                      "@127.0.0.1:" + std::to_string(server->port()) + "/postgres";
    ReadResult r = Read(testing::ConfigOf(DatabaseInstanceSchema().block,
                                          {{"engine", Value::String("postgresql")}, {"url", Value::String(url)}}));
    REQUIRE(r.diags.HasError());
    CHECK(r.diags.items().back().attribute->ToString() == "password");
    RequireNoneContains(r, kWrongPassword);
  }
  SECTION("unreachable after the server stopped") {
    std::string url = server->url();
    REQUIRE(server->Stop().ok());
    ReadResult r = Read(Config(url, kPassword));
    REQUIRE(r.diags.HasError());
    CHECK(r.diags.items().back().attribute->ToString() == "url");
    CHECK(r.diags.items().back().summary == "Cannot reach the database server");
    RequireNoneContains(r, kPassword);
  }
}

}  // namespace
}  // namespace tpd::resources
