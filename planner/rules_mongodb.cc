// MongoDB rules. Sources: SPEC.md engine table (mongodump/mongorestore; in place one major at a
// time, featureCompatibilityVersion bumped after each); seeds/001 (MongoDB has good in-place
// support; replication upgrades only for PostgreSQL); seeds/003 (no skipping); MongoDB manual,
// "Upgrade a Standalone to 7.0" and its predecessors ("upgrade successively", setFeatureCompatibilityVersion).
#include <string>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

StrategyPlan Plan(Strategy strategy, const RuleInput& in) {
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  if (strategy == Strategy::kDumpRestore) {
    p.steps = DumpRestoreSteps(in, "lock the source against writes (db.fsyncLock) and end write sessions",
                               "mongodump the source and mongorestore into the target server");
    p.how = "mongodump and mongorestore into the target server; downtime grows with data size";
    return p;
  }
  if (std::optional<std::vector<std::string>> path = SequentialPath(in, SequentialSeries(Engine::kMongoDb))) {
    p.path = *path;
  }
  p.shape.hops = static_cast<int>(p.path.size());
  p.shape.in_place_mode = InPlaceMode::kRestart;
  p.steps = {
      MakeStep(kStepPrecheck, "check featureCompatibilityVersion equals the current series, the data directory is local and each hop's binaries exist", false),
      MakeStep(kStepBackup, "take a backup (mongodump) and record its path (the only way back)", false),
  };
  for (const std::string& hop : p.path) {
    p.steps.push_back(MakeStep(kStepFreezeWrites, "shut mongod down cleanly: writes stop", true, hop));
    p.steps.push_back(MakeStep(kStepUpgradeInPlace, "replace the binaries with " + hop + " (same dbPath)", true, hop));
    p.steps.push_back(MakeStep(kStepStartUpgraded, "start mongod " + hop, true, hop));
    Result<Version> hv = ParseVersion(Engine::kMongoDb, hop);
    const std::string fcv = hv.ok() ? SeriesOf(Engine::kMongoDb, *hv) : hop;
    p.steps.push_back(MakeStep(kStepSetFcv, "db.adminCommand({setFeatureCompatibilityVersion: \"" + fcv + "\"})", true, hop));
  }
  p.steps.push_back(MakeStep(kStepVerify, "check the server reports the new version and compare document counts", true));
  p.steps.push_back(MakeStep(kStepResumeWrites, "applications reconnect to the same address", false));
  p.how = "replace the binaries one series at a time, raising featureCompatibilityVersion after each";
  p.notes.push_back("in place: no rollback without the backup once featureCompatibilityVersion is raised");
  return p;
}

}  // namespace

const EngineRules& MongoDbRules() {
  static const EngineRules kRules = {
      Engine::kMongoDb,
      {{Strategy::kReplication, "mongodb.replication.unsupported", "SPEC.md engine table; seeds/001",
        "replication upgrades are not offered for MongoDB (only PostgreSQL supports them here)"}},
      {
          // MongoDB manual: in-place upgrades move through every release series in turn
          // (4.2 -> 4.4 -> 5.0 -> 6.0 -> 7.0); rapid releases (5.1, 6.1 ...) are not on that path.
          {"mongodb.in_place.known_series", "MongoDB manual: Upgrade a Standalone; seeds/003", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (SequentialPath(in, SequentialSeries(Engine::kMongoDb))) return std::nullopt;
             return "no supported in-place path from MongoDB " + SeriesOf(in.engine, in.current) + " to " +
                    SeriesOf(in.engine, in.target) + " (in place steps through 3.6, 4.0, 4.2, 4.4, 5.0, 6.0, 7.0, 8.0)";
           }},
      },
      Plan,
  };
  return kRules;
}

}  // namespace tpd::planner
