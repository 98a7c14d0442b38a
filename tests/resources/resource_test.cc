#include "resources/resource.h"

#include <catch2/catch.hpp>

namespace tpd::resources {
namespace {

using schema::Type;
using schema::Value;

// A minimal resource: only GetSchema matters for the default UpgradeState.
class FakeResource : public Resource {
 public:
  FakeResource() {
    schema_.version = 2;
    schema::Attribute a;
    a.name = "name";
    a.type = Type::String();
    a.required = true;
    a.description = "a name";
    schema_.block.attributes.push_back(a);
    schema_.block.description = "fake";
  }
  std::string TypeName() const override { return "fake"; }
  const schema::Schema& GetSchema() const override { return schema_; }
  void Plan(const CallContext&, const PlanRequest&, PlanResponse*, schema::Diagnostics*) const override {}
  void Apply(const CallContext&, const ApplyRequest&, ApplyResponse*, schema::Diagnostics*) const override {}
  void Read(const CallContext&, const ReadRequest&, ReadResponse*, schema::Diagnostics*) const override {}
  void Delete(const CallContext&, const Value&, schema::Diagnostics*) const override {}
  void Import(const CallContext&, std::string_view, Value*, schema::Diagnostics*) const override {}

 private:
  schema::Schema schema_;
};

TEST_CASE("Resource::UpgradeState: decodes state of the current version", "[resources]") {
  FakeResource r;
  Result<Value> v = r.UpgradeState(2, R"({"name":"x"})");
  REQUIRE(v.ok());
  CHECK(v->GetAttr("name") == Value::String("x"));
}

TEST_CASE("Resource::UpgradeState: refuses another version and malformed JSON", "[resources]") {
  FakeResource r;
  Result<Value> old = r.UpgradeState(1, R"({"name":"x"})");
  REQUIRE_FALSE(old.ok());
  CHECK(old.status().IsInvalidArgument());
  CHECK(old.status().message().find("version 1") != std::string::npos);
  CHECK_FALSE(r.UpgradeState(2, "{not json").ok());
}

TEST_CASE("StopToken: flag mirrors Stop", "[resources]") {
  StopToken t;
  CHECK_FALSE(t.flag()->load());
  t.Stop();
  CHECK(t.stopped());
  CHECK(t.flag()->load());
}

}  // namespace
}  // namespace tpd::resources
