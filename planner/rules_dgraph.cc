// Dgraph rules. Source: seeds/000 (upgrade = export, new cluster with empty data directories, bulk
// load, verify; read-only during the window by a rolling restart of the Alphas with
// `--mutations disallow`; "Dgraph's underlying data format could have changed").
#include <string>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

StrategyPlan Plan(Strategy strategy, const RuleInput& in) {
  (void)strategy;  // only dump_restore passes the table
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  p.steps = {
      MakeStep(kStepPrecheck, "check both clusters are reachable and the export destination has room", false),
      MakeStep(kStepFreezeWrites, "rolling restart of every Alpha with --mutations disallow: the cluster is read-only", true),
      MakeStep(kStepBackup, "export the data and check the export succeeded (it is kept as insurance)", true),
      MakeStep(kStepCopyData, "bulk load the export into the new cluster started with empty -p/-w directories", true),
      MakeStep(kStepVerify, "compare counts of nodes per type between the clusters", true),
      MakeStep(kStepSwitch, "point active_url at the new cluster", true),
      MakeStep(kStepResumeWrites, "applications write to the new cluster; the old one stays read-only", false),
  };
  p.how = "export, then bulk load into a new cluster, with the old cluster read-only meanwhile";
  return p;
}

}  // namespace

const EngineRules& DgraphRules() {
  static const EngineRules kRules = {
      Engine::kDgraph,
      {
          {Strategy::kReplication, "dgraph.replication.unsupported", "seeds/000",
           "Dgraph upgrades only by export and bulk load into a new cluster"},
          {Strategy::kInPlace, "dgraph.in_place.unsupported", "seeds/000",
           "Dgraph's data format may change between versions, so it cannot be upgraded in place; export and bulk load instead"},
      },
      {},
      Plan,
  };
  return kRules;
}

}  // namespace tpd::planner
