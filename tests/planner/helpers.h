// Shorthands for planner tests.
#ifndef TPD_TESTS_PLANNER_HELPERS_H_
#define TPD_TESTS_PLANNER_HELPERS_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/decide.h"
#include "planner/decision.h"
#include "planner/facts.h"
#include "planner/request.h"

namespace tpd::planner::testing {

inline constexpr int64_t kGiB = 1024LL * 1024 * 1024;

inline Facts MakeFacts(Engine engine, std::string from) {
  Facts f;
  f.engine = engine;
  f.current_version = std::move(from);
  return f;
}

// Facts with everything every strategy may need: target server and local directories.
inline Facts FullFacts(Engine engine, std::string from, int64_t size = 10 * kGiB) {
  Facts f = MakeFacts(engine, std::move(from));
  f.data_size_bytes = size;
  f.has_target_server = true;
  f.local_dirs = f.source_bin_dir = f.target_bin_dir = true;
  return f;
}

inline UpgradeRequest To(std::string to, std::optional<Strategy> strategy = std::nullopt,
                         std::optional<int64_t> max_downtime = std::nullopt) {
  UpgradeRequest r;
  r.target_version = std::move(to);
  r.strategy = strategy;
  r.max_downtime_seconds = max_downtime;
  return r;
}

inline std::vector<std::string> StepNames(const Decision& d) {
  std::vector<std::string> names;
  for (const Step& s : d.steps) names.push_back(s.name);
  return names;
}

inline bool HasStep(const Decision& d, std::string_view name) {
  return std::any_of(d.steps.begin(), d.steps.end(), [&](const Step& s) { return s.name == name; });
}

inline long IndexOfStep(const Decision& d, std::string_view name) {
  for (size_t i = 0; i < d.steps.size(); ++i) {
    if (d.steps[i].name == name) return static_cast<long>(i);
  }
  return -1;
}

}  // namespace tpd::planner::testing

#endif  // TPD_TESTS_PLANNER_HELPERS_H_
