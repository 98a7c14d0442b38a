#include "planner/render.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "helpers.h"

namespace tpd::planner {
namespace {

using testing::FullFacts;
using testing::kGiB;
using testing::To;

std::vector<std::string> Keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

TEST_CASE("RenderJson: has the stable keys, in order, for a chosen plan", "[planner]") {
  const Decision d = Decide(FullFacts(Engine::kMongoDb, "4.2.24"), To("7.0"));
  REQUIRE(d.chosen());
  const auto j = nlohmann::ordered_json::parse(RenderJson(d));
  CHECK(Keys(j) == std::vector<std::string>{"engine", "current_version", "target_version", "resolved_target_version",
                                            "outcome", "strategy", "path", "estimated_downtime_seconds", "estimate",
                                            "steps", "verdicts", "closest", "reason", "notes"});
  CHECK(j["strategy"] == std::string(StrategyName(*d.strategy)));
  CHECK(j["path"].get<std::vector<std::string>>() == d.path);
  CHECK(j["estimated_downtime_seconds"].get<int64_t>() == d.estimate->seconds);
  CHECK(j["outcome"] == "chosen");
  REQUIRE(j["steps"].size() == d.steps.size());
  CHECK(Keys(j["steps"][0]) == std::vector<std::string>{"name", "description", "hop", "during_downtime"});
  REQUIRE(j["verdicts"].size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const auto& v = j["verdicts"][i];
    CHECK(Keys(v) == std::vector<std::string>{"strategy", "verdict", "reason", "estimated_downtime_seconds", "rule_id", "path"});
    CHECK(v["strategy"] == std::string(StrategyName(kAllStrategies[i])));
  }
  CHECK(j["verdicts"][1]["verdict"] == "rejected");
  CHECK(j["verdicts"][1]["estimated_downtime_seconds"].is_null());  // MongoDB has no replication
  CHECK(j["closest"].is_null());
  CHECK(j["estimate"]["inputs"].contains("size_gib"));
}

TEST_CASE("RenderJson: uses nulls when nothing is chosen and names the closest strategy", "[planner]") {
  Facts f = testing::MakeFacts(Engine::kPostgres, "13.4");
  f.data_size_bytes = 200 * kGiB;
  f.local_dirs = f.source_bin_dir = f.target_bin_dir = true;
  f.in_place_link = false;
  const auto j = nlohmann::json::parse(RenderJson(Decide(f, To("17", std::nullopt, 300))));
  CHECK(j["strategy"].is_null());
  CHECK(j["estimated_downtime_seconds"].is_null());
  CHECK(j["path"].empty());
  CHECK(j["steps"].empty());
  CHECK(j["outcome"] == "none_feasible");
  CHECK(j["closest"]["strategy"] == "in_place");
  CHECK(j["closest"]["over_by_seconds"] == 4060 - 300);
}

TEST_CASE("RenderJson: output is byte-identical for identical decisions", "[planner]") {
  const Decision a = Decide(FullFacts(Engine::kPostgres, "13.4"), To("17"));
  const Decision b = Decide(FullFacts(Engine::kPostgres, "13.4"), To("17"));
  CHECK(RenderJson(a) == RenderJson(b));
}

TEST_CASE("RenderText: shows headline, path, steps and a verdict table", "[planner]") {
  const std::string t = RenderText(Decide(FullFacts(Engine::kMySql, "5.7.44"), To("8.4", Strategy::kInPlace)));
  CHECK(t.rfind("mysql 5.7.44 -> 8.4", 0) == 0);
  CHECK(t.find(": in_place, estimated downtime") != std::string::npos);
  CHECK(t.find("path: 8.0 -> 8.4") != std::string::npos);
  CHECK(t.find("STRATEGY") != std::string::npos);
  CHECK(t.find("dump_restore") != std::string::npos);
  CHECK(t.find("upgrade_in_place [8.0]") != std::string::npos);
  const std::string refused = RenderText(Decide(FullFacts(Engine::kMySql, "8.4.0"), To("8.0")));
  CHECK(refused.find("downgrade_refused") != std::string::npos);
}

TEST_CASE("RenderVerdictLines: one line per strategy with verdict and reason", "[planner]") {
  const std::vector<std::string> lines = RenderVerdictLines(Decide(FullFacts(Engine::kDgraph, "v23.1.0"), To("v24.0.0")));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].rfind("dump_restore: chosen: ", 0) == 0);
  CHECK(lines[2].rfind("in_place: rejected: ", 0) == 0);
}

}  // namespace
}  // namespace tpd::planner
