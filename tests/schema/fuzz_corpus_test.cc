// Replays the decode fuzzer's body (schema/fuzz/decode_fuzz_entry.h) over valid encodings and a few
// hundred pseudo-random and mutated inputs, so every CI build exercises it under gcc too. The body
// aborts on any broken invariant, so "the test finished" is the assertion that matters.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "schema/codec.h"
#include "schema/fuzz/decode_fuzz_entry.h"

namespace tpd::schema {
namespace {

int Run(const std::string& s) {
  return fuzz::RunDecodeFuzzInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Same shape as the fuzzer's fixed type.
Type FuzzShape() {
  Type item = Type::Object({{"a", Type::String()}, {"b", Type::Set(Type::Number())}, {"c", Type::Dynamic()}});
  return Type::Object({
      {"name", Type::String()},
      {"n", Type::Number()},
      {"flag", Type::Bool()},
      {"tags", Type::Map(Type::String())},
      {"items", Type::List(item)},
      {"any", Type::Dynamic()},
      {"pair", Type::Tuple({Type::String(), Type::List(Type::Dynamic())})},
      {"nested", Type::Set(Type::Object({{"x", Type::Map(Type::List(Type::Bool()))}}))},
  });
}

std::vector<std::string> Seeds() {
  Type t = FuzzShape();
  Type item = t.attributes().at("items").element();
  Type nested = t.attributes().at("nested").element();
  Refinements r;
  r.not_null = true;
  r.string_prefix = "pre";
  Value v = Value::Object(
      t, {{"name", Value::String("db")},
          {"n", Value::Num(*Number::FromString("18446744073709551617.25"))},
          {"flag", Value::Bool(true)},
          {"tags", Value::Map(Type::String(), {{"k", Value::String("v")}, {"e", Value::String("")}})},
          {"items", Value::List(item, {Value::Object(item, {{"a", Value::String("x")},
                                                            {"b", Value::Set(Type::Number(), {Value::Int(1), Value::Int(-2)})},
                                                            {"c", Value::StringList({"q"})}})})},
          {"any", Value::Object({{"z", Value::Num(*Number::FromString("0.1"))}})},
          {"pair", Value::Tuple({Value::String("s"), Value::List(Type::Dynamic(), {Value::Int(1), Value::String("two")})})},
          {"nested", Value::Set(nested, {Value::Object(nested, {{"x", Value::Map(Type::List(Type::Bool()),
                                                                                  {{"m", Value::List(Type::Bool(), {Value::Bool(false)})}})}})})}});
  Value with_unknowns = v.WithAttr("name", Value::Unknown(Type::String(), r)).WithAttr("any", Value::Unknown(Type::Dynamic()));
  std::vector<std::string> seeds;
  seeds.push_back(EncodeMsgpack(v, t).value());
  seeds.push_back(EncodeMsgpack(with_unknowns, t).value());
  seeds.push_back(EncodeMsgpack(Value::Object(t, {}), t).value());
  seeds.push_back(EncodeJson(v, t).value());
  seeds.push_back(EncodeJson(Value::Object(t, {}), t).value());
  seeds.push_back(EncodeMsgpack(v, Type::Dynamic()).value());
  return seeds;
}

TEST_CASE("DecodeFuzz: valid seeds decode and round-trip", "[schema]") {
  for (const std::string& s : Seeds()) CHECK(Run(s) >= 1);
}

TEST_CASE("DecodeFuzz: survives random and mutated inputs", "[schema]") {
  std::mt19937 rng(20261121);
  auto byte = [&]() { return static_cast<char>(rng() & 0xff); };
  std::vector<std::string> seeds = Seeds();
  int decoded = 0;
  int runs = 0;
  SECTION("pure random bytes") {
    for (int i = 0; i < 200; ++i) {
      std::string s(rng() % 64, '\0');
      for (char& c : s) c = byte();
      decoded += Run(s);
      ++runs;
    }
  }
  SECTION("mutated valid encodings") {
    for (int i = 0; i < 600; ++i) {
      std::string s = seeds[rng() % seeds.size()];
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        size_t pos = rng() % s.size();
        switch (rng() % 5) {
          case 0: s[pos] = byte(); break;                                  // replace
          case 1: s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8))); break;  // bit flip
          case 2: s.erase(pos, 1 + rng() % 4); break;                      // delete
          case 3: s.insert(pos, 1, byte()); break;                         // insert
          case 4: s.resize(pos); break;                                    // truncate
        }
      }
      decoded += Run(s);
      ++runs;
    }
    // Some mutations (e.g. of string contents) still decode: the round-trip checks ran on them.
    CHECK(decoded > 0);
  }
  CHECK(runs > 0);
}

}  // namespace
}  // namespace tpd::schema
