// Backup: a custom-format dump of the source database before anything is changed.
//
// Scope: the database named in the source URL (the one dump_restore copies); not the whole cluster.
// One backup is two files in `BackupOptions::dir`, named after the database and the UTC time:
//
//   <dir>/<db>-<YYYYMMDDTHHMMSSZ>.dump         pg_dump -Fc of the database (restore with pg_restore)
//   <dir>/<db>-<YYYYMMDDTHHMMSSZ>.globals.sql  pg_dumpall --globals-only (roles, tablespaces), SQL
//
// The .dump path is the one recorded in state (`backup_path`); the globals file sits next to it.
// Both are written under a ".partial" name and renamed when complete, so a file with the final
// name is always a complete dump. Both files are mode 0600 (they hold all rows and the roles'
// password hashes). To restore into an empty server:
//   psql -f <...>.globals.sql postgres   (errors for roles that already exist are harmless)
//   createdb <db> && pg_restore -d <db> <...>.dump
//
// pg_dump/pg_dumpall are found with tools.h (min_major = the source's major; a newer pg_dump reads
// older servers). The password reaches them through the child's environment (PGPASSWORD), never
// argv; the logged command line is redacted.
//
// Thread-safety: functions are thread-safe; they block for the whole dump.
#ifndef TPD_ENGINES_POSTGRES_BACKUP_H_
#define TPD_ENGINES_POSTGRES_BACKUP_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engines/postgres/conninfo.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

struct BackupOptions {
  // --- behaviour ---
  // Directory receiving the files; created (with parents) when missing. REQUIRES: non-empty.
  std::string dir;
  // Source server major (e.g. 13): pg_dump must be >= it. 0 = probe it with a connection first.
  int source_major = 0;
  // Directories searched first for pg_dump/pg_dumpall (provider `tool_paths`).
  std::vector<std::string> tool_paths;
  // Also write the globals file (needs a superuser; when pg_dumpall fails the backup fails).
  bool include_globals = true;
  // Borrowed; when it reads true the dump is killed and Cancelled returned. nullptr = not used.
  const std::atomic<bool>* cancel_flag = nullptr;
  // Kill pg_dump after this long (Cancelled). Zero = no limit.
  std::chrono::milliseconds timeout{0};
  // --- performance ---
  // pg_dump --compress level for the custom format (0..9). Default 1: fast, still ~3x smaller.
  int compress_level = 1;
};

struct BackupResult {
  std::string dump_path;     // <dir>/<db>-<stamp>.dump  (the path recorded in state)
  std::string globals_path;  // <dir>/<db>-<stamp>.globals.sql, empty when !include_globals
  int64_t bytes = 0;         // size of the .dump file
  std::string tool_version;  // pg_dump version used, e.g. "15.8"
};

// Dumps the database of `source` (its URL's database) as described above. Blocks.
// Errors: InvalidArgument (empty dir), NotFound (no pg_dump >= source major: message from FindTool),
// Unavailable (source unreachable while probing the major), Cancelled, Internal (pg_dump exited
// non-zero: tool, exit code, redacted stderr tail; or the directory cannot be written). On error no
// file with a final name is left behind.
Result<BackupResult> BackupDatabase(const ConnInfo& source, const BackupOptions& options);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_BACKUP_H_
