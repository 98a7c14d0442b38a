// The rule tables themselves: every row has a unique id and names its source (STYLE.md rule 10).
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "planner/rules.h"

namespace tpd::planner {
namespace {

TEST_CASE("Rules: every rule has a unique id and a source", "[planner]") {
  std::set<std::string> ids;
  const auto check = [&](std::string_view id, std::string_view source) {
    INFO(id);
    CHECK_FALSE(id.empty());
    CHECK_FALSE(source.empty());
    CHECK(ids.insert(std::string(id)).second);
  };
  for (const Rule& r : CommonRules()) check(r.rule_id, r.source);
  for (Engine e : kAllEngines) {
    const EngineRules& t = RulesFor(e);
    CHECK(t.engine == e);
    CHECK(t.plan != nullptr);
    for (const Unsupported& u : t.unsupported) {
      check(u.rule_id, u.source);
      CHECK_FALSE(u.reason.empty());
    }
    for (const Rule& r : t.rules) {
      check(r.rule_id, r.source);
      CHECK(r.check != nullptr);
      CHECK(r.rule_id.substr(0, r.rule_id.find('.')) != "");
    }
  }
  CHECK(ids.size() >= 25);
}

TEST_CASE("Rules: the SPEC.md engine table's unsupported cells are rejected", "[planner]") {
  const auto unsupported = [](Engine e, Strategy s) {
    for (const Unsupported& u : RulesFor(e).unsupported) {
      if (u.strategy == s) return true;
    }
    return false;
  };
  CHECK_FALSE(unsupported(Engine::kPostgres, Strategy::kReplication));
  CHECK_FALSE(unsupported(Engine::kRedis, Strategy::kReplication));
  CHECK(unsupported(Engine::kMySql, Strategy::kReplication));
  CHECK(unsupported(Engine::kMongoDb, Strategy::kReplication));
  CHECK(unsupported(Engine::kElasticsearch, Strategy::kReplication));
  CHECK(unsupported(Engine::kDgraph, Strategy::kReplication));
  CHECK(unsupported(Engine::kDgraph, Strategy::kInPlace));
  CHECK(unsupported(Engine::kKwdb, Strategy::kReplication));
  for (Engine e : kAllEngines) CHECK_FALSE(unsupported(e, Strategy::kDumpRestore));
}

}  // namespace
}  // namespace tpd::planner
