// Conversions between our schema/value/diagnostic model and the generated protobuf messages of
// tfplugin5 and tfplugin6. One overload per protocol version; the two share one implementation.
//
// Thread-safety: all functions are pure; call them from any thread.
#ifndef TPD_PROVIDER_CONVERT_H_
#define TPD_PROVIDER_CONVERT_H_

#include "proto/tfplugin5.pb.h"
#include "proto/tfplugin6.pb.h"
#include "schema/diagnostics.h"
#include "schema/path.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::provider {

// schema::Schema -> proto Schema: version, and a block that is always set (also inside every nested
// block); attribute `type` is the type JSON bytes; description_kind PLAIN; deprecation_message only
// with deprecated; nesting modes and min/max items as declared. Overwrites `out`.
void SchemaToProto(const schema::Schema& in, tfplugin5::Schema* out);
void SchemaToProto(const schema::Schema& in, tfplugin6::Schema* out);

// Appends one proto Diagnostic per item: severity ERROR/WARNING (never INVALID), summary, detail
// and the attribute path when set.
void DiagnosticsToProto(const schema::Diagnostics& in,
                        google::protobuf::RepeatedPtrField<tfplugin5::Diagnostic>* out);
void DiagnosticsToProto(const schema::Diagnostics& in,
                        google::protobuf::RepeatedPtrField<tfplugin6::Diagnostic>* out);

// AttributePath <-> proto: attribute -> attribute_name, map key -> element_key_string, list index ->
// element_key_int. FromProto skips steps with no selector set.
void PathToProto(const schema::AttributePath& in, tfplugin5::AttributePath* out);
void PathToProto(const schema::AttributePath& in, tfplugin6::AttributePath* out);
schema::AttributePath PathFromProto(const tfplugin5::AttributePath& in);
schema::AttributePath PathFromProto(const tfplugin6::AttributePath& in);

// DynamicValue -> Value of `type`: msgpack when set, else json (fallback; cannot hold unknowns),
// else null of `type` (Terraform's rule for an unset DynamicValue). InvalidArgument when the bytes
// do not decode against `type`.
Result<schema::Value> DecodeDynamicValue(const tfplugin5::DynamicValue& in, const schema::Type& type);
Result<schema::Value> DecodeDynamicValue(const tfplugin6::DynamicValue& in, const schema::Type& type);

// Value -> DynamicValue (msgpack only, json left empty). InvalidArgument when `v` does not conform to
// `type`; `out` is then cleared.
Status EncodeDynamicValue(const schema::Value& v, const schema::Type& type, tfplugin5::DynamicValue* out);
Status EncodeDynamicValue(const schema::Value& v, const schema::Type& type, tfplugin6::DynamicValue* out);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_CONVERT_H_
