// The Terraform walks (client.h: class Terraform), on top of TerraformClient.
#include <sstream>

#include "acceptance/client.h"
#include "schema/codec.h"
#include "schema/objchange.h"

namespace tpd::acceptance {

using schema::AttributePath;
using schema::Diagnostic;
using schema::Value;

// ---------------------------------------------------------------------------------------------------
// Terraform: the walks.

const char* ActionName(Action a) {
  switch (a) {
    case Action::kNoOp: return "no-op";
    case Action::kCreate: return "create";
    case Action::kRead: return "read";
    case Action::kUpdate: return "update";
    case Action::kReplace: return "replace";
    case Action::kDelete: return "delete";
  }
  return "?";
}

std::string WalkResult::Describe() const {
  std::ostringstream os;
  if (!launch.ok()) os << "launch: " << launch.ToString() << "\n";
  for (const auto& d : diags.items()) {
    os << (d.severity == Diagnostic::Severity::kError ? "Error: " : "Warning: ") << d.summary;
    if (d.attribute) os << " [at " << d.attribute->ToString() << "]";
    if (!d.detail.empty()) os << "\n  " << d.detail;
    os << "\n";
  }
  for (const auto& e : core_errors) os << "core: " << e << "\n";
  return os.str();
}

namespace {
void Merge(const CallResult& r, WalkResult* out) {
  out->diags.Append(r.diags);
  out->core_errors.insert(out->core_errors.end(), r.core_errors.begin(), r.core_errors.end());
}
}  // namespace

struct Terraform::Session {
  std::unique_ptr<ProviderProcess> process;
  std::unique_ptr<TerraformClient> client;
};

Result<std::unique_ptr<Terraform::Session>> Terraform::Open(WalkResult* out) {
  auto session = std::make_unique<Session>();
  if (options_.channel_for_test) {
    session->client = std::make_unique<TerraformClient>(options_.channel_for_test(), 6);
  } else {
    TPD_ASSIGN_OR_RETURN(session->process, ProviderProcess::Launch(options_.launch));
    session->client =
        std::make_unique<TerraformClient>(session->process->channel(), session->process->handshake().app_version);
  }
  TerraformClient& c = *session->client;
  SchemaResult s = c.GetSchema();
  Merge(s, out);
  if (s.HasError()) return session;
  Value cfg = options_.provider_config;
  if (cfg.IsNull()) {
    // An absent provider block is an object of nulls (and empty nested collections) to Terraform.
    cfg = Value::Object(c.schemas().provider.block.ImpliedType(), {});
  }
  CallResult v = c.ValidateProviderConfig(cfg);
  Merge(v, out);
  if (v.HasError()) return session;
  CallResult conf = c.ConfigureProvider(cfg, options_.terraform_version);
  Merge(conf, out);
  return session;
}

void Terraform::Close(std::unique_ptr<Session> s, WalkResult* out) {
  if (!s) return;
  out->rpc_log = s->client ? s->client->call_log() : std::vector<std::string>{};
  s->client.reset();
  if (!s->process) return;
  ProviderProcess::ShutdownResult sr = s->process->Shutdown();
  if (sr.killed) {
    out->core_errors.push_back("plugin failed to exit gracefully (still running 2 s after Shutdown)");
    out->diags.AddWarning("plugin failed to exit gracefully", "The provider was killed 2 s after Shutdown.");
  } else if (sr.exit.exit_code != 0) {
    out->core_errors.push_back("provider exited with code " + std::to_string(sr.exit.exit_code) + " signal " +
                               std::to_string(sr.exit.term_signal) + " after Shutdown");
  }
  for (const auto& p : s->process->StderrLogProblems()) {
    out->core_errors.push_back("stderr line is not valid hclog JSON (" + p.problem + "): " + p.line);
  }
}

void Terraform::PlanIn(Session& s, const std::string& type, const Value& config, const std::optional<StoredState>& prior,
                       bool refresh, ResourcePlan* out) {
  TerraformClient& c = *s.client;
  auto sch_it = c.schemas().resources.find(type);
  if (sch_it == c.schemas().resources.end()) {
    out->diags.AddError("Invalid resource type", "The provider does not support resource type \"" + type + "\".");
    return;
  }
  const schema::Schema& sch = sch_it->second;
  const schema::Type t = sch.block.ImpliedType();
  Value prior_v = Value::Null(t);
  std::string prior_private;
  if (prior) {
    StateResult up = c.UpgradeResourceState(type, prior->schema_version, prior->attributes_json);
    Merge(up, out);
    if (up.HasError()) return;
    prior_v = up.state;
    prior_private = prior->private_data;
    if (refresh) {
      StateResult rd = c.ReadResource(type, prior_v, prior_private);
      Merge(rd, out);
      if (rd.HasError()) return;
      prior_v = rd.state;
      prior_private = rd.private_data;
    }
  }
  out->prior = prior_v;
  if (!config.IsNull()) {
    CallResult v = c.ValidateResourceConfig(type, config);
    Merge(v, out);
    if (v.HasError()) return;
  }
  if (prior_v.IsNull() && config.IsNull()) {
    out->action = Action::kNoOp;
    out->planned = Value::Null(t);
    return;
  }
  PlanResult p = c.PlanResourceChange(type, prior_v, config, prior_private);
  Merge(p, out);
  if (p.HasError()) return;
  out->planned = p.planned_state;
  out->planned_private = p.planned_private;
  if (config.IsNull()) {
    out->action = Action::kDelete;
    return;
  }
  if (prior_v.IsNull()) {
    out->action = Action::kCreate;
    return;
  }
  // Keep only requires_replace paths whose value actually changes.
  for (const auto& path : p.requires_replace) {
    auto a = ValueAtPath(prior_v, path);
    auto b = ValueAtPath(p.planned_state, path);
    if (a && b && *a == *b) continue;
    if (!a && !b) continue;
    out->requires_replace.push_back(path);
  }
  if (!out->requires_replace.empty()) {
    out->action = Action::kReplace;
    PlanResult p2 = c.PlanResourceChange(type, Value::Null(t), config, p.planned_private);
    Merge(p2, out);
    if (p2.HasError()) return;
    out->planned = p2.planned_state;
    out->planned_private = p2.planned_private;
    return;
  }
  out->action = p.planned_state == prior_v ? Action::kNoOp : Action::kUpdate;
}

ResourcePlan Terraform::Plan(const std::string& type, const Value& config, const std::optional<StoredState>& prior) {
  ResourcePlan out;
  auto s = Open(&out);
  if (!s.ok()) {
    out.launch = s.status();
    return out;
  }
  if (!out.HasError()) PlanIn(**s, type, config, prior, /*refresh=*/true, &out);
  Close(std::move(s).value(), &out);
  return out;
}

ApplyOutcome Terraform::Apply(const std::string& type, const Value& config, const std::optional<StoredState>& prior) {
  ApplyOutcome out;
  out.state = prior;
  out.plan = Plan(type, config, prior);
  out.diags.Append(out.plan.diags);
  out.core_errors = out.plan.core_errors;
  out.launch = out.plan.launch;
  if (out.plan.HasError()) return out;
  out.new_state = out.plan.prior;
  if (out.plan.action == Action::kNoOp) return out;

  auto so = Open(&out);
  if (!so.ok()) {
    out.launch = so.status();
    return out;
  }
  std::unique_ptr<Session> s = std::move(so).value();
  auto finish = [&]() { Close(std::move(s), &out); };
  if (out.HasError()) {
    finish();
    return out;
  }
  TerraformClient& c = *s->client;
  const schema::Schema& sch = c.schemas().resources.at(type);
  const schema::Type t = sch.block.ImpliedType();

  // The plan carries the refreshed prior state; the apply walk loads (upgrades) it again.
  Value prior_v = Value::Null(t);
  std::string prior_private = prior ? prior->private_data : "";
  if (!out.plan.prior.IsNull()) {
    auto json = schema::EncodeJson(out.plan.prior, t);
    if (!json.ok()) {
      out.core_errors.push_back("cannot store refreshed state: " + json.status().message());
      finish();
      return out;
    }
    StateResult up = c.UpgradeResourceState(type, sch.version, *json);
    Merge(up, &out);
    if (up.HasError()) {
      finish();
      return out;
    }
    prior_v = up.state;
  }
  auto store = [&](const Value& v, const std::string& priv) {
    out.new_state = v;
    if (v.IsNull()) {
      out.state.reset();
      return;
    }
    auto json = schema::EncodeJson(v, t);
    if (!json.ok()) {
      out.core_errors.push_back("cannot store new state: " + json.status().message());
      return;
    }
    out.state = StoredState{*json, sch.version, priv};
  };

  // Delete (alone, or the first half of a replacement).
  if (out.plan.action == Action::kDelete || out.plan.action == Action::kReplace) {
    StateResult del = c.ApplyResourceChange(type, prior_v, Value::Null(t), Value::Null(t), prior_private);
    Merge(del, &out);
    if (del.HasError()) {
      finish();
      return out;
    }
    store(Value::Null(t), "");
    prior_v = Value::Null(t);
    prior_private.clear();
    if (out.plan.action == Action::kDelete) {
      finish();
      return out;
    }
  }

  // Re-plan with the now-known config; it must be compatible with the saved plan.
  CallResult v = c.ValidateResourceConfig(type, config);
  Merge(v, &out);
  if (v.HasError()) {
    finish();
    return out;
  }
  PlanResult p = c.PlanResourceChange(type, prior_v, config, prior_private);
  Merge(p, &out);
  if (p.HasError()) {
    finish();
    return out;
  }
  for (const auto& e : schema::AssertObjectCompatible(sch.block, out.plan.planned, p.planned_state)) {
    std::string msg = "Provider produced inconsistent final plan: When expanding the plan for " + type +
                      " to include new values learned so far during apply, provider \"database\" produced an "
                      "invalid new value: " + e;
    out.core_errors.push_back(msg);
    out.diags.AddError("Provider produced inconsistent final plan", msg);
  }
  if (out.plan.action == Action::kUpdate && p.planned_state == prior_v) {
    // Update -> NoOp is the one allowed change of action.
    finish();
    return out;
  }
  if (!out.core_errors.empty()) {
    finish();
    return out;
  }
  StateResult a = c.ApplyResourceChange(type, prior_v, p.planned_state, config, p.planned_private);
  Merge(a, &out);
  // On error a non-null new state is still saved (partial result); a null one keeps the prior.
  if (!a.state.IsNull() || !a.HasError()) store(a.state, a.private_data);
  finish();
  return out;
}

DataRead Terraform::ReadData(const std::string& type, const Value& config) {
  DataRead out;
  auto so = Open(&out);
  if (!so.ok()) {
    out.launch = so.status();
    return out;
  }
  std::unique_ptr<Session> s = std::move(so).value();
  if (!out.HasError()) {
    CallResult v = s->client->ValidateDataResourceConfig(type, config);
    Merge(v, &out);
    if (!v.HasError()) {
      StateResult r = s->client->ReadDataSource(type, config);
      Merge(r, &out);
      out.state = r.state;
    }
  }
  Close(std::move(s), &out);
  return out;
}

}  // namespace tpd::acceptance
