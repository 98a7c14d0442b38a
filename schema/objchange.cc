// Terraform core's plan and apply consistency rules (internal/plans/objchange: objchange.go,
// plan_valid.go, compatible.go), re-implemented against our Value model. Messages follow
// Terraform's wording so a failure here reads like the error Terraform would print.
// Over 500 lines because the three rule sets share the nesting-mode walk helpers; each rule set
// is its own section below.
#include "schema/objchange.h"

#include <algorithm>

#include "schema/codec_internal.h"

namespace tpd::schema {

namespace {

std::string Where(const AttributePath& path) { return path.empty() ? std::string("root object") : path.ToString(); }

void AddErr(std::vector<std::string>* errs, const AttributePath& path, const std::string& msg) {
  errs->push_back(Where(path) + ": " + msg);
}

bool IsMapLike(const Value& v) {
  Type::Kind k = v.type().kind();
  return k == Type::Kind::kMap || k == Type::Kind::kObject;
}

// Elements of a known, non-null list/set/tuple; empty otherwise.
const std::vector<Value>& ElemsOf(const Value& v) {
  static const auto* const kEmpty = new std::vector<Value>();
  if (!v.IsKnown() || v.IsNull()) return *kEmpty;
  Type::Kind k = v.type().kind();
  if (k == Type::Kind::kList || k == Type::Kind::kSet || k == Type::Kind::kTuple) return v.Elements();
  return *kEmpty;
}

// Entries of a known, non-null map/object; empty otherwise.
const std::map<std::string, Value>& EntriesOf(const Value& v) {
  static const auto* const kEmpty = new std::map<std::string, Value>();
  if (!v.IsKnown() || v.IsNull() || !IsMapLike(v)) return *kEmpty;
  return v.Attributes();
}

Value AttrOf(const Value& obj, const std::string& name, const Type& type) {
  if (!obj.IsKnown() || obj.IsNull()) return Value::Null(type);
  const auto& attrs = obj.Attributes();
  auto it = attrs.find(name);
  return it == attrs.end() ? Value::Null(type) : it->second;
}

Type NestedType(const NestedBlock& nb) {
  Type obj = nb.block.ImpliedType();
  switch (nb.nesting) {
    case NestingMode::kList: return obj.HasDynamic() ? Type::Dynamic() : Type::List(obj);
    case NestingMode::kSet: return Type::Set(obj);
    case NestingMode::kMap: return obj.HasDynamic() ? Type::Dynamic() : Type::Map(obj);
    default: return obj;
  }
}

// What decoding an empty configuration body gives: null attributes, null SINGLE blocks, empty
// collections of blocks, GROUP blocks as empty bodies.
Value EmptyBlockValue(const Block& b) {
  std::map<std::string, Value> attrs;
  for (const Attribute& a : b.attributes) attrs.emplace(a.name, Value::Null(a.type));
  for (const NestedBlock& nb : b.block_types) {
    Type obj = nb.block.ImpliedType();
    switch (nb.nesting) {
      case NestingMode::kSingle:
      case NestingMode::kInvalid: attrs.emplace(nb.type_name, Value::Null(obj)); break;
      case NestingMode::kGroup: attrs.emplace(nb.type_name, EmptyBlockValue(nb.block)); break;
      case NestingMode::kList:
        attrs.emplace(nb.type_name, obj.HasDynamic() ? Value::Tuple({}) : Value::List(obj, {}));
        break;
      case NestingMode::kSet: attrs.emplace(nb.type_name, Value::Set(obj, {})); break;
      case NestingMode::kMap:
        attrs.emplace(nb.type_name, obj.HasDynamic() ? Value::Object(std::map<std::string, Value>{}) : Value::Map(obj, {}));
        break;
    }
  }
  return Value::Object(b.ImpliedType(), std::move(attrs));
}

// ---------------------------------------------------------------------------------------------
// ProposedNew

Value ProposedNewObject(const Block& schema, const Value& prior, const Value& config);

// Terraform's top-level ProposedNew, also used for SINGLE/GROUP blocks and block elements.
Value ProposedNewBlock(const Block& schema, const Value& prior, const Value& config) {
  if (config.IsNull() && prior.IsNull()) return prior;
  Value base = prior.IsNull() ? EmptyBlockValue(schema) : prior;
  return ProposedNewObject(schema, base, config);
}

// A set element of `prior` with every computed attribute (at any depth) nulled, so that it can be
// compared with a configured element.
Value ComputedAsNull(const Block& schema, const Value& v) {
  if (v.IsNull() || !v.IsKnown() || v.type().kind() != Type::Kind::kObject) return v;
  std::map<std::string, Value> attrs = v.Attributes();
  for (const Attribute& a : schema.attributes) {
    auto it = attrs.find(a.name);
    if (it == attrs.end()) continue;
    if (a.computed && !it->second.IsNull() && it->second.IsKnown()) it->second = Value::Null(a.type);
  }
  for (const NestedBlock& nb : schema.block_types) {
    auto it = attrs.find(nb.type_name);
    if (it == attrs.end() || it->second.IsNull() || !it->second.IsKnown()) continue;
    const Value& bv = it->second;
    switch (bv.type().kind()) {
      case Type::Kind::kObject:
        if (nb.nesting == NestingMode::kMap) {
          std::map<std::string, Value> m;
          for (const auto& [k, e] : bv.Attributes()) m.emplace(k, ComputedAsNull(nb.block, e));
          it->second = Value::Object(std::move(m));
        } else {
          it->second = ComputedAsNull(nb.block, bv);
        }
        break;
      case Type::Kind::kList:
      case Type::Kind::kSet:
      case Type::Kind::kTuple: {
        std::vector<Value> elems;
        for (const Value& e : bv.Elements()) elems.push_back(ComputedAsNull(nb.block, e));
        Type obj = nb.block.ImpliedType();
        if (bv.type().kind() == Type::Kind::kList) it->second = Value::List(obj, std::move(elems));
        else if (bv.type().kind() == Type::Kind::kSet) it->second = Value::Set(obj, std::move(elems));
        else it->second = Value::Tuple(std::move(elems));
        break;
      }
      case Type::Kind::kMap: {
        std::map<std::string, Value> m;
        for (const auto& [k, e] : bv.MapElements()) m.emplace(k, ComputedAsNull(nb.block, e));
        it->second = Value::Map(nb.block.ImpliedType(), std::move(m));
        break;
      }
      default:
        break;
    }
  }
  return Value::Object(v.type(), std::move(attrs));
}

Value ProposedNewNested(const NestedBlock& nb, const Value& prior, const Value& config) {
  // An entirely unknown block only comes from a dynamic block with an unknown for_each.
  if (!config.IsKnown()) return config;
  Type obj = nb.block.ImpliedType();
  switch (nb.nesting) {
    case NestingMode::kSingle:
    case NestingMode::kInvalid:
      // A SINGLE block can be null, and is never computed: the config decides.
      if (config.IsNull()) return config;
      return ProposedNewBlock(nb.block, prior, config);
    case NestingMode::kGroup:
      return ProposedNewBlock(nb.block, prior, config);
    case NestingMode::kList: {
      // Correlated by index.
      bool tuple = config.type().kind() == Type::Kind::kTuple || obj.HasDynamic();
      const auto& ce = ElemsOf(config);
      if (ce.empty()) return tuple ? Value::Tuple({}) : Value::List(obj, {});
      const auto& pe = ElemsOf(prior);
      std::vector<Value> out;
      for (size_t i = 0; i < ce.size(); ++i) {
        if (prior.IsKnown() && i >= pe.size()) {
          out.push_back(ce[i]);
          continue;
        }
        out.push_back(ProposedNewBlock(nb.block, prior.IsKnown() ? pe[i] : Value::Unknown(obj), ce[i]));
      }
      if (tuple) return Value::Tuple(std::move(out));
      return Value::List(obj, std::move(out));
    }
    case NestingMode::kMap: {
      // Correlated by key.
      bool as_object = config.type().kind() == Type::Kind::kObject || obj.HasDynamic();
      const auto& cm = EntriesOf(config);
      if (cm.empty()) return as_object ? Value::Object(std::map<std::string, Value>{}) : Value::Map(obj, {});
      const auto& pm = EntriesOf(prior);
      std::map<std::string, Value> out;
      for (const auto& [k, c] : cm) {
        auto it = pm.find(k);
        if (prior.IsKnown() && it == pm.end()) {
          out.emplace(k, c);
          continue;
        }
        out.emplace(k, ProposedNewBlock(nb.block, prior.IsKnown() ? it->second : Value::Unknown(obj), c));
      }
      if (as_object) return Value::Object(std::move(out));
      return Value::Map(obj, std::move(out));
    }
    case NestingMode::kSet: {
      // Correlated by comparing prior elements, computed attributes nulled, with config elements;
      // each prior element is used at most once.
      const auto& ce = ElemsOf(config);
      if (ce.empty()) return Value::Set(obj, {});
      std::vector<std::pair<Value, Value>> cmp;
      for (const Value& p : ElemsOf(prior)) cmp.emplace_back(p, ComputedAsNull(nb.block, p));
      std::vector<bool> used(cmp.size(), false);
      std::vector<Value> out;
      for (const Value& c : ce) {
        Value match = Value::Null(obj);
        for (size_t i = 0; i < cmp.size(); ++i) {
          if (used[i] || cmp[i].second != c) continue;
          match = cmp[i].first;
          used[i] = true;
          break;
        }
        out.push_back(ProposedNewBlock(nb.block, match, c));
      }
      return Value::Set(obj, std::move(out));
    }
  }
  return config;
}

Value ProposedNewObject(const Block& schema, const Value& prior, const Value& config) {
  // Only reachable with a null/unknown config below the root: keep what was there.
  if (config.IsNull() || !config.IsKnown()) return prior;
  std::map<std::string, Value> attrs;
  for (const Attribute& a : schema.attributes) {
    Value pv = prior.IsKnown() ? AttrOf(prior, a.name, a.type) : Value::Unknown(a.type);
    Value cv = AttrOf(config, a.name, a.type);
    // Non-computed: always the config value. Computed: the prior value when config leaves it null.
    attrs.emplace(a.name, (a.computed && cv.IsNull()) ? pv : cv);
  }
  for (const NestedBlock& nb : schema.block_types) {
    Type nt = NestedType(nb);
    Value pv = prior.IsKnown() ? AttrOf(prior, nb.type_name, nt) : Value::Unknown(nt);
    attrs.emplace(nb.type_name, ProposedNewNested(nb, pv, AttrOf(config, nb.type_name, nt)));
  }
  return Value::Object(schema.ImpliedType(), std::move(attrs));
}

// ---------------------------------------------------------------------------------------------
// AssertPlanValid

std::string Show(const Value& v, bool sensitive) { return sensitive ? std::string("(sensitive value)") : v.ToDebugString(); }

void PlannedValueValid(const Attribute& a, const Value& prior, const Value& config, const Value& planned,
                       const AttributePath& path, std::vector<std::string>* errs) {
  // Equality ignores refinements (Value::operator== does).
  if (planned == config) return;
  if (planned == prior && !prior.IsNull() && !config.IsNull()) return;
  if (a.computed && !a.optional) return;
  if (config.IsNull() && a.computed) return;
  if (config.IsNull() && !planned.IsNull()) {
    if (a.sensitive) AddErr(errs, path, "sensitive planned value for a non-computed attribute");
    else AddErr(errs, path, "planned value " + Show(planned, false) + " for a non-computed attribute");
    return;
  }
  if (prior.IsNull()) {
    if (a.sensitive) AddErr(errs, path, "sensitive planned value does not match config value");
    else AddErr(errs, path, "planned value " + Show(planned, false) + " does not match config value " + Show(config, false));
    return;
  }
  if (a.sensitive) {
    AddErr(errs, path, "sensitive planned value does not match config value nor prior value");
  } else {
    AddErr(errs, path, "planned value " + Show(planned, false) + " does not match config value " + Show(config, false) +
                           " nor prior value " + Show(prior, false));
  }
}

void PlanValid(const Block& schema, const Value& prior, const Value& config, const Value& planned,
               const AttributePath& path, std::vector<std::string>* errs) {
  if (planned.IsNull() && !config.IsNull()) {
    AddErr(errs, path, "planned for absence but config wants existence");
    return;
  }
  if (config.IsNull() && !planned.IsNull()) {
    AddErr(errs, path, "planned for existence but config wants absence");
    return;
  }
  if (planned.IsNull()) return;
  if (!planned.IsKnown()) {
    AddErr(errs, path, "planned unknown value for a whole object; set attribute values to unknown instead");
    return;
  }

  for (const Attribute& a : schema.attributes) {
    PlannedValueValid(a, AttrOf(prior, a.name, a.type), AttrOf(config, a.name, a.type),
                      AttrOf(planned, a.name, a.type), path.Attr(a.name), errs);
  }

  for (const NestedBlock& nb : schema.block_types) {
    AttributePath bp = path.Attr(nb.type_name);
    Type nt = NestedType(nb);
    Value pv = AttrOf(planned, nb.type_name, nt);
    Value cv = AttrOf(config, nb.type_name, nt);
    Value prv = AttrOf(prior, nb.type_name, nt);
    if (nb.nesting != NestingMode::kSingle && pv.IsNull()) {
      const char* mode = nb.nesting == NestingMode::kList  ? "list"
                         : nb.nesting == NestingMode::kMap ? "map"
                         : nb.nesting == NestingMode::kSet ? "set"
                                                           : "group";
      AddErr(errs, bp, std::string("attribute representing a ") + mode +
                           " of nested blocks must be empty to indicate no blocks, not null");
      continue;
    }
    if (pv == cv) continue;
    if (!cv.IsKnown()) {
      AddErr(errs, bp, "planned value " + pv.ToDebugString() + " for unknown dynamic block");
      continue;
    }
    if (!pv.IsKnown()) {
      AddErr(errs, bp, "planned unknown value for non-computed block");
      continue;
    }
    switch (nb.nesting) {
      case NestingMode::kSingle:
      case NestingMode::kGroup:
      case NestingMode::kInvalid:
        PlanValid(nb.block, prv, cv, pv, bp, errs);
        break;
      case NestingMode::kList: {
        const auto& pe = ElemsOf(pv);
        const auto& ce = ElemsOf(cv);  // a null config counts as no blocks
        const auto& pre = ElemsOf(prv);
        if (pe.size() != ce.size()) {
          AddErr(errs, bp, "block count in plan (" + std::to_string(pe.size()) + ") disagrees with count in config (" +
                               std::to_string(ce.size()) + ")");
          continue;
        }
        for (size_t i = 0; i < pe.size(); ++i) {
          AttributePath ep = bp.Index(static_cast<int64_t>(i));
          if (!pe[i].IsKnown()) {
            AddErr(errs, ep, "element representing nested block must not be unknown itself; set nested attribute values to unknown instead");
            continue;
          }
          Value prior_e = i < pre.size() ? pre[i] : Value::Null(nb.block.ImpliedType());
          PlanValid(nb.block, prior_e, ce[i], pe[i], ep, errs);
        }
        break;
      }
      case NestingMode::kMap: {
        const auto& pm = EntriesOf(pv);
        const auto& cm = EntriesOf(cv);
        const auto& prm = EntriesOf(prv);
        if (!IsMapLike(pv) || pm.size() != cm.size()) {
          AddErr(errs, bp, "block count in plan (" + std::to_string(pm.size()) + ") disagrees with count in config (" +
                               std::to_string(cm.size()) + ")");
          continue;
        }
        for (const auto& [k, e] : pm) {
          AttributePath ep = bp.Key(k);
          if (!e.IsKnown()) {
            AddErr(errs, ep, "element representing nested block must not be unknown itself; set nested attribute values to unknown instead");
            continue;
          }
          auto cit = cm.find(k);
          if (cit == cm.end()) {
            AddErr(errs, bp, "block key \"" + k + "\" from plan is not present in config");
            continue;
          }
          auto pit = prm.find(k);
          Value prior_e = pit == prm.end() ? Value::Null(nb.block.ImpliedType()) : pit->second;
          PlanValid(nb.block, prior_e, cit->second, e, ep, errs);
        }
        for (const auto& [k, e] : cm) {
          if (!pm.count(k)) AddErr(errs, bp, "block key \"" + k + "\" from config is not present in plan");
        }
        break;
      }
      case NestingMode::kSet: {
        // Set elements cannot be correlated: Terraform trusts the provider beyond this.
        for (const Value& e : ElemsOf(pv)) {
          if (!e.IsKnown()) {
            AddErr(errs, bp, "element representing nested block must not be unknown itself; set nested attribute values to unknown instead");
          }
        }
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AssertObjectCompatible

// Whether a known (or null) `actual` lies within what the unknown `planned` promised.
bool RefinementsInclude(const Refinements& r, const Value& actual) {
  if (!actual.IsKnown()) return true;  // cannot tell yet
  if (actual.IsNull()) return !r.not_null;
  Type::Kind k = actual.type().kind();
  if (r.string_prefix && k == Type::Kind::kString) {
    if (actual.AsString().compare(0, r.string_prefix->size(), *r.string_prefix) != 0) return false;
  }
  if (k == Type::Kind::kNumber) {
    const Number& n = actual.AsNumber();
    if (r.number_lower) {
      int c = n.Compare(r.number_lower->first);
      if (c < 0 || (c == 0 && !r.number_lower->second)) return false;
    }
    if (r.number_upper) {
      int c = n.Compare(r.number_upper->first);
      if (c > 0 || (c == 0 && !r.number_upper->second)) return false;
    }
  }
  if (k == Type::Kind::kList || k == Type::Kind::kSet || k == Type::Kind::kMap) {
    int64_t len = static_cast<int64_t>(actual.Length());
    if (r.length_lower && len < *r.length_lower) return false;
    if (r.length_upper && len > *r.length_upper) return false;
  }
  return true;
}

void ValueCompatible(const Value& planned, const Value& actual, const Type& type, const AttributePath& path,
                     std::vector<std::string>* errs);

// Each planned element must correlate with some actual element and vice versa.
template <typename Fn>
void SetValuesCompatible(const std::vector<Value>& as, const std::vector<Value>& bs, const AttributePath& path,
                         Fn correlates, std::vector<std::string>* errs) {
  std::vector<bool> aeq(as.size(), false), beq(bs.size(), false);
  for (size_t i = 0; i < as.size(); ++i) {
    for (size_t j = 0; j < bs.size(); ++j) {
      if (aeq[i] && beq[j]) continue;
      if (correlates(as[i], bs[j])) {
        aeq[i] = true;
        beq[j] = true;
      }
    }
  }
  size_t before = errs->size();
  for (size_t i = 0; i < as.size(); ++i) {
    if (!aeq[i]) AddErr(errs, path, "planned set element " + as[i].ToDebugString() + " does not correlate with any element in actual");
  }
  if (errs->size() != before) return;
  for (size_t j = 0; j < bs.size(); ++j) {
    if (!beq[j]) AddErr(errs, path, "actual set element " + bs[j].ToDebugString() + " does not correlate with any element in plan");
  }
}

void ValueCompatible(const Value& planned, const Value& actual, const Type& schema_type, const AttributePath& path,
                     std::vector<std::string>* errs) {
  // A typeless (dynamic) planned null/unknown accepts anything.
  if ((planned.IsNull() || !planned.IsKnown()) && planned.type().IsDynamic()) return;
  Type type = schema_type;
  if (type.IsDynamic()) {
    if (planned.IsNull() || !planned.IsKnown()) return;  // planned "anything": nothing to compare with
    type = ConcreteTypeOf(planned);
  }
  Status conforms = CheckConforms(actual, type);
  if (!conforms.ok()) {
    AddErr(errs, path, "wrong final value type: " + conforms.message());
    return;
  }
  if (!planned.IsKnown()) {
    if (!RefinementsInclude(planned.refinements(), actual)) {
      AddErr(errs, path, "final value " + actual.ToDebugString() + " does not conform to planning placeholder " +
                             planned.ToDebugString());
    }
    return;
  }
  if (actual.IsNull()) {
    if (!planned.IsNull()) AddErr(errs, path, "was " + planned.ToDebugString() + ", but now null");
    return;
  }
  if (planned.IsNull()) {
    AddErr(errs, path, "was null, but now " + actual.ToDebugString());
    return;
  }
  if (!actual.IsKnown()) {
    AddErr(errs, path, "was known, but now unknown");
    return;
  }
  switch (type.kind()) {
    case Type::Kind::kString:
    case Type::Kind::kNumber:
    case Type::Kind::kBool:
    case Type::Kind::kDynamic:
      if (planned != actual) AddErr(errs, path, "was " + planned.ToDebugString() + ", but now " + actual.ToDebugString());
      return;
    case Type::Kind::kList:
    case Type::Kind::kTuple: {
      const auto& pe = planned.Elements();
      const auto& ae = actual.Elements();
      for (size_t i = 0; i < pe.size(); ++i) {
        if (i >= ae.size()) {
          AddErr(errs, path, "element " + std::to_string(i) + " has vanished");
          continue;
        }
        const Type& et = type.kind() == Type::Kind::kTuple ? type.tuple_elements()[i] : type.element();
        ValueCompatible(pe[i], ae[i], et, path.Index(static_cast<int64_t>(i)), errs);
      }
      for (size_t i = pe.size(); i < ae.size(); ++i) AddErr(errs, path, "new element " + std::to_string(i) + " has appeared");
      return;
    }
    case Type::Kind::kMap: {
      const auto& pm = planned.MapElements();
      const auto& am = actual.MapElements();
      for (const auto& [k, pe] : pm) {
        auto it = am.find(k);
        if (it == am.end()) {
          AddErr(errs, path, "element \"" + k + "\" has vanished");
          continue;
        }
        ValueCompatible(pe, it->second, type.element(), path.Key(k), errs);
      }
      for (const auto& [k, ae] : am) {
        if (!pm.count(k)) AddErr(errs, path, "new element \"" + k + "\" has appeared");
      }
      return;
    }
    case Type::Kind::kObject:
      for (const auto& [name, at] : type.attributes()) {
        ValueCompatible(AttrOf(planned, name, at), AttrOf(actual, name, at), at, path.Attr(name), errs);
      }
      return;
    case Type::Kind::kSet: {
      const Type& et = type.element();
      SetValuesCompatible(
          planned.Elements(), actual.Elements(), path,
          [&](const Value& p, const Value& a) {
            std::vector<std::string> sub;
            ValueCompatible(p, a, et, path, &sub);
            return sub.empty();
          },
          errs);
      if (planned.Elements().size() < actual.Elements().size()) {
        AddErr(errs, path, "length changed from " + std::to_string(planned.Elements().size()) + " to " +
                               std::to_string(actual.Elements().size()));
      }
      return;
    }
  }
}

void ObjectCompatible(const Block& schema, const Value& planned, const Value& actual, const AttributePath& path,
                      std::vector<std::string>* errs) {
  std::string at_root = path.empty() ? "Root object " : "";
  if (planned.IsNull() && !actual.IsNull()) {
    errs->push_back(path.empty() ? at_root + "was absent, but now present" : Where(path) + ": was absent, but now present");
    return;
  }
  if (actual.IsNull() && !planned.IsNull()) {
    errs->push_back(path.empty() ? at_root + "was present, but now absent" : Where(path) + ": was present, but now absent");
    return;
  }
  if (planned.IsNull()) return;
  if (!planned.IsKnown() || !actual.IsKnown()) {
    // A wholly unknown object only comes from unknown block placeholders: anything may replace it.
    if (!planned.IsKnown()) return;
    AddErr(errs, path, "was known, but now unknown");
    return;
  }

  for (const Attribute& a : schema.attributes) {
    AttributePath ap = path.Attr(a.name);
    std::vector<std::string> sub;
    ValueCompatible(AttrOf(planned, a.name, a.type), AttrOf(actual, a.name, a.type), a.type, ap, &sub);
    if (sub.empty()) continue;
    if (a.sensitive) AddErr(errs, ap, "inconsistent values for sensitive attribute");
    else errs->insert(errs->end(), sub.begin(), sub.end());
  }

  for (const NestedBlock& nb : schema.block_types) {
    AttributePath bp = path.Attr(nb.type_name);
    Type nt = NestedType(nb);
    Value pv = AttrOf(planned, nb.type_name, nt);
    Value av = AttrOf(actual, nb.type_name, nt);
    switch (nb.nesting) {
      case NestingMode::kSingle:
      case NestingMode::kGroup:
      case NestingMode::kInvalid:
        // An unknown placeholder may have expanded into zero blocks.
        if (!pv.IsKnown() && av.IsNull()) continue;
        ObjectCompatible(nb.block, pv, av, bp, errs);
        break;
      case NestingMode::kList: {
        if (!pv.IsKnown() || !av.IsKnown() || pv.IsNull() || av.IsNull()) continue;
        const auto& pe = ElemsOf(pv);
        const auto& ae = ElemsOf(av);
        if (pe.size() != ae.size()) {
          AddErr(errs, bp, "block count changed from " + std::to_string(pe.size()) + " to " + std::to_string(ae.size()));
          continue;
        }
        for (size_t i = 0; i < pe.size(); ++i) ObjectCompatible(nb.block, pe[i], ae[i], bp.Index(static_cast<int64_t>(i)), errs);
        break;
      }
      case NestingMode::kMap: {
        if (!pv.IsKnown() || pv.IsNull() || av.IsNull() || !av.IsKnown()) continue;
        const auto& pm = EntriesOf(pv);
        const auto& am = EntriesOf(av);
        for (const auto& [k, pe] : pm) {
          auto it = am.find(k);
          if (it == am.end()) {
            AddErr(errs, bp, "block key \"" + k + "\" has vanished");
            continue;
          }
          ObjectCompatible(nb.block, pe, it->second, bp.Key(k), errs);
        }
        for (const auto& [k, ae] : am) {
          if (!pm.count(k)) AddErr(errs, bp, "new block key \"" + k + "\" has appeared");
        }
        break;
      }
      case NestingMode::kSet: {
        if (!pv.IsKnown() || !av.IsKnown() || pv.IsNull() || av.IsNull()) continue;
        const auto& pe = ElemsOf(pv);
        const auto& ae = ElemsOf(av);
        SetValuesCompatible(
            pe, ae, bp,
            [&](const Value& p, const Value& a) {
              std::vector<std::string> sub;
              ObjectCompatible(nb.block, p, a, bp, &sub);
              return sub.empty();
            },
            errs);
        if (pe.size() < ae.size()) {
          AddErr(errs, bp, "block set length changed from " + std::to_string(pe.size()) + " to " + std::to_string(ae.size()));
        }
        break;
      }
    }
  }
}

void CollectUnknownPaths(const Value& v, const AttributePath& path, std::vector<std::string>* errs) {
  if (!v.IsKnown()) {
    AddErr(errs, path, "value is unknown; a state must be wholly known");
    return;
  }
  if (v.IsNull()) return;
  switch (v.type().kind()) {
    case Type::Kind::kList:
    case Type::Kind::kTuple:
    case Type::Kind::kSet: {
      int64_t i = 0;
      for (const Value& e : v.Elements()) CollectUnknownPaths(e, path.Index(i++), errs);
      return;
    }
    case Type::Kind::kMap:
      for (const auto& [k, e] : v.MapElements()) CollectUnknownPaths(e, path.Key(k), errs);
      return;
    case Type::Kind::kObject:
      for (const auto& [k, e] : v.Attributes()) CollectUnknownPaths(e, path.Attr(k), errs);
      return;
    default:
      return;
  }
}

}  // namespace

Value ProposedNew(const Block& schema, const Value& prior, const Value& config) {
  return ProposedNewBlock(schema, prior, config);
}

std::vector<std::string> AssertPlanValid(const Block& schema, const Value& prior, const Value& config,
                                         const Value& planned) {
  std::vector<std::string> errs;
  PlanValid(schema, prior, config, planned, AttributePath(), &errs);
  return errs;
}

std::vector<std::string> AssertObjectCompatible(const Block& schema, const Value& planned, const Value& actual) {
  std::vector<std::string> errs;
  ObjectCompatible(schema, planned, actual, AttributePath(), &errs);
  return errs;
}

std::vector<std::string> AssertValidState(const Block& schema, const Value& state) {
  std::vector<std::string> errs;
  Status s = CheckConforms(state, schema.ImpliedType());
  if (!s.ok()) errs.push_back(s.message());
  CollectUnknownPaths(state, AttributePath(), &errs);
  return errs;
}

}  // namespace tpd::schema
