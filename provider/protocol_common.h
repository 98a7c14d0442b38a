// Private to provider/: the RPC bodies shared by the tfplugin5 and tfplugin6 services. The two
// protocols use different C++ message types with identical field names, so each RPC is one template
// instantiated by protocol5.cc and protocol6.cc. Each body decodes the request's DynamicValues
// against the schema of the named type, calls the one ProviderCore method and encodes the answer
// (msgpack only). Decoding problems and unknown type names become error diagnostics.
//
// Every Serve* returns grpc::Status::OK: errors travel as diagnostics, never as gRPC errors, and no
// exception escapes (Guarded clears the response and reports the failure as a diagnostic).
#ifndef TPD_PROVIDER_PROTOCOL_COMMON_H_
#define TPD_PROVIDER_PROTOCOL_COMMON_H_

#include <string>
#include <string_view>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "provider/convert.h"
#include "provider/framework.h"
#include "provider/log.h"
#include "schema/diagnostics.h"
#include "schema/schema.h"
#include "schema/value.h"

namespace tpd::provider::internal {

// Runs `body`; on any exception clears `resp` and puts one error diagnostic in it.
template <typename Resp, typename F>
grpc::Status Guarded(std::string_view rpc, Resp* resp, F&& body) {
  try {
    body();
  } catch (...) {
    try {
      resp->Clear();
      schema::Diagnostics diags;
      diags.AddError("Internal error in provider",
                     "An unexpected exception escaped " + std::string(rpc) +
                         ". This is a bug in the provider (terraform-provider-database).");
      DiagnosticsToProto(diags, resp->mutable_diagnostics());
      log::Error("unexpected exception in gRPC handler", {{"rpc", std::string(rpc)}});
    } catch (...) {
      // Out of memory while reporting: nothing more can be done safely.
    }
  }
  return grpc::Status::OK;
}

// Decodes `dv` against `type` into `out`. On failure adds an error diagnostic naming `what`.
template <typename DV>
bool DecodeInto(const DV& dv, const schema::Type& type, std::string_view what, schema::Value* out,
                schema::Diagnostics* diags) {
  Result<schema::Value> v = DecodeDynamicValue(dv, type);
  if (!v.ok()) {
    diags->AddError("Invalid " + std::string(what) + " value from Terraform",
                    "The provider could not decode the " + std::string(what) + ": " + v.status().message());
    return false;
  }
  *out = std::move(v).value();
  return true;
}

// Encodes `v` into `dv`. On failure adds an error diagnostic (a provider bug) and leaves `dv` empty.
template <typename DV>
bool EncodeInto(const schema::Value& v, const schema::Type& type, DV* dv, schema::Diagnostics* diags) {
  Status s = EncodeDynamicValue(v, type, dv);
  if (!s.ok()) {
    diags->AddError("Provider produced an unencodable value",
                    "The provider could not encode its answer: " + s.message() +
                        ". This is a bug in the provider (terraform-provider-database).");
    return false;
  }
  return true;
}

template <typename Caps>
void CapabilitiesToProto(const ServerCapabilities& in, Caps* out) {
  out->set_plan_destroy(in.plan_destroy);
  out->set_get_provider_schema_optional(in.get_provider_schema_optional);
  out->set_move_resource_state(in.move_resource_state);
  out->set_generate_resource_config(in.generate_resource_config);
}

// Schema for decoding a resource/data source config; adds "unknown type" when missing. Startup
// errors win over everything else.
inline const schema::Schema* LookUp(const ProviderCore& core, bool data_source, std::string_view type_name,
                                    schema::Diagnostics* diags) {
  if (core.StartupDiagnostics().HasError()) {
    diags->Append(core.StartupDiagnostics());
    return nullptr;
  }
  const schema::Schema* s = data_source ? core.DataSourceSchema(type_name) : core.ResourceSchema(type_name);
  if (s == nullptr) ProviderCore::AddUnknownType(data_source ? "data source" : "resource", type_name, diags);
  return s;
}

template <typename Resp>
grpc::Status ServeGetProviderSchema(const ProviderCore& core, Resp* resp) {
  return Guarded("GetProviderSchema", resp, [&] {
    SchemaResponse r = core.GetProviderSchema();
    // `provider` is always set (Terraform dereferences its block).
    SchemaToProto(r.provider ? *r.provider : schema::Schema{}, resp->mutable_provider());
    for (const auto& [name, s] : r.resources) SchemaToProto(*s, &(*resp->mutable_resource_schemas())[name]);
    for (const auto& [name, s] : r.data_sources) SchemaToProto(*s, &(*resp->mutable_data_source_schemas())[name]);
    CapabilitiesToProto(r.capabilities, resp->mutable_server_capabilities());
    DiagnosticsToProto(r.diagnostics, resp->mutable_diagnostics());
  });
}

template <typename Resp>
grpc::Status ServeGetMetadata(const ProviderCore& core, Resp* resp) {
  return Guarded("GetMetadata", resp, [&] {
    MetadataResponse r = core.GetMetadata();
    for (const auto& name : r.resources) resp->add_resources()->set_type_name(name);
    for (const auto& name : r.data_sources) resp->add_data_sources()->set_type_name(name);
    CapabilitiesToProto(r.capabilities, resp->mutable_server_capabilities());
    DiagnosticsToProto(r.diagnostics, resp->mutable_diagnostics());
  });
}

// ValidateProviderConfig (v6) / PrepareProviderConfig (v5: prepared_config left empty).
template <typename Req, typename Resp>
grpc::Status ServeValidateProviderConfig(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("ValidateProviderConfig", resp, [&] {
    schema::Diagnostics diags;
    schema::Value config;
    if (DecodeInto(req.config(), core.ProviderSchema().block.ImpliedType(), "provider configuration", &config,
                   &diags)) {
      diags.Append(core.ValidateProviderConfig(config));
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

// ValidateResourceConfig / ValidateResourceTypeConfig and the data source variants.
template <typename Req, typename Resp>
grpc::Status ServeValidateConfig(const ProviderCore& core, bool data_source, const Req& req, Resp* resp) {
  return Guarded(data_source ? "ValidateDataResourceConfig" : "ValidateResourceConfig", resp, [&] {
    schema::Diagnostics diags;
    const schema::Schema* s = LookUp(core, data_source, req.type_name(), &diags);
    schema::Value config;
    if (s != nullptr && DecodeInto(req.config(), s->block.ImpliedType(), "configuration", &config, &diags)) {
      diags.Append(data_source ? core.ValidateDataSourceConfig(req.type_name(), config)
                               : core.ValidateResourceConfig(req.type_name(), config));
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

// ConfigureProvider (v6) / Configure (v5).
template <typename Req, typename Resp>
grpc::Status ServeConfigureProvider(ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("ConfigureProvider", resp, [&] {
    schema::Diagnostics diags;
    schema::Value config;
    if (DecodeInto(req.config(), core.ProviderSchema().block.ImpliedType(), "provider configuration", &config,
                   &diags)) {
      diags.Append(core.ConfigureProvider(config));
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

template <typename Req, typename Resp>
grpc::Status ServeUpgradeResourceState(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("UpgradeResourceState", resp, [&] {
    schema::Diagnostics diags;
    if (const schema::Schema* s = LookUp(core, false, req.type_name(), &diags)) {
      UpgradeStateResponse r = core.UpgradeResourceState(req.type_name(), req.version(), req.raw_state().json(),
                                                         req.raw_state().flatmap_size() > 0);
      diags.Append(r.diagnostics);
      if (!r.diagnostics.HasError())
        EncodeInto(r.upgraded_state, s->block.ImpliedType(), resp->mutable_upgraded_state(), &diags);
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

template <typename Req, typename Resp>
grpc::Status ServeReadResource(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("ReadResource", resp, [&] {
    schema::Diagnostics diags;
    const schema::Schema* s = LookUp(core, false, req.type_name(), &diags);
    schema::Value current;
    if (s != nullptr && DecodeInto(req.current_state(), s->block.ImpliedType(), "current state", &current, &diags)) {
      ReadResourceResponse r = core.ReadResource(req.type_name(), current, req.private_());
      diags.Append(r.diagnostics);
      if (r.has_state) {
        if (EncodeInto(r.new_state, s->block.ImpliedType(), resp->mutable_new_state(), &diags))
          resp->set_private_(r.private_data);
      } else {
        // Errors: hand the current state back unchanged so nothing is lost whatever Terraform does.
        *resp->mutable_new_state() = req.current_state();
        resp->set_private_(req.private_());
      }
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

template <typename Req, typename Resp>
grpc::Status ServePlanResourceChange(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("PlanResourceChange", resp, [&] {
    schema::Diagnostics diags;
    const schema::Schema* s = LookUp(core, false, req.type_name(), &diags);
    schema::Value prior, proposed, config;
    if (s != nullptr) {
      const schema::Type type = s->block.ImpliedType();
      if (DecodeInto(req.prior_state(), type, "prior state", &prior, &diags) &&
          DecodeInto(req.proposed_new_state(), type, "proposed new state", &proposed, &diags) &&
          DecodeInto(req.config(), type, "configuration", &config, &diags)) {
        PlanResourceResponse r = core.PlanResourceChange(req.type_name(), prior, proposed, config, req.prior_private());
        diags.Append(r.diagnostics);
        if (r.has_state && EncodeInto(r.planned_state, type, resp->mutable_planned_state(), &diags)) {
          for (const auto& p : r.requires_replace) PathToProto(p, resp->add_requires_replace());
          resp->set_planned_private(r.planned_private);
        }
      }
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

template <typename Req, typename Resp>
grpc::Status ServeApplyResourceChange(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("ApplyResourceChange", resp, [&] {
    schema::Diagnostics diags;
    const schema::Schema* s = LookUp(core, false, req.type_name(), &diags);
    schema::Value prior, planned, config;
    if (s != nullptr) {
      const schema::Type type = s->block.ImpliedType();
      if (DecodeInto(req.prior_state(), type, "prior state", &prior, &diags) &&
          DecodeInto(req.planned_state(), type, "planned state", &planned, &diags) &&
          DecodeInto(req.config(), type, "configuration", &config, &diags)) {
        ApplyResourceResponse r =
            core.ApplyResourceChange(req.type_name(), prior, planned, config, req.planned_private());
        diags.Append(r.diagnostics);
        if (r.has_state && EncodeInto(r.new_state, type, resp->mutable_new_state(), &diags))
          resp->set_private_(r.private_data);
      }
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

template <typename Req, typename Resp>
grpc::Status ServeImportResourceState(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("ImportResourceState", resp, [&] {
    schema::Diagnostics diags;
    if (const schema::Schema* s = LookUp(core, false, req.type_name(), &diags)) {
      ImportResourceResponse r = core.ImportResourceState(req.type_name(), req.id());
      diags.Append(r.diagnostics);
      for (const auto& imp : r.imported) {
        auto* out = resp->add_imported_resources();
        out->set_type_name(imp.type_name);
        out->set_private_(imp.private_data);
        if (!EncodeInto(imp.state, s->block.ImpliedType(), out->mutable_state(), &diags)) {
          resp->clear_imported_resources();
          break;
        }
      }
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

template <typename Req, typename Resp>
grpc::Status ServeReadDataSource(const ProviderCore& core, const Req& req, Resp* resp) {
  return Guarded("ReadDataSource", resp, [&] {
    schema::Diagnostics diags;
    const schema::Schema* s = LookUp(core, true, req.type_name(), &diags);
    schema::Value config;
    if (s != nullptr && DecodeInto(req.config(), s->block.ImpliedType(), "configuration", &config, &diags)) {
      ReadDataSourceResponse r = core.ReadDataSource(req.type_name(), config);
      diags.Append(r.diagnostics);
      if (r.has_state) EncodeInto(r.state, s->block.ImpliedType(), resp->mutable_state(), &diags);
    }
    DiagnosticsToProto(diags, resp->mutable_diagnostics());
  });
}

}  // namespace tpd::provider::internal

#endif  // TPD_PROVIDER_PROTOCOL_COMMON_H_
