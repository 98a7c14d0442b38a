#include "planner/estimate.h"

#include <catch2/catch.hpp>

#include "helpers.h"

namespace tpd::planner {
namespace {

using testing::kGiB;

int64_t Est(const EstimateModel& m, Strategy s, int64_t size, InPlaceMode mode = InPlaceMode::kLink, int hops = 1) {
  EstimateShape shape;
  shape.data_size_bytes = size;
  shape.in_place_mode = mode;
  shape.hops = hops;
  return EstimateDowntime(m, s, shape).seconds;
}

TEST_CASE("EstimateDowntime: every model is monotonic in data size", "[planner]") {
  const EstimateModel m = EstimateModel::Defaults();
  struct Case {
    Strategy s;
    InPlaceMode mode;
  };
  for (const Case& c : {Case{Strategy::kDumpRestore, InPlaceMode::kLink}, Case{Strategy::kReplication, InPlaceMode::kLink},
                        Case{Strategy::kInPlace, InPlaceMode::kLink}, Case{Strategy::kInPlace, InPlaceMode::kCopy},
                        Case{Strategy::kInPlace, InPlaceMode::kRestart}, Case{Strategy::kInPlace, InPlaceMode::kRolling}}) {
    int64_t prev = -1;
    for (int64_t gib : {0, 1, 10, 100, 1000, 10000}) {
      const int64_t e = Est(m, c.s, gib * kGiB, c.mode);
      CHECK(e >= prev);
      prev = e;
    }
  }
}

TEST_CASE("EstimateDowntime: dump_restore and in-place copy grow with size, replication and link barely", "[planner]") {
  const EstimateModel m = EstimateModel::Defaults();
  CHECK(Est(m, Strategy::kDumpRestore, 200 * kGiB) > 10 * Est(m, Strategy::kDumpRestore, 1 * kGiB));
  CHECK(Est(m, Strategy::kInPlace, 200 * kGiB, InPlaceMode::kCopy) >
        10 * Est(m, Strategy::kInPlace, 1 * kGiB, InPlaceMode::kCopy));
  CHECK(Est(m, Strategy::kReplication, 200 * kGiB) < 5 * Est(m, Strategy::kReplication, 1 * kGiB));
  CHECK(Est(m, Strategy::kInPlace, 200 * kGiB, InPlaceMode::kLink) < 2 * Est(m, Strategy::kInPlace, 1 * kGiB));
  // Per hop for sequential in-place paths.
  CHECK(Est(m, Strategy::kInPlace, 0, InPlaceMode::kRestart, 4) == 4 * Est(m, Strategy::kInPlace, 0, InPlaceMode::kRestart, 1));
}

TEST_CASE("EstimateDowntime: names every formula input", "[planner]") {
  EstimateShape shape;
  shape.data_size_bytes = 2 * kGiB;
  const Estimate e = EstimateDowntime(EstimateModel::Defaults(), Strategy::kDumpRestore, shape);
  CHECK(e.formula == "dump_restore_fixed_seconds + size_gib * dump_restore_seconds_per_gib");
  REQUIRE(e.inputs.size() == 3);
  CHECK(e.inputs[1].name == "size_gib");
  CHECK(e.inputs[1].value == Approx(2.0));
  CHECK(e.seconds == 120 + 90);
  CHECK(e.size_known);
  CHECK_FALSE(EstimateDowntime(EstimateModel::Defaults(), Strategy::kDumpRestore, EstimateShape{}).size_known);
}

TEST_CASE("EstimateModel: coefficients are overridable by name", "[planner]") {
  EstimateModel m;
  REQUIRE(m.Override("dump_restore_seconds_per_gib", 10).ok());
  CHECK(m.dump_restore_seconds_per_gib == 10);
  CHECK(*m.Get("dump_restore_seconds_per_gib") == 10);
  CHECK(m.Override("no_such", 1).IsInvalidArgument());
  CHECK(m.Override("in_place_hop_seconds", -1).IsInvalidArgument());
  CHECK(m.Get("no_such").status().IsNotFound());
  for (const std::string& name : EstimateModel::CoefficientNames()) CHECK(m.Get(name).ok());
}

TEST_CASE("ParseHistory: reads JSON lines and skips torn or invalid ones", "[planner]") {
  const std::string text =
      "{\"engine\":\"postgresql\",\"strategy\":\"dump_restore\",\"mode\":\"\",\"data_size_bytes\":1073741824,\"downtime_seconds\":75.5,\"hops\":1}\n"
      "\n"
      "{\"engine\":\"postgresql\",\"strategy\":\"in_place\",\"mode\":\"link\",\"data_size_bytes\":10,\"downtime_seconds\":20}\n"
      "{\"engine\":\"oracle\",\"strategy\":\"dump_restore\",\"data_size_bytes\":1,\"downtime_seconds\":1}\n"
      "{\"engine\":\"postgresql\",\"strategy\":\"dump_restore\",\"data_size_bytes\":-1,\"downtime_seconds\":1}\n"
      "{\"engine\":\"postgresql\",\"strat";
  const HistoryParseResult r = ParseHistory(text);
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].downtime_seconds == Approx(75.5));
  CHECK(r.records[1].mode == InPlaceMode::kLink);
  CHECK(r.skipped_lines == std::vector<int>{4, 5, 6});
}

TEST_CASE("FormatHistoryRecord: round-trips through ParseHistory", "[planner]") {
  HistoryRecord rec;
  rec.engine = Engine::kMongoDb;
  rec.strategy = Strategy::kInPlace;
  rec.mode = InPlaceMode::kRestart;
  rec.data_size_bytes = 5 * kGiB;
  rec.downtime_seconds = 321.25;
  rec.hops = 3;
  const HistoryParseResult r = ParseHistory(FormatHistoryRecord(rec) + FormatHistoryRecord(rec));
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].engine == Engine::kMongoDb);
  CHECK(r.records[0].hops == 3);
  CHECK(r.records[0].data_size_bytes == 5 * kGiB);
  CHECK(r.skipped_lines.empty());
}

TEST_CASE("FitHistory: learns fixed and per-GiB terms from measured runs", "[planner]") {
  std::vector<HistoryRecord> runs;
  for (int gib : {1, 10, 50}) {
    HistoryRecord r;
    r.engine = Engine::kPostgres;
    r.strategy = Strategy::kDumpRestore;
    r.data_size_bytes = gib * kGiB;
    r.downtime_seconds = 10 + 3.0 * gib;  // measured: much faster than the default model
    runs.push_back(r);
  }
  const EstimateModel base = EstimateModel::Defaults();
  const EstimateModel fitted = FitHistory(base, runs, Engine::kPostgres);
  CHECK(fitted.dump_restore_fixed_seconds == Approx(10).margin(1e-6));
  CHECK(fitted.dump_restore_seconds_per_gib == Approx(3).margin(1e-6));
  CHECK(fitted.replication_cutover_seconds == base.replication_cutover_seconds);
  CHECK(Est(fitted, Strategy::kDumpRestore, 100 * kGiB) < Est(base, Strategy::kDumpRestore, 100 * kGiB));
  // Other engines' runs do not change a PostgreSQL model.
  const EstimateModel other = FitHistory(base, runs, Engine::kMySql);
  CHECK(other.dump_restore_seconds_per_gib == base.dump_restore_seconds_per_gib);
}

TEST_CASE("FitHistory: scales the model from a single run", "[planner]") {
  HistoryRecord r;
  r.engine = Engine::kPostgres;
  r.strategy = Strategy::kReplication;
  r.data_size_bytes = 20 * kGiB;
  r.downtime_seconds = 80;  // default predicts 30 + 20 * 0.5 = 40
  const EstimateModel fitted = FitHistory(EstimateModel::Defaults(), {r}, Engine::kPostgres);
  CHECK(Est(fitted, Strategy::kReplication, 20 * kGiB) == 80);
  CHECK(fitted.replication_cutover_seconds == Approx(60));
}

TEST_CASE("Decide: uses a model fitted from history for its estimate", "[planner]") {
  HistoryRecord r;
  r.engine = Engine::kPostgres;
  r.strategy = Strategy::kReplication;
  r.data_size_bytes = 10 * kGiB;
  r.downtime_seconds = 700;
  const EstimateModel fitted = FitHistory(EstimateModel::Defaults(), {r}, Engine::kPostgres);
  Facts f = testing::MakeFacts(Engine::kPostgres, "14.10");
  f.data_size_bytes = 10 * kGiB;
  f.has_target_server = true;
  const Decision before = Decide(f, testing::To("17", Strategy::kReplication));
  const Decision after = Decide(f, testing::To("17", Strategy::kReplication), fitted);
  REQUIRE(before.chosen());
  REQUIRE(after.chosen());
  CHECK(before.estimate->seconds == 35);
  CHECK(after.estimate->seconds == 700);
}

}  // namespace
}  // namespace tpd::planner
