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
// mismatch with `type` (message names the path, and Status::path() is set). Never crashes on any
// input (fuzzed): nesting deeper than 128 levels, counts larger than the input, invalid UTF-8 in
// strings or keys, duplicate map keys and NaN are all InvalidArgument.
// Empty input decodes as null of `type` (Terraform's rule for an unset DynamicValue).
// Refinements (ext type 12) are kept only where they apply (prefix: string; bounds: number;
// length: list/set/map); an unknown of schema type `dynamic` never carries refinements.
Result<Value> DecodeMsgpack(std::string_view data, const Type& type);

struct JsonDecodeOptions {
  // Object attributes present in `type` but absent from the JSON become null (state written by an
  // older schema). When false they are an error. Default: true (cty's own JSON decoder does this).
  bool missing_attributes_are_null = true;
  // JSON object keys that `type` does not have are skipped instead of rejected. Default: false.
  bool ignore_unknown_attributes = false;
};

// Encodes `v` as JSON text (object keys sorted, no whitespace). InvalidArgument if `v` is not
// wholly known, does not conform, holds an infinity, or holds a string that is not valid UTF-8.
Result<std::string> EncodeJson(const Value& v, const Type& type);
// Decodes JSON text against `type`, keeping numbers' full decimal text. Empty (or all-whitespace)
// input = null. InvalidArgument on malformed JSON, duplicate keys, nesting deeper than 128, a
// mismatch with `type`, or a number outside float64's exponent range (e.g. 1e400: the JSON parser
// refuses it). Like cty, a number may also be given as a JSON string ("42"), a string attribute
// accepts a JSON number or bool (kept as its text), and a bool accepts "true"/"false".
Result<Value> DecodeJson(std::string_view json, const Type& type, const JsonDecodeOptions& options = {});

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_CODEC_H_
