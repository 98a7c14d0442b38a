#include "engines/postgres/connection.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/support/pg_server_catch.h"

namespace pg = tpd::engines::postgres;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;
using tpd::testsupport::StartOrFail;
using namespace std::chrono_literals;

TEST_CASE("Connection: reports Unavailable when nothing listens on the port", "[engines][pg]") {
  const int port = tpd::testsupport::PickFreePort();
  REQUIRE(port > 0);
  auto info = pg::ConnInfo::Parse("postgres://postgres@127.0.0.1:" + std::to_string(port) + "/postgres",
                                  std::string("pw-not-shown"));
  REQUIRE(info.ok());
  auto c = pg::Connection::Connect(*info);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().IsUnavailable());
  CHECK(c.status().message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(c.status().message().find("pw-not-shown") == std::string::npos);
}

TEST_CASE("Connection: reports Unavailable after the connect timeout when the host does not answer", "[engines][pg]") {
  // 192.0.2.0/24 (TEST-NET-1) is never routed; the SYN goes unanswered or is rejected at once.
  auto info = pg::ConnInfo::Parse("postgres://postgres@192.0.2.1:5432/postgres");
  REQUIRE(info.ok());
  pg::ConnectOptions o;
  o.connect_timeout = 1500ms;
  auto start = std::chrono::steady_clock::now();
  auto c = pg::Connection::Connect(*info, o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().IsUnavailable());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("Connection: distinguishes bad password, unknown role and missing database", "[engines][pg]") {
  auto server = StartOrFail({.major = 17});
  SECTION("bad password") {
    auto c = pg::Connection::Connect(server->conninfo().WithPassword("Wr0ng-Secret"));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().IsInvalidArgument());
    const std::string m = c.status().message();
    CHECK(m.find("authentication failed for user \"postgres\"") != std::string::npos);
    CHECK(m.find("Wr0ng-Secret") == std::string::npos);
    CHECK(m.find(server->password()) == std::string::npos);
  }
  SECTION("no password") {
    auto c = pg::Connection::Connect(server->conninfo().WithoutPassword());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().IsInvalidArgument());
    CHECK(c.status().message().find("authentication failed for user \"postgres\"") != std::string::npos);
  }
  SECTION("missing database") {
    auto c = pg::Connection::Connect(server->conninfo("no_such_db"));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().IsNotFound());
    CHECK(c.status().message().find("database \"no_such_db\" does not exist") != std::string::npos);
  }
  SECTION("correct password") {
    auto c = pg::Connection::Connect(server->conninfo());
    REQUIRE(c.ok());
    CHECK((*c)->server_version_num() / 10000 == 17);
    CHECK((*c)->server_version().rfind("17.", 0) == 0);
    CHECK((*c)->ok());
  }
}

TEST_CASE("Connection: runs queries, parameters, NULLs and transactions", "[engines][pg]") {
  auto server = StartOrFail({.major = 13});
  auto c = server->Connect();
  REQUIRE(c.ok());
  pg::Connection& conn = **c;
  CHECK(conn.server_version_num() / 10000 == 13);

  REQUIRE(conn.Exec("CREATE TABLE t (id int primary key, name text); INSERT INTO t VALUES (1, 'a'), (2, NULL)").ok());
  auto r = conn.Query("SELECT id, name FROM t WHERE id >= $1 ORDER BY id", {"1"});
  REQUIRE(r.ok());
  REQUIRE(r->columns == std::vector<std::string>{"id", "name"});
  REQUIRE(r->rows.size() == 2);
  CHECK(r->Get(0, "name") == std::optional<std::string>("a"));
  CHECK_FALSE(r->Get(1, "name").has_value());
  CHECK(r->ColumnIndex("missing") == -1);

  auto n = conn.ExecParams("UPDATE t SET name = $1 WHERE id = $2", {std::string("it's"), std::string("2")});
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(conn.QueryString("SELECT name FROM t WHERE id = 2").value() == "it's");
  CHECK(conn.QueryInt("SELECT count(*) FROM t").value() == 2);
  CHECK(conn.QueryBool("SELECT $1::int > 1", {"5"}).value());
  CHECK(conn.QueryValue("SELECT 1 WHERE false").status().IsNotFound());
  CHECK(conn.QueryString("SELECT NULL").status().IsInternal());
  CHECK(conn.QueryValue("SELECT $1::text", {std::nullopt}).value() == std::nullopt);
  CHECK(conn.QuoteLiteral("o'k").value() == "'o''k'");
  CHECK(pg::QuoteIdent("we\"ird") == "\"we\"\"ird\"");
  CHECK(pg::QuoteQualified("public", "T") == "\"public\".\"T\"");

  SECTION("errors map SQLSTATE to codes") {
    auto missing = conn.Query("SELECT * FROM nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().IsNotFound());
    CHECK(conn.last_sqlstate() == "42P01");
    CHECK(missing.status().message().find("relation \"nope\" does not exist") != std::string::npos);
    auto syntax = conn.Exec("SELEC 1");
    CHECK(syntax.IsInvalidArgument());
    auto dup = conn.Exec("INSERT INTO t VALUES (1, 'dup')");
    CHECK(dup.IsInvalidArgument());
    CHECK(conn.last_sqlstate() == "23505");
    // The connection stays usable after errors.
    CHECK(conn.QueryInt("SELECT 42").value() == 42);
  }
  SECTION("InTransaction commits on success and rolls back on failure") {
    auto ok = conn.InTransaction([&] { return conn.Exec("INSERT INTO t VALUES (3, 'c')"); });
    REQUIRE(ok.ok());
    auto bad = conn.InTransaction([&] {
      TPD_RETURN_IF_ERROR(conn.Exec("INSERT INTO t VALUES (4, 'd')"));
      return tpd::Status::FailedPrecondition("changed my mind");
    });
    CHECK(bad.IsFailedPrecondition());
    CHECK_FALSE(conn.in_transaction());
    CHECK(conn.QueryInt("SELECT count(*) FROM t").value() == 3);
    REQUIRE(conn.Begin("ISOLATION LEVEL REPEATABLE READ").ok());
    CHECK(conn.in_transaction());
    CHECK(conn.QueryString("SHOW transaction_isolation").value() == "repeatable read");
    REQUIRE(conn.Rollback().ok());
  }
}

TEST_CASE("Connection: Cancel from another thread stops a running query", "[engines][pg]") {
  auto server = StartOrFail({.major = 17});
  auto c = server->Connect();
  REQUIRE(c.ok());
  pg::Connection& conn = **c;
  std::thread t([&] {
    std::this_thread::sleep_for(300ms);
    CHECK(conn.Cancel().ok());
  });
  auto start = std::chrono::steady_clock::now();
  auto r = conn.Exec("SELECT pg_sleep(30)");
  t.join();
  CHECK(r.IsCancelled());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(conn.QueryInt("SELECT 7").value() == 7);

  SECTION("the cancel flag given at Connect does the same") {
    std::atomic<bool> flag{false};
    pg::ConnectOptions o;
    o.cancel_flag = &flag;
    auto c2 = pg::Connection::Connect(server->conninfo(), o);
    REQUIRE(c2.ok());
    std::thread t2([&] {
      std::this_thread::sleep_for(300ms);
      flag = true;
    });
    auto r2 = (*c2)->Exec("SELECT pg_sleep(30)");
    t2.join();
    CHECK(r2.IsCancelled());
    CHECK(std::chrono::steady_clock::now() - start < 20s);
  }
}

TEST_CASE("Connection: reports Unavailable when the server dies under it", "[engines][pg]") {
  auto server = StartOrFail({.major = 17});
  auto c = server->Connect();
  REQUIRE(c.ok());
  REQUIRE(server->Kill().ok());
  auto r = (*c)->Query("SELECT 1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsUnavailable());
}
