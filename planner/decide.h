// Decide: facts + request -> decision. The planner's one entry point.
//
// Pure function: no I/O, clock, environment, threads or logging; the same inputs always give the
// same Decision. Safe to call from any thread.
#ifndef TPD_PLANNER_DECIDE_H_
#define TPD_PLANNER_DECIDE_H_

#include "planner/decision.h"
#include "planner/estimate.h"
#include "planner/facts.h"
#include "planner/request.h"

namespace tpd::planner {

// Returns a Decision whose `outcome` says what happened; it never fails:
//  - kInvalidInput: a version string does not parse (reason names it); verdicts all rejected.
//  - kNothingToDo: the current version already satisfies the target ("17.2" satisfies "17");
//    every verdict is not_needed, path and steps are empty.
//  - kDowngradeRefused: the target is older than the current version; every verdict is rejected
//    (rule common.no_downgrade) and the reason says to restore the pre-upgrade backup instead.
//  - kChosen: `strategy`, `path`, `steps` and `estimate` describe the plan. Under auto the chosen
//    strategy has the least estimated downtime within request.max_downtime_seconds, except that a
//    strategy keeping the old server intact (dump_restore, replication) beats in_place when its
//    estimate is within the model's tie margin. A forced strategy is chosen when it passes every
//    rule and fits max_downtime.
//  - kNoneFeasible: no strategy passes its rules and fits max_downtime. `reason` says why; when
//    some strategy passes its rules but is too slow, `closest` names the fastest of those and by how
//    much it misses.
// In every outcome `verdicts` has one entry per strategy, in kAllStrategies order.
Decision Decide(const Facts& facts, const UpgradeRequest& request,
                const EstimateModel& model = EstimateModel::Defaults());

}  // namespace tpd::planner

#endif  // TPD_PLANNER_DECIDE_H_
