#include "engines/postgres/probe.h"

#include <catch2/catch.hpp>

#include "engines/postgres/connection.h"
#include "tests/support/pg_server_catch.h"

namespace pg = tpd::engines::postgres;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;
using tpd::testsupport::StartOrFail;

namespace {
pg::InstanceFacts ProbeOrFail(const PgServer& server, std::string_view db = "postgres") {
  auto c = server.Connect(db);
  if (!c.ok()) FAIL("connect: " << c.status().ToString());
  auto f = pg::Probe(**c);
  if (!f.ok()) FAIL("probe: " << f.status().ToString());
  return std::move(f).value();
}

bool AnyContains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("Probe: reports version, sizes and settings of a default server", "[engines][pg]") {
  const int major = GENERATE(13, 17);
  auto server = StartOrFail({.major = major});
  auto f = ProbeOrFail(*server);
  CHECK(f.major == std::to_string(major));
  CHECK(f.version.rfind(std::to_string(major) + ".", 0) == 0);
  CHECK(f.server_version_num / 10000 == major);
  CHECK(f.port == server->port());
  CHECK(f.current_database == "postgres");
  CHECK(f.current_user == "postgres");
  CHECK(f.is_superuser);
  CHECK(f.has_replication_privilege);
  CHECK_FALSE(f.in_recovery);
  REQUIRE(f.data_directory.has_value());
  CHECK(*f.data_directory == server->data_dir());
  CHECK(f.database_size_bytes > 0);
  CHECK(f.total_size_bytes >= f.database_size_bytes);
  CHECK_FALSE(f.current_wal_lsn.empty());
  REQUIRE(f.databases.size() == 1);
  CHECK(f.databases[0].name == "postgres");
  CHECK(f.HasExtension("plpgsql"));
  CHECK(f.max_replication_slots == 10);
  CHECK(f.used_replication_slots == 0);
  CHECK(f.max_wal_senders == 10);
  // Default wal_level is replica: not ready, and the blocker says what to do.
  CHECK(f.wal_level == "replica");
  CHECK_FALSE(f.replication_ready);
  CHECK(AnyContains(f.replication_blockers, "wal_level = logical"));
  CHECK(f.tables_without_primary_key.empty());
}

TEST_CASE("Probe: names tables without primary key until they get REPLICA IDENTITY FULL", "[engines][pg]") {
  const int major = GENERATE(13, 17);
  auto server = StartOrFail({.major = major, .settings = {{"wal_level", "logical"}}});
  REQUIRE(server->Exec("CREATE DATABASE app").ok());
  REQUIRE(server
              ->Exec("CREATE SCHEMA sales;"
                     "CREATE TABLE sales.orders (id int primary key, total numeric);"
                     "CREATE TABLE public.events (at timestamptz, payload text);"
                     "CREATE TABLE public.logs (line text);"
                     "CREATE TEMP TABLE scratch (x int);"
                     "CREATE UNLOGGED TABLE public.cache (k text);"
                     "CREATE TABLE public.keyed (k text not null unique);"
                     "ALTER TABLE public.keyed REPLICA IDENTITY USING INDEX keyed_k_key;"
                     "INSERT INTO public.events SELECT now(), repeat('x', 100) FROM generate_series(1, 1000);",
                     "app")
              .ok());
  auto f = ProbeOrFail(*server, "app");
  CHECK(f.wal_level == "logical");
  CHECK(f.current_database == "app");
  REQUIRE(f.tables_without_primary_key.size() == 3);
  CHECK(f.tables_without_primary_key[0].QualifiedName() == "public.events");
  CHECK(f.tables_without_primary_key[1].QualifiedName() == "public.keyed");
  CHECK(f.tables_without_primary_key[1].replica_identity == 'i');
  CHECK(f.tables_without_primary_key[2].QualifiedName() == "public.logs");
  CHECK(f.UnreplicableTables() == std::vector<std::string>{"public.events", "public.logs"});
  CHECK_FALSE(f.replication_ready);
  REQUIRE(f.replication_blockers.size() == 1);
  CHECK(f.replication_blockers[0].find("public.events, public.logs") != std::string::npos);
  CHECK(f.replication_blockers[0].find("REPLICA IDENTITY FULL") != std::string::npos);
  CHECK(f.databases.size() == 2);
  CHECK(f.total_size_bytes > f.database_size_bytes);

  REQUIRE(server->Exec("ALTER TABLE public.events REPLICA IDENTITY FULL; ALTER TABLE public.logs REPLICA IDENTITY FULL",
                       "app")
              .ok());
  auto after = ProbeOrFail(*server, "app");
  CHECK(after.tables_without_primary_key.size() == 3);
  CHECK(after.tables_without_primary_key[0].replica_identity_full());
  CHECK(after.UnreplicableTables().empty());
  CHECK(after.replication_blockers.empty());
  CHECK(after.replication_ready);
}

TEST_CASE("Probe: flags a role without REPLICATION and full replication slots", "[engines][pg]") {
  auto server = StartOrFail({.major = 17, .settings = {{"wal_level", "logical"}, {"max_replication_slots", "1"}}});
  REQUIRE(server->Exec("CREATE ROLE app LOGIN PASSWORD 'app-pw'").ok());
  // A slot cannot be created in a transaction that has written, so separately.
  auto slot = server->Exec("SELECT pg_create_logical_replication_slot('busy', 'pgoutput')");
  INFO(slot.ToString());
  REQUIRE(slot.ok());
  auto app = pg::ConnInfo::Parse("postgres://app@127.0.0.1:" + std::to_string(server->port()) + "/postgres",
                                 std::string("app-pw"));
  REQUIRE(app.ok());
  auto c = pg::Connection::Connect(*app);
  REQUIRE(c.ok());
  auto f = pg::Probe(**c);
  REQUIRE(f.ok());
  CHECK_FALSE(f->is_superuser);
  CHECK_FALSE(f->has_replication_privilege);
  CHECK_FALSE(f->data_directory.has_value());
  CHECK(f->used_replication_slots == 1);
  CHECK_FALSE(f->replication_ready);
  CHECK(AnyContains(f->replication_blockers, "no free replication slot"));
  CHECK(AnyContains(f->replication_blockers, "role \"app\" lacks the REPLICATION privilege"));
  CHECK_FALSE(AnyContains(f->replication_blockers, "wal_level"));
  REQUIRE(server->Exec("SELECT pg_drop_replication_slot('busy')").ok());
}

TEST_CASE("ReplicationBlockers: refuses servers older than 10", "[engines]") {
  pg::InstanceFacts f;
  f.version = "9.6.24";
  f.server_version_num = 90624;
  f.major = pg::MajorFromVersionNum(f.server_version_num);
  f.wal_level = "logical";
  f.max_replication_slots = 10;
  f.max_wal_senders = 10;
  f.has_replication_privilege = true;
  CHECK(f.major == "9.6");
  auto b = pg::ReplicationBlockers(f);
  REQUIRE(b.size() == 1);
  CHECK(b[0].find("older than 10") != std::string::npos);
  CHECK(pg::MajorFromVersionNum(170002) == "17");
}
