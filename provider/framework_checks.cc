// The pure checks of provider/framework.h: validators, defaults, requires_replace, kept values.
#include "provider/framework.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tpd::provider {
namespace {

using schema::AttributePath;
using schema::Block;
using schema::Diagnostics;
using schema::NestedBlock;
using schema::NestingMode;
using schema::PathStep;
using schema::Type;
using schema::Value;

// One element of a nested block value with the path step that addresses it (none for SET elements,
// which Terraform cannot address) and the key that identifies it (index or map key).
struct BlockElement {
  std::optional<PathStep> step;
  Value value;
};

// The elements of a known, non-null LIST/SET/MAP block value. LIST blocks whose object contains a
// dynamic type arrive as tuples and MAP blocks as objects; both are handled.
std::vector<BlockElement> BlockElements(const NestedBlock& nb, const Value& v) {
  std::vector<BlockElement> out;
  const Type::Kind kind = v.type().kind();
  switch (nb.nesting) {
    case NestingMode::kList: {
      int64_t i = 0;
      for (const Value& e : v.Elements()) out.push_back({PathStep::Index(i++), e});
      break;
    }
    case NestingMode::kSet:
      for (const Value& e : v.Elements()) out.push_back({std::nullopt, e});
      break;
    case NestingMode::kMap: {
      const auto& m = kind == Type::Kind::kObject ? v.Attributes() : v.MapElements();
      for (const auto& [k, e] : m) out.push_back({PathStep::Key(k), e});
      break;
    }
    default:
      break;
  }
  return out;
}

// Rebuilds a LIST/SET/MAP block value of the same type as `original` from new elements.
Value RebuildCollection(const NestedBlock& nb, const Value& original, std::vector<BlockElement> elems) {
  const Type& t = original.type();
  switch (t.kind()) {
    case Type::Kind::kList: {
      std::vector<Value> vs;
      for (auto& e : elems) vs.push_back(std::move(e.value));
      return Value::List(t.element(), std::move(vs));
    }
    case Type::Kind::kSet: {
      std::vector<Value> vs;
      for (auto& e : elems) vs.push_back(std::move(e.value));
      return Value::Set(t.element(), std::move(vs));
    }
    case Type::Kind::kTuple: {
      std::vector<Value> vs;
      for (auto& e : elems) vs.push_back(std::move(e.value));
      return Value::Tuple(std::move(vs));
    }
    case Type::Kind::kMap: {
      std::map<std::string, Value> m;
      for (auto& e : elems) m.emplace(e.step ? e.step->name : std::string(), std::move(e.value));
      return Value::Map(t.element(), std::move(m));
    }
    case Type::Kind::kObject: {
      std::map<std::string, Value> m;
      for (auto& e : elems) m.emplace(e.step ? e.step->name : std::string(), std::move(e.value));
      return Value::Object(std::move(m));
    }
    default:
      (void)nb;
      return original;
  }
}

bool IsObjectValue(const Value& v) {
  return v.IsKnown() && !v.IsNull() && v.type().kind() == Type::Kind::kObject;
}

AttributePath Extend(const AttributePath& base, const std::optional<PathStep>& step) {
  if (!step) return base;
  std::vector<PathStep> steps = base.steps();
  steps.push_back(*step);
  return AttributePath(std::move(steps));
}

bool SubtreeHasRequiresReplace(const Block& block) {
  for (const auto& a : block.attributes)
    if (a.requires_replace) return true;
  for (const auto& nb : block.block_types)
    if (SubtreeHasRequiresReplace(nb.block)) return true;
  return false;
}

void RequiresReplaceInto(const Block& block, const Value& prior, const Value& planned, const AttributePath& base,
                         std::vector<AttributePath>* out) {
  if (!IsObjectValue(prior) || !IsObjectValue(planned)) return;
  for (const auto& a : block.attributes) {
    if (!a.requires_replace) continue;
    if (prior.GetAttr(a.name) != planned.GetAttr(a.name)) out->push_back(base.Attr(a.name));
  }
  for (const auto& nb : block.block_types) {
    if (!SubtreeHasRequiresReplace(nb.block)) continue;
    const Value& p = prior.GetAttr(nb.type_name);
    const Value& n = planned.GetAttr(nb.type_name);
    const AttributePath here = base.Attr(nb.type_name);
    if (p == n) continue;
    // Where elements cannot be paired (null vs non-null, unknown, sets, changed counts or keys) the
    // block as a whole is the path: Terraform compares it as a whole and replaces when it differs.
    bool paired = false;
    if (p.IsKnown() && n.IsKnown() && !p.IsNull() && !n.IsNull()) {
      if (nb.nesting == NestingMode::kSingle || nb.nesting == NestingMode::kGroup) {
        RequiresReplaceInto(nb.block, p, n, here, out);
        paired = true;
      } else if (nb.nesting == NestingMode::kList || nb.nesting == NestingMode::kMap) {
        auto pe = BlockElements(nb, p);
        auto ne = BlockElements(nb, n);
        bool same_shape = pe.size() == ne.size();
        for (size_t i = 0; same_shape && i < pe.size(); ++i) same_shape = pe[i].step == ne[i].step;
        if (same_shape) {
          for (size_t i = 0; i < pe.size(); ++i)
            RequiresReplaceInto(nb.block, pe[i].value, ne[i].value, Extend(here, pe[i].step), out);
          paired = true;
        }
      }
    }
    if (!paired) out->push_back(here);
  }
}

void KeptInto(const Block& block, const Value& config, const Value& state, const AttributePath& base,
              std::vector<std::string>* out) {
  if (!IsObjectValue(config)) return;
  if (!IsObjectValue(state)) {
    out->push_back((base.empty() ? std::string("the object") : base.ToString()) +
                   ": configured, but the provider returned " + (state.IsNull() ? "null" : "an unknown value"));
    return;
  }
  for (const auto& a : block.attributes) {
    const Value& c = config.GetAttr(a.name);
    if (c.IsNull()) continue;
    const Value& s = state.GetAttr(a.name);
    if (c == s) continue;
    std::string msg = base.Attr(a.name).ToString() + ": the provider changed the configured value";
    if (!a.sensitive) msg += " " + c.ToDebugString() + " to " + s.ToDebugString();
    out->push_back(std::move(msg));
  }
  for (const auto& nb : block.block_types) {
    const Value& c = config.GetAttr(nb.type_name);
    const Value& s = state.GetAttr(nb.type_name);
    const AttributePath here = base.Attr(nb.type_name);
    if (c.IsNull() || !c.IsKnown()) continue;
    switch (nb.nesting) {
      case NestingMode::kSingle:
      case NestingMode::kGroup:
        KeptInto(nb.block, c, s, here, out);
        break;
      case NestingMode::kList:
      case NestingMode::kMap: {
        if (s.IsNull() || !s.IsKnown()) {
          out->push_back(here.ToString() + ": configured block missing from the result");
          break;
        }
        auto ce = BlockElements(nb, c);
        auto se = BlockElements(nb, s);
        bool same_shape = ce.size() == se.size();
        for (size_t i = 0; same_shape && i < ce.size(); ++i) same_shape = ce[i].step == se[i].step;
        if (!same_shape) {
          out->push_back(here.ToString() + ": the provider changed the number or keys of configured blocks");
          break;
        }
        for (size_t i = 0; i < ce.size(); ++i) KeptInto(nb.block, ce[i].value, se[i].value, Extend(here, ce[i].step), out);
        break;
      }
      default:
        // SET elements change identity when computed attributes are filled; they cannot be paired.
        break;
    }
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Pure checks.

void RunValidators(const Block& block, const Value& value, const AttributePath& base, Diagnostics* diags) {
  if (!IsObjectValue(value)) return;
  for (const auto& a : block.attributes) {
    if (a.validators.empty()) continue;
    const Value& v = value.GetAttr(a.name);
    if (v.IsNull() || !v.IsWhollyKnown()) continue;
    for (const auto& validator : a.validators) {
      if (!validator) continue;
      Status s;
      try {
        s = validator(v);
      } catch (...) {
        s = Status::Internal("the validator of this attribute failed unexpectedly");
      }
      if (!s.ok()) diags->AddError("Invalid attribute value", s.message(), base.Attr(a.name));
    }
  }
  for (const auto& nb : block.block_types) {
    const Value& v = value.GetAttr(nb.type_name);
    if (v.IsNull() || !v.IsKnown()) continue;
    const AttributePath here = base.Attr(nb.type_name);
    if (nb.nesting == NestingMode::kSingle || nb.nesting == NestingMode::kGroup) {
      RunValidators(nb.block, v, here, diags);
      continue;
    }
    for (const auto& e : BlockElements(nb, v)) RunValidators(nb.block, e.value, Extend(here, e.step), diags);
  }
}

Value FillDefaults(const Block& block, const Value& proposed) {
  if (!IsObjectValue(proposed)) return proposed;
  std::map<std::string, Value> attrs = proposed.Attributes();
  bool changed = false;
  for (const auto& a : block.attributes) {
    if (!a.default_value || !a.optional || !a.computed) continue;
    auto it = attrs.find(a.name);
    // A null proposed optional+computed value means the config is null too (ProposedNew copies
    // configured values), so planning the default is always allowed.
    if (it == attrs.end() || !it->second.IsNull()) continue;
    if (!schema::CheckConforms(*a.default_value, a.type).ok()) continue;  // caught by schema review
    it->second = *a.default_value;
    changed = true;
  }
  for (const auto& nb : block.block_types) {
    auto it = attrs.find(nb.type_name);
    if (it == attrs.end() || it->second.IsNull() || !it->second.IsKnown()) continue;
    Value updated;
    if (nb.nesting == NestingMode::kSingle || nb.nesting == NestingMode::kGroup) {
      updated = FillDefaults(nb.block, it->second);
    } else {
      auto elems = BlockElements(nb, it->second);
      for (auto& e : elems) e.value = FillDefaults(nb.block, e.value);
      updated = RebuildCollection(nb, it->second, std::move(elems));
    }
    if (updated != it->second) {
      it->second = std::move(updated);
      changed = true;
    }
  }
  if (!changed) return proposed;
  return Value::Object(proposed.type(), std::move(attrs));
}

std::vector<AttributePath> RequiresReplacePaths(const Block& block, const Value& prior, const Value& planned) {
  std::vector<AttributePath> out;
  RequiresReplaceInto(block, prior, planned, AttributePath(), &out);
  return out;
}

std::vector<std::string> CheckConfiguredValuesKept(const Block& block, const Value& config, const Value& state) {
  std::vector<std::string> out;
  KeptInto(block, config, state, AttributePath(), &out);
  return out;
}

Value UnknownsToNull(const Block& block, const Value& config) {
  if (config.IsNull()) return config;
  if (!config.IsKnown()) return Value::Null(config.type());
  if (config.type().kind() != Type::Kind::kObject) return config;
  std::map<std::string, Value> attrs = config.Attributes();
  for (auto& [name, v] : attrs) {
    if (v.IsWhollyKnown()) continue;
    const NestedBlock* nb = block.FindBlock(name);
    if (nb == nullptr || !v.IsKnown() || v.IsNull()) {
      v = Value::Null(v.type());
      continue;
    }
    if (nb->nesting == NestingMode::kSingle || nb->nesting == NestingMode::kGroup) {
      v = UnknownsToNull(nb->block, v);
      continue;
    }
    auto elems = BlockElements(*nb, v);
    for (auto& e : elems) e.value = UnknownsToNull(nb->block, e.value);
    v = RebuildCollection(*nb, v, std::move(elems));
  }
  return Value::Object(config.type(), std::move(attrs));
}

}  // namespace tpd::provider
