#include "planner/request.h"

#include <algorithm>
#include <cctype>

namespace tpd::planner {

std::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kDumpRestore: return "dump_restore";
    case Strategy::kReplication: return "replication";
    case Strategy::kInPlace: return "in_place";
  }
  return "dump_restore";
}

Result<std::optional<Strategy>> ParseStrategyChoice(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "auto") return std::optional<Strategy>();
  for (Strategy s : kAllStrategies) {
    if (t == StrategyName(s)) return std::optional<Strategy>(s);
  }
  return Status::InvalidArgument("unknown strategy \"" + std::string(text) +
                                 "\": expected auto, dump_restore, replication or in_place");
}

bool KeepsSourceIntact(Strategy strategy) { return strategy != Strategy::kInPlace; }

}  // namespace tpd::planner
