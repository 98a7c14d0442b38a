#include "resources/database_replica_schema.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "schema_walk.h"

namespace tpd::resources {
namespace {

using schema::Block;
using schema::Type;
using schema::Value;

Value Server(const Block& parent, const char* name, std::map<std::string, Value> attrs) {
  return Value::Object(parent.FindBlock(name)->block.ImpliedType(), std::move(attrs));
}

std::vector<std::string> PathsOf(const std::vector<Status>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.path() ? e.path()->ToString() : "<none>");
  return out;
}

std::vector<std::string> PathsOf(const schema::Diagnostics& diags) {
  std::vector<std::string> out;
  for (const auto& d : diags.items()) out.push_back(d.attribute ? d.attribute->ToString() : "<none>");
  return out;
}

const Block& Replica() {
  static const schema::Schema s = DatabaseReplicaSchemaV0();
  return s.block;
}

Value ReplicaConfig(std::map<std::string, Value> overrides = {}) {
  std::map<std::string, Value> attrs = {
      {"engine", Value::String("postgresql")},
      {"source", Server(Replica(), "source", {{"url", Value::String("postgresql://postgres@old:5432/app")}})},
      {"target", Server(Replica(), "target", {{"url", Value::String("postgresql://postgres@new:5432/app")}})},
  };
  for (auto& [k, v] : overrides) attrs[k] = v;
  return testing::ConfigOf(Replica(), std::move(attrs));
}

TEST_CASE("DatabaseReplicaSchemaV0: is valid, described, and has the SPEC's attributes", "[resources]") {
  schema::Schema s = DatabaseReplicaSchemaV0();
  CHECK(s.version == kDatabaseReplicaSchemaVersion);
  Status v = s.block.Validate();
  INFO(v.ToString());
  CHECK(v.ok());
  std::vector<std::string> undescribed;
  testing::UndescribedPaths(s.block, "", &undescribed);
  CHECK(undescribed == std::vector<std::string>{});

  const Block& b = Replica();
  CHECK(b.FindAttribute("engine")->requires_replace);
  CHECK(*b.FindAttribute("mode")->default_value == Value::String("logical"));
  CHECK(*b.FindAttribute("promote")->default_value == Value::Bool(false));
  CHECK(b.FindAttribute("tables")->type == Type::List(Type::String()));
  for (const char* n : {"status", "source_version", "target_version", "publication", "subscription", "slot_name",
                        "promoted_at", "id"}) {
    INFO(n);
    REQUIRE(b.FindAttribute(n) != nullptr);
    CHECK(b.FindAttribute(n)->computed);
    CHECK(b.FindAttribute(n)->type == Type::String());
  }
  CHECK(b.FindAttribute("lag_bytes")->type == Type::Number());
  for (const char* n : {"source", "target"}) {
    INFO(n);
    REQUIRE(b.FindBlock(n) != nullptr);
    CHECK(b.FindBlock(n)->min_items == 1);
    CHECK(b.FindBlock(n)->block.FindAttribute("password")->sensitive);
    CHECK(b.FindBlock(n)->block.FindAttribute("url")->required);
  }
  CHECK(b.FindBlock("timeouts") != nullptr);
}

TEST_CASE("DatabaseReplicaSchemaV0 validators: reject bad values at their attribute path", "[resources]") {
  CHECK(testing::Validate(Replica(), ReplicaConfig()).empty());
  CHECK(PathsOf(testing::Validate(Replica(), ReplicaConfig({{"mode", Value::String("physical")}}))) ==
        std::vector<std::string>{"mode"});
  CHECK(PathsOf(testing::Validate(Replica(), ReplicaConfig({{"engine", Value::String("postgres")}}))) ==
        std::vector<std::string>{"engine"});
  CHECK(testing::Validate(Replica(),
                          ReplicaConfig({{"tables", Value::StringList({"orders", "public.items", "\"My.Schema\".t"})}}))
            .empty());
  for (const char* bad : {"", "a.b.c", "a.", "\"open"}) {
    INFO(bad);
    CHECK(PathsOf(testing::Validate(Replica(), ReplicaConfig({{"tables", Value::StringList({bad})}}))) ==
          std::vector<std::string>{"tables"});
  }
}

TEST_CASE("ValidateDatabaseReplicaConfig: only PostgreSQL, distinct servers", "[resources]") {
  SECTION("valid") {
    schema::Diagnostics diags;
    ValidateDatabaseReplicaConfig(ReplicaConfig(), &diags);
    CHECK(diags.empty());
  }
  SECTION("other engine") {
    schema::Diagnostics diags;
    ValidateDatabaseReplicaConfig(ReplicaConfig({{"engine", Value::String("mysql")}}), &diags);
    CHECK(PathsOf(diags) == std::vector<std::string>{"engine"});
    CHECK(diags.items()[0].detail.find("\"postgresql\"") != std::string::npos);
  }
  SECTION("same URL twice") {
    Value same = Server(Replica(), "target", {{"url", Value::String("postgresql://postgres@old:5432/app")}});
    schema::Diagnostics diags;
    ValidateDatabaseReplicaConfig(ReplicaConfig({{"target", same}}), &diags);
    CHECK(PathsOf(diags) == std::vector<std::string>{"target.url"});
  }
}

}  // namespace
}  // namespace tpd::resources
