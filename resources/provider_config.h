// The provider "database" configuration block: its schema and its parsing into ProviderOptions.
//
//   provider "database" {
//     work_dir    = "/var/lib/terraform-database"   # optional
//     parallelism = 4                                # optional, 1..64
//     tool_paths  = ["/usr/lib/postgresql/17/bin"]   # optional, absolute directories
//   }
//
// Thread-safety: both functions may be called from any thread.
#ifndef TPD_RESOURCES_PROVIDER_CONFIG_H_
#define TPD_RESOURCES_PROVIDER_CONFIG_H_

#include <string>

#include "resources/resource.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::resources {

// The provider block's schema (version 0), with a description and validators on every attribute.
// The returned reference lives for the whole process.
const schema::Schema& ProviderSchema();

// Parses a provider configuration object (of ProviderSchema().block.ImpliedType(), or null when the
// configuration has no provider block) into options. Null or unknown attributes take their defaults:
//  - work_dir: DefaultWorkDir();
//  - parallelism: the CPU count (std::thread::hardware_concurrency), clamped to 1..64;
//  - tool_paths: empty (trailing slashes are removed from the given ones).
// Known values are checked with the same validators as the schema (the framework normally ran them
// already): InvalidArgument with the attribute path (work_dir, parallelism, tool_paths[i]) when one
// is invalid, or when `config` is not an object of the right shape. Does no I/O (the work
// directory is created on first use, not here) except reading the environment.
Result<ProviderOptions> ParseProviderOptions(const schema::Value& config);

// $XDG_STATE_HOME/terraform-provider-database when XDG_STATE_HOME is an absolute path, else
// $HOME/.local/state/terraform-provider-database, else (no usable HOME)
// /tmp/terraform-provider-database-<uid>. Reads the environment only.
std::string DefaultWorkDir();

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_PROVIDER_CONFIG_H_
