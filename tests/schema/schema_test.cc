#include <catch2/catch.hpp>

#include "schema/schema.h"

namespace tpd::schema {
namespace {

Attribute Attr(std::string name, Type t, bool required, bool optional, bool computed) {
  Attribute a;
  a.name = std::move(name);
  a.type = std::move(t);
  a.description = "test attribute";
  a.required = required;
  a.optional = optional;
  a.computed = computed;
  return a;
}

NestedBlock Nested(std::string name, NestingMode mode, Block b) {
  NestedBlock nb;
  nb.type_name = std::move(name);
  nb.nesting = mode;
  b.description = "test block";
  nb.block = std::move(b);
  return nb;
}

Block Inner() {
  Block b;
  b.attributes.push_back(Attr("name", Type::String(), true, false, false));
  return b;
}

TEST_CASE("Block: ImpliedType maps every nesting mode", "[schema]") {
  Block b;
  b.attributes.push_back(Attr("id", Type::String(), false, false, true));
  b.block_types.push_back(Nested("single", NestingMode::kSingle, Inner()));
  b.block_types.push_back(Nested("group", NestingMode::kGroup, Inner()));
  b.block_types.push_back(Nested("list", NestingMode::kList, Inner()));
  b.block_types.push_back(Nested("set", NestingMode::kSet, Inner()));
  b.block_types.push_back(Nested("map", NestingMode::kMap, Inner()));
  Type inner = Type::Object({{"name", Type::String()}});
  Type want = Type::Object({{"id", Type::String()},
                            {"single", inner},
                            {"group", inner},
                            {"list", Type::List(inner)},
                            {"set", Type::Set(inner)},
                            {"map", Type::Map(inner)}});
  CHECK(b.ImpliedType() == want);
  CHECK(b.ImpliedType().ToJson() ==
        "[\"object\",{\"group\":[\"object\",{\"name\":\"string\"}],\"id\":\"string\",\"list\":[\"list\",[\"object\",{"
        "\"name\":\"string\"}]],\"map\":[\"map\",[\"object\",{\"name\":\"string\"}]],\"set\":[\"set\",[\"object\",{"
        "\"name\":\"string\"}]],\"single\":[\"object\",{\"name\":\"string\"}]}]");
}

TEST_CASE("Block: ImpliedType makes LIST and MAP blocks with dynamic content dynamic", "[schema]") {
  Block dyn;
  dyn.attributes.push_back(Attr("v", Type::Dynamic(), false, true, false));
  Block b;
  b.block_types.push_back(Nested("l", NestingMode::kList, dyn));
  b.block_types.push_back(Nested("m", NestingMode::kMap, dyn));
  b.block_types.push_back(Nested("s", NestingMode::kSingle, dyn));
  Type t = b.ImpliedType();
  CHECK(t.attributes().at("l").IsDynamic());
  CHECK(t.attributes().at("m").IsDynamic());
  CHECK(t.attributes().at("s") == Type::Object({{"v", Type::Dynamic()}}));
}

TEST_CASE("Block: FindAttribute and FindBlock look names up", "[schema]") {
  Block b = Inner();
  b.block_types.push_back(Nested("child", NestingMode::kList, Inner()));
  REQUIRE(b.FindAttribute("name") != nullptr);
  CHECK(b.FindAttribute("name")->required);
  CHECK(b.FindAttribute("child") == nullptr);
  REQUIRE(b.FindBlock("child") != nullptr);
  CHECK(b.FindBlock("child")->nesting == NestingMode::kList);
  CHECK(b.FindBlock("nope") == nullptr);
}

TEST_CASE("Block: Validate accepts a well-formed schema", "[schema]") {
  Block b;
  b.attributes.push_back(Attr("engine", Type::String(), true, false, false));
  b.attributes.push_back(Attr("strategy", Type::String(), false, true, true));
  b.attributes.back().default_value = Value::String("auto");
  b.attributes.push_back(Attr("id", Type::String(), false, false, true));
  b.block_types.push_back(Nested("source", NestingMode::kSingle, Inner()));
  b.block_types.push_back(Nested("one", NestingMode::kSingle, Inner()));
  b.block_types.back().min_items = 1;
  b.block_types.back().max_items = 1;
  b.block_types.push_back(Nested("grp", NestingMode::kGroup, Inner()));
  b.block_types.push_back(Nested("lst", NestingMode::kList, Inner()));
  b.block_types.back().min_items = 1;
  b.block_types.back().max_items = 3;
  b.block_types.push_back(Nested("st", NestingMode::kSet, Inner()));
  b.block_types.push_back(Nested("mp", NestingMode::kMap, Inner()));
  CHECK(b.Validate().ok());
}

TEST_CASE("Block: Validate rejects each InternalValidate violation", "[schema]") {
  auto expect_invalid = [](const Block& b, const std::string& fragment) {
    Status s = b.Validate();
    INFO(s.ToString());
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find(fragment) != std::string::npos);
  };
  SECTION("no flags") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), false, false, false));
    expect_invalid(b, "must set Optional, Required or Computed");
  }
  SECTION("optional and required") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), true, true, false));
    expect_invalid(b, "both Optional and Required");
  }
  SECTION("computed and required") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), true, false, true));
    expect_invalid(b, "both Computed and Required");
  }
  SECTION("bad attribute name") {
    Block b;
    b.attributes.push_back(Attr("Bad-Name", Type::String(), true, false, false));
    expect_invalid(b, "[a-z0-9_]+");
  }
  SECTION("duplicate names") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), true, false, false));
    b.block_types.push_back(Nested("a", NestingMode::kList, Inner()));
    expect_invalid(b, "also used");
  }
  SECTION("deprecation message without deprecated") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), true, false, false));
    b.attributes.back().deprecation_message = "use b";
    expect_invalid(b, "deprecation_message");
  }
  SECTION("empty attribute description") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), true, false, false));
    b.attributes.back().description.clear();
    expect_invalid(b, "empty description");
  }
  SECTION("empty nested block description, reported with its path") {
    Block b;
    b.block_types.push_back(Nested("outer", NestingMode::kList, Inner()));
    b.block_types.back().block.block_types.push_back(Nested("inner", NestingMode::kSingle, Inner()));
    b.block_types.back().block.block_types.back().block.description.clear();
    Status s = b.Validate();
    REQUIRE(s.IsInvalidArgument());
    REQUIRE(s.path());
    CHECK(s.path()->ToString() == "outer.inner");
  }
  SECTION("single with mismatched min/max") {
    Block b;
    b.block_types.push_back(Nested("s", NestingMode::kSingle, Inner()));
    b.block_types.back().max_items = 1;
    expect_invalid(b, "must match in NestingSingle");
  }
  SECTION("group with limits") {
    Block b;
    b.block_types.push_back(Nested("g", NestingMode::kGroup, Inner()));
    b.block_types.back().min_items = 1;
    b.block_types.back().max_items = 1;
    expect_invalid(b, "NestingGroup");
  }
  SECTION("list with min > max") {
    Block b;
    b.block_types.push_back(Nested("l", NestingMode::kList, Inner()));
    b.block_types.back().min_items = 3;
    b.block_types.back().max_items = 2;
    expect_invalid(b, "less than or equal");
  }
  SECTION("negative limits") {
    Block b;
    b.block_types.push_back(Nested("l", NestingMode::kList, Inner()));
    b.block_types.back().min_items = -1;
    expect_invalid(b, ">= 0");
  }
  SECTION("map with limits") {
    Block b;
    b.block_types.push_back(Nested("m", NestingMode::kMap, Inner()));
    b.block_types.back().max_items = 2;
    expect_invalid(b, "NestingMap");
  }
  SECTION("set containing dynamic") {
    Block dyn;
    dyn.attributes.push_back(Attr("v", Type::Dynamic(), false, true, false));
    Block b;
    b.block_types.push_back(Nested("s", NestingMode::kSet, dyn));
    expect_invalid(b, "DynamicPseudoType");
  }
  SECTION("invalid nesting") {
    Block b;
    b.block_types.push_back(Nested("x", NestingMode::kInvalid, Inner()));
    expect_invalid(b, "invalid nesting mode");
  }
  SECTION("default on a non-computed attribute") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), false, true, false));
    b.attributes.back().default_value = Value::String("x");
    expect_invalid(b, "default value");
  }
  SECTION("default of the wrong type") {
    Block b;
    b.attributes.push_back(Attr("a", Type::String(), false, true, true));
    b.attributes.back().default_value = Value::Int(1);
    expect_invalid(b, "does not conform");
  }
}

}  // namespace
}  // namespace tpd::schema
