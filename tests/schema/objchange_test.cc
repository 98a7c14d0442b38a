#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "schema/objchange.h"

namespace tpd::schema {
namespace {

Attribute A(std::string name, Type t, bool required, bool optional, bool computed, bool sensitive = false) {
  Attribute a;
  a.name = std::move(name);
  a.type = std::move(t);
  a.description = "d";
  a.required = required;
  a.optional = optional;
  a.computed = computed;
  a.sensitive = sensitive;
  return a;
}

NestedBlock NB(std::string name, NestingMode mode, std::vector<Attribute> attrs) {
  NestedBlock nb;
  nb.type_name = std::move(name);
  nb.nesting = mode;
  nb.block.description = "d";
  nb.block.attributes = std::move(attrs);
  return nb;
}

// A resource schema with every nesting mode and every attribute flavour.
Block TestSchema() {
  Block b;
  b.attributes = {A("engine", Type::String(), true, false, false),
                  A("target_version", Type::String(), true, false, false),
                  A("strategy", Type::String(), false, true, true),
                  A("id", Type::String(), false, false, true),
                  A("notes", Type::String(), false, true, false),
                  A("password", Type::String(), false, true, false, true),
                  A("size", Type::Number(), false, false, true),
                  A("tags", Type::List(Type::String()), false, true, false)};
  b.block_types = {
      NB("source", NestingMode::kSingle,
         {A("url", Type::String(), true, false, false), A("port", Type::Number(), false, true, true)}),
      NB("hop", NestingMode::kList, {A("version", Type::String(), true, false, false), A("done", Type::Bool(), false, false, true)}),
      NB("table", NestingMode::kSet, {A("name", Type::String(), true, false, false), A("rows", Type::Number(), false, false, true)}),
      NB("label", NestingMode::kMap,
         {A("value", Type::String(), true, false, false), A("created", Type::String(), false, false, true)}),
      NB("settings", NestingMode::kGroup, {A("mode", Type::String(), false, true, false)}),
      NB("dyn", NestingMode::kList, {A("v", Type::Dynamic(), false, true, false)}),
  };
  return b;
}

const Block& S() {
  static const Block* const kSchema = new Block(TestSchema());
  return *kSchema;
}
Type T() { return S().ImpliedType(); }
Type ObjOf(const char* block) { return S().FindBlock(block)->block.ImpliedType(); }

Value Src(const std::string& url, Value port) {
  return Value::Object(ObjOf("source"), {{"url", Value::String(url)}, {"port", std::move(port)}});
}
Value Hop(const std::string& v, Value done) {
  return Value::Object(ObjOf("hop"), {{"version", Value::String(v)}, {"done", std::move(done)}});
}
Value Table(const std::string& n, Value rows) {
  return Value::Object(ObjOf("table"), {{"name", Value::String(n)}, {"rows", std::move(rows)}});
}
Value Label(const std::string& v, Value created) {
  return Value::Object(ObjOf("label"), {{"value", Value::String(v)}, {"created", std::move(created)}});
}
Value Settings(Value mode) { return Value::Object(ObjOf("settings"), {{"mode", std::move(mode)}}); }

// A configuration object: empty collections of blocks, as Terraform decodes an absent block.
Value Config(std::map<std::string, Value> attrs) {
  std::map<std::string, Value> all = {
      {"source", Value::Null(ObjOf("source"))},
      {"hop", Value::List(ObjOf("hop"), {})},
      {"table", Value::Set(ObjOf("table"), {})},
      {"label", Value::Map(ObjOf("label"), {})},
      {"settings", Settings(Value::Null(Type::String()))},
      {"dyn", Value::Tuple({})},
  };
  for (auto& [k, v] : attrs) all[k] = std::move(v);
  return Value::Object(T(), std::move(all));
}

Value BaseConfig() {
  return Config({{"engine", Value::String("postgres")},
                 {"target_version", Value::String("17")},
                 {"source", Src("postgres://db", Value::Null(Type::Number()))},
                 {"hop", Value::List(ObjOf("hop"), {Hop("16", Value::Null(Type::Bool())), Hop("17", Value::Null(Type::Bool()))})},
                 {"table", Value::Set(ObjOf("table"), {Table("a", Value::Null(Type::Number())), Table("b", Value::Null(Type::Number()))})},
                 {"label", Value::Map(ObjOf("label"), {{"team", Label("db", Value::Null(Type::String()))}})}});
}

// What a correct provider plans on create: unknown for computed values it cannot know yet.
Value CreatePlan() {
  Value c = BaseConfig();
  Value unk_s = Value::Unknown(Type::String());
  Value unk_n = Value::Unknown(Type::Number());
  Value unk_b = Value::Unknown(Type::Bool());
  return c.WithAttr("strategy", Value::String("auto"))
      .WithAttr("id", unk_s)
      .WithAttr("size", unk_n)
      .WithAttr("source", Src("postgres://db", Value::Int(5432)))
      .WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", unk_b), Hop("17", unk_b)}))
      .WithAttr("table", Value::Set(ObjOf("table"), {Table("a", unk_n), Table("b", unk_n)}))
      .WithAttr("label", Value::Map(ObjOf("label"), {{"team", Label("db", unk_s)}}));
}

// The state after applying CreatePlan.
Value AppliedState() {
  return CreatePlan()
      .WithAttr("id", Value::String("pg-1"))
      .WithAttr("size", Value::Int(1024))
      .WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", Value::Bool(true)), Hop("17", Value::Bool(true))}))
      .WithAttr("table", Value::Set(ObjOf("table"), {Table("a", Value::Int(10)), Table("b", Value::Int(20))}))
      .WithAttr("label", Value::Map(ObjOf("label"), {{"team", Label("db", Value::String("t0"))}}));
}

bool Mentions(const std::vector<std::string>& errs, const std::string& fragment) {
  for (const auto& e : errs) {
    if (e.find(fragment) != std::string::npos) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& errs) {
  std::string out;
  for (const auto& e : errs) out += e + "\n";
  return out;
}

TEST_CASE("ProposedNew: takes config values and leaves computed values null on create", "[schema]") {
  Value p = ProposedNew(S(), Value::Null(T()), BaseConfig());
  REQUIRE(CheckConforms(p, T()).ok());
  CHECK(p.GetAttr("engine") == Value::String("postgres"));
  CHECK(p.GetAttr("id").IsNull());
  CHECK(p.GetAttr("strategy").IsNull());
  CHECK(p.GetAttr("source") == Src("postgres://db", Value::Null(Type::Number())));
  CHECK(p.GetAttr("hop").Length() == 2);
  CHECK(p.GetAttr("table").Length() == 2);
  CHECK(p.GetAttr("settings") == Settings(Value::Null(Type::String())));
  CHECK(p == BaseConfig());
}

TEST_CASE("ProposedNew: keeps prior computed values where config is null on update", "[schema]") {
  Value prior = AppliedState();
  Value config = BaseConfig()
                     .WithAttr("target_version", Value::String("18"))
                     .WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", Value::Null(Type::Bool())),
                                                                 Hop("17", Value::Null(Type::Bool())),
                                                                 Hop("18", Value::Null(Type::Bool()))}))
                     .WithAttr("table", Value::Set(ObjOf("table"), {Table("a", Value::Null(Type::Number())),
                                                                   Table("c", Value::Null(Type::Number()))}))
                     .WithAttr("label", Value::Map(ObjOf("label"), {{"team", Label("db", Value::Null(Type::String()))},
                                                                     {"env", Label("prod", Value::Null(Type::String()))}}));
  Value p = ProposedNew(S(), prior, config);
  REQUIRE(CheckConforms(p, T()).ok());
  CHECK(p.GetAttr("target_version") == Value::String("18"));
  CHECK(p.GetAttr("id") == Value::String("pg-1"));        // computed-only: prior
  CHECK(p.GetAttr("strategy") == Value::String("auto"));  // optional+computed, config null: prior
  CHECK(p.GetAttr("size") == Value::Int(1024));
  CHECK(p.GetAttr("source").GetAttr("port") == Value::Int(5432));
  SECTION("LIST blocks correlate by index") {
    const auto& hops = p.GetAttr("hop").Elements();
    REQUIRE(hops.size() == 3);
    CHECK(hops[0] == Hop("16", Value::Bool(true)));
    CHECK(hops[1] == Hop("17", Value::Bool(true)));
    CHECK(hops[2] == Hop("18", Value::Null(Type::Bool())));
  }
  SECTION("SET blocks correlate by non-computed values") {
    Value want = Value::Set(ObjOf("table"), {Table("a", Value::Int(10)), Table("c", Value::Null(Type::Number()))});
    CHECK(p.GetAttr("table") == want);
  }
  SECTION("MAP blocks correlate by key") {
    const auto& m = p.GetAttr("label").MapElements();
    CHECK(m.at("team") == Label("db", Value::String("t0")));
    CHECK(m.at("env") == Label("prod", Value::Null(Type::String())));
  }
  SECTION("a configured optional+computed value wins over prior") {
    Value p2 = ProposedNew(S(), prior, config.WithAttr("strategy", Value::String("in_place")));
    CHECK(p2.GetAttr("strategy") == Value::String("in_place"));
  }
  SECTION("a removed SINGLE block is null") {
    Value p3 = ProposedNew(S(), prior, config.WithAttr("source", Value::Null(ObjOf("source"))));
    CHECK(p3.GetAttr("source").IsNull());
  }
}

TEST_CASE("ProposedNew: returns prior for a destroy and null for null/null", "[schema]") {
  CHECK(ProposedNew(S(), AppliedState(), Value::Null(T())) == AppliedState());
  CHECK(ProposedNew(S(), Value::Null(T()), Value::Null(T())).IsNull());
}

TEST_CASE("ProposedNew: echoes an unknown dynamic block and handles tuple-typed LIST blocks", "[schema]") {
  Value cfg = BaseConfig().WithAttr("hop", Value::Unknown(S().ImpliedType().attributes().at("hop")));
  Value p = ProposedNew(S(), AppliedState(), cfg);
  CHECK_FALSE(p.GetAttr("hop").IsKnown());
  Value dyn_cfg = BaseConfig().WithAttr("dyn", Value::Tuple({Value::Object({{"v", Value::String("x")}})}));
  Value p2 = ProposedNew(S(), Value::Null(T()), dyn_cfg);
  REQUIRE(p2.GetAttr("dyn").type().kind() == Type::Kind::kTuple);
  CHECK(p2.GetAttr("dyn").Elements()[0].GetAttr("v") == Value::String("x"));
}

TEST_CASE("AssertPlanValid: accepts correct plans", "[schema]") {
  SECTION("create with unknown computed values") {
    auto errs = AssertPlanValid(S(), Value::Null(T()), BaseConfig(), CreatePlan());
    INFO(Join(errs));
    CHECK(errs.empty());
  }
  SECTION("the proposed new state itself") {
    Value prior = AppliedState();
    Value cfg = BaseConfig().WithAttr("target_version", Value::String("18"));
    auto errs = AssertPlanValid(S(), prior, cfg, ProposedNew(S(), prior, cfg));
    INFO(Join(errs));
    CHECK(errs.empty());
  }
  SECTION("optional+computed keeps prior although config differs") {
    Value prior = AppliedState().WithAttr("strategy", Value::String("dump_restore"));
    Value cfg = BaseConfig().WithAttr("strategy", Value::String("DUMP_RESTORE"));
    Value planned = ProposedNew(S(), prior, cfg).WithAttr("strategy", Value::String("dump_restore"));
    auto errs = AssertPlanValid(S(), prior, cfg, planned);
    INFO(Join(errs));
    CHECK(errs.empty());
  }
  SECTION("unknown config values echoed as unknown") {
    Value cfg = BaseConfig().WithAttr("notes", Value::Unknown(Type::String()));
    Value planned = CreatePlan().WithAttr("notes", Value::Unknown(Type::String()));
    CHECK(AssertPlanValid(S(), Value::Null(T()), cfg, planned).empty());
  }
  SECTION("refinements are ignored for the equality rules") {
    Refinements r;
    r.not_null = true;
    Value cfg = BaseConfig().WithAttr("notes", Value::Unknown(Type::String()));
    Value planned = CreatePlan().WithAttr("notes", Value::Unknown(Type::String(), r));
    CHECK(AssertPlanValid(S(), Value::Null(T()), cfg, planned).empty());
  }
  SECTION("destroy: null plan for null config") {
    CHECK(AssertPlanValid(S(), AppliedState(), Value::Null(T()), Value::Null(T())).empty());
  }
  SECTION("SET blocks are trusted") {
    Value planned = CreatePlan().WithAttr("table", Value::Set(ObjOf("table"), {Table("zzz", Value::Int(1))}));
    CHECK(AssertPlanValid(S(), Value::Null(T()), BaseConfig(), planned).empty());
  }
}

TEST_CASE("AssertPlanValid: rejects invalid plans", "[schema]") {
  Value prior = AppliedState();
  Value cfg = BaseConfig();
  Value good = ProposedNew(S(), prior, cfg);
  auto check = [&](const Value& planned, const std::string& fragment, const Value& use_prior,
                   const Value* use_cfg = nullptr) {
    auto errs = AssertPlanValid(S(), use_prior, use_cfg ? *use_cfg : cfg, planned);
    INFO(Join(errs));
    CHECK(Mentions(errs, fragment));
  };
  SECTION("a configured value changed in the plan (create)") {
    check(CreatePlan().WithAttr("engine", Value::String("mysql")), "engine: planned value \"mysql\" does not match config value \"postgres\"",
          Value::Null(T()));
  }
  SECTION("a configured value changed in the plan (update) names prior too") {
    check(good.WithAttr("target_version", Value::String("16")), "nor prior value", prior);
  }
  SECTION("unknown planned for a configured non-computed attribute") {
    check(good.WithAttr("engine", Value::Unknown(Type::String())), "engine: planned value <unknown> does not match", prior);
  }
  SECTION("unknown planned for an unset non-computed attribute") {
    check(good.WithAttr("notes", Value::Unknown(Type::String())), "notes: planned value <unknown> for a non-computed attribute", prior);
  }
  SECTION("a value planned for an unset non-computed attribute") {
    check(good.WithAttr("tags", Value::StringList({"x"})), "tags: planned value", prior);
  }
  SECTION("sensitive values are not printed") {
    Value c2 = cfg.WithAttr("password", Value::String("hunter2"));
    auto errs = AssertPlanValid(S(), prior, c2, ProposedNew(S(), prior, c2).WithAttr("password", Value::String("other")));
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].find("hunter2") == std::string::npos);
    CHECK(errs[0].find("other") == std::string::npos);
    CHECK(errs[0] == "password: sensitive planned value does not match config value");
  }
  SECTION("optional+computed changed away from both config and prior") {
    Value c2 = cfg.WithAttr("strategy", Value::String("in_place"));
    check(ProposedNew(S(), prior, c2).WithAttr("strategy", Value::String("replication")),
          "strategy: planned value \"replication\" does not match config value \"in_place\" nor prior value \"auto\"", prior, &c2);
  }
  SECTION("LIST block count changed") {
    Value planned = good.WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", Value::Bool(true))}));
    check(planned, "hop: block count in plan (1) disagrees with count in config (2)", prior);
  }
  SECTION("value inside a LIST block element changed") {
    Value planned = good.WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", Value::Bool(true)), Hop("99", Value::Bool(true))}));
    check(planned, "hop[1].version", prior);
  }
  SECTION("LIST block planned null") {
    check(good.WithAttr("hop", Value::Null(S().ImpliedType().attributes().at("hop"))), "must be empty to indicate no blocks, not null", prior);
  }
  SECTION("block element planned wholly unknown") {
    Value planned = good.WithAttr("hop", Value::List(ObjOf("hop"), {Value::Unknown(ObjOf("hop")), Hop("17", Value::Bool(true))}));
    check(planned, "element representing nested block must not be unknown itself", prior);
  }
  SECTION("whole block planned unknown") {
    check(good.WithAttr("hop", Value::Unknown(S().ImpliedType().attributes().at("hop"))), "planned unknown value for non-computed block", prior);
  }
  SECTION("MAP block key added or removed") {
    Value planned = good.WithAttr("label", Value::Map(ObjOf("label"), {{"other", Label("db", Value::String("t0"))}}));
    auto errs = AssertPlanValid(S(), prior, cfg, planned);
    CHECK(Mentions(errs, "block key \"other\" from plan is not present in config"));
    CHECK(Mentions(errs, "block key \"team\" from config is not present in plan"));
  }
  SECTION("SINGLE block value changed") {
    check(good.WithAttr("source", Src("postgres://elsewhere", Value::Int(5432))), "source.url", prior);
  }
  SECTION("SINGLE block planned absent") {
    check(good.WithAttr("source", Value::Null(ObjOf("source"))), "source: planned for absence but config wants existence", prior);
  }
  SECTION("GROUP block value invented") {
    check(good.WithAttr("settings", Settings(Value::String("fast"))), "settings.mode: planned value \"fast\" for a non-computed attribute", prior);
  }
  SECTION("SET block element unknown") {
    check(good.WithAttr("table", Value::Set(ObjOf("table"), {Value::Unknown(ObjOf("table"))})), "element representing nested block", prior);
  }
  SECTION("planned value for an unknown dynamic block") {
    Value c2 = cfg.WithAttr("hop", Value::Unknown(S().ImpliedType().attributes().at("hop")));
    auto errs = AssertPlanValid(S(), prior, c2, good);
    CHECK(Mentions(errs, "for unknown dynamic block"));
  }
  SECTION("destroy planned as existing") {
    auto errs = AssertPlanValid(S(), prior, Value::Null(T()), prior);
    CHECK(Mentions(errs, "planned for existence but config wants absence"));
  }
  SECTION("create planned as absent") {
    auto errs = AssertPlanValid(S(), Value::Null(T()), cfg, Value::Null(T()));
    CHECK(Mentions(errs, "planned for absence but config wants existence"));
  }
}

TEST_CASE("AssertObjectCompatible: accepts an apply result that fills in the unknowns", "[schema]") {
  auto errs = AssertObjectCompatible(S(), CreatePlan(), AppliedState());
  INFO(Join(errs));
  CHECK(errs.empty());
  CHECK(AssertObjectCompatible(S(), Value::Null(T()), Value::Null(T())).empty());
  SECTION("a set may shrink when unknown elements coalesce") {
    Value planned = CreatePlan().WithAttr(
        "table", Value::Set(ObjOf("table"), {Table("a", Value::Unknown(Type::Number())), Table("a", Value::Unknown(Type::Number()))}));
    Value actual = AppliedState().WithAttr("table", Value::Set(ObjOf("table"), {Table("a", Value::Int(1))}));
    CHECK(AssertObjectCompatible(S(), planned, actual).empty());
  }
}

TEST_CASE("AssertObjectCompatible: rejects apply results that differ from the plan", "[schema]") {
  Value planned = CreatePlan();
  Value actual = AppliedState();
  auto check = [&](const Value& a, const std::string& fragment) {
    auto errs = AssertObjectCompatible(S(), planned, a);
    INFO(Join(errs));
    CHECK(Mentions(errs, fragment));
  };
  SECTION("a known planned value changed") {
    check(actual.WithAttr("strategy", Value::String("in_place")), "strategy: was \"auto\", but now \"in_place\"");
  }
  SECTION("a known planned value became null") {
    check(actual.WithAttr("strategy", Value::Null(Type::String())), "strategy: was \"auto\", but now null");
  }
  SECTION("a null planned value became known") {
    check(actual.WithAttr("notes", Value::String("x")), "notes: was null, but now \"x\"");
  }
  SECTION("a value is still unknown after apply") {
    check(actual.WithAttr("strategy", Value::Unknown(Type::String())), "was known, but now unknown");
  }
  SECTION("wrong final type") {
    check(actual.WithAttr("size", Value::String("big")), "wrong final value type");
  }
  SECTION("sensitive values are redacted") {
    Value p2 = planned.WithAttr("password", Value::String("hunter2"));
    auto errs = AssertObjectCompatible(S(), p2, actual.WithAttr("password", Value::String("s3cret")));
    REQUIRE(errs.size() == 1);
    CHECK(errs[0] == "password: inconsistent values for sensitive attribute");
  }
  SECTION("LIST block count changed") {
    check(actual.WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", Value::Bool(true))})), "hop: block count changed from 2 to 1");
  }
  SECTION("LIST block element changed") {
    check(actual.WithAttr("hop", Value::List(ObjOf("hop"), {Hop("16", Value::Bool(true)), Hop("18", Value::Bool(true))})),
          "hop[1].version: was \"17\", but now \"18\"");
  }
  SECTION("SET block element does not correlate") {
    check(actual.WithAttr("table", Value::Set(ObjOf("table"), {Table("a", Value::Int(1)), Table("z", Value::Int(2))})),
          "does not correlate");
  }
  SECTION("SET block grew") {
    check(actual.WithAttr("table", Value::Set(ObjOf("table"), {Table("a", Value::Int(1)), Table("b", Value::Int(2)),
                                                              Table("a", Value::Int(3))})),
          "block set length changed from 2 to 3");
  }
  SECTION("MAP block key vanished or appeared") {
    Value a2 = actual.WithAttr("label", Value::Map(ObjOf("label"), {{"x", Label("db", Value::String("t"))}}));
    auto errs = AssertObjectCompatible(S(), planned, a2);
    CHECK(Mentions(errs, "block key \"team\" has vanished"));
    CHECK(Mentions(errs, "new block key \"x\" has appeared"));
  }
  SECTION("SINGLE block vanished") {
    check(actual.WithAttr("source", Value::Null(ObjOf("source"))), "source: was present, but now absent");
  }
  SECTION("root object vanished") {
    auto errs = AssertObjectCompatible(S(), planned, Value::Null(T()));
    REQUIRE(errs.size() == 1);
    CHECK(errs[0] == "Root object was present, but now absent");
  }
  SECTION("list attribute elements appeared") {
    Value p2 = planned.WithAttr("tags", Value::StringList({"a"}));
    auto errs = AssertObjectCompatible(S(), p2, actual.WithAttr("tags", Value::StringList({"a", "b"})));
    CHECK(Mentions(errs, "new element 1 has appeared"));
  }
}

TEST_CASE("AssertObjectCompatible: enforces refinements of planned unknowns", "[schema]") {
  auto plan_with = [](const std::string& attr, Value v) { return CreatePlan().WithAttr(attr, std::move(v)); };
  SECTION("not null") {
    Refinements r;
    r.not_null = true;
    Value planned = plan_with("id", Value::Unknown(Type::String(), r));
    CHECK(AssertObjectCompatible(S(), planned, AppliedState()).empty());
    auto errs = AssertObjectCompatible(S(), planned, AppliedState().WithAttr("id", Value::Null(Type::String())));
    CHECK(Mentions(errs, "id: final value null does not conform to planning placeholder"));
  }
  SECTION("string prefix") {
    Refinements r;
    r.string_prefix = "pg-";
    Value planned = plan_with("id", Value::Unknown(Type::String(), r));
    CHECK(AssertObjectCompatible(S(), planned, AppliedState()).empty());
    CHECK(Mentions(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("id", Value::String("my-1"))),
                   "does not conform to planning placeholder"));
  }
  SECTION("number bounds") {
    Refinements r;
    r.number_lower = std::make_pair(Number::FromInt64(0), true);
    r.number_upper = std::make_pair(Number::FromInt64(1024), false);
    Value planned = plan_with("size", Value::Unknown(Type::Number(), r));
    CHECK(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("size", Value::Int(0))).empty());
    CHECK(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("size", Value::Int(1023))).empty());
    CHECK_FALSE(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("size", Value::Int(1024))).empty());
    CHECK_FALSE(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("size", Value::Int(-1))).empty());
  }
  SECTION("collection length") {
    Refinements r;
    r.length_lower = 1;
    r.length_upper = 2;
    Value planned = plan_with("tags", Value::Unknown(Type::List(Type::String()), r));
    CHECK(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("tags", Value::StringList({"a"}))).empty());
    CHECK_FALSE(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("tags", Value::StringList({}))).empty());
    CHECK_FALSE(AssertObjectCompatible(S(), planned, AppliedState().WithAttr("tags", Value::StringList({"a", "b", "c"}))).empty());
  }
}

TEST_CASE("AssertValidState: requires a wholly known, conforming object", "[schema]") {
  CHECK(AssertValidState(S(), AppliedState()).empty());
  CHECK(AssertValidState(S(), Value::Null(T())).empty());
  auto errs = AssertValidState(S(), CreatePlan());
  CHECK(Mentions(errs, "id: value is unknown"));
  CHECK(Mentions(errs, "hop[0].done: value is unknown"));
  CHECK_FALSE(AssertValidState(S(), AppliedState().WithAttr("size", Value::String("x"))).empty());
  CHECK_FALSE(AssertValidState(S(), AppliedState().WithAttr("bogus", Value::String("x"))).empty());
}

}  // namespace
}  // namespace tpd::schema
