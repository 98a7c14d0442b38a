#include <catch2/catch.hpp>

#include <string>

#include "schema/types.h"

namespace tpd::schema {
namespace {

TEST_CASE("Type: encodes type JSON compactly with sorted object keys", "[schema]") {
  CHECK(Type::String().ToJson() == "\"string\"");
  CHECK(Type::Number().ToJson() == "\"number\"");
  CHECK(Type::Bool().ToJson() == "\"bool\"");
  CHECK(Type::Dynamic().ToJson() == "\"dynamic\"");
  CHECK(Type().ToJson() == "\"dynamic\"");
  CHECK(Type::List(Type::String()).ToJson() == "[\"list\",\"string\"]");
  CHECK(Type::Set(Type::Number()).ToJson() == "[\"set\",\"number\"]");
  CHECK(Type::Map(Type::Bool()).ToJson() == "[\"map\",\"bool\"]");
  CHECK(Type::Object({{"b", Type::String()}, {"a", Type::List(Type::Number())}}).ToJson() ==
        "[\"object\",{\"a\":[\"list\",\"number\"],\"b\":\"string\"}]");
  CHECK(Type::Tuple({Type::Bool(), Type::String()}).ToJson() == "[\"tuple\",[\"bool\",\"string\"]]");
  CHECK(Type::Object({}).ToJson() == "[\"object\",{}]");
}

TEST_CASE("Type: parses every kind of type JSON and round-trips it", "[schema]") {
  for (const char* json : {"\"string\"", "\"number\"", "\"bool\"", "\"dynamic\"", "[\"list\",\"string\"]",
                           "[\"set\",[\"map\",\"bool\"]]", "[\"object\",{\"a\":\"number\",\"b\":[\"tuple\",[]]}]",
                           "[\"tuple\",[\"string\",[\"list\",\"dynamic\"]]]"}) {
    INFO(json);
    auto t = Type::FromJson(json);
    REQUIRE(t.ok());
    CHECK(t->ToJson() == json);
  }
  SECTION("whitespace is allowed") {
    auto t = Type::FromJson(" [ \"list\" , \"string\" ] ");
    REQUIRE(t.ok());
    CHECK(*t == Type::List(Type::String()));
  }
  SECTION("object optional-attribute list is accepted and ignored") {
    auto t = Type::FromJson("[\"object\",{\"a\":\"string\"},[\"a\"]]");
    REQUIRE(t.ok());
    CHECK(*t == Type::Object({{"a", Type::String()}}));
  }
}

TEST_CASE("Type: rejects malformed type JSON with InvalidArgument", "[schema]") {
  for (const char* json : {"", "string", "\"str\"", "\"list\"", "[\"list\"]", "[\"list\",\"string\",\"x\"]",
                           "[\"map\",1]", "[\"object\",[]]", "[\"object\",{\"a\":\"nope\"}]",
                           "[\"object\",{\"a\":\"string\"},[\"b\"]]", "[\"object\",{},{}]", "[\"tuple\",\"string\"]",
                           "[\"tuple\",[\"string\"],1]", "[\"frob\",\"string\"]", "[]", "[1,2]", "{}", "42", "null",
                           "[\"list\",\"string\"] x", "[\"list\",\"string\""}) {
    INFO(json);
    auto t = Type::FromJson(json);
    CHECK(t.status().IsInvalidArgument());
  }
  SECTION("deep nesting is refused without overflowing the stack") {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "[\"list\",";
    deep += "\"string\"";
    for (int i = 0; i < 100000; ++i) deep += "]";
    CHECK(Type::FromJson(deep).status().IsInvalidArgument());
  }
}

TEST_CASE("Type: equality is structural and FriendlyName reads well", "[schema]") {
  CHECK(Type::List(Type::String()) == Type::List(Type::String()));
  CHECK(Type::List(Type::String()) != Type::Set(Type::String()));
  CHECK(Type::List(Type::String()) != Type::List(Type::Number()));
  CHECK(Type::Object({{"a", Type::String()}}) == Type::Object({{"a", Type::String()}}));
  CHECK(Type::Object({{"a", Type::String()}}) != Type::Object({{"b", Type::String()}}));
  CHECK(Type::Tuple({Type::Bool()}) != Type::Tuple({Type::Bool(), Type::Bool()}));
  CHECK(Type::List(Type::Map(Type::Bool())).FriendlyName() == "list of map of bool");
  CHECK(Type::Object({}).FriendlyName() == "object");
  CHECK(Type::Tuple({}).FriendlyName() == "tuple");
}

TEST_CASE("Type: HasDynamic finds dynamic at any depth", "[schema]") {
  CHECK(Type::Dynamic().HasDynamic());
  CHECK_FALSE(Type::String().HasDynamic());
  CHECK(Type::List(Type::Dynamic()).HasDynamic());
  CHECK(Type::Object({{"a", Type::Map(Type::Dynamic())}}).HasDynamic());
  CHECK(Type::Tuple({Type::String(), Type::Set(Type::Dynamic())}).HasDynamic());
  CHECK_FALSE(Type::Object({{"a", Type::Map(Type::String())}}).HasDynamic());
  CHECK(Type::String().IsPrimitive());
  CHECK(Type::Map(Type::String()).IsCollection());
  CHECK_FALSE(Type::Tuple({}).IsCollection());
}

}  // namespace
}  // namespace tpd::schema
