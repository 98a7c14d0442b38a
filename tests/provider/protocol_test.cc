// Tests of provider/protocol5.cc and protocol6.cc: both services run in-process on one gRPC server
// and are called through real stubs with real msgpack bytes.
#include "provider/protocol.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include "proto/tfplugin5.grpc.pb.h"
#include "proto/tfplugin6.grpc.pb.h"
#include "provider/framework.h"
#include "provider/services.h"
#include "resources/resource.h"
#include "schema/codec.h"
#include "schema/schema.h"
#include "schema/value.h"
#include "tests/support/schema_fakes.h"

namespace tpd::provider {
namespace {

using schema::Diagnostics;
using schema::Type;
using testsupport::MakeAttr;
using schema::Value;

std::string Bytes(std::initializer_list<int> bs) {
  std::string s;
  for (int b : bs) s.push_back(static_cast<char>(b));
  return s;
}

// fake_thing: the schema of FACTS.md's worked example: id (computed), name (required), size (optional).
const schema::Schema& ThingSchema() {
  static const schema::Schema s = [] {
    schema::Schema sc;
    sc.version = 2;
    sc.block.description = "A fake resource.";
    sc.block.attributes.push_back(MakeAttr("id", Type::String(), false, false, true));
    auto name = MakeAttr("name", Type::String(), true, false, false);
    name.validators.push_back([](const Value& v) {
      return v.AsString() == "bad" ? Status::InvalidArgument("name must not be \"bad\"") : Status::Ok();
    });
    sc.block.attributes.push_back(name);
    sc.block.attributes.push_back(MakeAttr("size", Type::Number(), false, true, false));
    return sc;
  }();
  return s;
}
Type ThingType() { return ThingSchema().block.ImpliedType(); }

std::atomic<bool> g_break_plan{false};

class FakeThing : public resources::Resource {
 public:
  std::string TypeName() const override { return "fake_thing"; }
  const schema::Schema& GetSchema() const override { return ThingSchema(); }
  void Plan(const resources::CallContext&, const resources::PlanRequest& req, resources::PlanResponse* resp,
            Diagnostics*) const override {
    Value planned = req.proposed_new_state;
    if (planned.GetAttr("id").IsNull()) planned = planned.WithAttr("id", Value::Unknown(Type::String()));
    if (g_break_plan) planned = planned.WithAttr("name", Value::String("changed"));
    resp->planned_state = planned;
    resp->planned_private = "pp";
  }
  void Apply(const resources::CallContext&, const resources::ApplyRequest& req, resources::ApplyResponse* resp,
             Diagnostics*) const override {
    resp->new_state = req.planned_state.WithAttr("id", Value::String("id-7"));
  }
  void Read(const resources::CallContext&, const resources::ReadRequest& req, resources::ReadResponse* resp,
            Diagnostics*) const override {
    resp->new_state = req.current_state;
  }
  void Delete(const resources::CallContext&, const Value&, Diagnostics*) const override {}
  void Import(const resources::CallContext&, std::string_view id, Value* state, Diagnostics*) const override {
    *state = Value::Object(ThingType(), {{"id", Value::String(std::string(id))}});
  }
};

// fake_info: name (required), opts (SINGLE block with x), greeting (computed).
const schema::Schema& InfoSchema() {
  static const schema::Schema s = [] {
    schema::Schema sc;
    sc.block.description = "A fake data source.";
    sc.block.attributes.push_back(MakeAttr("name", Type::String(), true, false, false));
    sc.block.attributes.push_back(MakeAttr("greeting", Type::String(), false, false, true));
    schema::NestedBlock nb;
    nb.type_name = "opts";
    nb.nesting = schema::NestingMode::kSingle;
    nb.block.description = "Options.";
    nb.block.attributes.push_back(MakeAttr("x", Type::List(Type::String()), false, true, false));
    sc.block.block_types.push_back(nb);
    return sc;
  }();
  return s;
}

class FakeInfo : public resources::DataSource {
 public:
  std::string TypeName() const override { return "fake_info"; }
  const schema::Schema& GetSchema() const override { return InfoSchema(); }
  Value Read(const resources::CallContext&, const Value& config, Diagnostics*) const override {
    return config.WithAttr("greeting", Value::String("hi " + config.GetAttr("name").AsString()));
  }
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
  return sc;
}

// Both services on one in-process server.
struct TestServer {
  std::shared_ptr<ProviderCore> core;
  std::unique_ptr<grpc::Service> v5;
  std::unique_ptr<grpc::Service> v6;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<tfplugin5::Provider::Stub> stub5;
  std::unique_ptr<tfplugin6::Provider::Stub> stub6;

  TestServer() {
    g_break_plan = false;
    ProviderDefinition def;
    def.provider_schema = TestProviderSchema();
    def.resources.push_back(std::make_unique<FakeThing>());
    def.data_sources.push_back(std::make_unique<FakeInfo>());
    core = std::make_shared<ProviderCore>(std::move(def));
    v5 = NewProtocol5Service(core);
    v6 = NewProtocol6Service(core);
    grpc::ServerBuilder builder;
    builder.RegisterService(v5.get());
    builder.RegisterService(v6.get());
    server = builder.BuildAndStart();
    auto channel = server->InProcessChannel(grpc::ChannelArguments());
    stub5 = tfplugin5::Provider::NewStub(channel);
    stub6 = tfplugin6::Provider::NewStub(channel);
  }
  ~TestServer() { server->Shutdown(); }
};

template <typename ProtoAttribute>
const ProtoAttribute* FindAttr(const google::protobuf::RepeatedPtrField<ProtoAttribute>& attrs, const std::string& n) {
  for (const auto& a : attrs)
    if (a.name() == n) return &a;
  return nullptr;
}

template <typename Resp>
void CheckSchemaResponse(const Resp& resp) {
  CHECK(resp.diagnostics_size() == 0);
  REQUIRE(resp.has_provider());
  REQUIRE(resp.provider().has_block());
  const auto* par = FindAttr(resp.provider().block().attributes(), "parallelism");
  REQUIRE(par != nullptr);
  CHECK(par->type() == "\"number\"");
  CHECK(par->optional());
  CHECK(par->description() == "test attribute parallelism");

  REQUIRE(resp.resource_schemas().count("fake_thing") == 1);
  const auto& thing = resp.resource_schemas().at("fake_thing");
  CHECK(thing.version() == 2);
  REQUIRE(thing.has_block());
  const auto* name = FindAttr(thing.block().attributes(), "name");
  REQUIRE(name != nullptr);
  CHECK(name->type() == "\"string\"");  // the 8 bytes with quotes
  CHECK(name->required());
  CHECK_FALSE(name->optional());
  const auto* id = FindAttr(thing.block().attributes(), "id");
  REQUIRE(id != nullptr);
  CHECK(id->computed());
  CHECK(static_cast<int>(id->description_kind()) == 0);  // PLAIN

  REQUIRE(resp.data_source_schemas().count("fake_info") == 1);
  const auto& info = resp.data_source_schemas().at("fake_info");
  REQUIRE(info.block().block_types_size() == 1);
  const auto& nb = info.block().block_types(0);
  CHECK(nb.type_name() == "opts");
  CHECK(static_cast<int>(nb.nesting()) == 1);  // SINGLE
  REQUIRE(nb.has_block());
  REQUIRE(nb.block().attributes_size() == 1);
  CHECK(nb.block().attributes(0).type() == R"(["list","string"])");

  REQUIRE(resp.has_server_capabilities());
  CHECK(resp.server_capabilities().plan_destroy());
  CHECK_FALSE(resp.server_capabilities().get_provider_schema_optional());
}

// FACTS.md §4.3 worked example, with id null (config) and unknown (plan).
const std::string kConfigBytes = Bytes({0x83, 0xa2, 0x69, 0x64, 0xc0, 0xa4, 0x6e, 0x61, 0x6d, 0x65, 0xa1, 0x61, 0xa4,
                                        0x73, 0x69, 0x7a, 0x65, 0xc0});
const std::string kPlannedBytes = Bytes({0x83, 0xa2, 0x69, 0x64, 0xd4, 0x00, 0x00, 0xa4, 0x6e, 0x61, 0x6d, 0x65, 0xa1,
                                         0x61, 0xa4, 0x73, 0x69, 0x7a, 0x65, 0xc0});

std::string Msgpack(const Value& v, const Type& t) {
  Result<std::string> r = schema::EncodeMsgpack(v, t);
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("Protocol6: GetProviderSchema returns every schema with blocks always set", "[provider]") {
  TestServer s;
  grpc::ClientContext ctx;
  tfplugin6::GetProviderSchema::Request req;
  tfplugin6::GetProviderSchema::Response resp;
  REQUIRE(s.stub6->GetProviderSchema(&ctx, req, &resp).ok());
  CheckSchemaResponse(resp);
}

TEST_CASE("Protocol5: GetSchema returns every schema with blocks always set", "[provider]") {
  TestServer s;
  grpc::ClientContext ctx;
  tfplugin5::GetProviderSchema::Request req;
  tfplugin5::GetProviderSchema::Response resp;
  REQUIRE(s.stub5->GetSchema(&ctx, req, &resp).ok());
  CheckSchemaResponse(resp);
}

TEST_CASE("Protocol6: GetMetadata and GetResourceIdentitySchemas answer when called", "[provider]") {
  TestServer s;
  {
    grpc::ClientContext ctx;
    tfplugin6::GetMetadata_::Response resp;
    REQUIRE(s.stub6->GetMetadata(&ctx, {}, &resp).ok());
    REQUIRE(resp.resources_size() == 1);
    CHECK(resp.resources(0).type_name() == "fake_thing");
    REQUIRE(resp.data_sources_size() == 1);
    CHECK(resp.data_sources(0).type_name() == "fake_info");
    CHECK(resp.server_capabilities().plan_destroy());
  }
  {
    grpc::ClientContext ctx;
    tfplugin6::GetResourceIdentitySchemas::Response resp;
    REQUIRE(s.stub6->GetResourceIdentitySchemas(&ctx, {}, &resp).ok());
    CHECK(resp.identity_schemas().empty());
  }
}

TEST_CASE("Protocol6: ValidateResourceConfig reports validator errors with a path", "[provider]") {
  TestServer s;
  Value config = Value::Object(ThingType(), {{"name", Value::String("bad")}});
  SECTION("msgpack") {
    grpc::ClientContext ctx;
    tfplugin6::ValidateResourceConfig::Request req;
    req.set_type_name("fake_thing");
    req.mutable_config()->set_msgpack(Msgpack(config, ThingType()));
    tfplugin6::ValidateResourceConfig::Response resp;
    REQUIRE(s.stub6->ValidateResourceConfig(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 1);
    CHECK(resp.diagnostics(0).severity() == tfplugin6::Diagnostic::ERROR);
    REQUIRE(resp.diagnostics(0).attribute().steps_size() == 1);
    CHECK(resp.diagnostics(0).attribute().steps(0).attribute_name() == "name");
  }
  SECTION("json fallback") {
    grpc::ClientContext ctx;
    tfplugin6::ValidateResourceConfig::Request req;
    req.set_type_name("fake_thing");
    req.mutable_config()->set_json(R"({"id":null,"name":"bad","size":null})");
    tfplugin6::ValidateResourceConfig::Response resp;
    REQUIRE(s.stub6->ValidateResourceConfig(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 1);
    CHECK(resp.diagnostics(0).attribute().steps(0).attribute_name() == "name");
  }
  SECTION("a valid config with unknowns") {
    grpc::ClientContext ctx;
    tfplugin6::ValidateResourceConfig::Request req;
    req.set_type_name("fake_thing");
    req.mutable_config()->set_msgpack(Bytes({0x83, 0xa2, 0x69, 0x64, 0xc0, 0xa4, 0x6e, 0x61, 0x6d, 0x65, 0xd4, 0x00,
                                             0x00, 0xa4, 0x73, 0x69, 0x7a, 0x65, 0xc0}));
    tfplugin6::ValidateResourceConfig::Response resp;
    REQUIRE(s.stub6->ValidateResourceConfig(&ctx, req, &resp).ok());
    CHECK(resp.diagnostics_size() == 0);
  }
  SECTION("malformed bytes") {
    grpc::ClientContext ctx;
    tfplugin6::ValidateResourceConfig::Request req;
    req.set_type_name("fake_thing");
    req.mutable_config()->set_msgpack(Bytes({0x83, 0xa2}));
    tfplugin6::ValidateResourceConfig::Response resp;
    REQUIRE(s.stub6->ValidateResourceConfig(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 1);
    CHECK(resp.diagnostics(0).severity() == tfplugin6::Diagnostic::ERROR);
  }
  SECTION("unknown type") {
    grpc::ClientContext ctx;
    tfplugin6::ValidateResourceConfig::Request req;
    req.set_type_name("fake_nothing");
    tfplugin6::ValidateResourceConfig::Response resp;
    REQUIRE(s.stub6->ValidateResourceConfig(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 1);
    CHECK(resp.diagnostics(0).summary() == "Unknown resource type");
  }
}

TEST_CASE("Protocol5: ValidateResourceTypeConfig reports validator errors with a path", "[provider]") {
  TestServer s;
  grpc::ClientContext ctx;
  tfplugin5::ValidateResourceTypeConfig::Request req;
  req.set_type_name("fake_thing");
  req.mutable_config()->set_msgpack(Msgpack(Value::Object(ThingType(), {{"name", Value::String("bad")}}), ThingType()));
  tfplugin5::ValidateResourceTypeConfig::Response resp;
  REQUIRE(s.stub5->ValidateResourceTypeConfig(&ctx, req, &resp).ok());
  REQUIRE(resp.diagnostics_size() == 1);
  CHECK(resp.diagnostics(0).severity() == tfplugin5::Diagnostic::ERROR);
  CHECK(resp.diagnostics(0).attribute().steps(0).attribute_name() == "name");
}

TEST_CASE("Protocol6: ValidateProviderConfig puts diagnostics in field 2", "[provider]") {
  TestServer s;
  const Type pt = TestProviderSchema().block.ImpliedType();
  grpc::ClientContext ctx;
  tfplugin6::ValidateProviderConfig::Request req;
  req.mutable_config()->set_msgpack(Msgpack(Value::Object(pt, {{"parallelism", Value::Int(0)}}), pt));
  tfplugin6::ValidateProviderConfig::Response resp;
  REQUIRE(s.stub6->ValidateProviderConfig(&ctx, req, &resp).ok());
  REQUIRE(resp.diagnostics_size() == 1);
  CHECK(resp.diagnostics(0).attribute().steps(0).attribute_name() == "parallelism");
  std::string wire;
  REQUIRE(resp.SerializeToString(&wire));
  REQUIRE_FALSE(wire.empty());
  CHECK(static_cast<unsigned char>(wire[0]) == 0x12);  // field 2, length-delimited
}

TEST_CASE("Protocol5: PrepareProviderConfig leaves prepared_config empty", "[provider]") {
  TestServer s;
  const Type pt = TestProviderSchema().block.ImpliedType();
  grpc::ClientContext ctx;
  tfplugin5::PrepareProviderConfig::Request req;
  req.mutable_config()->set_msgpack(Msgpack(Value::Object(pt, {{"parallelism", Value::Int(100)}}), pt));
  tfplugin5::PrepareProviderConfig::Response resp;
  REQUIRE(s.stub5->PrepareProviderConfig(&ctx, req, &resp).ok());
  CHECK_FALSE(resp.has_prepared_config());
  REQUIRE(resp.diagnostics_size() == 1);
  std::string wire;
  REQUIRE(resp.SerializeToString(&wire));
  CHECK(static_cast<unsigned char>(wire[0]) == 0x12);  // only field 2 (diagnostics) on the wire
}

TEST_CASE("Protocol6: PlanResourceChange answers the exact msgpack of the plan", "[provider]") {
  TestServer s;
  grpc::ClientContext ctx;
  tfplugin6::PlanResourceChange::Request req;
  req.set_type_name("fake_thing");
  req.mutable_prior_state()->set_msgpack(Bytes({0xc0}));
  req.mutable_proposed_new_state()->set_msgpack(kConfigBytes);
  req.mutable_config()->set_msgpack(kConfigBytes);
  tfplugin6::PlanResourceChange::Response resp;
  REQUIRE(s.stub6->PlanResourceChange(&ctx, req, &resp).ok());
  REQUIRE(resp.diagnostics_size() == 0);
  CHECK(resp.planned_state().msgpack() == kPlannedBytes);
  CHECK(resp.planned_state().json().empty());
  Result<Value> planned = schema::DecodeMsgpack(resp.planned_state().msgpack(), ThingType());
  REQUIRE(planned.ok());
  CHECK_FALSE(planned->GetAttr("id").IsKnown());
  CHECK(planned->GetAttr("name") == Value::String("a"));
  CHECK(resp.requires_replace_size() == 0);
  CHECK(resp.planned_private() == "pp");
  CHECK_FALSE(resp.legacy_type_system());
}

TEST_CASE("Protocol6: PlanResourceChange sends no plan when the resource breaks the rules", "[provider]") {
  TestServer s;
  g_break_plan = true;
  grpc::ClientContext ctx;
  tfplugin6::PlanResourceChange::Request req;
  req.set_type_name("fake_thing");
  req.mutable_proposed_new_state()->set_msgpack(kConfigBytes);
  req.mutable_config()->set_msgpack(kConfigBytes);
  tfplugin6::PlanResourceChange::Response resp;
  REQUIRE(s.stub6->PlanResourceChange(&ctx, req, &resp).ok());
  REQUIRE(resp.diagnostics_size() == 1);
  CHECK(resp.diagnostics(0).summary() == "Provider produced invalid plan");
  CHECK(resp.planned_state().msgpack().empty());
  g_break_plan = false;
}

TEST_CASE("Protocol6: a destroy plan is null", "[provider]") {
  TestServer s;
  grpc::ClientContext ctx;
  tfplugin6::PlanResourceChange::Request req;
  req.set_type_name("fake_thing");
  req.mutable_prior_state()->set_msgpack(Msgpack(
      Value::Object(ThingType(), {{"id", Value::String("x")}, {"name", Value::String("a")}}), ThingType()));
  req.mutable_proposed_new_state()->set_msgpack(Bytes({0xc0}));
  req.mutable_config()->set_msgpack(Bytes({0xc0}));
  tfplugin6::PlanResourceChange::Response resp;
  REQUIRE(s.stub6->PlanResourceChange(&ctx, req, &resp).ok());
  CHECK(resp.diagnostics_size() == 0);
  CHECK(resp.planned_state().msgpack() == Bytes({0xc0}));
}

TEST_CASE("Protocol5: plan then apply round-trips through msgpack", "[provider]") {
  TestServer s;
  tfplugin5::PlanResourceChange::Response plan;
  {
    grpc::ClientContext ctx;
    tfplugin5::PlanResourceChange::Request req;
    req.set_type_name("fake_thing");
    req.mutable_proposed_new_state()->set_msgpack(kConfigBytes);
    req.mutable_config()->set_msgpack(kConfigBytes);
    REQUIRE(s.stub5->PlanResourceChange(&ctx, req, &plan).ok());
    REQUIRE(plan.diagnostics_size() == 0);
    CHECK(plan.planned_state().msgpack() == kPlannedBytes);
  }
  grpc::ClientContext ctx;
  tfplugin5::ApplyResourceChange::Request req;
  req.set_type_name("fake_thing");
  *req.mutable_planned_state() = plan.planned_state();
  req.mutable_config()->set_msgpack(kConfigBytes);
  req.set_planned_private(plan.planned_private());
  tfplugin5::ApplyResourceChange::Response resp;
  REQUIRE(s.stub5->ApplyResourceChange(&ctx, req, &resp).ok());
  REQUIRE(resp.diagnostics_size() == 0);
  Result<Value> state = schema::DecodeMsgpack(resp.new_state().msgpack(), ThingType());
  REQUIRE(state.ok());
  CHECK(state->GetAttr("id") == Value::String("id-7"));
  CHECK(resp.private_() == "pp");  // planned private carried when the resource sets none
}

TEST_CASE("Protocol6: UpgradeResourceState turns stored JSON into msgpack", "[provider]") {
  TestServer s;
  grpc::ClientContext ctx;
  tfplugin6::UpgradeResourceState::Request req;
  req.set_type_name("fake_thing");
  req.set_version(2);
  req.mutable_raw_state()->set_json(R"({"id":"x","name":"a","size":18446744073709551616})");
  tfplugin6::UpgradeResourceState::Response resp;
  REQUIRE(s.stub6->UpgradeResourceState(&ctx, req, &resp).ok());
  REQUIRE(resp.diagnostics_size() == 0);
  Result<Value> v = schema::DecodeMsgpack(resp.upgraded_state().msgpack(), ThingType());
  REQUIRE(v.ok());
  CHECK(v->GetAttr("size").AsNumber().ToString() == "18446744073709551616");
  SECTION("flatmap is refused") {
    grpc::ClientContext ctx2;
    tfplugin6::UpgradeResourceState::Request req2;
    req2.set_type_name("fake_thing");
    (*req2.mutable_raw_state()->mutable_flatmap())["id"] = "x";
    tfplugin6::UpgradeResourceState::Response resp2;
    REQUIRE(s.stub6->UpgradeResourceState(&ctx2, req2, &resp2).ok());
    REQUIRE(resp2.diagnostics_size() == 1);
    CHECK(resp2.diagnostics(0).severity() == tfplugin6::Diagnostic::ERROR);
  }
}

TEST_CASE("Protocol6: ReadDataSource, ReadResource and ImportResourceState answer msgpack", "[provider]") {
  TestServer s;
  const Type it = InfoSchema().block.ImpliedType();
  {
    grpc::ClientContext ctx;
    tfplugin6::ReadDataSource::Request req;
    req.set_type_name("fake_info");
    req.mutable_config()->set_msgpack(Msgpack(Value::Object(it, {{"name", Value::String("db")}}), it));
    tfplugin6::ReadDataSource::Response resp;
    REQUIRE(s.stub6->ReadDataSource(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 0);
    Result<Value> v = schema::DecodeMsgpack(resp.state().msgpack(), it);
    REQUIRE(v.ok());
    CHECK(v->GetAttr("greeting") == Value::String("hi db"));
  }
  {
    grpc::ClientContext ctx;
    tfplugin6::ReadResource::Request req;
    req.set_type_name("fake_thing");
    req.mutable_current_state()->set_msgpack(Msgpack(
        Value::Object(ThingType(), {{"id", Value::String("x")}, {"name", Value::String("a")}}), ThingType()));
    req.set_private_("keep");
    tfplugin6::ReadResource::Response resp;
    REQUIRE(s.stub6->ReadResource(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 0);
    CHECK(resp.new_state().msgpack() == req.current_state().msgpack());
    CHECK(resp.private_() == "keep");
  }
  {
    grpc::ClientContext ctx;
    tfplugin6::ImportResourceState::Request req;
    req.set_type_name("fake_thing");
    req.set_id("imp");
    tfplugin6::ImportResourceState::Response resp;
    REQUIRE(s.stub6->ImportResourceState(&ctx, req, &resp).ok());
    REQUIRE(resp.diagnostics_size() == 0);
    REQUIRE(resp.imported_resources_size() == 1);
    CHECK(resp.imported_resources(0).type_name() == "fake_thing");
    Result<Value> v = schema::DecodeMsgpack(resp.imported_resources(0).state().msgpack(), ThingType());
    REQUIRE(v.ok());
    CHECK(v->GetAttr("id") == Value::String("imp"));
  }
}

TEST_CASE("Protocol: Stop and StopProvider set the stop token and return at once", "[provider]") {
  TestServer s;
  SECTION("v6") {
    grpc::ClientContext ctx;
    tfplugin6::StopProvider::Response resp;
    REQUIRE(s.stub6->StopProvider(&ctx, {}, &resp).ok());
    CHECK(resp.error().empty());
  }
  SECTION("v5") {
    grpc::ClientContext ctx;
    tfplugin5::Stop::Response resp;
    REQUIRE(s.stub5->Stop(&ctx, {}, &resp).ok());
    CHECK(resp.error().empty());
  }
  CHECK(s.core->stop_token().stopped());
}

TEST_CASE("Protocol6: concurrent plans all succeed when called from many threads", "[provider]") {
  TestServer s;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        grpc::ClientContext ctx;
        tfplugin6::PlanResourceChange::Request req;
        req.set_type_name("fake_thing");
        req.mutable_proposed_new_state()->set_msgpack(kConfigBytes);
        req.mutable_config()->set_msgpack(kConfigBytes);
        tfplugin6::PlanResourceChange::Response resp;
        if (!s.stub6->PlanResourceChange(&ctx, req, &resp).ok() || resp.planned_state().msgpack() != kPlannedBytes)
          bad++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad == 0);
}

// Every attribute type must be valid type JSON and every block must be set, or Terraform panics.
template <typename ProtoBlock>
void CheckWireBlock(const ProtoBlock& block, const std::string& where) {
  for (const auto& a : block.attributes()) {
    INFO(where + "." + a.name());
    CHECK(Type::FromJson(a.type()).ok());
    CHECK_FALSE(a.description().empty());
    CHECK((a.required() || a.optional() || a.computed()));
  }
  for (const auto& nb : block.block_types()) {
    INFO(where + "." + nb.type_name());
    REQUIRE(nb.has_block());
    CHECK(static_cast<int>(nb.nesting()) != 0);
    CheckWireBlock(nb.block(), where + "." + nb.type_name());
  }
}

TEST_CASE("NewProviderService: the real provider's schema is well-formed on both protocols", "[provider]") {
  std::unique_ptr<grpc::Service> v5 = NewProviderService(5);
  std::unique_ptr<grpc::Service> v6 = NewProviderService(6);
  grpc::ServerBuilder builder;
  builder.RegisterService(v5.get());
  builder.RegisterService(v6.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto channel = server->InProcessChannel(grpc::ChannelArguments());
  {
    auto stub = tfplugin6::Provider::NewStub(channel);
    grpc::ClientContext ctx;
    tfplugin6::GetProviderSchema::Response resp;
    REQUIRE(stub->GetProviderSchema(&ctx, {}, &resp).ok());
    CHECK(resp.diagnostics_size() == 0);
    REQUIRE(resp.provider().has_block());
    CheckWireBlock(resp.provider().block(), "provider");
    REQUIRE(resp.data_source_schemas().count("database_instance") == 1);
    for (const auto& [name, sc] : resp.data_source_schemas()) {
      REQUIRE(sc.has_block());
      CheckWireBlock(sc.block(), name);
    }
    for (const auto& [name, sc] : resp.resource_schemas()) {
      REQUIRE(sc.has_block());
      CheckWireBlock(sc.block(), name);
    }
  }
  {
    auto stub = tfplugin5::Provider::NewStub(channel);
    grpc::ClientContext ctx;
    tfplugin5::GetProviderSchema::Response resp;
    REQUIRE(stub->GetSchema(&ctx, {}, &resp).ok());
    CHECK(resp.diagnostics_size() == 0);
    REQUIRE(resp.data_source_schemas().count("database_instance") == 1);
    CheckWireBlock(resp.data_source_schemas().at("database_instance").block(), "database_instance");
  }
  server->Shutdown();
}

}  // namespace
}  // namespace tpd::provider
