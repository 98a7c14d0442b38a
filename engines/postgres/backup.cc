#include "engines/postgres/backup.h"

#include <ctime>
#include <filesystem>
#include <string>
#include <system_error>

#include "engines/postgres/schema_copy.h"

namespace tpd::engines::postgres {

namespace {

std::string UtcStamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// File-name-safe form of a database name.
std::string SafeName(const std::string& db) {
  std::string out;
  for (char ch : db) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.';
    out += ok ? ch : '_';
  }
  return out.empty() ? "db" : out;
}

}  // namespace

Result<BackupResult> BackupDatabase(const ConnInfo& source, const BackupOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("backup directory is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("cannot create backup directory " + options.dir + ": " + ec.message());
  int major = options.source_major;
  if (major <= 0) {
    TPD_ASSIGN_OR_RETURN(major, ProbeServerMajor(source, options.cancel_flag));
  }
  std::string db = source.dbname().empty() ? (source.user().empty() ? "postgres" : source.user()) : source.dbname();
  std::string base = (std::filesystem::path(options.dir) / (SafeName(db) + "-" + UtcStamp())).string();
  BackupResult result;
  result.dump_path = base + ".dump";
  std::string partial = result.dump_path + ".partial";
  auto version = RunPgTool("pg_dump", major, options.tool_paths,
                           {"--format=custom", "--compress=" + std::to_string(options.compress_level),
                            "--file=" + partial, "--dbname=" + source.ToLibpqConnString()},
                           source, {}, options.cancel_flag, options.timeout);
  if (!version.ok()) {
    std::filesystem::remove(partial, ec);
    return version.status().WithContext("backup of " + source.Redacted());
  }
  result.tool_version = *version;
  if (options.include_globals) {
    result.globals_path = base + ".globals.sql";
    std::string gpartial = result.globals_path + ".partial";
    auto g = RunPgTool("pg_dumpall", major, options.tool_paths,
                       {"--globals-only", "--file=" + gpartial, "--dbname=" + source.ToLibpqConnString()}, source, {},
                       options.cancel_flag, options.timeout);
    if (!g.ok()) {
      std::filesystem::remove(partial, ec);
      std::filesystem::remove(gpartial, ec);
      return g.status().WithContext("backup of roles (pg_dumpall --globals-only) of " + source.Redacted());
    }
    std::filesystem::rename(gpartial, result.globals_path, ec);
    if (ec) return Status::Internal("cannot rename " + gpartial + ": " + ec.message());
  }
  std::filesystem::rename(partial, result.dump_path, ec);
  if (ec) return Status::Internal("cannot rename " + partial + ": " + ec.message());
  // The dump holds every row and the globals file the roles' password hashes: owner only.
  for (const std::string& f : {result.dump_path, result.globals_path}) {
    if (!f.empty()) {
      std::filesystem::permissions(f, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace, ec);
    }
  }
  result.bytes = static_cast<int64_t>(std::filesystem::file_size(result.dump_path, ec));
  return result;
}

}  // namespace tpd::engines::postgres
