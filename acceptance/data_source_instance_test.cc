// Acceptance: data "database_instance" read through the real provider process, over protocol 5 and
// 6, against real PostgreSQL 13 and 17 servers; and its error paths.
#include <stdio.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "acceptance/acc_util.h"
#include "acceptance/client.h"
#include "tests/support/pg_server.h"

namespace tpd::acceptance {
namespace {

using schema::Value;
using testsupport::PgServer;
using testsupport::PgServerOptions;

const char* const kType = "database_instance";

// One server per (major, wal_level) for the whole test process: starting PostgreSQL is the slow part.
PgServer& Server(int major, bool logical) {
  static std::map<std::pair<int, bool>, std::unique_ptr<PgServer>> servers;
  auto& slot = servers[{major, logical}];
  if (!slot) {
    PgServerOptions o;
    o.major = major;
    o.password = "acc-Secr3t-" + std::to_string(major) + (logical ? "-logical" : "-replica");
    if (logical) o.settings.push_back({"wal_level", "logical"});
    auto s = PgServer::Start(o);
    INFO("PostgreSQL " << major << ": " << s.status().ToString());
    REQUIRE(s.ok());
    slot = std::move(s).value();
    if (!logical) {
      // A table without a primary key: a logical-replication blocker the data source must report.
      Status st = slot->Exec("CREATE TABLE IF NOT EXISTS acc_no_pk (a int); CREATE TABLE IF NOT EXISTS acc_pk (id int primary key);");
      INFO(st.ToString());
      REQUIRE(st.ok());
    }
  }
  return *slot;
}

// Numbers may be modelled as number or string; compare as text.
std::string Text(const Value& v) {
  if (v.IsNull() || !v.IsKnown()) return "";
  if (v.type().kind() == schema::Type::Kind::kNumber) return v.AsNumber().ToString();
  if (v.type().kind() == schema::Type::Kind::kString) return v.AsString();
  if (v.type().kind() == schema::Type::Kind::kBool) return v.AsBool() ? "true" : "false";
  return v.ToDebugString();
}

// Terraform's data source sequence for one read: validate, then read when validation passed.
struct ReadOutcome {
  CallResult validate;
  StateResult read;
  const CallResult& Last() const { return validate.HasError() ? validate : read; }
};
ReadOutcome ValidateAndRead(TerraformClient& c, const Value& config) {
  ReadOutcome o;
  o.validate = c.ValidateDataResourceConfig(kType, config);
  if (!o.validate.HasError()) o.read = c.ReadDataSource(kType, config);
  return o;
}

Harness Configured(int protocol, bool trace) {
  LaunchOptions o = LaunchFor(protocol);
  if (trace) {
    o.unset_env = {"TF_LOG_PROVIDER"};
    o.extra_env = {{"TF_LOG", "trace"}};
  }
  Harness h = StartProvider(o);
  const schema::Type pt = h.client->schemas().provider.block.ImpliedType();
  CallResult v = h.client->ValidateProviderConfig(ObjectOf(pt, {}));
  INFO(v.Describe());
  REQUIRE_FALSE(v.HasError());
  CallResult c = h.client->ConfigureProvider(ObjectOf(pt, {}));
  INFO(c.Describe());
  REQUIRE_FALSE(c.HasError());
  return h;
}

Value Config(TerraformClient& c, const std::string& engine, const std::string& url, const std::string& password) {
  const schema::Type t = c.schemas().data_sources.at(kType).block.ImpliedType();
  std::map<std::string, Value> attrs{{"engine", Value::String(engine)}, {"url", Value::String(url)}};
  if (!password.empty()) attrs["password"] = Value::String(password);
  return ObjectOf(t, attrs);
}

void CheckStderrClean(const ProviderProcess& p, const std::string& secret) {
  std::string err = p.Stderr();
  CHECK(err.find(secret) == std::string::npos);
  for (const auto& prob : p.StderrLogProblems()) {
    INFO("line: " << prob.line);
    FAIL_CHECK(prob.problem);
  }
}

// True when the process has libpq.so mapped (engines/postgres/libpq_lazy.h loads it on first use).
bool MapsLibpq(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("/libpq.so") != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("Provider start: libpq is loaded when a database is first contacted, not before", "[acceptance]") {
  TPD_ACC_ONLY();
  PgServer& pg = Server(17, false);
  Harness h = Configured(6, /*trace=*/false);
  // Handshake, GetProviderSchema, ValidateProviderConfig and ConfigureProvider done: no libpq yet.
  CHECK_FALSE(MapsLibpq(h.process->pid()));
  ReadOutcome r = ValidateAndRead(*h.client, Config(*h.client, "postgresql", pg.url(), pg.password()));
  INFO(r.Last().Describe());
  REQUIRE_FALSE(r.Last().HasError());
  CHECK(MapsLibpq(h.process->pid()));
}

TEST_CASE("database_instance: reads version, size and readiness blockers from a replica-level server",
          "[acceptance]") {
  TPD_ACC_ONLY();
  int major = GENERATE(13, 17);
  int protocol = GENERATE(5, 6);
  INFO("PostgreSQL " << major << ", protocol " << protocol);
  PgServer& pg = Server(major, false);
  Harness h = Configured(protocol, /*trace=*/true);
  Value cfg = Config(*h.client, "postgresql", pg.url(), pg.password());
  ReadOutcome r = ValidateAndRead(*h.client, cfg);
  INFO(r.Last().Describe());
  REQUIRE_FALSE(r.Last().HasError());
  CHECK(r.validate.core_errors.empty());
  CHECK(r.read.core_errors.empty());
  const Value& s = r.read.state;
  REQUIRE_FALSE(s.IsNull());
  INFO("state: " << s.WithAttr("password", Value::Null(schema::Type::String())).ToDebugString());

  // Inputs are kept as configured.
  CHECK(s.GetAttr("engine") == cfg.GetAttr("engine"));
  CHECK(s.GetAttr("url") == cfg.GetAttr("url"));
  CHECK(s.GetAttr("password") == cfg.GetAttr("password"));

  CHECK(Text(s.GetAttr("version")).rfind(std::to_string(major) + ".", 0) == 0);
  CHECK(Text(s.GetAttr("major_version")) == std::to_string(major));
  const Value& size = s.GetAttr("size_bytes");
  REQUIRE(size.type().kind() == schema::Type::Kind::kNumber);
  CHECK(size.AsNumber().ToDouble() > 0);
  CHECK(Text(s.GetAttr("wal_level")) == "replica");
  CHECK_FALSE(Text(s.GetAttr("id")).empty());

  // The table without a primary key is reported.
  const Value& nopk = s.GetAttr("tables_without_primary_key");
  if (nopk.type().kind() == schema::Type::Kind::kNumber) {
    CHECK(nopk.AsNumber().ToDouble() >= 1);
  } else {
    REQUIRE(nopk.type().IsCollection());
    bool found = false, pk_listed = false;
    for (const Value& e : nopk.Elements()) {
      if (Text(e).find("acc_no_pk") != std::string::npos) found = true;
      if (Text(e).find("acc_pk") != std::string::npos && Text(e).find("acc_no_pk") == std::string::npos) pk_listed = true;
    }
    CHECK(found);
    CHECK_FALSE(pk_listed);
  }

  const Value& ext = s.GetAttr("extensions");
  REQUIRE(ext.type().IsCollection());
  bool plpgsql = false;
  if (ext.type().kind() == schema::Type::Kind::kMap) {
    plpgsql = ext.MapElements().count("plpgsql") == 1;
  } else {
    for (const Value& e : ext.Elements()) {
      if (Text(e).find("plpgsql") != std::string::npos) plpgsql = true;
    }
  }
  CHECK(plpgsql);

  // wal_level=replica cannot feed logical replication: not ready, with the reasons.
  CHECK(s.GetAttr("replication_ready") == Value::Bool(false));
  const Value& blockers = s.GetAttr("replication_blockers");
  REQUIRE(blockers.type().IsCollection());
  REQUIRE(blockers.Length() >= 1);
  bool mentions_wal = false;
  for (const Value& b : blockers.Elements()) {
    if (Text(b).find("wal_level") != std::string::npos) mentions_wal = true;
  }
  CHECK(mentions_wal);

  auto sd = h.process->Shutdown();
  CHECK(sd.exit.exit_code == 0);
  CHECK_FALSE(sd.killed);
  CheckStderrClean(*h.process, pg.password());
}

TEST_CASE("database_instance: reports replication ready for a wal_level=logical server with primary keys",
          "[acceptance]") {
  TPD_ACC_ONLY();
  int major = GENERATE(13, 17);
  int protocol = GENERATE(5, 6);
  INFO("PostgreSQL " << major << ", protocol " << protocol);
  PgServer& pg = Server(major, true);
  Harness h = Configured(protocol, false);
  ReadOutcome r = ValidateAndRead(*h.client, Config(*h.client, "postgresql", pg.url(), pg.password()));
  INFO(r.Last().Describe());
  REQUIRE_FALSE(r.Last().HasError());
  CHECK(r.read.core_errors.empty());
  const Value& s = r.read.state;
  CHECK(Text(s.GetAttr("wal_level")) == "logical");
  CHECK(s.GetAttr("replication_ready") == Value::Bool(true));
  const Value& blockers = s.GetAttr("replication_blockers");
  INFO("blockers: " << blockers.ToDebugString());
  CHECK((blockers.IsNull() || blockers.Length() == 0));
}

TEST_CASE("database_instance: errors name the faulty attribute and the provider keeps serving", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  INFO("protocol " << protocol);
  PgServer& pg = Server(17, false);
  Harness h = Configured(protocol, /*trace=*/true);
  const std::string wrong_password = "Wr0ng-P4ss-acc-" + std::to_string(protocol);

  std::string engine = "postgresql", url = pg.url(), password = pg.password(), attribute, secret = pg.password();
  SECTION("unreachable host") {
    url = "postgresql://postgres@127.0.0.1:" + std::to_string(testsupport::PickFreePort()) + "/postgres";
    attribute = "url";
  }
  SECTION("wrong password") {
    password = wrong_password;
    secret = wrong_password;
    attribute = "password";
  }
  SECTION("malformed URL") {
    url = "postgresql://postgres@127.0.0.1:notaport/postgres";
    attribute = "url";
  }
  SECTION("not a URL at all") {
    url = "just some words";
    attribute = "url";
  }
  SECTION("unknown engine") {
    engine = "oracle";
    attribute = "engine";
  }
  ReadOutcome r = ValidateAndRead(*h.client, Config(*h.client, engine, url, password));
  const CallResult& last = r.Last();
  std::string described = last.Describe();
  INFO(described);
  CHECK(last.rpc.ok());  // errors are diagnostics, not gRPC failures
  CHECK(last.core_errors.empty());
  const schema::Diagnostic* d = last.FirstError();
  REQUIRE(d != nullptr);
  REQUIRE(d->attribute.has_value());
  CHECK(d->attribute->ToString() == attribute);
  CHECK_FALSE(d->summary.empty());
  // No secret in any diagnostic.
  CHECK(described.find(secret) == std::string::npos);
  CHECK(described.find(pg.password()) == std::string::npos);

  // The provider is alive and still answers.
  CHECK(h.process->Alive());
  SchemaResult again = h.client->GetSchema();
  CHECK_FALSE(again.HasError());
  auto sd = h.process->Shutdown();
  CHECK(sd.exit.exit_code == 0);
  CheckStderrClean(*h.process, secret);
  CHECK(h.process->Stderr().find(pg.password()) == std::string::npos);
}

TEST_CASE("Terraform.ReadData: the whole plan walk reads database_instance in a fresh process", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  PgServer& pg = Server(17, false);
  TerraformOptions o;
  o.launch = LaunchFor(protocol);
  Terraform tf(o);
  Harness h = StartProvider(LaunchFor(protocol));
  Value cfg = Config(*h.client, "postgresql", pg.url(), pg.password());
  DataRead r = tf.ReadData(kType, cfg);
  INFO(r.Describe());
  CHECK_FALSE(r.HasError());
  CHECK(r.core_errors.empty());
  CHECK(Text(r.state.GetAttr("major_version")) == "17");
  std::vector<std::string> expected = {"GetProviderSchema", "GetResourceIdentitySchemas", "ValidateProviderConfig",
                                       "ConfigureProvider", "ValidateDataResourceConfig", "ReadDataSource"};
  CHECK(r.rpc_log == expected);
}

TEST_CASE("Message size: a 6 MiB value round-trips through ReadDataSource", "[acceptance]") {
  TPD_ACC_ONLY();
  int protocol = GENERATE(5, 6);
  PgServer& pg = Server(17, false);
  Harness h = Configured(protocol, false);
  // libpq ignores sslrootcert with sslmode=disable, so the read succeeds and the state echoes the
  // configured url: > 6 MiB each way (gRPC's default limit is 4 MiB).
  std::string url = pg.url() + "?sslmode=disable&sslrootcert=/" + std::string(6 << 20, 'r');
  ReadOutcome r = ValidateAndRead(*h.client, Config(*h.client, "postgresql", url, pg.password()));
  INFO(r.Last().rpc.ToString());
  INFO(r.Last().Describe().substr(0, 2000));
  REQUIRE(r.Last().rpc.ok());
  REQUIRE_FALSE(r.Last().HasError());
  CHECK(r.read.state.GetAttr("url") == Value::String(url));
  CHECK(h.process->Alive());
}

#ifdef TPD_ACC_RUN_BINARY
// Runs `cmd` through the shell and returns {exit code, stdout}.
std::pair<int, std::string> RunCommand(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_CASE("tpd-acc-run: prints the data source outputs like terraform apply", "[acceptance]") {
  TPD_ACC_ONLY();
  PgServer& pg = Server(17, false);
  std::string base = "TPD_PROVIDER_BINARY='" + ProviderBinaryPath() + "' " + TPD_ACC_RUN_BINARY;
  SECTION("success over protocol 6 and 5") {
    std::string protocol = GENERATE(std::string("6"), std::string("5"));
    auto [code, out] = RunCommand("TPD_DEMO_PASSWORD='" + pg.password() + "' " + base + " --protocol " + protocol +
                                  " --url '" + pg.url() + "' 2>&1");
    INFO(out);
    CHECK(code == 0);
    CHECK(out.find("data.database_instance.this: Read complete") != std::string::npos);
    CHECK(out.find("Apply complete!") != std::string::npos);
    CHECK(out.find("\"17.") != std::string::npos);
    CHECK(out.find("(sensitive value)") != std::string::npos);
    CHECK(out.find(pg.password()) == std::string::npos);
  }
  SECTION("a wrong password fails with the error and exit code 1") {
    auto [code, out] = RunCommand("TPD_DEMO_PASSWORD=Wr0ngDem0 " + base + " --url '" + pg.url() + "' 2>&1");
    INFO(out);
    CHECK(code == 1);
    CHECK(out.find("Error:") != std::string::npos);
    CHECK(out.find("Wr0ngDem0") == std::string::npos);
  }
}
#endif

}  // namespace
}  // namespace tpd::acceptance
