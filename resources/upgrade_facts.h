// Mapping between database_upgrade's Terraform world and the planner/engines:
//  - the resource configuration -> UpgradeConfig (plain values);
//  - probed InstanceFacts + tools on this host + UpgradeConfig -> planner::Facts / UpgradeRequest;
//  - planner::Decision -> the plan-time computed attributes (current_version, planned_strategy,
//    upgrade_path, estimated_downtime_seconds, decision, data_size_bytes);
//  - UpgradeConfig + ProviderOptions -> engines::postgres::UpgradeSpec (the executors' input).
//
// Everything here is pure except ProbeHostTools and ModelFromHistory, which read this host's file
// system and run `<tool> --version` (documented on each).
//
// Thread-safety: free functions on values; safe from any thread.
#ifndef TPD_RESOURCES_UPGRADE_FACTS_H_
#define TPD_RESOURCES_UPGRADE_FACTS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engines/postgres/probe.h"
#include "engines/postgres/upgrade_spec.h"
#include "planner/decision.h"
#include "planner/estimate.h"
#include "planner/facts.h"
#include "planner/request.h"
#include "resources/resource.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::resources {

// planned_strategy when the server already satisfies target_version. Persisted: never rename.
inline constexpr char kPlannedStrategyNone[] = "none";

// One server block of the configuration, unknown/null values read as empty.
struct ServerConfig {
  std::string url;                       // empty = not set
  std::optional<std::string> password;   // nullopt = not set (libpq's own sources apply)
  std::string data_dir;
  std::string bin_dir;
  std::vector<std::string> stop_command;   // argv
  std::string upgrade_mode = "link";       // target only
  std::vector<std::string> start_command;  // argv
};

// The database_upgrade configuration as plain values (defaults of the schema applied).
struct UpgradeConfig {
  std::string engine;
  std::string target_version;
  std::string strategy = "auto";
  std::optional<int64_t> max_downtime_seconds;
  ServerConfig source;
  ServerConfig target;
  bool backup_enabled = true;
  std::string backup_dir;  // empty = executor default (<run_dir>/backup)
  bool block_writes = true;
  bool terminate_sessions = false;
  bool verify_row_counts = true;
  bool verify_checksums = false;
  std::optional<int64_t> create_timeout_seconds;
  std::optional<int64_t> update_timeout_seconds;
};

// Reads `config` (an object of DatabaseUpgradeSchemaV0's implied type). Unknown values read as not
// set; callers that need a value known check that first (DecisionInputsKnown). InvalidArgument
// (with the attribute path) when max_downtime or a timeout is not a duration, or `config` is not a
// known object.
Result<UpgradeConfig> ParseUpgradeConfig(const schema::Value& config);

// True when every input of the plan-time decision is known in `config`: engine, target_version,
// strategy, max_downtime and the whole source and target blocks (passwords included).
bool DecisionInputsKnown(const schema::Value& config);

// Canonical text of the decision inputs WITHOUT passwords (one "name=value" per line), the basis of
// the plan-cache key.
std::string DecisionInputsText(const UpgradeConfig& config);

// Tools and directories found on this host.
struct HostTools {
  // pg_dump the dump_restore executor would use (major >= the source's), Facts convention (17; 96
  // for 9.6); nullopt when none was found.
  std::optional<int> pg_dump_major;
  // pg_upgrade of target.bin_dir (else tool_paths/PATH/Debian, exact target major); nullopt = none.
  std::optional<int> pg_upgrade_major;
  // <source.data_dir>/PG_VERSION is readable here and names the source's major.
  bool source_data_dir_local = false;
  // Directory holding the source major's server binaries (source.bin_dir, else found by pg_ctl
  // search); empty = none found.
  std::string source_bin_dir;
  // target.bin_dir holds an executable `postgres`.
  bool target_bin_dir_ok = false;
};

// Probes the host for the source of major `source_major` ("13") and the requested target major
// (`target_major`, 0 when unknown). Blocks on file-system access and `--version` runs. Never fails:
// what is not found stays empty.
HostTools ProbeHostTools(const UpgradeConfig& config, const ProviderOptions& options, const std::string& source_major,
                         int target_major);

// Facts convention of planner::Facts::pg_dump_major: 17 -> 17, 9.6 -> 96.
int ToolMajorForFacts(int major, int minor);

// planner::Facts from the probed source, the probed target server (nullopt when none is configured
// or it was not reachable), the host tools and the configuration. Pure.
// data_size_bytes = source.total_size_bytes; has_target_server = target.url set and not the same
// server as the source; local_dirs = source data_dir local; in_place_link = upgrade_mode != copy.
planner::Facts MakePlannerFacts(const UpgradeConfig& config, const engines::postgres::InstanceFacts& source,
                                const std::optional<engines::postgres::InstanceFacts>& target,
                                const HostTools& tools);

// The planner request for `config`. InvalidArgument (path strategy) for an unknown strategy name.
Result<planner::UpgradeRequest> MakeUpgradeRequest(const UpgradeConfig& config);

// True when `current` ("17.4") is in the same major as the pinned `target` ("17.2") and newer: an
// automatic minor upgrade; the resource warns and plans nothing instead of a downgrade.
bool IsNewerMinorThanPinned(const std::string& current, const std::string& target);

// The plan-time computed attributes, as schema values (all known).
struct PlannedComputed {
  std::string current_version;
  std::string planned_strategy;                // strategy name, or kPlannedStrategyNone
  std::vector<std::string> upgrade_path;       // current version first
  int64_t estimated_downtime_seconds = 0;
  std::vector<std::string> decision;           // one line per strategy, the chosen one first
  int64_t data_size_bytes = 0;

  // {"current_version": ..., ...}: the six attributes as Values.
  std::map<std::string, schema::Value> ToAttributes() const;
  // The inverse; InvalidArgument when an attribute is missing or of the wrong kind.
  static Result<PlannedComputed> FromAttributes(const std::map<std::string, schema::Value>& attrs);
};

// Names of the plan-time computed attributes, and of those known only after apply.
const std::vector<std::string>& PlanTimeComputedNames();
const std::vector<std::string>& ApplyTimeComputedNames();

// Computed values for a decision whose outcome is kChosen or kNothingToDo. `data_size_bytes` is the
// probed size. REQUIRES: decision.outcome is kChosen or kNothingToDo.
PlannedComputed ComputedFromDecision(const planner::Decision& decision, int64_t data_size_bytes);
// Computed values when nothing is to be done (already at target, or newer minor than pinned);
// `why` becomes the decision line.
PlannedComputed NothingToDo(const std::string& current_version, int64_t data_size_bytes, const std::string& why);

// The executors' input. `source` is the server to upgrade now (the active server on an update):
// its URL and password; `run_id` from engines::RunIdFor. InvalidArgument (with path) when a URL does
// not parse. `stop` borrowed (may be null).
Result<engines::postgres::UpgradeSpec> MakeUpgradeSpec(const UpgradeConfig& config, const ProviderOptions& options,
                                                       const std::string& source_url,
                                                       const std::optional<std::string>& source_password,
                                                       int target_major, const std::atomic<bool>* stop,
                                                       std::chrono::seconds timeout);

// The estimate model, refitted from <work_dir>/history.jsonl (engines/history.h records that ran to
// completion with a measured downtime). Reads the file; defaults when it is missing or unreadable.
planner::EstimateModel ModelFromHistory(const std::string& work_dir);

// Joins argv into one /bin/sh command line, single-quoting every argument. Pure.
std::string ShellJoin(const std::vector<std::string>& argv);

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_UPGRADE_FACTS_H_
