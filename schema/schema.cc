#include "schema/schema.h"

#include <set>

namespace tpd::schema {

Type Block::ImpliedType() const {
  std::map<std::string, Type> attrs;
  for (const Attribute& a : attributes) attrs.emplace(a.name, a.type);
  for (const NestedBlock& nb : block_types) {
    Type obj = nb.block.ImpliedType();
    switch (nb.nesting) {
      case NestingMode::kSingle:
      case NestingMode::kGroup:
        attrs.emplace(nb.type_name, obj);
        break;
      case NestingMode::kList:
        // cty cannot have a list of objects whose dynamic parts differ per element: Terraform
        // makes the whole block dynamic (a tuple on the wire).
        attrs.emplace(nb.type_name, obj.HasDynamic() ? Type::Dynamic() : Type::List(obj));
        break;
      case NestingMode::kSet:
        attrs.emplace(nb.type_name, Type::Set(obj));
        break;
      case NestingMode::kMap:
        attrs.emplace(nb.type_name, obj.HasDynamic() ? Type::Dynamic() : Type::Map(obj));
        break;
      case NestingMode::kInvalid:
        attrs.emplace(nb.type_name, Type::Dynamic());
        break;
    }
  }
  return Type::Object(std::move(attrs));
}

const Attribute* Block::FindAttribute(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const NestedBlock* Block::FindBlock(std::string_view name) const {
  for (const NestedBlock& nb : block_types) {
    if (nb.type_name == name) return &nb;
  }
  return nullptr;
}

namespace {

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status Invalid(const AttributePath& path, const std::string& what) {
  return Status::InvalidArgument("invalid schema: " + (path.empty() ? std::string("(root)") : path.ToString()) +
                                 ": " + what)
      .WithPath(path);
}

Status ValidateBlock(const Block& b, const AttributePath& path) {
  std::set<std::string> names;
  for (const Attribute& a : b.attributes) {
    AttributePath ap = path.Attr(a.name);
    if (!ValidName(a.name)) return Invalid(ap, "attribute name must match [a-z0-9_]+");
    if (!names.insert(a.name).second) return Invalid(ap, "duplicate attribute name");
    if (a.description.empty()) return Invalid(ap, "attribute has an empty description");
    if (!a.required && !a.optional && !a.computed) {
      return Invalid(ap, "must set Optional, Required or Computed");
    }
    if (a.optional && a.required) return Invalid(ap, "cannot set both Optional and Required");
    if (a.computed && a.required) return Invalid(ap, "cannot set both Computed and Required");
    if (!a.deprecation_message.empty() && !a.deprecated) {
      return Invalid(ap, "deprecation_message is set but deprecated is false");
    }
    if (a.default_value) {
      if (!(a.optional && a.computed)) return Invalid(ap, "a default value needs an Optional+Computed attribute");
      Status s = CheckConforms(*a.default_value, a.type);
      if (!s.ok()) return Invalid(ap, "default value does not conform to the type: " + s.message());
    }
  }
  for (const NestedBlock& nb : b.block_types) {
    AttributePath bp = path.Attr(nb.type_name);
    if (!ValidName(nb.type_name)) return Invalid(bp, "block type name must match [a-z0-9_]+");
    if (!names.insert(nb.type_name).second) return Invalid(bp, "block type name is also used by an attribute or block");
    if (nb.block.description.empty()) return Invalid(bp, "nested block has an empty description");
    if (nb.min_items < 0 || nb.max_items < 0) return Invalid(bp, "MinItems and MaxItems must both be >= 0");
    switch (nb.nesting) {
      case NestingMode::kSingle:
        if (nb.min_items != nb.max_items) return Invalid(bp, "MinItems and MaxItems must match in NestingSingle mode");
        if (nb.min_items > 1) return Invalid(bp, "MinItems and MaxItems must be 0 or 1 in NestingSingle mode");
        break;
      case NestingMode::kGroup:
        if (nb.min_items != 0 || nb.max_items != 0) {
          return Invalid(bp, "MinItems and MaxItems cannot be used in NestingGroup mode");
        }
        break;
      case NestingMode::kList:
      case NestingMode::kSet:
        if (nb.max_items != 0 && nb.min_items > nb.max_items) {
          return Invalid(bp, "MinItems must be less than or equal to MaxItems in NestingList/NestingSet mode");
        }
        if (nb.nesting == NestingMode::kSet && nb.block.ImpliedType().HasDynamic()) {
          return Invalid(bp, "NestingSet blocks may not contain attributes of cty.DynamicPseudoType");
        }
        break;
      case NestingMode::kMap:
        if (nb.min_items != 0 || nb.max_items != 0) {
          return Invalid(bp, "MinItems and MaxItems must both be 0 in NestingMap mode");
        }
        break;
      case NestingMode::kInvalid:
        return Invalid(bp, "invalid nesting mode");
    }
    TPD_RETURN_IF_ERROR(ValidateBlock(nb.block, bp));
  }
  return Status::Ok();
}

}  // namespace

Status Block::Validate() const { return ValidateBlock(*this, AttributePath()); }

}  // namespace tpd::schema
