#include "resources/database_upgrade.h"

// Size: one resource with its five operations and the probe/decide glue that Plan and Apply share
// (about 600 lines); the pure mapping lives in upgrade_facts.cc and the cache in plan_cache.cc.

#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/postgres/connection.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/probe.h"
#include "engines/postgres/upgrade.h"
#include "planner/decide.h"
#include "planner/render.h"
#include "planner/version.h"
#include "provider/log.h"
#include "resources/common_blocks.h"
#include "resources/database_upgrade_schema.h"
#include "resources/diagnostics.h"
#include "resources/plan_cache.h"
#include "resources/upgrade_facts.h"
#include "resources/validators.h"

namespace tpd::resources {
namespace {

namespace pg = engines::postgres;
using schema::AttributePath;
using schema::Type;
using schema::Value;

constexpr char kTypeName[] = "database_upgrade";

// DatabaseUpgradeSchemaV0 plus what only the resource's behaviour can say: plan-time values come
// from the plan cache (plan_cache.h) between plan and apply.
schema::Schema BuildSchema() {
  schema::Schema s = DatabaseUpgradeSchemaV0();
  const std::string note =
      " Computed at plan time from a live probe and kept for 24 hours in <work_dir>/plans, so that the plan "
      "Terraform re-computes at apply time shows the same value; apply itself always probes again.";
  for (auto& a : s.block.attributes) {
    if (a.name == "estimated_downtime_seconds" || a.name == "data_size_bytes") a.description += note;
    if (a.name == "planned_strategy") {
      const std::string empty = "empty when the server is already at target_version";
      const size_t at = a.description.find(empty);
      if (at != std::string::npos) {
        a.description.replace(at, empty.size(),
                              "\"none\" when the server already satisfies target_version (apply then only records "
                              "state)");
      }
    }
    if (a.name == "verification") a.description += " One line per check.";
  }
  return s;
}

const schema::Schema& UpgradeSchema() {
  static const schema::Schema kSchema = BuildSchema();
  return kSchema;
}

// The type of the plan-time computed values stored in the plan cache.
const Type& CachedType() {
  static const Type kType = [] {
    std::map<std::string, Type> attrs;
    for (const auto& name : PlanTimeComputedNames()) {
      attrs[name] = UpgradeSchema().block.FindAttribute(name)->type;
    }
    return Type::Object(std::move(attrs));
  }();
  return kType;
}

Value UnknownOf(const std::string& name) { return Value::Unknown(UpgradeSchema().block.FindAttribute(name)->type); }

bool IsKnownString(const Value& obj, std::string_view name) {
  return KnownStringAt(obj, {name}).has_value();
}

std::string NowRfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Value Seconds(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  return Value::Num(schema::Number::FromDouble(std::round(s * 1000.0) / 1000.0));
}

std::string Join(const std::vector<std::string>& lines, const char* sep) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : sep) + l;
  return out;
}

ConnectionFailure Classify(const Status& st) {
  if (st.IsUnavailable()) return ConnectionFailure::kUnreachable;
  if (st.IsInvalidArgument()) return ConnectionFailure::kAuthentication;
  return ConnectionFailure::kOther;
}

std::string Redacted(const std::string& url) {
  Result<pg::ConnInfo> info = pg::ConnInfo::Parse(url);
  return info.ok() ? info->Redacted() : std::string();
}

bool SameServerUrls(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  Result<pg::ConnInfo> x = pg::ConnInfo::Parse(a);
  Result<pg::ConnInfo> y = pg::ConnInfo::Parse(b);
  return x.ok() && y.ok() && x->SameServer(*y);
}

// A server to connect to, with where its URL and password come from in the configuration.
struct Endpoint {
  std::string url;
  std::optional<std::string> password;
  AttributePath url_path = AttributePath::Root("source").Attr("url");
  AttributePath password_path = AttributePath::Root("source").Attr("password");
};

// The server the next upgrade starts from: the configured source on create (or when source.url
// changed), else the active server of the prior state, with the password of the configured block
// that names the same server.
Endpoint ServerToUpgrade(const UpgradeConfig& cfg, const Value& prior) {
  Endpoint e;
  e.url = cfg.source.url;
  e.password = cfg.source.password;
  if (prior.IsNull() || !prior.IsKnown()) return e;
  std::optional<std::string> prior_source = KnownStringAt(prior, {"source", "url"});
  if (!prior_source || *prior_source != cfg.source.url) return e;
  std::optional<std::string> active = KnownStringAt(prior, {"active_url"});
  if (!active || active->empty()) return e;
  e.url = *active;
  if (SameServerUrls(*active, cfg.target.url) && !SameServerUrls(*active, cfg.source.url)) {
    e.password = cfg.target.password;
    e.url_path = AttributePath::Root("target").Attr("url");
    e.password_path = AttributePath::Root("target").Attr("password");
  }
  return e;
}

// Connects and probes. On failure adds the matching diagnostic (error, or warning when
// `warn_only`) and returns nullopt.
// `db_may_be_missing`: the target's database is created by the upgrade, so a missing one is probed
// through the "postgres" database instead.
std::optional<pg::InstanceFacts> ProbeEndpoint(const CallContext& ctx, const Endpoint& e, const char* what,
                                               bool warn_only, schema::Diagnostics* diags,
                                               bool db_may_be_missing = false) {
  Result<pg::ConnInfo> info = pg::ConnInfo::Parse(e.url, e.password);
  if (!info.ok()) {
    diags->Add(MalformedUrl(info.status(), e.url_path));
    return std::nullopt;
  }
  pg::ConnectOptions copts;
  if (ctx.stop != nullptr) copts.cancel_flag = ctx.stop->flag();
  Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Connect(*info, copts);
  if (!conn.ok() && db_may_be_missing && conn.status().IsNotFound() && info->dbname() != "postgres") {
    conn = pg::Connection::Connect(info->WithDatabase("postgres"), copts);
  }
  Status failure;
  if (conn.ok()) {
    Result<pg::InstanceFacts> facts = pg::Probe(**conn);
    if (facts.ok()) return std::move(facts).value();
    failure = facts.status();
    if (warn_only) {
      diags->Add(ActiveServerUnreadable(failure, info->Endpoint()));
    } else if (failure.IsCancelled()) {
      diags->Add(Cancelled(failure, std::string("Probing the ") + what + " server"));
    } else {
      diags->Add(ProbeFailed(failure, info->Endpoint(), e.url_path));
    }
    return std::nullopt;
  }
  failure = conn.status();
  log::Warn("database_upgrade: connection failed",
            {{"server", what}, {"url", info->Redacted()}, {"code", std::string(Status::CodeName(failure.code()))}});
  if (warn_only) {
    diags->Add(ActiveServerUnreadable(failure, info->Endpoint()));
  } else if (failure.IsCancelled()) {
    diags->Add(Cancelled(failure, std::string("Probing the ") + what + " server"));
  } else {
    diags->Add(ConnectionFailed(Classify(failure), failure, info->Endpoint(), info->user(), e.url_path,
                                e.password_path));
  }
  return std::nullopt;
}

std::vector<std::string> SecretsOf(const Value& config, const Value& prior) {
  std::vector<std::string> out;
  for (const Value* v : {&config, &prior}) {
    for (const char* block : {"source", "target"}) {
      if (std::optional<std::string> p = KnownStringAt(*v, {block, "password"})) out.push_back(*p);
      if (std::optional<std::string> u = KnownStringAt(*v, {block, "url"})) {
        Result<pg::ConnInfo> info = pg::ConnInfo::Parse(*u);
        if (info.ok() && info->has_password()) out.push_back(info->password());
      }
    }
  }
  return out;
}

// Everything Plan and Apply need to decide.
struct Probed {
  pg::InstanceFacts source;
  std::optional<pg::InstanceFacts> target;
  planner::Facts facts;
  planner::UpgradeRequest request;
};

// Probes the server to upgrade, the target server and the host; builds the planner inputs.
// nullopt after adding error diagnostics.
std::optional<Probed> ProbeAll(const CallContext& ctx, const UpgradeConfig& cfg, const Endpoint& from,
                               schema::Diagnostics* diags) {
  Probed p;
  std::optional<pg::InstanceFacts> source = ProbeEndpoint(ctx, from, "source", false, diags);
  if (!source) return std::nullopt;
  p.source = std::move(*source);
  if (!cfg.target.url.empty() && !SameServerUrls(cfg.target.url, from.url)) {
    Endpoint t;
    t.url = cfg.target.url;
    t.password = cfg.target.password;
    t.url_path = AttributePath::Root("target").Attr("url");
    t.password_path = AttributePath::Root("target").Attr("password");
    p.target = ProbeEndpoint(ctx, t, "target", false, diags, /*db_may_be_missing=*/true);
    if (!p.target) return std::nullopt;
  }
  Result<planner::UpgradeRequest> req = MakeUpgradeRequest(cfg);
  if (!req.ok()) {
    diags->Add(InvalidAttribute(req.status()));
    return std::nullopt;
  }
  p.request = *req;
  Result<planner::Version> tv = planner::ParseVersion(planner::Engine::kPostgres, cfg.target_version);
  const int target_major = tv.ok() ? tv->Part(0) : 0;
  HostTools tools = ProbeHostTools(cfg, *ctx.options, p.source.major, target_major);
  UpgradeConfig as_seen = cfg;
  as_seen.source.url = from.url;  // has_target_server compares with the server actually upgraded
  p.facts = MakePlannerFacts(as_seen, p.source, p.target, tools);
  return p;
}

// Turns a Decision into computed values, or error diagnostics (nullopt).
std::optional<PlannedComputed> ComputedOrErrors(const planner::Decision& d, const UpgradeConfig& cfg,
                                                int64_t size, schema::Diagnostics* diags) {
  std::vector<std::string> lines = planner::RenderVerdictLines(d);
  switch (d.outcome) {
    case planner::Outcome::kChosen:
    case planner::Outcome::kNothingToDo:
      return ComputedFromDecision(d, size);
    case planner::Outcome::kDowngradeRefused:
      diags->Add(DowngradeRefused(d.current_version, cfg.target_version, AttributePath::Root("target_version")));
      return std::nullopt;
    case planner::Outcome::kInvalidInput:
      diags->Add(InvalidAttribute(Status::InvalidArgument(d.reason), AttributePath::Root("target_version")));
      return std::nullopt;
    case planner::Outcome::kNoneFeasible:
      break;
  }
  if (d.closest) {
    diags->Add(NoStrategyWithinDowntime(planner::StrategyName(d.closest->strategy),
                                        d.closest->estimated_downtime_seconds, cfg.max_downtime_seconds.value_or(0),
                                        lines, AttributePath::Root("max_downtime")));
  } else if (cfg.strategy != kStrategyAuto) {
    std::string reason = d.reason;
    for (const auto& v : d.verdicts) {
      if (planner::StrategyName(v.strategy) == cfg.strategy && !v.reason.empty()) reason = v.reason;
    }
    diags->Add(StrategyNotFeasible(cfg.strategy, reason, lines, AttributePath::Root("strategy")));
  } else {
    diags->Add(NoStrategyFeasible(d.reason, lines, AttributePath::Root("strategy")));
  }
  return std::nullopt;
}

std::optional<PlannedComputed> DecideComputed(const CallContext& ctx, const UpgradeConfig& cfg,
                                              const Probed& p, schema::Diagnostics* diags) {
  if (IsNewerMinorThanPinned(p.source.version, cfg.target_version)) {
    diags->Add(NewerThanPinnedVersion(p.source.version, cfg.target_version, AttributePath::Root("target_version")));
    return NothingToDo(p.source.version, p.source.total_size_bytes,
                       "the server runs " + p.source.version + ", newer than target_version " + cfg.target_version +
                           " within the same major version; downgrades are never planned");
  }
  planner::Decision d = planner::Decide(p.facts, p.request, ModelFromHistory(ctx.options->work_dir));
  return ComputedOrErrors(d, cfg, p.source.total_size_bytes, diags);
}

bool SatisfiesTarget(const std::string& current, const std::string& target) {
  Result<planner::Version> c = planner::ParseVersion(planner::Engine::kPostgres, current);
  Result<planner::Version> t = planner::ParseVersion(planner::Engine::kPostgres, target);
  if (!c.ok() || !t.ok()) return false;
  return planner::Satisfies(*c, *t) || IsNewerMinorThanPinned(current, target);
}

class DatabaseUpgradeResource final : public Resource {
 public:
  std::string TypeName() const override { return kTypeName; }
  const schema::Schema& GetSchema() const override { return UpgradeSchema(); }

  void ValidateConfig(const Value& config, schema::Diagnostics* diags) const override {
    ValidateDatabaseUpgradeConfig(config, diags);
    std::optional<std::string> engine = KnownStringAt(config, {"engine"});
    if (engine && CheckEngineName(*engine).ok() && *engine != kEnginePostgresql) {
      diags->Add(UnsupportedEngine(*engine, "The database_upgrade resource", {std::string(kEnginePostgresql)},
                                   AttributePath::Root("engine")));
    }
  }

  void Plan(const CallContext& ctx, const PlanRequest& req, PlanResponse* resp,
            schema::Diagnostics* diags) const override {
    schema::Diagnostics local;
    resp->planned_state = req.proposed_new_state;
    resp->planned_private = req.prior_private;
    PlanChecked(ctx, req, resp, &local);
    RedactSecrets(&local, SecretsOf(req.config, req.prior_state));
    diags->Append(local);
  }

  void Apply(const CallContext& ctx, const ApplyRequest& req, ApplyResponse* resp,
             schema::Diagnostics* diags) const override {
    schema::Diagnostics local;
    const bool create = req.prior_state.IsNull();
    resp->new_state = create ? Value::Null(UpgradeSchema().block.ImpliedType()) : req.prior_state;
    resp->private_data = req.planned_private;
    ApplyChecked(ctx, req, resp, &local);
    RedactSecrets(&local, SecretsOf(req.config, req.prior_state));
    diags->Append(local);
  }

  void Read(const CallContext& ctx, const ReadRequest& req, ReadResponse* resp,
            schema::Diagnostics* diags) const override {
    resp->new_state = req.current_state;
    resp->private_data = req.private_data;
    const Value& state = req.current_state;
    if (state.IsNull() || !state.IsKnown()) return;
    schema::Diagnostics local;
    Endpoint e;
    std::optional<std::string> active = KnownStringAt(state, {"active_url"});
    std::optional<std::string> source_url = KnownStringAt(state, {"source", "url"});
    std::optional<std::string> target_url = KnownStringAt(state, {"target", "url"});
    e.url = (active && !active->empty()) ? *active : source_url.value_or("");
    e.password = KnownStringAt(state, {"source", "password"});
    if (target_url && SameServerUrls(e.url, *target_url) && !(source_url && SameServerUrls(e.url, *source_url))) {
      e.password = KnownStringAt(state, {"target", "password"});
    }
    if (e.url.empty()) return;
    std::optional<pg::InstanceFacts> facts = ProbeEndpoint(ctx, e, "active", /*warn_only=*/true, &local);
    if (facts) {
      resp->new_state = state.WithAttr("current_version", Value::String(facts->version))
                            .WithAttr("data_size_bytes", Value::Int(facts->total_size_bytes));
      log::Debug("database_upgrade: refreshed", {{"url", Redacted(e.url)}, {"version", facts->version}});
    }
    RedactSecrets(&local, SecretsOf(state, Value()));
    diags->Append(local);
  }

  void Delete(const CallContext& ctx, const Value& prior_state, schema::Diagnostics* diags) const override {
    // Deleting only forgets the upgrade: the servers, the backup and the run journals stay.
    (void)ctx;
    (void)diags;
    log::Info("database_upgrade: forgotten (no database touched)",
              {{"id", KnownStringAt(prior_state, {"id"}).value_or("")}});
  }

  void Import(const CallContext& ctx, std::string_view id, Value* state, schema::Diagnostics* diags) const override {
    Result<pg::ConnInfo> info = pg::ConnInfo::Parse(id);
    if (!info.ok()) {
      diags->AddError("Invalid import ID",
                      "Import database_upgrade by the source server's URL without password, e.g. "
                      "terraform import database_upgrade.main postgresql://postgres@db.example.com:5432/app\n\nCause: " +
                          info.status().message());
      return;
    }
    const std::string url = info->Redacted();
    const schema::Block& b = UpgradeSchema().block;
    std::map<std::string, Value> source_attrs = {{"url", Value::String(url)}};
    std::map<std::string, Value> attrs = {
        {"engine", Value::String(std::string(kEnginePostgresql))},
        {"strategy", Value::String(kStrategyAuto)},
        {"source", Value::Object(b.FindBlock("source")->block.ImpliedType(), std::move(source_attrs))},
        {"active_url", Value::String(url)},
        {"id", Value::String(url)},
    };
    Endpoint e;
    e.url = url;  // libpq's own password sources (PGPASSWORD, ~/.pgpass) apply
    schema::Diagnostics local;
    std::optional<pg::InstanceFacts> facts = ProbeEndpoint(ctx, e, "source", /*warn_only=*/true, &local);
    if (facts) {
      attrs["target_version"] = Value::String(facts->major);
      attrs["current_version"] = Value::String(facts->version);
      attrs["data_size_bytes"] = Value::Int(facts->total_size_bytes);
    } else {
      local.AddWarning("target_version not imported",
                       "The server could not be probed without a password, so target_version is left empty; set it "
                       "in the configuration (the next plan then records it).");
    }
    if (info->has_password()) RedactSecrets(&local, {info->password()});
    diags->Append(local);
    *state = Value::Object(b.ImpliedType(), std::move(attrs));
  }

 private:
  void PlanChecked(const CallContext& ctx, const PlanRequest& req, PlanResponse* resp,
                   schema::Diagnostics* diags) const {
    const Value& prior = req.prior_state;
    const Value& config = req.config;
    const bool create = prior.IsNull();
    Value planned = req.proposed_new_state;

    // An existing upgrade whose active server satisfies target_version and whose configuration did
    // not change: nothing to plan, so a second plan shows no changes.
    std::optional<std::string> target_version = KnownStringAt(config, {"target_version"});
    std::optional<std::string> prior_current = KnownStringAt(prior, {"current_version"});
    if (!create && planned == prior && target_version && prior_current &&
        SatisfiesTarget(*prior_current, *target_version)) {
      if (IsNewerMinorThanPinned(*prior_current, *target_version)) {
        diags->Add(NewerThanPinnedVersion(*prior_current, *target_version, AttributePath::Root("target_version")));
      }
      resp->planned_state = prior;
      return;
    }

    std::optional<std::string> engine = KnownStringAt(config, {"engine"});
    if (!DecisionInputsKnown(config) || !engine || *engine != kEnginePostgresql) {
      // Unknown inputs (e.g. a URL of a server not created yet): unknown plan values, never an error.
      for (const auto& name : PlanTimeComputedNames()) planned = planned.WithAttr(name, UnknownOf(name));
      for (const auto& name : ApplyTimeComputedNames()) {
        if (name == "id" && !create && IsKnownString(prior, "id")) continue;
        planned = planned.WithAttr(name, UnknownOf(name));
      }
      resp->planned_state = planned;
      return;
    }

    Result<UpgradeConfig> cfg = ParseUpgradeConfig(config);
    if (!cfg.ok()) {
      diags->Add(InvalidAttribute(cfg.status()));
      return;
    }
    const Endpoint from = ServerToUpgrade(*cfg, prior);
    const std::string prior_active = KnownStringAt(prior, {"active_url"}).value_or("");
    const std::string key = PlanCacheKey(DecisionInputsText(*cfg), prior_active, prior_current.value_or(""));
    PlanCache cache(ctx.options->work_dir);

    std::optional<PlannedComputed> computed;
    if (std::optional<Value> hit = cache.Get(key, CachedType())) {
      Result<PlannedComputed> c = PlannedComputed::FromAttributes(hit->Attributes());
      if (c.ok()) {
        computed = *c;
        log::Debug("database_upgrade: plan values reused from the plan cache", {{"key", key}});
      }
    }
    if (!computed) {
      std::optional<Probed> p = ProbeAll(ctx, *cfg, from, diags);
      if (!p) return;
      computed = DecideComputed(ctx, *cfg, *p, diags);
      if (!computed) return;
      Status put = cache.Put(key, Value::Object(CachedType(), computed->ToAttributes()), CachedType());
      if (!put.ok()) log::Warn("database_upgrade: cannot write the plan cache", {{"error", put.message()}});
    }

    for (auto& [name, value] : computed->ToAttributes()) planned = planned.WithAttr(name, value);
    const bool nothing = computed->planned_strategy == kPlannedStrategyNone;
    for (const auto& name : ApplyTimeComputedNames()) {
      // Known after apply. A no-op update keeps what the last upgrade recorded.
      if (!create && nothing) continue;
      if (name == "id" && !create && IsKnownString(prior, "id")) continue;
      planned = planned.WithAttr(name, UnknownOf(name));
    }
    resp->planned_state = planned;
  }

  void ApplyChecked(const CallContext& ctx, const ApplyRequest& req, ApplyResponse* resp,
                    schema::Diagnostics* diags) const {
    const Value& prior = req.prior_state;
    const bool create = prior.IsNull();
    Value result = req.planned_state;
    Result<UpgradeConfig> cfg = ParseUpgradeConfig(req.config);
    if (!cfg.ok()) {
      diags->Add(InvalidAttribute(cfg.status()));
      return;
    }
    std::optional<std::string> planned_strategy = KnownStringAt(result, {"planned_strategy"});
    if (!planned_strategy) {
      diags->AddError("Upgrade not planned",
                      "planned_strategy is unknown at apply time, which means the source server could not be "
                      "probed. Run terraform apply again once source.url and source.password are known.");
      return;
    }
    const Endpoint from = ServerToUpgrade(*cfg, prior);
    const std::string id = create ? Redacted(cfg->source.url) : KnownStringAt(prior, {"id"}).value_or(Redacted(cfg->source.url));

    if (*planned_strategy == kPlannedStrategyNone) {
      auto keep = [&](const char* name, Value dflt) {
        std::optional<Value> v = ValueAt(result, {name});
        if (v && v->IsKnown()) return;
        std::optional<Value> p = ValueAt(prior, {name});
        result = result.WithAttr(name, (p && p->IsKnown() && !p->IsNull()) ? *p : dflt);
      };
      keep("active_url", Value::String(Redacted(from.url)));
      keep("backup_path", Value::String(""));
      keep("measured_downtime_seconds", Seconds(0));
      keep("verification", Value::String("nothing to do: the server already satisfies target_version"));
      keep("completed_at", Value::String(NowRfc3339()));
      keep("id", Value::String(id));
      log::Info("database_upgrade: nothing to do", {{"url", Redacted(from.url)}});
      resp->new_state = result;
      return;
    }

    Result<std::optional<planner::Strategy>> strategy = planner::ParseStrategyChoice(*planned_strategy);
    if (!strategy.ok() || !*strategy) {
      diags->AddError("Invalid planned strategy", "planned_strategy \"" + *planned_strategy + "\" is not a strategy.");
      return;
    }
    // Re-check before changing anything: fresh probes, the planned strategy forced. The size may
    // have grown since the plan, so max_downtime is not re-applied (the plan was accepted).
    schema::Diagnostics precheck;
    std::optional<Probed> p = ProbeAll(ctx, *cfg, from, &precheck);
    std::optional<planner::Decision> decision;
    if (p) {
      p->request.strategy = **strategy;
      p->request.max_downtime_seconds.reset();
      decision = planner::Decide(p->facts, p->request, ModelFromHistory(ctx.options->work_dir));
      if (!decision->chosen()) {
        std::string reason = decision->reason;
        for (const auto& v : decision->verdicts) {
          if (v.strategy == **strategy && !v.reason.empty()) reason = v.reason;
        }
        precheck.AddError("Upgrade failed at step precheck",
                          "The planned strategy \"" + *planned_strategy +
                              "\" can no longer run, so nothing was changed: " + reason +
                              ". Fix that and run terraform apply again (or plan again to choose another strategy).");
      }
    }
    if (precheck.HasError()) {
      diags->Append(precheck);
      if (!create) resp->new_state = prior;
      return;
    }

    Result<planner::Version> tv = planner::ParseVersion(planner::Engine::kPostgres, decision->resolved_target_version);
    const int target_major = tv.ok() ? tv->Part(0) : 0;
    const std::optional<int64_t> timeout = create ? cfg->create_timeout_seconds : cfg->update_timeout_seconds;
    UpgradeConfig run_cfg = *cfg;
    if (from.url != cfg->source.url && **strategy == planner::Strategy::kInPlace) {
      // An in-place upgrade of the active server keeps its URL.
      run_cfg.source.url = from.url;
    }
    Result<pg::UpgradeSpec> spec =
        MakeUpgradeSpec(run_cfg, *ctx.options, from.url, from.password, target_major,
                        ctx.stop != nullptr ? ctx.stop->flag() : nullptr, std::chrono::seconds(timeout.value_or(0)));
    if (!spec.ok()) {
      diags->Add(InvalidAttribute(spec.status()));
      return;
    }
    if (spec->source.bin_dir.empty() && **strategy == planner::Strategy::kInPlace) {
      HostTools tools = ProbeHostTools(*cfg, *ctx.options, p->source.major, target_major);
      spec->source.bin_dir = tools.source_bin_dir;
    }
    pg::RunUpgradeOptions ropts;
    ropts.from_version = p->source.version;
    ropts.to_version = decision->resolved_target_version;
    ropts.data_size_bytes = p->source.total_size_bytes;
    Result<pg::UpgradeReport> report = pg::RunUpgrade(**strategy, *spec, ropts);
    if (!report.ok()) {
      diags->Add(UpgradeFailed(report.status(), *planned_strategy, create));
      if (!create) resp->new_state = prior;
      return;
    }
    for (const auto& w : report->warnings) diags->AddWarning("Upgrade note", w);
    const pg::UpgradeOutcome& out = report->outcome;
    result = result.WithAttr("active_url", Value::String(out.active_url))
                 .WithAttr("backup_path", Value::String(out.backup_path))
                 .WithAttr("measured_downtime_seconds", Seconds(out.measured_downtime_seconds))
                 .WithAttr("verification",
                           Value::String(out.verification.empty() ? std::string("no checks ran")
                                                                  : Join(out.verification, "\n")))
                 .WithAttr("completed_at", Value::String(NowRfc3339()))
                 .WithAttr("id", Value::String(id));
    resp->new_state = result;
  }
};

}  // namespace

std::unique_ptr<Resource> NewDatabaseUpgradeResource() { return std::make_unique<DatabaseUpgradeResource>(); }

}  // namespace tpd::resources
