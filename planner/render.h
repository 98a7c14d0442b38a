// Renderers of a Decision: a human-readable table, stable JSON, and one line per strategy.
//
// Pure; no I/O. Thread-safety: free functions, safe from any thread.
#ifndef TPD_PLANNER_RENDER_H_
#define TPD_PLANNER_RENDER_H_

#include <string>
#include <vector>

#include "planner/decision.h"

namespace tpd::planner {

// Multi-line text for a terminal: headline, path, steps, a table of verdicts, notes. Ends with '\n'.
std::string RenderText(const Decision& decision);

// JSON object, 2-space indented, ending with '\n'. Stable keys, in this order (docs/explain.md):
//   engine, current_version, target_version, resolved_target_version, outcome,
//   strategy (string|null), path [string], estimated_downtime_seconds (int|null),
//   estimate {formula, inputs {name: number}, size_known} | null,
//   steps [{name, description, hop, during_downtime}],
//   verdicts [{strategy, verdict, reason, estimated_downtime_seconds (int|null), rule_id, path}],
//   closest {strategy, estimated_downtime_seconds, over_by_seconds} | null, reason, notes [string].
std::string RenderJson(const Decision& decision);

// One line per strategy, in kAllStrategies order, for the `decision` attribute:
// "replication: chosen: logical replication into ... (estimated 2m10s)".
std::vector<std::string> RenderVerdictLines(const Decision& decision);

}  // namespace tpd::planner

#endif  // TPD_PLANNER_RENDER_H_
