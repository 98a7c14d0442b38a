// Helpers shared by the acceptance test files (not part of tpd_acceptance's API).
#ifndef TPD_ACCEPTANCE_ACC_UTIL_H_
#define TPD_ACCEPTANCE_ACC_UTIL_H_

#include <map>
#include <memory>
#include <string>

#include "acceptance/client.h"
#include "acceptance/process.h"
#include "schema/value.h"

namespace tpd::acceptance {

// True when TPD_ACC=1. Otherwise prints, once per process, why the acceptance tests are skipped.
bool AcceptanceEnabled();

// The provider binary: $TPD_PROVIDER_BINARY, else the path compiled in by CMake.
std::string ProviderBinaryPath();

// Launch options offering exactly `protocol` (5 or 6) with AutoMTLS on.
LaunchOptions LaunchFor(int protocol);

// An object of `type` with the given attributes (others null).
schema::Value ObjectOf(const schema::Type& type, std::map<std::string, schema::Value> attrs);

// A launched, connected provider and a client with its schema loaded. Fails the test (REQUIRE) if
// anything on the way does.
struct Harness {
  std::unique_ptr<ProviderProcess> process;
  std::unique_ptr<TerraformClient> client;
};
Harness StartProvider(const LaunchOptions& options);

}  // namespace tpd::acceptance

// Skips the rest of a TEST_CASE unless TPD_ACC=1 (Catch2 v2 has no SKIP).
#define TPD_ACC_ONLY()                       \
  do {                                       \
    if (!::tpd::acceptance::AcceptanceEnabled()) { \
      WARN("skipped: acceptance tests run only with TPD_ACC=1"); \
      return;                                \
    }                                        \
  } while (0)

#endif  // TPD_ACCEPTANCE_ACC_UTIL_H_
