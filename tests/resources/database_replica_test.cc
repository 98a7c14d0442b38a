// Unit tests of resources/database_replica: planning, ids, import parsing, without a server.
#include "resources/database_replica.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "resources/database_replica_schema.h"
#include "schema/objchange.h"
#include "schema_walk.h"

namespace tpd::resources {
namespace {

using schema::AttributePath;
using schema::Block;
using schema::Value;

const Block& B() { return DatabaseReplicaSchema().block; }

constexpr char kSrc[] = "postgresql://postgres@old:5432/app";
constexpr char kDst[] = "postgresql://postgres@new:5432/app";

Value Server(const char* name, const std::string& url, std::optional<std::string> password = "pw") {
  std::map<std::string, Value> attrs = {{"url", Value::String(url)}};
  if (password) attrs["password"] = Value::String(*password);
  return Value::Object(B().FindBlock(name)->block.ImpliedType(), std::move(attrs));
}

// A config with the schema defaults already filled (the framework does that before Plan).
Value Config(std::map<std::string, Value> overrides = {}) {
  std::map<std::string, Value> attrs = {
      {"engine", Value::String("postgresql")},
      {"mode", Value::String("logical")},
      {"promote", Value::Bool(false)},
      {"source", Server("source", kSrc)},
      {"target", Server("target", kDst)},
  };
  for (auto& [k, v] : overrides) attrs[k] = v;
  return testing::ConfigOf(B(), std::move(attrs));
}

// A stored state as Create would leave it.
Value State(std::map<std::string, Value> overrides = {}) {
  Value s = Config();
  Result<std::string> rid = ReplicaIdFor(kSrc, kDst, {});
  REQUIRE(rid.ok());
  const std::string name = "tpd_" + *rid;
  std::map<std::string, Value> attrs = {
      {"id", Value::String(name)},
      {"publication", Value::String(name)},
      {"subscription", Value::String(name)},
      {"slot_name", Value::String(name)},
      {"status", Value::String("streaming")},
      {"lag_bytes", Value::Int(120)},
      {"source_version", Value::String("13.23")},
      {"target_version", Value::String("17.6")},
      {"promoted_at", Value::String("")},
      {"measured_downtime_seconds", Value::Null(schema::Type::Number())},
  };
  for (auto& [k, v] : overrides) attrs[k] = v;
  for (auto& [k, v] : attrs) s = s.WithAttr(k, v);
  return s;
}

struct Planned {
  PlanResponse resp;
  schema::Diagnostics diags;
  std::vector<std::string> problems;  // Terraform's plan checks
};

Planned RunPlan(const Value& prior, const Value& config, const std::optional<ReplicaSourceFacts>& facts = std::nullopt,
                const std::string& prior_private = "") {
  Planned p;
  PlanRequest req;
  req.prior_state = prior.IsNull() ? Value::Null(B().ImpliedType()) : prior;
  req.config = config;
  req.proposed_new_state = schema::ProposedNew(B(), req.prior_state, config);
  req.prior_private = prior_private;
  PlanReplica(req, facts, &p.resp, &p.diags);
  if (!p.diags.HasError()) p.problems = schema::AssertPlanValid(B(), req.prior_state, config, p.resp.planned_state);
  return p;
}

std::string Describe(const schema::Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += x.summary + ": " + x.detail + "\n";
  return out;
}

TEST_CASE("ReplicaIdFor: is stable and depends on both databases and the table list", "[resources]") {
  Result<std::string> a = ReplicaIdFor(kSrc, kDst, {});
  REQUIRE(a.ok());
  CHECK(a->size() == 9);
  CHECK(a->at(0) == 'r');
  CHECK(*ReplicaIdFor(kSrc, kDst, {}) == *a);
  // The user, password and parameters do not name another database.
  CHECK(*ReplicaIdFor("postgresql://other:pw@old:5432/app?sslmode=require", kDst, {}) == *a);
  CHECK(*ReplicaIdFor("postgresql://postgres@old:5433/app", kDst, {}) != *a);
  CHECK(*ReplicaIdFor(kSrc, "postgresql://postgres@new:5432/app2", {}) != *a);
  Result<std::string> t = ReplicaIdFor(kSrc, kDst, {"orders", "public.Customers"});
  REQUIRE(t.ok());
  CHECK(*t != *a);
  CHECK(*ReplicaIdFor(kSrc, kDst, {"public.customers", "ORDERS", "orders"}) == *t);
  CHECK_FALSE(ReplicaIdFor("postgresql://h:99999/x", kDst, {}).ok());
}

TEST_CASE("NormalizeTableName: resolves names like PostgreSQL when given quoted and unquoted parts", "[resources]") {
  CHECK(NormalizeTableName("orders") == "public.orders");
  CHECK(NormalizeTableName("Sales.Orders") == "sales.orders");
  CHECK(NormalizeTableName("\"My.Schema\".T") == "My.Schema.t");
  CHECK(NormalizeTableName("s.\"Mixed\"") == "s.Mixed");
}

TEST_CASE("ParseReplicaImportId: accepts source|target|slot and explains the form otherwise", "[resources]") {
  Result<std::string> rid = ReplicaIdFor(kSrc, kDst, {});
  const std::string slot = "tpd_" + *rid;
  Result<ReplicaImportId> ok = ParseReplicaImportId(std::string(kSrc) + "|" + kDst + "|" + slot);
  REQUIRE(ok.ok());
  CHECK(ok->source_url == kSrc);
  CHECK(ok->target_url == kDst);
  CHECK(ok->slot_name == slot);
  CHECK(ok->replica_id == *rid);

  for (const std::string& bad : {std::string(kSrc) + "|" + slot, std::string(kSrc) + "||" + slot,
                                std::string(kSrc) + "|" + kDst + "|myslot",
                                std::string("postgresql://u:secret@old/app|") + kDst + "|" + slot,
                                std::string("nota url|") + kDst + "|" + slot}) {
    INFO(bad);
    Result<ReplicaImportId> r = ParseReplicaImportId(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().find("secret") == std::string::npos);
  }
  CHECK(ParseReplicaImportId(std::string(kSrc) + "|" + slot).status().message().find("<source_url>|<target_url>|") !=
        std::string::npos);
}

TEST_CASE("TablesNeedingIdentity: keeps only replicated tables when a filter is given", "[resources]") {
  ReplicaSourceFacts f;
  f.tables_needing_identity = {"public.events", "audit.log", "public.Odd"};
  CHECK(TablesNeedingIdentity(f, {}) == std::vector<std::string>{"audit.log", "public.Odd", "public.events"});
  CHECK(TablesNeedingIdentity(f, {"events", "public.orders"}) == std::vector<std::string>{"public.events"});
  CHECK(TablesNeedingIdentity(f, {"\"Odd\""}) == std::vector<std::string>{"public.Odd"});
  CHECK(TablesNeedingIdentity(f, {"odd"}).empty());
}

TEST_CASE("PlanReplica: a create knows the object names and leaves the stream's values unknown", "[resources]") {
  Planned p = RunPlan(Value(), Config());
  INFO(Describe(p.diags));
  REQUIRE_FALSE(p.diags.HasError());
  CHECK(p.problems.empty());
  const Value& s = p.resp.planned_state;
  const std::string name = "tpd_" + *ReplicaIdFor(kSrc, kDst, {});
  for (const char* a : {"id", "publication", "subscription", "slot_name"}) {
    INFO(a);
    CHECK(s.GetAttr(a) == Value::String(name));
  }
  CHECK(s.GetAttr("promoted_at") == Value::String(""));
  CHECK(s.GetAttr("measured_downtime_seconds").IsNull());
  for (const char* a : {"status", "lag_bytes", "source_version", "target_version"}) {
    INFO(a);
    CHECK_FALSE(s.GetAttr(a).IsKnown());
  }
  CHECK(p.diags.empty());

  SECTION("unknown URL: names unknown too") {
    Value cfg = Config({{"source", Value::Object(B().FindBlock("source")->block.ImpliedType(),
                                                 {{"url", Value::Unknown(schema::Type::String())}})}});
    Planned u = RunPlan(Value(), cfg);
    REQUIRE_FALSE(u.diags.HasError());
    CHECK(u.problems.empty());
    CHECK_FALSE(u.resp.planned_state.GetAttr("slot_name").IsKnown());
  }
  SECTION("promote = true at create: promoted_at unknown") {
    Planned u = RunPlan(Value(), Config({{"promote", Value::Bool(true)}}));
    REQUIRE_FALSE(u.diags.HasError());
    CHECK(u.problems.empty());
    CHECK_FALSE(u.resp.planned_state.GetAttr("promoted_at").IsKnown());
  }
}

TEST_CASE("PlanReplica: warns about tables without a primary key when the source was probed", "[resources]") {
  ReplicaSourceFacts f;
  f.version = "13.23";
  f.server_version_num = 130023;
  f.wal_level = "logical";
  f.tables_needing_identity = {"public.events"};
  Planned p = RunPlan(Value(), Config(), f);
  REQUIRE_FALSE(p.diags.HasError());
  REQUIRE(p.diags.items().size() == 1);
  const schema::Diagnostic& d = p.diags.items()[0];
  CHECK(d.severity == schema::Diagnostic::Severity::kWarning);
  CHECK(d.detail.find("public.events") != std::string::npos);
  CHECK(d.detail.find("REPLICA IDENTITY FULL") != std::string::npos);
  CHECK(d.attribute == AttributePath::Root("tables"));

  SECTION("a filter without that table: no warning") {
    Planned q = RunPlan(Value(), Config({{"tables", Value::StringList({"orders"})}}), f);
    CHECK(q.diags.empty());
  }
  SECTION("wal_level replica: an error on source.url") {
    f.wal_level = "replica";
    Planned q = RunPlan(Value(), Config(), f);
    REQUIRE(q.diags.HasError());
    CHECK(q.diags.items()[0].attribute == AttributePath::Root("source").Attr("url"));
    CHECK(q.diags.items()[0].detail.find("wal_level = logical") != std::string::npos);
  }
  SECTION("a source older than 10: an error") {
    f.version = "9.6.24";
    f.server_version_num = 90624;
    Planned q = RunPlan(Value(), Config(), f);
    REQUIRE(q.diags.HasError());
    CHECK(q.diags.items()[0].detail.find("PostgreSQL 10") != std::string::npos);
  }
}

TEST_CASE("PlanReplica: keeps every computed value when nothing changed, lag included", "[resources]") {
  Value prior = State({{"lag_bytes", Value::Int(987654)}, {"status", Value::String("copying")}});
  Planned p = RunPlan(prior, Config());
  REQUIRE_FALSE(p.diags.HasError());
  CHECK(p.problems.empty());
  CHECK(p.resp.planned_state == prior);

  SECTION("a new password is an in-place update keeping the computed values") {
    Value cfg = Config({{"source", Server("source", kSrc, "new-pw")}});
    Planned q = RunPlan(prior, cfg);
    REQUIRE_FALSE(q.diags.HasError());
    CHECK(q.problems.empty());
    CHECK(q.resp.planned_state.GetAttr("lag_bytes") == Value::Int(987654));
    CHECK(q.resp.planned_state.GetAttr("slot_name") == prior.GetAttr("slot_name"));
    CHECK(q.diags.items().empty());
  }
}

TEST_CASE("PlanReplica: promote false -> true plans the cutover without replacing", "[resources]") {
  Value prior = State();
  Planned p = RunPlan(prior, Config({{"promote", Value::Bool(true)}}));
  REQUIRE_FALSE(p.diags.HasError());
  CHECK(p.problems.empty());
  const Value& s = p.resp.planned_state;
  CHECK(s.GetAttr("status") == Value::String("promoted"));
  CHECK(s.GetAttr("lag_bytes") == Value::Int(0));
  CHECK_FALSE(s.GetAttr("promoted_at").IsKnown());
  CHECK_FALSE(s.GetAttr("measured_downtime_seconds").IsKnown());
  // slot_name is the replacement trigger: it must not move for a promote.
  CHECK(s.GetAttr("slot_name") == prior.GetAttr("slot_name"));
  CHECK(s.GetAttr("id") == prior.GetAttr("id"));
  CHECK(s.GetAttr("source_version") == prior.GetAttr("source_version"));
}

TEST_CASE("PlanReplica: promote true -> false is an error on promote", "[resources]") {
  Value prior = State({{"promote", Value::Bool(true)},
                       {"status", Value::String("promoted")},
                       {"promoted_at", Value::String("2026-01-01T00:00:00Z")},
                       {"measured_downtime_seconds", Value::Int(1)}});
  Planned p = RunPlan(prior, Config({{"promote", Value::Bool(false)}}));
  REQUIRE(p.diags.HasError());
  CHECK(p.diags.items()[0].attribute == AttributePath::Root("promote"));

  SECTION("staying promoted is a no-op") {
    Planned q = RunPlan(prior, Config({{"promote", Value::Bool(true)}}));
    REQUIRE_FALSE(q.diags.HasError());
    CHECK(q.resp.planned_state == prior);
  }
  SECTION("replacing a promoted replica is refused") {
    Planned q = RunPlan(prior, Config({{"promote", Value::Bool(true)}, {"tables", Value::StringList({"t"})}}));
    CHECK(q.diags.HasError());
  }
}

TEST_CASE("PlanReplica: a broken replica plans a replacement with the reason as warning", "[resources]") {
  Value prior = State({{"status", Value::String("broken")}, {"lag_bytes", Value::Null(schema::Type::Number())}});
  Planned p = RunPlan(prior, Config(), std::nullopt, "subscription tpd_x is missing on the target");
  REQUIRE_FALSE(p.diags.HasError());
  CHECK(p.problems.empty());
  CHECK_FALSE(p.resp.planned_state.GetAttr("slot_name").IsKnown());
  CHECK_FALSE(p.resp.planned_state.GetAttr("status").IsKnown());
  REQUIRE(p.diags.items().size() == 1);
  CHECK(p.diags.items()[0].severity == schema::Diagnostic::Severity::kWarning);
  CHECK(p.diags.items()[0].detail.find("subscription tpd_x is missing on the target") != std::string::npos);
  // What the framework turns into requires_replace: slot_name is marked and changes.
  CHECK(B().FindAttribute("slot_name")->requires_replace);
  CHECK(p.resp.planned_state.GetAttr("slot_name") != prior.GetAttr("slot_name"));
}

TEST_CASE("PlanReplica: changing tables or a URL replans every computed value", "[resources]") {
  Value prior = State();
  Planned p = RunPlan(prior, Config({{"tables", Value::StringList({"orders"})}}));
  REQUIRE_FALSE(p.diags.HasError());
  CHECK(p.problems.empty());
  CHECK_FALSE(p.resp.planned_state.GetAttr("slot_name").IsKnown());
  CHECK(B().FindAttribute("tables")->requires_replace);
  CHECK(B().FindBlock("source")->block.FindAttribute("url")->requires_replace);
  CHECK(B().FindBlock("target")->block.FindAttribute("url")->requires_replace);
  CHECK_FALSE(B().FindAttribute("status")->requires_replace);
  CHECK_FALSE(B().FindAttribute("lag_bytes")->requires_replace);
}

TEST_CASE("DatabaseReplicaResource: import builds a state Read can complete", "[resources]") {
  std::unique_ptr<Resource> r = NewDatabaseReplicaResource();
  CHECK(r->TypeName() == "database_replica");
  StopToken stop;
  ProviderOptions opts;
  CallContext ctx{&opts, &stop};
  const std::string slot = "tpd_" + *ReplicaIdFor(kSrc, kDst, {});
  Value state;
  schema::Diagnostics diags;
  r->Import(ctx, std::string(kSrc) + "|" + kDst + "|" + slot, &state, &diags);
  INFO(Describe(diags));
  REQUIRE_FALSE(diags.HasError());
  CHECK(schema::CheckConforms(state, B().ImpliedType()).ok());
  CHECK(state.GetAttr("slot_name") == Value::String(slot));
  CHECK(state.GetAttr("id") == Value::String(slot));
  CHECK(state.GetAttr("source").GetAttr("url") == Value::String(kSrc));
  CHECK(state.GetAttr("source").GetAttr("password").IsNull());
  CHECK(state.GetAttr("promote") == Value::Bool(false));

  schema::Diagnostics bad;
  Value ignored;
  r->Import(ctx, "nonsense", &ignored, &bad);
  CHECK(bad.HasError());
}

TEST_CASE("DatabaseReplicaResource: plan of a create with an unreachable source is not an error", "[resources]") {
  std::unique_ptr<Resource> r = NewDatabaseReplicaResource();
  StopToken stop;
  ProviderOptions opts;
  CallContext ctx{&opts, &stop};
  // Port 1 on localhost: nothing listens there, the connection is refused at once.
  Value cfg = Config({{"source", Server("source", "postgresql://postgres@127.0.0.1:1/app", "topsecret")}});
  PlanRequest req;
  req.prior_state = Value::Null(B().ImpliedType());
  req.config = cfg;
  req.proposed_new_state = schema::ProposedNew(B(), req.prior_state, cfg);
  PlanResponse resp;
  schema::Diagnostics diags;
  r->Plan(ctx, req, &resp, &diags);
  INFO(Describe(diags));
  CHECK_FALSE(diags.HasError());
  CHECK(resp.planned_state.GetAttr("slot_name").IsKnown());
}

}  // namespace
}  // namespace tpd::resources
