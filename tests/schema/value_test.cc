#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "schema/value.h"

namespace tpd::schema {
namespace {

Number N(std::string_view s) {
  auto n = Number::FromString(s);
  REQUIRE(n.ok());
  return *n;
}

TEST_CASE("Number: canonicalises decimal text", "[schema]") {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : std::vector<Case>{{"0", "0"},
                                        {"-0", "0"},
                                        {"+7", "7"},
                                        {"007", "7"},
                                        {"-0.10", "-0.1"},
                                        {"1e3", "1000"},
                                        {"1E+3", "1000"},
                                        {"12.5e-3", "0.0125"},
                                        {"1.50", "1.5"},
                                        {".5", "0.5"},
                                        {"5.", "5"},
                                        {"0.000", "0"},
                                        {"0e99999999999", "0"},
                                        {"18446744073709551616", "18446744073709551616"},
                                        {"123456789012345678901234567890.000000000000000000001",
                                         "123456789012345678901234567890.000000000000000000001"},
                                        {"Infinity", "Infinity"},
                                        {"-Infinity", "-Infinity"}}) {
    INFO(c.in);
    CHECK(N(c.in).ToString() == c.out);
  }
}

TEST_CASE("Number: rejects text that is not a decimal number", "[schema]") {
  for (const char* s : {"", "-", ".", "e3", "1e", "1e+", "0x1", "NaN", "1.2.3", "1 ", " 1", "1,0", "inf", "--1",
                        "1e999999", "1e-999999"}) {
    INFO(s);
    CHECK(Number::FromString(s).status().IsInvalidArgument());
  }
}

TEST_CASE("Number: compares by value without converting to double", "[schema]") {
  CHECK(N("18446744073709551617").Compare(N("18446744073709551616")) == 1);
  CHECK(N("-18446744073709551617").Compare(N("-18446744073709551616")) == -1);
  CHECK(N("0.30000000000000004").Compare(N("0.3")) == 1);
  CHECK(N("1.5") == N("1.50"));
  CHECK(N("-1") < N("0"));
  CHECK(N("-0.5") < N("-0.25"));
  CHECK(N("9") < N("10"));
  CHECK(N("0.09") < N("0.1"));
  CHECK(N("-Infinity") < N("-1e300"));
  CHECK(N("1e300") < N("Infinity"));
  CHECK(N("2").Compare(N("2")) == 0);
}

TEST_CASE("Number: converts to and from integers and doubles", "[schema]") {
  CHECK(Number::FromInt64(std::numeric_limits<int64_t>::min()).ToString() == "-9223372036854775808");
  CHECK(Number::FromUint64(std::numeric_limits<uint64_t>::max()).ToString() == "18446744073709551615");
  CHECK(N("42").ToInt64() == 42);
  CHECK(N("-42").ToUint64() == std::nullopt);
  CHECK(N("18446744073709551615").ToInt64() == std::nullopt);
  CHECK(N("18446744073709551615").ToUint64() == std::numeric_limits<uint64_t>::max());
  CHECK(N("18446744073709551616").ToUint64() == std::nullopt);
  CHECK(N("1.5").ToInt64() == std::nullopt);
  CHECK(N("1.5").IsInteger() == false);
  CHECK(N("Infinity").IsInteger() == false);
  CHECK(N("Infinity").IsInfinity());
  CHECK(Number::FromDouble(0.1).ToString() == "0.1");
  CHECK(Number::FromDouble(-2.5).ToString() == "-2.5");
  CHECK(Number::FromDouble(1e21).ToString() == "1000000000000000000000");
  CHECK(Number::FromDouble(5e-324).ToString().size() == 326);
  CHECK(Number::FromDouble(std::numeric_limits<double>::infinity()).ToString() == "Infinity");
  CHECK(N("0.1").ToDouble() == 0.1);
  CHECK(N("1e400").IsInfinity() == false);
  CHECK(std::isinf(N("1e400").ToDouble()));
  CHECK(N("1e-400").ToDouble() == 0.0);
}

TEST_CASE("Number: distinguishes shortest-round-trip exactness from binary exactness", "[schema]") {
  CHECK(N("0.1").IsExactDouble());
  CHECK_FALSE(N("0.1").IsExactBinaryDouble());
  CHECK(N("0.5").IsExactBinaryDouble());
  CHECK(N("3").IsExactBinaryDouble());
  CHECK(N("18446744073709551616").IsExactBinaryDouble());
  CHECK_FALSE(N("18446744073709551617").IsExactBinaryDouble());
  CHECK_FALSE(N("18446744073709551617").IsExactDouble());
  CHECK(N("Infinity").IsExactBinaryDouble());
  CHECK(N("0.30000000000000004").IsExactDouble());
  CHECK_FALSE(N("1e400").IsExactDouble());
}

TEST_CASE("Value: distinguishes null, unknown and known", "[schema]") {
  Value null_s = Value::Null(Type::String());
  CHECK(null_s.IsNull());
  CHECK(null_s.IsKnown());
  CHECK(null_s.IsWhollyKnown());
  Value unk = Value::Unknown(Type::String());
  CHECK_FALSE(unk.IsKnown());
  CHECK_FALSE(unk.IsNull());
  CHECK_FALSE(Value::Object({{"a", unk}}).IsWhollyKnown());
  CHECK(Value().IsNull());
  CHECK(Value().type().IsDynamic());
  CHECK(Value::String("x").OptString() == "x");
  CHECK(null_s.OptString() == std::nullopt);
  CHECK(unk.OptString() == std::nullopt);
  CHECK(Value::Bool(true).OptBool() == true);
  CHECK(Value::Int(7).OptInt() == 7);
  CHECK(Value::Num(N("1.5")).OptInt() == std::nullopt);
}

TEST_CASE("Value: equality ignores refinements and compares numbers by value", "[schema]") {
  Refinements r;
  r.not_null = true;
  CHECK(Value::Unknown(Type::String(), r) == Value::Unknown(Type::String()));
  CHECK(Value::Unknown(Type::String()) != Value::Unknown(Type::Number()));
  CHECK(Value::Unknown(Type::String()) != Value::Null(Type::String()));
  CHECK(Value::Null(Type::String()) == Value::Null(Type::String()));
  CHECK(Value::Null(Type::String()) != Value::Null(Type::Bool()));
  CHECK(Value::Null(Type::String()) == Value());  // a typeless null matches any null
  CHECK(Value::Num(N("1.0")) == Value::Int(1));
  CHECK(Value::Num(N("0.1")) == Value::Num(Number::FromDouble(0.1)));
  CHECK(Value::Num(N("0.3")) != Value::Num(Number::FromDouble(0.1 + 0.2)));
  CHECK(Value::String("a") != Value::Int(1));
  CHECK(Value::StringList({"a", "b"}) != Value::StringList({"b", "a"}));
  CHECK(Value::StringSet({"a", "b"}) == Value::StringSet({"b", "a", "a"}));
  CHECK(Value::Object({{"a", Value::Int(1)}}) != Value::Object({{"a", Value::Int(2)}}));
  CHECK(Value::Object({{"a", Value::Int(1)}}) != Value::Object({{"b", Value::Int(1)}}));
}

TEST_CASE("Value: sets deduplicate and normalise order", "[schema]") {
  Value s = Value::Set(Type::Number(), {Value::Int(3), Value::Int(1), Value::Num(N("3.0")), Value::Int(2)});
  REQUIRE(s.Length() == 3);
  CHECK(s.Elements()[0] == Value::Int(1));
  CHECK(s.Elements()[2] == Value::Int(3));
  SECTION("unknown elements are kept apart") {
    Value u = Value::Set(Type::String(), {Value::Unknown(Type::String()), Value::Unknown(Type::String()),
                                          Value::String("a")});
    CHECK(u.Length() == 3);
    CHECK(u.Elements()[0] == Value::String("a"));
  }
}

TEST_CASE("Value: builds typed objects and replaces attributes", "[schema]") {
  Type t = Type::Object({{"a", Type::String()}, {"b", Type::Number()}});
  Value v = Value::Object(t, {{"a", Value::String("x")}});
  CHECK(v.type() == t);
  CHECK(v.GetAttr("b").IsNull());
  CHECK(v.GetAttr("b").type() == Type::Number());
  Value w = v.WithAttr("b", Value::Int(2));
  CHECK(w.GetAttr("b") == Value::Int(2));
  CHECK(w.type() == t);
  CHECK(v.GetAttr("b").IsNull());  // the original is untouched
  Value x = v.WithAttr("b", Value());
  CHECK(x.type() == t);  // a typeless null keeps the declared attribute type
  CHECK(v.Length() == 2);
}

TEST_CASE("Value: ToDebugString renders nested values", "[schema]") {
  Value v = Value::Object({{"a", Value::String("x")}, {"b", Value::Unknown(Type::String())},
                           {"c", Value::Null(Type::Bool())}, {"d", Value::StringList({"p"})},
                           {"e", Value::Num(N("1.5"))}, {"f", Value::Bool(false)}});
  CHECK(v.ToDebugString() == "{\"a\": \"x\", \"b\": <unknown>, \"c\": null, \"d\": [\"p\"], \"e\": 1.5, \"f\": false}");
}

TEST_CASE("CheckConforms: accepts conforming values and names the first bad path", "[schema]") {
  Type t = Type::Object({{"name", Type::String()},
                         {"tags", Type::Map(Type::String())},
                         {"items", Type::List(Type::Object({{"n", Type::Number()}}))},
                         {"any", Type::Dynamic()}});
  Value good = Value::Object(
      t, {{"name", Value::String("a")},
          {"tags", Value::Map(Type::String(), {{"k", Value::String("v")}})},
          {"items", Value::List(Type::Object({{"n", Type::Number()}}), {Value::Object({{"n", Value::Int(1)}})})},
          {"any", Value::StringList({"x"})}});
  CHECK(CheckConforms(good, t).ok());
  CHECK(CheckConforms(Value::Null(t), t).ok());
  CHECK(CheckConforms(Value::Unknown(t), t).ok());
  CHECK(CheckConforms(Value(), t).ok());

  Value bad = good.WithAttr("items", Value::List(Type::Object({{"n", Type::Number()}}),
                                                 {Value::Object({{"n", Value::String("x")}})}));
  Status s = CheckConforms(bad, t);
  REQUIRE(s.IsInvalidArgument());
  REQUIRE(s.path());
  CHECK(s.path()->ToString() == "items[0].n");

  CHECK(CheckConforms(Value::Object({{"name", Value::String("a")}}), t).IsInvalidArgument());
  CHECK(CheckConforms(good.WithAttr("extra", Value::Int(1)), t).IsInvalidArgument());
  CHECK(CheckConforms(Value::Null(Type::Number()), Type::String()).IsInvalidArgument());
  CHECK(CheckConforms(Value::Tuple({Value::Int(1)}), Type::Tuple({Type::Number(), Type::Number()})).IsInvalidArgument());
}

}  // namespace
}  // namespace tpd::schema
