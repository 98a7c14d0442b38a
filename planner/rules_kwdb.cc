// KWDB rules. Source: seeds/002 (standalone 3.0.0 -> 3.1.0 offline; multi-replica clusters node by
// node online; single-replica clusters offline with every node stopped first; any earlier version
// reaches the latest through export/import, which may affect high availability of multi-replica
// clusters); seeds/003 (skipped minor versions go sequentially).
#include <string>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

// In place steps through every minor release of the same major: 3.0 -> 3.1 -> 3.2.
std::vector<std::string> MinorPath(const RuleInput& in) {
  std::vector<std::string> path;
  for (int m = in.current.Part(1) + 1; m < in.target.Part(1); ++m) {
    path.push_back(std::to_string(in.current.Part(0)) + "." + std::to_string(m));
  }
  path.push_back(TargetHop(in));
  return path;
}

StrategyPlan Plan(Strategy strategy, const RuleInput& in) {
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  if (strategy == Strategy::kDumpRestore) {
    p.steps = DumpRestoreSteps(in, "stop application writes to the source and end write sessions",
                               "EXPORT the databases and IMPORT them into the target deployment");
    p.how = "export and import into the target deployment; works from any earlier version";
    if (in.facts.topology == Topology::kMultiReplica) {
      p.notes.push_back("export/import may affect high availability of a multi-replica cluster (seed 002)");
    }
    return p;
  }
  p.path = MinorPath(in);
  p.shape.hops = static_cast<int>(p.path.size());
  p.steps = {MakeStep(kStepPrecheck,
                      in.facts.topology == Topology::kMultiReplica
                          ? "check every node is_live and is_available, no unavailable or under-replicated ranges, no running jobs"
                          : "check KWDB is installed, the version and the deployment method",
                      false),
             MakeStep(kStepBackup, "back up the data directory of every node and record the path", false)};
  if (in.facts.topology == Topology::kMultiReplica) {
    p.shape.in_place_mode = InPlaceMode::kRolling;
    for (const std::string& hop : p.path) {
      p.steps.push_back(MakeStep(kStepRollingUpgrade,
                                 "one node at a time: stop it, ./deploy.sh upgrade -l, start it, check it rejoined with " + hop,
                                 false, hop));
    }
    p.steps.push_back(MakeStep(kStepVerify, "check every node reports the new version and the cluster is healthy", false));
    p.how = "upgrade node by node while the cluster keeps serving";
  } else {
    p.shape.in_place_mode = InPlaceMode::kRestart;
    const bool cluster = in.facts.topology == Topology::kSingleReplica;
    for (const std::string& hop : p.path) {
      p.steps.push_back(MakeStep(kStepFreezeWrites, cluster ? "systemctl stop kaiwudb on every node" : "systemctl stop kaiwudb", true, hop));
      p.steps.push_back(MakeStep(kStepUpgradeInPlace, std::string("./deploy.sh upgrade -l to ") + hop + (cluster ? " on every node" : ""), true, hop));
      p.steps.push_back(MakeStep(kStepStartUpgraded, cluster ? "systemctl start kaiwudb on every node" : "systemctl start kaiwudb", true, hop));
    }
    p.steps.push_back(MakeStep(kStepVerify, "check systemctl status kaiwudb and the reported version", true));
    p.steps.push_back(MakeStep(kStepResumeWrites, "applications reconnect to the same address", false));
    p.how = cluster ? "offline upgrade: stop all nodes, upgrade each, start all" : "offline upgrade of the standalone instance";
  }
  p.notes.push_back("KWDB cannot be downgraded directly: rollback means reinstalling the old version and restoring the backup");
  return p;
}

}  // namespace

const EngineRules& KwdbRules() {
  static const EngineRules kRules = {
      Engine::kKwdb,
      {{Strategy::kReplication, "kwdb.replication.unsupported", "seeds/002",
        "KWDB upgrades in place or by export/import; replication upgrades are not offered"}},
      {
          // seeds/002 documents in-place upgrades between minor releases of one major (3.0.0 ->
          // 3.1.0); any other jump goes through export/import.
          {"kwdb.in_place.same_major", "seeds/002", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.current.Part(0) == in.target.Part(0)) return std::nullopt;
             return "in place upgrades of KWDB stay within one major (" + std::to_string(in.current.Part(0)) +
                    ".x), and " + in.target.Canonical() + " is not; use export/import, which reaches any version";
           }},
      },
      Plan,
  };
  return kRules;
}

}  // namespace tpd::planner
