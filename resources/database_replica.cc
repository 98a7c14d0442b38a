#include "resources/database_replica.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engines/postgres/connection.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/probe.h"
#include "engines/postgres/replication.h"
#include "planner/units.h"
#include "provider/log.h"
#include "resources/common_blocks.h"
#include "resources/database_replica_schema.h"
#include "resources/diagnostics.h"

namespace tpd::resources {
namespace {

namespace pg = engines::postgres;
using schema::AttributePath;
using schema::Diagnostic;
using schema::Type;
using schema::Value;

constexpr char kTypeName[] = "database_replica";
constexpr char kSlotPrefix[] = "tpd_";

// Computed attributes. Those in kVolatile are re-read all the time; a plan keeps their prior value.
const char* const kComputed[] = {"id",          "status",      "lag_bytes",   "source_version",
                                 "target_version", "publication", "subscription", "slot_name",
                                 "promoted_at", "measured_downtime_seconds"};

const Type& ImpliedType() {
  static const Type kType = DatabaseReplicaSchema().block.ImpliedType();
  return kType;
}

Value NullOf(std::string_view attr) {
  return Value::Null(ImpliedType().attributes().at(std::string(attr)));
}
Value UnknownOf(std::string_view attr) {
  return Value::Unknown(ImpliedType().attributes().at(std::string(attr)));
}

Value StateValue(pg::ReplicaState state) { return Value::String(std::string(pg::ReplicaStateName(state))); }

std::string RfcNowUtc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

uint32_t Fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::optional<std::vector<std::string>> KnownTables(const Value& obj) {
  std::optional<Value> v = ValueAt(obj, {"tables"});
  if (!v || !v->IsWhollyKnown()) return std::nullopt;
  std::vector<std::string> out;
  if (v->IsNull()) return out;
  for (const Value& e : v->Elements()) {
    if (e.IsNull()) return std::nullopt;
    out.push_back(e.AsString());
  }
  return out;
}

// The secrets this resource may ever echo: both passwords (config or state) and URL passwords.
std::vector<std::string> SecretsOf(const Value& obj) {
  std::vector<std::string> out;
  if (!obj.IsKnown() || obj.IsNull()) return out;
  for (const char* block : {"source", "target"}) {
    if (auto pw = KnownStringAt(obj, {block, "password"})) out.push_back(*pw);
    if (auto url = KnownStringAt(obj, {block, "url"})) {
      Result<pg::ConnInfo> info = pg::ConnInfo::Parse(*url);
      if (info.ok() && info->has_password()) out.push_back(info->password());
    }
  }
  return out;
}

// --- User-facing text (what happened, what to do, cause) ---

Diagnostic ReplicaError(std::string summary, std::string what_to_do, const Status& st,
                        std::optional<AttributePath> path = std::nullopt) {
  Diagnostic d;
  d.severity = Diagnostic::Severity::kError;
  d.summary = std::move(summary);
  d.detail = what_to_do + "\n\nCause: " + st.message();
  d.attribute = std::move(path);
  return d;
}

Diagnostic ReplicaWarning(std::string summary, std::string detail, std::optional<AttributePath> path = std::nullopt) {
  Diagnostic d;
  d.severity = Diagnostic::Severity::kWarning;
  d.summary = std::move(summary);
  d.detail = std::move(detail);
  d.attribute = std::move(path);
  return d;
}

Diagnostic IdentityFullWarning(const std::vector<std::string>& tables, bool applied) {
  std::string list;
  for (const auto& t : tables) list += "\n  - " + t;
  return ReplicaWarning(
      "Tables without a primary key get REPLICA IDENTITY FULL",
      std::string(applied ? "These tables have" : "These tables will have") +
          " no primary key and no usable replica identity on the source:" + list +
          "\n\nLogical replication can carry their UPDATE and DELETE only with REPLICA IDENTITY FULL, so the "
          "provider " + (applied ? "set" : "sets") +
          " it on the source. Each update and delete of these tables then writes the whole old row to the WAL, and "
          "the target finds rows by comparing every column (slow on large tables). Add a primary key to avoid "
          "both.",
      AttributePath::Root("tables"));
}

// --- Reading configuration / state ---

struct Endpoints {
  pg::ConnInfo source;
  pg::ConnInfo target;
};

// Connection info of both servers from a config/plan/state object. InvalidArgument with the path.
Result<Endpoints> EndpointsOf(const Value& obj) {
  Endpoints out;
  for (const char* block : {"source", "target"}) {
    std::optional<std::string> url = KnownStringAt(obj, {block, "url"});
    if (!url) return Status::InvalidArgument(std::string(block) + ".url must be known").WithPath(
        AttributePath::Root(block).Attr("url"));
    Result<pg::ConnInfo> info = pg::ConnInfo::Parse(*url, KnownStringAt(obj, {block, "password"}));
    if (!info.ok()) return info.status().WithPath(AttributePath::Root(block).Attr("url"));
    (std::string(block) == "source" ? out.source : out.target) = std::move(info).value();
  }
  return out;
}

// The ReplicaSpec for an object whose slot_name is known (state) or derivable (plan/config).
Result<pg::ReplicaSpec> SpecOf(const CallContext& ctx, const Value& obj) {
  TPD_ASSIGN_OR_RETURN(Endpoints ep, EndpointsOf(obj));
  pg::ReplicaSpec spec;
  spec.source = std::move(ep.source);
  spec.target = std::move(ep.target);
  std::optional<std::string> slot = KnownStringAt(obj, {"slot_name"});
  std::optional<std::vector<std::string>> tables = KnownTables(obj);
  if (!tables) return Status::InvalidArgument("tables must be known").WithPath(AttributePath::Root("tables"));
  spec.tables = *tables;
  if (slot && slot->rfind(kSlotPrefix, 0) == 0 && slot->size() > 4) {
    spec.id = slot->substr(4);
  } else {
    TPD_ASSIGN_OR_RETURN(spec.id, ReplicaIdFor(*KnownStringAt(obj, {"source", "url"}),
                                               *KnownStringAt(obj, {"target", "url"}), spec.tables));
  }
  if (ctx.stop != nullptr) spec.stop = ctx.stop->flag();
  if (ctx.options != nullptr) {
    spec.tool_paths = ctx.options->tool_paths;
    spec.parallelism = std::max(1, ctx.options->parallelism);
    if (!ctx.options->work_dir.empty()) spec.work_dir = ctx.options->work_dir;
  }
  return spec;
}

std::optional<int64_t> TimeoutSeconds(const Value& obj, const char* op) {
  std::optional<std::string> text = KnownStringAt(obj, {"timeouts", op});
  if (!text) return std::nullopt;
  Result<int64_t> s = planner::ParseDurationSeconds(*text);
  if (!s.ok()) return std::nullopt;
  return *s;
}

bool PriorPromoted(const Value& prior) {
  if (prior.IsNull() || !prior.IsKnown()) return false;
  std::optional<Value> p = ValueAt(prior, {"promote"});
  if (p && p->OptBool().value_or(false)) return true;
  return KnownStringAt(prior, {"status"}) == std::string(pg::ReplicaStateName(pg::ReplicaState::kPromoted));
}

// Planned/new object: `base` with computed attributes replaced.
Value WithAttrs(const Value& base, const std::map<std::string, Value>& attrs) {
  Value out = base;
  for (const auto& [k, v] : attrs) out = out.WithAttr(k, v);
  return out;
}

// Whether a requires-replace input (other than slot_name) differs between prior and proposed.
bool ReplacingInputChanged(const Value& prior, const Value& proposed) {
  for (const char* a : {"engine", "tables"}) {
    if (prior.GetAttr(a) != proposed.GetAttr(a)) return true;
  }
  for (const char* block : {"source", "target"}) {
    std::optional<Value> p = ValueAt(prior, {block, "url"});
    std::optional<Value> n = ValueAt(proposed, {block, "url"});
    if (!p || !n || *p != *n) return true;
  }
  return false;
}

// Fills the result of a finished create or cutover from a fresh status read (versions).
void FillVersions(const pg::ReplicaSpec& spec, bool promoted, std::map<std::string, Value>* attrs,
                  schema::Diagnostics* diags) {
  Result<pg::ReplicaStatus> st = pg::GetReplicaStatus(spec, promoted);
  if (!st.ok()) {
    diags->Add(ReplicaWarning("Could not read the replica's versions",
                              "The replica was set up, but reading it back failed; versions are empty until the "
                              "next refresh. Cause: " + st.status().message()));
    (*attrs)["source_version"] = Value::String("");
    (*attrs)["target_version"] = Value::String("");
    return;
  }
  (*attrs)["source_version"] = Value::String(st->source_version);
  (*attrs)["target_version"] = Value::String(st->target_version);
}

// Best-effort removal after a failed create, so nothing holds WAL on the source.
void CleanUpAfterFailedCreate(const pg::ReplicaSpec& spec, schema::Diagnostics* diags) {
  pg::ReplicaSpec cleanup = spec;
  cleanup.stop = nullptr;  // even after a cancel: a slot left behind fills the source's disk
  Result<pg::DropReplicaReport> dropped = pg::DropReplica(cleanup);
  if (!dropped.ok()) {
    diags->Add(ReplicaWarning(
        "Objects of the failed replica may be left on the source",
        "Removing the publication and replication slot after the failed create did not finish. A slot left "
        "behind keeps WAL on the source until it is dropped: check pg_replication_slots on the source for \"" +
            pg::NamesForReplica(spec.id).slot + "\" and drop it (SELECT pg_drop_replication_slot(...)), or run "
            "the apply again (it reuses and then cleans up the same names). Cause: " +
            dropped.status().message()));
    return;
  }
  log::Info("database_replica: removed the objects of the failed create",
            {{"slot", pg::NamesForReplica(spec.id).slot},
             {"slot_dropped", dropped->slot_dropped},
             {"publication_dropped", dropped->publication_dropped},
             {"subscription_dropped", dropped->subscription_dropped}});
}

class DatabaseReplicaResource final : public Resource {
 public:
  std::string TypeName() const override { return kTypeName; }
  const schema::Schema& GetSchema() const override { return DatabaseReplicaSchema(); }

  void ValidateConfig(const Value& config, schema::Diagnostics* diags) const override {
    ValidateDatabaseReplicaConfig(config, diags);
  }

  void Plan(const CallContext& ctx, const PlanRequest& req, PlanResponse* resp,
            schema::Diagnostics* diags) const override {
    schema::Diagnostics local;
    std::optional<ReplicaSourceFacts> facts;
    if (req.prior_state.IsNull()) facts = ProbeSource(ctx, req.proposed_new_state);
    PlanReplica(req, facts, resp, &local);
    RedactSecrets(&local, SecretsOf(req.config));
    diags->Append(local);
  }

  void Apply(const CallContext& ctx, const ApplyRequest& req, ApplyResponse* resp,
             schema::Diagnostics* diags) const override {
    schema::Diagnostics local;
    if (req.prior_state.IsNull()) {
      Create(ctx, req, resp, &local);
    } else {
      Update(ctx, req, resp, &local);
    }
    std::vector<std::string> secrets = SecretsOf(req.planned_state);
    for (auto& s : SecretsOf(req.prior_state)) secrets.push_back(s);
    RedactSecrets(&local, secrets);
    diags->Append(local);
  }

  void Read(const CallContext& ctx, const ReadRequest& req, ReadResponse* resp,
            schema::Diagnostics* diags) const override {
    schema::Diagnostics local;
    ReadInto(ctx, req, resp, &local);
    RedactSecrets(&local, SecretsOf(req.current_state));
    diags->Append(local);
  }

  void Delete(const CallContext& ctx, const Value& prior_state, schema::Diagnostics* diags) const override {
    schema::Diagnostics local;
    DeleteImpl(ctx, prior_state, &local);
    RedactSecrets(&local, SecretsOf(prior_state));
    diags->Append(local);
  }

  void Import(const CallContext& ctx, std::string_view id, Value* state, schema::Diagnostics* diags) const override {
    (void)ctx;
    Result<ReplicaImportId> parsed = ParseReplicaImportId(id);
    if (!parsed.ok()) {
      diags->AddError("Invalid import ID for database_replica", parsed.status().message());
      return;
    }
    const pg::ReplicationNames names = pg::NamesForReplica(parsed->replica_id);
    const schema::Block& b = DatabaseReplicaSchema().block;
    auto server = [&](const char* name, const std::string& url) {
      return Value::Object(b.FindBlock(name)->block.ImpliedType(), {{"url", Value::String(url)}});
    };
    std::map<std::string, Value> attrs = {
        {"id", Value::String(names.subscription)},
        {"engine", Value::String("postgresql")},
        {"mode", Value::String(kReplicaModeLogical)},
        {"promote", Value::Bool(false)},
        {"source", server("source", parsed->source_url)},
        {"target", server("target", parsed->target_url)},
        // Read replaces these with what it finds.
        {"status", StateValue(pg::ReplicaState::kStreaming)},
        {"source_version", Value::String("")},
        {"target_version", Value::String("")},
        {"publication", Value::String(names.publication)},
        {"subscription", Value::String(names.subscription)},
        {"slot_name", Value::String(names.slot)},
        {"promoted_at", Value::String("")},
    };
    *state = Value::Object(ImpliedType(), std::move(attrs));
  }

 private:
  // Facts for the plan, or nullopt when the source is not known or not reachable (then the apply
  // checks everything again).
  std::optional<ReplicaSourceFacts> ProbeSource(const CallContext& ctx, const Value& proposed) const {
    if (!proposed.IsKnown() || proposed.IsNull()) return std::nullopt;
    std::optional<std::string> url = KnownStringAt(proposed, {"source", "url"});
    std::optional<Value> pw = ValueAt(proposed, {"source", "password"});
    if (!url || !pw || !pw->IsKnown()) return std::nullopt;
    Result<pg::ConnInfo> info = pg::ConnInfo::Parse(*url, pw->OptString());
    if (!info.ok()) return std::nullopt;
    pg::ConnectOptions copts;
    copts.connect_timeout = std::chrono::seconds(5);
    if (ctx.stop != nullptr) copts.cancel_flag = ctx.stop->flag();
    Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Connect(*info, copts);
    if (!conn.ok()) {
      log::Info("database_replica: source not reachable at plan time; checks run at apply",
                {{"url", info->Redacted()}, {"code", std::string(Status::CodeName(conn.status().code()))}});
      return std::nullopt;
    }
    Result<pg::InstanceFacts> f = pg::Probe(**conn);
    if (!f.ok()) {
      log::Info("database_replica: probing the source failed at plan time",
                {{"url", info->Redacted()}, {"code", std::string(Status::CodeName(f.status().code()))}});
      return std::nullopt;
    }
    ReplicaSourceFacts facts;
    facts.version = f->version;
    facts.server_version_num = f->server_version_num;
    facts.wal_level = f->wal_level;
    facts.tables_needing_identity = f->UnreplicableTables();
    return facts;
  }

  void Create(const CallContext& ctx, const ApplyRequest& req, ApplyResponse* resp, schema::Diagnostics* diags) const {
    const Value& planned = req.planned_state;
    Result<pg::ReplicaSpec> spec_or = SpecOf(ctx, planned);
    if (!spec_or.ok()) {
      diags->Add(InvalidAttribute(spec_or.status()));
      return;
    }
    pg::ReplicaSpec spec = std::move(spec_or).value();
    if (std::optional<int64_t> t = TimeoutSeconds(planned, "create")) spec.sync_timeout = std::chrono::seconds(*t);
    log::Info("database_replica: creating", {{"source", spec.source.Redacted()},
                                             {"target", spec.target.Redacted()},
                                             {"slot", pg::NamesForReplica(spec.id).slot}});
    Result<pg::CreateReplicaReport> created = pg::CreateReplica(spec);
    if (!created.ok()) {
      const Status st = created.status();
      if (st.IsCancelled()) {
        diags->Add(Cancelled(st, "Creating the database_replica"));
      } else {
        diags->Add(ReplicaError(
            "Creating the replica failed",
            "The replica could not be set up; what had been created of it was removed again, so nothing holds WAL on "
            "the source and no state was saved. Fix the cause and apply again.",
            st, st.path()));
      }
      CleanUpAfterFailedCreate(spec, diags);
      return;
    }
    if (!created->replica_identity_full.empty()) {
      diags->Add(IdentityFullWarning(created->replica_identity_full, /*applied=*/true));
    }
    for (const std::string& w : created->warnings) {
      bool about_identity = false;
      for (const auto& t : created->replica_identity_full) about_identity |= w.find(t) != std::string::npos;
      if (!about_identity) diags->Add(ReplicaWarning("Replica created with a warning", w));
    }
    const pg::ReplicationNames& names = created->names;
    std::map<std::string, Value> attrs = {
        {"id", Value::String(names.subscription)},
        {"publication", Value::String(names.publication)},
        {"subscription", Value::String(names.subscription)},
        {"slot_name", Value::String(names.slot)},
        {"status", StateValue(pg::ReplicaState::kStreaming)},
        {"lag_bytes", Value::Int(created->lag_bytes)},
        {"promoted_at", Value::String("")},
        {"measured_downtime_seconds", NullOf("measured_downtime_seconds")},
    };
    const bool promote = ValueAt(planned, {"promote"}).value_or(Value()).OptBool().value_or(false);
    if (promote) {
      if (!Promote(ctx, planned, spec, &attrs, diags)) {
        // The stream exists but the cutover did not happen: remove it (no state is saved).
        CleanUpAfterFailedCreate(spec, diags);
        return;
      }
    }
    FillVersions(spec, promote, &attrs, diags);
    resp->new_state = WithAttrs(planned, attrs);
  }

  // Runs the cutover; on success fills status/lag/promoted_at/measured_downtime_seconds.
  bool Promote(const CallContext& ctx, const Value& planned, const pg::ReplicaSpec& spec,
               std::map<std::string, Value>* attrs, schema::Diagnostics* diags) const {
    (void)ctx;
    pg::CutoverOptions options;
    if (std::optional<int64_t> t = TimeoutSeconds(planned, "update")) {
      options.catch_up_timeout = std::chrono::seconds(*t);
    }
    log::Info("database_replica: cutover started", {{"source", spec.source.Redacted()},
                                                    {"target", spec.target.Redacted()}});
    Result<pg::CutoverReport> report = pg::Cutover(spec, options);
    if (!report.ok()) {
      const Status st = report.status();
      const AttributePath promote_path = AttributePath::Root("promote");
      if (st.IsCancelled()) {
        diags->Add(Cancelled(st, "Promoting the database_replica"));
      } else if (st.IsInternal() && st.message().find("detach incomplete") != std::string::npos) {
        diags->Add(ReplicaError(
            "Cutover finished only partly",
            "The target has every acknowledged write and writes on the source stay frozen, but removing the "
            "subscription, publication or slot did not finish. Point applications at the target, then run "
            "`terraform destroy` for this replica (it drops what is left) or apply again.",
            st, promote_path));
      } else if (st.message().find("schema changed") != std::string::npos ||
                 st.message().find("cutover refused") != std::string::npos) {
        diags->Add(ReplicaError(
            "Cutover refused: the source schema changed",
            "DDL ran on the source after the replica was created, and logical replication does not carry DDL. "
            "Nothing was frozen and the source keeps taking writes; the replica stays in place, but changes to the "
            "altered tables wait on the target until it has the same schema. Apply the same DDL on the target (or "
            "undo it on the source), then apply again.",
            st, promote_path));
      } else {
        diags->Add(ReplicaError(
            "Cutover failed",
            "Writes on the source were re-enabled and the replica keeps streaming; the state still says promote = "
            "false. Fix the cause and apply again.",
            st, promote_path));
      }
      return false;
    }
    log::Info("database_replica: cutover finished",
              {{"write_freeze_seconds", report->write_freeze_seconds},
               {"freeze_lsn", report->freeze_lsn},
               {"sequences", report->sequences.size()}});
    for (const std::string& line : report->verification) log::Info("database_replica: verified", {{"check", line}});
    (*attrs)["status"] = StateValue(pg::ReplicaState::kPromoted);
    (*attrs)["lag_bytes"] = Value::Int(0);
    (*attrs)["promoted_at"] = Value::String(RfcNowUtc());
    (*attrs)["measured_downtime_seconds"] = Value::Num(schema::Number::FromDouble(report->write_freeze_seconds));
    return true;
  }

  void Update(const CallContext& ctx, const ApplyRequest& req, ApplyResponse* resp, schema::Diagnostics* diags) const {
    const Value& planned = req.planned_state;
    const bool was = PriorPromoted(req.prior_state);
    const bool want = ValueAt(planned, {"promote"}).value_or(Value()).OptBool().value_or(false);
    if (!was && want) {
      Result<pg::ReplicaSpec> spec = SpecOf(ctx, planned);
      if (!spec.ok()) {
        diags->Add(InvalidAttribute(spec.status()));
        return;
      }
      std::map<std::string, Value> attrs;
      if (!Promote(ctx, planned, *spec, &attrs, diags)) return;  // prior state kept
      resp->new_state = WithAttrs(planned, attrs);
      return;
    }
    // Nothing to do on the servers (passwords, timeouts): the plan kept every computed value.
    Value out = planned;
    if (!out.IsWhollyKnown()) {
      for (const char* a : kComputed) {
        if (!out.GetAttr(a).IsKnown()) out = out.WithAttr(a, req.prior_state.GetAttr(a));
      }
    }
    resp->new_state = out;
  }

  void ReadInto(const CallContext& ctx, const ReadRequest& req, ReadResponse* resp, schema::Diagnostics* diags) const {
    const Value& cur = req.current_state;
    resp->new_state = cur;
    resp->private_data = req.private_data;
    if (cur.IsNull() || !cur.IsKnown()) return;
    Result<pg::ReplicaSpec> spec = SpecOf(ctx, cur);
    if (!spec.ok()) {
      diags->Add(ReplicaWarning("Cannot read the replica", "The stored state is incomplete: " + spec.status().message()));
      return;
    }
    const bool promoted = PriorPromoted(cur);
    Result<pg::ReplicaStatus> st = pg::GetReplicaStatus(*spec, promoted);
    if (!st.ok()) {
      if (st.status().IsCancelled()) {
        diags->Add(Cancelled(st.status(), "Reading the database_replica"));
        return;
      }
      diags->Add(ReplicaWarning(
          "Could not read the replica's status",
          "The state is kept as it was. If a server is down on purpose this is expected; otherwise check that both "
          "servers are reachable with the configured credentials. Cause: " + st.status().message()));
      return;
    }
    std::map<std::string, Value> attrs;
    attrs["status"] = StateValue(st->state);
    attrs["lag_bytes"] = st->lag_bytes >= 0 ? Value::Int(st->lag_bytes) : NullOf("lag_bytes");
    if (!st->source_version.empty()) attrs["source_version"] = Value::String(st->source_version);
    if (!st->target_version.empty()) attrs["target_version"] = Value::String(st->target_version);
    if (promoted) {
      attrs["status"] = StateValue(pg::ReplicaState::kPromoted);
      attrs["lag_bytes"] = Value::Int(0);
    }
    resp->new_state = WithAttrs(cur, attrs);
    resp->private_data.clear();
    if (st->state == pg::ReplicaState::kBroken) {
      resp->private_data = st->reason;
      log::Warn("database_replica: broken", {{"reason", st->reason}, {"slot", pg::NamesForReplica(spec->id).slot}});
    }
  }

  void DeleteImpl(const CallContext& ctx, const Value& prior, schema::Diagnostics* diags) const {
    if (prior.IsNull() || !prior.IsKnown()) return;
    Result<pg::ReplicaSpec> spec = SpecOf(ctx, prior);
    if (!spec.ok()) {
      diags->Add(ReplicaError("Cannot delete the replica", "The stored state is incomplete; remove it with "
                              "`terraform state rm` and drop the objects by hand.", spec.status()));
      return;
    }
    const bool promoted = PriorPromoted(prior);
    log::Info("database_replica: dropping", {{"source", spec->source.Redacted()},
                                             {"target", spec->target.Redacted()},
                                             {"slot", pg::NamesForReplica(spec->id).slot}});
    Result<pg::DropReplicaReport> dropped = pg::DropReplica(*spec);
    if (!dropped.ok()) {
      const Status st = dropped.status();
      if (promoted && st.IsUnavailable()) {
        diags->Add(ReplicaWarning("Source not reachable while deleting a promoted replica",
                                  "The cutover already removed the publication and slot, so nothing is left to "
                                  "drop. Cause: " + st.message()));
        return;
      }
      if (st.IsCancelled()) {
        diags->Add(Cancelled(st, "Deleting the database_replica"));
        return;
      }
      diags->Add(ReplicaError(
          "Deleting the replica failed",
          "The replication slot on the source may still exist and keeps WAL there until it is dropped, so the "
          "resource stays in the state. Make the source reachable and run destroy again.",
          st, AttributePath::Root("source").Attr("url")));
      return;
    }
    for (const std::string& w : dropped->warnings) diags->Add(ReplicaWarning("Replica deleted with a warning", w));
    log::Info("database_replica: dropped", {{"subscription_dropped", dropped->subscription_dropped},
                                            {"publication_dropped", dropped->publication_dropped},
                                            {"slot_dropped", dropped->slot_dropped},
                                            {"target_reachable", dropped->target_reachable}});
  }
};

}  // namespace

const schema::Schema& DatabaseReplicaSchema() {
  static const schema::Schema kSchema = DatabaseReplicaSchemaV0();
  return kSchema;
}

std::unique_ptr<Resource> NewDatabaseReplicaResource() { return std::make_unique<DatabaseReplicaResource>(); }

std::string NormalizeTableName(std::string_view name) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  bool part_quoted = false;
  std::string cur;
  auto flush = [&] {
    if (!part_quoted) {
      for (char& c : cur) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    parts.back() = cur;
    cur.clear();
    part_quoted = false;
  };
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '"') {
      if (quoted && i + 1 < name.size() && name[i + 1] == '"') {  // "" inside quotes
        cur += '"';
        ++i;
        continue;
      }
      quoted = !quoted;
      part_quoted = true;
    } else if (c == '.' && !quoted) {
      flush();
      parts.emplace_back();
    } else {
      cur += c;
    }
  }
  flush();
  if (parts.size() == 1) return "public." + parts[0];
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

Result<std::string> ReplicaIdFor(std::string_view source_url, std::string_view target_url,
                                 const std::vector<std::string>& tables) {
  std::string key;
  for (std::string_view url : {source_url, target_url}) {
    Result<pg::ConnInfo> info = pg::ConnInfo::Parse(url);
    if (!info.ok()) return info.status();
    key += info->Endpoint() + "/" + info->dbname() + "|";
  }
  std::vector<std::string> norm;
  for (const auto& t : tables) norm.push_back(NormalizeTableName(t));
  std::sort(norm.begin(), norm.end());
  norm.erase(std::unique(norm.begin(), norm.end()), norm.end());
  for (const auto& t : norm) key += t + ",";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "r%08x", Fnv1a(key));
  return std::string(buf);
}

Result<ReplicaImportId> ParseReplicaImportId(std::string_view id) {
  const std::string form =
      "write the import ID as \"<source_url>|<target_url>|<slot_name>\", e.g. "
      "\"postgresql://postgres@old:5432/app|postgresql://postgres@new:5432/app|tpd_r1a2b3c4d\" (URLs without "
      "password; the slot name is the replica's slot_name)";
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t bar = id.find('|', start);
    parts.emplace_back(id.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  if (parts.size() != 3) return Status::InvalidArgument("the import ID has " + std::to_string(parts.size()) +
                                                        " part(s), not 3; " + form);
  for (auto& p : parts) {
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    if (p.empty()) return Status::InvalidArgument("a part of the import ID is empty; " + form);
  }
  for (int i = 0; i < 2; ++i) {
    Result<pg::ConnInfo> info = pg::ConnInfo::Parse(parts[i]);
    if (!info.ok()) {
      return Status::InvalidArgument(std::string(i == 0 ? "source" : "target") + " URL: " + info.status().message());
    }
    if (info->has_password()) {
      return Status::InvalidArgument(std::string(i == 0 ? "source" : "target") +
                                     " URL holds a password; import IDs are shown in logs, so leave it out and set "
                                     "the password in the configuration");
    }
  }
  const std::string& slot = parts[2];
  if (slot.rfind(kSlotPrefix, 0) != 0 || slot.size() <= 4 ||
      pg::NamesForReplica(slot.substr(4)).slot != slot) {
    return Status::InvalidArgument("\"" + slot + "\" is not a slot name this provider creates (they look like "
                                   "\"tpd_r1a2b3c4d\"); " + form);
  }
  return ReplicaImportId{parts[0], parts[1], slot, slot.substr(4)};
}

std::vector<std::string> TablesNeedingIdentity(const ReplicaSourceFacts& facts, const std::vector<std::string>& tables) {
  std::set<std::string> wanted;
  for (const auto& t : tables) wanted.insert(NormalizeTableName(t));
  std::vector<std::string> out;
  for (const auto& t : facts.tables_needing_identity) {
    // Probe names are exact (unquoted) catalog names; compare them as quoted parts would be.
    std::string exact;
    size_t dot = t.find('.');
    exact = dot == std::string::npos ? "public." + t : t;
    if (wanted.empty() || wanted.count(exact) > 0) out.push_back(exact);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void PlanReplica(const PlanRequest& req, const std::optional<ReplicaSourceFacts>& source, PlanResponse* resp,
                 schema::Diagnostics* diags) {
  const Value& prior = req.prior_state;
  const Value& proposed = req.proposed_new_state;
  resp->planned_state = proposed;
  resp->planned_private = req.prior_private;
  if (!proposed.IsKnown() || proposed.IsNull()) return;

  const std::optional<Value> promote_v = ValueAt(proposed, {"promote"});
  // promote as configured: known true, known false (null counts as false), or unknown. Two bools
  // rather than optional<bool>: GCC 12 at -O2 reports a false maybe-uninitialized on the latter.
  const bool promote_known = promote_v && promote_v->IsKnown();
  const bool promote_true = promote_known && promote_v->OptBool().value_or(false);
  const bool promote_false = promote_known && !promote_true;

  if (!prior.IsNull()) {
    const bool was_promoted = PriorPromoted(prior);
    if (was_promoted && promote_false) {
      diags->AddError(
          "A promoted replica cannot be demoted",
          "This replica was promoted: the target took over and the subscription, publication and slot are gone. "
          "Setting promote back to false cannot undo that. Keep promote = true; to replicate again, create a new "
          "database_replica resource.",
          AttributePath::Root("promote"));
      return;
    }
    if (was_promoted && ReplacingInputChanged(prior, proposed)) {
      diags->AddError(
          "A promoted replica cannot be replaced",
          "This replica was promoted, so its target is now the primary database. Replacing the resource would "
          "start a new initial copy into it (emptying its tables first). Revert the change to engine, tables, "
          "source.url or target.url; to stop managing the promoted replica, remove it from the configuration "
          "(destroying a promoted replica only drops leftovers, never data).",
          AttributePath::Root("promote"));
      return;
    }
    const bool broken = KnownStringAt(prior, {"status"}) ==
                        std::string(pg::ReplicaStateName(pg::ReplicaState::kBroken));
    if (broken || ReplacingInputChanged(prior, proposed)) {
      // Replacement: everything computed is decided by the new create. The unknown slot_name marks
      // the replacement when nothing else forces it (slot_name is a requires-replace attribute).
      std::map<std::string, Value> attrs;
      for (const char* a : kComputed) attrs[a] = UnknownOf(a);
      resp->planned_state = WithAttrs(proposed, attrs);
      if (broken && !was_promoted) {
        std::string reason = req.prior_private.empty() ? std::string("the replica was found broken when it was read")
                                                        : req.prior_private;
        diags->Add(ReplicaWarning(
            "The replica is broken and will be replaced",
            "Reason: " + reason + ".\n\nApplying this plan drops what is left of the replica (subscription on the "
            "target, publication and slot on the source) and creates it again with a fresh initial copy of the "
            "tables."));
      }
      return;
    }
    // Keep every computed value as it is in the state: lag_bytes and status change with every read
    // and must not show up as a diff.
    std::map<std::string, Value> attrs;
    for (const char* a : kComputed) attrs[a] = prior.GetAttr(a);
    if (!was_promoted && !promote_false) {
      if (promote_true) {
        attrs["status"] = StateValue(pg::ReplicaState::kPromoted);
        attrs["lag_bytes"] = Value::Int(0);
      } else {
        attrs["status"] = UnknownOf("status");
        attrs["lag_bytes"] = UnknownOf("lag_bytes");
      }
      attrs["promoted_at"] = UnknownOf("promoted_at");
      attrs["measured_downtime_seconds"] = UnknownOf("measured_downtime_seconds");
    }
    resp->planned_state = WithAttrs(proposed, attrs);
    return;
  }

  // Create.
  std::map<std::string, Value> attrs;
  for (const char* a : kComputed) attrs[a] = UnknownOf(a);
  std::optional<std::string> src = KnownStringAt(proposed, {"source", "url"});
  std::optional<std::string> dst = KnownStringAt(proposed, {"target", "url"});
  std::optional<std::vector<std::string>> tables = KnownTables(proposed);
  if (src && dst && tables) {
    Result<std::string> rid = ReplicaIdFor(*src, *dst, *tables);
    if (rid.ok()) {
      pg::ReplicationNames names = pg::NamesForReplica(*rid);
      attrs["id"] = Value::String(names.subscription);
      attrs["publication"] = Value::String(names.publication);
      attrs["subscription"] = Value::String(names.subscription);
      attrs["slot_name"] = Value::String(names.slot);
    }
  }
  if (promote_false) {
    attrs["promoted_at"] = Value::String("");
    attrs["measured_downtime_seconds"] = NullOf("measured_downtime_seconds");
  }
  resp->planned_state = WithAttrs(proposed, attrs);

  if (!source) return;
  const AttributePath url_path = AttributePath::Root("source").Attr("url");
  if (source->server_version_num > 0 && source->server_version_num < 100000) {
    diags->AddError("The source is too old for logical replication",
                    "The source runs PostgreSQL " + source->version +
                        "; logical replication (publications and subscriptions) needs PostgreSQL 10 or newer. Use "
                        "database_upgrade with strategy = \"dump_restore\" instead.",
                    url_path);
    return;
  }
  if (!source->wal_level.empty() && source->wal_level != "logical") {
    diags->AddError("The source's wal_level is not logical",
                    "The source has wal_level = " + source->wal_level +
                        "; a logical replica needs wal_level = logical. Set it in postgresql.conf (or ALTER SYSTEM "
                        "SET wal_level = logical) and restart the source server, then plan again.",
                    url_path);
    return;
  }
  std::vector<std::string> need = TablesNeedingIdentity(*source, tables.value_or(std::vector<std::string>{}));
  if (!need.empty()) diags->Add(IdentityFullWarning(need, /*applied=*/false));
}

}  // namespace tpd::resources
