#include "schema/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace tpd::schema {

// ---------------------------------------------------------------------------------------------
// Number

namespace {

constexpr std::string_view kInf = "Infinity";
constexpr std::string_view kNegInf = "-Infinity";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits canonical text into sign, integer digits and fraction digits (no infinities).
struct Parts {
  bool neg = false;
  std::string_view int_part;
  std::string_view frac_part;
};

Parts Split(std::string_view t) {
  Parts p;
  if (!t.empty() && t[0] == '-') {
    p.neg = true;
    t.remove_prefix(1);
  }
  size_t dot = t.find('.');
  if (dot == std::string_view::npos) {
    p.int_part = t;
  } else {
    p.int_part = t.substr(0, dot);
    p.frac_part = t.substr(dot + 1);
  }
  return p;
}

// Compares magnitudes of two canonical finite numbers.
int CompareMagnitude(const Parts& a, const Parts& b) {
  if (a.int_part.size() != b.int_part.size()) return a.int_part.size() < b.int_part.size() ? -1 : 1;
  int c = a.int_part.compare(b.int_part);
  if (c != 0) return c < 0 ? -1 : 1;
  c = a.frac_part.compare(b.frac_part);
  if (c != 0) return c < 0 ? -1 : 1;
  return 0;
}

}  // namespace

Number::Number() : text_("0") {}

Result<Number> Number::FromString(std::string_view text) {
  if (text == kInf || text == "+Infinity") return Number(std::string(kInf));
  if (text == kNegInf) return Number(std::string(kNegInf));
  auto bad = [&]() { return Status::InvalidArgument("invalid number \"" + std::string(text.substr(0, 64)) + "\""); };
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    neg = text[i] == '-';
    ++i;
  }
  std::string digits;
  int64_t exp = 0;
  size_t mantissa_digits = 0;
  while (i < text.size() && IsDigit(text[i])) {
    digits.push_back(text[i++]);
    ++mantissa_digits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) {
      digits.push_back(text[i++]);
      ++mantissa_digits;
      --exp;
    }
  }
  if (mantissa_digits == 0) return bad();
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      eneg = text[i] == '-';
      ++i;
    }
    size_t start = i;
    int64_t e = 0;
    while (i < text.size() && IsDigit(text[i])) {
      if (e < 1000000000) e = e * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start) return bad();
    exp += eneg ? -e : e;
  }
  if (i != text.size()) return bad();
  if (digits.size() > kMaxDigits + 64) return Status::InvalidArgument("number has too many digits");

  // Normalise: strip leading zeros, then trailing zeros into the exponent.
  size_t lead = digits.find_first_not_of('0');
  if (lead == std::string::npos) return Number();
  digits.erase(0, lead);
  size_t last = digits.find_last_not_of('0');
  exp += static_cast<int64_t>(digits.size() - 1 - last);
  digits.erase(last + 1);

  int64_t n = static_cast<int64_t>(digits.size());
  int64_t len = exp >= 0 ? n + exp : (-exp >= n ? 2 - exp : n + 1);
  if (len > static_cast<int64_t>(kMaxDigits)) {
    return Status::InvalidArgument("number \"" + std::string(text.substr(0, 64)) + "\" is too large to represent");
  }
  std::string out;
  out.reserve(static_cast<size_t>(len) + 1);
  if (neg) out.push_back('-');
  if (exp >= 0) {
    out += digits;
    out.append(static_cast<size_t>(exp), '0');
  } else if (-exp >= n) {
    out += "0.";
    out.append(static_cast<size_t>(-exp - n), '0');
    out += digits;
  } else {
    out.append(digits, 0, static_cast<size_t>(n + exp));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(n + exp), std::string::npos);
  }
  return Number(std::move(out));
}

Number Number::FromInt64(int64_t v) { return Number(std::to_string(v)); }
Number Number::FromUint64(uint64_t v) { return Number(std::to_string(v)); }

Number Number::FromDouble(double v) {
  if (std::isinf(v)) return Number(std::string(v > 0 ? kInf : kNegInf));
  if (std::isnan(v)) return Number();  // REQUIRES violated; zero is the least surprising answer
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  Result<Number> n = FromString(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
  return n.ok() ? *n : Number();
}

bool Number::IsInfinity() const { return text_ == kInf || text_ == kNegInf; }

bool Number::IsInteger() const { return !IsInfinity() && text_.find('.') == std::string::npos; }

std::optional<int64_t> Number::ToInt64() const {
  if (!IsInteger()) return std::nullopt;
  int64_t v = 0;
  auto res = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (res.ec != std::errc() || res.ptr != text_.data() + text_.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> Number::ToUint64() const {
  if (!IsInteger() || text_[0] == '-') return std::nullopt;
  uint64_t v = 0;
  auto res = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (res.ec != std::errc() || res.ptr != text_.data() + text_.size()) return std::nullopt;
  return v;
}

double Number::ToDouble() const {
  if (text_ == kInf) return std::numeric_limits<double>::infinity();
  if (text_ == kNegInf) return -std::numeric_limits<double>::infinity();
  double v = 0;
  auto res = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (res.ec == std::errc::result_out_of_range) {
    Parts p = Split(text_);
    bool huge = p.int_part != "0";
    double mag = huge ? std::numeric_limits<double>::infinity() : 0.0;
    return p.neg ? -mag : mag;
  }
  return v;
}

bool Number::IsExactDouble() const {
  double d = ToDouble();
  if (std::isinf(d)) return IsInfinity();
  return FromDouble(d) == *this;
}

bool Number::IsExactBinaryDouble() const {
  if (IsInfinity()) return true;
  double d = ToDouble();
  if (std::isinf(d)) return false;
  // The exact decimal expansion of a double has at most 1074 fractional digits.
  char buf[1500];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed, 1100);
  if (res.ec != std::errc()) return false;
  Result<Number> exact = FromString(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
  return exact.ok() && *exact == *this;
}

int Number::Compare(const Number& other) const {
  if (text_ == other.text_) return 0;
  if (text_ == kNegInf || other.text_ == kInf) return -1;
  if (text_ == kInf || other.text_ == kNegInf) return 1;
  Parts a = Split(text_);
  Parts b = Split(other.text_);
  if (a.neg != b.neg) return a.neg ? -1 : 1;
  int c = CompareMagnitude(a, b);
  return a.neg ? -c : c;
}

// ---------------------------------------------------------------------------------------------
// Value

namespace {
enum class State { kNull, kUnknown, kKnown };
}  // namespace

struct Value::Impl {
  Type type;
  State state = State::kNull;
  Refinements refinements;
  std::string str;
  bool b = false;
  Number num;
  std::vector<Value> elems;                 // list, set, tuple
  std::map<std::string, Value> attrs;       // map elements, object attributes
};

namespace {

const Refinements& EmptyRefinements() {
  static const auto* const kEmpty = new Refinements();
  return *kEmpty;
}

// A type is "compatible" for null/unknown comparison when equal or either side is dynamic.
bool TypesCompatible(const Type& a, const Type& b) { return a.IsDynamic() || b.IsDynamic() || a == b; }

int KindRank(Type::Kind k) { return static_cast<int>(k); }

}  // namespace

Value::Value(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Value::Value() {
  static const auto* const kNullDynamic = new std::shared_ptr<const Impl>(std::make_shared<Impl>());
  impl_ = *kNullDynamic;
}

Value Value::Null(Type type) {
  auto impl = std::make_shared<Impl>();
  impl->type = std::move(type);
  impl->state = State::kNull;
  return Value(std::move(impl));
}

Value Value::Unknown(Type type, Refinements refinements) {
  auto impl = std::make_shared<Impl>();
  impl->type = std::move(type);
  impl->state = State::kUnknown;
  impl->refinements = std::move(refinements);
  return Value(std::move(impl));
}

Value Value::String(std::string s) {
  auto impl = std::make_shared<Impl>();
  impl->type = Type::String();
  impl->state = State::kKnown;
  impl->str = std::move(s);
  return Value(std::move(impl));
}

Value Value::Bool(bool b) {
  auto impl = std::make_shared<Impl>();
  impl->type = Type::Bool();
  impl->state = State::kKnown;
  impl->b = b;
  return Value(std::move(impl));
}

Value Value::Num(Number n) {
  auto impl = std::make_shared<Impl>();
  impl->type = Type::Number();
  impl->state = State::kKnown;
  impl->num = std::move(n);
  return Value(std::move(impl));
}

Value Value::Int(int64_t v) { return Num(Number::FromInt64(v)); }

Value Value::List(Type element_type, std::vector<Value> elements) {
  auto impl = std::make_shared<Impl>();
  impl->type = Type::List(std::move(element_type));
  impl->state = State::kKnown;
  impl->elems = std::move(elements);
  return Value(std::move(impl));
}

namespace {

// Total order used to normalise sets: known < unknown < null; known values by kind then content.
int CompareValues(const Value& a, const Value& b) {
  auto rank = [](const Value& v) { return v.IsNull() ? 2 : (v.IsKnown() ? 0 : 1); };
  int ra = rank(a), rb = rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra != 0) return 0;
  int ka = KindRank(a.type().kind()), kb = KindRank(b.type().kind());
  if (ka != kb) return ka < kb ? -1 : 1;
  switch (a.type().kind()) {
    case Type::Kind::kString: {
      int c = a.AsString().compare(b.AsString());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Type::Kind::kNumber: return a.AsNumber().Compare(b.AsNumber());
    case Type::Kind::kBool: return a.AsBool() == b.AsBool() ? 0 : (a.AsBool() ? 1 : -1);
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple: {
      const auto& ea = a.Elements();
      const auto& eb = b.Elements();
      if (ea.size() != eb.size()) return ea.size() < eb.size() ? -1 : 1;
      for (size_t i = 0; i < ea.size(); ++i) {
        int c = CompareValues(ea[i], eb[i]);
        if (c != 0) return c;
      }
      return 0;
    }
    case Type::Kind::kMap:
    case Type::Kind::kObject: {
      const auto& ma = a.type().kind() == Type::Kind::kMap ? a.MapElements() : a.Attributes();
      const auto& mb = b.type().kind() == Type::Kind::kMap ? b.MapElements() : b.Attributes();
      if (ma.size() != mb.size()) return ma.size() < mb.size() ? -1 : 1;
      for (auto ia = ma.begin(), ib = mb.begin(); ia != ma.end(); ++ia, ++ib) {
        int c = ia->first.compare(ib->first);
        if (c != 0) return c < 0 ? -1 : 1;
        c = CompareValues(ia->second, ib->second);
        if (c != 0) return c;
      }
      return 0;
    }
    case Type::Kind::kDynamic: return 0;
  }
  return 0;
}

}  // namespace

Value Value::Set(Type element_type, std::vector<Value> elements) {
  std::stable_sort(elements.begin(), elements.end(),
                   [](const Value& a, const Value& b) { return CompareValues(a, b) < 0; });
  std::vector<Value> unique;
  unique.reserve(elements.size());
  for (auto& e : elements) {
    // Unknown elements are never merged: each may become a distinct value.
    if (!unique.empty() && e.IsWhollyKnown() && unique.back().IsWhollyKnown() && unique.back() == e) continue;
    unique.push_back(std::move(e));
  }
  auto impl = std::make_shared<Impl>();
  impl->type = Type::Set(std::move(element_type));
  impl->state = State::kKnown;
  impl->elems = std::move(unique);
  return Value(std::move(impl));
}

Value Value::Map(Type element_type, std::map<std::string, Value> elements) {
  auto impl = std::make_shared<Impl>();
  impl->type = Type::Map(std::move(element_type));
  impl->state = State::kKnown;
  impl->attrs = std::move(elements);
  return Value(std::move(impl));
}

Value Value::Object(std::map<std::string, Value> attributes) {
  std::map<std::string, Type> types;
  for (const auto& [name, v] : attributes) types.emplace(name, v.type());
  auto impl = std::make_shared<Impl>();
  impl->type = Type::Object(std::move(types));
  impl->state = State::kKnown;
  impl->attrs = std::move(attributes);
  return Value(std::move(impl));
}

Value Value::Object(const Type& type, std::map<std::string, Value> attributes) {
  auto impl = std::make_shared<Impl>();
  impl->type = type;
  impl->state = State::kKnown;
  for (const auto& [name, at] : type.attributes()) {
    auto it = attributes.find(name);
    impl->attrs.emplace(name, it == attributes.end() ? Null(at) : std::move(it->second));
  }
  return Value(std::move(impl));
}

Value Value::Tuple(std::vector<Value> elements) {
  std::vector<Type> types;
  types.reserve(elements.size());
  for (const auto& v : elements) types.push_back(v.type());
  auto impl = std::make_shared<Impl>();
  impl->type = Type::Tuple(std::move(types));
  impl->state = State::kKnown;
  impl->elems = std::move(elements);
  return Value(std::move(impl));
}

Value Value::StringList(const std::vector<std::string>& items) {
  std::vector<Value> elems;
  for (const auto& s : items) elems.push_back(String(s));
  return List(Type::String(), std::move(elems));
}

Value Value::StringSet(const std::vector<std::string>& items) {
  std::vector<Value> elems;
  for (const auto& s : items) elems.push_back(String(s));
  return Set(Type::String(), std::move(elems));
}

const Type& Value::type() const { return impl_->type; }
bool Value::IsNull() const { return impl_->state == State::kNull; }
bool Value::IsKnown() const { return impl_->state != State::kUnknown; }

bool Value::IsWhollyKnown() const {
  if (impl_->state == State::kUnknown) return false;
  for (const auto& e : impl_->elems) {
    if (!e.IsWhollyKnown()) return false;
  }
  for (const auto& [k, e] : impl_->attrs) {
    if (!e.IsWhollyKnown()) return false;
  }
  return true;
}

const Refinements& Value::refinements() const {
  return impl_->state == State::kUnknown ? impl_->refinements : EmptyRefinements();
}

const std::string& Value::AsString() const { return impl_->str; }
bool Value::AsBool() const { return impl_->b; }
const Number& Value::AsNumber() const { return impl_->num; }
const std::vector<Value>& Value::Elements() const { return impl_->elems; }
const std::map<std::string, Value>& Value::MapElements() const { return impl_->attrs; }
const std::map<std::string, Value>& Value::Attributes() const { return impl_->attrs; }

const Value& Value::GetAttr(std::string_view name) const {
  auto it = impl_->attrs.find(std::string(name));
  if (it != impl_->attrs.end()) return it->second;
  static const auto* const kNull = new Value();
  return *kNull;
}

size_t Value::Length() const {
  switch (impl_->type.kind()) {
    case Type::Kind::kMap:
    case Type::Kind::kObject: return impl_->attrs.size();
    default: return impl_->elems.size();
  }
}

std::optional<std::string> Value::OptString() const {
  if (impl_->state != State::kKnown || impl_->type.kind() != Type::Kind::kString) return std::nullopt;
  return impl_->str;
}

std::optional<bool> Value::OptBool() const {
  if (impl_->state != State::kKnown || impl_->type.kind() != Type::Kind::kBool) return std::nullopt;
  return impl_->b;
}

std::optional<int64_t> Value::OptInt() const {
  if (impl_->state != State::kKnown || impl_->type.kind() != Type::Kind::kNumber) return std::nullopt;
  return impl_->num.ToInt64();
}

Value Value::WithAttr(const std::string& name, Value v) const {
  auto impl = std::make_shared<Impl>(*impl_);
  std::map<std::string, Type> types =
      impl_->type.kind() == Type::Kind::kObject ? impl_->type.attributes() : std::map<std::string, Type>{};
  auto it = types.find(name);
  // Keep the declared attribute type when the new value is a typeless (dynamic) null or unknown.
  bool typeless = v.type().IsDynamic() && (v.IsNull() || !v.IsKnown());
  if (it == types.end() || !typeless) types[name] = v.type();
  impl->type = Type::Object(std::move(types));
  impl->state = State::kKnown;
  impl->attrs[name] = std::move(v);
  return Value(std::move(impl));
}

bool Value::operator==(const Value& other) const {
  if (impl_ == other.impl_) return true;
  if (impl_->state != other.impl_->state) return false;
  if (impl_->state != State::kKnown) return TypesCompatible(impl_->type, other.impl_->type);
  Type::Kind k = impl_->type.kind();
  Type::Kind ok = other.impl_->type.kind();
  if (k != ok) return false;
  switch (k) {
    case Type::Kind::kString: return impl_->str == other.impl_->str;
    case Type::Kind::kNumber: return impl_->num == other.impl_->num;
    case Type::Kind::kBool: return impl_->b == other.impl_->b;
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple:
      return impl_->elems == other.impl_->elems;
    case Type::Kind::kMap:
    case Type::Kind::kObject:
      return impl_->attrs == other.impl_->attrs;
    case Type::Kind::kDynamic: return true;
  }
  return false;
}

namespace {

void AppendQuoted(std::string* out, const std::string& s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out->append("\\u00");
      const char* hex = "0123456789abcdef";
      out->push_back(hex[(c >> 4) & 0xf]);
      out->push_back(hex[c & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendDebug(std::string* out, const Value& v) {
  if (v.IsNull()) {
    out->append("null");
    return;
  }
  if (!v.IsKnown()) {
    out->append("<unknown>");
    return;
  }
  switch (v.type().kind()) {
    case Type::Kind::kString: AppendQuoted(out, v.AsString()); return;
    case Type::Kind::kNumber: out->append(v.AsNumber().ToString()); return;
    case Type::Kind::kBool: out->append(v.AsBool() ? "true" : "false"); return;
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v.Elements()) {
        if (!first) out->append(", ");
        first = false;
        AppendDebug(out, e);
      }
      out->push_back(']');
      return;
    }
    case Type::Kind::kMap:
    case Type::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.Attributes()) {
        if (!first) out->append(", ");
        first = false;
        AppendQuoted(out, k);
        out->append(": ");
        AppendDebug(out, e);
      }
      out->push_back('}');
      return;
    }
    case Type::Kind::kDynamic: out->append("<dynamic>"); return;
  }
}

Status ConformsAt(const Value& v, const Type& type, const AttributePath& path) {
  auto fail = [&](const std::string& what) {
    std::string where = path.empty() ? std::string("value") : path.ToString();
    return Status::InvalidArgument(where + ": " + what).WithPath(path);
  };
  if (type.IsDynamic()) return Status::Ok();
  if (!v.IsKnown() || v.IsNull()) {
    // A typeless (dynamic) null/unknown fits anywhere; otherwise its type must fit.
    if (v.type().IsDynamic()) return Status::Ok();
    if (v.type().HasDynamic() || type.HasDynamic()) {
      if (v.type().kind() != type.kind()) {
        return fail(type.FriendlyName() + " required, got " + v.type().FriendlyName());
      }
      return Status::Ok();
    }
    if (v.type() != type) return fail(type.FriendlyName() + " required, got " + v.type().FriendlyName());
    return Status::Ok();
  }
  Type::Kind vk = v.type().kind();
  if (vk != type.kind()) return fail(type.FriendlyName() + " required, got " + v.type().FriendlyName());
  switch (type.kind()) {
    case Type::Kind::kString:
    case Type::Kind::kNumber:
    case Type::Kind::kBool:
    case Type::Kind::kDynamic:
      return Status::Ok();
    case Type::Kind::kList:
    case Type::Kind::kSet: {
      int64_t i = 0;
      for (const auto& e : v.Elements()) {
        TPD_RETURN_IF_ERROR(ConformsAt(e, type.element(), path.Index(i)));
        ++i;
      }
      return Status::Ok();
    }
    case Type::Kind::kTuple: {
      const auto& ets = type.tuple_elements();
      if (ets.size() != v.Elements().size()) {
        return fail("tuple of " + std::to_string(ets.size()) + " elements required, got " +
                    std::to_string(v.Elements().size()));
      }
      for (size_t i = 0; i < ets.size(); ++i) {
        TPD_RETURN_IF_ERROR(ConformsAt(v.Elements()[i], ets[i], path.Index(static_cast<int64_t>(i))));
      }
      return Status::Ok();
    }
    case Type::Kind::kMap: {
      for (const auto& [k, e] : v.MapElements()) TPD_RETURN_IF_ERROR(ConformsAt(e, type.element(), path.Key(k)));
      return Status::Ok();
    }
    case Type::Kind::kObject: {
      const auto& want = type.attributes();
      const auto& have = v.Attributes();
      for (const auto& [name, at] : want) {
        auto it = have.find(name);
        if (it == have.end()) return fail("attribute \"" + name + "\" is required");
        TPD_RETURN_IF_ERROR(ConformsAt(it->second, at, path.Attr(name)));
      }
      for (const auto& [name, e] : have) {
        if (!want.count(name)) return fail("unsupported attribute \"" + name + "\"");
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

std::string Value::ToDebugString() const {
  std::string out;
  AppendDebug(&out, *this);
  return out;
}

Status CheckConforms(const Value& v, const Type& type) { return ConformsAt(v, type, AttributePath()); }

}  // namespace tpd::schema
