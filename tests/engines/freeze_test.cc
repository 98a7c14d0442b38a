#include "engines/postgres/freeze.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "engines/postgres/connection.h"
#include "tests/support/pg_server_catch.h"

namespace pg = tpd::engines::postgres;
using tpd::testsupport::PgServer;

namespace {
std::unique_ptr<PgServer> StartOrFail(int major) { return tpd::testsupport::StartOrFail({.major = major}); }
std::unique_ptr<pg::Connection> ConnectOrFail(const PgServer& server) {
  auto c = server.Connect();
  if (!c.ok()) FAIL("connect: " << c.status().ToString());
  return std::move(c).value();
}
}  // namespace

TEST_CASE("FreezeWrites: new and existing sessions fail loudly on writes until unfrozen", "[engines][pg]") {
  const int major = GENERATE(13, 17);
  auto server = StartOrFail(major);
  REQUIRE(server->Exec("CREATE TABLE t (id int primary key)").ok());
  auto admin = ConnectOrFail(*server);
  auto idle = ConnectOrFail(*server);  // an existing session that is not terminated (terminate_sessions=false)

  auto report = pg::FreezeWrites(*admin, {.terminate_sessions = false});
  REQUIRE(report.ok());
  CHECK_FALSE(report->freeze_lsn.empty());
  CHECK(*pg::IsFrozen(*admin));

  auto fresh = ConnectOrFail(*server);
  tpd::Status s = fresh->Exec("INSERT INTO t VALUES (1)");
  CHECK_FALSE(s.ok());
  CHECK(fresh->last_sqlstate() == "25006");  // read_only_sql_transaction
  s = idle->Exec("INSERT INTO t VALUES (2)");
  CHECK_FALSE(s.ok());
  CHECK(idle->last_sqlstate() == "25006");
  // Reads still work.
  CHECK(fresh->QueryInt("SELECT count(*) FROM t").ok());

  REQUIRE(pg::UnfreezeWrites(*admin).ok());
  CHECK_FALSE(*pg::IsFrozen(*admin));
  auto after = ConnectOrFail(*server);
  CHECK(after->Exec("INSERT INTO t VALUES (3)").ok());
  CHECK(idle->Exec("INSERT INTO t VALUES (4)").ok());
}

TEST_CASE("FreezeWrites: an open write transaction is terminated and its rows are not acknowledged", "[engines][pg]") {
  auto server = StartOrFail(17);
  REQUIRE(server->Exec("CREATE TABLE t (id int primary key)").ok());
  auto admin = ConnectOrFail(*server);
  auto writer = ConnectOrFail(*server);
  REQUIRE(writer->Begin().ok());
  REQUIRE(writer->Exec("INSERT INTO t VALUES (1)").ok());  // uncommitted: holds an xid

  auto report = pg::FreezeWrites(*admin, {.terminate_sessions = true});
  REQUIRE(report.ok());
  CHECK(report->sessions_terminated >= 1);
  // The writer's COMMIT cannot succeed: its session is gone.
  CHECK_FALSE(writer->Commit().ok());
  auto check = ConnectOrFail(*server);
  CHECK(*check->QueryInt("SELECT count(*) FROM t") == 0);
  REQUIRE(pg::UnfreezeWrites(*admin).ok());
}

TEST_CASE("FreezeWrites: refuses a non-superuser and leaves the server writable", "[engines][pg]") {
  auto server = StartOrFail(17);
  REQUIRE(server->Exec("CREATE ROLE app LOGIN PASSWORD 'app-secret'; CREATE TABLE t (id int); GRANT ALL ON t TO app").ok());
  auto url = pg::ConnInfo::Parse("postgres://app@127.0.0.1:" + std::to_string(server->port()) + "/postgres",
                                 std::string("app-secret"));
  REQUIRE(url.ok());
  auto app = pg::Connection::Connect(*url);
  REQUIRE(app.ok());
  auto r = pg::FreezeWrites(**app);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsFailedPrecondition());
  CHECK(r.status().message().find("superuser") != std::string::npos);
  CHECK((*app)->Exec("INSERT INTO t VALUES (1)").ok());
}
