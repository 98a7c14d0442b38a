// JSON codec for cty values (go-cty's json package; FACTS.md §4.4). Numbers keep their full decimal
// text in both directions: the decoder reads them through nlohmann's SAX interface, which hands us
// the raw text of every non-integer (and of integers too large for 64 bits).
#include <exception>
#include <functional>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "schema/codec.h"
#include "schema/codec_internal.h"

namespace tpd::schema {

namespace {

constexpr int kMaxDepth = 128;

std::string PathText(const AttributePath& path) { return path.empty() ? std::string("(root)") : path.ToString(); }

Status JsonErr(const AttributePath& path, const std::string& what) {
  return Status::InvalidArgument("json: " + what + " at " + PathText(path)).WithPath(path);
}

// ---------------------------------------------------------------------------------------------
// Encoder

Status AppendJsonString(std::string* out, const std::string& s) {
  try {
    out->append(nlohmann::json(s).dump());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("string is not valid UTF-8: ") + e.what());
  }
  return Status::Ok();
}

Status EncodeJsonValue(std::string* out, const Value& v, const Type& type, const AttributePath& path, int depth) {
  if (depth > kMaxDepth) return JsonErr(path, "value nests too deeply");
  if (!v.IsWhollyKnown()) return JsonErr(path, "value is not known");
  if (type.IsDynamic()) {
    // {"value": v, "type": T}, also for nulls (cty does the same).
    if (v.type().IsDynamic()) {
      out->append("{\"value\":null,\"type\":\"dynamic\"}");
      return Status::Ok();
    }
    Type concrete = ConcreteTypeOf(v);
    out->append("{\"value\":");
    TPD_RETURN_IF_ERROR(EncodeJsonValue(out, v, concrete, path, depth + 1));
    out->append(",\"type\":");
    out->append(concrete.ToJson());
    out->push_back('}');
    return Status::Ok();
  }
  if (v.IsNull()) {
    out->append("null");
    return Status::Ok();
  }
  if (v.type().kind() != type.kind()) {
    return JsonErr(path, type.FriendlyName() + " required, got " + v.type().FriendlyName());
  }
  switch (type.kind()) {
    case Type::Kind::kString: {
      Status s = AppendJsonString(out, v.AsString());
      if (!s.ok()) return JsonErr(path, s.message());
      return Status::Ok();
    }
    case Type::Kind::kBool: out->append(v.AsBool() ? "true" : "false"); return Status::Ok();
    case Type::Kind::kNumber:
      if (v.AsNumber().IsInfinity()) return JsonErr(path, "infinity cannot be written as JSON");
      out->append(v.AsNumber().ToString());
      return Status::Ok();
    case Type::Kind::kDynamic: return Status::Ok();  // handled above
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple: {
      const auto& elems = v.Elements();
      if (type.kind() == Type::Kind::kTuple && elems.size() != type.tuple_elements().size()) {
        return JsonErr(path, "tuple length mismatch");
      }
      out->push_back('[');
      for (size_t i = 0; i < elems.size(); ++i) {
        if (i) out->push_back(',');
        const Type& et = type.kind() == Type::Kind::kTuple ? type.tuple_elements()[i] : type.element();
        TPD_RETURN_IF_ERROR(EncodeJsonValue(out, elems[i], et, path.Index(static_cast<int64_t>(i)), depth + 1));
      }
      out->push_back(']');
      return Status::Ok();
    }
    case Type::Kind::kMap:
    case Type::Kind::kObject: {
      bool is_obj = type.kind() == Type::Kind::kObject;
      const auto& have = v.Attributes();
      if (is_obj) {
        for (const auto& [name, e] : have) {
          if (!type.attributes().count(name)) return JsonErr(path, "unsupported attribute \"" + name + "\"");
        }
      }
      out->push_back('{');
      bool first = true;
      auto emit = [&](const std::string& k, const Value& e, const Type& et, const AttributePath& p) -> Status {
        if (!first) out->push_back(',');
        first = false;
        Status s = AppendJsonString(out, k);
        if (!s.ok()) return JsonErr(path, s.message());
        out->push_back(':');
        return EncodeJsonValue(out, e, et, p, depth + 1);
      };
      if (is_obj) {
        for (const auto& [name, at] : type.attributes()) {
          auto it = have.find(name);
          Value e = it == have.end() ? Value::Null(at) : it->second;
          TPD_RETURN_IF_ERROR(emit(name, e, at, path.Attr(name)));
        }
      } else {
        for (const auto& [k, e] : have) TPD_RETURN_IF_ERROR(emit(k, e, type.element(), path.Key(k)));
      }
      out->push_back('}');
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Decoder: a small DOM built with nlohmann's SAX parser, keeping number text.

struct JNode {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = Kind::kNull;
  bool b = false;
  std::string text;  // string value or number text
  std::vector<JNode> elems;        // array elements, or object member values
  std::vector<std::string> keys;   // object member keys (parallel to elems)
};

class DomBuilder : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DomBuilder(JNode* root) { root_ = root; }

  bool null() override { return Add(JNode{}); }
  bool boolean(bool val) override {
    JNode n;
    n.kind = JNode::Kind::kBool;
    n.b = val;
    return Add(std::move(n));
  }
  bool number_integer(number_integer_t val) override { return AddNumber(std::to_string(val)); }
  bool number_unsigned(number_unsigned_t val) override { return AddNumber(std::to_string(val)); }
  bool number_float(number_float_t, const string_t& s) override { return AddNumber(s); }
  bool string(string_t& val) override {
    JNode n;
    n.kind = JNode::Kind::kString;
    n.text = std::move(val);
    return Add(std::move(n));
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override {
    JNode n;
    n.kind = JNode::Kind::kObject;
    return Open(std::move(n));
  }
  bool key(string_t& val) override {
    JNode* top = stack_.back();
    if (!seen_keys_.back().insert(val).second) {
      error_ = "duplicate object key \"" + val + "\"";
      return false;
    }
    top->keys.push_back(std::move(val));
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    seen_keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    JNode n;
    n.kind = JNode::Kind::kArray;
    return Open(std::move(n));
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    error_ = "invalid JSON at byte " + std::to_string(position) + ": " + ex.what();
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool AddNumber(std::string text) {
    JNode n;
    n.kind = JNode::Kind::kNumber;
    n.text = std::move(text);
    return Add(std::move(n));
  }
  // Places `n` in its parent and returns where it now lives.
  JNode* Place(JNode n) {
    if (stack_.empty()) {
      *root_ = std::move(n);
      return root_;
    }
    JNode* top = stack_.back();
    top->elems.push_back(std::move(n));
    return &top->elems.back();
  }
  bool Add(JNode n) {
    Place(std::move(n));
    return true;
  }
  bool Open(JNode n) {
    if (stack_.size() >= static_cast<size_t>(kMaxDepth)) {
      error_ = "JSON nests too deeply";
      return false;
    }
    bool is_object = n.kind == JNode::Kind::kObject;
    stack_.push_back(Place(std::move(n)));
    if (is_object) seen_keys_.emplace_back();
    return true;
  }

  JNode* root_;
  // Open containers. Pointers stay valid: a container's own vector only grows while it is the top.
  std::vector<JNode*> stack_;
  // Keys seen so far in each open object, to reject duplicates in O(log n).
  std::vector<std::set<std::string>> seen_keys_;
  std::string error_;
};

Result<Value> DecodeNode(const JNode& n, const Type& type, const JsonDecodeOptions& opts, const AttributePath& path,
                         int depth) {
  if (depth > kMaxDepth) return JsonErr(path, "value nests too deeply");
  if (n.kind == JNode::Kind::kNull) return Value::Null(type);
  switch (type.kind()) {
    case Type::Kind::kDynamic: {
      if (n.kind != JNode::Kind::kObject) return JsonErr(path, "dynamic value must be {\"value\":..., \"type\":...}");
      const JNode* vnode = nullptr;
      const JNode* tnode = nullptr;
      for (size_t i = 0; i < n.keys.size(); ++i) {
        const std::string& k = n.keys[i];
        const JNode& m = n.elems[i];
        if (k == "value") vnode = &m;
        else if (k == "type") tnode = &m;
        else return JsonErr(path, "dynamic value has unsupported key \"" + k + "\"");
      }
      if (!vnode || !tnode) return JsonErr(path, "dynamic value needs both \"value\" and \"type\"");
      // Re-serialise the type node so Type::FromJson applies its strict rules.
      std::string type_json;
      std::function<bool(const JNode&, int)> dump = [&](const JNode& t, int d) -> bool {
        if (d > kMaxDepth) return false;
        switch (t.kind) {
          case JNode::Kind::kString: type_json += nlohmann::json(t.text).dump(); return true;
          case JNode::Kind::kArray:
            type_json.push_back('[');
            for (size_t i = 0; i < t.elems.size(); ++i) {
              if (i) type_json.push_back(',');
              if (!dump(t.elems[i], d + 1)) return false;
            }
            type_json.push_back(']');
            return true;
          case JNode::Kind::kObject:
            type_json.push_back('{');
            for (size_t i = 0; i < t.keys.size(); ++i) {
              if (i) type_json.push_back(',');
              type_json += nlohmann::json(t.keys[i]).dump();
              type_json.push_back(':');
              if (!dump(t.elems[i], d + 1)) return false;
            }
            type_json.push_back('}');
            return true;
          default:
            return false;
        }
      };
      bool dumped = false;
      try {
        dumped = dump(*tnode, 0);
      } catch (const std::exception&) {
        dumped = false;
      }
      if (!dumped) return JsonErr(path, "invalid dynamic value type");
      auto inner = Type::FromJson(type_json);
      if (!inner.ok()) return JsonErr(path, "invalid dynamic value type: " + inner.status().message());
      if (inner->IsDynamic()) {
        if (vnode->kind == JNode::Kind::kNull) return Value::Null(Type::Dynamic());
        return JsonErr(path, "dynamic value type must be a concrete type");
      }
      return DecodeNode(*vnode, *inner, opts, path, depth + 1);
    }
    case Type::Kind::kString:
      if (n.kind == JNode::Kind::kString || n.kind == JNode::Kind::kNumber) return Value::String(n.text);
      if (n.kind == JNode::Kind::kBool) return Value::String(n.b ? "true" : "false");
      return JsonErr(path, "string required");
    case Type::Kind::kNumber: {
      if (n.kind != JNode::Kind::kNumber && n.kind != JNode::Kind::kString) return JsonErr(path, "number required");
      auto num = Number::FromString(n.text);
      if (!num.ok()) return JsonErr(path, num.status().message());
      if (num->IsInfinity()) return JsonErr(path, "infinity cannot be represented in JSON");
      return Value::Num(*num);
    }
    case Type::Kind::kBool:
      if (n.kind == JNode::Kind::kBool) return Value::Bool(n.b);
      if (n.kind == JNode::Kind::kString && (n.text == "true" || n.text == "false")) return Value::Bool(n.text == "true");
      return JsonErr(path, "bool required");
    case Type::Kind::kList:
    case Type::Kind::kSet:
    case Type::Kind::kTuple: {
      if (n.kind != JNode::Kind::kArray) return JsonErr(path, type.FriendlyName() + " required (array)");
      if (type.kind() == Type::Kind::kTuple && n.elems.size() != type.tuple_elements().size()) {
        return JsonErr(path, "tuple of " + std::to_string(type.tuple_elements().size()) + " elements required, got " +
                                 std::to_string(n.elems.size()));
      }
      std::vector<Value> elems;
      for (size_t i = 0; i < n.elems.size(); ++i) {
        const Type& et = type.kind() == Type::Kind::kTuple ? type.tuple_elements()[i] : type.element();
        TPD_ASSIGN_OR_RETURN(Value e, DecodeNode(n.elems[i], et, opts, path.Index(static_cast<int64_t>(i)), depth + 1));
        elems.push_back(std::move(e));
      }
      if (type.kind() == Type::Kind::kList) return Value::List(type.element(), std::move(elems));
      if (type.kind() == Type::Kind::kSet) return Value::Set(type.element(), std::move(elems));
      return Value::Tuple(std::move(elems));
    }
    case Type::Kind::kMap: {
      if (n.kind != JNode::Kind::kObject) return JsonErr(path, type.FriendlyName() + " required (object)");
      std::map<std::string, Value> elems;
      for (size_t i = 0; i < n.keys.size(); ++i) {
        const std::string& k = n.keys[i];
        const JNode& m = n.elems[i];
        TPD_ASSIGN_OR_RETURN(Value e, DecodeNode(m, type.element(), opts, path.Key(k), depth + 1));
        elems.emplace(k, std::move(e));
      }
      return Value::Map(type.element(), std::move(elems));
    }
    case Type::Kind::kObject: {
      if (n.kind != JNode::Kind::kObject) return JsonErr(path, "object required");
      std::map<std::string, Value> attrs;
      for (size_t i = 0; i < n.keys.size(); ++i) {
        const std::string& k = n.keys[i];
        const JNode& m = n.elems[i];
        auto it = type.attributes().find(k);
        if (it == type.attributes().end()) {
          if (opts.ignore_unknown_attributes) continue;
          return JsonErr(path, "unsupported attribute \"" + k + "\"");
        }
        TPD_ASSIGN_OR_RETURN(Value e, DecodeNode(m, it->second, opts, path.Attr(k), depth + 1));
        attrs.emplace(k, std::move(e));
      }
      if (!opts.missing_attributes_are_null) {
        for (const auto& [name, at] : type.attributes()) {
          if (!attrs.count(name)) return JsonErr(path, "missing attribute \"" + name + "\"");
        }
      }
      return Value::Object(type, std::move(attrs));
    }
  }
  return JsonErr(path, "unsupported type");
}

}  // namespace

Result<std::string> EncodeJson(const Value& v, const Type& type) {
  std::string out;
  TPD_RETURN_IF_ERROR(EncodeJsonValue(&out, v, type, AttributePath(), 0));
  return out;
}

Result<Value> DecodeJson(std::string_view json, const Type& type, const JsonDecodeOptions& options) {
  bool blank = json.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) return Value::Null(type);
  JNode root;
  DomBuilder builder(&root);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(json.begin(), json.end(), &builder, nlohmann::json::input_format_t::json, true);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("json: invalid JSON: ") + e.what());
  }
  if (!ok) {
    return Status::InvalidArgument("json: " + (builder.error().empty() ? std::string("invalid JSON") : builder.error()));
  }
  return DecodeNode(root, type, options, AttributePath(), 0);
}

}  // namespace tpd::schema
