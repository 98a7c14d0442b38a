// database_upgrade without a server: the facts mapping (upgrade_facts.h), the plan cache
// (plan_cache.h) and the resource's Plan/Validate/Import paths that need no running PostgreSQL.
#include "resources/database_upgrade.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engines/postgres/upgrade.h"
#include "planner/decide.h"
#include "resources/database_upgrade_schema.h"
#include "resources/diagnostics.h"
#include "resources/plan_cache.h"
#include "resources/upgrade_facts.h"
#include "schema_walk.h"

namespace tpd::resources {
namespace {

namespace pg = engines::postgres;
using schema::AttributePath;
using schema::Type;
using schema::Value;

constexpr char kSecret[] = "Sw0rdfish-upgrade-secret";

const schema::Block& Block() {
  static const schema::Schema kSchema = DatabaseUpgradeSchemaV0();
  return kSchema.block;
}

Value Server(const std::string& name, std::map<std::string, Value> attrs) {
  return Value::Object(Block().FindBlock(name)->block.ImpliedType(), std::move(attrs));
}

// A minimal configuration: postgresql, target "17", source url + password, optional target url.
Value Config(const Value& source_url, std::optional<std::string> target_url = std::nullopt,
             std::map<std::string, Value> extra = {}) {
  std::map<std::string, Value> attrs = {
      {"engine", Value::String("postgresql")},
      {"target_version", Value::String("17")},
      {"strategy", Value::String("auto")},
      {"source", Server("source", {{"url", source_url}, {"password", Value::String(kSecret)}})},
  };
  if (target_url) {
    attrs["target"] = Server("target", {{"url", Value::String(*target_url)},
                                        {"password", Value::String(kSecret)},
                                        {"upgrade_mode", Value::String("link")}});
  }
  for (auto& [k, v] : extra) attrs[k] = v;
  return testing::ConfigOf(Block(), std::move(attrs));
}

// A port on 127.0.0.1 where nothing listens (bound then closed).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/tpd-upgrade-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

pg::InstanceFacts SourceFacts() {
  pg::InstanceFacts f;
  f.version = "13.23";
  f.server_version_num = 130023;
  f.major = "13";
  f.wal_level = "logical";
  f.total_size_bytes = 5LL << 30;
  f.database_size_bytes = 1LL << 30;
  f.tables_without_primary_key = {{"public", "events", 'd'}, {"public", "audit", 'f'}, {"app", "log", 'i'}};
  f.extensions = {{"plpgsql", "1.0", "pg_catalog"}, {"hstore", "1.7", "public"}};
  return f;
}

std::string DiagText(const schema::Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += x.summary + "\n" + x.detail + "\n";
  return out;
}

TEST_CASE("ParseUpgradeConfig: fills defaults and reads every block when set", "[resources]") {
  SECTION("defaults") {
    Result<UpgradeConfig> c = ParseUpgradeConfig(Config(Value::String("postgresql://postgres@db:5432/app")));
    REQUIRE(c.ok());
    CHECK(c->engine == "postgresql");
    CHECK(c->target_version == "17");
    CHECK(c->strategy == "auto");
    CHECK_FALSE(c->max_downtime_seconds.has_value());
    CHECK(c->source.url == "postgresql://postgres@db:5432/app");
    CHECK(c->source.password == std::optional<std::string>(kSecret));
    CHECK(c->target.url.empty());
    CHECK(c->backup_enabled);
    CHECK(c->block_writes);
    CHECK_FALSE(c->terminate_sessions);
    CHECK(c->verify_row_counts);
    CHECK_FALSE(c->verify_checksums);
  }
  SECTION("set values") {
    Value cfg = Config(Value::String("postgresql://postgres@db:5432/app"), "postgresql://postgres@new:5432/app",
                       {{"max_downtime", Value::String("5m")},
                        {"backup", Server("backup", {{"enabled", Value::Bool(false)}, {"dir", Value::String("/b")}})},
                        {"verify", Server("verify", {{"checksums", Value::Bool(true)}})},
                        {"timeouts", Server("timeouts", {{"create", Value::String("1h")}})}});
    Result<UpgradeConfig> c = ParseUpgradeConfig(cfg);
    REQUIRE(c.ok());
    CHECK(c->max_downtime_seconds == std::optional<int64_t>(300));
    CHECK(c->target.url == "postgresql://postgres@new:5432/app");
    CHECK_FALSE(c->backup_enabled);
    CHECK(c->backup_dir == "/b");
    CHECK(c->verify_checksums);
    CHECK(c->create_timeout_seconds == std::optional<int64_t>(3600));
    CHECK_FALSE(c->update_timeout_seconds.has_value());
  }
  SECTION("a malformed duration names its attribute") {
    Result<UpgradeConfig> c =
        ParseUpgradeConfig(Config(Value::String("postgresql://db/app"), std::nullopt, {{"max_downtime", Value::String("5 parsecs")}}));
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().IsInvalidArgument());
    REQUIRE(c.status().path().has_value());
    CHECK(c.status().path()->ToString() == "max_downtime");
  }
}

TEST_CASE("DecisionInputsText: never contains a password and changes with the configuration", "[resources]") {
  Result<UpgradeConfig> a = ParseUpgradeConfig(Config(Value::String("postgresql://postgres@db:5432/app")));
  Result<UpgradeConfig> b = ParseUpgradeConfig(Config(Value::String("postgresql://postgres@db:5433/app")));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(DecisionInputsText(*a).find(kSecret) == std::string::npos);
  CHECK(DecisionInputsText(*a) != DecisionInputsText(*b));
  CHECK(DecisionInputsKnown(Config(Value::String("postgresql://db/app"))));
  CHECK_FALSE(DecisionInputsKnown(Config(Value::Unknown(Type::String()))));
}

TEST_CASE("MakePlannerFacts: maps probed facts, tools and configuration", "[resources]") {
  Result<UpgradeConfig> cfg =
      ParseUpgradeConfig(Config(Value::String("postgresql://postgres@old:5432/app"), "postgresql://postgres@new:5432/app"));
  REQUIRE(cfg.ok());
  pg::InstanceFacts target;
  target.version = "17.2";
  target.major = "17";
  HostTools tools;
  tools.pg_dump_major = 15;
  tools.pg_upgrade_major = 17;
  tools.source_data_dir_local = true;
  tools.source_bin_dir = "/usr/lib/postgresql/13/bin";
  tools.target_bin_dir_ok = true;

  planner::Facts f = MakePlannerFacts(*cfg, SourceFacts(), target, tools);
  CHECK(f.engine == planner::Engine::kPostgres);
  CHECK(f.current_version == "13.23");
  CHECK(f.data_size_bytes == std::optional<int64_t>(5LL << 30));
  CHECK(f.has_target_server);
  CHECK(f.target_server_version == std::optional<std::string>("17.2"));
  CHECK(f.local_dirs);
  CHECK(f.source_bin_dir);
  CHECK(f.target_bin_dir);
  CHECK(f.in_place_link);
  CHECK(f.wal_level == "logical");
  CHECK(f.tables_without_pk == std::optional<int64_t>(3));
  CHECK(f.tables_without_pk_with_identity == 2);
  CHECK(f.tables_without_pk_names == std::vector<std::string>{"public.events"});
  CHECK(f.extensions == std::vector<std::string>{"plpgsql", "hstore"});
  CHECK(f.pg_dump_major == std::optional<int>(15));
  CHECK(f.pg_upgrade_major == std::optional<int>(17));

  SECTION("a target URL naming the source server is not a target server") {
    cfg->target.url = "postgresql://other@old:5432/postgres";
    planner::Facts g = MakePlannerFacts(*cfg, SourceFacts(), std::nullopt, HostTools{});
    CHECK_FALSE(g.has_target_server);
    CHECK_FALSE(g.target_server_version.has_value());
    CHECK_FALSE(g.local_dirs);
    CHECK_FALSE(g.pg_dump_major.has_value());
  }
  SECTION("copy mode is not a link upgrade") {
    cfg->target.upgrade_mode = "copy";
    CHECK_FALSE(MakePlannerFacts(*cfg, SourceFacts(), target, tools).in_place_link);
  }
}

TEST_CASE("MakeUpgradeRequest: maps strategy and max_downtime", "[resources]") {
  UpgradeConfig c;
  c.target_version = "17";
  c.strategy = "replication";
  c.max_downtime_seconds = 90;
  Result<planner::UpgradeRequest> r = MakeUpgradeRequest(c);
  REQUIRE(r.ok());
  CHECK(r->target_version == "17");
  CHECK(r->strategy == std::optional<planner::Strategy>(planner::Strategy::kReplication));
  CHECK(r->max_downtime_seconds == std::optional<int64_t>(90));
  c.strategy = "auto";
  CHECK_FALSE(MakeUpgradeRequest(c)->strategy.has_value());
  c.strategy = "teleport";
  Result<planner::UpgradeRequest> bad = MakeUpgradeRequest(c);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().path()->ToString() == "strategy");
}

TEST_CASE("ToolMajorForFacts: uses the planner's convention for old majors", "[resources]") {
  CHECK(ToolMajorForFacts(17, 2) == 17);
  CHECK(ToolMajorForFacts(9, 6) == 96);
}

TEST_CASE("IsNewerMinorThanPinned: true only for a newer release of the pinned major", "[resources]") {
  CHECK(IsNewerMinorThanPinned("17.4", "17.2"));
  CHECK_FALSE(IsNewerMinorThanPinned("17.2", "17.2"));
  CHECK_FALSE(IsNewerMinorThanPinned("17.4", "17"));
  CHECK_FALSE(IsNewerMinorThanPinned("17.1", "17.2"));
  CHECK_FALSE(IsNewerMinorThanPinned("18.0", "17.2"));
}

TEST_CASE("ComputedFromDecision: chosen strategy first, path from the current version", "[resources]") {
  planner::Facts f;
  f.current_version = "13.23";
  f.data_size_bytes = 1LL << 30;
  f.has_target_server = true;
  f.target_server_version = "17.2";
  f.wal_level = "replica";  // rejects replication
  f.pg_dump_major = 15;
  planner::UpgradeRequest r;
  r.target_version = "17";
  planner::Decision d = planner::Decide(f, r);
  REQUIRE(d.chosen());
  PlannedComputed c = ComputedFromDecision(d, 1LL << 30);
  CHECK(c.current_version == "13.23");
  CHECK(c.planned_strategy == "dump_restore");
  REQUIRE(c.upgrade_path.size() == 2);
  CHECK(c.upgrade_path.front() == "13.23");
  CHECK(c.upgrade_path.back().rfind("17", 0) == 0);
  CHECK(c.estimated_downtime_seconds == d.estimate->seconds);
  REQUIRE(c.decision.size() == 3);
  CHECK(c.decision[0].rfind("dump_restore: chosen", 0) == 0);
  bool replication_rejected = false;
  for (const auto& l : c.decision) {
    if (l.rfind("replication: rejected", 0) == 0 && l.find("wal_level") != std::string::npos) replication_rejected = true;
  }
  CHECK(replication_rejected);
  CHECK(c.data_size_bytes == (1LL << 30));

  SECTION("round trip through attributes") {
    Result<PlannedComputed> back = PlannedComputed::FromAttributes(c.ToAttributes());
    REQUIRE(back.ok());
    CHECK(back->decision == c.decision);
    CHECK(back->upgrade_path == c.upgrade_path);
    CHECK(back->estimated_downtime_seconds == c.estimated_downtime_seconds);
  }
  SECTION("already at target: none, and the decision says nothing to do") {
    f.current_version = "17.2";
    planner::Decision n = planner::Decide(f, r);
    REQUIRE(n.outcome == planner::Outcome::kNothingToDo);
    PlannedComputed p = ComputedFromDecision(n, 42);
    CHECK(p.planned_strategy == kPlannedStrategyNone);
    CHECK(p.upgrade_path == std::vector<std::string>{"17.2"});
    CHECK(p.estimated_downtime_seconds == 0);
    CHECK(p.decision.front().rfind("nothing to do", 0) == 0);
  }
}

TEST_CASE("MakeUpgradeSpec: carries configuration, provider options and the stop flag", "[resources]") {
  Result<UpgradeConfig> cfg =
      ParseUpgradeConfig(Config(Value::String("postgresql://postgres@old:5432/app"), "postgresql://postgres@new:5432/app",
                                {{"cutover", Server("cutover", {{"terminate_sessions", Value::Bool(true)}})}}));
  REQUIRE(cfg.ok());
  cfg->source.stop_command = {"systemctl", "stop", "it's"};
  ProviderOptions opts;
  opts.work_dir = "/w";
  opts.parallelism = 3;
  opts.tool_paths = {"/t"};
  std::atomic<bool> stop{false};
  Result<pg::UpgradeSpec> s = MakeUpgradeSpec(*cfg, opts, cfg->source.url, cfg->source.password, 17, &stop,
                                              std::chrono::seconds(60));
  REQUIRE(s.ok());
  REQUIRE(s->source.conn.has_value());
  REQUIRE(s->target.conn.has_value());
  CHECK(s->source.conn->password() == kSecret);
  CHECK(s->target.conn->host() == "new");
  CHECK(s->target_major == 17);
  CHECK(s->terminate_sessions);
  CHECK(s->parallelism == 3);
  CHECK(s->work_dir == "/w");
  CHECK(s->tool_paths == std::vector<std::string>{"/t"});
  CHECK(s->stop == &stop);
  CHECK(s->timeout == std::chrono::seconds(60));
  CHECK(s->source.stop_command == "'systemctl' 'stop' 'it'\\''s'");
  CHECK(s->in_place_mode == pg::InPlaceMode::kLink);
}

TEST_CASE("PlanCache: reuses values within the TTL and misses otherwise", "[resources]") {
  TempDir dir;
  PlanCache cache(dir.path, std::chrono::seconds(3600));
  const Type type = Type::Object({{"current_version", Type::String()}, {"data_size_bytes", Type::Number()}});
  const Value values = Value::Object(type, {{"current_version", Value::String("13.23")},
                                            {"data_size_bytes", Value::Int(123456789)}});
  const std::string key = PlanCacheKey("engine=postgresql\nsource.url=postgresql://db/app\n", "", "");
  CHECK(key.size() == 32);
  const auto t0 = std::chrono::system_clock::now();
  REQUIRE(cache.Put(key, values, type, t0).ok());

  SECTION("hit within the TTL returns the values verbatim") {
    std::optional<Value> hit = cache.Get(key, type, t0 + std::chrono::seconds(3599));
    REQUIRE(hit.has_value());
    CHECK(*hit == values);
  }
  SECTION("miss when the configuration or the prior state differ") {
    CHECK_FALSE(cache.Get(PlanCacheKey("engine=postgresql\nsource.url=postgresql://db/other\n", "", ""), type, t0)
                    .has_value());
    CHECK_FALSE(cache.Get(PlanCacheKey("engine=postgresql\nsource.url=postgresql://db/app\n", "postgres://x", ""),
                          type, t0)
                    .has_value());
  }
  SECTION("miss once the TTL has passed") {
    CHECK_FALSE(cache.Get(key, type, t0 + std::chrono::seconds(3600)).has_value());
  }
  SECTION("a corrupt file is a miss, and Put repairs it") {
    std::ofstream(cache.PathFor(key)) << "{not json";
    CHECK_FALSE(cache.Get(key, type, t0).has_value());
    REQUIRE(cache.Put(key, values, type, t0).ok());
    CHECK(cache.Get(key, type, t0).has_value());
  }
  SECTION("the default TTL is a day") { CHECK(kPlanCacheTtl == std::chrono::hours(24)); }
  SECTION("bad keys are refused") {
    CHECK(cache.Put("../../etc/passwd", values, type, t0).IsInvalidArgument());
    CHECK_FALSE(cache.Get("../../etc/passwd", type, t0).has_value());
  }
}

struct ResourceFixture {
  TempDir dir;
  ProviderOptions opts;
  StopToken stop;
  CallContext ctx;
  std::unique_ptr<Resource> r = NewDatabaseUpgradeResource();
  ResourceFixture() {
    opts.work_dir = dir.path;
    ctx = CallContext{&opts, &stop};
  }
};

TEST_CASE("database_upgrade Plan: unknown source URL gives unknown computed values, no error", "[resources]") {
  ResourceFixture fx;
  PlanRequest req;
  req.prior_state = Value::Null(Block().ImpliedType());
  req.config = Config(Value::Unknown(Type::String()));
  req.proposed_new_state = req.config;
  PlanResponse resp;
  schema::Diagnostics diags;
  fx.r->Plan(fx.ctx, req, &resp, &diags);
  CHECK_FALSE(diags.HasError());
  for (const char* name : {"current_version", "planned_strategy", "upgrade_path", "estimated_downtime_seconds",
                           "decision", "data_size_bytes", "active_url", "completed_at", "id"}) {
    INFO(name);
    CHECK_FALSE(resp.planned_state.GetAttr(name).IsKnown());
  }
}

TEST_CASE("database_upgrade Plan: an unreachable source is an error on source.url without the secret",
          "[resources]") {
  ResourceFixture fx;
  const std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(ClosedPort()) + "/postgres";
  PlanRequest req;
  req.prior_state = Value::Null(Block().ImpliedType());
  req.config = Config(Value::String(url));
  req.proposed_new_state = req.config;
  PlanResponse resp;
  schema::Diagnostics diags;
  fx.r->Plan(fx.ctx, req, &resp, &diags);
  REQUIRE(diags.HasError());
  REQUIRE(diags.items()[0].attribute.has_value());
  CHECK(diags.items()[0].attribute->ToString() == "source.url");
  CHECK(DiagText(diags).find(kSecret) == std::string::npos);
}

TEST_CASE("database_upgrade Plan: an unchanged resource at its target version keeps the prior state",
          "[resources]") {
  ResourceFixture fx;
  // The URL points nowhere: proves that no probe is needed for a no-change plan.
  Value config = Config(Value::String("postgresql://postgres@127.0.0.1:" + std::to_string(ClosedPort()) + "/postgres"));
  Value prior = config.WithAttr("current_version", Value::String("17.6"))
                    .WithAttr("planned_strategy", Value::String("dump_restore"))
                    .WithAttr("active_url", Value::String("postgres://postgres@127.0.0.1:1/postgres"))
                    .WithAttr("id", Value::String("x"));
  PlanRequest req;
  req.prior_state = prior;
  req.config = config;
  req.proposed_new_state = prior;
  PlanResponse resp;
  schema::Diagnostics diags;
  fx.r->Plan(fx.ctx, req, &resp, &diags);
  CHECK_FALSE(diags.HasError());
  CHECK(resp.planned_state == prior);

  SECTION("a newer minor than a pinned target warns and still plans nothing") {
    Value pinned = config.WithAttr("target_version", Value::String("17.2"));
    Value prior2 = prior.WithAttr("target_version", Value::String("17.2"));
    req.config = pinned;
    req.prior_state = prior2;
    req.proposed_new_state = prior2;
    schema::Diagnostics d2;
    fx.r->Plan(fx.ctx, req, &resp, &d2);
    CHECK_FALSE(d2.HasError());
    REQUIRE(d2.items().size() == 1);
    CHECK(d2.items()[0].severity == schema::Diagnostic::Severity::kWarning);
    CHECK(resp.planned_state == prior2);
  }
}

TEST_CASE("database_upgrade ValidateConfig: refuses configurations that cannot work", "[resources]") {
  ResourceFixture fx;
  SECTION("dump_restore without target.url") {
    schema::Diagnostics d;
    fx.r->ValidateConfig(Config(Value::String("postgresql://db/app"), std::nullopt,
                                {{"strategy", Value::String("dump_restore")}}),
                         &d);
    REQUIRE(d.HasError());
    CHECK(d.items()[0].attribute->ToString() == "target.url");
  }
  SECTION("an engine without upgrade support") {
    schema::Diagnostics d;
    fx.r->ValidateConfig(Config(Value::String("mysql://db/app"), std::nullopt, {{"engine", Value::String("mysql")},
                                                                                   {"target_version", Value::String("8.0")}}),
                         &d);
    REQUIRE(d.HasError());
    bool on_engine = false;
    for (const auto& x : d.items()) on_engine = on_engine || (x.attribute && x.attribute->ToString() == "engine");
    CHECK(on_engine);
  }
  SECTION("a valid configuration") {
    schema::Diagnostics d;
    fx.r->ValidateConfig(Config(Value::String("postgresql://db/app"), "postgresql://new/app"), &d);
    CHECK_FALSE(d.HasError());
  }
}

TEST_CASE("database_upgrade Import: a malformed ID is an error and a URL gives a partial state", "[resources]") {
  ResourceFixture fx;
  SECTION("malformed") {
    Value state;
    schema::Diagnostics d;
    fx.r->Import(fx.ctx, "not a url", &state, &d);
    CHECK(d.HasError());
  }
  SECTION("unreachable server: warning, url and defaults recorded, password stripped") {
    Value state;
    schema::Diagnostics d;
    const std::string port = std::to_string(ClosedPort());
    fx.r->Import(fx.ctx, "postgresql://postgres:" + std::string(kSecret) + "@127.0.0.1:" + port + "/app", &state, &d);
    CHECK_FALSE(d.HasError());
    CHECK(DiagText(d).find(kSecret) == std::string::npos);
    REQUIRE(state.IsKnown());
    CHECK(state.GetAttr("engine").AsString() == "postgresql");
    CHECK(state.GetAttr("strategy").AsString() == "auto");
    const std::string url = state.GetAttr("source").GetAttr("url").AsString();
    CHECK(url.find(kSecret) == std::string::npos);
    CHECK(url.find("127.0.0.1:" + port) != std::string::npos);
    CHECK(state.IsWhollyKnown());
  }
}

TEST_CASE("UpgradeFailed: names the failed step and what to do", "[resources]") {
  schema::Diagnostic d =
      UpgradeFailed(Status::Unavailable("step copy_data failed: connection lost"), "dump_restore", true);
  CHECK(d.severity == schema::Diagnostic::Severity::kError);
  CHECK(d.summary == "Upgrade failed at step copy_data");
  CHECK(d.detail.find("writes enabled") != std::string::npos);
  CHECK(d.detail.find("Nothing was saved") != std::string::npos);
  CHECK(d.detail.find("terraform apply again") != std::string::npos);
  CHECK(d.detail.find("connection lost") != std::string::npos);

  schema::Diagnostic u = UpgradeFailed(
      Status::Unavailable("step copy_data failed: x; undo of restore_pre_data failed: y"), "dump_restore", false);
  CHECK(u.detail.find("could not be undone") != std::string::npos);
  CHECK(u.detail.find("previous upgrade") != std::string::npos);

  schema::Diagnostic c = UpgradeFailed(Status::Cancelled("timed out after 1s: step backup cancelled: z"), "replication",
                                       true);
  CHECK(c.summary == "Upgrade cancelled at step backup");
  CHECK(c.detail.find("timeouts.create") != std::string::npos);
}

TEST_CASE("NoStrategyWithinDowntime: names the fastest strategy, its estimate and the attribute", "[resources]") {
  schema::Diagnostic d = NoStrategyWithinDowntime("replication", 31, 5, {"replication: feasible: x"},
                                                  AttributePath::Root("max_downtime"));
  CHECK(d.attribute->ToString() == "max_downtime");
  CHECK(d.detail.find("\"replication\"") != std::string::npos);
  CHECK(d.detail.find("31s") != std::string::npos);
  CHECK(d.detail.find("replication: feasible: x") != std::string::npos);
  schema::Diagnostic w = NewerThanPinnedVersion("17.4", "17.2", AttributePath::Root("target_version"));
  CHECK(w.severity == schema::Diagnostic::Severity::kWarning);
}

TEST_CASE("UpgradeRunId: deterministic per upgrade, different per target, never holds a password", "[resources]") {
  pg::UpgradeSpec a;
  a.source.conn = *pg::ConnInfo::Parse("postgresql://postgres@old:5432/app", std::string(kSecret));
  a.target.conn = *pg::ConnInfo::Parse("postgresql://postgres@new:5432/app", std::string(kSecret));
  a.target_major = 17;
  pg::UpgradeSpec b = a;
  b.target.conn = *pg::ConnInfo::Parse("postgresql://postgres@new:5432/other", std::string(kSecret));
  const std::string id = pg::UpgradeRunId(planner::Strategy::kDumpRestore, a);
  CHECK(id == pg::UpgradeRunId(planner::Strategy::kDumpRestore, a));
  CHECK(id.rfind("pg-dump_restore-", 0) == 0);
  CHECK(id != pg::UpgradeRunId(planner::Strategy::kDumpRestore, b));
  CHECK(id != pg::UpgradeRunId(planner::Strategy::kReplication, a));
  CHECK(id.find(kSecret) == std::string::npos);
  CHECK(pg::StrategyText(planner::Strategy::kInPlace) == "in_place");
}

TEST_CASE("RunUpgrade: refuses a spec that lacks what the strategy needs, before touching anything",
          "[resources]") {
  TempDir dir;
  pg::UpgradeSpec s;
  s.work_dir = dir.path;
  s.source.conn = *pg::ConnInfo::Parse("postgresql://postgres@127.0.0.1:1/app");
  CHECK(pg::RunUpgrade(planner::Strategy::kDumpRestore, s).status().IsInvalidArgument());
  CHECK(pg::RunUpgrade(planner::Strategy::kInPlace, s).status().IsInvalidArgument());
  s.work_dir.clear();
  CHECK(pg::RunUpgrade(planner::Strategy::kReplication, s).status().IsInvalidArgument());
  CHECK_FALSE(std::filesystem::exists(dir.path + "/runs"));
}

}  // namespace
}  // namespace tpd::resources
