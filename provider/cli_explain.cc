// `terraform-provider-database explain`: the planner on the command line. Argument parsing,
// deciding and rendering live in planner/ (pure); this file only maps them to streams and exit
// codes: 0 a strategy is chosen or nothing is to do, 2 no strategy is feasible (including a refused
// downgrade), 1 bad arguments.
#include <exception>
#include <ostream>
#include <string>
#include <vector>

#include "planner/decide.h"
#include "planner/explain_args.h"
#include "planner/render.h"
#include "provider/cli.h"

namespace tpd::provider {

int RunExplainCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    Result<planner::ExplainArgs> parsed = planner::ParseExplainArgs(args);
    if (!parsed.ok()) {
      err << "explain: " << parsed.status().message() << "\n";
      return 1;
    }
    if (parsed->help) {
      out << planner::ExplainUsage();
      return 0;
    }
    const planner::Decision decision = planner::Decide(parsed->facts, parsed->request);
    if (decision.outcome == planner::Outcome::kInvalidInput) {
      err << "explain: " << decision.reason << "\n";
      return 1;
    }
    out << (parsed->json ? planner::RenderJson(decision) : planner::RenderText(decision));
    switch (decision.outcome) {
      case planner::Outcome::kChosen:
      case planner::Outcome::kNothingToDo:
        return 0;
      default:
        // The reason is in the output already; repeat it on err so scripts that keep only stderr
        // still see why.
        err << "explain: " << decision.reason << "\n";
        return 2;
    }
  } catch (const std::exception& e) {
    err << "explain: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tpd::provider
