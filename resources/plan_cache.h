// PlanCache: plan-time computed values of database_upgrade, kept between `terraform plan` and the
// re-plan Terraform makes at apply time.
//
// Why: Terraform re-plans at apply time and requires every value that was known in the saved plan
// to come out identical ("Provider produced inconsistent final plan"), but a live server's size
// (and so the estimate) changes between the two. A plan stores its computed values under a key; a
// re-plan with the same key within the TTL reuses them verbatim. Apply itself always re-probes.
//
// Layout: <work_dir>/plans/<key>.json, one JSON object per file:
//   {"v":1, "saved_at": <unix seconds>, "values": {<attribute>: <value>, ...}}
// values are encoded with schema::EncodeJson against the type given to Put/Get. Files are written
// to a temporary name and renamed, so a reader never sees half a file. No secret is ever stored:
// keys are hashes and values are plan-time computed attributes (versions, sizes, decision lines).
//
// Persisted: the layout above is on users' disks; never rename.
//
// Thread-safety: Get/Put may run concurrently from threads and processes (rename is atomic; the
// last writer wins, and every writer of one key writes values computed from the same inputs).
#ifndef TPD_RESOURCES_PLAN_CACHE_H_
#define TPD_RESOURCES_PLAN_CACHE_H_

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "schema/status.h"
#include "schema/types.h"
#include "schema/value.h"

namespace tpd::resources {

// How long a cached plan is reused. 24 hours: a plan saved in the morning can be applied the same
// day; a later apply re-plans from fresh probes (and then asks for a new plan if values changed).
inline constexpr std::chrono::seconds kPlanCacheTtl{24 * 60 * 60};

// 32 hex digits identifying one plan's inputs: `decision_inputs` (the configuration without
// passwords, UpgradeConfig's DecisionInputsText) plus the prior state's active URL and current
// version (both empty on create). Deterministic across processes. Pure.
std::string PlanCacheKey(std::string_view decision_inputs, std::string_view prior_active_url,
                         std::string_view prior_current_version);

class PlanCache {
 public:
  // `work_dir` is the provider's work directory (created on first Put). `ttl` > 0.
  explicit PlanCache(std::filesystem::path work_dir, std::chrono::seconds ttl = kPlanCacheTtl);

  // The values stored under `key` when saved within the TTL before `now` (and not in the future by
  // more than a minute: a clock step makes the entry stale rather than eternal); nullopt on a miss,
  // an expired entry, or a file that does not parse against `type`. Reads one file; never fails.
  std::optional<schema::Value> Get(std::string_view key, const schema::Type& type,
                                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  // Stores `values` (wholly known, conforming to `type`) under `key` with time `now`.
  // InvalidArgument when `key` is not 32 hex digits or `values` cannot be encoded; Internal on I/O
  // errors (the caller logs it: a failed Put only costs a re-probe).
  Status Put(std::string_view key, const schema::Value& values, const schema::Type& type,
             std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  // <work_dir>/plans/<key>.json.
  std::filesystem::path PathFor(std::string_view key) const;

 private:
  const std::filesystem::path dir_;
  const std::chrono::seconds ttl_;
};

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_PLAN_CACHE_H_
