// The `explain` command line, parsed into planner inputs. Lives here (pure) so the provider's CLI
// stays a thin shell and tests need no process.
//
//   explain --engine E --from V --to V [--size 12GiB] [--topology standalone|multi-replica|single-replica]
//           [--target-server] [--target-server-version V] [--local-dirs] [--no-link]
//           [--max-downtime 5m] [--strategy auto|dump_restore|replication|in_place]
//           [--wal-level L] [--tables-without-pk N] [--replica-identity-full N]
//           [--pg-dump-version M] [--pg-upgrade-version M] [--extensions-missing a,b] [--json] [--help]
// Every flag also accepts the --flag=value form. The leading word "explain" is skipped if present.
//
// Pure; no I/O. Thread-safety: free functions.
#ifndef TPD_PLANNER_EXPLAIN_ARGS_H_
#define TPD_PLANNER_EXPLAIN_ARGS_H_

#include <string>
#include <vector>

#include "planner/facts.h"
#include "planner/request.h"
#include "schema/status.h"

namespace tpd::planner {

struct ExplainArgs {
  Facts facts;
  UpgradeRequest request;
  bool json = false;  // --json
  bool help = false;  // --help / -h: print ExplainUsage(), nothing else is required
};

// Returns the parsed arguments, or InvalidArgument whose message starts with the offending flag
// ("--size: invalid size ...", "--engine is required", "unknown argument \"--foo\"").
// --local-dirs sets Facts::local_dirs, source_bin_dir and target_bin_dir.
Result<ExplainArgs> ParseExplainArgs(const std::vector<std::string>& args);

// Usage text, ending with '\n'.
std::string ExplainUsage();

}  // namespace tpd::planner

#endif  // TPD_PLANNER_EXPLAIN_ARGS_H_
