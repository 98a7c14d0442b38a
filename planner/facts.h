// Facts: what is known about the database to upgrade and about this host, before deciding.
//
// engines/<engine>/probe fills these from the live servers; the `explain` command fills them from
// flags; tests write them by hand. Convention for every optional fact: nullopt / empty means "not
// probed", and an unknown fact never rejects a strategy; the verdict's reason then says what the
// apply-time pre-check will verify. A known fact that breaks a rule rejects the strategy.
//
// Plain value type; no I/O. Thread-safety: values only.
#ifndef TPD_PLANNER_FACTS_H_
#define TPD_PLANNER_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/version.h"
#include "schema/status.h"

namespace tpd::planner {

enum class Topology {
  kStandalone,     // one server
  kMultiReplica,   // cluster whose data has several replicas (KWDB: node-by-node online upgrade)
  kSingleReplica,  // cluster whose data has one replica (KWDB: offline upgrade of all nodes)
};

// Persisted: never rename ("standalone", "multi_replica", "single_replica").
std::string_view TopologyName(Topology topology);
// Accepts the persisted names and the dashed spelling ("multi-replica"). InvalidArgument otherwise.
Result<Topology> ParseTopology(std::string_view text);

struct Facts {
  // ---- The source: the running server to upgrade.
  Engine engine = Engine::kPostgres;
  // Version the source reports ("13.4", "170002", "8.0.36", "v23.1.0"). REQUIRED.
  std::string current_version;
  // Size of the data to move, bytes. nullopt = unknown (estimates then use 0 and say so).
  std::optional<int64_t> data_size_bytes;
  Topology topology = Topology::kStandalone;

  // ---- What the configuration provides.
  // A separate, running target server exists (dump_restore and replication need one).
  bool has_target_server = false;
  // Version the target server reports, when one is given and reachable.
  std::optional<std::string> target_server_version;
  // The source's data directory is on this host (in-place upgrades run here).
  bool local_dirs = false;
  // The source's binaries (bin_dir of the current version) are available on this host.
  bool source_bin_dir = false;
  // The target version's binaries (new bin_dir) are available on this host.
  bool target_bin_dir = false;
  // PostgreSQL in place: pg_upgrade --link can be used (new data_dir on the same filesystem as the
  // old one). false = pg_upgrade copies every file, which grows with size.
  bool in_place_link = true;

  // ---- Probed prerequisites (PostgreSQL). Unknown values never reject; see the file comment.
  // wal_level of the source: "minimal", "replica", "logical"; empty = not probed.
  std::string wal_level;
  // Number of user tables without a primary key; nullopt = not probed.
  std::optional<int64_t> tables_without_pk;
  // How many of those have REPLICA IDENTITY FULL (or USING INDEX), so updates/deletes replicate.
  int64_t tables_without_pk_with_identity = 0;
  // Up to ten names ("public.events") of tables without a primary key and without replica
  // identity, for messages. May be empty even when the count is not.
  std::vector<std::string> tables_without_pk_names;
  // Extensions installed in the source databases ("postgis", "pg_trgm").
  std::vector<std::string> extensions;
  // Of those, the ones not available for the target version on the target host/bin_dir.
  std::vector<std::string> extensions_missing_on_target;
  // Major version of pg_dump found on this host (17; before 10 written as 90 + minor, so 9.6 is
  // 96), or nullopt when not found/not probed.
  std::optional<int> pg_dump_major;
  // Major version of pg_upgrade found on this host (same convention), or nullopt.
  std::optional<int> pg_upgrade_major;
};

}  // namespace tpd::planner

#endif  // TPD_PLANNER_FACTS_H_
