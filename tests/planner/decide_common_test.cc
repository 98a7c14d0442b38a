// Rules every engine shares: downgrades, nothing to do, target server, local directories,
// max_downtime, forced strategies, the rollback tie-break, verdict completeness, seed 004.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "planner/decide.h"

namespace tpd::planner {
namespace {

using testing::FullFacts;
using testing::kGiB;
using testing::MakeFacts;
using testing::To;

struct EnginePair {
  Engine engine;
  const char* newer;
  const char* older;
};
constexpr EnginePair kPairs[] = {
    {Engine::kPostgres, "17.2", "16"},      {Engine::kMySql, "8.4.0", "8.0"},
    {Engine::kMariaDb, "11.4.2", "10.11"},  {Engine::kMongoDb, "7.0.5", "6.0"},
    {Engine::kRedis, "7.2.4", "6.2.14"},    {Engine::kElasticsearch, "7.10.2", "6.8"},
    {Engine::kDgraph, "v24.0.0", "v23.1.0"}, {Engine::kKwdb, "3.1.0", "3.0.0"},
};

TEST_CASE("Decide: refuses a downgrade on every engine and says to restore the backup [seeds/002, seeds/003]", "[planner]") {
  for (const EnginePair& p : kPairs) {
    INFO(EngineName(p.engine));
    const Decision d = Decide(FullFacts(p.engine, p.newer), To(p.older));
    CHECK(d.outcome == Outcome::kDowngradeRefused);
    CHECK_FALSE(d.strategy);
    CHECK(d.steps.empty());
    CHECK(d.reason.find("restore the backup") != std::string::npos);
    REQUIRE(d.verdicts.size() == 3);
    for (const StrategyVerdict& v : d.verdicts) {
      CHECK(v.verdict == Verdict::kRejected);
      CHECK(v.rule_id == "common.no_downgrade");
    }
  }
}

TEST_CASE("Decide: an upgrade in the other direction is not refused on any engine", "[planner]") {
  for (const EnginePair& p : kPairs) {
    INFO(EngineName(p.engine));
    const Decision d = Decide(FullFacts(p.engine, p.older), To(p.newer));
    CHECK(d.outcome == Outcome::kChosen);
  }
}

TEST_CASE("Decide: nothing to do when the server already runs the target", "[planner]") {
  SECTION("major-only target") {
    const Decision d = Decide(FullFacts(Engine::kPostgres, "17.2"), To("17"));
    CHECK(d.outcome == Outcome::kNothingToDo);
    CHECK(d.path.empty());
    CHECK(d.steps.empty());
    for (const StrategyVerdict& v : d.verdicts) CHECK(v.verdict == Verdict::kNotNeeded);
  }
  SECTION("exact target") {
    CHECK(Decide(FullFacts(Engine::kMongoDb, "7.0.5"), To("7.0.5")).outcome == Outcome::kNothingToDo);
    CHECK(Decide(FullFacts(Engine::kMongoDb, "7.0.5"), To("7.0")).outcome == Outcome::kNothingToDo);
  }
  SECTION("server_version_num") {
    CHECK(Decide(FullFacts(Engine::kPostgres, "170002"), To("17.2")).outcome == Outcome::kNothingToDo);
  }
}

TEST_CASE("Decide: reports invalid versions as invalid input", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kPostgres, "banana"), To("17"));
  CHECK(d.outcome == Outcome::kInvalidInput);
  CHECK(d.reason.find("current version") != std::string::npos);
  CHECK(d.verdicts[0].rule_id == "common.valid_versions");
  CHECK(d.verdicts.size() == 3);
}

TEST_CASE("Decide: resolves a major-only target to the target server's version or the newest known", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.target_server_version = "17.1";
  CHECK(Decide(f, To("17")).resolved_target_version == "17.1");
  f.target_server_version.reset();
  CHECK(Decide(f, To("17")).resolved_target_version.rfind("17.", 0) == 0);
  CHECK(Decide(f, To("17.3")).resolved_target_version == "17.3");
}

TEST_CASE("Decide: rejects dump_restore and replication without a target server [seeds/001]", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.has_target_server = false;
  const Decision d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kDumpRestore).rule_id == "common.dump_restore.target_server");
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "common.replication.target_server");
  CHECK(d.VerdictFor(Strategy::kDumpRestore).reason.find("target server") != std::string::npos);
  CHECK(d.strategy == Strategy::kInPlace);
}

TEST_CASE("Decide: rejects a target server that runs another version", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "13.4");
  f.target_server_version = "16.4";
  const Decision d = Decide(f, To("17"));
  CHECK(d.VerdictFor(Strategy::kDumpRestore).rule_id == "common.dump_restore.target_server_version");
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "common.replication.target_server_version");
  CHECK(d.VerdictFor(Strategy::kReplication).reason.find("16.4") != std::string::npos);
  f.target_server_version = "17.2";
  const Decision ok = Decide(f, To("17"));
  CHECK(ok.VerdictFor(Strategy::kReplication).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: rejects in_place without local directories or new binaries [SPEC.md engine table]", "[planner]") {
  Facts f = FullFacts(Engine::kMongoDb, "6.0.1");
  f.local_dirs = false;
  CHECK(Decide(f, To("7.0")).VerdictFor(Strategy::kInPlace).rule_id == "common.in_place.local_dirs");
  f.local_dirs = true;
  f.target_bin_dir = false;
  CHECK(Decide(f, To("7.0")).VerdictFor(Strategy::kInPlace).rule_id == "common.in_place.target_bin_dir");
  f.target_bin_dir = true;
  CHECK(Decide(f, To("7.0")).VerdictFor(Strategy::kInPlace).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: a forced strategy is used even when another is faster", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kPostgres, "14.2", 50 * kGiB), To("17", Strategy::kDumpRestore));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kDumpRestore);
  CHECK(d.VerdictFor(Strategy::kReplication).verdict == Verdict::kFeasible);
  CHECK(d.VerdictFor(Strategy::kReplication).reason.find("strategy is set to dump_restore") != std::string::npos);
}

TEST_CASE("Decide: a forced strategy that breaks a rule fails with that rule's reason", "[planner]") {
  Facts f = FullFacts(Engine::kPostgres, "14.2");
  f.wal_level = "replica";
  const Decision d = Decide(f, To("17", Strategy::kReplication));
  CHECK(d.outcome == Outcome::kNoneFeasible);
  CHECK(d.reason.find("replication cannot be used") != std::string::npos);
  CHECK(d.reason.find("wal_level") != std::string::npos);
}

TEST_CASE("Decide: a forced strategy over max_downtime fails naming its estimate", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kPostgres, "14.2", 100 * kGiB), To("17", Strategy::kDumpRestore, 600));
  CHECK(d.outcome == Outcome::kNoneFeasible);
  REQUIRE(d.closest);
  CHECK(d.closest->strategy == Strategy::kDumpRestore);
  CHECK(d.closest->over_by_seconds == d.closest->estimated_downtime_seconds - 600);
  CHECK(d.VerdictFor(Strategy::kDumpRestore).rule_id == "common.max_downtime");
}

TEST_CASE("Decide: auto prefers the strategy that keeps the old server when estimates tie [seeds/001]", "[planner]") {
  // MySQL 8.0 -> 8.4, empty database: dump_restore 120 s, in place 60 s: within the 60 s margin.
  const Decision tie = Decide(FullFacts(Engine::kMySql, "8.0.36", 0), To("8.4"));
  REQUIRE(tie.chosen());
  CHECK(tie.strategy == Strategy::kDumpRestore);
  CHECK(tie.VerdictFor(Strategy::kInPlace).verdict == Verdict::kFeasible);
  CHECK(tie.VerdictFor(Strategy::kInPlace).reason.find("rollback") != std::string::npos);
  // 10 GiB: dump_restore 570 s against in place 70 s: no tie, the faster one wins.
  const Decision no_tie = Decide(FullFacts(Engine::kMySql, "8.0.36", 10 * kGiB), To("8.4"));
  REQUIRE(no_tie.chosen());
  CHECK(no_tie.strategy == Strategy::kInPlace);
  CHECK(no_tie.VerdictFor(Strategy::kDumpRestore).verdict == Verdict::kFeasibleButSlower);
}

TEST_CASE("Decide: auto picks the least estimated downtime within max_downtime", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kPostgres, "14.2", 100 * kGiB), To("17", std::nullopt, 600));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kReplication);
  CHECK(d.estimate->seconds <= 600);
  CHECK(d.VerdictFor(Strategy::kDumpRestore).rule_id == "common.max_downtime");
  // in place (65 s) beats replication (80 s) by less than the tie margin: rollback wins.
  CHECK(d.VerdictFor(Strategy::kInPlace).verdict == Verdict::kFeasible);
  const Decision slower = Decide(FullFacts(Engine::kPostgres, "14.2", 1000 * kGiB), To("17", std::nullopt, 3600));
  REQUIRE(slower.chosen());
  CHECK(slower.strategy == Strategy::kInPlace);  // 110 s against 530 s
  CHECK(slower.VerdictFor(Strategy::kReplication).verdict == Verdict::kFeasibleButSlower);
}

TEST_CASE("Decide: always gives one verdict per strategy, in order", "[planner]") {
  for (const EnginePair& p : kPairs) {
    for (bool target : {false, true}) {
      Facts f = MakeFacts(p.engine, p.older);
      f.has_target_server = target;
      const Decision d = Decide(f, To(p.newer));
      REQUIRE(d.verdicts.size() == 3);
      for (size_t i = 0; i < 3; ++i) {
        CHECK(d.verdicts[i].strategy == kAllStrategies[i]);
        CHECK_FALSE(d.verdicts[i].reason.empty());
      }
      if (d.chosen()) {
        CHECK(d.VerdictFor(*d.strategy).verdict == Verdict::kChosen);
        CHECK_FALSE(d.path.empty());
        CHECK(d.path.back().find(p.newer[0]) != std::string::npos);
      }
    }
  }
}

TEST_CASE("Decide: dump_restore always freezes writes before copying [seeds/004]", "[planner]") {
  for (const EnginePair& p : kPairs) {
    INFO(EngineName(p.engine));
    const Decision d = Decide(FullFacts(p.engine, p.older), To(p.newer, Strategy::kDumpRestore));
    REQUIRE(d.chosen());
    const long freeze = testing::IndexOfStep(d, kStepFreezeWrites);
    const long copy = testing::IndexOfStep(d, kStepCopyData);
    REQUIRE(freeze >= 0);
    REQUIRE(copy >= 0);
    CHECK(freeze < copy);
    CHECK(testing::IndexOfStep(d, kStepSwitch) > copy);
    CHECK(testing::IndexOfStep(d, kStepVerify) > copy);
    CHECK(testing::HasStep(d, kStepBackup));
    CHECK(d.steps.front().name == kStepPrecheck);
    CHECK(d.steps.back().name == kStepResumeWrites);
  }
}

TEST_CASE("Decide: patch and minor upgrades go direct in one hop [seeds/003]", "[planner]") {
  const Decision my = Decide(FullFacts(Engine::kMySql, "8.0.30"), To("8.0.36", Strategy::kInPlace));
  REQUIRE(my.chosen());
  CHECK(my.path == std::vector<std::string>{"8.0.36"});
  const Decision mongo = Decide(FullFacts(Engine::kMongoDb, "6.0.1"), To("6.0.5", Strategy::kInPlace));
  REQUIRE(mongo.chosen());
  CHECK(mongo.path == std::vector<std::string>{"6.0.5"});
  const Decision pg = Decide(FullFacts(Engine::kPostgres, "13.4"), To("13.16", Strategy::kInPlace));
  REQUIRE(pg.chosen());
  CHECK(pg.path == std::vector<std::string>{"13.16"});
}

}  // namespace
}  // namespace tpd::planner
