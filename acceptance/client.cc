#include "acceptance/client.h"

#include <sstream>
#include <tuple>

#include <grpcpp/client_context.h>

#include "proto/tfplugin5.grpc.pb.h"
#include "proto/tfplugin6.grpc.pb.h"
#include "schema/codec.h"
#include "schema/objchange.h"

namespace tpd::acceptance {

using schema::AttributePath;
using schema::Diagnostic;
using schema::Value;

// ---------------------------------------------------------------------------------------------------
// Wire: the protocol-specific half. Speaks bytes and plain structs; all checks live above it.

namespace {

struct WireDV {
  std::string msgpack;
  std::string json;
};

struct WireDiag {
  int severity = 0;
  std::string summary;
  std::string detail;
  std::optional<AttributePath> attribute;
};

struct WireOut {
  grpc::Status status;
  std::vector<WireDiag> diags;
};

struct WireImported {
  std::string type_name;
  WireDV state;
  std::string private_data;
};

// Long enough for any real call; keeps a hung provider from hanging the test run forever.
constexpr auto kCallDeadline = std::chrono::minutes(10);

void SetDeadline(grpc::ClientContext* ctx) { ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline); }

template <typename PathMsg>
AttributePath FromProtoPath(const PathMsg& p) {
  std::vector<schema::PathStep> steps;
  for (const auto& s : p.steps()) {
    if (s.has_element_key_string()) {
      steps.push_back(schema::PathStep::Key(s.element_key_string()));
    } else if (s.has_element_key_int()) {
      steps.push_back(schema::PathStep::Index(s.element_key_int()));
    } else {
      steps.push_back(schema::PathStep::Attr(s.attribute_name()));
    }
  }
  return AttributePath(std::move(steps));
}

template <typename DiagList>
void CopyDiags(const DiagList& in, WireOut* out) {
  for (const auto& d : in) {
    WireDiag w;
    w.severity = static_cast<int>(d.severity());
    w.summary = d.summary();
    w.detail = d.detail();
    if (d.has_attribute()) w.attribute = FromProtoPath(d.attribute());
    out->diags.push_back(std::move(w));
  }
}

template <typename DVMsg>
WireDV FromDV(const DVMsg& dv) {
  return WireDV{dv.msgpack(), dv.json()};
}

template <typename DVMsg>
void ToDV(const std::string& msgpack, DVMsg* dv) {
  dv->set_msgpack(msgpack);
}

template <typename BlockMsg>
schema::Block ConvertBlock(const BlockMsg& b, const std::string& where, std::vector<std::string>* errs) {
  schema::Block out;
  out.description = b.description();
  out.deprecated = b.deprecated();
  for (const auto& a : b.attributes()) {
    schema::Attribute attr;
    attr.name = a.name();
    attr.description = a.description();
    attr.required = a.required();
    attr.optional = a.optional();
    attr.computed = a.computed();
    attr.sensitive = a.sensitive();
    attr.deprecated = a.deprecated();
    attr.deprecation_message = a.deprecation_message();
    if constexpr (requires { a.has_nested_type(); }) {
      if (a.has_nested_type()) {
        errs->push_back(where + "." + a.name() + ": nested_type attributes are not used by this provider's schemas");
      }
    }
    if (a.write_only()) errs->push_back(where + "." + a.name() + ": write_only attributes are not expected");
    auto type = schema::Type::FromJson(a.type());
    if (!type.ok()) {
      // Terraform panics on an unparsable type; for us it is a core error.
      errs->push_back(where + "." + a.name() + ": invalid type JSON " + a.type() + ": " + type.status().message());
    } else {
      attr.type = *type;
    }
    out.attributes.push_back(std::move(attr));
  }
  for (const auto& nb : b.block_types()) {
    schema::NestedBlock n;
    n.type_name = nb.type_name();
    if (!nb.has_block()) {
      errs->push_back(where + "." + nb.type_name() + ": NestedBlock.block is nil (Terraform dereferences it)");
    }
    n.block = ConvertBlock(nb.block(), where + "." + nb.type_name(), errs);
    n.nesting = static_cast<schema::NestingMode>(static_cast<int>(nb.nesting()));
    n.min_items = nb.min_items();
    n.max_items = nb.max_items();
    if (n.nesting == schema::NestingMode::kInvalid) errs->push_back(where + "." + nb.type_name() + ": nesting INVALID");
    out.block_types.push_back(std::move(n));
  }
  return out;
}

template <typename SchemaMsg>
schema::Schema ConvertSchema(const SchemaMsg& s, const std::string& where, std::vector<std::string>* errs) {
  schema::Schema out;
  out.version = s.version();
  if (!s.has_block()) errs->push_back(where + ": Schema.block is nil (Terraform dereferences it)");
  out.block = ConvertBlock(s.block(), where, errs);
  if (out.version < 0) errs->push_back(where + ": negative schema version");
  return out;
}

}  // namespace

class TerraformClient::Wire {
 public:
  virtual ~Wire() = default;
  virtual void GetSchema(WireOut* o, ProviderSchemas* s, std::vector<std::string>* errs) = 0;
  virtual void GetIdentitySchemas(WireOut* o) = 0;
  virtual void ValidateProvider(const std::string& cfg, WireOut* o) = 0;
  virtual void Configure(const std::string& tfver, const std::string& cfg, WireOut* o) = 0;
  virtual void ValidateResource(const std::string& type, const std::string& cfg, WireOut* o) = 0;
  virtual void ValidateData(const std::string& type, const std::string& cfg, WireOut* o) = 0;
  virtual void ReadData(const std::string& type, const std::string& cfg, WireOut* o, WireDV* state) = 0;
  virtual void Upgrade(const std::string& type, int64_t version, const std::string& json, WireOut* o,
                       WireDV* state) = 0;
  virtual void Read(const std::string& type, const std::string& state, const std::string& priv, WireOut* o,
                    WireDV* new_state, std::string* new_priv) = 0;
  virtual void Plan(const std::string& type, const std::string& prior, const std::string& proposed,
                    const std::string& config, const std::string& prior_priv, WireOut* o, WireDV* planned,
                    std::vector<AttributePath>* replace, std::string* planned_priv, bool* legacy) = 0;
  virtual void Apply(const std::string& type, const std::string& prior, const std::string& planned,
                     const std::string& config, const std::string& planned_priv, WireOut* o, WireDV* new_state,
                     std::string* new_priv, bool* legacy) = 0;
  virtual void Import(const std::string& type, const std::string& id, WireOut* o,
                      std::vector<WireImported>* out) = 0;
  virtual void Stop(WireOut* o, std::string* error) = 0;
};

namespace {

// Protocol traits: the message and method names that differ between tfplugin5 and tfplugin6.
struct V5 {
  using Svc = tfplugin5::Provider;
  using Stub = tfplugin5::Provider::Stub;
  using GetSchemaMsg = tfplugin5::GetProviderSchema;
  using IdentityMsg = tfplugin5::GetResourceIdentitySchemas;
  using ValidateProviderMsg = tfplugin5::PrepareProviderConfig;
  using ConfigureMsg = tfplugin5::Configure;
  using ValidateResourceMsg = tfplugin5::ValidateResourceTypeConfig;
  using ValidateDataMsg = tfplugin5::ValidateDataSourceConfig;
  using ReadDataMsg = tfplugin5::ReadDataSource;
  using UpgradeMsg = tfplugin5::UpgradeResourceState;
  using ReadMsg = tfplugin5::ReadResource;
  using PlanMsg = tfplugin5::PlanResourceChange;
  using ApplyMsg = tfplugin5::ApplyResourceChange;
  using ImportMsg = tfplugin5::ImportResourceState;
  using StopMsg = tfplugin5::Stop;
  static constexpr auto kGetSchema = &Stub::GetSchema;
  static constexpr auto kValidateProvider = &Stub::PrepareProviderConfig;
  static constexpr auto kConfigure = &Stub::Configure;
  static constexpr auto kValidateResource = &Stub::ValidateResourceTypeConfig;
  static constexpr auto kValidateData = &Stub::ValidateDataSourceConfig;
  static constexpr auto kStop = &Stub::Stop;
};

struct V6 {
  using Svc = tfplugin6::Provider;
  using Stub = tfplugin6::Provider::Stub;
  using GetSchemaMsg = tfplugin6::GetProviderSchema;
  using IdentityMsg = tfplugin6::GetResourceIdentitySchemas;
  using ValidateProviderMsg = tfplugin6::ValidateProviderConfig;
  using ConfigureMsg = tfplugin6::ConfigureProvider;
  using ValidateResourceMsg = tfplugin6::ValidateResourceConfig;
  using ValidateDataMsg = tfplugin6::ValidateDataResourceConfig;
  using ReadDataMsg = tfplugin6::ReadDataSource;
  using UpgradeMsg = tfplugin6::UpgradeResourceState;
  using ReadMsg = tfplugin6::ReadResource;
  using PlanMsg = tfplugin6::PlanResourceChange;
  using ApplyMsg = tfplugin6::ApplyResourceChange;
  using ImportMsg = tfplugin6::ImportResourceState;
  using StopMsg = tfplugin6::StopProvider;
  static constexpr auto kGetSchema = &Stub::GetProviderSchema;
  static constexpr auto kValidateProvider = &Stub::ValidateProviderConfig;
  static constexpr auto kConfigure = &Stub::ConfigureProvider;
  static constexpr auto kValidateResource = &Stub::ValidateResourceConfig;
  static constexpr auto kValidateData = &Stub::ValidateDataResourceConfig;
  static constexpr auto kStop = &Stub::StopProvider;
};

template <typename P>
class WireImpl : public TerraformClient::Wire {
 public:
  explicit WireImpl(std::shared_ptr<grpc::Channel> ch) : stub_(P::Svc::NewStub(ch)) {}

  void GetSchema(WireOut* o, ProviderSchemas* s, std::vector<std::string>* errs) override {
    typename P::GetSchemaMsg::Request req;
    typename P::GetSchemaMsg::Response resp;
    if (!Call(P::kGetSchema, req, &resp, o)) return;
    if (!resp.has_provider()) errs->push_back("provider: Schema is nil");
    s->provider = ConvertSchema(resp.provider(), "provider", errs);
    for (const auto& [name, sch] : resp.resource_schemas()) s->resources[name] = ConvertSchema(sch, name, errs);
    for (const auto& [name, sch] : resp.data_source_schemas()) {
      s->data_sources[name] = ConvertSchema(sch, "data." + name, errs);
    }
    s->plan_destroy = resp.server_capabilities().plan_destroy();
    s->get_provider_schema_optional = resp.server_capabilities().get_provider_schema_optional();
  }

  void GetIdentitySchemas(WireOut* o) override {
    typename P::IdentityMsg::Request req;
    typename P::IdentityMsg::Response resp;
    Call(&P::Stub::GetResourceIdentitySchemas, req, &resp, o);
  }

  void ValidateProvider(const std::string& cfg, WireOut* o) override {
    typename P::ValidateProviderMsg::Request req;
    typename P::ValidateProviderMsg::Response resp;
    ToDV(cfg, req.mutable_config());
    Call(P::kValidateProvider, req, &resp, o);
  }

  void Configure(const std::string& tfver, const std::string& cfg, WireOut* o) override {
    typename P::ConfigureMsg::Request req;
    typename P::ConfigureMsg::Response resp;
    req.set_terraform_version(tfver);
    ToDV(cfg, req.mutable_config());
    req.mutable_client_capabilities()->set_write_only_attributes_allowed(true);
    Call(P::kConfigure, req, &resp, o);
  }

  void ValidateResource(const std::string& type, const std::string& cfg, WireOut* o) override {
    typename P::ValidateResourceMsg::Request req;
    typename P::ValidateResourceMsg::Response resp;
    req.set_type_name(type);
    ToDV(cfg, req.mutable_config());
    req.mutable_client_capabilities()->set_write_only_attributes_allowed(true);
    Call(P::kValidateResource, req, &resp, o);
  }

  void ValidateData(const std::string& type, const std::string& cfg, WireOut* o) override {
    typename P::ValidateDataMsg::Request req;
    typename P::ValidateDataMsg::Response resp;
    req.set_type_name(type);
    ToDV(cfg, req.mutable_config());
    Call(P::kValidateData, req, &resp, o);
  }

  void ReadData(const std::string& type, const std::string& cfg, WireOut* o, WireDV* state) override {
    typename P::ReadDataMsg::Request req;
    typename P::ReadDataMsg::Response resp;
    req.set_type_name(type);
    ToDV(cfg, req.mutable_config());
    req.mutable_client_capabilities()->set_write_only_attributes_allowed(true);
    if (!Call(&P::Stub::ReadDataSource, req, &resp, o)) return;
    *state = FromDV(resp.state());
  }

  void Upgrade(const std::string& type, int64_t version, const std::string& json, WireOut* o,
               WireDV* state) override {
    typename P::UpgradeMsg::Request req;
    typename P::UpgradeMsg::Response resp;
    req.set_type_name(type);
    req.set_version(version);
    req.mutable_raw_state()->set_json(json);
    if (!Call(&P::Stub::UpgradeResourceState, req, &resp, o)) return;
    *state = FromDV(resp.upgraded_state());
  }

  void Read(const std::string& type, const std::string& state, const std::string& priv, WireOut* o,
            WireDV* new_state, std::string* new_priv) override {
    typename P::ReadMsg::Request req;
    typename P::ReadMsg::Response resp;
    req.set_type_name(type);
    ToDV(state, req.mutable_current_state());
    req.set_private_(priv);
    req.mutable_client_capabilities()->set_write_only_attributes_allowed(true);
    if (!Call(&P::Stub::ReadResource, req, &resp, o)) return;
    *new_state = FromDV(resp.new_state());
    *new_priv = resp.private_();
  }

  void Plan(const std::string& type, const std::string& prior, const std::string& proposed, const std::string& config,
            const std::string& prior_priv, WireOut* o, WireDV* planned, std::vector<AttributePath>* replace,
            std::string* planned_priv, bool* legacy) override {
    typename P::PlanMsg::Request req;
    typename P::PlanMsg::Response resp;
    req.set_type_name(type);
    ToDV(prior, req.mutable_prior_state());
    ToDV(proposed, req.mutable_proposed_new_state());
    ToDV(config, req.mutable_config());
    req.set_prior_private(prior_priv);
    req.mutable_client_capabilities()->set_write_only_attributes_allowed(true);
    if (!Call(&P::Stub::PlanResourceChange, req, &resp, o)) return;
    *planned = FromDV(resp.planned_state());
    for (const auto& p : resp.requires_replace()) replace->push_back(FromProtoPath(p));
    *planned_priv = resp.planned_private();
    *legacy = resp.legacy_type_system();
  }

  void Apply(const std::string& type, const std::string& prior, const std::string& planned, const std::string& config,
             const std::string& planned_priv, WireOut* o, WireDV* new_state, std::string* new_priv,
             bool* legacy) override {
    typename P::ApplyMsg::Request req;
    typename P::ApplyMsg::Response resp;
    req.set_type_name(type);
    ToDV(prior, req.mutable_prior_state());
    ToDV(planned, req.mutable_planned_state());
    ToDV(config, req.mutable_config());
    req.set_planned_private(planned_priv);
    if (!Call(&P::Stub::ApplyResourceChange, req, &resp, o)) return;
    *new_state = FromDV(resp.new_state());
    *new_priv = resp.private_();
    *legacy = resp.legacy_type_system();
  }

  void Import(const std::string& type, const std::string& id, WireOut* o, std::vector<WireImported>* out) override {
    typename P::ImportMsg::Request req;
    typename P::ImportMsg::Response resp;
    req.set_type_name(type);
    req.set_id(id);
    req.mutable_client_capabilities()->set_write_only_attributes_allowed(true);
    if (!Call(&P::Stub::ImportResourceState, req, &resp, o)) return;
    for (const auto& r : resp.imported_resources()) out->push_back({r.type_name(), FromDV(r.state()), r.private_()});
  }

  void Stop(WireOut* o, std::string* error) override {
    typename P::StopMsg::Request req;
    typename P::StopMsg::Response resp;
    if (CallWithoutDiagnostics(P::kStop, req, &resp, o)) *error = resp.error();
  }

 private:
  // One unary call with the client's deadline; sets o->status. True when the call succeeded.
  template <typename Method, typename Req, typename Resp>
  bool CallWithoutDiagnostics(Method method, const Req& req, Resp* resp, WireOut* o) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    o->status = (stub_.get()->*method)(&ctx, req, resp);
    return o->status.ok();
  }
  // The same, and the response's diagnostics copied into `o` when the call succeeded.
  template <typename Method, typename Req, typename Resp>
  bool Call(Method method, const Req& req, Resp* resp, WireOut* o) {
    if (!CallWithoutDiagnostics(method, req, resp, o)) return false;
    CopyDiags(resp->diagnostics(), o);
    return true;
  }

  std::unique_ptr<typename P::Stub> stub_;
};

// ---------------------------------------------------------------------------------------------------
// Checks.

constexpr const char* kBugFooter =
    "\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.";

void CoreError(CallResult* r, const std::string& summary, const std::string& detail) {
  r->core_errors.push_back(summary + ": " + detail);
  r->diags.AddError(summary, detail);
}

// Maps the gRPC status like Terraform's grpcErr and copies the diagnostics.
void Absorb(const WireOut& w, CallResult* r) {
  if (!w.status.ok()) {
    std::string summary;
    switch (w.status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        summary = "Plugin did not respond";
        break;
      case grpc::StatusCode::CANCELLED:
        summary = "Request cancelled";
        break;
      case grpc::StatusCode::UNIMPLEMENTED:
        summary = "Unsupported plugin method";
        break;
      default:
        summary = "Plugin error";
    }
    std::string msg = summary + ": " + w.status.error_message() + " (gRPC code " +
                      std::to_string(static_cast<int>(w.status.error_code())) + ")";
    r->rpc = Status::Unavailable(msg);
    r->diags.AddError(summary, w.status.error_message());
    return;
  }
  for (const WireDiag& d : w.diags) {
    Diagnostic out;
    out.summary = d.summary;
    out.detail = d.detail;
    out.attribute = d.attribute;
    if (d.severity == 1) {
      out.severity = Diagnostic::Severity::kError;
    } else if (d.severity == 2) {
      out.severity = Diagnostic::Severity::kWarning;
    } else {
      // Terraform treats it as neither error nor warning: the user never learns about it.
      r->core_errors.push_back("diagnostic with invalid severity " + std::to_string(d.severity) + ": " + d.summary);
      out.severity = Diagnostic::Severity::kError;
    }
    r->diags.Add(std::move(out));
  }
}

std::string Encode(const Value& v, const schema::Type& t, CallResult* r, const char* what) {
  auto enc = schema::EncodeMsgpack(v, t);
  if (!enc.ok()) {
    CoreError(r, "Invalid request value", std::string(what) + " does not match the schema: " + enc.status().message());
    return std::string(1, '\xc0');
  }
  return std::move(enc).value();
}

// Decodes a response DynamicValue like Terraform (empty = null; msgpack wins; json fallback) and
// checks type conformance. nullopt when invalid (a core error was recorded).
std::optional<Value> DecodeResponse(const WireDV& dv, const schema::Type& t, CallResult* r, const std::string& what) {
  Result<Value> v = Value::Null(t);
  if (!dv.msgpack.empty()) {
    v = schema::DecodeMsgpack(dv.msgpack, t);
  } else if (!dv.json.empty()) {
    v = schema::DecodeJson(dv.json, t);
  }
  if (!v.ok()) {
    CoreError(r, "Provider produced invalid object",
              "Provider \"database\" produced an invalid value for " + what + ": " + v.status().message() + kBugFooter);
    return std::nullopt;
  }
  Status conf = schema::CheckConforms(*v, t);
  if (!conf.ok()) {
    CoreError(r, "Provider produced invalid object",
              "Provider \"database\" produced an invalid value for " + what + ": " + conf.message() + kBugFooter);
    return std::nullopt;
  }
  return std::move(v).value();
}

template <typename F>
auto Timed(CallResult* r, F f) {
  auto start = std::chrono::steady_clock::now();
  f();
  r->elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

std::optional<Value> ValueAtPath(const Value& v, const AttributePath& path) {
  Value cur = v;
  for (const auto& step : path.steps()) {
    if (cur.IsNull() || !cur.IsKnown()) return std::nullopt;
    const auto kind = cur.type().kind();
    switch (step.kind) {
      case schema::PathStep::Kind::kAttribute: {
        if (kind != schema::Type::Kind::kObject) return std::nullopt;
        const auto& attrs = cur.Attributes();
        auto it = attrs.find(step.name);
        if (it == attrs.end()) return std::nullopt;
        cur = it->second;
        break;
      }
      case schema::PathStep::Kind::kElementKeyString: {
        if (kind != schema::Type::Kind::kMap) return std::nullopt;
        const auto& m = cur.MapElements();
        auto it = m.find(step.name);
        if (it == m.end()) return std::nullopt;
        cur = it->second;
        break;
      }
      case schema::PathStep::Kind::kElementKeyInt: {
        if (kind != schema::Type::Kind::kList && kind != schema::Type::Kind::kTuple) return std::nullopt;
        const auto& e = cur.Elements();
        if (step.index < 0 || static_cast<size_t>(step.index) >= e.size()) return std::nullopt;
        cur = e[static_cast<size_t>(step.index)];
        break;
      }
    }
  }
  return cur;
}

std::string CallResult::Describe() const {
  std::ostringstream os;
  if (!rpc.ok()) os << "rpc: " << rpc.message() << "\n";
  for (const auto& d : diags.items()) {
    os << (d.severity == Diagnostic::Severity::kError ? "Error: " : "Warning: ") << d.summary;
    if (d.attribute) os << " [at " << d.attribute->ToString() << "]";
    if (!d.detail.empty()) os << "\n  " << d.detail;
    os << "\n";
  }
  for (const auto& e : core_errors) os << "core: " << e << "\n";
  return os.str();
}

const Diagnostic* CallResult::FirstError() const {
  for (const auto& d : diags.items()) {
    if (d.severity == Diagnostic::Severity::kError) return &d;
  }
  return nullptr;
}

TerraformClient::TerraformClient(std::shared_ptr<grpc::Channel> channel, int protocol) : protocol_(protocol) {
  if (protocol == 5) {
    wire_ = std::make_unique<WireImpl<V5>>(std::move(channel));
  } else {
    wire_ = std::make_unique<WireImpl<V6>>(std::move(channel));
  }
}

TerraformClient::~TerraformClient() = default;

std::vector<std::string> TerraformClient::call_log() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return call_log_;
}

#define TPD_LOG_CALL(name)                          \
  do {                                              \
    std::lock_guard<std::mutex> lock_(log_mu_);     \
    call_log_.push_back(name);                      \
  } while (0)

SchemaResult TerraformClient::GetSchema() {
  SchemaResult r;
  TPD_LOG_CALL("GetProviderSchema");
  WireOut w;
  std::vector<std::string> errs;
  ProviderSchemas s;
  Timed(&r, [&] { wire_->GetSchema(&w, &s, &errs); });
  Absorb(w, &r);
  if (!w.status.ok()) return r;
  for (const auto& e : errs) CoreError(&r, "Invalid provider schema", e + kBugFooter);
  auto validate = [&](const std::string& where, const schema::Schema& sch) {
    Status st = sch.block.Validate();
    if (!st.ok()) {
      CoreError(&r, "Invalid provider schema",
                "Provider \"database\" has invalid schema for " + where + ": " + st.message() + kBugFooter);
    }
  };
  validate("the provider configuration", s.provider);
  for (const auto& [n, sch] : s.resources) validate("managed resource type " + n, sch);
  for (const auto& [n, sch] : s.data_sources) validate("data source " + n, sch);
  // Terraform asks for identity schemas right after; UNIMPLEMENTED is fine.
  TPD_LOG_CALL("GetResourceIdentitySchemas");
  WireOut wi;
  wire_->GetIdentitySchemas(&wi);
  if (!wi.status.ok() && wi.status.error_code() != grpc::StatusCode::UNIMPLEMENTED) Absorb(wi, &r);
  r.schemas = s;
  if (r.core_errors.empty() && r.rpc.ok()) {
    schemas_ = std::move(s);
    have_schemas_ = true;
  }
  return r;
}

Status TerraformClient::EnsureSchema() {
  if (have_schemas_) return Status::Ok();
  SchemaResult r = GetSchema();
  if (!have_schemas_) return Status::FailedPrecondition("cannot load provider schema: " + r.Describe());
  return Status::Ok();
}

const schema::Schema* TerraformClient::ResourceSchema(const std::string& type, CallResult* r) {
  Status st = EnsureSchema();
  if (!st.ok()) {
    CoreError(r, "Failed to load plugin schemas", st.message());
    return nullptr;
  }
  auto it = schemas_.resources.find(type);
  if (it == schemas_.resources.end()) {
    CoreError(r, "Invalid resource type", "The provider provider.database does not support resource type \"" + type + "\".");
    return nullptr;
  }
  return &it->second;
}

const schema::Schema* TerraformClient::DataSourceSchema(const std::string& type, CallResult* r) {
  Status st = EnsureSchema();
  if (!st.ok()) {
    CoreError(r, "Failed to load plugin schemas", st.message());
    return nullptr;
  }
  auto it = schemas_.data_sources.find(type);
  if (it == schemas_.data_sources.end()) {
    CoreError(r, "Invalid data source", "The provider provider.database does not support data source \"" + type + "\".");
    return nullptr;
  }
  return &it->second;
}

CallResult TerraformClient::ValidateProviderConfig(const Value& config) {
  CallResult r;
  Status st = EnsureSchema();
  if (!st.ok()) {
    CoreError(&r, "Failed to load plugin schemas", st.message());
    return r;
  }
  std::string cfg = Encode(config, schemas_.provider.block.ImpliedType(), &r, "provider config");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("ValidateProviderConfig");
  WireOut w;
  Timed(&r, [&] { wire_->ValidateProvider(cfg, &w); });
  Absorb(w, &r);
  return r;
}

CallResult TerraformClient::ConfigureProvider(const Value& config, const std::string& terraform_version) {
  CallResult r;
  Status st = EnsureSchema();
  if (!st.ok()) {
    CoreError(&r, "Failed to load plugin schemas", st.message());
    return r;
  }
  std::string cfg = Encode(config, schemas_.provider.block.ImpliedType(), &r, "provider config");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("ConfigureProvider");
  WireOut w;
  Timed(&r, [&] { wire_->Configure(terraform_version, cfg, &w); });
  Absorb(w, &r);
  return r;
}

CallResult TerraformClient::ValidateResourceConfig(const std::string& type, const Value& config) {
  CallResult r;
  const schema::Schema* sch = ResourceSchema(type, &r);
  if (sch == nullptr) return r;
  std::string cfg = Encode(config, sch->block.ImpliedType(), &r, "resource config");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("ValidateResourceConfig");
  WireOut w;
  Timed(&r, [&] { wire_->ValidateResource(type, cfg, &w); });
  Absorb(w, &r);
  return r;
}

CallResult TerraformClient::ValidateDataResourceConfig(const std::string& type, const Value& config) {
  CallResult r;
  const schema::Schema* sch = DataSourceSchema(type, &r);
  if (sch == nullptr) return r;
  std::string cfg = Encode(config, sch->block.ImpliedType(), &r, "data source config");
  if (!r.core_errors.empty()) return r;
  return ValidateDataResourceConfigRaw(type, cfg);
}

CallResult TerraformClient::ValidateDataResourceConfigRaw(const std::string& type, const std::string& msgpack) {
  CallResult r;
  TPD_LOG_CALL("ValidateDataResourceConfig");
  WireOut w;
  Timed(&r, [&] { wire_->ValidateData(type, msgpack, &w); });
  Absorb(w, &r);
  return r;
}

StateResult TerraformClient::ReadDataSource(const std::string& type, const Value& config) {
  StateResult r;
  const schema::Schema* sch = DataSourceSchema(type, &r);
  if (sch == nullptr) return r;
  if (!config.IsWhollyKnown()) {
    CoreError(&r, "Data source config not known",
              "Terraform reads a data source only when its configuration is wholly known; it would defer this read.");
    return r;
  }
  const schema::Type t = sch->block.ImpliedType();
  std::string cfg = Encode(config, t, &r, "data source config");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("ReadDataSource");
  WireOut w;
  WireDV out;
  Timed(&r, [&] { wire_->ReadData(type, cfg, &w, &out); });
  Absorb(w, &r);
  if (!w.status.ok()) return r;
  auto v = DecodeResponse(out, t, &r, "data." + type);
  if (!v) return r;
  r.state = *v;
  if (r.diags.HasError()) return r;  // Terraform stops here on provider errors
  if (v->IsNull()) {
    CoreError(&r, "Provider produced null object",
              "Provider \"database\" produced a null value for data." + type + "." + kBugFooter);
  } else if (!v->IsWhollyKnown()) {
    CoreError(&r, "Provider produced invalid object",
              "Provider \"database\" produced a value for data." + type + " that is not wholly known." + kBugFooter);
  }
  return r;
}

StateResult TerraformClient::UpgradeResourceState(const std::string& type, int64_t version, const std::string& raw_json) {
  StateResult r;
  const schema::Schema* sch = ResourceSchema(type, &r);
  if (sch == nullptr) return r;
  if (version > sch->version) {
    CoreError(&r, "Resource instance managed by newer provider version",
              "The current state of " + type + " was created by a newer provider version than is currently selected.");
    return r;
  }
  TPD_LOG_CALL("UpgradeResourceState");
  WireOut w;
  WireDV out;
  Timed(&r, [&] { wire_->Upgrade(type, version, raw_json, &w, &out); });
  Absorb(w, &r);
  if (!w.status.ok()) return r;
  auto v = DecodeResponse(out, sch->block.ImpliedType(), &r, type + " (upgraded state)");
  if (!v) return r;
  r.state = *v;
  if (r.diags.HasError()) return r;
  for (const auto& e : schema::AssertValidState(sch->block, *v)) {
    CoreError(&r, "Invalid resource state upgrade", "The provider upgraded the state for " + type + ": " + e + kBugFooter);
  }
  return r;
}

StateResult TerraformClient::ReadResource(const std::string& type, const Value& current_state,
                                          const std::string& private_data) {
  StateResult r;
  const schema::Schema* sch = ResourceSchema(type, &r);
  if (sch == nullptr) return r;
  const schema::Type t = sch->block.ImpliedType();
  std::string cur = Encode(current_state, t, &r, "current state");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("ReadResource");
  WireOut w;
  WireDV out;
  Timed(&r, [&] { wire_->Read(type, cur, private_data, &w, &out, &r.private_data); });
  Absorb(w, &r);
  if (!w.status.ok()) return r;
  auto v = DecodeResponse(out, t, &r, type + " during refresh");
  if (!v) return r;
  r.state = *v;
  if (r.diags.HasError()) return r;
  if (!v->IsNull() && !v->IsWhollyKnown()) {
    CoreError(&r, "Provider produced invalid object",
              "Provider \"database\" planned an invalid value for " + type + " during refresh: the value is not wholly known." +
                  kBugFooter);
  }
  return r;
}

PlanResult TerraformClient::PlanResourceChange(const std::string& type, const Value& prior_state, const Value& config,
                                               const std::string& prior_private) {
  PlanResult r;
  const schema::Schema* sch = ResourceSchema(type, &r);
  if (sch == nullptr) return r;
  const schema::Type t = sch->block.ImpliedType();
  const bool destroy = config.IsNull();
  if (destroy && !schemas_.plan_destroy) {
    // Terraform synthesises the destroy plan itself and carries the private data forward.
    r.planned_state = Value::Null(t);
    r.proposed_new_state = Value::Null(t);
    r.planned_private = prior_private;
    return r;
  }
  r.proposed_new_state = destroy ? Value::Null(t) : schema::ProposedNew(sch->block, prior_state, config);
  std::string prior = Encode(prior_state, t, &r, "prior state");
  std::string proposed = Encode(r.proposed_new_state, t, &r, "proposed new state");
  std::string cfg = Encode(config, t, &r, "config");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("PlanResourceChange");
  WireOut w;
  WireDV out;
  bool legacy = false;
  Timed(&r, [&] {
    wire_->Plan(type, prior, proposed, cfg, prior_private, &w, &out, &r.requires_replace, &r.planned_private, &legacy);
  });
  Absorb(w, &r);
  if (!w.status.ok()) return r;
  auto v = DecodeResponse(out, t, &r, type + " (planned state)");
  if (!v) return r;
  r.planned_state = *v;
  if (r.diags.HasError()) return r;
  if (legacy) {
    CoreError(&r, "Provider uses the legacy type system",
              "legacy_type_system=true hides plan inconsistencies; a new provider must leave it false.");
  }
  if (destroy) {
    if (!v->IsNull()) {
      CoreError(&r, "Provider produced invalid plan",
                "Provider \"database\" planned a non-null destroy value for " + type + "." + kBugFooter);
    }
    return r;
  }
  if (v->IsNull()) {
    CoreError(&r, "Provider produced invalid plan",
              "Provider \"database\" planned a null object for " + type + " whose configuration is not null." + kBugFooter);
    return r;
  }
  for (const auto& e : schema::AssertPlanValid(sch->block, prior_state, config, *v)) {
    CoreError(&r, "Provider produced invalid plan",
              "Provider \"database\" planned an invalid value for " + type + ": " + e + kBugFooter);
  }
  if (!prior_state.IsNull()) {
    for (const auto& p : r.requires_replace) {
      if (!ValueAtPath(prior_state, p) && !ValueAtPath(*v, p)) {
        CoreError(&r, "Provider produced invalid plan",
                  "Provider \"database\" has indicated \"requires replacement\" on " + type + " for a non-existent "
                  "attribute path " + p.ToString() + "." + kBugFooter);
      }
    }
  }
  return r;
}

StateResult TerraformClient::ApplyResourceChange(const std::string& type, const Value& prior_state,
                                                 const Value& planned_state, const Value& config,
                                                 const std::string& planned_private) {
  StateResult r;
  const schema::Schema* sch = ResourceSchema(type, &r);
  if (sch == nullptr) return r;
  const schema::Type t = sch->block.ImpliedType();
  std::string prior = Encode(prior_state, t, &r, "prior state");
  std::string planned = Encode(planned_state, t, &r, "planned state");
  std::string cfg = Encode(config, t, &r, "config");
  if (!r.core_errors.empty()) return r;
  TPD_LOG_CALL("ApplyResourceChange");
  WireOut w;
  WireDV out;
  bool legacy = false;
  Timed(&r, [&] { wire_->Apply(type, prior, planned, cfg, planned_private, &w, &out, &r.private_data, &legacy); });
  Absorb(w, &r);
  if (!w.status.ok()) return r;
  if (out.msgpack.empty() && out.json.empty() && !r.diags.HasError() && !planned_state.IsNull()) {
    CoreError(&r, "Provider produced invalid object",
              "Provider \"database\" produced an invalid nil value after apply for " + type + "." + kBugFooter);
    return r;
  }
  auto v = DecodeResponse(out, t, &r, type + " after apply");
  if (!v) return r;
  r.state = *v;
  if (!v->IsNull() && !v->IsWhollyKnown()) {
    CoreError(&r, "Provider returned invalid result object after apply",
              "After the apply operation, the provider still indicated an unknown value for " + type + "." + kBugFooter);
  }
  if (r.diags.HasError()) return r;
  if (legacy) {
    CoreError(&r, "Provider uses the legacy type system", "legacy_type_system=true is reserved for the legacy SDK.");
  }
  if (planned_state.IsNull()) {
    if (!v->IsNull()) {
      CoreError(&r, "Provider returned invalid result object after apply",
                "The provider returned a non-null object for the destroy of " + type + "." + kBugFooter);
    }
    return r;
  }
  if (v->IsNull()) {
    CoreError(&r, "Provider returned invalid result object after apply",
              "The provider returned a null object for the create/update of " + type + " without an error." + kBugFooter);
    return r;
  }
  for (const auto& e : schema::AssertObjectCompatible(sch->block, planned_state, *v)) {
    CoreError(&r, "Provider produced inconsistent result after apply",
              "When applying changes to " + type + ", provider \"provider[\\\"terraform.local/dbupgrade/database\\\"]\" "
              "produced an unexpected new value: " + e + kBugFooter);
  }
  return r;
}

ImportResult TerraformClient::ImportResourceState(const std::string& type, const std::string& id) {
  ImportResult r;
  const schema::Schema* sch = ResourceSchema(type, &r);
  if (sch == nullptr) return r;
  TPD_LOG_CALL("ImportResourceState");
  WireOut w;
  std::vector<WireImported> out;
  Timed(&r, [&] { wire_->Import(type, id, &w, &out); });
  Absorb(w, &r);
  if (!w.status.ok() || r.diags.HasError()) return r;
  if (out.empty()) {
    CoreError(&r, "Import returned no resources", "Provider returned no resources for import ID " + id + ".");
  }
  if (out.size() > 1) {
    CoreError(&r, "Multiple import states not supported",
              "Import by configuration supports exactly one imported resource.");
  }
  for (const auto& imp : out) {
    ImportedResource ir;
    ir.type_name = imp.type_name;
    ir.private_data = imp.private_data;
    if (imp.type_name.empty()) {
      CoreError(&r, "Provider produced invalid import", "An imported resource has an empty type_name." + std::string(kBugFooter));
      continue;
    }
    const schema::Schema* isch = ResourceSchema(imp.type_name, &r);
    if (isch == nullptr) continue;
    auto v = DecodeResponse(imp.state, isch->block.ImpliedType(), &r, imp.type_name + " (imported)");
    if (!v) continue;
    if (v->IsNull()) {
      CoreError(&r, "Import returned null resource", "Provider returned a null state for import ID " + id + ".");
    }
    ir.state = *v;
    r.imported.push_back(std::move(ir));
  }
  return r;
}

StopResult TerraformClient::StopProvider() {
  StopResult r;
  TPD_LOG_CALL("StopProvider");
  WireOut w;
  Timed(&r, [&] { wire_->Stop(&w, &r.error); });
  Absorb(w, &r);
  if (!r.error.empty()) r.diags.AddError("Failed to stop provider", r.error);
  return r;
}

}  // namespace tpd::acceptance
