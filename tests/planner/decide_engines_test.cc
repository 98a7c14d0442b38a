// Rules of the other engines: MySQL/MariaDB, MongoDB, Redis, Elasticsearch (seeds/001), Dgraph
// (seeds/000), KWDB (seeds/002).
#include <catch2/catch.hpp>

#include "helpers.h"
#include "planner/decide.h"

namespace tpd::planner {
namespace {

using testing::FullFacts;
using testing::HasStep;
using testing::kGiB;
using testing::MakeFacts;
using testing::To;

Facts LocalOnly(Engine e, std::string from, int64_t size = 10 * kGiB) {
  Facts f = MakeFacts(e, std::move(from));
  f.data_size_bytes = size;
  f.local_dirs = f.source_bin_dir = f.target_bin_dir = true;
  return f;
}

// ---- MySQL / MariaDB

TEST_CASE("Decide: MySQL 5.7 -> 8.4 in place goes through 8.0 [SPEC.md engine table, MySQL Upgrade Paths]", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kMySql, "5.7.44"), To("8.4"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kInPlace);
  CHECK(d.path == std::vector<std::string>{"8.0", "8.4"});
  int upgrades = 0;
  for (const Step& s : d.steps) upgrades += s.name == kStepUpgradeInPlace;
  CHECK(upgrades == 2);
  CHECK(d.estimate->inputs[0].name == "hops");
  CHECK(d.estimate->inputs[0].value == 2);
}

TEST_CASE("Decide: MySQL in place rejects a series outside the known path [MySQL Upgrade Paths]", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kMySql, "5.1.73"), To("8.0"));
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "mysql.in_place.known_series");
  CHECK(d.strategy == Strategy::kDumpRestore);
  CHECK(Decide(FullFacts(Engine::kMySql, "5.6.51"), To("8.0")).VerdictFor(Strategy::kInPlace).verdict != Verdict::kRejected);
}

TEST_CASE("Decide: MySQL and MariaDB have no replication upgrade [SPEC.md engine table]", "[planner]") {
  CHECK(Decide(FullFacts(Engine::kMySql, "8.0.36"), To("8.4")).VerdictFor(Strategy::kReplication).rule_id ==
        "mysql.replication.unsupported");
  CHECK(Decide(FullFacts(Engine::kMariaDb, "10.6.1"), To("11.4")).VerdictFor(Strategy::kReplication).rule_id ==
        "mariadb.replication.unsupported");
}

TEST_CASE("Decide: MariaDB in place goes direct and runs mariadb-upgrade", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kMariaDb, "10.6.16-MariaDB"), To("11.4"));
  REQUIRE(d.chosen());
  CHECK(d.path == std::vector<std::string>{"11.4"});
  bool upgrade = false;
  for (const Step& s : d.steps) upgrade |= s.description.find("mariadb-upgrade") != std::string::npos;
  CHECK(upgrade);
}

// ---- MongoDB

TEST_CASE("Decide: MongoDB 4.2 -> 7.0 in place goes 4.4, 5.0, 6.0, 7.0 raising FCV after each [SPEC.md, MongoDB manual]", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kMongoDb, "4.2.24"), To("7.0"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kInPlace);
  CHECK(d.path == std::vector<std::string>{"4.4", "5.0", "6.0", "7.0"});
  std::vector<std::string> fcv_hops;
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const Step& s = d.steps[i];
    if (s.name != kStepSetFcv) continue;
    fcv_hops.push_back(s.hop);
    CHECK(s.description.find("\"" + s.hop + "\"") != std::string::npos);
    REQUIRE(i > 0);
    CHECK(d.steps[i - 1].name == kStepStartUpgraded);  // raised right after each hop starts
    CHECK(d.steps[i - 1].hop == s.hop);
  }
  CHECK(fcv_hops == d.path);
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "mongodb.replication.unsupported");
}

TEST_CASE("Decide: MongoDB in place rejects a rapid release not on the upgrade path", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kMongoDb, "5.3.1"), To("7.0"));
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "mongodb.in_place.known_series");
  CHECK(d.strategy == Strategy::kDumpRestore);
}

TEST_CASE("Decide: MongoDB dump_restore uses mongodump and goes direct", "[planner]") {
  Facts f = MakeFacts(Engine::kMongoDb, "4.2.24");
  f.has_target_server = true;
  const Decision d = Decide(f, To("7.0"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kDumpRestore);
  CHECK(d.path == std::vector<std::string>{"7.0"});
  CHECK(d.steps[static_cast<size_t>(testing::IndexOfStep(d, kStepCopyData))].description.find("mongodump") != std::string::npos);
}

// ---- Redis

TEST_CASE("Decide: Redis in place restarts on the newer binary, which reads the older RDB [SPEC.md engine table]", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kRedis, "6.2.14"), To("7.2"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kInPlace);
  CHECK(d.path == std::vector<std::string>{"7.2"});
  CHECK(d.estimate->inputs[3].name == "in_place_restart_seconds_per_gib");
}

TEST_CASE("Decide: Redis replication makes the target a replica, then promotes it [SPEC.md engine table]", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kRedis, "6.2.14"), To("7.2"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kReplication);
  std::string all;
  for (const Step& s : d.steps) all += s.description + "\n";
  CHECK(all.find("REPLICAOF the source") != std::string::npos);
  CHECK(all.find("REPLICAOF NO ONE") != std::string::npos);
  Facts older = FullFacts(Engine::kRedis, "6.2.14");
  older.target_server_version = "6.0.20";
  CHECK(Decide(older, To("7.2")).VerdictFor(Strategy::kReplication).rule_id == "common.replication.target_server_version");
}

// ---- Elasticsearch (seeds/001)

TEST_CASE("Decide: Elasticsearch 6.2 -> 6.8 goes in place [seeds/001]", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kElasticsearch, "6.2.4"), To("6.8"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kInPlace);
  CHECK(d.path == std::vector<std::string>{"6.8"});
  CHECK(Decide(LocalOnly(Engine::kElasticsearch, "5.6.16"), To("6.8")).strategy == Strategy::kInPlace);
}

TEST_CASE("Decide: Elasticsearch 6.8 -> 7.10 is not in place [seeds/001]", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kElasticsearch, "6.8.23"), To("7.10"));
  CHECK(d.VerdictFor(Strategy::kInPlace).verdict == Verdict::kRejected);
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "es.in_place.no_6_to_7");
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kDumpRestore);
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "es.replication.unsupported");
}

TEST_CASE("Decide: Elasticsearch 7.x goes in place up to 7.10 only [seeds/001]", "[planner]") {
  CHECK(Decide(LocalOnly(Engine::kElasticsearch, "7.4.2"), To("7.10")).strategy == Strategy::kInPlace);
  const Decision beyond = Decide(LocalOnly(Engine::kElasticsearch, "7.10.2"), To("7.17"));
  CHECK(beyond.VerdictFor(Strategy::kInPlace).rule_id == "es.in_place.7x_up_to_7_10");
  const Decision eight = Decide(LocalOnly(Engine::kElasticsearch, "7.10.2"), To("8.11"));
  CHECK(eight.VerdictFor(Strategy::kInPlace).rule_id == "es.in_place.beyond_7");
}

TEST_CASE("Decide: Elasticsearch 6.x in place stops at 6.8 [seeds/001]", "[planner]") {
  CHECK(Decide(LocalOnly(Engine::kElasticsearch, "6.2.4"), To("6.9")).VerdictFor(Strategy::kInPlace).rule_id ==
        "es.in_place.6x_up_to_6_8");
}

// ---- Dgraph (seeds/000)

TEST_CASE("Decide: Dgraph upgrades only by export and bulk load, read-only via --mutations disallow [seeds/000]", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kDgraph, "v23.1.0"), To("v24.0.0"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kDumpRestore);
  CHECK(d.path == std::vector<std::string>{"v24.0.0"});
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "dgraph.in_place.unsupported");
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "dgraph.replication.unsupported");
  CHECK_FALSE(d.VerdictFor(Strategy::kInPlace).estimate);
  const Step& freeze = d.steps[static_cast<size_t>(testing::IndexOfStep(d, kStepFreezeWrites))];
  CHECK(freeze.description.find("--mutations disallow") != std::string::npos);
  const Step& copy = d.steps[static_cast<size_t>(testing::IndexOfStep(d, kStepCopyData))];
  CHECK(copy.description.find("bulk load") != std::string::npos);
  CHECK(testing::IndexOfStep(d, kStepFreezeWrites) < testing::IndexOfStep(d, kStepBackup));  // export after freeze
}

TEST_CASE("Decide: Dgraph without a new cluster has no feasible strategy [seeds/000]", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kDgraph, "v23.1.0"), To("v24.0.0"));
  CHECK(d.outcome == Outcome::kNoneFeasible);
  CHECK(d.reason.find("target server") != std::string::npos);
}

// ---- KWDB (seeds/002)

TEST_CASE("Decide: KWDB multi-replica cluster upgrades node by node online [seeds/002]", "[planner]") {
  Facts f = LocalOnly(Engine::kKwdb, "3.0.0");
  f.topology = Topology::kMultiReplica;
  const Decision d = Decide(f, To("3.1.0"));
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kInPlace);
  CHECK(HasStep(d, kStepRollingUpgrade));
  CHECK_FALSE(HasStep(d, kStepFreezeWrites));
  CHECK(d.estimate->seconds == 0);
  for (const Step& s : d.steps) CHECK_FALSE(s.during_downtime);
}

TEST_CASE("Decide: KWDB standalone and single-replica upgrade offline [seeds/002]", "[planner]") {
  for (Topology t : {Topology::kStandalone, Topology::kSingleReplica}) {
    Facts f = LocalOnly(Engine::kKwdb, "3.0.0");
    f.topology = t;
    const Decision d = Decide(f, To("3.1.0"));
    REQUIRE(d.chosen());
    CHECK(d.strategy == Strategy::kInPlace);
    CHECK_FALSE(HasStep(d, kStepRollingUpgrade));
    REQUIRE(HasStep(d, kStepFreezeWrites));
    const Step& stop = d.steps[static_cast<size_t>(testing::IndexOfStep(d, kStepFreezeWrites))];
    CHECK(stop.description.find("systemctl stop kaiwudb") != std::string::npos);
    CHECK((stop.description.find("every node") != std::string::npos) == (t == Topology::kSingleReplica));
    CHECK(d.estimate->seconds > 0);
  }
}

TEST_CASE("Decide: KWDB reaches any version by export/import, in place only within a major [seeds/002]", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kKwdb, "2.2.0"), To("3.1.0"));
  CHECK(d.VerdictFor(Strategy::kInPlace).rule_id == "kwdb.in_place.same_major");
  REQUIRE(d.chosen());
  CHECK(d.strategy == Strategy::kDumpRestore);
  CHECK(d.VerdictFor(Strategy::kReplication).rule_id == "kwdb.replication.unsupported");
  Facts multi = FullFacts(Engine::kKwdb, "2.2.0");
  multi.topology = Topology::kMultiReplica;
  const Decision m = Decide(multi, To("3.1.0"));
  bool ha_note = false;
  for (const std::string& n : m.notes) ha_note |= n.find("high availability") != std::string::npos;
  CHECK(ha_note);
}

TEST_CASE("Decide: KWDB skipped minor releases go sequentially [seeds/003]", "[planner]") {
  const Decision d = Decide(LocalOnly(Engine::kKwdb, "3.0.0"), To("3.2.0"));
  REQUIRE(d.chosen());
  CHECK(d.path == std::vector<std::string>{"3.1", "3.2.0"});
}

}  // namespace
}  // namespace tpd::planner
