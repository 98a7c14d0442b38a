// engines/postgres/libpq_lazy.h: libpq is loaded on first use, once, and then works.
// Its own test executable: the first check needs a process in which nothing has touched libpq yet.
#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include "engines/postgres/conninfo.h"
#include "engines/postgres/libpq_lazy.h"

namespace tpd::engines::postgres {
namespace {

TEST_CASE("libpq_lazy: nothing is loaded before the first call, everything after it", "[engines]") {
  CHECK_FALSE(LibpqLoaded());
  // Any libpq function loads it, here through the keyword check of a connection URL.
  auto info = ConnInfo::Parse("postgres://u@localhost:5432/db?connect_timeout=3", std::nullopt);
  REQUIRE(info.ok());
  CHECK(LibpqLoaded());
  CHECK(LoadLibpq().ok());
  // The forwarded functions are libpq's own: a connection to a port nobody listens on fails cleanly.
  const char* keys[] = {"host", "port", "dbname", "connect_timeout", nullptr};
  const char* values[] = {"127.0.0.1", "1", "postgres", "2", nullptr};
  PGconn* conn = PQconnectStartParams(keys, values, 0);
  REQUIRE(conn != nullptr);
  while (PQstatus(conn) != CONNECTION_BAD && PQconnectPoll(conn) != PGRES_POLLING_FAILED) {
    if (PQstatus(conn) == CONNECTION_OK) break;
  }
  CHECK(PQstatus(conn) == CONNECTION_BAD);
  CHECK(std::string(PQerrorMessage(conn)).find("127.0.0.1") != std::string::npos);
  PQfinish(conn);
}

}  // namespace
}  // namespace tpd::engines::postgres
