#include "schema/types.h"

#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

namespace tpd::schema {

struct Type::Impl {
  Kind kind = Kind::kDynamic;
  std::vector<Type> elements;             // one element type for collections; tuple elements
  std::map<std::string, Type> attributes;  // object attributes
  bool has_dynamic = false;
};

namespace {

// Type JSON nests at most this deep; deeper input is hostile (and would recurse without bound).
constexpr int kMaxTypeDepth = 64;

}  // namespace

Type::Type(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Type::Type() : Type(Dynamic()) {}

Type Type::String() {
  static const auto* const kType = new Type(MakePrimitive(Kind::kString));
  return *kType;
}
Type Type::Number() {
  static const auto* const kType = new Type(MakePrimitive(Kind::kNumber));
  return *kType;
}
Type Type::Bool() {
  static const auto* const kType = new Type(MakePrimitive(Kind::kBool));
  return *kType;
}
Type Type::Dynamic() {
  static const auto* const kType = new Type(MakePrimitive(Kind::kDynamic));
  return *kType;
}

Type Type::MakeCollection(Kind k, Type element) {
  auto impl = std::make_shared<Impl>();
  impl->kind = k;
  impl->has_dynamic = element.HasDynamic();
  impl->elements.push_back(std::move(element));
  return Type(std::move(impl));
}

Type Type::MakePrimitive(Kind k) {
  auto impl = std::make_shared<Impl>();
  impl->kind = k;
  impl->has_dynamic = (k == Kind::kDynamic);
  return Type(std::move(impl));
}

Type Type::List(Type element) { return MakeCollection(Kind::kList, std::move(element)); }
Type Type::Set(Type element) { return MakeCollection(Kind::kSet, std::move(element)); }
Type Type::Map(Type element) { return MakeCollection(Kind::kMap, std::move(element)); }

Type Type::Object(std::map<std::string, Type> attributes) {
  auto impl = std::make_shared<Impl>();
  impl->kind = Kind::kObject;
  for (const auto& [name, t] : attributes) impl->has_dynamic = impl->has_dynamic || t.HasDynamic();
  impl->attributes = std::move(attributes);
  return Type(std::move(impl));
}

Type Type::Tuple(std::vector<Type> elements) {
  auto impl = std::make_shared<Impl>();
  impl->kind = Kind::kTuple;
  for (const auto& t : elements) impl->has_dynamic = impl->has_dynamic || t.HasDynamic();
  impl->elements = std::move(elements);
  return Type(std::move(impl));
}

Type::Kind Type::kind() const { return impl_->kind; }

bool Type::IsPrimitive() const {
  Kind k = kind();
  return k == Kind::kString || k == Kind::kNumber || k == Kind::kBool;
}

bool Type::IsCollection() const {
  Kind k = kind();
  return k == Kind::kList || k == Kind::kSet || k == Kind::kMap;
}

bool Type::HasDynamic() const { return impl_->has_dynamic; }

const Type& Type::element() const { return impl_->elements.at(0); }
const std::map<std::string, Type>& Type::attributes() const { return impl_->attributes; }
const std::vector<Type>& Type::tuple_elements() const { return impl_->elements; }

namespace {

nlohmann::json ToJsonValue(const Type& t) {
  switch (t.kind()) {
    case Type::Kind::kString: return "string";
    case Type::Kind::kNumber: return "number";
    case Type::Kind::kBool: return "bool";
    case Type::Kind::kDynamic: return "dynamic";
    case Type::Kind::kList: return nlohmann::json::array({"list", ToJsonValue(t.element())});
    case Type::Kind::kSet: return nlohmann::json::array({"set", ToJsonValue(t.element())});
    case Type::Kind::kMap: return nlohmann::json::array({"map", ToJsonValue(t.element())});
    case Type::Kind::kObject: {
      nlohmann::json attrs = nlohmann::json::object();
      for (const auto& [name, at] : t.attributes()) attrs[name] = ToJsonValue(at);
      return nlohmann::json::array({"object", std::move(attrs)});
    }
    case Type::Kind::kTuple: {
      nlohmann::json elems = nlohmann::json::array();
      for (const auto& et : t.tuple_elements()) elems.push_back(ToJsonValue(et));
      return nlohmann::json::array({"tuple", std::move(elems)});
    }
  }
  return "dynamic";
}

Result<Type> FromJsonValue(const nlohmann::json& j, int depth) {
  if (depth > kMaxTypeDepth) return Status::InvalidArgument("type JSON nests too deeply");
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "string") return Type::String();
    if (s == "number") return Type::Number();
    if (s == "bool") return Type::Bool();
    if (s == "dynamic") return Type::Dynamic();
    return Status::InvalidArgument("invalid primitive type name \"" + s + "\"");
  }
  if (!j.is_array() || j.empty() || !j[0].is_string()) {
    return Status::InvalidArgument("type JSON must be a string or an array starting with a kind name");
  }
  const auto& kind = j[0].get_ref<const std::string&>();
  if (kind == "list" || kind == "set" || kind == "map") {
    if (j.size() != 2) return Status::InvalidArgument("type JSON [\"" + kind + "\", T] must have exactly 2 elements");
    TPD_ASSIGN_OR_RETURN(Type elem, FromJsonValue(j[1], depth + 1));
    if (kind == "list") return Type::List(std::move(elem));
    if (kind == "set") return Type::Set(std::move(elem));
    return Type::Map(std::move(elem));
  }
  if (kind == "object") {
    if (j.size() != 2 && j.size() != 3) {
      return Status::InvalidArgument("type JSON [\"object\", {...}] must have 2 or 3 elements");
    }
    if (!j[1].is_object()) return Status::InvalidArgument("object type attributes must be a JSON object");
    if (j.size() == 3) {
      if (!j[2].is_array()) return Status::InvalidArgument("object type optional attributes must be an array");
      for (const auto& o : j[2]) {
        if (!o.is_string() || !j[1].contains(o.get_ref<const std::string&>())) {
          return Status::InvalidArgument("object type optional attribute names must name attributes");
        }
      }
    }
    std::map<std::string, Type> attrs;
    for (const auto& [name, at] : j[1].items()) {
      TPD_ASSIGN_OR_RETURN(Type t, FromJsonValue(at, depth + 1));
      attrs.emplace(name, std::move(t));
    }
    return Type::Object(std::move(attrs));
  }
  if (kind == "tuple") {
    if (j.size() != 2) return Status::InvalidArgument("type JSON [\"tuple\", [...]] must have exactly 2 elements");
    if (!j[1].is_array()) return Status::InvalidArgument("tuple type elements must be a JSON array");
    std::vector<Type> elems;
    for (const auto& et : j[1]) {
      TPD_ASSIGN_OR_RETURN(Type t, FromJsonValue(et, depth + 1));
      elems.push_back(std::move(t));
    }
    return Type::Tuple(std::move(elems));
  }
  return Status::InvalidArgument("invalid type kind \"" + kind + "\"");
}

// Rejects input nested deeper than the type depth limit before nlohmann builds a DOM from it.
bool NestsTooDeeply(std::string_view json) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > 2 * kMaxTypeDepth + 2) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

std::string Type::ToJson() const {
  try {
    return ToJsonValue(*this).dump();
  } catch (const std::exception&) {
    // Only reachable with attribute names that are not valid UTF-8; replace them rather than fail.
    return ToJsonValue(*this).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

Result<Type> Type::FromJson(std::string_view json) {
  if (NestsTooDeeply(json)) return Status::InvalidArgument("type JSON nests too deeply");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json.begin(), json.end());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("invalid type JSON: ") + e.what());
  }
  return FromJsonValue(j, 0);
}

std::string Type::FriendlyName() const {
  switch (kind()) {
    case Kind::kString: return "string";
    case Kind::kNumber: return "number";
    case Kind::kBool: return "bool";
    case Kind::kDynamic: return "dynamic";
    case Kind::kList: return "list of " + element().FriendlyName();
    case Kind::kSet: return "set of " + element().FriendlyName();
    case Kind::kMap: return "map of " + element().FriendlyName();
    case Kind::kObject: return "object";
    case Kind::kTuple: return "tuple";
  }
  return "dynamic";
}

bool Type::operator==(const Type& other) const {
  if (impl_ == other.impl_) return true;
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case Kind::kString:
    case Kind::kNumber:
    case Kind::kBool:
    case Kind::kDynamic:
      return true;
    case Kind::kList:
    case Kind::kSet:
    case Kind::kMap:
    case Kind::kTuple:
      return impl_->elements == other.impl_->elements;
    case Kind::kObject:
      return impl_->attributes == other.impl_->attributes;
  }
  return false;
}

}  // namespace tpd::schema
