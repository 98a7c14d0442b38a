#include "planner/decision.h"

namespace tpd::planner {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kChosen: return "chosen";
    case Verdict::kFeasibleButSlower: return "feasible_but_slower";
    case Verdict::kFeasible: return "feasible";
    case Verdict::kRejected: return "rejected";
    case Verdict::kNotNeeded: return "not_needed";
  }
  return "rejected";
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kChosen: return "chosen";
    case Outcome::kNothingToDo: return "nothing_to_do";
    case Outcome::kNoneFeasible: return "none_feasible";
    case Outcome::kDowngradeRefused: return "downgrade_refused";
    case Outcome::kInvalidInput: return "invalid_input";
  }
  return "invalid_input";
}

const StrategyVerdict& Decision::VerdictFor(Strategy s) const {
  for (const StrategyVerdict& v : verdicts) {
    if (v.strategy == s) return v;
  }
  // Decide() always fills one verdict per strategy; a hand-built Decision may not.
  static const StrategyVerdict kMissing;
  return kMissing;
}

}  // namespace tpd::planner
