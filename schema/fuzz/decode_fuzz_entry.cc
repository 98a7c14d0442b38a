#include "schema/fuzz/decode_fuzz_entry.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "schema/codec.h"

namespace tpd::schema::fuzz {

namespace {

// A schema-like type exercising every decoder path: primitives, every collection, nested objects,
// tuples and dynamic values at several depths.
const Type& FuzzType() {
  static const Type* const kType = [] {
    Type item = Type::Object({{"a", Type::String()}, {"b", Type::Set(Type::Number())}, {"c", Type::Dynamic()}});
    return new Type(Type::Object({
        {"name", Type::String()},
        {"n", Type::Number()},
        {"flag", Type::Bool()},
        {"tags", Type::Map(Type::String())},
        {"items", Type::List(item)},
        {"any", Type::Dynamic()},
        {"pair", Type::Tuple({Type::String(), Type::List(Type::Dynamic())})},
        {"nested", Type::Set(Type::Object({{"x", Type::Map(Type::List(Type::Bool()))}}))},
    }));
  }();
  return *kType;
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "decode fuzzer invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Re-encodes a decoded value and checks that it decodes back to an equal value.
void CheckMsgpackRoundTrip(const Value& v, const Type& t) {
  auto enc = EncodeMsgpack(v, t);
  if (!enc.ok()) Fail("msgpack re-encode failed", enc.status().ToString());
  auto again = DecodeMsgpack(*enc, t);
  if (!again.ok()) Fail("msgpack re-decode failed", again.status().ToString());
  if (*again != v) Fail("msgpack round trip changed the value", v.ToDebugString() + " vs " + again->ToDebugString());
}

void CheckJsonRoundTrip(const Value& v, const Type& t, bool must_encode) {
  auto enc = EncodeJson(v, t);
  if (!enc.ok()) {
    // Values from msgpack may hold what JSON cannot (unknowns, infinities); values from JSON may not.
    if (must_encode) Fail("json re-encode failed", enc.status().ToString());
    return;
  }
  auto again = DecodeJson(*enc, t);
  if (!again.ok()) Fail("json re-decode failed", again.status().ToString() + " for " + *enc);
  if (*again != v) Fail("json round trip changed the value", v.ToDebugString() + " vs " + again->ToDebugString());
}

}  // namespace

int RunDecodeFuzzInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const Type& t = FuzzType();
  int decoded = 0;

  const Type dyn = Type::Dynamic();
  for (const Type* type : {&t, &dyn}) {
    const Type& ty = *type;
    auto mp = DecodeMsgpack(input, ty);
    if (mp.ok()) {
      ++decoded;
      CheckMsgpackRoundTrip(*mp, ty);
      CheckJsonRoundTrip(*mp, ty, false);
    } else if (!mp.status().IsInvalidArgument()) {
      Fail("msgpack decode failed with a code other than InvalidArgument", mp.status().ToString());
    }
  }

  auto js = DecodeJson(input, t);
  if (js.ok()) {
    ++decoded;
    CheckJsonRoundTrip(*js, t, true);
    CheckMsgpackRoundTrip(*js, t);
  } else if (!js.status().IsInvalidArgument()) {
    Fail("json decode failed with a code other than InvalidArgument", js.status().ToString());
  }
  JsonDecodeOptions lenient;
  lenient.ignore_unknown_attributes = true;
  auto js2 = DecodeJson(input, Type::Dynamic(), lenient);
  if (js2.ok()) {
    ++decoded;
    CheckJsonRoundTrip(*js2, Type::Dynamic(), true);
  }

  // Type JSON parsing sees the raw input too.
  auto ty = Type::FromJson(input);
  if (ty.ok()) {
    auto back = Type::FromJson(ty->ToJson());
    if (!back.ok() || *back != *ty) Fail("type JSON round trip changed the type", ty->ToJson());
  }
  return decoded;
}

}  // namespace tpd::schema::fuzz
