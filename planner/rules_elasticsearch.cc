// Elasticsearch rules. Sources: seeds/001 ("ES 6.X and below can be upgraded up to ES 6.8; ES 7.X
// can be upgraded up to ES 7.10; ... ES 6.X and below cannot be upgraded to ES 7.X in-place");
// SPEC.md engine table (snapshot/reindex; no replication).
#include <string>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

StrategyPlan Plan(Strategy strategy, const RuleInput& in) {
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  if (strategy == Strategy::kDumpRestore) {
    p.steps = DumpRestoreSteps(in, "block writes on every index (index.blocks.write = true)",
                               "snapshot the indices and restore them on the target cluster (reindex from remote across majors)");
    p.how = "snapshot and restore (or reindex) into the target cluster; downtime grows with data size";
    return p;
  }
  p.shape.in_place_mode = InPlaceMode::kRestart;
  p.steps = {
      MakeStep(kStepPrecheck, "check cluster health is green and the deprecation checks pass", false),
      MakeStep(kStepBackup, "take a snapshot and record its name (the only way back)", false),
      MakeStep(kStepFreezeWrites, "disable shard allocation, flush, and stop the nodes: writes stop", true),
      MakeStep(kStepUpgradeInPlace, "install " + TargetHop(in) + " on every node (same data path)", true, TargetHop(in)),
      MakeStep(kStepStartUpgraded, "start the nodes and re-enable shard allocation", true),
      MakeStep(kStepVerify, "wait for green health and compare document counts", true),
      MakeStep(kStepResumeWrites, "applications reconnect to the same address", false),
  };
  p.how = "upgrade the nodes' binaries in place within the seed's limits";
  p.notes.push_back("in place: indices written by the new version cannot be read by the old one; rollback needs the snapshot");
  return p;
}

}  // namespace

const EngineRules& ElasticsearchRules() {
  static const EngineRules kRules = {
      Engine::kElasticsearch,
      {{Strategy::kReplication, "es.replication.unsupported", "SPEC.md engine table; seeds/001",
        "replication upgrades are not offered for Elasticsearch (only PostgreSQL supports them here)"}},
      {
          // seeds/001: 6.X and below cannot be upgraded to 7.X in place.
          {"es.in_place.no_6_to_7", "seeds/001", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (!(in.current.Part(0) <= 6 && in.target.Part(0) >= 7)) return std::nullopt;
             return "Elasticsearch " + in.current.Canonical() + " cannot be upgraded to " + in.target.Canonical() +
                    " in place (6.x and below stop at 6.8); use snapshot and restore";
           }},
          // seeds/001: 6.X and below can be upgraded up to 6.8.
          {"es.in_place.6x_up_to_6_8", "seeds/001", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.target.Part(0) != 6 || in.target.Part(1) <= 8) return std::nullopt;
             return "in place upgrades of 6.x go up to 6.8 only, and " + in.target.Canonical() + " is beyond it";
           }},
          // seeds/001: 7.X can be upgraded up to 7.10.
          {"es.in_place.7x_up_to_7_10", "seeds/001", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.target.Part(0) != 7 || in.target.Part(1) <= 10) return std::nullopt;
             return "in place upgrades of 7.x go up to 7.10 only, and " + in.target.Canonical() + " is beyond it";
           }},
          // seeds/001 states in-place limits only up to 7.10; nothing is known to work beyond.
          {"es.in_place.beyond_7", "seeds/001", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.target.Part(0) <= 7) return std::nullopt;
             return "in place upgrades are only known to work up to 7.10, and the target is " + in.target.Canonical();
           }},
      },
      Plan,
  };
  return kRules;
}

}  // namespace tpd::planner
