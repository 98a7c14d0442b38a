// Acceptance: the plugin protocol itself — launch, handshake, AutoMTLS, schemas, provider config,
// signals, Shutdown, message size limits and logging — over protocol 5 and protocol 6.
#include <signal.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "acceptance/acc_util.h"
#include "acceptance/client.h"
#include "acceptance/client_cert.h"
#include "acceptance/process.h"
#include "schema/codec.h"

namespace tpd::acceptance {
namespace {

using schema::Value;

const char* const kDataSource = "database_instance";

void CheckDescribed(const schema::Block& block, const std::string& where) {
  for (const auto& a : block.attributes) {
    INFO(where << "." << a.name);
    CHECK_FALSE(a.description.empty());
  }
  for (const auto& b : block.block_types) CheckDescribed(b.block, where + "." + b.type_name);
}

TEST_CASE("Handshake: line is valid and the channel uses mutual TLS for each protocol", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  INFO("protocol " << protocol);
  auto p = ProviderProcess::Launch(LaunchFor(protocol));
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  const Handshake& hs = (*p)->handshake();
  INFO("line: " << hs.line);
  CHECK(hs.core_version == 1);
  CHECK(hs.app_version == protocol);
  CHECK((hs.network == "unix" || hs.network == "tcp"));
  CHECK(hs.protocol == "grpc");
  CHECK(hs.line.find('=') == std::string::npos);  // RawStd base64: no padding anywhere
  CHECK(hs.line.find("|true") == std::string::npos);  // no multiplex field unless asked
  REQUIRE_FALSE(hs.cert_pem.empty());
  auto info = InspectCertPem(hs.cert_pem);
  REQUIRE(info.ok());
  CHECK(info->san_localhost);
  CHECK(info->serial_positive);
  CHECK(info->server_auth_eku);
  // Our side presented a P-521 certificate, like Terraform.
  auto ours = InspectCertPem((*p)->client_cert().cert_pem);
  REQUIRE(ours.ok());
  CHECK(ours->key_algorithm == "secp521r1");
  // And the connection works.
  TerraformClient client((*p)->channel(), protocol);
  SchemaResult s = client.GetSchema();
  INFO(s.Describe());
  CHECK_FALSE(s.HasError());
  auto sd = (*p)->Shutdown();
  CHECK(sd.exit.exit_code == 0);
}

TEST_CASE("Handshake: negotiates protocol 6 when Terraform offers both, in any order", "[acceptance]") {
  TPD_ACC_ONLY();
  std::string offered = GENERATE(std::string("5,6"), std::string("6,5"));
  LaunchOptions o = LaunchFor(6);
  o.protocol_versions = offered;
  auto p = ProviderProcess::Launch(o);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  CHECK((*p)->handshake().app_version == 6);
}

TEST_CASE("Handshake: serves plaintext without a certificate when PLUGIN_CLIENT_CERT is absent", "[acceptance]") {
  TPD_ACC_ONLY();
  LaunchOptions o = LaunchFor(6);
  o.tls = false;
  auto p = ProviderProcess::Launch(o);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  CHECK((*p)->handshake().cert_der.empty());
  TerraformClient client((*p)->channel(), 6);
  SchemaResult s = client.GetSchema();
  INFO(s.Describe());
  CHECK_FALSE(s.HasError());
}

TEST_CASE("mTLS: refuses a client presenting a different certificate than PLUGIN_CLIENT_CERT", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  auto other = GenerateTerraformClientCert();
  REQUIRE(other.ok());

  SECTION("control: the launch certificate on a new connection is accepted") {
    auto ch = h.process->NewChannel(&h.process->client_cert());
    REQUIRE(ch.ok());
    TerraformClient same(*ch, protocol);
    SchemaResult s = same.GetSchema();
    INFO(s.Describe());
    CHECK(s.rpc.ok());
  }
  SECTION("a different certificate") {
    auto ch = h.process->NewChannel(&*other);
    REQUIRE(ch.ok());
    TerraformClient intruder(*ch, protocol);
    SchemaResult s = intruder.GetSchema();
    INFO(s.Describe());
    CHECK_FALSE(s.rpc.ok());
  }
  SECTION("no certificate at all") {
    auto ch = h.process->NewChannel(nullptr);
    REQUIRE(ch.ok());
    TerraformClient intruder(*ch, protocol);
    SchemaResult s = intruder.GetSchema();
    CHECK_FALSE(s.rpc.ok());
  }
  // The legitimate client still works and the process survived.
  SchemaResult again = h.client->GetSchema();
  INFO(again.Describe());
  CHECK_FALSE(again.HasError());
  CHECK(h.process->Alive());
}

TEST_CASE("Shutdown: ends the process with exit 0 in under 2 seconds", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  ProviderProcess::ShutdownResult r = h.process->Shutdown();
  INFO("rpc: " << r.rpc.ToString() << " elapsed ms: " << r.elapsed.count());
  CHECK_FALSE(r.killed);
  CHECK(r.exit.exited);
  CHECK(r.exit.exit_code == 0);
  CHECK(r.exit.term_signal == 0);
  CHECK(r.elapsed < std::chrono::milliseconds(2000));
}

TEST_CASE("Handshake: refuses to run without Terraform's magic cookie", "[acceptance]") {
  TPD_ACC_ONLY();
  LaunchOptions o = LaunchFor(6);
  SECTION("cookie missing") { o.magic_cookie = false; }
  SECTION("cookie wrong") { o.magic_cookie_value = "not-the-cookie"; }
  auto p = ProviderProcess::Spawn(o);
  REQUIRE(p.ok());
  ExitInfo e = (*p)->WaitExit(std::chrono::milliseconds(10000));
  REQUIRE(e.exited);
  CHECK(e.exit_code == 1);
  Status hs = (*p)->WaitHandshake();
  CHECK_FALSE(hs.ok());
  std::string err = (*p)->Stderr();
  INFO("stderr: " << err);
  // A short human message, not a JSON log line.
  CHECK_FALSE(err.empty());
  CHECK(err.find("plugin") != std::string::npos);
  CHECK(err.size() < 2000);
}

TEST_CASE("Signals: SIGINT does not stop the provider", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  REQUIRE(h.process->Signal(SIGINT).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(h.process->Alive());
  SchemaResult s = h.client->GetSchema();
  INFO(s.Describe());
  CHECK_FALSE(s.HasError());
  auto sd = h.process->Shutdown();
  CHECK(sd.exit.exit_code == 0);
}

TEST_CASE("StopProvider: returns promptly without error", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  StopResult r = h.client->StopProvider();
  INFO(r.Describe());
  CHECK(r.rpc.ok());
  CHECK(r.error.empty());
  CHECK(r.elapsed < std::chrono::milliseconds(1000));
  CHECK(h.process->Alive());
}

TEST_CASE("GetSchema: lists the provider block and database_instance, no unfinished resources", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  const ProviderSchemas& s = h.client->schemas();
  for (const char* attr : {"work_dir", "parallelism", "tool_paths"}) {
    INFO(attr);
    const schema::Attribute* a = s.provider.block.FindAttribute(attr);
    REQUIRE(a != nullptr);
    CHECK(a->optional);
    CHECK_FALSE(a->description.empty());
  }
  REQUIRE(s.data_sources.count(kDataSource) == 1);
  const schema::Block& ds = s.data_sources.at(kDataSource).block;
  CheckDescribed(ds, kDataSource);
  CHECK_FALSE(ds.description.empty());
  for (const char* in : {"engine", "url", "password"}) {
    const schema::Attribute* a = ds.FindAttribute(in);
    INFO(in);
    REQUIRE(a != nullptr);
    CHECK((a->required || a->optional));
  }
  REQUIRE(ds.FindAttribute("password") != nullptr);
  CHECK(ds.FindAttribute("password")->sensitive);
  for (const char* out : {"version", "major_version", "size_bytes", "wal_level", "tables_without_primary_key",
                          "extensions", "replication_ready", "replication_blockers", "id"}) {
    const schema::Attribute* a = ds.FindAttribute(out);
    INFO(out);
    REQUIRE(a != nullptr);
    CHECK(a->computed);
  }
  // Exactly the resource types that have behaviour are registered.
  CHECK(s.resources.count("database_upgrade") == 1);
  CHECK(s.resources.count("database_replica") == 1);
}

TEST_CASE("ValidateProviderConfig: an out-of-range parallelism is an error on that attribute", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  const schema::Type t = h.client->schemas().provider.block.ImpliedType();
  int64_t bad = GENERATE(int64_t{0}, int64_t{-3}, int64_t{100000});
  CallResult r = h.client->ValidateProviderConfig(ObjectOf(t, {{"parallelism", Value::Int(bad)}}));
  INFO(r.Describe());
  CHECK(r.core_errors.empty());
  const schema::Diagnostic* d = r.FirstError();
  REQUIRE(d != nullptr);
  REQUIRE(d->attribute.has_value());
  CHECK(d->attribute->ToString() == "parallelism");

  // A good configuration validates and configures cleanly, with unknowns allowed in validation.
  CallResult ok = h.client->ValidateProviderConfig(
      ObjectOf(t, {{"parallelism", Value::Int(2)}, {"work_dir", Value::Unknown(schema::Type::String())}}));
  INFO(ok.Describe());
  CHECK_FALSE(ok.HasError());
  CallResult conf = h.client->ConfigureProvider(ObjectOf(t, {{"parallelism", Value::Int(2)}}));
  INFO(conf.Describe());
  CHECK_FALSE(conf.HasError());
  CHECK(conf.core_errors.empty());
}

TEST_CASE("Message size: a 6 MiB configuration value is accepted (256 MiB limits)", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  Harness h = StartProvider(LaunchFor(protocol));
  const schema::Type t = h.client->schemas().data_sources.at(kDataSource).block.ImpliedType();
  std::string big = "postgresql://u@localhost:5432/" + std::string(6 << 20, 'x');
  Value cfg = ObjectOf(t, {{"engine", Value::String("postgresql")}, {"url", Value::String(big)}});
  auto enc = schema::EncodeMsgpack(cfg, t);
  REQUIRE(enc.ok());
  REQUIRE(enc->size() > (6u << 20));
  CallResult r = h.client->ValidateDataResourceConfigRaw(kDataSource, *enc);
  INFO(r.rpc.ToString());
  CHECK(r.rpc.ok());  // not RESOURCE_EXHAUSTED
  CHECK(h.process->Alive());
}

TEST_CASE("Logging: every stderr line is hclog JSON with TF_LOG=trace", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  LaunchOptions o = LaunchFor(protocol);
  o.unset_env = {"TF_LOG_PROVIDER"};
  o.extra_env = {{"TF_LOG", "trace"}};
  Harness h = StartProvider(o);
  const schema::Type t = h.client->schemas().provider.block.ImpliedType();
  CallResult v = h.client->ValidateProviderConfig(ObjectOf(t, {}));
  CallResult c = h.client->ConfigureProvider(ObjectOf(t, {}));
  CHECK_FALSE(c.HasError());
  auto sd = h.process->Shutdown();
  CHECK(sd.exit.exit_code == 0);
  std::string err = h.process->Stderr();
  CHECK_FALSE(err.empty());  // trace level logs at least the RPCs
  for (const auto& p : h.process->StderrLogProblems()) {
    INFO("line: " << p.line);
    FAIL_CHECK(p.problem);
  }
  // Nothing but the handshake line on stdout.
  CHECK(h.process->StdoutAfterHandshake().empty());
}

}  // namespace
}  // namespace tpd::acceptance
