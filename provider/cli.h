// Sub-commands of terraform-provider-database besides serving the plugin protocol.
//
// Declared here (owned by the transport, called from main.cc) and implemented in tpd_cli.
// Both write human output to `out`, errors to `err`, and never touch stdout/stderr directly.
#ifndef TPD_PROVIDER_CLI_H_
#define TPD_PROVIDER_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace tpd::provider {

// `terraform-provider-database explain ...` (planner CLI). `args` excludes "explain".
// Returns the process exit code.
int RunExplainCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// `terraform-provider-database docs [--dir DIR]` (writes docs/ from schemas). `args` excludes
// "docs". Returns the exit code.
int RunDocsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_CLI_H_
