// Unit tests of the acceptance client's Terraform-core checks and walks, against a small in-process
// tfplugin6 provider ("toy_thing") that can be told to misbehave in the ways Terraform rejects.
#include <atomic>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "acceptance/client.h"
#include "proto/tfplugin6.grpc.pb.h"
#include "schema/codec.h"
#include "schema/schema.h"

namespace tpd::acceptance {
namespace {

using schema::Type;
using schema::Value;

schema::Block ToyBlock() {
  schema::Block b;
  b.description = "A toy resource.";
  schema::Attribute id{.name = "id", .type = Type::String(), .description = "Identifier.", .computed = true};
  schema::Attribute name{.name = "name", .type = Type::String(), .description = "Name; replaces.", .required = true};
  schema::Attribute size{.name = "size", .type = Type::Number(), .description = "Size; default 10.",
                         .optional = true, .computed = true};
  b.attributes = {id, name, size};
  return b;
}

void SetAttr(tfplugin6::Schema::Attribute* out, const schema::Attribute& a) {
  out->set_name(a.name);
  out->set_type(a.type.ToJson());
  out->set_description(a.description);
  out->set_required(a.required);
  out->set_optional(a.optional);
  out->set_computed(a.computed);
}

class ToyProvider final : public tfplugin6::Provider::Service {
 public:
  // Misbehaviours, each one a rule Terraform enforces.
  std::atomic<bool> plan_changes_config{false};
  std::atomic<bool> apply_changes_size{false};
  std::atomic<bool> apply_leaves_unknown{false};
  std::atomic<bool> invalid_severity{false};
  std::atomic<bool> plan_not_deterministic{false};
  std::atomic<int> plans{0};

  grpc::Status GetProviderSchema(grpc::ServerContext*, const tfplugin6::GetProviderSchema::Request*,
                                 tfplugin6::GetProviderSchema::Response* resp) override {
    resp->mutable_provider()->mutable_block()->set_description("toy provider");
    auto& r = (*resp->mutable_resource_schemas())["toy_thing"];
    r.mutable_block()->set_description(block_.description);
    for (const auto& a : block_.attributes) SetAttr(r.mutable_block()->add_attributes(), a);
    return grpc::Status::OK;
  }
  grpc::Status ValidateProviderConfig(grpc::ServerContext*, const tfplugin6::ValidateProviderConfig::Request*,
                                      tfplugin6::ValidateProviderConfig::Response*) override {
    return grpc::Status::OK;
  }
  grpc::Status ConfigureProvider(grpc::ServerContext*, const tfplugin6::ConfigureProvider::Request*,
                                 tfplugin6::ConfigureProvider::Response*) override {
    return grpc::Status::OK;
  }
  grpc::Status ValidateResourceConfig(grpc::ServerContext*, const tfplugin6::ValidateResourceConfig::Request*,
                                      tfplugin6::ValidateResourceConfig::Response* resp) override {
    if (invalid_severity) {
      auto* d = resp->add_diagnostics();
      d->set_severity(tfplugin6::Diagnostic::INVALID);
      d->set_summary("forgot the severity");
    }
    return grpc::Status::OK;
  }
  grpc::Status UpgradeResourceState(grpc::ServerContext*, const tfplugin6::UpgradeResourceState::Request* req,
                                    tfplugin6::UpgradeResourceState::Response* resp) override {
    auto v = schema::DecodeJson(req->raw_state().json(), type_);
    if (!v.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, v.status().message());
    resp->mutable_upgraded_state()->set_msgpack(*schema::EncodeMsgpack(*v, type_));
    return grpc::Status::OK;
  }
  grpc::Status ReadResource(grpc::ServerContext*, const tfplugin6::ReadResource::Request* req,
                            tfplugin6::ReadResource::Response* resp) override {
    *resp->mutable_new_state() = req->current_state();
    resp->set_private_(req->private_());
    return grpc::Status::OK;
  }
  grpc::Status PlanResourceChange(grpc::ServerContext*, const tfplugin6::PlanResourceChange::Request* req,
                                  tfplugin6::PlanResourceChange::Response* resp) override {
    ++plans;
    Value prior = *schema::DecodeMsgpack(req->prior_state().msgpack(), type_);
    Value proposed = *schema::DecodeMsgpack(req->proposed_new_state().msgpack(), type_);
    if (proposed.IsNull()) {
      resp->mutable_planned_state()->set_msgpack(std::string(1, '\xc0'));
      return grpc::Status::OK;
    }
    Value planned = proposed;
    if (prior.IsNull()) {
      planned = planned.WithAttr("id", Value::Unknown(Type::String()));
      if (planned.GetAttr("size").IsNull()) planned = planned.WithAttr("size", Value::Int(10));
    } else if (prior.GetAttr("name") != proposed.GetAttr("name")) {
      auto* p = resp->add_requires_replace();
      p->add_steps()->set_attribute_name("name");
    }
    if (plan_changes_config) planned = planned.WithAttr("name", Value::String("renamed"));
    if (plan_not_deterministic && !prior.IsNull()) {
      // A computed-only value may be anything, but must come out the same when re-planned.
      planned = planned.WithAttr("id", Value::String("v" + std::to_string(plans.load())));
    }
    resp->mutable_planned_state()->set_msgpack(*schema::EncodeMsgpack(planned, type_));
    resp->set_planned_private("p1");
    return grpc::Status::OK;
  }
  grpc::Status ApplyResourceChange(grpc::ServerContext*, const tfplugin6::ApplyResourceChange::Request* req,
                                   tfplugin6::ApplyResourceChange::Response* resp) override {
    Value planned = *schema::DecodeMsgpack(req->planned_state().msgpack(), type_);
    if (planned.IsNull()) {
      resp->mutable_new_state()->set_msgpack(std::string(1, '\xc0'));
      return grpc::Status::OK;
    }
    Value out = planned;
    if (!out.GetAttr("id").IsKnown()) out = out.WithAttr("id", Value::String("id-" + out.GetAttr("name").AsString()));
    if (apply_changes_size) out = out.WithAttr("size", Value::Int(out.GetAttr("size").OptInt().value_or(0) + 1));
    if (apply_leaves_unknown) out = out.WithAttr("id", Value::Unknown(Type::String()));
    resp->mutable_new_state()->set_msgpack(*schema::EncodeMsgpack(out, type_));
    resp->set_private_(req->planned_private());
    return grpc::Status::OK;
  }

 private:
  const schema::Block block_ = ToyBlock();
  const Type type_ = block_.ImpliedType();
};

struct Fixture {
  ToyProvider service;
  std::unique_ptr<grpc::Server> server;
  Fixture() {
    grpc::ServerBuilder b;
    b.RegisterService(&service);
    server = b.BuildAndStart();
  }
  ~Fixture() { server->Shutdown(); }
  std::shared_ptr<grpc::Channel> Channel() { return server->InProcessChannel(grpc::ChannelArguments()); }
  Terraform Tf() {
    TerraformOptions o;
    o.channel_for_test = [this] { return Channel(); };
    return Terraform(o);
  }
};

Value Config(const std::string& name, std::optional<int64_t> size) {
  return Value::Object(ToyBlock().ImpliedType(),
                       {{"name", Value::String(name)}, {"size", size ? Value::Int(*size) : Value::Null(Type::Number())}});
}

bool Mentions(const std::vector<std::string>& errs, const std::string& text) {
  for (const auto& e : errs) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("Terraform: create, no-op, update, replace and destroy walks of a well-behaved resource",
          "[acceptance]") {
  Fixture f;
  Terraform tf = f.Tf();
  ApplyOutcome created = tf.Apply("toy_thing", Config("a", std::nullopt), std::nullopt);
  INFO(created.Describe());
  REQUIRE_FALSE(created.HasError());
  CHECK(created.core_errors.empty());
  CHECK(created.plan.action == Action::kCreate);
  REQUIRE(created.state.has_value());
  CHECK(created.new_state.GetAttr("id") == Value::String("id-a"));
  CHECK(created.new_state.GetAttr("size") == Value::Int(10));
  CHECK(created.state->private_data == "p1");

  ResourcePlan again = tf.Plan("toy_thing", Config("a", std::nullopt), created.state);
  INFO(again.Describe());
  CHECK(again.action == Action::kNoOp);
  CHECK(again.rpc_log == std::vector<std::string>{"GetProviderSchema", "GetResourceIdentitySchemas",
                                                  "ValidateProviderConfig", "ConfigureProvider",
                                                  "UpgradeResourceState", "ReadResource", "ValidateResourceConfig",
                                                  "PlanResourceChange"});

  ApplyOutcome updated = tf.Apply("toy_thing", Config("a", 20), created.state);
  INFO(updated.Describe());
  CHECK(updated.plan.action == Action::kUpdate);
  CHECK(updated.core_errors.empty());
  CHECK(updated.new_state.GetAttr("size") == Value::Int(20));

  ApplyOutcome replaced = tf.Apply("toy_thing", Config("b", 20), updated.state);
  INFO(replaced.Describe());
  CHECK(replaced.plan.action == Action::kReplace);
  REQUIRE(replaced.plan.requires_replace.size() == 1);
  CHECK(replaced.plan.requires_replace[0].ToString() == "name");
  CHECK(replaced.core_errors.empty());
  CHECK(replaced.new_state.GetAttr("id") == Value::String("id-b"));

  ApplyOutcome destroyed = tf.Apply("toy_thing", Value::Null(ToyBlock().ImpliedType()), replaced.state);
  INFO(destroyed.Describe());
  CHECK(destroyed.plan.action == Action::kDelete);
  CHECK_FALSE(destroyed.HasError());
  CHECK_FALSE(destroyed.state.has_value());
}

TEST_CASE("TerraformClient: reports Terraform's errors for each provider misbehaviour", "[acceptance]") {
  Fixture f;
  Terraform tf = f.Tf();
  SECTION("planned value differs from config") {
    f.service.plan_changes_config = true;
    ResourcePlan p = tf.Plan("toy_thing", Config("a", std::nullopt), std::nullopt);
    CHECK(Mentions(p.core_errors, "Provider produced invalid plan"));
  }
  SECTION("apply result differs from the known planned value") {
    f.service.apply_changes_size = true;
    ApplyOutcome a = tf.Apply("toy_thing", Config("a", 5), std::nullopt);
    CHECK(Mentions(a.core_errors, "Provider produced inconsistent result after apply"));
  }
  SECTION("apply result not wholly known") {
    f.service.apply_leaves_unknown = true;
    ApplyOutcome a = tf.Apply("toy_thing", Config("a", 5), std::nullopt);
    CHECK(Mentions(a.core_errors, "Provider returned invalid result object after apply"));
  }
  SECTION("diagnostic with INVALID severity") {
    f.service.invalid_severity = true;
    ResourcePlan p = tf.Plan("toy_thing", Config("a", 5), std::nullopt);
    CHECK(Mentions(p.core_errors, "invalid severity"));
  }
  SECTION("re-plan at apply differs from the saved plan") {
    ApplyOutcome created = tf.Apply("toy_thing", Config("a", 5), std::nullopt);
    REQUIRE(created.state.has_value());
    f.service.plan_not_deterministic = true;
    f.service.plans = 0;
    ApplyOutcome a = tf.Apply("toy_thing", Config("a", 6), created.state);
    CHECK(Mentions(a.core_errors, "Provider produced inconsistent final plan"));
  }
  SECTION("a value that does not match the schema") {
    TerraformClient c(f.Channel(), 6);
    REQUIRE_FALSE(c.GetSchema().HasError());
    StateResult r = c.UpgradeResourceState("toy_thing", 0, R"({"id":"x","name":"n","size":1,"extra":true})");
    CHECK(r.HasError());  // the provider refuses; Terraform would too
  }
}

}  // namespace
}  // namespace tpd::acceptance
