// The cty type system, as Terraform's plugin protocol uses it.
//
// A Type is an immutable value (cheap to copy: it shares its structure). Kinds: the primitives
// string, number and bool; `dynamic` (any type, decided per value); the collections list, set and
// map of one element type; structural object (named attributes) and tuple (positional elements).
// Its JSON form ("type JSON") is what Schema.Attribute.type carries on the wire: "string",
// ["list","string"], ["object",{"a":"number"}], ["tuple",["bool"]], "dynamic".
//
// Thread-safety: a Type is immutable; any number of threads may read and copy the same Type.
#ifndef TPD_SCHEMA_TYPES_H_
#define TPD_SCHEMA_TYPES_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::schema {

class Type {
 public:
  enum class Kind { kString, kNumber, kBool, kDynamic, kList, kSet, kMap, kObject, kTuple };

  // Default-constructed type is dynamic.
  Type();
  static Type String();
  static Type Number();
  static Type Bool();
  static Type Dynamic();
  static Type List(Type element);
  static Type Set(Type element);
  static Type Map(Type element);
  static Type Object(std::map<std::string, Type> attributes);
  static Type Tuple(std::vector<Type> elements);

  Kind kind() const;
  bool IsPrimitive() const;   // string, number, bool
  bool IsCollection() const;  // list, set, map
  bool IsDynamic() const { return kind() == Kind::kDynamic; }
  // True when `dynamic` appears anywhere inside this type (itself included).
  bool HasDynamic() const;

  // REQUIRES: IsCollection().
  const Type& element() const;
  // REQUIRES: kind() == kObject.
  const std::map<std::string, Type>& attributes() const;
  // REQUIRES: kind() == kTuple.
  const std::vector<Type>& tuple_elements() const;

  // Compact type JSON, e.g. ["list","string"] (object keys sorted).
  std::string ToJson() const;
  // Parses type JSON strictly. InvalidArgument on malformed JSON, unknown kinds or extra elements.
  // The optional third element of an object type (optional attribute names) is accepted and ignored.
  static Result<Type> FromJson(std::string_view json);
  // Human text for messages: "string", "list of string", "object", "tuple".
  std::string FriendlyName() const;

  bool operator==(const Type& other) const;
  bool operator!=(const Type& other) const { return !(*this == other); }

 private:
  struct Impl;
  explicit Type(std::shared_ptr<const Impl> impl);
  static Type MakePrimitive(Kind k);
  static Type MakeCollection(Kind k, Type element);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_TYPES_H_
