// Rules shared by every engine, and helpers for the per-engine tables.
#include <utility>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

std::optional<std::string> NeedsTargetServer(const RuleInput& in, std::string_view what) {
  if (in.facts.has_target_server) return std::nullopt;
  return std::string(what) + " needs a separate target server running the new version, and none is configured";
}

std::optional<std::string> TargetServerAtTarget(const RuleInput& in) {
  if (!in.target_server) return std::nullopt;
  if (Satisfies(*in.target_server, in.target)) return std::nullopt;
  return "the target server runs " + in.target_server->Canonical() + ", not the requested " +
         in.target.Canonical();
}

}  // namespace

const std::vector<Rule>& CommonRules() {
  static const std::vector<Rule> kRules = {
      // seeds/001 (dump and restore, step 1: "Create a new target Database running the desired
      // version"); seeds/004 (a NEW service receives the restored backup).
      {"common.dump_restore.target_server", "seeds/001, seeds/004", Strategy::kDumpRestore,
       [](const RuleInput& in) { return NeedsTargetServer(in, "dump and restore"); }},
      {"common.dump_restore.target_server_version", "seeds/001", Strategy::kDumpRestore,
       [](const RuleInput& in) { return TargetServerAtTarget(in); }},
      // seeds/001 (replication: "creating an upgrade replica of the existing Database").
      {"common.replication.target_server", "seeds/001", Strategy::kReplication,
       [](const RuleInput& in) { return NeedsTargetServer(in, "replication"); }},
      {"common.replication.target_server_version", "seeds/001", Strategy::kReplication,
       [](const RuleInput& in) { return TargetServerAtTarget(in); }},
      // SPEC.md engine table (in_place needs local data_dir); seeds/002 (the upgrade runs on each
      // node: "./deploy.sh upgrade -l").
      {"common.in_place.local_dirs", "SPEC.md engine table, seeds/002", Strategy::kInPlace,
       [](const RuleInput& in) -> std::optional<std::string> {
         if (in.facts.local_dirs) return std::nullopt;
         return "in place needs the source's data directory on this host (source.data_dir), and it is "
                "not available";
       }},
      {"common.in_place.target_bin_dir", "SPEC.md engine table", Strategy::kInPlace,
       [](const RuleInput& in) -> std::optional<std::string> {
         if (in.facts.target_bin_dir) return std::nullopt;
         return "in place needs the new version's binaries on this host (target.bin_dir), and they are "
                "not available";
       }},
  };
  return kRules;
}

const EngineRules& RulesFor(Engine engine) {
  switch (engine) {
    case Engine::kPostgres: return PostgresRules();
    case Engine::kMySql: return MySqlRules();
    case Engine::kMariaDb: return MariaDbRules();
    case Engine::kMongoDb: return MongoDbRules();
    case Engine::kRedis: return RedisRules();
    case Engine::kElasticsearch: return ElasticsearchRules();
    case Engine::kDgraph: return DgraphRules();
    case Engine::kKwdb: return KwdbRules();
  }
  return PostgresRules();
}

Step MakeStep(std::string_view name, std::string description, bool during_downtime, std::string hop) {
  Step s;
  s.name = std::string(name);
  s.description = std::move(description);
  s.hop = std::move(hop);
  s.during_downtime = during_downtime;
  return s;
}

std::string TargetHop(const RuleInput& in) { return in.target.Canonical(); }

std::optional<std::vector<std::string>> SequentialPath(const RuleInput& in,
                                                       const std::vector<std::string>& series) {
  const std::string cur = SeriesOf(in.engine, in.current);
  const std::string tgt = SeriesOf(in.engine, in.target);
  int ic = -1;
  int it = -1;
  for (size_t i = 0; i < series.size(); ++i) {
    if (series[i] == cur) ic = static_cast<int>(i);
    if (series[i] == tgt) it = static_cast<int>(i);
  }
  if (ic < 0 || series.empty()) return std::nullopt;
  if (it < 0) {
    // A target beyond the newest listed series goes there last, from the newest listed one.
    Result<Version> last = ParseVersion(in.engine, series.back());
    if (!last.ok() || CompareVersions(in.target, *last) <= 0) return std::nullopt;
    it = static_cast<int>(series.size());
  }
  std::vector<std::string> path;
  for (int i = ic + 1; i < it; ++i) path.push_back(series[static_cast<size_t>(i)]);
  path.push_back(TargetHop(in));
  return path;
}

std::vector<Step> DumpRestoreSteps(const RuleInput& in, std::string freeze, std::string copy) {
  (void)in;
  // seeds/004: writes made between the backup and the switch are lost unless writes are frozen
  // before the copy is taken; so freeze_writes always precedes copy_data.
  return {
      MakeStep(kStepPrecheck, "check both servers are reachable, versions, free space and tools", false),
      MakeStep(kStepBackup, "take a backup of the source and record its path", false),
      MakeStep(kStepFreezeWrites, std::move(freeze), true),
      MakeStep(kStepCopyData, std::move(copy), true),
      MakeStep(kStepVerify, "compare row counts (and checksums when enabled) between source and target", true),
      MakeStep(kStepSwitch, "point active_url at the target server", true),
      MakeStep(kStepResumeWrites, "let applications write to the target; the source stays read-only for rollback",
               false),
  };
}

}  // namespace tpd::planner
