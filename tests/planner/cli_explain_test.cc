// provider/cli_explain.cc, run in-process: exit codes 0/1/2 and parseable JSON.
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "provider/cli.h"

namespace tpd::provider {
namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run Explain(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunExplainCommand(args, out, err);
  return {code, out.str(), err.str()};
}

TEST_CASE("RunExplainCommand: exits 0 with parseable JSON when a strategy is chosen", "[planner]") {
  const Run r = Explain({"--engine", "postgresql", "--from", "13.4", "--to", "17", "--size", "200GiB", "--target-server",
                         "--max-downtime", "5m", "--json"});
  CHECK(r.code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["strategy"] == "replication");
  CHECK(j["path"] == nlohmann::json::array({"17"}));
  CHECK(j["estimated_downtime_seconds"].get<int64_t>() <= 300);
  CHECK(j["steps"].size() > 3);
  REQUIRE(j["verdicts"].size() == 3);
  for (const auto& v : j["verdicts"]) {
    CHECK(v.contains("strategy"));
    CHECK(v.contains("verdict"));
    CHECK(v.contains("reason"));
    CHECK(v.contains("estimated_downtime_seconds"));
  }
  CHECK(r.err.empty());
}

TEST_CASE("RunExplainCommand: exits 2 with the reason when no strategy is feasible", "[planner]") {
  const Run r = Explain({"--engine", "postgresql", "--from", "13.4", "--to", "17", "--size", "200GiB", "--max-downtime",
                         "5m", "--local-dirs", "--no-link"});
  CHECK(r.code == 2);
  CHECK(r.out.find("none_feasible") != std::string::npos);
  CHECK(r.err.find("in_place") != std::string::npos);
  CHECK(r.err.find("1h7m40s") != std::string::npos);
}

TEST_CASE("RunExplainCommand: exits 2 on a downgrade and 0 when already at the target", "[planner]") {
  CHECK(Explain({"--engine", "redis", "--from", "7.2.4", "--to", "6.2"}).code == 2);
  const Run same = Explain({"--engine", "redis", "--from", "7.2.4", "--to", "7", "--json"});
  CHECK(same.code == 0);
  CHECK(nlohmann::json::parse(same.out)["outcome"] == "nothing_to_do");
}

TEST_CASE("RunExplainCommand: exits 1 naming the bad argument", "[planner]") {
  const Run r = Explain({"--engine", "postgresql", "--from", "13", "--to", "17", "--size", "lots"});
  CHECK(r.code == 1);
  CHECK(r.err.find("--size") != std::string::npos);
  CHECK(r.out.empty());
  CHECK(Explain({}).code == 1);
  CHECK(Explain({"--help"}).code == 0);
}

TEST_CASE("RunExplainCommand: prints a human table without --json", "[planner]") {
  const Run r = Explain({"explain", "--engine", "mongodb", "--from", "4.2", "--to", "7.0", "--local-dirs"});
  CHECK(r.code == 0);
  CHECK(r.out.find("path: 4.4 -> 5.0 -> 6.0 -> 7.0") != std::string::npos);
  CHECK(r.out.find("set_feature_compatibility_version") != std::string::npos);
}

}  // namespace
}  // namespace tpd::provider
