// Unit tests of provider/framework.{h,cc}: ProviderCore with fake resources and data sources that can
// be told to misbehave, checking that every Terraform rule violation becomes an error diagnostic.
#include "provider/framework.h"

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/impl/service_type.h>

#include "provider/registry.h"
#include "provider/services.h"
#include "resources/resource.h"
#include "schema/diagnostics.h"
#include "schema/objchange.h"
#include "schema/schema.h"
#include "schema/value.h"
#include "tests/support/schema_fakes.h"

namespace tpd::provider {
namespace {

using schema::AttributePath;
using schema::Diagnostics;
using schema::Type;
using testsupport::MakeAttr;
using schema::Value;

// ---- Fakes ---------------------------------------------------------------------------------------

// fake_thing: id (computed), name (required, must not be "bad"), size (optional number),
// engine (optional, requires replace), mode (optional+computed, default "auto"),
// opts (LIST block: label (optional, non-empty), kind (optional, requires replace)).
const schema::Schema& ThingSchema() {
  static const schema::Schema s = [] {
    schema::Schema sc;
    sc.version = 1;
    sc.block.description = "A fake resource.";
    sc.block.attributes.push_back(MakeAttr("id", Type::String(), false, false, true));
    auto name = MakeAttr("name", Type::String(), true, false, false);
    name.validators.push_back([](const Value& v) {
      return v.AsString() == "bad" ? Status::InvalidArgument("name must not be \"bad\"") : Status::Ok();
    });
    sc.block.attributes.push_back(name);
    sc.block.attributes.push_back(MakeAttr("size", Type::Number(), false, true, false));
    auto engine = MakeAttr("engine", Type::String(), false, true, false);
    engine.requires_replace = true;
    sc.block.attributes.push_back(engine);
    auto mode = MakeAttr("mode", Type::String(), false, true, true);
    mode.default_value = Value::String("auto");
    sc.block.attributes.push_back(mode);
    schema::NestedBlock opts;
    opts.type_name = "opts";
    opts.nesting = schema::NestingMode::kList;
    opts.block.description = "Options.";
    auto label = MakeAttr("label", Type::String(), false, true, false);
    label.validators.push_back([](const Value& v) {
      return v.AsString().empty() ? Status::InvalidArgument("label must not be empty") : Status::Ok();
    });
    opts.block.attributes.push_back(label);
    auto kind = MakeAttr("kind", Type::String(), false, true, false);
    kind.requires_replace = true;
    opts.block.attributes.push_back(kind);
    sc.block.block_types.push_back(opts);
    return sc;
  }();
  return s;
}

Type ThingType() { return ThingSchema().block.ImpliedType(); }
Type OptType() { return ThingType().attributes().at("opts").element(); }

Value Opt(std::optional<std::string> label, std::optional<std::string> kind) {
  std::map<std::string, Value> m;
  if (label) m["label"] = Value::String(*label);
  if (kind) m["kind"] = Value::String(*kind);
  return Value::Object(OptType(), std::move(m));
}

Value ThingConfig(std::string name, std::optional<std::string> engine = std::nullopt, std::vector<Value> opts = {},
                  std::optional<Value> size = std::nullopt) {
  std::map<std::string, Value> m;
  m["name"] = Value::String(std::move(name));
  if (engine) m["engine"] = Value::String(*engine);
  if (size) m["size"] = *size;
  m["opts"] = Value::List(OptType(), std::move(opts));
  return Value::Object(ThingType(), std::move(m));
}

struct Behaviour {
  enum class Plan { kValid, kChangeConfigured, kUnknownNonComputed, kThrow, kNull };
  enum class Apply { kValid, kDiffer, kNullNoError, kNullWithError, kUnknown };
  enum class Read { kEcho, kGone, kUnknown };
  std::atomic<Plan> plan{Plan::kValid};
  std::atomic<Apply> apply{Apply::kValid};
  std::atomic<Read> read{Read::kEcho};
  std::atomic<int> plan_calls{0};
  std::atomic<int> apply_calls{0};
  std::atomic<int> delete_calls{0};
  std::atomic<int> validate_calls{0};
  std::string read_private;  // set before the test runs
  std::atomic<bool> saw_stop{false};
};

class FakeThing : public resources::Resource {
 public:
  explicit FakeThing(Behaviour* b) : b_(b) {}
  std::string TypeName() const override { return "fake_thing"; }
  const schema::Schema& GetSchema() const override { return ThingSchema(); }
  void ValidateConfig(const Value& config, Diagnostics* diags) const override {
    b_->validate_calls++;
    const Value& size = config.GetAttr("size");
    if (size.IsKnown() && !size.IsNull() && size.AsNumber().ToDouble() < 0)
      diags->AddError("Invalid size", "size must not be negative", AttributePath::Root("size"));
  }
  void Plan(const resources::CallContext& ctx, const resources::PlanRequest& req, resources::PlanResponse* resp,
            Diagnostics*) const override {
    b_->plan_calls++;
    if (ctx.stop->stopped()) b_->saw_stop = true;
    Value planned = req.proposed_new_state;
    if (planned.GetAttr("id").IsNull()) planned = planned.WithAttr("id", Value::Unknown(Type::String()));
    switch (b_->plan.load()) {
      case Behaviour::Plan::kValid:
        break;
      case Behaviour::Plan::kChangeConfigured:
        planned = planned.WithAttr("name", Value::String("changed"));
        break;
      case Behaviour::Plan::kUnknownNonComputed:
        planned = planned.WithAttr("size", Value::Unknown(Type::Number()));
        break;
      case Behaviour::Plan::kThrow:
        throw std::runtime_error("boom with password hunter2");
      case Behaviour::Plan::kNull:
        planned = Value::Null(ThingType());
        break;
    }
    resp->planned_state = planned;
  }
  void Apply(const resources::CallContext&, const resources::ApplyRequest& req, resources::ApplyResponse* resp,
             Diagnostics* diags) const override {
    b_->apply_calls++;
    Value state = req.planned_state;
    if (!state.GetAttr("id").IsKnown()) state = state.WithAttr("id", Value::String("id-1"));
    switch (b_->apply.load()) {
      case Behaviour::Apply::kValid:
        resp->new_state = state;
        break;
      case Behaviour::Apply::kDiffer:
        resp->new_state = state.WithAttr("name", Value::String("other"));
        break;
      case Behaviour::Apply::kNullNoError:
        break;
      case Behaviour::Apply::kNullWithError:
        diags->AddError("Create failed", "the server refused");
        break;
      case Behaviour::Apply::kUnknown:
        resp->new_state = req.planned_state;
        break;
    }
    resp->private_data = "applied";
  }
  void Read(const resources::CallContext&, const resources::ReadRequest& req, resources::ReadResponse* resp,
            Diagnostics*) const override {
    switch (b_->read.load()) {
      case Behaviour::Read::kEcho:
        resp->new_state = req.current_state;
        break;
      case Behaviour::Read::kGone:
        resp->new_state = Value::Null(ThingType());
        break;
      case Behaviour::Read::kUnknown:
        resp->new_state = req.current_state.WithAttr("id", Value::Unknown(Type::String()));
        break;
    }
    resp->private_data = b_->read_private;
  }
  void Delete(const resources::CallContext&, const Value&, Diagnostics*) const override { b_->delete_calls++; }
  void Import(const resources::CallContext&, std::string_view id, Value* state, Diagnostics* diags) const override {
    if (id.empty()) {
      diags->AddError("Invalid import ID", "empty");
      return;
    }
    *state = Value::Object(ThingType(), {{"id", Value::String(std::string(id))}, {"opts", Value::List(OptType(), {})}});
  }

 private:
  Behaviour* b_;
};

// fake_info data source: name (required, must not be "bad"), greeting and length (computed).
const schema::Schema& InfoSchema() {
  static const schema::Schema s = [] {
    schema::Schema sc;
    sc.block.description = "A fake data source.";
    auto name = MakeAttr("name", Type::String(), true, false, false);
    name.validators.push_back([](const Value& v) {
      return v.AsString() == "bad" ? Status::InvalidArgument("name must not be \"bad\"") : Status::Ok();
    });
    sc.block.attributes.push_back(name);
    sc.block.attributes.push_back(MakeAttr("greeting", Type::String(), false, false, true));
    sc.block.attributes.push_back(MakeAttr("length", Type::Number(), false, false, true));
    return sc;
  }();
  return s;
}

struct InfoBehaviour {
  enum class Mode { kValid, kChangeConfigured, kUnknown, kNull };
  std::atomic<Mode> mode{Mode::kValid};
  std::atomic<int> read_calls{0};
};

class FakeInfo : public resources::DataSource {
 public:
  explicit FakeInfo(InfoBehaviour* b) : b_(b) {}
  std::string TypeName() const override { return "fake_info"; }
  const schema::Schema& GetSchema() const override { return InfoSchema(); }
  Value Read(const resources::CallContext& ctx, const Value& config, Diagnostics*) const override {
    b_->read_calls++;
    const std::string name = config.GetAttr("name").AsString();
    Value out = config.WithAttr("greeting", Value::String("hello " + name))
                    .WithAttr("length", Value::Int(ctx.options->parallelism));
    switch (b_->mode.load()) {
      case InfoBehaviour::Mode::kValid:
        return out;
      case InfoBehaviour::Mode::kChangeConfigured:
        return out.WithAttr("name", Value::String(name + "!"));
      case InfoBehaviour::Mode::kUnknown:
        return out.WithAttr("greeting", Value::Unknown(Type::String()));
      case InfoBehaviour::Mode::kNull:
        return Value::Null(InfoSchema().block.ImpliedType());
    }
    return out;
  }

 private:
  InfoBehaviour* b_;
};

schema::Schema TestProviderSchema() {
  schema::Schema sc;
  sc.block.description = "Test provider.";
  auto p = MakeAttr("parallelism", Type::Number(), false, true, false);
  p.validators.push_back([](const Value& v) {
    auto i = v.OptInt();
    return (!i || *i < 1 || *i > 64) ? Status::InvalidArgument("parallelism must be 1..64") : Status::Ok();
  });
  sc.block.attributes.push_back(p);
  sc.block.attributes.push_back(MakeAttr("work_dir", Type::String(), false, true, false));
  return sc;
}

struct Fixture {
  Behaviour thing;
  InfoBehaviour info;
  std::atomic<int> parse_calls{0};
  std::unique_ptr<ProviderCore> core;

  Fixture() {
    ProviderDefinition def;
    def.provider_schema = TestProviderSchema();
    def.parse_options = [this](const Value& config) -> Result<resources::ProviderOptions> {
      parse_calls++;
      resources::ProviderOptions o;
      o.parallelism = 3;
      o.work_dir = "/default";
      if (auto p = config.GetAttr("parallelism").OptInt()) o.parallelism = static_cast<int>(*p);
      if (auto w = config.GetAttr("work_dir").OptString()) o.work_dir = *w;
      if (o.work_dir == "/forbidden")
        return Status::InvalidArgument("work_dir is forbidden").WithPath(AttributePath::Root("work_dir"));
      return o;
    };
    def.resources.push_back(std::make_unique<FakeThing>(&thing));
    def.data_sources.push_back(std::make_unique<FakeInfo>(&info));
    core = std::make_unique<ProviderCore>(std::move(def));
  }

  // Plans like Terraform: proposed = ProposedNew(prior, config).
  PlanResourceResponse Plan(const Value& prior, const Value& config) {
    return core->PlanResourceChange("fake_thing", prior, schema::ProposedNew(ThingSchema().block, prior, config),
                                    config, "");
  }
};

bool HasErrorWithSummary(const Diagnostics& d, const std::string& summary) {
  for (const auto& i : d.items())
    if (i.severity == schema::Diagnostic::Severity::kError && i.summary == summary) return true;
  return false;
}

std::string AllText(const Diagnostics& d) {
  std::string s;
  for (const auto& i : d.items()) s += i.summary + ": " + i.detail + "\n";
  return s;
}

// A state as Apply would store it after a create with `config`.
Value CreatedState(const Value& config) {
  Value planned = FillDefaults(ThingSchema().block, schema::ProposedNew(ThingSchema().block, Value::Null(ThingType()), config));
  return planned.WithAttr("id", Value::String("id-1"));
}

// ---- Schemas and startup -------------------------------------------------------------------------

TEST_CASE("ProviderCore: reports every schema and plan_destroy when schemas are valid", "[provider]") {
  Fixture f;
  SchemaResponse r = f.core->GetProviderSchema();
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.provider != nullptr);
  CHECK(r.provider->block.FindAttribute("parallelism") != nullptr);
  REQUIRE(r.resources.count("fake_thing") == 1);
  CHECK(r.resources.at("fake_thing")->version == 1);
  REQUIRE(r.data_sources.count("fake_info") == 1);
  CHECK(r.capabilities.plan_destroy);
  CHECK_FALSE(r.capabilities.get_provider_schema_optional);
  MetadataResponse m = f.core->GetMetadata();
  CHECK(m.resources == std::vector<std::string>{"fake_thing"});
  CHECK(m.data_sources == std::vector<std::string>{"fake_info"});
}

TEST_CASE("ProviderCore: every RPC returns a startup error when a schema is invalid", "[provider]") {
  ProviderDefinition def;
  def.provider_schema = TestProviderSchema();
  auto& bad = def.provider_schema.block.attributes[0];
  bad.required = true;  // required + optional is invalid
  Behaviour b;
  def.resources.push_back(std::make_unique<FakeThing>(&b));
  ProviderCore core(std::move(def));
  REQUIRE(core.StartupDiagnostics().HasError());
  CHECK(core.GetProviderSchema().diagnostics.HasError());
  CHECK(core.GetProviderSchema().resources.empty());
  CHECK(core.ValidateResourceConfig("fake_thing", ThingConfig("a")).HasError());
  CHECK(core.PlanResourceChange("fake_thing", Value::Null(ThingType()), ThingConfig("a"), ThingConfig("a"), "")
            .diagnostics.HasError());
  CHECK(b.plan_calls == 0);
  CHECK(core.ConfigureProvider(Value::Null(TestProviderSchema().block.ImpliedType())).HasError());
  core.Stop();  // still works
  CHECK(core.stop_token().stopped());
}

TEST_CASE("ProviderCore: rejects duplicate and malformed type names at startup", "[provider]") {
  Behaviour b;
  ProviderDefinition def;
  def.resources.push_back(std::make_unique<FakeThing>(&b));
  def.resources.push_back(std::make_unique<FakeThing>(&b));
  ProviderCore core(std::move(def));
  CHECK(core.StartupDiagnostics().HasError());
  CHECK(AllText(core.StartupDiagnostics()).find("registered twice") != std::string::npos);
}

// ---- Validation ----------------------------------------------------------------------------------

TEST_CASE("ProviderCore: validators attach attribute paths when values are invalid", "[provider]") {
  Fixture f;
  SECTION("top-level attribute") {
    Diagnostics d = f.core->ValidateResourceConfig("fake_thing", ThingConfig("bad"));
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].severity == schema::Diagnostic::Severity::kError);
    REQUIRE(d.items()[0].attribute.has_value());
    CHECK(*d.items()[0].attribute == AttributePath::Root("name"));
    CHECK(d.items()[0].detail.find("must not be \"bad\"") != std::string::npos);
  }
  SECTION("attribute inside the second element of a LIST block") {
    Diagnostics d = f.core->ValidateResourceConfig(
        "fake_thing", ThingConfig("a", std::nullopt, {Opt("x", std::nullopt), Opt("", std::nullopt)}));
    REQUIRE(d.items().size() == 1);
    REQUIRE(d.items()[0].attribute.has_value());
    CHECK(*d.items()[0].attribute == AttributePath::Root("opts").Index(1).Attr("label"));
  }
  SECTION("the object's own ValidateConfig runs after the validators") {
    Diagnostics d = f.core->ValidateResourceConfig("fake_thing", ThingConfig("a", std::nullopt, {}, Value::Int(-1)));
    REQUIRE(d.items().size() == 1);
    CHECK(*d.items()[0].attribute == AttributePath::Root("size"));
    CHECK(f.thing.validate_calls == 1);
  }
  SECTION("data source and provider configs") {
    Value info = Value::Object(InfoSchema().block.ImpliedType(), {{"name", Value::String("bad")}});
    Diagnostics d = f.core->ValidateDataSourceConfig("fake_info", info);
    REQUIRE(d.HasError());
    CHECK(*d.items()[0].attribute == AttributePath::Root("name"));
    Value prov = Value::Object(TestProviderSchema().block.ImpliedType(), {{"parallelism", Value::Int(99)}});
    Diagnostics pd = f.core->ValidateProviderConfig(prov);
    REQUIRE(pd.HasError());
    CHECK(*pd.items()[0].attribute == AttributePath::Root("parallelism"));
  }
}

TEST_CASE("ProviderCore: validation skips unknown values when the config is partly unknown", "[provider]") {
  Fixture f;
  Value config = Value::Object(ThingType(), {{"name", Value::Unknown(Type::String())},
                                             {"size", Value::Unknown(Type::Number())},
                                             {"opts", Value::Unknown(ThingType().attributes().at("opts"))}});
  Diagnostics d = f.core->ValidateResourceConfig("fake_thing", config);
  CHECK_FALSE(d.HasError());
  CHECK(f.thing.validate_calls == 1);
  // Wholly unknown config: no crash, no error.
  CHECK_FALSE(f.core->ValidateResourceConfig("fake_thing", Value::Unknown(ThingType())).HasError());
}

TEST_CASE("ProviderCore: unknown type names become error diagnostics", "[provider]") {
  Fixture f;
  CHECK(HasErrorWithSummary(f.core->ValidateResourceConfig("nope", ThingConfig("a")), "Unknown resource type"));
  CHECK(HasErrorWithSummary(f.core->ValidateDataSourceConfig("nope", ThingConfig("a")), "Unknown data source type"));
  CHECK(f.core->PlanResourceChange("nope", Value(), Value(), Value(), "").diagnostics.HasError());
  CHECK(f.core->ApplyResourceChange("nope", Value(), Value(), Value(), "").diagnostics.HasError());
  CHECK(f.core->ReadResource("nope", Value(), "").diagnostics.HasError());
  CHECK(f.core->ImportResourceState("nope", "x").diagnostics.HasError());
  CHECK(f.core->UpgradeResourceState("nope", 0, "{}", false).diagnostics.HasError());
  CHECK(f.core->ReadDataSource("nope", Value()).diagnostics.HasError());
  CHECK(f.core->ResourceSchema("nope") == nullptr);
}

// ---- Plan ----------------------------------------------------------------------------------------

TEST_CASE("ProviderCore: sends a valid create plan with defaults filled", "[provider]") {
  Fixture f;
  Value config = ThingConfig("a", "pg");
  PlanResourceResponse r = f.Plan(Value::Null(ThingType()), config);
  INFO(AllText(r.diagnostics));
  REQUIRE_FALSE(r.diagnostics.HasError());
  REQUIRE(r.has_state);
  CHECK(r.planned_state.GetAttr("mode") == Value::String("auto"));  // default filled
  CHECK_FALSE(r.planned_state.GetAttr("id").IsKnown());
  CHECK(r.planned_state.GetAttr("name") == Value::String("a"));
  CHECK(r.requires_replace.empty());  // never on create
  CHECK(f.thing.plan_calls == 1);
}

TEST_CASE("ProviderCore: refuses a plan that changes a configured value", "[provider]") {
  Fixture f;
  f.thing.plan = Behaviour::Plan::kChangeConfigured;
  PlanResourceResponse r = f.Plan(Value::Null(ThingType()), ThingConfig("a"));
  CHECK_FALSE(r.has_state);
  REQUIRE(HasErrorWithSummary(r.diagnostics, "Provider produced invalid plan"));
  const std::string text = AllText(r.diagnostics);
  CHECK(text.find("name") != std::string::npos);
  CHECK(text.find("bug in the provider") != std::string::npos);
}

TEST_CASE("ProviderCore: refuses a plan with an unknown non-computed attribute", "[provider]") {
  Fixture f;
  f.thing.plan = Behaviour::Plan::kUnknownNonComputed;
  PlanResourceResponse r = f.Plan(Value::Null(ThingType()), ThingConfig("a", std::nullopt, {}, Value::Int(3)));
  CHECK_FALSE(r.has_state);
  REQUIRE(HasErrorWithSummary(r.diagnostics, "Provider produced invalid plan"));
  CHECK(AllText(r.diagnostics).find("size") != std::string::npos);
  SECTION("also when the config leaves it null") {
    PlanResourceResponse r2 = f.Plan(Value::Null(ThingType()), ThingConfig("a"));
    CHECK_FALSE(r2.has_state);
    CHECK(HasErrorWithSummary(r2.diagnostics, "Provider produced invalid plan"));
  }
}

TEST_CASE("ProviderCore: refuses a null plan for a non-null config", "[provider]") {
  Fixture f;
  f.thing.plan = Behaviour::Plan::kNull;
  PlanResourceResponse r = f.Plan(Value::Null(ThingType()), ThingConfig("a"));
  CHECK_FALSE(r.has_state);
  CHECK(HasErrorWithSummary(r.diagnostics, "Provider produced invalid plan"));
}

TEST_CASE("ProviderCore: plans destroy without calling the resource when config is null", "[provider]") {
  Fixture f;
  Value prior = CreatedState(ThingConfig("a"));
  PlanResourceResponse r = f.core->PlanResourceChange("fake_thing", prior, Value::Null(ThingType()),
                                                      Value::Null(ThingType()), "priv");
  REQUIRE_FALSE(r.diagnostics.HasError());
  REQUIRE(r.has_state);
  CHECK(r.planned_state.IsNull());
  CHECK(r.planned_private == "priv");
  CHECK(f.thing.plan_calls == 0);
}

TEST_CASE("ProviderCore: computes requires_replace when a replacing attribute changes", "[provider]") {
  Fixture f;
  Value prior = CreatedState(ThingConfig("a", "pg", {Opt("x", "k1")}));
  SECTION("top-level attribute") {
    PlanResourceResponse r = f.Plan(prior, ThingConfig("a", "mysql", {Opt("x", "k1")}));
    INFO(AllText(r.diagnostics));
    REQUIRE(r.has_state);
    REQUIRE(r.requires_replace.size() == 1);
    CHECK(r.requires_replace[0] == AttributePath::Root("engine"));
  }
  SECTION("attribute inside a LIST block element") {
    PlanResourceResponse r = f.Plan(prior, ThingConfig("a", "pg", {Opt("x", "k2")}));
    REQUIRE(r.has_state);
    REQUIRE(r.requires_replace.size() == 1);
    CHECK(r.requires_replace[0] == AttributePath::Root("opts").Index(0).Attr("kind"));
  }
  SECTION("a change of a non-replacing attribute is an update") {
    PlanResourceResponse r = f.Plan(prior, ThingConfig("b", "pg", {Opt("y", "k1")}));
    REQUIRE(r.has_state);
    CHECK(r.requires_replace.empty());
    CHECK(r.planned_state.GetAttr("id") == Value::String("id-1"));  // prior kept for computed
  }
  SECTION("no change: planned equals prior") {
    PlanResourceResponse r = f.Plan(prior, ThingConfig("a", "pg", {Opt("x", "k1")}));
    REQUIRE(r.has_state);
    CHECK(r.requires_replace.empty());
    CHECK(r.planned_state == prior);
  }
  SECTION("block element added: the block as a whole") {
    PlanResourceResponse r = f.Plan(prior, ThingConfig("a", "pg", {Opt("x", "k1"), Opt("z", "k3")}));
    REQUIRE(r.has_state);
    REQUIRE(r.requires_replace.size() == 1);
    CHECK(r.requires_replace[0] == AttributePath::Root("opts"));
  }
}

TEST_CASE("ProviderCore: plan runs validators and sends no plan when they fail", "[provider]") {
  Fixture f;
  PlanResourceResponse r = f.Plan(Value::Null(ThingType()), ThingConfig("bad"));
  CHECK_FALSE(r.has_state);
  REQUIRE(r.diagnostics.HasError());
  CHECK(*r.diagnostics.items()[0].attribute == AttributePath::Root("name"));
  CHECK(f.thing.plan_calls == 0);
}

TEST_CASE("ProviderCore: an exception in a resource becomes a diagnostic without its message", "[provider]") {
  Fixture f;
  f.thing.plan = Behaviour::Plan::kThrow;
  PlanResourceResponse r = f.Plan(Value::Null(ThingType()), ThingConfig("a"));
  CHECK_FALSE(r.has_state);
  REQUIRE(HasErrorWithSummary(r.diagnostics, "Internal error in provider"));
  CHECK(AllText(r.diagnostics).find("hunter2") == std::string::npos);
}

// ---- Apply ---------------------------------------------------------------------------------------

TEST_CASE("ProviderCore: applies a create and returns the known result", "[provider]") {
  Fixture f;
  Value config = ThingConfig("a");
  PlanResourceResponse p = f.Plan(Value::Null(ThingType()), config);
  REQUIRE(p.has_state);
  ApplyResourceResponse r = f.core->ApplyResourceChange("fake_thing", Value::Null(ThingType()), p.planned_state,
                                                        config, p.planned_private);
  INFO(AllText(r.diagnostics));
  REQUIRE_FALSE(r.diagnostics.HasError());
  REQUIRE(r.has_state);
  CHECK(r.new_state.GetAttr("id") == Value::String("id-1"));
  CHECK(r.private_data == "applied");
}

TEST_CASE("ProviderCore: reports an apply result that differs from a known planned value", "[provider]") {
  Fixture f;
  f.thing.apply = Behaviour::Apply::kDiffer;
  Value config = ThingConfig("a");
  PlanResourceResponse p = f.Plan(Value::Null(ThingType()), config);
  REQUIRE(p.has_state);
  ApplyResourceResponse r =
      f.core->ApplyResourceChange("fake_thing", Value::Null(ThingType()), p.planned_state, config, "");
  REQUIRE(HasErrorWithSummary(r.diagnostics, "Provider produced inconsistent result after apply"));
  CHECK(AllText(r.diagnostics).find("name") != std::string::npos);
  // What exists is still recorded so Terraform does not lose track of it.
  CHECK(r.has_state);
}

TEST_CASE("ProviderCore: refuses an apply result with unknown values", "[provider]") {
  Fixture f;
  f.thing.apply = Behaviour::Apply::kUnknown;
  Value config = ThingConfig("a");
  PlanResourceResponse p = f.Plan(Value::Null(ThingType()), config);
  ApplyResourceResponse r =
      f.core->ApplyResourceChange("fake_thing", Value::Null(ThingType()), p.planned_state, config, "");
  CHECK(HasErrorWithSummary(r.diagnostics, "Provider returned invalid result object after apply"));
  CHECK_FALSE(r.has_state);
}

TEST_CASE("ProviderCore: a null apply result needs an error", "[provider]") {
  Fixture f;
  Value config = ThingConfig("a");
  PlanResourceResponse p = f.Plan(Value::Null(ThingType()), config);
  SECTION("without an error it is a provider bug") {
    f.thing.apply = Behaviour::Apply::kNullNoError;
    ApplyResourceResponse r =
        f.core->ApplyResourceChange("fake_thing", Value::Null(ThingType()), p.planned_state, config, "");
    CHECK(HasErrorWithSummary(r.diagnostics, "Provider returned invalid result object after apply"));
    CHECK_FALSE(r.has_state);
  }
  SECTION("with an error on create nothing is saved") {
    f.thing.apply = Behaviour::Apply::kNullWithError;
    ApplyResourceResponse r =
        f.core->ApplyResourceChange("fake_thing", Value::Null(ThingType()), p.planned_state, config, "");
    REQUIRE(r.diagnostics.items().size() == 1);
    CHECK(r.diagnostics.items()[0].summary == "Create failed");
    CHECK_FALSE(r.has_state);
  }
}

TEST_CASE("ProviderCore: calls Delete when the planned state is null", "[provider]") {
  Fixture f;
  Value prior = CreatedState(ThingConfig("a"));
  ApplyResourceResponse r =
      f.core->ApplyResourceChange("fake_thing", prior, Value::Null(ThingType()), Value::Null(ThingType()), "");
  REQUIRE_FALSE(r.diagnostics.HasError());
  CHECK(f.thing.delete_calls == 1);
  CHECK(f.thing.apply_calls == 0);
  REQUIRE(r.has_state);
  CHECK(r.new_state.IsNull());
}

// ---- Read, import, upgrade -----------------------------------------------------------------------

TEST_CASE("ProviderCore: ReadResource checks the result and echoes private data", "[provider]") {
  Fixture f;
  Value state = CreatedState(ThingConfig("a"));
  SECTION("valid read keeps private when the resource gives none") {
    ReadResourceResponse r = f.core->ReadResource("fake_thing", state, "p0");
    REQUIRE_FALSE(r.diagnostics.HasError());
    REQUIRE(r.has_state);
    CHECK(r.new_state == state);
    CHECK(r.private_data == "p0");
  }
  SECTION("new private data replaces the old") {
    f.thing.read_private = "p1";
    ReadResourceResponse r = f.core->ReadResource("fake_thing", state, "p0");
    CHECK(r.private_data == "p1");
  }
  SECTION("gone") {
    f.thing.read = Behaviour::Read::kGone;
    ReadResourceResponse r = f.core->ReadResource("fake_thing", state, "p0");
    REQUIRE(r.has_state);
    CHECK(r.new_state.IsNull());
  }
  SECTION("unknown values are a provider bug") {
    f.thing.read = Behaviour::Read::kUnknown;
    ReadResourceResponse r = f.core->ReadResource("fake_thing", state, "p0");
    CHECK_FALSE(r.has_state);
    CHECK(HasErrorWithSummary(r.diagnostics, "Provider produced invalid object"));
  }
}

TEST_CASE("ProviderCore: ImportResourceState returns one resource with its type name", "[provider]") {
  Fixture f;
  ImportResourceResponse r = f.core->ImportResourceState("fake_thing", "abc");
  REQUIRE_FALSE(r.diagnostics.HasError());
  REQUIRE(r.imported.size() == 1);
  CHECK(r.imported[0].type_name == "fake_thing");
  CHECK(r.imported[0].state.GetAttr("id") == Value::String("abc"));
  ImportResourceResponse bad = f.core->ImportResourceState("fake_thing", "");
  CHECK(bad.diagnostics.HasError());
  CHECK(bad.imported.empty());
}

TEST_CASE("ProviderCore: UpgradeResourceState decodes JSON and refuses flatmap", "[provider]") {
  Fixture f;
  const std::string json = R"({"id":"x","name":"n","size":3,"engine":null,"mode":"auto","opts":[]})";
  SECTION("current version") {
    UpgradeStateResponse r = f.core->UpgradeResourceState("fake_thing", 1, json, false);
    INFO(AllText(r.diagnostics));
    REQUIRE_FALSE(r.diagnostics.HasError());
    CHECK(r.upgraded_state.GetAttr("id") == Value::String("x"));
    CHECK(r.upgraded_state.GetAttr("size") == Value::Int(3));
  }
  SECTION("unsupported older version") {
    UpgradeStateResponse r = f.core->UpgradeResourceState("fake_thing", 0, json, false);
    CHECK(r.diagnostics.HasError());
    CHECK(r.upgraded_state.IsNull());
  }
  SECTION("flatmap") {
    UpgradeStateResponse r = f.core->UpgradeResourceState("fake_thing", 1, "", true);
    CHECK(HasErrorWithSummary(r.diagnostics, "Unsupported state format"));
  }
  SECTION("nothing stored") {
    UpgradeStateResponse r = f.core->UpgradeResourceState("fake_thing", 1, "", false);
    CHECK_FALSE(r.diagnostics.HasError());
    CHECK(r.upgraded_state.IsNull());
  }
}

// ---- Data sources --------------------------------------------------------------------------------

TEST_CASE("ProviderCore: ReadDataSource checks the result keeps configured values", "[provider]") {
  Fixture f;
  Value config = Value::Object(InfoSchema().block.ImpliedType(), {{"name", Value::String("db")}});
  SECTION("valid") {
    ReadDataSourceResponse r = f.core->ReadDataSource("fake_info", config);
    INFO(AllText(r.diagnostics));
    REQUIRE(r.has_state);
    CHECK(r.state.GetAttr("greeting") == Value::String("hello db"));
  }
  SECTION("changed configured value") {
    f.info.mode = InfoBehaviour::Mode::kChangeConfigured;
    ReadDataSourceResponse r = f.core->ReadDataSource("fake_info", config);
    CHECK_FALSE(r.has_state);
    REQUIRE(HasErrorWithSummary(r.diagnostics, "Provider produced invalid object"));
    CHECK(AllText(r.diagnostics).find("name") != std::string::npos);
  }
  SECTION("unknown result") {
    f.info.mode = InfoBehaviour::Mode::kUnknown;
    CHECK(HasErrorWithSummary(f.core->ReadDataSource("fake_info", config).diagnostics,
                              "Provider produced invalid object"));
  }
  SECTION("null result") {
    f.info.mode = InfoBehaviour::Mode::kNull;
    CHECK(f.core->ReadDataSource("fake_info", config).diagnostics.HasError());
  }
  SECTION("validators run first") {
    Value bad = Value::Object(InfoSchema().block.ImpliedType(), {{"name", Value::String("bad")}});
    ReadDataSourceResponse r = f.core->ReadDataSource("fake_info", bad);
    CHECK(r.diagnostics.HasError());
    CHECK(f.info.read_calls == 0);
  }
}

// ---- Configure and stop --------------------------------------------------------------------------

TEST_CASE("ProviderCore: ConfigureProvider keeps defaults for unknown values", "[provider]") {
  Fixture f;
  const Type pt = TestProviderSchema().block.ImpliedType();
  CHECK(f.core->options()->parallelism == 3);  // defaults of an empty block before configure
  SECTION("known values are parsed and reach calls") {
    Diagnostics d = f.core->ConfigureProvider(Value::Object(pt, {{"parallelism", Value::Int(7)}}));
    REQUIRE_FALSE(d.HasError());
    CHECK(f.core->options()->parallelism == 7);
    Value config = Value::Object(InfoSchema().block.ImpliedType(), {{"name", Value::String("db")}});
    CHECK(f.core->ReadDataSource("fake_info", config).state.GetAttr("length") == Value::Int(7));
  }
  SECTION("unknown values keep defaults and do not error") {
    Diagnostics d = f.core->ConfigureProvider(
        Value::Object(pt, {{"parallelism", Value::Unknown(Type::Number())}, {"work_dir", Value::String("/w")}}));
    REQUIRE_FALSE(d.HasError());
    CHECK(f.core->options()->parallelism == 3);
    CHECK(f.core->options()->work_dir == "/w");
  }
  SECTION("wholly unknown config") {
    REQUIRE_FALSE(f.core->ConfigureProvider(Value::Unknown(pt)).HasError());
    CHECK(f.core->options()->work_dir == "/default");
  }
  SECTION("parse errors become diagnostics with the path") {
    Diagnostics d = f.core->ConfigureProvider(Value::Object(pt, {{"work_dir", Value::String("/forbidden")}}));
    REQUIRE(d.HasError());
    CHECK(*d.items()[0].attribute == AttributePath::Root("work_dir"));
    CHECK(f.core->options()->work_dir == "/default");
  }
}

TEST_CASE("ProviderCore: Stop sets the token every call sees", "[provider]") {
  Fixture f;
  CHECK_FALSE(f.core->stop_token().stopped());
  f.core->Stop();
  CHECK(f.core->stop_token().stopped());
  f.Plan(Value::Null(ThingType()), ThingConfig("a"));
  CHECK(f.thing.saw_stop);
}

TEST_CASE("ProviderCore: serves concurrent RPCs when called from many threads", "[provider]") {
  Fixture f;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const Type pt = TestProviderSchema().block.ImpliedType();
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Value config = ThingConfig("n" + std::to_string(t), "pg");
        PlanResourceResponse p = f.Plan(Value::Null(ThingType()), config);
        if (!p.has_state) failures++;
        ApplyResourceResponse a =
            f.core->ApplyResourceChange("fake_thing", Value::Null(ThingType()), p.planned_state, config, "");
        if (!a.has_state || a.diagnostics.HasError()) failures++;
        if (i % 10 == 0 && f.core->ConfigureProvider(Value::Object(pt, {{"parallelism", Value::Int(t + 1)}})).HasError())
          failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(f.thing.plan_calls == 400);
}

// ---- Pure helpers --------------------------------------------------------------------------------

TEST_CASE("FillDefaults: fills only null optional+computed attributes", "[provider]") {
  Value proposed = ThingConfig("a");
  Value filled = FillDefaults(ThingSchema().block, proposed);
  CHECK(filled.GetAttr("mode") == Value::String("auto"));
  Value set = proposed.WithAttr("mode", Value::String("manual"));
  CHECK(FillDefaults(ThingSchema().block, set).GetAttr("mode") == Value::String("manual"));
  CHECK(FillDefaults(ThingSchema().block, Value::Null(ThingType())).IsNull());
}

TEST_CASE("CheckConfiguredValuesKept: names every changed configured attribute", "[provider]") {
  Value config = ThingConfig("a", "pg");
  CHECK(CheckConfiguredValuesKept(ThingSchema().block, config, config.WithAttr("id", Value::String("x"))).empty());
  auto problems = CheckConfiguredValuesKept(ThingSchema().block, config, config.WithAttr("engine", Value::String("my")));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("engine") != std::string::npos);
}

TEST_CASE("UnknownsToNull: replaces unknown attributes by null", "[provider]") {
  Value config = ThingConfig("a").WithAttr("size", Value::Unknown(Type::Number()));
  Value out = UnknownsToNull(ThingSchema().block, config);
  CHECK(out.GetAttr("size").IsNull());
  CHECK(out.GetAttr("name") == Value::String("a"));
  CHECK(out.IsWhollyKnown());
}

}  // namespace
}  // namespace tpd::provider

namespace tpd::provider {
namespace {

// ---- The real registry ---------------------------------------------------------------------------

TEST_CASE("Registry: the built-in provider passes startup validation", "[provider]") {
  std::shared_ptr<ProviderCore> core = NewBuiltinProviderCore();
  INFO(AllText(core->StartupDiagnostics()));
  REQUIRE_FALSE(core->StartupDiagnostics().HasError());
  SchemaResponse r = core->GetProviderSchema();
  REQUIRE(r.provider != nullptr);
  CHECK(r.provider->block.FindAttribute("work_dir") != nullptr);
  CHECK(r.provider->block.FindAttribute("parallelism") != nullptr);
  CHECK(r.provider->block.FindAttribute("tool_paths") != nullptr);
  CHECK(r.data_sources.count("database_instance") == 1);
  // Resource types are registered only once they have behaviour: both have it now.
  CHECK(r.resources.size() == 2);
  CHECK(r.resources.count("database_upgrade") == 1);
  CHECK(r.resources.count("database_replica") == 1);
  // Configure with an empty provider block fills defaults.
  Diagnostics d = core->ConfigureProvider(Value::Object(r.provider->block.ImpliedType(), {}));
  INFO(AllText(d));
  CHECK_FALSE(d.HasError());
  CHECK(core->options()->parallelism >= 1);
  CHECK_FALSE(core->options()->work_dir.empty());
}

TEST_CASE("NewProviderService: serves protocols 5 and 6 only", "[provider]") {
  CHECK(NewProviderService(5) != nullptr);
  CHECK(NewProviderService(6) != nullptr);
  CHECK(NewProviderService(4) == nullptr);
  CHECK(NewProviderService(7) == nullptr);
}

}  // namespace
}  // namespace tpd::provider
