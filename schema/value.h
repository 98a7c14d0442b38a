// cty values: what Terraform sends and expects in DynamicValue, as a C++ value type.
//
// A Value has a Type and is exactly one of: null, unknown (optionally refined), or known. Known
// collections and structurals hold their elements, which may themselves be null or unknown.
// Values are immutable and cheap to copy (structure is shared).
//
// Numbers are arbitrary-precision decimals (Number) so that values beyond int64 or float64 survive a
// round trip unchanged, as Terraform requires.
//
// Dynamic: a Value never has type `dynamic` unless it is null or unknown. A value stored in an
// attribute whose schema type is dynamic keeps its concrete type; the codecs take the schema type
// separately to know when the wire needs the dynamic wrapper.
//
// Thread-safety: Number and Value are immutable; any number of threads may read and copy them.
// The codecs (codec.h) and objchange.h functions are pure and may run concurrently.
#ifndef TPD_SCHEMA_VALUE_H_
#define TPD_SCHEMA_VALUE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/status.h"
#include "schema/types.h"

namespace tpd::schema {

// An arbitrary-precision decimal number (or +/-infinity), kept as canonical decimal text.
class Number {
 public:
  // Zero.
  Number();
  // Parses decimal text: optional sign, digits, optional fraction, optional exponent
  // ("12", "-0.10", "1e3", "18446744073709551616"), or "Infinity"/"-Infinity".
  // InvalidArgument for anything else (empty, "0x1", "NaN", "1.2.3"), and for numbers whose
  // canonical text would exceed kMaxDigits characters (e.g. "1e999999": hostile input).
  static constexpr size_t kMaxDigits = 4096;
  static Result<Number> FromString(std::string_view text);
  static Number FromInt64(int64_t v);
  static Number FromUint64(uint64_t v);
  // Shortest text that round-trips to `v` (so 0.1 becomes "0.1"). REQUIRES: !isnan(v).
  static Number FromDouble(double v);

  // Canonical text: no leading zeros, no trailing fractional zeros, no exponent, "-0" is "0";
  // "Infinity"/"-Infinity" for infinities. Equal numbers have equal text.
  const std::string& ToString() const { return text_; }
  bool IsInteger() const;
  bool IsInfinity() const;
  // The value when it is an integer within range; nullopt otherwise.
  std::optional<int64_t> ToInt64() const;
  std::optional<uint64_t> ToUint64() const;
  // Nearest double (may lose precision).
  double ToDouble() const;
  // True when ToDouble() converts back (FromDouble) to exactly this number.
  bool IsExactDouble() const;
  // True when this number IS a float64 value exactly in binary (0.5 and 3 yes; 0.1 no, because the
  // float64 nearest to 0.1 is 0.1000000000000000055...). Infinities are exact. The msgpack encoder
  // uses it: only binary-exact numbers go on the wire as float64, others as decimal strings.
  bool IsExactBinaryDouble() const;

  // -1, 0, 1.
  int Compare(const Number& other) const;
  bool operator==(const Number& o) const { return text_ == o.text_; }
  bool operator<(const Number& o) const { return Compare(o) < 0; }

 private:
  explicit Number(std::string canonical) : text_(std::move(canonical)) {}
  std::string text_;
};

// What is known about an unknown value (Terraform's refinements, msgpack ext type 12).
struct Refinements {
  bool not_null = false;                                // definitely not null (wire key 1 = false)
  std::optional<std::string> string_prefix;             // strings only (key 2)
  std::optional<std::pair<Number, bool>> number_lower;  // {bound, inclusive}; numbers only (key 3)
  std::optional<std::pair<Number, bool>> number_upper;  // (key 4)
  std::optional<int64_t> length_lower;                  // collections only, inclusive (key 5)
  std::optional<int64_t> length_upper;                  // (key 6)

  bool empty() const {
    return !not_null && !string_prefix && !number_lower && !number_upper && !length_lower && !length_upper;
  }
  bool operator==(const Refinements&) const = default;
};

class Value {
 public:
  // Null of type dynamic.
  Value();

  static Value Null(Type type);
  static Value Unknown(Type type, Refinements refinements = {});
  static Value String(std::string s);
  static Value Bool(bool b);
  static Value Num(Number n);
  static Value Int(int64_t v);
  // Collections: every element must conform to `element_type` (dynamic element type allowed).
  static Value List(Type element_type, std::vector<Value> elements);
  // Duplicate wholly known elements collapse; element order is normalised (a total order on values:
  // known before unknown before null, then by kind and content). Unknown elements never collapse.
  static Value Set(Type element_type, std::vector<Value> elements);
  static Value Map(Type element_type, std::map<std::string, Value> elements);
  // Object whose type is derived from the attribute values' types.
  static Value Object(std::map<std::string, Value> attributes);
  // Object of a given object type (attributes missing from `attributes` become null of their type).
  // REQUIRES: type.kind() == kObject and every key of `attributes` is an attribute of `type`.
  static Value Object(const Type& type, std::map<std::string, Value> attributes);
  static Value Tuple(std::vector<Value> elements);
  // Convenience: list(string) / set(string) of known strings.
  static Value StringList(const std::vector<std::string>& items);
  static Value StringSet(const std::vector<std::string>& items);

  const Type& type() const;
  bool IsNull() const;
  bool IsKnown() const;  // false for unknown; a null is known
  // True when neither this value nor anything inside it is unknown.
  bool IsWhollyKnown() const;
  // Refinements of an unknown value (empty for known values).
  const Refinements& refinements() const;

  // Accessors. REQUIRES: IsKnown() && !IsNull() and the matching kind.
  const std::string& AsString() const;
  bool AsBool() const;
  const Number& AsNumber() const;
  const std::vector<Value>& Elements() const;                  // list, set, tuple
  const std::map<std::string, Value>& MapElements() const;    // map
  const std::map<std::string, Value>& Attributes() const;     // object
  // REQUIRES: object, known, non-null, `name` is an attribute.
  const Value& GetAttr(std::string_view name) const;
  // Number of elements/attributes. REQUIRES: known, non-null collection/structural.
  size_t Length() const;

  // Null-safe helpers for reading configuration: the string/bool/int when known and non-null.
  std::optional<std::string> OptString() const;
  std::optional<bool> OptBool() const;
  std::optional<int64_t> OptInt() const;

  // Copy of an object value with one attribute replaced. REQUIRES: known non-null object.
  Value WithAttr(const std::string& name, Value v) const;

  // Raw equality as Terraform's plan checks use it: both null or both unknown (refinements ignored)
  // with equal types, or equal known contents (numbers by value, sets as sets). A null/unknown of
  // type dynamic (e.g. Value()) equals a null/unknown of any type. Known values compare by kind and
  // contents: the element type of two empty collections is not compared.
  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }

  // Debug text, e.g. {"a": "x", "b": <unknown>, "c": null}. Never used for sensitive values in logs.
  std::string ToDebugString() const;

 private:
  struct Impl;
  explicit Value(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// OK when `v` conforms to `type` (dynamic accepts anything; object attribute sets must match exactly).
// InvalidArgument naming the first offending path otherwise.
Status CheckConforms(const Value& v, const Type& type);

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_VALUE_H_
