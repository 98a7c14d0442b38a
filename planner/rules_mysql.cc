// MySQL and MariaDB rules. Sources: SPEC.md engine table (MySQL: dump_restore any, no
// replication, in place one major at a time 5.7 -> 8.0 -> 8.4); seeds/001 (replication upgrades
// only for PostgreSQL); seeds/003 (skipped versions go sequentially); MySQL Reference Manual,
// "Upgrade Paths"; MariaDB documentation, "Upgrading MariaDB" (mariadb-upgrade after the binaries).
#include <string>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

std::vector<Step> InPlaceSteps(const std::vector<std::string>& path, std::string_view upgrade_tool) {
  std::vector<Step> steps = {
      MakeStep(kStepPrecheck, "check the data directory is local, the new binaries exist and the upgrade checker passes", false),
      MakeStep(kStepBackup, "take a backup of the source and record its path (the only way back)", false),
  };
  for (const std::string& hop : path) {
    steps.push_back(MakeStep(kStepFreezeWrites, "shut the server down cleanly (innodb_fast_shutdown=0): writes stop", true, hop));
    steps.push_back(MakeStep(kStepUpgradeInPlace, "replace the binaries with " + hop + " (same data directory)", true, hop));
    steps.push_back(MakeStep(kStepStartUpgraded, "start " + hop + "; " + std::string(upgrade_tool), true, hop));
  }
  steps.push_back(MakeStep(kStepVerify, "check the server reports the new version and compare row counts", true));
  steps.push_back(MakeStep(kStepResumeWrites, "applications reconnect to the same address", false));
  return steps;
}

StrategyPlan PlanMySqlFamily(Strategy strategy, const RuleInput& in, bool sequential) {
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  const bool mariadb = in.engine == Engine::kMariaDb;
  if (strategy == Strategy::kDumpRestore) {
    p.steps = DumpRestoreSteps(in, "set the source read-only (SET GLOBAL super_read_only = ON) and end write sessions",
                               mariadb ? "mariadb-dump the source and load it into the target server"
                                       : "mysqldump (or mysqlpump) the source and load it into the target server");
    p.how = "logical dump into the target server; downtime grows with data size";
    return p;
  }
  if (sequential) {
    std::optional<std::vector<std::string>> path = SequentialPath(in, SequentialSeries(in.engine));
    if (path) p.path = *path;
  }
  p.shape.hops = static_cast<int>(p.path.size());
  p.shape.in_place_mode = InPlaceMode::kRestart;
  p.steps = InPlaceSteps(p.path, mariadb ? "run mariadb-upgrade" : "the server upgrades its data dictionary on start");
  p.how = "replace the binaries and restart, one series at a time";
  p.notes.push_back("in place: no rollback without the backup (the data dictionary is rewritten)");
  return p;
}

}  // namespace

const EngineRules& MySqlRules() {
  static const EngineRules kRules = {
      Engine::kMySql,
      {{Strategy::kReplication, "mysql.replication.unsupported", "SPEC.md engine table; seeds/001",
        "replication upgrades are not offered for MySQL (only PostgreSQL supports them here)"}},
      {
          // MySQL Reference Manual, "Upgrade Paths": only between consecutive series
          // (5.6 -> 5.7, 5.7 -> 8.0, 8.0 -> 8.4); seeds/003: skipped versions go sequentially.
          {"mysql.in_place.known_series", "MySQL Reference Manual: Upgrade Paths; seeds/003", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (SequentialPath(in, SequentialSeries(in.engine))) return std::nullopt;
             return "no supported in-place path from MySQL " + SeriesOf(in.engine, in.current) + " to " +
                    SeriesOf(in.engine, in.target) + " (known series: 5.5, 5.6, 5.7, 8.0, 8.4)";
           }},
      },
      [](Strategy s, const RuleInput& in) { return PlanMySqlFamily(s, in, true); },
  };
  return kRules;
}

const EngineRules& MariaDbRules() {
  static const EngineRules kRules = {
      Engine::kMariaDb,
      {{Strategy::kReplication, "mariadb.replication.unsupported", "SPEC.md engine table; seeds/001",
        "replication upgrades are not offered for MariaDB (only PostgreSQL supports them here)"}},
      {},
      // MariaDB docs: in-place upgrades may go directly to a newer release, followed by
      // mariadb-upgrade; no intermediate series are required.
      [](Strategy s, const RuleInput& in) { return PlanMySqlFamily(s, in, false); },
  };
  return kRules;
}

}  // namespace tpd::planner
