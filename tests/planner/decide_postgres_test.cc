// PostgreSQL rules (planner/rules_postgres.cc): SPEC.md engine table, seeds/001, seeds/004 and the
// PostgreSQL documentation (pg_dump, pg_upgrade, Logical Replication).
#include <catch2/catch.hpp>

#include "helpers.h"
#include "planner/decide.h"

namespace tpd::planner {
namespace {

using testing::FullFacts;
using testing::kGiB;
using testing::MakeFacts;
using testing::To;

TEST_CASE("Decide: PostgreSQL 13 -> 17 goes in place in one hop with pg_upgrade [SPEC.md engine table]", "[planner]") {
  Facts f = MakeFacts(Engine::kPostgres, "13.4");
  f.data_size_bytes = 50 * kGiB;
  f.local_dirs = f.source_bin_dir = f.target_bin_dir = true;
  const Decision d = Decide(f, To("17"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kInPlace);
  CHECK(d.path == std::vector<std::string>{"17"});
  const long up = testing::IndexOfStep(d, kStepUpgradeInPlace);
  REQUIRE(up >= 0);
  CHECK(d.steps[static_cast<size_t>(up)].description.find("pg_upgrade --link") != std::string::npos);
  CHECK(testing::IndexOfStep(d, kStepBackup) < testing::IndexOfStep(d, kStepFreezeWrites));
  CHECK(testing::IndexOfStep(d, kStepFreezeWrites) < up);
  bool rollback_note = false;
  for (const std::string& n : d.notes) rollback_note |= n.find("no rollback without the backup") != std::string::npos;
  CHECK(rollback_note);
  // Near-constant with --link: 60 s per hop + 0.05 s/GiB.
  CHECK(d.estimate->seconds == 63);
}

TEST_CASE("Decide: PostgreSQL 200 GiB with max_downtime 5m chooses replication when a target server is given", "[planner]") {
  Facts f = MakeFacts(Engine::kPostgres, "13.4");
  f.data_size_bytes = 200 * kGiB;
  f.has_target_server = true;
  const Decision d = Decide(f, To("17", std::nullopt, 300));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kReplication);
  CHECK(d.estimate->seconds <= 300);
  CHECK(d.VerdictFor(Strategy::kDumpRestore).verdict == Verdict::kRejected);
  CHECK(d.VerdictFor(Strategy::kDumpRestore).reason.find("exceeds max_downtime 5m") != std::string::npos);
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "common.in_place.local_dirs");
  // The initial copy runs before the freeze; only the cutover is downtime.
  CHECK(testing::IndexOfStep(d, kStepCopyData) < testing::IndexOfStep(d, kStepFreezeWrites));
  CHECK(testing::IndexOfStep(d, kStepFreezeWrites) < testing::IndexOfStep(d, kStepCatchUp));
}

TEST_CASE("Decide: PostgreSQL 200 GiB with max_downtime 5m fails clearly without a target server", "[planner]") {
  SECTION("nothing else is configured: every strategy's missing prerequisite is named") {
    Facts f = MakeFacts(Engine::kPostgres, "13.4");
    f.data_size_bytes = 200 * kGiB;
    const Decision d = Decide(f, To("17", std::nullopt, 300));
    CHECK(d.outcome == Outcome::kNoneFeasible);
    CHECK_FALSE(d.closest);
    CHECK(d.reason.find("target server") != std::string::npos);
    CHECK(d.reason.find("data directory") != std::string::npos);
  }
  SECTION("in place is possible but copies files: the closest strategy and its estimate are named") {
    Facts f = MakeFacts(Engine::kPostgres, "13.4");
    f.data_size_bytes = 200 * kGiB;
    f.local_dirs = f.source_bin_dir = f.target_bin_dir = true;
    f.in_place_link = false;
    const Decision d = Decide(f, To("17", std::nullopt, 300));
    CHECK(d.outcome == Outcome::kNoneFeasible);
    REQUIRE(d.closest);
    CHECK(d.closest->strategy == Strategy::kInPlace);
    CHECK(d.closest->estimated_downtime_seconds == 60 + 200 * 20);
    CHECK(d.closest->over_by_seconds == 60 + 200 * 20 - 300);
    CHECK(d.reason.find("in_place") != std::string::npos);
    CHECK(d.reason.find("1h7m40s") != std::string::npos);
    CHECK(d.reason.find("target server") != std::string::npos);
  }
}

TEST_CASE("Decide: PostgreSQL replication rejected when wal_level is not logical, with the restart advice", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "14.2");
  f.wal_level = "replica";
  const Decision d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "pg.replication.wal_level_logical");
  CHECK(d.VerdictFor(Strategy::kReplication).reason.find("restart") != std::string::npos);
  f.wal_level = "logical";
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kReplication).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: PostgreSQL replication needs a source of 10 or later [PostgreSQL 10 release notes]", "[planner]") {
  const Decision old = Decide(FullFacts(Engine::kPostgres, "9.6.24"), To("17"));
  CHECK(old.VerdictFor(Strategy::kReplication).rule_id == "pg.replication.source_at_least_10");
  const Decision ten = Decide(FullFacts(Engine::kPostgres, "10.23"), To("17"));
  CHECK(ten.VerdictFor(Strategy::kReplication).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: PostgreSQL tables without a primary key block replication unless REPLICA IDENTITY FULL", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "14.2");
  f.tables_without_pk = 3;
  f.tables_without_pk_with_identity = 1;
  f.tables_without_pk_names = {"public.events", "public.log"};
  Decision d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "pg.replication.replica_identity");
  CHECK(d.VerdictFor(Strategy::kReplication).reason.find("2 table(s)") != std::string::npos);
  CHECK(d.VerdictFor(Strategy::kReplication).reason.find("public.events") != std::string::npos);
  CHECK(d.VerdictFor(Strategy::kReplication).reason.find("REPLICA IDENTITY FULL") != std::string::npos);
  f.tables_without_pk_with_identity = 3;
  d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kReplication).verdict != Verdict::kRejected);
  f.tables_without_pk = 0;
  f.tables_without_pk_with_identity = 0;
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kReplication).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: PostgreSQL pg_dump older than the source rejects dump_restore [PostgreSQL docs: pg_dump]", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "16.4");
  f.pg_dump_major = 15;
  Decision d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kDumpRestore).rule_id == "pg.dump_restore.pg_dump_not_older_than_source");
  CHECK(d.VerdictFor(Strategy::kDumpRestore).reason.find("pg_dump 15") != std::string::npos);
  f.pg_dump_major = 17;  // the target's pg_dump, newer than the source: the right tool
  d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kDumpRestore).verdict != Verdict::kRejected);
  f.pg_dump_major = 16;  // same as the source: also fine
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kDumpRestore).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: PostgreSQL pg_dump newer than the target rejects dump_restore [PostgreSQL docs: pg_dump]", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.pg_dump_major = 17;
  CHECK(Decide(f, To("16")).VerdictFor(Strategy::kDumpRestore).rule_id == "pg.dump_restore.pg_dump_not_newer_than_target");
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kDumpRestore).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: PostgreSQL in place needs both bin dirs [SPEC.md engine table]", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.source_bin_dir = false;
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kInPlace).rule_id == "pg.in_place.source_bin_dir");
  f.source_bin_dir = true;
  f.target_bin_dir = false;
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kInPlace).rule_id == "common.in_place.target_bin_dir");
}

TEST_CASE("Decide: PostgreSQL pg_upgrade must match the target and support the source [PostgreSQL docs: pg_upgrade]", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.pg_upgrade_major = 16;
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kInPlace).rule_id == "pg.in_place.pg_upgrade_matches_target");
  f.pg_upgrade_major = 17;
  CHECK(Decide(f, To("17")).VerdictFor(Strategy::kInPlace).verdict != Verdict::kRejected);
  const Decision ancient = Decide(FullFacts(Engine::kPostgres, "9.1.24"), To("17"));
  CHECK(ancient.VerdictFor(Strategy::kInPlace).rule_id == "pg.in_place.pg_upgrade_source_range");
  CHECK(Decide(FullFacts(Engine::kPostgres, "9.2.24"), To("17")).VerdictFor(Strategy::kInPlace).verdict !=
        Verdict::kRejected);
}

TEST_CASE("Decide: PostgreSQL extensions missing on the target reject every strategy", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.extensions = {"postgis", "pg_trgm"};
  f.extensions_missing_on_target = {"postgis"};
  const Decision d = Decide(f, To("17"));
  CHECK(d.outcome == Outcome::kNoneFeasible);
  CHECK(d.VerdictFor(Strategy::kDumpRestore).rule_id == "pg.dump_restore.extensions");
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "pg.replication.extensions");
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "pg.in_place.extensions");
  CHECK(d.reason.find("postgis") != std::string::npos);
}

TEST_CASE("Decide: PostgreSQL minor upgrade in place is a restart on new binaries", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.source_bin_dir = false;  // not needed for a minor release
  f.pg_upgrade_major = 17;   // irrelevant for a minor release
  const Decision d = Decide(f, To("13.16", Strategy::kInPlace));
  REQUIRE(d.chosen());
  for (const Step& s : d.steps) CHECK(s.description.find("pg_upgrade") == std::string::npos);
}

TEST_CASE("Decide: PostgreSQL notes unprobed prerequisites for the chosen strategy", "[planner]") {
  Facts f = MakeFacts(Engine::kPostgres, "13.4");
  f.has_target_server = true;
  f.data_size_bytes = 200 * kGiB;
  const Decision d = Decide(f, To("17"));
  REQUIRE(d.strategy == Strategy::kReplication);
  bool wal_note = false;
  for (const std::string& n : d.notes) wal_note |= n.find("wal_level was not probed") != std::string::npos;
  CHECK(wal_note);
}

}  // namespace
}  // namespace tpd::planner
