// ProviderCore: one method per RPC (the pure checks live in framework_checks.cc). Over 500 lines
// because it is one class with thirteen RPCs, each a short, linear sequence of checks.
#include "provider/framework.h"

#include <exception>
#include <regex>
#include <utility>

#include "provider/log.h"
#include "schema/objchange.h"

namespace tpd::provider {
namespace {

using schema::AttributePath;
using schema::Block;
using schema::Diagnostics;
using schema::Type;
using schema::Value;

constexpr std::string_view kBugFooter =
    "This is a bug in the provider (terraform-provider-database), which should be reported in the "
    "provider's own issue tracker.";

bool IsObjectValue(const Value& v) {
  return v.IsKnown() && !v.IsNull() && v.type().kind() == Type::Kind::kObject;
}

std::string JoinProblems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out += "  - ";
    out += p;
    out += "\n";
  }
  return out;
}

// The one diagnostic for results that break Terraform's rules.
void AddProviderBug(Diagnostics* diags, std::string summary, std::string_view what,
                    const std::vector<std::string>& problems) {
  std::string detail(what);
  detail += "\n\n";
  detail += JoinProblems(problems);
  detail += "\n";
  detail += kBugFooter;
  diags->AddError(std::move(summary), std::move(detail));
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Runs `f`, turning any exception into an error diagnostic. Exception texts are not shown: they may
// carry input (and so secrets); the RPC and type name are enough to find the culprit.
template <typename F>
void Guard(std::string_view rpc, std::string_view type_name, Diagnostics* diags, F&& f) {
  try {
    f();
  } catch (...) {
    std::string detail = "An unexpected exception escaped " + std::string(rpc);
    if (!type_name.empty()) detail += " for " + Quote(type_name);
    detail += ". ";
    detail += kBugFooter;
    diags->AddError("Internal error in provider", std::move(detail));
    log::Error("unexpected exception in RPC", {{"rpc", std::string(rpc)}, {"type", std::string(type_name)}});
  }
}

void LogRpc(std::string_view rpc, std::string_view type_name) {
  if (!log::Enabled(log::Level::kDebug)) return;
  log::Debug("serving RPC", {{"rpc", std::string(rpc)}, {"type", std::string(type_name)}});
}

Status CheckTypeName(std::string_view name) {
  static const std::regex kName("[a-z][a-z0-9_]*");
  if (!std::regex_match(name.begin(), name.end(), kName))
    return Status::InvalidArgument("type name " + Quote(name) + " must match [a-z][a-z0-9_]*");
  return Status::Ok();
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// ProviderCore.

struct ProviderCore::Context {
  std::shared_ptr<const resources::ProviderOptions> options;
  resources::CallContext call;
};

ProviderCore::ProviderCore(ProviderDefinition definition) : definition_(std::move(definition)) {
  auto fail = [this](std::string what, const Status& s) {
    startup_diags_.AddError("Invalid provider schema", what + ": " + s.message() + "\n\n" + std::string(kBugFooter));
  };
  try {
    if (Status s = definition_.provider_schema.block.Validate(); !s.ok()) fail("provider block", s);
    for (const auto& r : definition_.resources) {
      if (!r) {
        fail("resource list", Status::Internal("null resource registered"));
        continue;
      }
      const std::string name = r->TypeName();
      if (Status s = CheckTypeName(name); !s.ok()) fail("resource " + Quote(name), s);
      if (!resources_.emplace(name, r.get()).second)
        fail("resource " + Quote(name), Status::InvalidArgument("registered twice"));
      const schema::Schema& sc = r->GetSchema();
      if (sc.version < 0) fail("resource " + Quote(name), Status::InvalidArgument("negative schema version"));
      if (Status s = sc.block.Validate(); !s.ok()) fail("resource " + Quote(name), s);
    }
    for (const auto& d : definition_.data_sources) {
      if (!d) {
        fail("data source list", Status::Internal("null data source registered"));
        continue;
      }
      const std::string name = d->TypeName();
      if (Status s = CheckTypeName(name); !s.ok()) fail("data source " + Quote(name), s);
      if (!data_sources_.emplace(name, d.get()).second)
        fail("data source " + Quote(name), Status::InvalidArgument("registered twice"));
      const schema::Schema& sc = d->GetSchema();
      if (sc.version < 0) fail("data source " + Quote(name), Status::InvalidArgument("negative schema version"));
      if (Status s = sc.block.Validate(); !s.ok()) fail("data source " + Quote(name), s);
    }
  } catch (...) {
    startup_diags_.AddError("Invalid provider schema",
                            "An unexpected exception occurred while checking the schemas. " + std::string(kBugFooter));
  }
  if (startup_diags_.HasError()) log::Error("provider schemas are invalid; every RPC will fail");
  // Until ConfigureProvider runs, calls see the options of an empty provider block.
  options_ = std::make_shared<const resources::ProviderOptions>();
  if (definition_.parse_options) {
    try {
      Result<resources::ProviderOptions> defaults =
          definition_.parse_options(Value::Object(definition_.provider_schema.block.ImpliedType(), {}));
      if (defaults.ok()) options_ = std::make_shared<const resources::ProviderOptions>(std::move(defaults).value());
    } catch (...) {
      // Keep the built-in defaults; ConfigureProvider reports parse problems.
    }
  }
}

const schema::Schema* ProviderCore::ResourceSchema(std::string_view type_name) const {
  const resources::Resource* r = FindResource(type_name);
  return r ? &r->GetSchema() : nullptr;
}

const schema::Schema* ProviderCore::DataSourceSchema(std::string_view type_name) const {
  const resources::DataSource* d = FindDataSource(type_name);
  return d ? &d->GetSchema() : nullptr;
}

const resources::Resource* ProviderCore::FindResource(std::string_view type_name) const {
  auto it = resources_.find(type_name);
  return it == resources_.end() ? nullptr : it->second;
}

const resources::DataSource* ProviderCore::FindDataSource(std::string_view type_name) const {
  auto it = data_sources_.find(type_name);
  return it == data_sources_.end() ? nullptr : it->second;
}

const resources::Resource* ProviderCore::ResourceForRpc(std::string_view type_name, Diagnostics* diags) const {
  if (startup_diags_.HasError()) {
    diags->Append(startup_diags_);
    return nullptr;
  }
  const resources::Resource* r = FindResource(type_name);
  if (r == nullptr) AddUnknownType("resource", type_name, diags);
  return r;
}

const resources::DataSource* ProviderCore::DataSourceForRpc(std::string_view type_name, Diagnostics* diags) const {
  if (startup_diags_.HasError()) {
    diags->Append(startup_diags_);
    return nullptr;
  }
  const resources::DataSource* d = FindDataSource(type_name);
  if (d == nullptr) AddUnknownType("data source", type_name, diags);
  return d;
}

void ProviderCore::AddUnknownType(std::string_view kind, std::string_view type_name, Diagnostics* diags) {
  diags->AddError("Unknown " + std::string(kind) + " type",
                  "This provider does not support " + std::string(kind) + " type " + Quote(type_name) +
                      ". Check the type name in the configuration, or the provider version.");
}

std::shared_ptr<const resources::ProviderOptions> ProviderCore::options() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_;
}

ProviderCore::Context ProviderCore::MakeContext() const {
  Context ctx;
  ctx.options = options();
  ctx.call.options = ctx.options.get();
  ctx.call.stop = &stop_;
  return ctx;
}

SchemaResponse ProviderCore::GetProviderSchema() const {
  SchemaResponse resp;
  if (startup_diags_.HasError()) {
    resp.diagnostics = startup_diags_;
    return resp;
  }
  resp.provider = &definition_.provider_schema;
  for (const auto& [name, r] : resources_) resp.resources.emplace(name, &r->GetSchema());
  for (const auto& [name, d] : data_sources_) resp.data_sources.emplace(name, &d->GetSchema());
  return resp;
}

MetadataResponse ProviderCore::GetMetadata() const {
  MetadataResponse resp;
  if (startup_diags_.HasError()) {
    resp.diagnostics = startup_diags_;
    return resp;
  }
  for (const auto& [name, r] : resources_) resp.resources.push_back(name);
  for (const auto& [name, d] : data_sources_) resp.data_sources.push_back(name);
  return resp;
}

Diagnostics ProviderCore::ValidateProviderConfig(const Value& config) const {
  LogRpc("ValidateProviderConfig", "");
  if (startup_diags_.HasError()) return startup_diags_;
  Diagnostics diags;
  Guard("ValidateProviderConfig", "", &diags,
        [&] { RunValidators(definition_.provider_schema.block, config, AttributePath(), &diags); });
  return diags;
}

Diagnostics ProviderCore::ValidateResourceConfig(std::string_view type_name, const Value& config) const {
  LogRpc("ValidateResourceConfig", type_name);
  Diagnostics diags;
  const resources::Resource* r = ResourceForRpc(type_name, &diags);
  if (r == nullptr) return diags;
  Guard("ValidateResourceConfig", type_name, &diags, [&] {
    RunValidators(r->GetSchema().block, config, AttributePath(), &diags);
    if (IsObjectValue(config)) r->ValidateConfig(config, &diags);
  });
  return diags;
}

Diagnostics ProviderCore::ValidateDataSourceConfig(std::string_view type_name, const Value& config) const {
  LogRpc("ValidateDataResourceConfig", type_name);
  Diagnostics diags;
  const resources::DataSource* d = DataSourceForRpc(type_name, &diags);
  if (d == nullptr) return diags;
  Guard("ValidateDataResourceConfig", type_name, &diags, [&] {
    RunValidators(d->GetSchema().block, config, AttributePath(), &diags);
    if (IsObjectValue(config)) d->ValidateConfig(config, &diags);
  });
  return diags;
}

Diagnostics ProviderCore::ConfigureProvider(const Value& config) {
  LogRpc("ConfigureProvider", "");
  if (startup_diags_.HasError()) return startup_diags_;
  Diagnostics diags;
  Guard("ConfigureProvider", "", &diags, [&] {
    if (!definition_.parse_options) return;  // defaults stay in force
    const schema::Block& block = definition_.provider_schema.block;
    Value known = UnknownsToNull(block, config);
    // An absent provider block arrives as an object of nulls; a bare null is treated the same way.
    if (known.IsNull()) known = Value::Object(block.ImpliedType(), {});
    Result<resources::ProviderOptions> parsed = definition_.parse_options(known);
    if (!parsed.ok()) {
      diags.AddStatus("Invalid provider configuration", parsed.status());
      return;
    }
    auto snapshot = std::make_shared<const resources::ProviderOptions>(std::move(parsed).value());
    std::lock_guard<std::mutex> lock(mu_);
    options_ = std::move(snapshot);
  });
  return diags;
}

UpgradeStateResponse ProviderCore::UpgradeResourceState(std::string_view type_name, int64_t version,
                                                        std::string_view raw_json, bool has_flatmap) const {
  LogRpc("UpgradeResourceState", type_name);
  UpgradeStateResponse resp;
  const resources::Resource* r = ResourceForRpc(type_name, &resp.diagnostics);
  if (r == nullptr) return resp;
  const schema::Schema& sc = r->GetSchema();
  resp.upgraded_state = Value::Null(sc.block.ImpliedType());
  Guard("UpgradeResourceState", type_name, &resp.diagnostics, [&] {
    if (raw_json.empty()) {
      if (has_flatmap) {
        resp.diagnostics.AddError(
            "Unsupported state format",
            "The state of this " + Quote(type_name) +
                " was written in the flatmap format of Terraform 0.11 or older, which this provider does not "
                "read. Upgrade the state with Terraform 0.12 to 0.15 first, or remove and re-import the resource.");
      }
      return;  // nothing stored: null state
    }
    Result<Value> upgraded = r->UpgradeState(version, raw_json);
    if (!upgraded.ok()) {
      resp.diagnostics.AddStatus("Failed to upgrade resource state", upgraded.status());
      return;
    }
    if (upgraded->IsNull()) return;
    std::vector<std::string> problems = schema::AssertValidState(sc.block, *upgraded);
    if (!problems.empty()) {
      AddProviderBug(&resp.diagnostics, "Provider produced invalid upgraded state",
                     "Upgrading the stored state of " + Quote(type_name) + " produced an invalid object:", problems);
      return;
    }
    resp.upgraded_state = std::move(upgraded).value();
  });
  if (resp.diagnostics.HasError()) resp.upgraded_state = Value::Null(sc.block.ImpliedType());
  return resp;
}

ReadResourceResponse ProviderCore::ReadResource(std::string_view type_name, const Value& current_state,
                                                const std::string& private_data) const {
  LogRpc("ReadResource", type_name);
  ReadResourceResponse resp;
  const resources::Resource* r = ResourceForRpc(type_name, &resp.diagnostics);
  if (r == nullptr) return resp;
  const schema::Block& block = r->GetSchema().block;
  Guard("ReadResource", type_name, &resp.diagnostics, [&] {
    if (current_state.IsNull()) {  // nothing to refresh
      resp.has_state = true;
      resp.new_state = current_state;
      resp.private_data = private_data;
      return;
    }
    Context ctx = MakeContext();
    resources::ReadRequest req{current_state, private_data};
    resources::ReadResponse out;
    out.new_state = Value::Null(block.ImpliedType());
    r->Read(ctx.call, req, &out, &resp.diagnostics);
    if (resp.diagnostics.HasError()) return;
    if (!out.new_state.IsNull()) {
      std::vector<std::string> problems = schema::AssertValidState(block, out.new_state);
      if (!problems.empty()) {
        AddProviderBug(&resp.diagnostics, "Provider produced invalid object",
                       "Reading " + Quote(type_name) + " returned an object Terraform would reject:", problems);
        return;
      }
    } else {
      out.new_state = Value::Null(block.ImpliedType());
    }
    resp.has_state = true;
    resp.new_state = std::move(out.new_state);
    resp.private_data = out.private_data.empty() ? private_data : std::move(out.private_data);
  });
  return resp;
}

PlanResourceResponse ProviderCore::PlanResourceChange(std::string_view type_name, const Value& prior_state,
                                                      const Value& proposed_new_state, const Value& config,
                                                      const std::string& prior_private) const {
  LogRpc("PlanResourceChange", type_name);
  PlanResourceResponse resp;
  const resources::Resource* r = ResourceForRpc(type_name, &resp.diagnostics);
  if (r == nullptr) return resp;
  const schema::Block& block = r->GetSchema().block;
  Guard("PlanResourceChange", type_name, &resp.diagnostics, [&] {
    if (config.IsNull()) {  // destroy: planned null, the resource is not asked
      resp.has_state = true;
      resp.planned_state = Value::Null(block.ImpliedType());
      resp.planned_private = prior_private;
      return;
    }
    RunValidators(block, config, AttributePath(), &resp.diagnostics);
    if (resp.diagnostics.HasError()) return;

    Context ctx = MakeContext();
    resources::PlanRequest req;
    req.prior_state = prior_state;
    req.proposed_new_state = FillDefaults(block, proposed_new_state);
    req.config = config;
    req.prior_private = prior_private;
    resources::PlanResponse out;
    out.planned_state = req.proposed_new_state;
    r->Plan(ctx.call, req, &out, &resp.diagnostics);
    if (resp.diagnostics.HasError()) return;

    std::vector<std::string> problems;
    if (out.planned_state.IsNull()) {
      problems.push_back("the planned object is null, but the configuration is not (only destroy plans are null)");
    } else if (!out.planned_state.IsKnown()) {
      problems.push_back("the planned object is wholly unknown; set unknown attributes instead");
    } else if (Status s = schema::CheckConforms(out.planned_state, block.ImpliedType()); !s.ok()) {
      problems.push_back("the planned object does not match the schema: " + s.message());
    } else {
      problems = schema::AssertPlanValid(block, prior_state, config, out.planned_state);
    }
    if (!problems.empty()) {
      AddProviderBug(&resp.diagnostics, "Provider produced invalid plan",
                     "The provider planned an invalid new value for " + Quote(type_name) +
                         ", so the plan was not sent to Terraform:",
                     problems);
      return;
    }
    resp.has_state = true;
    resp.requires_replace = RequiresReplacePaths(block, prior_state, out.planned_state);
    resp.planned_state = std::move(out.planned_state);
    resp.planned_private = out.planned_private.empty() ? prior_private : std::move(out.planned_private);
  });
  if (resp.diagnostics.HasError()) {
    resp.has_state = false;
    resp.requires_replace.clear();
  }
  return resp;
}

ApplyResourceResponse ProviderCore::ApplyResourceChange(std::string_view type_name, const Value& prior_state,
                                                        const Value& planned_state, const Value& config,
                                                        const std::string& planned_private) const {
  LogRpc("ApplyResourceChange", type_name);
  ApplyResourceResponse resp;
  const resources::Resource* r = ResourceForRpc(type_name, &resp.diagnostics);
  if (r == nullptr) return resp;
  const schema::Block& block = r->GetSchema().block;
  const Type type = block.ImpliedType();
  Guard("ApplyResourceChange", type_name, &resp.diagnostics, [&] {
    Context ctx = MakeContext();
    if (planned_state.IsNull()) {  // delete
      if (!prior_state.IsNull()) r->Delete(ctx.call, prior_state, &resp.diagnostics);
      // On failure Terraform keeps the prior state when no state is sent.
      if (!resp.diagnostics.HasError()) {
        resp.has_state = true;
        resp.new_state = Value::Null(type);
      }
      return;
    }
    resources::ApplyRequest req{prior_state, planned_state, config, planned_private};
    resources::ApplyResponse out;
    out.new_state = Value::Null(type);
    r->Apply(ctx.call, req, &out, &resp.diagnostics);
    const bool failed = resp.diagnostics.HasError();
    if (out.new_state.IsNull()) {
      if (!failed) {
        AddProviderBug(&resp.diagnostics, "Provider returned invalid result object after apply",
                       "Applying " + Quote(type_name) + " returned no object and no error:",
                       {"a create or update must return the new object"});
      }
      return;  // nothing saved: Terraform keeps the prior state
    }
    std::vector<std::string> problems = schema::AssertValidState(block, out.new_state);
    if (!problems.empty()) {
      // Cannot be stored at all; Terraform keeps the prior state.
      AddProviderBug(&resp.diagnostics, "Provider returned invalid result object after apply",
                     "Applying " + Quote(type_name) + " returned an object Terraform cannot store:", problems);
      return;
    }
    // A storable result is always sent, so Terraform records what now exists, even when it breaks the
    // plan (Terraform then reports the error and taints a new object).
    resp.has_state = true;
    resp.new_state = out.new_state;
    resp.private_data = out.private_data.empty() ? planned_private : std::move(out.private_data);
    if (failed) return;  // partial result of a failed apply: no compatibility promise
    problems = schema::AssertObjectCompatible(block, planned_state, out.new_state);
    if (!problems.empty()) {
      AddProviderBug(&resp.diagnostics, "Provider produced inconsistent result after apply",
                     "When applying changes to " + Quote(type_name) +
                         ", the provider produced a result that does not match the plan:",
                     problems);
    }
  });
  return resp;
}

ImportResourceResponse ProviderCore::ImportResourceState(std::string_view type_name, std::string_view id) const {
  LogRpc("ImportResourceState", type_name);
  ImportResourceResponse resp;
  const resources::Resource* r = ResourceForRpc(type_name, &resp.diagnostics);
  if (r == nullptr) return resp;
  const schema::Block& block = r->GetSchema().block;
  Guard("ImportResourceState", type_name, &resp.diagnostics, [&] {
    Context ctx = MakeContext();
    Value state = Value::Null(block.ImpliedType());
    r->Import(ctx.call, id, &state, &resp.diagnostics);
    if (resp.diagnostics.HasError()) return;
    std::vector<std::string> problems;
    if (state.IsNull()) {
      problems.push_back("the imported object is null");
    } else {
      problems = schema::AssertValidState(block, state);
    }
    if (!problems.empty()) {
      AddProviderBug(&resp.diagnostics, "Provider produced invalid import result",
                     "Importing " + Quote(type_name) + " returned an object Terraform would reject:", problems);
      return;
    }
    resp.imported.push_back({std::string(type_name), std::move(state), std::string()});
  });
  if (resp.diagnostics.HasError()) resp.imported.clear();
  return resp;
}

ReadDataSourceResponse ProviderCore::ReadDataSource(std::string_view type_name, const Value& config) const {
  LogRpc("ReadDataSource", type_name);
  ReadDataSourceResponse resp;
  const resources::DataSource* d = DataSourceForRpc(type_name, &resp.diagnostics);
  if (d == nullptr) return resp;
  const schema::Block& block = d->GetSchema().block;
  Guard("ReadDataSource", type_name, &resp.diagnostics, [&] {
    if (!IsObjectValue(config) || !config.IsWhollyKnown()) {
      resp.diagnostics.AddError("Invalid data source configuration",
                                "ReadDataSource needs a wholly known configuration for " + Quote(type_name) +
                                    "; Terraform reads it at apply time when values are unknown at plan time.");
      return;
    }
    RunValidators(block, config, AttributePath(), &resp.diagnostics);
    if (resp.diagnostics.HasError()) return;
    Context ctx = MakeContext();
    Value state = d->Read(ctx.call, config, &resp.diagnostics);
    if (resp.diagnostics.HasError()) return;
    std::vector<std::string> problems;
    if (state.IsNull()) {
      problems.push_back("the data source returned a null object");
    } else {
      problems = schema::AssertValidState(block, state);
      if (problems.empty()) problems = CheckConfiguredValuesKept(block, config, state);
    }
    if (!problems.empty()) {
      AddProviderBug(&resp.diagnostics, "Provider produced invalid object",
                     "Reading data source " + Quote(type_name) + " returned an object Terraform would reject:",
                     problems);
      return;
    }
    resp.has_state = true;
    resp.state = std::move(state);
  });
  if (resp.diagnostics.HasError()) resp.has_state = false;
  return resp;
}

}  // namespace tpd::provider
