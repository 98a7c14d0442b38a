#include "acceptance/acc_util.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <catch2/catch.hpp>

namespace tpd::acceptance {

bool AcceptanceEnabled() {
  const char* v = std::getenv("TPD_ACC");
  bool on = v != nullptr && std::string(v) == "1";
  if (!on) {
    static std::once_flag once;
    std::call_once(once, [] {
      std::fprintf(stderr, "acceptance tests skipped: set TPD_ACC=1 to run them (scripts/test does)\n");
    });
  }
  return on;
}

std::string ProviderBinaryPath() {
  const char* env = std::getenv("TPD_PROVIDER_BINARY");
  if (env != nullptr && *env != '\0') return env;
#ifdef TPD_DEFAULT_PROVIDER_BINARY
  return TPD_DEFAULT_PROVIDER_BINARY;
#else
  return "";
#endif
}

LaunchOptions LaunchFor(int protocol) {
  LaunchOptions o;
  o.binary = ProviderBinaryPath();
  o.protocol_versions = std::to_string(protocol);
  return o;
}

schema::Value ObjectOf(const schema::Type& type, std::map<std::string, schema::Value> attrs) {
  return schema::Value::Object(type, std::move(attrs));
}

Harness StartProvider(const LaunchOptions& options) {
  Harness h;
  auto p = ProviderProcess::Launch(options);
  INFO("launch: " << p.status().ToString());
  REQUIRE(p.ok());
  h.process = std::move(p).value();
  h.client = std::make_unique<TerraformClient>(h.process->channel(), h.process->handshake().app_version);
  SchemaResult s = h.client->GetSchema();
  INFO(s.Describe());
  REQUIRE_FALSE(s.HasError());
  REQUIRE(s.core_errors.empty());
  return h;
}

}  // namespace tpd::acceptance
