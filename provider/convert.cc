#include "provider/convert.h"

#include <string>
#include <type_traits>
#include <utility>

#include "schema/codec.h"

namespace tpd::provider {
namespace {

// The proto messages of both versions have the same field names, so one template serves both.

template <typename ProtoBlock>
void BlockToProto(const schema::Block& in, ProtoBlock* out) {
  out->Clear();
  for (const schema::Attribute& a : in.attributes) {
    auto* pa = out->add_attributes();
    pa->set_name(a.name);
    pa->set_type(a.type.ToJson());
    pa->set_description(a.description);
    // description_kind stays PLAIN (0): our descriptions are plain text.
    pa->set_required(a.required);
    pa->set_optional(a.optional);
    pa->set_computed(a.computed);
    pa->set_sensitive(a.sensitive);
    pa->set_deprecated(a.deprecated);
    if (a.deprecated) pa->set_deprecation_message(a.deprecation_message);
  }
  for (const schema::NestedBlock& nb : in.block_types) {
    auto* pb = out->add_block_types();
    pb->set_type_name(nb.type_name);
    using Mode = std::remove_cv_t<std::remove_reference_t<decltype(pb->nesting())>>;
    pb->set_nesting(static_cast<Mode>(static_cast<int>(nb.nesting)));
    pb->set_min_items(nb.min_items);
    pb->set_max_items(nb.max_items);
    BlockToProto(nb.block, pb->mutable_block());  // always set, even when empty
  }
  out->set_description(in.description);
  out->set_deprecated(in.deprecated);
}

template <typename ProtoSchema>
void SchemaToProtoT(const schema::Schema& in, ProtoSchema* out) {
  out->Clear();
  out->set_version(in.version);
  BlockToProto(in.block, out->mutable_block());
}

template <typename ProtoPath>
void PathToProtoT(const schema::AttributePath& in, ProtoPath* out) {
  out->Clear();
  for (const schema::PathStep& s : in.steps()) {
    auto* ps = out->add_steps();
    switch (s.kind) {
      case schema::PathStep::Kind::kAttribute:
        ps->set_attribute_name(s.name);
        break;
      case schema::PathStep::Kind::kElementKeyString:
        ps->set_element_key_string(s.name);
        break;
      case schema::PathStep::Kind::kElementKeyInt:
        ps->set_element_key_int(s.index);
        break;
    }
  }
}

template <typename ProtoPath>
schema::AttributePath PathFromProtoT(const ProtoPath& in) {
  std::vector<schema::PathStep> steps;
  for (const auto& ps : in.steps()) {
    if (ps.has_attribute_name()) {
      steps.push_back(schema::PathStep::Attr(ps.attribute_name()));
    } else if (ps.has_element_key_string()) {
      steps.push_back(schema::PathStep::Key(ps.element_key_string()));
    } else if (ps.has_element_key_int()) {
      steps.push_back(schema::PathStep::Index(ps.element_key_int()));
    }
  }
  return schema::AttributePath(std::move(steps));
}

template <typename ProtoDiag>
void DiagnosticsToProtoT(const schema::Diagnostics& in, google::protobuf::RepeatedPtrField<ProtoDiag>* out) {
  for (const schema::Diagnostic& d : in.items()) {
    ProtoDiag* pd = out->Add();
    using Severity = std::remove_cv_t<std::remove_reference_t<decltype(pd->severity())>>;
    pd->set_severity(static_cast<Severity>(static_cast<int>(d.severity)));
    pd->set_summary(d.summary);
    pd->set_detail(d.detail);
    if (d.attribute && !d.attribute->empty()) PathToProtoT(*d.attribute, pd->mutable_attribute());
  }
}

template <typename ProtoDV>
Result<schema::Value> DecodeT(const ProtoDV& in, const schema::Type& type) {
  if (!in.msgpack().empty()) return schema::DecodeMsgpack(in.msgpack(), type);
  if (!in.json().empty()) return schema::DecodeJson(in.json(), type);
  return schema::Value::Null(type);
}

template <typename ProtoDV>
Status EncodeT(const schema::Value& v, const schema::Type& type, ProtoDV* out) {
  out->Clear();
  Result<std::string> bytes = schema::EncodeMsgpack(v, type);
  if (!bytes.ok()) return bytes.status();
  out->set_msgpack(std::move(bytes).value());
  return Status::Ok();
}

}  // namespace

void SchemaToProto(const schema::Schema& in, tfplugin5::Schema* out) { SchemaToProtoT(in, out); }
void SchemaToProto(const schema::Schema& in, tfplugin6::Schema* out) { SchemaToProtoT(in, out); }

void DiagnosticsToProto(const schema::Diagnostics& in,
                        google::protobuf::RepeatedPtrField<tfplugin5::Diagnostic>* out) {
  DiagnosticsToProtoT(in, out);
}
void DiagnosticsToProto(const schema::Diagnostics& in,
                        google::protobuf::RepeatedPtrField<tfplugin6::Diagnostic>* out) {
  DiagnosticsToProtoT(in, out);
}

void PathToProto(const schema::AttributePath& in, tfplugin5::AttributePath* out) { PathToProtoT(in, out); }
void PathToProto(const schema::AttributePath& in, tfplugin6::AttributePath* out) { PathToProtoT(in, out); }
schema::AttributePath PathFromProto(const tfplugin5::AttributePath& in) { return PathFromProtoT(in); }
schema::AttributePath PathFromProto(const tfplugin6::AttributePath& in) { return PathFromProtoT(in); }

Result<schema::Value> DecodeDynamicValue(const tfplugin5::DynamicValue& in, const schema::Type& type) {
  return DecodeT(in, type);
}
Result<schema::Value> DecodeDynamicValue(const tfplugin6::DynamicValue& in, const schema::Type& type) {
  return DecodeT(in, type);
}

Status EncodeDynamicValue(const schema::Value& v, const schema::Type& type, tfplugin5::DynamicValue* out) {
  return EncodeT(v, type, out);
}
Status EncodeDynamicValue(const schema::Value& v, const schema::Type& type, tfplugin6::DynamicValue* out) {
  return EncodeT(v, type, out);
}

}  // namespace tpd::provider
