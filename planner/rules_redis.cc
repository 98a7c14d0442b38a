// Redis rules. Sources: SPEC.md engine table (RDB/AOF copy; replica of old then promote; newer
// server reads older RDB); seeds/001 (Redis has good in-place support); Redis docs, "Replication"
// (REPLICAOF, REPLICAOF NO ONE) and "Upgrading or restarting a Redis instance without downtime".
#include <string>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

StrategyPlan Plan(Strategy strategy, const RuleInput& in) {
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  switch (strategy) {
    case Strategy::kDumpRestore:
      p.steps = DumpRestoreSteps(in, "pause writes on the source (CLIENT PAUSE WRITE)",
                                 "BGSAVE an RDB snapshot on the source and load it on the target server");
      p.how = "copy an RDB snapshot to the target server; downtime grows with data size";
      break;
    case Strategy::kReplication:
      p.steps = {
          MakeStep(kStepPrecheck, "check both servers are reachable and the target is not older than the source", false),
          MakeStep(kStepBackup, "BGSAVE an RDB snapshot of the source and record its path", false),
          MakeStep(kStepCopyData, "REPLICAOF the source on the target; the full sync runs while the source serves", false),
          MakeStep(kStepFreezeWrites, "pause writes on the source (CLIENT PAUSE WRITE)", true),
          MakeStep(kStepCatchUp, "wait until the replica's offset equals the source's", true),
          MakeStep(kStepVerify, "compare key counts per database", true),
          MakeStep(kStepSwitch, "promote the target (REPLICAOF NO ONE) and point active_url at it", true),
          MakeStep(kStepResumeWrites, "let applications write to the target; the source stays paused for rollback", false),
      };
      p.how = "make the target a replica of the source, then promote it; downtime barely depends on size";
      break;
    case Strategy::kInPlace:
      p.shape.in_place_mode = InPlaceMode::kRestart;
      p.steps = {
          MakeStep(kStepPrecheck, "check the data directory is local and the new binary exists", false),
          MakeStep(kStepBackup, "BGSAVE an RDB snapshot and record its path (the only way back)", false),
          MakeStep(kStepFreezeWrites, "SHUTDOWN SAVE: writes stop and the RDB is current", true),
          MakeStep(kStepUpgradeInPlace, "replace the binary with " + TargetHop(in), true, TargetHop(in)),
          MakeStep(kStepStartUpgraded, "start the new server; it loads the older RDB", true),
          MakeStep(kStepVerify, "check the server reports the new version and the key counts match", true),
          MakeStep(kStepResumeWrites, "applications reconnect to the same address", false),
      };
      p.how = "restart on the new binary, which reads the older RDB file; downtime is the RDB load time";
      p.notes.push_back("in place: an older Redis cannot read the new RDB format, so rollback needs the backup");
      break;
  }
  return p;
}

}  // namespace

const EngineRules& RedisRules() {
  static const EngineRules kRules = {
      Engine::kRedis,
      {},
      // Newer servers read older RDB files and replicate from older primaries; the target server
      // version check (common rules) keeps the target from being older. Nothing else to reject.
      {},
      Plan,
  };
  return kRules;
}

}  // namespace tpd::planner
