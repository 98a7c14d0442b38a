// Wire codecs for DynamicValue and RawState (go-cty's msgpack and JSON encodings).
//
// msgpack (DynamicValue.msgpack, what Terraform sends and what we answer):
//  - objects are maps with exactly the type's attribute names (missing or extra keys are errors);
//  - numbers: int/uint families, float32/64, or a decimal string (big or inexact values);
//    we emit ints when integral and within int64/uint64, float64 when exact, else a decimal string;
//  - unknown: any ext type decodes as unknown (type 12 carries refinements); we emit d4 00 00 or a
//    well-formed type-12 ext when refinements exist;
//  - a `dynamic` schema type is encoded as [bin(type JSON), value]; a null dynamic may be bare nil.
// JSON (DynamicValue.json, RawState.json): no unknowns; numbers keep full decimal precision; a dynamic
// value is {"value": v, "type": typeJSON}; sets are arrays.
#ifndef TPD_SCHEMA_CODEC_H_
#define TPD_SCHEMA_CODEC_H_

#include <string>
#include <string_view>

#include "schema/status.h"
#include "schema/types.h"
#include "schema/value.h"

namespace tpd::schema {

// Encodes `v` as msgpack against `type`. InvalidArgument when `v` does not conform to `type`.
Result<std::string> EncodeMsgpack(const Value& v, const Type& type);
// Decodes msgpack bytes against `type`. InvalidArgument on malformed input, trailing bytes, or a
// mismatch with `type` (message names the path). Never crashes on any input (fuzzed).
// Empty input decodes as null of `type` (Terraform's rule for an unset DynamicValue).
Result<Value> DecodeMsgpack(std::string_view data, const Type& type);

struct JsonDecodeOptions {
  // Object attributes present in `type` but absent from the JSON become null (state written by an
  // older schema). When false they are an error. Default: true (cty's own JSON decoder does this).
  bool missing_attributes_are_null = true;
  // JSON object keys that `type` does not have are skipped instead of rejected. Default: false.
  bool ignore_unknown_attributes = false;
};

// Encodes `v` as JSON text. InvalidArgument if `v` is not wholly known or does not conform.
Result<std::string> EncodeJson(const Value& v, const Type& type);
// Decodes JSON text against `type`, keeping numbers' full decimal text. Empty input = null.
Result<Value> DecodeJson(std::string_view json, const Type& type, const JsonDecodeOptions& options = {});

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_CODEC_H_
