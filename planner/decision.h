// Decision: the planner's output. Which strategy, through which versions, in which steps, with
// which expected downtime, and for every strategy a verdict with its reason in one plain sentence.
//
// resources/ stores parts of it in state (strategy, path, step names, verdict lines), so every
// name marked Persisted must never change. Plain value type; no I/O. Thread-safety: values only.
#ifndef TPD_PLANNER_DECISION_H_
#define TPD_PLANNER_DECISION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/estimate.h"
#include "planner/request.h"
#include "planner/version.h"

namespace tpd::planner {

// Step names. Persisted: never rename (journals and state record them).
inline constexpr std::string_view kStepPrecheck = "precheck";            // Persisted: never rename.
inline constexpr std::string_view kStepBackup = "backup";                // Persisted: never rename.
inline constexpr std::string_view kStepFreezeWrites = "freeze_writes";   // Persisted: never rename.
inline constexpr std::string_view kStepCopyData = "copy_data";           // Persisted: never rename.
inline constexpr std::string_view kStepCatchUp = "catch_up";             // Persisted: never rename.
inline constexpr std::string_view kStepVerify = "verify";                // Persisted: never rename.
inline constexpr std::string_view kStepSwitch = "switch";                // Persisted: never rename.
inline constexpr std::string_view kStepResumeWrites = "resume_writes";   // Persisted: never rename.
inline constexpr std::string_view kStepUpgradeInPlace = "upgrade_in_place";  // Persisted: never rename.
inline constexpr std::string_view kStepStartUpgraded = "start_upgraded";     // Persisted: never rename.
// MongoDB: setFeatureCompatibilityVersion to the hop's series after each in-place hop.
inline constexpr std::string_view kStepSetFcv = "set_feature_compatibility_version";  // Persisted: never rename.
// KWDB multi-replica: stop, upgrade, restart and check one node at a time.
inline constexpr std::string_view kStepRollingUpgrade = "rolling_upgrade_nodes";  // Persisted: never rename.

struct Step {
  std::string name;         // one of the kStep* names above
  std::string description;  // one sentence for humans, engine-specific ("pg_upgrade --link ...")
  std::string hop;          // the version this step moves to, for per-hop steps; else empty
  bool during_downtime = false;  // true when writes are blocked while it runs
};

// Persisted: never rename ("chosen", "feasible_but_slower", "feasible", "rejected", "not_needed").
enum class Verdict {
  kChosen,
  kFeasibleButSlower,  // would work, but another strategy was chosen under auto
  kFeasible,           // would work, not chosen for a reason other than speed: the configuration
                       // forces another strategy, or it tied with one that keeps the old server
  kRejected,           // cannot be used; `reason` says why
  kNotNeeded,          // nothing to do: the server is already at the target
};
std::string_view VerdictName(Verdict verdict);

struct StrategyVerdict {
  Strategy strategy = Strategy::kDumpRestore;
  Verdict verdict = Verdict::kRejected;
  std::string reason;   // one plain sentence
  std::string rule_id;  // the rule that decided a rejection ("pg.replication.wal_level"), else empty
  // Downtime estimate; nullopt when the engine has no such strategy at all or nothing is needed.
  std::optional<Estimate> estimate;
  std::vector<std::string> path;  // versions this strategy would pass through; empty if rejected early
};

// Persisted: never rename ("chosen", "nothing_to_do", "none_feasible", "downgrade_refused",
// "invalid_input").
enum class Outcome { kChosen, kNothingToDo, kNoneFeasible, kDowngradeRefused, kInvalidInput };
std::string_view OutcomeName(Outcome outcome);

// When nothing meets max_downtime: the fastest strategy that is otherwise feasible.
struct Closest {
  Strategy strategy = Strategy::kDumpRestore;
  int64_t estimated_downtime_seconds = 0;
  int64_t over_by_seconds = 0;  // estimate - max_downtime
};

struct Decision {
  Outcome outcome = Outcome::kInvalidInput;
  Engine engine = Engine::kPostgres;
  std::string current_version;  // as given in Facts
  std::string target_version;   // as given in the request
  // What a series-only target ("17") resolves to: the target server's version when it is in that
  // series, else the newest known release of it, else the target as given.
  std::string resolved_target_version;

  std::optional<Strategy> strategy;  // set iff outcome == kChosen
  // Every version the chosen strategy passes through, the target last ("4.4","5.0","6.0","7.0").
  std::vector<std::string> path;
  std::vector<Step> steps;           // ordered; empty unless outcome == kChosen
  std::optional<Estimate> estimate;  // of the chosen strategy
  // Exactly one per strategy, in kAllStrategies order.
  std::vector<StrategyVerdict> verdicts;
  std::optional<Closest> closest;  // outcome == kNoneFeasible because of max_downtime
  // Why this outcome, and for failures what to do next (one or two sentences).
  std::string reason;
  // Warnings worth showing with a chosen plan ("no rollback without the backup").
  std::vector<std::string> notes;

  bool chosen() const { return outcome == Outcome::kChosen; }
  // The verdict for `s` (always present).
  const StrategyVerdict& VerdictFor(Strategy s) const;
};

}  // namespace tpd::planner

#endif  // TPD_PLANNER_DECISION_H_
