#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "schema/codec.h"
#include "schema/schema.h"

namespace tpd::schema {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[(static_cast<unsigned char>(c) >> 4) & 0xf]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  int nib = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else continue;
    if (nib < 0) {
      nib = v;
    } else {
      out.push_back(static_cast<char>(nib * 16 + v));
      nib = -1;
    }
  }
  return out;
}

Number Num(std::string_view s) { return *Number::FromString(s); }

Type WorkedExampleType() {
  return Type::Object({{"id", Type::String()}, {"name", Type::String()}, {"size", Type::Number()}});
}

TEST_CASE("EncodeMsgpack: matches the FACTS worked example when planning a create", "[schema]") {
  Type t = WorkedExampleType();
  Value v = Value::Object(t, {{"id", Value::Unknown(Type::String())}, {"name", Value::String("a")}});
  auto enc = EncodeMsgpack(v, t);
  REQUIRE(enc.ok());
  CHECK(Hex(*enc) == "83 a2 69 64 d4 00 00 a4 6e 61 6d 65 a1 61 a4 73 69 7a 65 c0");

  auto dec = DecodeMsgpack(*enc, t);
  REQUIRE(dec.ok());
  CHECK(*dec == v);
  CHECK_FALSE(dec->GetAttr("id").IsKnown());
  CHECK(dec->GetAttr("size").IsNull());
  CHECK(dec->GetAttr("name").AsString() == "a");
}

TEST_CASE("EncodeMsgpack: wraps a dynamic value as [bin(type), value]", "[schema]") {
  auto enc = EncodeMsgpack(Value::String("x"), Type::Dynamic());
  REQUIRE(enc.ok());
  CHECK(Hex(*enc) == "92 c4 08 22 73 74 72 69 6e 67 22 a1 78");
  auto dec = DecodeMsgpack(*enc, Type::Dynamic());
  REQUIRE(dec.ok());
  CHECK(dec->type() == Type::String());
  CHECK(dec->AsString() == "x");

  SECTION("type JSON as str is accepted too") {
    auto d = DecodeMsgpack(FromHex("92 a8 22 73 74 72 69 6e 67 22 a1 78"), Type::Dynamic());
    REQUIRE(d.ok());
    CHECK(d->AsString() == "x");
  }
  SECTION("bare nil is a null dynamic") {
    auto d = DecodeMsgpack(FromHex("c0"), Type::Dynamic());
    REQUIRE(d.ok());
    CHECK(d->IsNull());
  }
  SECTION("a null dynamic encodes as bare nil") {
    auto e = EncodeMsgpack(Value::Null(Type::Dynamic()), Type::Dynamic());
    REQUIRE(e.ok());
    CHECK(Hex(*e) == "c0");
  }
  SECTION("a typed null in a dynamic slot encodes as [type, nil]") {
    auto e = EncodeMsgpack(Value::Null(Type::Bool()), Type::Dynamic());
    REQUIRE(e.ok());
    CHECK(Hex(*e) == "92 c4 06 22 62 6f 6f 6c 22 c0");
    auto d = DecodeMsgpack(*e, Type::Dynamic());
    REQUIRE(d.ok());
    CHECK(d->IsNull());
    CHECK(d->type() == Type::Bool());
  }
  SECTION("a complex value round-trips through the wrapper") {
    Value v = Value::Object({{"a", Value::StringList({"p", "q"})}, {"n", Value::Int(-5)}});
    auto e = EncodeMsgpack(v, Type::Dynamic());
    REQUIRE(e.ok());
    auto d = DecodeMsgpack(*e, Type::Dynamic());
    REQUIRE(d.ok());
    CHECK(*d == v);
    CHECK(d->type() == v.type());
  }
}

TEST_CASE("EncodeMsgpack: writes a not-null refinement as ext type 12", "[schema]") {
  Refinements r;
  r.not_null = true;
  auto enc = EncodeMsgpack(Value::Unknown(Type::String(), r), Type::String());
  REQUIRE(enc.ok());
  CHECK(Hex(*enc) == "c7 03 0c 81 01 c2");
  auto dec = DecodeMsgpack(*enc, Type::String());
  REQUIRE(dec.ok());
  CHECK_FALSE(dec->IsKnown());
  CHECK(dec->refinements().not_null);
}

TEST_CASE("EncodeMsgpack: round-trips every refinement kind", "[schema]") {
  SECTION("string prefix") {
    Refinements r;
    r.not_null = true;
    r.string_prefix = "postgres://";
    auto enc = EncodeMsgpack(Value::Unknown(Type::String(), r), Type::String());
    REQUIRE(enc.ok());
    auto dec = DecodeMsgpack(*enc, Type::String());
    REQUIRE(dec.ok());
    CHECK(dec->refinements() == r);
  }
  SECTION("string prefix longer than 256 bytes is truncated") {
    Refinements r;
    r.string_prefix = std::string(300, 'p');
    auto enc = EncodeMsgpack(Value::Unknown(Type::String(), r), Type::String());
    REQUIRE(enc.ok());
    auto dec = DecodeMsgpack(*enc, Type::String());
    REQUIRE(dec.ok());
    REQUIRE(dec->refinements().string_prefix);
    CHECK(dec->refinements().string_prefix->size() == 256);
  }
  SECTION("number bounds") {
    Refinements r;
    r.number_lower = std::make_pair(Num("0"), true);
    r.number_upper = std::make_pair(Num("0.1"), false);
    auto enc = EncodeMsgpack(Value::Unknown(Type::Number(), r), Type::Number());
    REQUIRE(enc.ok());
    auto dec = DecodeMsgpack(*enc, Type::Number());
    REQUIRE(dec.ok());
    CHECK(dec->refinements() == r);
  }
  SECTION("collection length bounds") {
    Refinements r;
    r.length_lower = 1;
    r.length_upper = 3;
    Type t = Type::List(Type::String());
    auto enc = EncodeMsgpack(Value::Unknown(t, r), t);
    REQUIRE(enc.ok());
    CHECK(Hex(*enc) == "c7 05 0c 82 05 01 06 03");
    auto dec = DecodeMsgpack(*enc, t);
    REQUIRE(dec.ok());
    CHECK(dec->refinements() == r);
  }
  SECTION("refinements not applicable to the type are dropped") {
    Refinements r;
    r.string_prefix = "x";
    auto enc = EncodeMsgpack(Value::Unknown(Type::Number(), r), Type::Number());
    REQUIRE(enc.ok());
    CHECK(Hex(*enc) == "d4 00 00");
  }
  SECTION("unknown keys in the payload are ignored") {
    auto dec = DecodeMsgpack(FromHex("c7 06 0c 82 09 a1 7a 01 c2"), Type::String());
    REQUIRE(dec.ok());
    CHECK(dec->refinements().not_null);
  }
}

TEST_CASE("DecodeMsgpack: treats every ext header form as unknown", "[schema]") {
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases = {
      {"fixext1", FromHex("d4 00 00")},
      {"fixext1 other type", FromHex("d4 05 07")},
      {"fixext2", FromHex("d5 01 00 00")},
      {"fixext4", FromHex("d6 02 00 00 00 00")},
      {"fixext8", FromHex("d7 03 00 00 00 00 00 00 00 00")},
      {"fixext16", FromHex("d8 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")},
      {"ext8 empty", FromHex("c7 00 00")},
      {"ext8", FromHex("c7 03 07 01 02 03")},
      {"ext16", FromHex("c8 00 03 07 01 02 03")},
      {"ext32", FromHex("c9 00 00 00 03 07 01 02 03")},
      {"ext8 type 12 refinement", FromHex("c7 03 0c 81 01 c2")},
      {"ext16 type 12 refinement", FromHex("c8 00 03 0c 81 01 c2")},
      {"ext32 type 12 refinement", FromHex("c9 00 00 00 03 0c 81 01 c2")},
      {"fixext4 type 12 refinement", FromHex("d6 0c 81 01 c2 c0") /* 4-byte payload: map + ignored nil */},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto dec = DecodeMsgpack(c.bytes, Type::String());
    REQUIRE(dec.ok());
    CHECK_FALSE(dec->IsKnown());
    CHECK(dec->type() == Type::String());
    bool refined = std::string(c.name).find("refinement") != std::string::npos;
    CHECK(dec->refinements().not_null == refined);
  }
  SECTION("fixext2 with a type-12 map of one entry") {
    // d5 0c 81 01: payload is 81 01 = map{1: ?} truncated -> error.
    CHECK(DecodeMsgpack(FromHex("d5 0c 81 01"), Type::String()).status().IsInvalidArgument());
  }
  SECTION("truncated ext payloads are rejected") {
    CHECK(DecodeMsgpack(FromHex("d6 00 00"), Type::String()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("c7 05 00 00"), Type::String()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("c8 00"), Type::String()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("c9 ff ff ff ff 00 00"), Type::String()).status().IsInvalidArgument());
  }
}

TEST_CASE("EncodeMsgpack: chooses int, float64 or decimal string for numbers", "[schema]") {
  struct Case {
    const char* number;
    const char* hex;
  };
  std::vector<Case> cases = {
      {"0", "00"},
      {"127", "7f"},
      {"128", "cc 80"},
      {"255", "cc ff"},
      {"256", "cd 01 00"},
      {"65536", "ce 00 01 00 00"},
      {"4294967296", "cf 00 00 00 01 00 00 00 00"},
      {"9223372036854775807", "cf 7f ff ff ff ff ff ff ff"},
      {"18446744073709551615", "cf ff ff ff ff ff ff ff ff"},
      {"-1", "ff"},
      {"-32", "e0"},
      {"-33", "d0 df"},
      {"-128", "d0 80"},
      {"-129", "d1 ff 7f"},
      {"-32769", "d2 ff ff 7f ff"},
      {"-2147483649", "d3 ff ff ff ff 7f ff ff ff"},
      {"0.5", "cb 3f e0 00 00 00 00 00 00"},
      {"Infinity", "cb 7f f0 00 00 00 00 00 00"},
      {"-Infinity", "cb ff f0 00 00 00 00 00 00"},
      {"0.1", "a3 30 2e 31"},
      // 2^64 is beyond uint64 but exactly a float64, so go-cty (and we) write a float64.
      {"18446744073709551616", "cb 43 f0 00 00 00 00 00 00"},
      {"18446744073709551617", "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 37"},
      {"-9223372036854775809", "b4 2d 39 32 32 33 33 37 32 30 33 36 38 35 34 37 37 35 38 30 39"},
      {"3.14", "a4 33 2e 31 34"},
  };
  for (const auto& c : cases) {
    INFO(c.number);
    Value v = Value::Num(Num(c.number));
    auto enc = EncodeMsgpack(v, Type::Number());
    REQUIRE(enc.ok());
    CHECK(Hex(*enc) == c.hex);
    auto dec = DecodeMsgpack(*enc, Type::Number());
    REQUIRE(dec.ok());
    CHECK(dec->AsNumber().ToString() == Num(c.number).ToString());
  }
}

TEST_CASE("DecodeMsgpack: accepts every int, uint and float form for numbers", "[schema]") {
  struct Case {
    const char* hex;
    const char* number;
  };
  std::vector<Case> cases = {
      {"05", "5"},
      {"fb", "-5"},
      {"cc 05", "5"},
      {"cd 00 05", "5"},
      {"ce 00 00 00 05", "5"},
      {"cf 00 00 00 00 00 00 00 05", "5"},
      {"d0 fb", "-5"},
      {"d1 ff fb", "-5"},
      {"d2 ff ff ff fb", "-5"},
      {"d3 ff ff ff ff ff ff ff fb", "-5"},
      {"d3 80 00 00 00 00 00 00 00", "-9223372036854775808"},
      {"ca 3f c0 00 00", "1.5"},
      {"cb 3f b9 99 99 99 99 99 9a", "0.1"},
      {"a3 30 2e 31", "0.1"},
      {"b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 36", "18446744073709551616"},
      {"a4 31 65 32 30", "100000000000000000000"},
  };
  for (const auto& c : cases) {
    INFO(c.hex);
    auto dec = DecodeMsgpack(FromHex(c.hex), Type::Number());
    REQUIRE(dec.ok());
    CHECK(dec->AsNumber().ToString() == c.number);
  }
  SECTION("the float64 0.1 equals the decimal string 0.1") {
    CHECK(*DecodeMsgpack(FromHex("cb 3f b9 99 99 99 99 99 9a"), Type::Number()) ==
          *DecodeMsgpack(FromHex("a3 30 2e 31"), Type::Number()));
  }
  SECTION("NaN and junk strings are rejected") {
    CHECK(DecodeMsgpack(FromHex("cb 7f f8 00 00 00 00 00 00"), Type::Number()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("a3 30 78 31"), Type::Number()).status().IsInvalidArgument());
  }
}

TEST_CASE("EncodeMsgpack: uses the right str, bin, array and map header sizes", "[schema]") {
  SECTION("strings") {
    for (size_t n : {0u, 31u, 32u, 255u, 256u, 65535u, 65536u}) {
      INFO(n);
      Value v = Value::String(std::string(n, 'x'));
      auto enc = EncodeMsgpack(v, Type::String());
      REQUIRE(enc.ok());
      uint8_t first = static_cast<uint8_t>((*enc)[0]);
      if (n < 32) CHECK(first == (0xa0 | n));
      else if (n <= 255) CHECK(first == 0xd9);
      else if (n <= 65535) CHECK(first == 0xda);
      else CHECK(first == 0xdb);
      auto dec = DecodeMsgpack(*enc, Type::String());
      REQUIRE(dec.ok());
      CHECK(*dec == v);
    }
  }
  SECTION("bin is accepted as a string") {
    auto dec = DecodeMsgpack(FromHex("c4 02 68 69"), Type::String());
    REQUIRE(dec.ok());
    CHECK(dec->AsString() == "hi");
    dec = DecodeMsgpack(FromHex("c5 00 02 68 69"), Type::String());
    REQUIRE(dec.ok());
    dec = DecodeMsgpack(FromHex("c6 00 00 00 02 68 69"), Type::String());
    REQUIRE(dec.ok());
    CHECK(dec->AsString() == "hi");
  }
  SECTION("str8/16/32 are accepted") {
    CHECK(DecodeMsgpack(FromHex("d9 01 41"), Type::String())->AsString() == "A");
    CHECK(DecodeMsgpack(FromHex("da 00 01 41"), Type::String())->AsString() == "A");
    CHECK(DecodeMsgpack(FromHex("db 00 00 00 01 41"), Type::String())->AsString() == "A");
  }
  SECTION("arrays and maps") {
    for (size_t n : {0u, 15u, 16u, 65535u, 65536u}) {
      INFO(n);
      std::vector<Value> elems(n, Value::Bool(true));
      Value list = Value::List(Type::Bool(), elems);
      Type lt = Type::List(Type::Bool());
      auto enc = EncodeMsgpack(list, lt);
      REQUIRE(enc.ok());
      uint8_t first = static_cast<uint8_t>((*enc)[0]);
      if (n < 16) CHECK(first == (0x90 | n));
      else if (n <= 65535) CHECK(first == 0xdc);
      else CHECK(first == 0xdd);
      auto dec = DecodeMsgpack(*enc, lt);
      REQUIRE(dec.ok());
      CHECK(dec->Length() == n);
    }
    for (size_t n : {0u, 15u, 16u, 70000u}) {
      INFO(n);
      std::map<std::string, Value> m;
      for (size_t i = 0; i < n; ++i) m.emplace("k" + std::to_string(i), Value::Int(static_cast<int64_t>(i)));
      Type mt = Type::Map(Type::Number());
      Value v = Value::Map(Type::Number(), m);
      auto enc = EncodeMsgpack(v, mt);
      REQUIRE(enc.ok());
      uint8_t first = static_cast<uint8_t>((*enc)[0]);
      if (n < 16) CHECK(first == (0x80 | n));
      else if (n <= 65535) CHECK(first == 0xde);
      else CHECK(first == 0xdf);
      auto dec = DecodeMsgpack(*enc, mt);
      REQUIRE(dec.ok());
      CHECK(*dec == v);
    }
  }
}

TEST_CASE("DecodeMsgpack: rejects malformed input with InvalidArgument", "[schema]") {
  Type t = WorkedExampleType();
  std::string good = FromHex("83 a2 69 64 d4 00 00 a4 6e 61 6d 65 a1 61 a4 73 69 7a 65 c0");
  SECTION("every truncation of a valid object") {
    for (size_t n = 1; n < good.size(); ++n) {
      INFO(n);
      CHECK(DecodeMsgpack(good.substr(0, n), t).status().IsInvalidArgument());
    }
  }
  SECTION("trailing bytes") {
    CHECK(DecodeMsgpack(good + Bytes({0xc0}), t).status().IsInvalidArgument());
  }
  SECTION("missing attribute") {
    auto s = DecodeMsgpack(FromHex("82 a2 69 64 d4 00 00 a4 6e 61 6d 65 a1 61"), t).status();
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("3 attributes is required (2 given)") != std::string::npos);
  }
  SECTION("extra attribute") {
    // {"id":?, "name":"a", "zzz": nil} with 3 entries: zzz is unsupported.
    auto s = DecodeMsgpack(FromHex("83 a2 69 64 d4 00 00 a4 6e 61 6d 65 a1 61 a3 7a 7a 7a c0"), t).status();
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("unsupported attribute \"zzz\"") != std::string::npos);
  }
  SECTION("duplicate attribute") {
    CHECK(DecodeMsgpack(FromHex("83 a2 69 64 c0 a2 69 64 c0 a4 6e 61 6d 65 c0"), t).status().IsInvalidArgument());
  }
  SECTION("wrong kinds") {
    CHECK(DecodeMsgpack(FromHex("a1 61"), Type::Number()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("01"), Type::String()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("01"), Type::Bool()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("c3"), Type::Number()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("90"), t).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("80"), Type::List(Type::String())).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("81 01 c0"), Type::Map(Type::String())).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("91 c3"), Type::Tuple({Type::Bool(), Type::Bool()})).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("c1"), Type::String()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("a1 61"), Type::Dynamic()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("92 c4 03 62 61 64 c0"), Type::Dynamic()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("a2 c3 28"), Type::String()).status().IsInvalidArgument());  // invalid UTF-8
  }
  SECTION("an empty object where attributes are required") {
    CHECK(DecodeMsgpack(FromHex("80"), t).status().IsInvalidArgument());
  }
  SECTION("array count larger than the input") {
    CHECK(DecodeMsgpack(FromHex("dd ff ff ff ff c0"), Type::List(Type::String())).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(FromHex("df ff ff ff ff c0"), Type::Map(Type::String())).status().IsInvalidArgument());
  }
  SECTION("deep nesting through dynamic wrappers does not overflow the stack") {
    std::string deep;
    std::string list_json = "\"string\"";
    for (int i = 0; i < 50; ++i) list_json = "[\"list\"," + list_json + "]";
    for (int i = 0; i < 100000; ++i) deep += Bytes({0x91});
    CHECK(DecodeMsgpack(deep, Type::Dynamic()).status().IsInvalidArgument());
    CHECK(DecodeMsgpack(deep, Type::List(Type::Dynamic())).status().IsInvalidArgument());
  }
  SECTION("an error names the attribute path") {
    Type nested = Type::Object({{"src", Type::Object({{"port", Type::Number()}})}});
    auto s = DecodeMsgpack(FromHex("81 a3 73 72 63 81 a4 70 6f 72 74 a1 78"), nested).status();
    REQUIRE(s.IsInvalidArgument());
    REQUIRE(s.path());
    CHECK(s.path()->ToString() == "src.port");
  }
}

TEST_CASE("DecodeMsgpack: empty input is null of the type", "[schema]") {
  auto dec = DecodeMsgpack("", WorkedExampleType());
  REQUIRE(dec.ok());
  CHECK(dec->IsNull());
  CHECK(dec->type() == WorkedExampleType());
}

TEST_CASE("EncodeMsgpack: round-trips nested collections, sets and tuples", "[schema]") {
  Type inner = Type::Object({{"name", Type::String()}, {"tags", Type::Set(Type::String())}});
  Type t = Type::Object({
      {"items", Type::List(inner)},
      {"by_key", Type::Map(inner)},
      {"pair", Type::Tuple({Type::String(), Type::Number()})},
      {"any", Type::Dynamic()},
      {"opt", Type::Set(inner)},
  });
  Value item = Value::Object(inner, {{"name", Value::String("a")}, {"tags", Value::StringSet({"z", "y", "z"})}});
  Value v = Value::Object(t, {
                                 {"items", Value::List(inner, {item, item})},
                                 {"by_key", Value::Map(inner, {{"k", item}})},
                                 {"pair", Value::Tuple({Value::String("s"), Value::Num(Num("1e30"))})},
                                 {"any", Value::Map(Type::String(), {{"x", Value::String("y")}})},
                                 {"opt", Value::Set(inner, {item, Value::Unknown(inner)})},
                             });
  REQUIRE(CheckConforms(v, t).ok());
  auto enc = EncodeMsgpack(v, t);
  REQUIRE(enc.ok());
  auto dec = DecodeMsgpack(*enc, t);
  REQUIRE(dec.ok());
  CHECK(*dec == v);
  CHECK(dec->GetAttr("items").Elements()[0].GetAttr("tags").Length() == 2);
  CHECK(dec->GetAttr("pair").Elements()[1].AsNumber().ToString() == "1000000000000000000000000000000");
  auto enc2 = EncodeMsgpack(*dec, t);
  REQUIRE(enc2.ok());
  CHECK(*enc2 == *enc);
}

TEST_CASE("EncodeMsgpack: rejects values that do not conform", "[schema]") {
  CHECK(EncodeMsgpack(Value::String("x"), Type::Number()).status().IsInvalidArgument());
  Type t = Type::Object({{"a", Type::String()}});
  CHECK(EncodeMsgpack(Value::Object({{"b", Value::String("x")}}), t).status().IsInvalidArgument());
  CHECK(EncodeMsgpack(Value::Tuple({Value::Bool(true)}), Type::Tuple({})).status().IsInvalidArgument());
}

TEST_CASE("EncodeMsgpack: writes LIST blocks containing dynamic as a dynamic tuple", "[schema]") {
  Block b;
  NestedBlock nb;
  nb.type_name = "rule";
  nb.nesting = NestingMode::kList;
  nb.block.attributes.push_back({.name = "v", .type = Type::Dynamic(), .description = "d", .optional = true});
  b.block_types.push_back(nb);
  Type t = b.ImpliedType();
  REQUIRE(t.attributes().at("rule").IsDynamic());
  Value rule = Value::Object({{"v", Value::String("x")}});
  Value v = Value::Object(t, {{"rule", Value::Tuple({rule})}});
  auto enc = EncodeMsgpack(v, t);
  REQUIRE(enc.ok());
  auto dec = DecodeMsgpack(*enc, t);
  REQUIRE(dec.ok());
  const Value& r = dec->GetAttr("rule");
  REQUIRE(r.type().kind() == Type::Kind::kTuple);
  CHECK(r.Elements()[0].GetAttr("v").AsString() == "x");
}

}  // namespace
}  // namespace tpd::schema
