#include "tests/support/pg_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace pg = tpd::engines::postgres;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;

TEST_CASE("PgServer: starts, restarts after a kill and cleans up its directory", "[engines][pg]") {
  std::string base;
  {
    auto s = PgServer::Start({.major = 17});
    REQUIRE(s.ok());
    PgServer& server = **s;
    base = server.base_dir();
    CHECK(server.running());
    CHECK(server.url() == "postgres://postgres@127.0.0.1:" + std::to_string(server.port()) + "/postgres");
    struct stat st {};
    REQUIRE(::stat(server.data_dir().c_str(), &st) == 0);
    if (::geteuid() == 0) CHECK(server.run_as_user() == "tpdpg");
    REQUIRE(server.Exec("CREATE TABLE kept (x int); INSERT INTO kept VALUES (1)").ok());

    REQUIRE(server.Kill().ok());
    CHECK_FALSE(server.running());
    CHECK_FALSE(server.Connect().ok());
    REQUIRE(server.Restart().ok());
    auto q = server.Query("SELECT count(*) FROM kept");
    REQUIRE(q.ok());
    CHECK(q->rows[0][0] == std::optional<std::string>("1"));

    REQUIRE(server.Stop().ok());
    CHECK_FALSE(server.Connect().ok());
    REQUIRE(server.Launch().ok());
    CHECK(server.Exec("SELECT 1").ok());
  }
  struct stat st {};
  CHECK(::stat(base.c_str(), &st) != 0);
}

TEST_CASE("PgServer: runs Debian's PostgreSQL 15 with md5 authentication", "[engines][pg]") {
  auto s = PgServer::Start({.major = 15, .debian = true, .password = "md5-pw", .auth_method = "md5"});
  REQUIRE(s.ok());
  auto v = (*s)->Query("SELECT current_setting('server_version_num')::int / 10000, "
                       "(SELECT substr(rolpassword, 1, 3) FROM pg_authid WHERE rolname = 'postgres')");
  REQUIRE(v.ok());
  CHECK(v->rows[0][0] == std::optional<std::string>("15"));
  CHECK(v->rows[0][1] == std::optional<std::string>("md5"));
  CHECK(pg::Connection::Connect((*s)->conninfo().WithPassword("other")).status().IsInvalidArgument());
}

TEST_CASE("PgServer: returns NotFound for a major that is not installed", "[engines][pg]") {
  auto s = PgServer::Start({.major = 8});
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().IsNotFound());
  CHECK_FALSE(PgServer::Available(8));
  CHECK(PgServer::Available(13));
}
