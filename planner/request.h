// UpgradeRequest: what the configuration asks for (target version and constraints).
//
// Plain value type; no I/O. Thread-safety: values only.
#ifndef TPD_PLANNER_REQUEST_H_
#define TPD_PLANNER_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schema/status.h"

namespace tpd::planner {

enum class Strategy { kDumpRestore, kReplication, kInPlace };

inline constexpr Strategy kAllStrategies[] = {Strategy::kDumpRestore, Strategy::kReplication,
                                              Strategy::kInPlace};

// Persisted: never rename ("dump_restore", "replication", "in_place").
std::string_view StrategyName(Strategy strategy);

// Parses "auto" (returns nullopt) or a strategy name (also accepted with dashes: "dump-restore").
// InvalidArgument naming the accepted values otherwise.
Result<std::optional<Strategy>> ParseStrategyChoice(std::string_view text);

// True for strategies that leave the old server untouched, so rolling back is switching back
// (dump_restore, replication). in_place rewrites the old server; only the backup rolls it back.
bool KeepsSourceIntact(Strategy strategy);

struct UpgradeRequest {
  // Version to reach: "17", "17.2", "7.0", "v24.0.0". REQUIRED.
  std::string target_version;
  // nullopt = auto: the planner chooses. Set = use this one or fail with its reason.
  std::optional<Strategy> strategy;
  // Longest acceptable downtime (writes blocked), seconds. nullopt = no limit.
  std::optional<int64_t> max_downtime_seconds;
};

}  // namespace tpd::planner

#endif  // TPD_PLANNER_REQUEST_H_
