// The rule tables, one per engine (rules_<engine>.cc) plus the rules every engine shares
// (rules_common.cc). Internal to planner/: callers use Decide() (decide.h).
//
// A rule is one row: an id (stable, shown in verdicts and named by tests), its source (a seed or an
// engine's documentation), the strategy it guards, and a check that returns the rejection reason in
// one plain sentence, or nullopt when the rule passes. Decide() checks, per strategy:
//   1. the engine supports the strategy at all (EngineRules::unsupported),
//   2. CommonRules() in order, then EngineRules::rules in order; the first failing row rejects,
//   3. EngineRules::plan builds path, steps and estimate shape for a strategy that passed.
//
// Pure; no I/O. Thread-safety: the tables are immutable after first use (function-local statics).
#ifndef TPD_PLANNER_RULES_H_
#define TPD_PLANNER_RULES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/decision.h"
#include "planner/estimate.h"
#include "planner/facts.h"
#include "planner/request.h"
#include "planner/version.h"

namespace tpd::planner {

// Everything a rule may look at. References are borrowed for the duration of one Decide() call.
struct RuleInput {
  const Facts& facts;
  const UpgradeRequest& request;
  Engine engine;
  const Version& current;
  const Version& target;                       // as requested ("17")
  const std::optional<Version>& target_server;  // parsed Facts::target_server_version
};

using RuleCheck = std::optional<std::string> (*)(const RuleInput&);

struct Rule {
  std::string_view rule_id;  // "<engine>.<strategy>.<what>", stable
  std::string_view source;   // "seeds/001", "SPEC.md engine table", "PostgreSQL docs: pg_upgrade"
  Strategy strategy;
  RuleCheck check;
};

// A strategy the engine cannot do at all: its verdict is rejected without an estimate.
struct Unsupported {
  Strategy strategy;
  std::string_view rule_id;
  std::string_view source;
  std::string_view reason;
};

// Path, steps and estimate inputs of a strategy that passed every rule.
struct StrategyPlan {
  std::vector<std::string> path;
  std::vector<Step> steps;
  EstimateShape shape;
  std::string how;                 // one sentence: how it would be done
  std::vector<std::string> notes;  // warnings to show if chosen
};

using PlanBuilder = StrategyPlan (*)(Strategy, const RuleInput&);

struct EngineRules {
  Engine engine;
  std::vector<Unsupported> unsupported;
  std::vector<Rule> rules;
  PlanBuilder plan;
};

const EngineRules& PostgresRules();
const EngineRules& MySqlRules();
const EngineRules& MariaDbRules();
const EngineRules& MongoDbRules();
const EngineRules& RedisRules();
const EngineRules& ElasticsearchRules();
const EngineRules& DgraphRules();
const EngineRules& KwdbRules();

// The table for `engine`.
const EngineRules& RulesFor(Engine engine);

// Rules that hold for every engine (target server present and at the right version; in-place needs
// local access).
const std::vector<Rule>& CommonRules();

// ---- Helpers shared by the rule files.

Step MakeStep(std::string_view name, std::string description, bool during_downtime,
              std::string hop = "");

// The text of the final hop: the target as requested, canonical ("17", "7.0", "v24.0.0").
std::string TargetHop(const RuleInput& in);

// In-place path through `series` (ordered oldest first) from the current series to the target:
// every series strictly between them, then the target. nullopt when the current or the target
// series is not in the list (and the target is not beyond its end).
std::optional<std::vector<std::string>> SequentialPath(const RuleInput& in,
                                                       const std::vector<std::string>& series);

// The standard dump_restore / replication step lists with engine-specific descriptions.
std::vector<Step> DumpRestoreSteps(const RuleInput& in, std::string freeze, std::string copy);

}  // namespace tpd::planner

#endif  // TPD_PLANNER_RULES_H_
