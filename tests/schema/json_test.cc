#include <catch2/catch.hpp>

#include "schema/codec.h"

namespace tpd::schema {
namespace {

Type StateType() {
  return Type::Object({{"id", Type::String()},
                       {"size", Type::Number()},
                       {"on", Type::Bool()},
                       {"tags", Type::Map(Type::String())},
                       {"hops", Type::List(Type::String())},
                       {"ports", Type::Set(Type::Number())},
                       {"pair", Type::Tuple({Type::String(), Type::Bool()})},
                       {"extra", Type::Dynamic()}});
}

TEST_CASE("EncodeJson: writes every kind with full-precision numbers", "[schema]") {
  Type t = StateType();
  Value v = Value::Object(t, {{"id", Value::String("a\"b")},
                              {"size", Value::Num(*Number::FromString("18446744073709551616.5"))},
                              {"on", Value::Bool(true)},
                              {"tags", Value::Map(Type::String(), {{"k", Value::String("v")}})},
                              {"hops", Value::StringList({"14", "16"})},
                              {"ports", Value::Set(Type::Number(), {Value::Int(2), Value::Int(1)})},
                              {"pair", Value::Tuple({Value::String("x"), Value::Bool(false)})},
                              {"extra", Value::StringList({"q"})}});
  auto enc = EncodeJson(v, t);
  REQUIRE(enc.ok());
  CHECK(*enc ==
        "{\"extra\":{\"value\":[\"q\"],\"type\":[\"list\",\"string\"]},\"hops\":[\"14\",\"16\"],\"id\":\"a\\\"b\","
        "\"on\":true,\"pair\":[\"x\",false],\"ports\":[1,2],\"size\":18446744073709551616.5,\"tags\":{\"k\":\"v\"}}");
  auto dec = DecodeJson(*enc, t);
  REQUIRE(dec.ok());
  CHECK(*dec == v);
  CHECK(dec->GetAttr("size").AsNumber().ToString() == "18446744073709551616.5");
}

TEST_CASE("EncodeJson: refuses unknown values and infinities", "[schema]") {
  Type t = Type::Object({{"a", Type::String()}});
  CHECK(EncodeJson(Value::Object(t, {{"a", Value::Unknown(Type::String())}}), t).status().IsInvalidArgument());
  CHECK(EncodeJson(Value::Num(*Number::FromString("Infinity")), Type::Number()).status().IsInvalidArgument());
  CHECK(EncodeJson(Value::String("x"), Type::Bool()).status().IsInvalidArgument());
}

TEST_CASE("EncodeJson: writes nulls, including null dynamics", "[schema]") {
  Type t = StateType();
  auto enc = EncodeJson(Value::Object(t, {}), t);
  REQUIRE(enc.ok());
  CHECK(*enc ==
        "{\"extra\":{\"value\":null,\"type\":\"dynamic\"},\"hops\":null,\"id\":null,\"on\":null,\"pair\":null,"
        "\"ports\":null,\"size\":null,\"tags\":null}");
  auto dec = DecodeJson(*enc, t);
  REQUIRE(dec.ok());
  CHECK(dec->GetAttr("extra").IsNull());
  CHECK(EncodeJson(Value::Null(t), t).value() == "null");
}

TEST_CASE("DecodeJson: keeps big numbers exactly", "[schema]") {
  for (const char* n : {"18446744073709551616", "-99999999999999999999999", "0.1", "1e300", "3.141592653589793238462643"}) {
    INFO(n);
    auto dec = DecodeJson(n, Type::Number());
    REQUIRE(dec.ok());
    CHECK(dec->AsNumber() == *Number::FromString(n));
  }
  auto dec = DecodeJson("\"42\"", Type::Number());  // numbers written as strings by old SDKs
  REQUIRE(dec.ok());
  CHECK(dec->AsNumber().ToString() == "42");
}

TEST_CASE("DecodeJson: applies JsonDecodeOptions to missing and unknown attributes", "[schema]") {
  Type t = Type::Object({{"a", Type::String()}, {"b", Type::Number()}});
  SECTION("missing attributes become null by default") {
    auto dec = DecodeJson("{\"a\":\"x\"}", t);
    REQUIRE(dec.ok());
    CHECK(dec->GetAttr("b").IsNull());
  }
  SECTION("missing attributes are an error when asked") {
    JsonDecodeOptions o;
    o.missing_attributes_are_null = false;
    CHECK(DecodeJson("{\"a\":\"x\"}", t, o).status().IsInvalidArgument());
  }
  SECTION("unknown attributes are an error by default") {
    auto s = DecodeJson("{\"a\":\"x\",\"b\":1,\"c\":true}", t).status();
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("\"c\"") != std::string::npos);
  }
  SECTION("unknown attributes are skipped when asked") {
    JsonDecodeOptions o;
    o.ignore_unknown_attributes = true;
    auto dec = DecodeJson("{\"a\":\"x\",\"b\":1,\"c\":{\"deep\":[1,2]}}", t, o);
    REQUIRE(dec.ok());
    CHECK(dec->GetAttr("b") == Value::Int(1));
  }
}

TEST_CASE("DecodeJson: decodes dynamic values from {value, type}", "[schema]") {
  auto dec = DecodeJson("{\"type\":[\"map\",\"number\"],\"value\":{\"x\":1}}", Type::Dynamic());
  REQUIRE(dec.ok());
  CHECK(dec->type() == Type::Map(Type::Number()));
  CHECK(dec->MapElements().at("x") == Value::Int(1));
  CHECK(DecodeJson("null", Type::Dynamic())->IsNull());
  CHECK(DecodeJson("{\"value\":1}", Type::Dynamic()).status().IsInvalidArgument());
  CHECK(DecodeJson("{\"value\":1,\"type\":\"nope\"}", Type::Dynamic()).status().IsInvalidArgument());
  CHECK(DecodeJson("\"x\"", Type::Dynamic()).status().IsInvalidArgument());
}

TEST_CASE("DecodeJson: rejects malformed JSON and wrong kinds with InvalidArgument", "[schema]") {
  Type t = StateType();
  for (const char* j : {"{", "{\"id\":}", "[1,]", "{\"id\":\"a\"} x", "{\"id\":\"a\",\"id\":\"b\"}", "nul",
                        "{\"size\":\"abc\"}", "{\"on\":3}", "{\"hops\":{}}", "{\"tags\":[]}", "{\"pair\":[\"x\"]}",
                        "{\"ports\":[true]}", "[]", "\"str\""}) {
    INFO(j);
    CHECK(DecodeJson(j, t).status().IsInvalidArgument());
  }
  SECTION("deep nesting is refused") {
    std::string deep(100000, '[');
    CHECK(DecodeJson(deep, Type::List(Type::Dynamic())).status().IsInvalidArgument());
  }
  SECTION("empty input is null") {
    auto dec = DecodeJson("  ", t);
    REQUIRE(dec.ok());
    CHECK(dec->IsNull());
  }
}

}  // namespace
}  // namespace tpd::schema
