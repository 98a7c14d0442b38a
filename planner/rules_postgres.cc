// PostgreSQL rules. Sources: SPEC.md engine table; seeds/001 (methods), seeds/004 (data-loss risk
// of dump and restore); PostgreSQL documentation: pg_dump ("Notes"), pg_upgrade, "Logical
// Replication" (restrictions, REPLICA IDENTITY), "Upgrading a PostgreSQL Cluster" (minor releases).
#include <string>
#include <vector>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

// The series of `v` as a Version ({13} for 13.4, {9, 6} for 9.6.24), for ordering majors.
Version PgSeries(const Version& v) {
  Version s;
  s.parts = v.Part(0) >= 10 ? std::vector<int>{v.Part(0)} : std::vector<int>{v.Part(0), v.Part(1)};
  return s;
}
// Tool majors follow the Facts convention: 17 is 17, 96 is 9.6, 84 is 8.4.
Version ToolSeries(int m) {
  Version s;
  s.parts = (m >= 80 && m < 100) ? std::vector<int>{m / 10, m % 10} : std::vector<int>{m};
  return s;
}
// <0, 0, >0 as the tool's major is older, equal, newer than v's.
int CompareTool(int tool_major, const Version& v) { return CompareVersions(ToolSeries(tool_major), PgSeries(v)); }
std::string PgMajorText(const Version& v) { return SeriesOf(Engine::kPostgres, v); }
std::string ToolMajorText(int m) { return ToolSeries(m).Canonical(); }

bool IsMinorUpgrade(const RuleInput& in) { return SameSeries(Engine::kPostgres, in.current, in.target); }

std::optional<std::string> MissingExtensions(const RuleInput& in) {
  if (in.facts.extensions_missing_on_target.empty()) return std::nullopt;
  std::string list;
  for (const std::string& e : in.facts.extensions_missing_on_target) list += (list.empty() ? "" : ", ") + e;
  return "extensions used by the source are not available for " + in.target.Canonical() + ": " + list;
}

StrategyPlan Plan(Strategy strategy, const RuleInput& in) {
  StrategyPlan p;
  p.shape.data_size_bytes = in.facts.data_size_bytes;
  p.path = {TargetHop(in)};
  switch (strategy) {
    case Strategy::kDumpRestore:
      p.steps = DumpRestoreSteps(
          in, "make the source read-only (default_transaction_read_only) and end open write sessions",
          "pg_dump the source and pg_restore into the target server in parallel jobs");
      p.how = "pg_dump and pg_restore into the target server; downtime grows with data size";
      break;
    case Strategy::kReplication:
      p.steps = {
          MakeStep(kStepPrecheck, "check wal_level=logical, replica identity of every table, versions and extensions", false),
          MakeStep(kStepBackup, "take a backup of the source and record its path", false),
          MakeStep(kStepCopyData, "copy the schema, then create a publication and a subscription; the initial copy runs while the source serves", false),
          MakeStep(kStepFreezeWrites, "make the source read-only and end open write sessions", true),
          MakeStep(kStepCatchUp, "wait for zero replication lag, then copy sequence values", true),
          MakeStep(kStepVerify, "compare row counts (and checksums when enabled) between source and target", true),
          MakeStep(kStepSwitch, "detach the subscription and point active_url at the target server", true),
          MakeStep(kStepResumeWrites, "let applications write to the target; the source stays read-only for rollback", false),
      };
      p.how = "logical replication into the target server, then a short cutover; downtime barely depends on size";
      p.notes.push_back("logical replication does not copy DDL or large objects: keep the schema frozen until the switch");
      break;
    case Strategy::kInPlace:
      if (IsMinorUpgrade(in)) {
        p.shape.in_place_mode = InPlaceMode::kRestart;
        p.steps = {
            MakeStep(kStepPrecheck, "check the new binaries are the same major and the data directory is local", false),
            MakeStep(kStepBackup, "take a backup of the source and record its path", false),
            MakeStep(kStepFreezeWrites, "stop the server (pg_ctl stop -m fast): writes stop", true),
            MakeStep(kStepUpgradeInPlace, "switch to the new minor release's binaries (same data directory)", true, TargetHop(in)),
            MakeStep(kStepStartUpgraded, "start the server on the new binaries", true),
            MakeStep(kStepVerify, "check the server reports the new version and accepts connections", true),
            MakeStep(kStepResumeWrites, "applications reconnect to the same address", false),
        };
        p.how = "restart on the new minor release's binaries; minor releases share the data format";
      } else {
        p.shape.in_place_mode = in.facts.in_place_link ? InPlaceMode::kLink : InPlaceMode::kCopy;
        const std::string mode = in.facts.in_place_link ? "--link" : "--copy";
        p.steps = {
            MakeStep(kStepPrecheck, "initdb the new data directory and run pg_upgrade --check", false),
            MakeStep(kStepBackup, "take a backup of the source and record its path (the only way back after pg_upgrade)", false),
            MakeStep(kStepFreezeWrites, "stop the source server (pg_ctl stop -m fast): writes stop", true),
            MakeStep(kStepUpgradeInPlace, "run pg_upgrade " + mode + " from " + PgMajorText(in.current) + " to " + PgMajorText(in.target), true, TargetHop(in)),
            MakeStep(kStepStartUpgraded, "start the new cluster on the old port", true),
            MakeStep(kStepVerify, "check the server reports the new version and compare row counts", true),
            MakeStep(kStepResumeWrites, "applications reconnect; statistics are rebuilt with vacuumdb --analyze-in-stages", false),
        };
        p.how = "pg_upgrade " + mode + " in one hop from " + PgMajorText(in.current) + " to " + PgMajorText(in.target);
        p.notes.push_back("in place: no rollback without the backup (the old cluster must not be started after pg_upgrade --link)");
      }
      break;
  }
  return p;
}

}  // namespace

const EngineRules& PostgresRules() {
  static const EngineRules kRules = {
      Engine::kPostgres,
      {},
      {
          // PostgreSQL docs, pg_dump Notes: "pg_dump cannot dump from PostgreSQL servers newer than
          // its own major version"; SPEC.md: "tool version >= source".
          {"pg.dump_restore.pg_dump_not_older_than_source", "PostgreSQL docs: pg_dump; SPEC.md engine table",
           Strategy::kDumpRestore,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (!in.facts.pg_dump_major || CompareTool(*in.facts.pg_dump_major, in.current) >= 0) return std::nullopt;
             return "pg_dump " + ToolMajorText(*in.facts.pg_dump_major) + " on this host is older than the source server " +
                    PgMajorText(in.current) + "; install pg_dump " + PgMajorText(in.target) + " (or add its directory to tool_paths)";
           }},
          // PostgreSQL docs, pg_dump Notes: output is not guaranteed to load into an older major
          // than pg_dump's own; the target's own pg_dump (newer than the source) is the right one.
          {"pg.dump_restore.pg_dump_not_newer_than_target", "PostgreSQL docs: pg_dump", Strategy::kDumpRestore,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (!in.facts.pg_dump_major || CompareTool(*in.facts.pg_dump_major, in.target) <= 0) return std::nullopt;
             return "pg_dump " + ToolMajorText(*in.facts.pg_dump_major) + " on this host is newer than the target " +
                    PgMajorText(in.target) + ", and its output may not load into an older server; use pg_dump " +
                    PgMajorText(in.target);
           }},
          {"pg.dump_restore.extensions", "PostgreSQL docs: pg_dump (extensions are recreated by name)",
           Strategy::kDumpRestore, MissingExtensions},
          // PostgreSQL 10 release notes: logical replication (publications/subscriptions) is new in
          // 10; SPEC.md engine table: "logical, source >= 10".
          {"pg.replication.source_at_least_10", "SPEC.md engine table; PostgreSQL 10 release notes",
           Strategy::kReplication,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.current.Part(0) >= 10) return std::nullopt;
             return "logical replication needs a source of PostgreSQL 10 or later, and the source runs " +
                    in.current.Canonical();
           }},
          // PostgreSQL docs, Logical Replication / Configuration Settings: the publisher needs
          // wal_level = logical, which only takes effect after a server restart.
          {"pg.replication.wal_level_logical", "PostgreSQL docs: Logical Replication, Configuration Settings",
           Strategy::kReplication,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.facts.wal_level.empty() || in.facts.wal_level == "logical") return std::nullopt;
             return "the source has wal_level=" + in.facts.wal_level +
                    " and logical replication needs wal_level=logical, which takes a restart of the source "
                    "(ALTER SYSTEM SET wal_level = logical, then restart)";
           }},
          // PostgreSQL docs, Logical Replication / Publication: a table without a replica identity
          // (primary key, USING INDEX or FULL) cannot replicate UPDATE and DELETE.
          {"pg.replication.replica_identity", "PostgreSQL docs: Logical Replication, Publication",
           Strategy::kReplication,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (!in.facts.tables_without_pk) return std::nullopt;
             const int64_t blocked = *in.facts.tables_without_pk - in.facts.tables_without_pk_with_identity;
             if (blocked <= 0) return std::nullopt;
             std::string names;
             for (const std::string& n : in.facts.tables_without_pk_names) names += (names.empty() ? " (" : ", ") + n;
             if (!names.empty()) names += ")";
             return std::to_string(blocked) + " table(s) without a primary key" + names +
                    " would block replication of updates and deletes; add a primary key or set REPLICA IDENTITY FULL";
           }},
          {"pg.replication.extensions", "PostgreSQL docs: Logical Replication (schema is copied first)",
           Strategy::kReplication, MissingExtensions},
          // SPEC.md engine table: pg_upgrade "needs local data_dir and both bin dirs".
          {"pg.in_place.source_bin_dir", "SPEC.md engine table; PostgreSQL docs: pg_upgrade (--old-bindir)",
           Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (in.facts.source_bin_dir || IsMinorUpgrade(in)) return std::nullopt;
             return "pg_upgrade needs the old version's binaries on this host (source.bin_dir), and they are not available";
           }},
          // PostgreSQL docs, pg_upgrade: supports old clusters from 9.2 (pg_upgrade 15 and later)
          // and from 8.4 before that.
          {"pg.in_place.pg_upgrade_source_range", "PostgreSQL docs: pg_upgrade", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (IsMinorUpgrade(in)) return std::nullopt;
             const int min = in.target.Part(0) >= 15 ? 92 : 84;
             if (CompareTool(min, in.current) <= 0) return std::nullopt;
             return "pg_upgrade " + PgMajorText(in.target) + " cannot upgrade a " + in.current.Canonical() +
                    " cluster (oldest supported: " + ToolMajorText(min) + ")";
           }},
          // PostgreSQL docs, pg_upgrade: "use the new version's pg_upgrade".
          {"pg.in_place.pg_upgrade_matches_target", "PostgreSQL docs: pg_upgrade", Strategy::kInPlace,
           [](const RuleInput& in) -> std::optional<std::string> {
             if (IsMinorUpgrade(in) || !in.facts.pg_upgrade_major ||
                 CompareTool(*in.facts.pg_upgrade_major, in.target) == 0) {
               return std::nullopt;
             }
             return "pg_upgrade on this host is version " + ToolMajorText(*in.facts.pg_upgrade_major) +
                    " and an upgrade to " + PgMajorText(in.target) + " needs pg_upgrade " + PgMajorText(in.target);
           }},
          {"pg.in_place.extensions", "PostgreSQL docs: pg_upgrade (extensions must be installed in the new cluster)",
           Strategy::kInPlace, MissingExtensions},
      },
      Plan,
  };
  return kRules;
}

}  // namespace tpd::planner
