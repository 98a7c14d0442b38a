// Finding PostgreSQL client and server tools (pg_dump, pg_restore, pg_upgrade, psql, pg_ctl,
// initdb, pg_controldata ...) on this host, and their versions.
//
// Search order for FindTool:
//   1. ToolSearchOptions::tool_paths (the provider's `tool_paths`), in the given order;
//   2. the directories of $PATH, in order;
//   3. <debian_root>/<N>/bin (Debian/Ubuntu layout, /usr/lib/postgresql/17/bin), highest N first.
// A candidate must be an executable regular file; its version is read from `<tool> --version`
// ("pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)"). Candidates outside the requested major range are
// skipped. Within 1 and 2 the first acceptable candidate wins (the user's order is respected);
// step 3 prefers the highest version.
//
// Thread-safety: all functions are thread-safe. They block on file-system access and on running
// `--version` (a few milliseconds per candidate).
#ifndef TPD_ENGINES_POSTGRES_TOOLS_H_
#define TPD_ENGINES_POSTGRES_TOOLS_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::engines::postgres {

struct ToolVersion {
  int major = 0;  // 15 for "15.8"; 9 for "9.6.24"
  int minor = 0;  // 8 for "15.8"; 6 for "9.6.24"
  int patch = 0;  // 0 for "15.8"; 24 for "9.6.24"
  std::string text;  // "15.8", "9.6.24", "17beta1"

  // "15" or "9.6": the major as PostgreSQL names it (matches InstanceFacts::major).
  std::string MajorLabel() const;
  // Comparable with server_version_num: 150008, 90624.
  int VersionNum() const;
};

struct ToolInfo {
  std::string name;     // "pg_dump"
  std::string path;     // absolute path of the executable
  std::string bin_dir;  // directory containing it
  ToolVersion version;
};

struct ToolSearchOptions {
  // Directories searched first, in order (provider attribute `tool_paths`). Default: none.
  std::vector<std::string> tool_paths;
  // Search $PATH after tool_paths. Default true.
  bool search_path_env = true;
  // Root of the Debian layout <root>/<N>/bin; empty disables step 3. Default "/usr/lib/postgresql".
  std::string debian_root = "/usr/lib/postgresql";
  // Accept only tools whose major is >= min_major (e.g. pg_dump must be >= the source server).
  std::optional<int> min_major;
  // Accept only this exact major (e.g. pg_upgrade of the target version). Wins over min_major.
  std::optional<int> exact_major;
  // Time limit for each `--version` run. Default 10 s.
  std::chrono::milliseconds version_timeout{10000};
};

// Resolves `name` (e.g. "pg_dump") as described above.
// Errors:
//   InvalidArgument - name empty or containing '/'.
//   NotFound        - no acceptable candidate: "pg_dump (>= 16) not found; searched: /opt/pg/bin,
//                     /usr/local/bin, ..., /usr/lib/postgresql/{15,13}/bin (found pg_dump 15.8 at
//                     /usr/lib/postgresql/15/bin/pg_dump, too old)". Set tool_paths to fix.
Result<ToolInfo> FindTool(std::string_view name, const ToolSearchOptions& options = {});

// Every acceptable candidate for `name`, in search order (duplicates by real path removed). Empty
// when none. Never fails; candidates whose version cannot be read are skipped.
std::vector<ToolInfo> FindAllTools(std::string_view name, const ToolSearchOptions& options = {});

// Runs `<path> --version` and parses the result. NotFound if the file is missing or not executable,
// Internal if it runs but prints no recognisable version, other errors of RunProcess.
Result<ToolVersion> ProbeToolVersion(const std::string& path,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Parses "pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)", "postgres (PostgreSQL) 9.6.24",
// "psql (PostgreSQL) 17beta1" or a bare "13.23". InvalidArgument when no version is found. Pure.
Result<ToolVersion> ParseToolVersion(std::string_view version_output);

// The majors installed under `debian_root` (directories <root>/<N>/bin), highest first. Pure I/O
// listing; empty when the root does not exist.
std::vector<int> InstalledDebianMajors(const std::string& debian_root = "/usr/lib/postgresql");

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_TOOLS_H_
