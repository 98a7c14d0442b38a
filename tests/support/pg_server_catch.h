// PgServer for Catch test cases (header-only; pg_server.h itself stays free of Catch so that the
// benchmarks can use it).
#ifndef TPD_TESTS_SUPPORT_PG_SERVER_CATCH_H_
#define TPD_TESTS_SUPPORT_PG_SERVER_CATCH_H_

#include <memory>
#include <utility>

#include <catch2/catch.hpp>

#include "tests/support/pg_server.h"

namespace tpd::testsupport {

// Starts a server, or fails the running test case with PgServer::Start's reason.
inline std::unique_ptr<PgServer> StartOrFail(PgServerOptions options) {
  auto s = PgServer::Start(std::move(options));
  if (!s.ok()) FAIL("PgServer::Start: " << s.status().ToString());
  return std::move(s).value();
}

}  // namespace tpd::testsupport

#endif  // TPD_TESTS_SUPPORT_PG_SERVER_CATCH_H_
