// msgpack codec for cty values (go-cty's msgpack package on the wire; FACTS.md §4.3).
// The reader is bounds-checked everywhere and limits nesting, so hostile input cannot crash it.
// Over 500 lines on purpose: writer, reader and the cty<->msgpack mapping share private helpers
// and are only ever read together.
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "schema/codec.h"
#include "schema/codec_internal.h"

namespace tpd::schema {

namespace {

// Values nest at most this deep on the wire (each dynamic wrapper and container counts one).
constexpr int kMaxDepth = 128;
// Terraform caps string prefix refinements at 256 bytes.
constexpr size_t kMaxPrefix = 256;

// ---------------------------------------------------------------------------------------------
// Writer

class Writer {
 public:
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void BigEndian(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Nil() { Byte(0xc0); }
  void Bool(bool b) { Byte(b ? 0xc3 : 0xc2); }
  void Uint(uint64_t v) {
    if (v < 0x80) {
      Byte(static_cast<uint8_t>(v));
    } else if (v <= 0xff) {
      Byte(0xcc);
      BigEndian(v, 1);
    } else if (v <= 0xffff) {
      Byte(0xcd);
      BigEndian(v, 2);
    } else if (v <= 0xffffffffULL) {
      Byte(0xce);
      BigEndian(v, 4);
    } else {
      Byte(0xcf);
      BigEndian(v, 8);
    }
  }
  void Int(int64_t v) {
    if (v >= 0) return Uint(static_cast<uint64_t>(v));
    if (v >= -32) {
      Byte(static_cast<uint8_t>(v));
    } else if (v >= -128) {
      Byte(0xd0);
      BigEndian(static_cast<uint64_t>(v), 1);
    } else if (v >= -32768) {
      Byte(0xd1);
      BigEndian(static_cast<uint64_t>(v), 2);
    } else if (v >= -2147483648LL) {
      Byte(0xd2);
      BigEndian(static_cast<uint64_t>(v), 4);
    } else {
      Byte(0xd3);
      BigEndian(static_cast<uint64_t>(v), 8);
    }
  }
  void Float64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    Byte(0xcb);
    BigEndian(bits, 8);
  }
  void Str(std::string_view s) {
    size_t n = s.size();
    if (n < 32) {
      Byte(static_cast<uint8_t>(0xa0 | n));
    } else if (n <= 0xff) {
      Byte(0xd9);
      BigEndian(n, 1);
    } else if (n <= 0xffff) {
      Byte(0xda);
      BigEndian(n, 2);
    } else {
      Byte(0xdb);
      BigEndian(n, 4);
    }
    out_.append(s);
  }
  void Bin(std::string_view s) {
    size_t n = s.size();
    if (n <= 0xff) {
      Byte(0xc4);
      BigEndian(n, 1);
    } else if (n <= 0xffff) {
      Byte(0xc5);
      BigEndian(n, 2);
    } else {
      Byte(0xc6);
      BigEndian(n, 4);
    }
    out_.append(s);
  }
  void ArrayHeader(size_t n) {
    if (n < 16) {
      Byte(static_cast<uint8_t>(0x90 | n));
    } else if (n <= 0xffff) {
      Byte(0xdc);
      BigEndian(n, 2);
    } else {
      Byte(0xdd);
      BigEndian(n, 4);
    }
  }
  void MapHeader(size_t n) {
    if (n < 16) {
      Byte(static_cast<uint8_t>(0x80 | n));
    } else if (n <= 0xffff) {
      Byte(0xde);
      BigEndian(n, 2);
    } else {
      Byte(0xdf);
      BigEndian(n, 4);
    }
  }
  void Ext(int8_t type, std::string_view data) {
    size_t n = data.size();
    switch (n) {
      case 1: Byte(0xd4); break;
      case 2: Byte(0xd5); break;
      case 4: Byte(0xd6); break;
      case 8: Byte(0xd7); break;
      case 16: Byte(0xd8); break;
      default:
        if (n <= 0xff) {
          Byte(0xc7);
          BigEndian(n, 1);
        } else if (n <= 0xffff) {
          Byte(0xc8);
          BigEndian(n, 2);
        } else {
          Byte(0xc9);
          BigEndian(n, 4);
        }
    }
    Byte(static_cast<uint8_t>(type));
    out_.append(data);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

void WriteNumber(Writer* w, const Number& n) {
  if (n.IsInteger()) {
    if (auto i = n.ToInt64()) return w->Int(*i);
    if (auto u = n.ToUint64()) return w->Uint(*u);
  }
  if (n.IsExactBinaryDouble()) return w->Float64(n.ToDouble());
  w->Str(n.ToString());
}

// Truncates to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view TruncateUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

void WriteUnknown(Writer* w, const Value& v, const Type& type) {
  const Refinements& r = v.refinements();
  Type::Kind k = type.kind();
  bool is_string = k == Type::Kind::kString;
  bool is_number = k == Type::Kind::kNumber;
  bool is_coll = type.IsCollection();
  Writer body;
  size_t entries = 0;
  if (!type.IsDynamic()) {
    if (r.not_null) {
      body.Uint(1);
      body.Bool(false);
      ++entries;
    }
    if (is_string && r.string_prefix && !r.string_prefix->empty()) {
      body.Uint(2);
      body.Str(TruncateUtf8(*r.string_prefix, kMaxPrefix));
      ++entries;
    }
    if (is_number && r.number_lower) {
      body.Uint(3);
      body.ArrayHeader(2);
      WriteNumber(&body, r.number_lower->first);
      body.Bool(r.number_lower->second);
      ++entries;
    }
    if (is_number && r.number_upper) {
      body.Uint(4);
      body.ArrayHeader(2);
      WriteNumber(&body, r.number_upper->first);
      body.Bool(r.number_upper->second);
      ++entries;
    }
    if (is_coll && r.length_lower) {
      body.Uint(5);
      body.Int(*r.length_lower);
      ++entries;
    }
    if (is_coll && r.length_upper) {
      body.Uint(6);
      body.Int(*r.length_upper);
      ++entries;
    }
  }
  if (entries == 0) {
    w->Ext(0, std::string_view("\0", 1));
    return;
  }
  Writer payload;
  payload.MapHeader(entries);
  payload.Raw(body.out());
  w->Ext(12, payload.out());
}

std::string PathText(const AttributePath& path) { return path.empty() ? std::string("(root)") : path.ToString(); }

}  // namespace

namespace {

// The one concrete type shared by all known, non-null elements; `fallback` when they disagree or
// when there are none.
template <typename Range, typename Get>
Type CommonElementType(const Range& elems, Get get, const Type& fallback) {
  std::optional<Type> common;
  for (const auto& e : elems) {
    const Value& v = get(e);
    if (!v.IsKnown() || v.IsNull()) continue;
    Type et = ConcreteTypeOf(v);
    if (!common) common = et;
    else if (*common != et) return fallback;
  }
  return common.value_or(fallback);
}

}  // namespace

Type ConcreteTypeOf(const Value& v) {
  const Type& t = v.type();
  if (!t.HasDynamic() || !v.IsKnown() || v.IsNull()) return t;
  switch (t.kind()) {
    case Type::Kind::kList:
    case Type::Kind::kSet: {
      Type e = CommonElementType(v.Elements(), [](const Value& x) -> const Value& { return x; }, t.element());
      return t.kind() == Type::Kind::kList ? Type::List(e) : Type::Set(e);
    }
    case Type::Kind::kMap: {
      Type e = CommonElementType(
          v.MapElements(), [](const auto& kv) -> const Value& { return kv.second; }, t.element());
      return Type::Map(e);
    }
    case Type::Kind::kObject: {
      std::map<std::string, Type> attrs;
      for (const auto& [k, e] : v.Attributes()) attrs.emplace(k, ConcreteTypeOf(e));
      return Type::Object(std::move(attrs));
    }
    case Type::Kind::kTuple: {
      std::vector<Type> elems;
      for (const auto& e : v.Elements()) elems.push_back(ConcreteTypeOf(e));
      return Type::Tuple(std::move(elems));
    }
    default:
      return t;
  }
}

namespace {

Status Encode(Writer* w, const Value& v, const Type& type, const AttributePath& path, int depth) {
  if (depth > kMaxDepth) return Status::InvalidArgument("value nests too deeply at " + PathText(path));
  if (type.IsDynamic() && !v.type().IsDynamic()) {
    // Dynamic wrapper: [bin(type JSON), value encoded against that type].
    Type concrete = ConcreteTypeOf(v);
    w->ArrayHeader(2);
    w->Bin(concrete.ToJson());
    return Encode(w, v, concrete, path, depth + 1);
  }
  if (!v.IsKnown()) {
    WriteUnknown(w, v, type);
    return Status::Ok();
  }
  if (v.IsNull()) {
    w->Nil();
    return Status::Ok();
  }
  auto mismatch = [&]() {
    return Status::InvalidArgument(PathText(path) + ": " + type.FriendlyName() + " required, got " +
                                   v.type().FriendlyName())
        .WithPath(path);
  };
  if (v.type().kind() != type.kind()) return mismatch();
  switch (type.kind()) {
    case Type::Kind::kString: w->Str(v.AsString()); return Status::Ok();
    case Type::Kind::kBool: w->Bool(v.AsBool()); return Status::Ok();
    case Type::Kind::kNumber: WriteNumber(w, v.AsNumber()); return Status::Ok();
    case Type::Kind::kDynamic: return mismatch();  // known value of type dynamic cannot exist
    case Type::Kind::kList:
    case Type::Kind::kSet: {
      w->ArrayHeader(v.Elements().size());
      int64_t i = 0;
      for (const auto& e : v.Elements()) {
        TPD_RETURN_IF_ERROR(Encode(w, e, type.element(), path.Index(i++), depth + 1));
      }
      return Status::Ok();
    }
    case Type::Kind::kTuple: {
      const auto& ets = type.tuple_elements();
      if (ets.size() != v.Elements().size()) return mismatch();
      w->ArrayHeader(ets.size());
      for (size_t i = 0; i < ets.size(); ++i) {
        TPD_RETURN_IF_ERROR(Encode(w, v.Elements()[i], ets[i], path.Index(static_cast<int64_t>(i)), depth + 1));
      }
      return Status::Ok();
    }
    case Type::Kind::kMap: {
      w->MapHeader(v.MapElements().size());
      for (const auto& [k, e] : v.MapElements()) {
        w->Str(k);
        TPD_RETURN_IF_ERROR(Encode(w, e, type.element(), path.Key(k), depth + 1));
      }
      return Status::Ok();
    }
    case Type::Kind::kObject: {
      const auto& attrs = type.attributes();
      const auto& have = v.Attributes();
      for (const auto& [name, e] : have) {
        if (!attrs.count(name)) {
          return Status::InvalidArgument(PathText(path) + ": unsupported attribute \"" + name + "\"").WithPath(path);
        }
      }
      w->MapHeader(attrs.size());
      for (const auto& [name, at] : attrs) {
        w->Str(name);
        auto it = have.find(name);
        if (it == have.end()) {
          w->Nil();  // attributes the value lacks are null
          continue;
        }
        TPD_RETURN_IF_ERROR(Encode(w, it->second, at, path.Attr(name), depth + 1));
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Reader

enum class Family { kNil, kBool, kInt, kUint, kFloat, kStr, kBin, kArray, kMap, kExt, kNever };

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }

  Status Err(const AttributePath& path, const std::string& what) const {
    return Status::InvalidArgument("msgpack: " + what + " at " + PathText(path) + " (offset " +
                                   std::to_string(pos_) + ")")
        .WithPath(path);
  }

  // Family of the next item without consuming it. REQUIRES: !AtEnd().
  Family Peek() const {
    uint8_t b = static_cast<uint8_t>(data_[pos_]);
    if (b <= 0x7f || (b >= 0xcc && b <= 0xcf)) return Family::kUint;
    if (b >= 0xe0 || (b >= 0xd0 && b <= 0xd3)) return Family::kInt;
    if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf) return Family::kMap;
    if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd) return Family::kArray;
    if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) return Family::kStr;
    switch (b) {
      case 0xc0: return Family::kNil;
      case 0xc2:
      case 0xc3: return Family::kBool;
      case 0xc4:
      case 0xc5:
      case 0xc6: return Family::kBin;
      case 0xc7:
      case 0xc8:
      case 0xc9:
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8: return Family::kExt;
      case 0xca:
      case 0xcb: return Family::kFloat;
      default: return Family::kNever;  // 0xc1
    }
  }

  bool Take(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool TakeBE(int bytes, uint64_t* v) {
    std::string_view s;
    if (!Take(static_cast<size_t>(bytes), &s)) return false;
    uint64_t r = 0;
    for (char c : s) r = (r << 8) | static_cast<uint8_t>(c);
    *v = r;
    return true;
  }
  bool TakeByte(uint8_t* b) {
    if (AtEnd()) return false;
    *b = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  // Each Read* consumes one item of the expected family; false when truncated or a different family.
  bool ReadNil() {
    uint8_t b;
    if (!TakeByte(&b) || b != 0xc0) return false;
    return true;
  }
  bool ReadBool(bool* v) {
    uint8_t b;
    if (!TakeByte(&b) || (b != 0xc2 && b != 0xc3)) return false;
    *v = b == 0xc3;
    return true;
  }
  // Reads any int/uint/float item as a Number.
  Status ReadNumber(Number* n, const AttributePath& path) {
    uint8_t b;
    if (!TakeByte(&b)) return Err(path, "truncated number");
    uint64_t u = 0;
    if (b <= 0x7f) {
      *n = Number::FromUint64(b);
      return Status::Ok();
    }
    if (b >= 0xe0) {
      *n = Number::FromInt64(static_cast<int8_t>(b));
      return Status::Ok();
    }
    int width = 0;
    switch (b) {
      case 0xcc: case 0xd0: width = 1; break;
      case 0xcd: case 0xd1: width = 2; break;
      case 0xce: case 0xd2: case 0xca: width = 4; break;
      case 0xcf: case 0xd3: case 0xcb: width = 8; break;
      default: return Err(path, "number required");
    }
    if (!TakeBE(width, &u)) return Err(path, "truncated number");
    if (b >= 0xcc && b <= 0xcf) {
      *n = Number::FromUint64(u);
    } else if (b >= 0xd0 && b <= 0xd3) {
      int64_t i;
      switch (width) {
        case 1: i = static_cast<int8_t>(u); break;
        case 2: i = static_cast<int16_t>(u); break;
        case 4: i = static_cast<int32_t>(u); break;
        default: i = static_cast<int64_t>(u); break;
      }
      *n = Number::FromInt64(i);
    } else {
      double d;
      if (b == 0xca) {
        uint32_t bits = static_cast<uint32_t>(u);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        d = f;
      } else {
        std::memcpy(&d, &u, sizeof d);
      }
      if (std::isnan(d)) return Err(path, "NaN is not a number value");
      *n = Number::FromDouble(d);
    }
    return Status::Ok();
  }
  // str or bin payload.
  bool ReadStrOrBin(std::string_view* s, bool allow_bin) {
    uint8_t b;
    if (!TakeByte(&b)) return false;
    uint64_t n = 0;
    if (b >= 0xa0 && b <= 0xbf) {
      n = b & 0x1f;
    } else if (b == 0xd9 || (allow_bin && b == 0xc4)) {
      if (!TakeBE(1, &n)) return false;
    } else if (b == 0xda || (allow_bin && b == 0xc5)) {
      if (!TakeBE(2, &n)) return false;
    } else if (b == 0xdb || (allow_bin && b == 0xc6)) {
      if (!TakeBE(4, &n)) return false;
    } else {
      return false;
    }
    return Take(static_cast<size_t>(n), s);
  }
  bool ReadArrayHeader(uint64_t* n) {
    uint8_t b;
    if (!TakeByte(&b)) return false;
    if (b >= 0x90 && b <= 0x9f) {
      *n = b & 0x0f;
    } else if (b == 0xdc) {
      if (!TakeBE(2, n)) return false;
    } else if (b == 0xdd) {
      if (!TakeBE(4, n)) return false;
    } else {
      return false;
    }
    // Every element takes at least one byte: a larger count is a lie (and would over-allocate).
    return *n <= data_.size() - pos_;
  }
  bool ReadMapHeader(uint64_t* n) {
    uint8_t b;
    if (!TakeByte(&b)) return false;
    if (b >= 0x80 && b <= 0x8f) {
      *n = b & 0x0f;
    } else if (b == 0xde) {
      if (!TakeBE(2, n)) return false;
    } else if (b == 0xdf) {
      if (!TakeBE(4, n)) return false;
    } else {
      return false;
    }
    return *n <= (data_.size() - pos_) / 2;
  }
  bool ReadExt(int8_t* type, std::string_view* data) {
    uint8_t b;
    if (!TakeByte(&b)) return false;
    uint64_t n = 0;
    switch (b) {
      case 0xd4: n = 1; break;
      case 0xd5: n = 2; break;
      case 0xd6: n = 4; break;
      case 0xd7: n = 8; break;
      case 0xd8: n = 16; break;
      case 0xc7: if (!TakeBE(1, &n)) return false; break;
      case 0xc8: if (!TakeBE(2, &n)) return false; break;
      case 0xc9: if (!TakeBE(4, &n)) return false; break;
      default: return false;
    }
    uint8_t t;
    if (!TakeByte(&t)) return false;
    *type = static_cast<int8_t>(t);
    return Take(static_cast<size_t>(n), data);
  }

  // Skips one complete item of any kind.
  bool Skip(int depth) {
    if (depth > kMaxDepth || AtEnd()) return false;
    switch (Peek()) {
      case Family::kNil: return ReadNil();
      case Family::kBool: {
        bool b;
        return ReadBool(&b);
      }
      case Family::kInt:
      case Family::kUint:
      case Family::kFloat: {
        Number n;
        return ReadNumber(&n, AttributePath()).ok();
      }
      case Family::kStr:
      case Family::kBin: {
        std::string_view s;
        return ReadStrOrBin(&s, true);
      }
      case Family::kArray: {
        uint64_t n;
        if (!ReadArrayHeader(&n)) return false;
        for (uint64_t i = 0; i < n; ++i) {
          if (!Skip(depth + 1)) return false;
        }
        return true;
      }
      case Family::kMap: {
        uint64_t n;
        if (!ReadMapHeader(&n)) return false;
        for (uint64_t i = 0; i < 2 * n; ++i) {
          if (!Skip(depth + 1)) return false;
        }
        return true;
      }
      case Family::kExt: {
        int8_t t;
        std::string_view d;
        return ReadExt(&t, &d);
      }
      case Family::kNever: return false;
    }
    return false;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

// Parses the type-12 refinement payload; unknown keys are skipped, keys not applicable to `type`
// are ignored. Malformed payloads are errors (Terraform rejects them too).
Status ReadRefinements(std::string_view payload, const Type& type, Refinements* r, const AttributePath& path) {
  Reader rd(payload);
  uint64_t n;
  if (!rd.ReadMapHeader(&n)) return rd.Err(path, "malformed unknown value refinements");
  for (uint64_t i = 0; i < n; ++i) {
    if (rd.AtEnd()) return rd.Err(path, "truncated unknown value refinements");
    Family f = rd.Peek();
    if (f != Family::kInt && f != Family::kUint) return rd.Err(path, "refinement key must be an integer");
    Number key_num;
    TPD_RETURN_IF_ERROR(rd.ReadNumber(&key_num, path));
    int64_t key = key_num.ToInt64().value_or(-1);
    if (rd.AtEnd()) return rd.Err(path, "truncated unknown value refinements");
    switch (key) {
      case 1: {
        bool b;
        if (!rd.ReadBool(&b)) return rd.Err(path, "refinement 1 (nullness) must be a bool");
        if (!b) r->not_null = true;
        break;
      }
      case 2: {
        std::string_view s;
        if (!rd.ReadStrOrBin(&s, false)) return rd.Err(path, "refinement 2 (prefix) must be a string");
        if (!ValidUtf8(s)) return rd.Err(path, "refinement 2 (prefix) is not valid UTF-8");
        if (type.kind() == Type::Kind::kString && !s.empty()) r->string_prefix = std::string(s);
        break;
      }
      case 3:
      case 4: {
        uint64_t len;
        if (!rd.ReadArrayHeader(&len) || len != 2) return rd.Err(path, "number bound refinement must be [number, bool]");
        if (rd.AtEnd()) return rd.Err(path, "truncated number bound refinement");
        Number bound;
        if (rd.Peek() == Family::kStr) {
          std::string_view s;
          if (!rd.ReadStrOrBin(&s, false)) return rd.Err(path, "truncated number bound refinement");
          auto parsed = Number::FromString(s);
          if (!parsed.ok()) return rd.Err(path, "invalid number bound refinement");
          bound = *parsed;
        } else {
          TPD_RETURN_IF_ERROR(rd.ReadNumber(&bound, path));
        }
        bool inclusive;
        if (!rd.ReadBool(&inclusive)) return rd.Err(path, "number bound refinement must be [number, bool]");
        if (type.kind() == Type::Kind::kNumber) {
          (key == 3 ? r->number_lower : r->number_upper) = std::make_pair(bound, inclusive);
        }
        break;
      }
      case 5:
      case 6: {
        Family lf = rd.Peek();
        if (lf != Family::kInt && lf != Family::kUint) return rd.Err(path, "length refinement must be an integer");
        Number len;
        TPD_RETURN_IF_ERROR(rd.ReadNumber(&len, path));
        auto v = len.ToInt64();
        if (!v) return rd.Err(path, "length refinement out of range");
        if (type.IsCollection()) (key == 5 ? r->length_lower : r->length_upper) = *v;
        break;
      }
      default:
        if (!rd.Skip(0)) return rd.Err(path, "malformed unknown value refinements");
    }
  }
  // Bytes after the map are ignored, as Terraform's decoder does.
  return Status::Ok();
}

Result<Value> Decode(Reader* rd, const Type& type, const AttributePath& path, int depth) {
  if (depth > kMaxDepth) return rd->Err(path, "value nests too deeply");
  if (rd->AtEnd()) return rd->Err(path, "unexpected end of input");
  Family f = rd->Peek();
  if (f == Family::kExt) {
    int8_t ext_type;
    std::string_view payload;
    if (!rd->ReadExt(&ext_type, &payload)) return rd->Err(path, "truncated ext (unknown value)");
    Refinements r;
    if (ext_type == 12 && payload.size() > 1 && !type.IsDynamic()) {
      TPD_RETURN_IF_ERROR(ReadRefinements(payload, type, &r, path));
    }
    return Value::Unknown(type, std::move(r));
  }
  if (f == Family::kNil) {
    rd->ReadNil();
    return Value::Null(type);
  }
  switch (type.kind()) {
    case Type::Kind::kDynamic: {
      uint64_t n;
      if (!rd->ReadArrayHeader(&n) || n != 2) {
        return rd->Err(path, "dynamic value must be a 2-element array [type, value]");
      }
      if (rd->AtEnd()) return rd->Err(path, "unexpected end of input");
      std::string_view type_json;
      if (!rd->ReadStrOrBin(&type_json, true)) return rd->Err(path, "dynamic value type must be bin or str");
      auto inner = Type::FromJson(type_json);
      if (!inner.ok()) return rd->Err(path, "invalid dynamic value type: " + inner.status().message());
      if (inner->IsDynamic()) return rd->Err(path, "dynamic value type must be a concrete type");
      return Decode(rd, *inner, path, depth + 1);
    }
    case Type::Kind::kString: {
      std::string_view s;
      if (!rd->ReadStrOrBin(&s, true)) return rd->Err(path, "string required");
      if (!ValidUtf8(s)) return rd->Err(path, "string is not valid UTF-8");
      return Value::String(std::string(s));
    }
    case Type::Kind::kBool: {
      bool b;
      if (!rd->ReadBool(&b)) return rd->Err(path, "bool required");
      return Value::Bool(b);
    }
    case Type::Kind::kNumber: {
      if (f == Family::kStr) {
        std::string_view s;
        if (!rd->ReadStrOrBin(&s, false)) return rd->Err(path, "truncated number string");
        auto n = Number::FromString(s);
        if (!n.ok()) return rd->Err(path, n.status().message());
        return Value::Num(*n);
      }
      if (f != Family::kInt && f != Family::kUint && f != Family::kFloat) return rd->Err(path, "number required");
      Number n;
      TPD_RETURN_IF_ERROR(rd->ReadNumber(&n, path));
      return Value::Num(std::move(n));
    }
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple: {
      uint64_t n;
      if (!rd->ReadArrayHeader(&n)) return rd->Err(path, type.FriendlyName() + " required (array)");
      if (type.kind() == Type::Kind::kTuple && n != type.tuple_elements().size()) {
        return rd->Err(path, "tuple of " + std::to_string(type.tuple_elements().size()) + " elements required, got " +
                                 std::to_string(n));
      }
      std::vector<Value> elems;
      elems.reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; ++i) {
        const Type& et = type.kind() == Type::Kind::kTuple ? type.tuple_elements()[i] : type.element();
        TPD_ASSIGN_OR_RETURN(Value e, Decode(rd, et, path.Index(static_cast<int64_t>(i)), depth + 1));
        elems.push_back(std::move(e));
      }
      if (type.kind() == Type::Kind::kList) return Value::List(type.element(), std::move(elems));
      if (type.kind() == Type::Kind::kSet) return Value::Set(type.element(), std::move(elems));
      return Value::Tuple(std::move(elems));
    }
    case Type::Kind::kMap:
    case Type::Kind::kObject: {
      uint64_t n;
      if (!rd->ReadMapHeader(&n)) return rd->Err(path, type.FriendlyName() + " required (map)");
      bool is_obj = type.kind() == Type::Kind::kObject;
      if (is_obj && n != type.attributes().size()) {
        return rd->Err(path, "an object with " + std::to_string(type.attributes().size()) +
                                 " attributes is required (" + std::to_string(n) + " given)");
      }
      std::map<std::string, Value> elems;
      for (uint64_t i = 0; i < n; ++i) {
        std::string_view key;
        if (rd->AtEnd() || rd->Peek() != Family::kStr || !rd->ReadStrOrBin(&key, false)) {
          return rd->Err(path, "map keys must be strings");
        }
        if (!ValidUtf8(key)) return rd->Err(path, "map key is not valid UTF-8");
        std::string k(key);
        if (elems.count(k)) return rd->Err(path, "duplicate key \"" + k + "\"");
        const Type* et = &type;
        if (is_obj) {
          auto it = type.attributes().find(k);
          if (it == type.attributes().end()) return rd->Err(path, "unsupported attribute \"" + k + "\"");
          et = &it->second;
        } else {
          et = &type.element();
        }
        TPD_ASSIGN_OR_RETURN(Value e, Decode(rd, *et, is_obj ? path.Attr(k) : path.Key(k), depth + 1));
        elems.emplace(std::move(k), std::move(e));
      }
      if (is_obj) return Value::Object(type, std::move(elems));
      return Value::Map(type.element(), std::move(elems));
    }
  }
  return rd->Err(path, "unsupported type");
}

}  // namespace

Result<std::string> EncodeMsgpack(const Value& v, const Type& type) {
  Writer w;
  TPD_RETURN_IF_ERROR(Encode(&w, v, type, AttributePath(), 0));
  return std::move(w.out());
}

Result<Value> DecodeMsgpack(std::string_view data, const Type& type) {
  if (data.empty()) return Value::Null(type);
  Reader rd(data);
  TPD_ASSIGN_OR_RETURN(Value v, Decode(&rd, type, AttributePath(), 0));
  if (!rd.AtEnd()) return rd.Err(AttributePath(), "trailing bytes after value");
  return v;
}

}  // namespace tpd::schema
