#include "tests/support/pg_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "engines/process.h"

#ifndef TPD_PG_CACHE_DIR
#error "TPD_PG_CACHE_DIR must be defined by tests/support/CMakeLists.txt"
#endif
#ifndef TPD_PG_USER
#define TPD_PG_USER "tpdpg"
#endif

namespace tpd::testsupport {
namespace {

namespace fs = std::filesystem;
using engines::ProcessOptions;
using engines::ProcessResult;
using engines::RunProcess;
using engines::postgres::Connection;
using engines::postgres::ConnInfo;
using engines::postgres::QueryResult;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Processes (not zombies) whose process group is `pgid` or whose parent is `parent`.
std::vector<pid_t> LiveProcesses(pid_t pgid, pid_t parent) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::string stat = ReadFile("/proc/" + std::string(e->d_name) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (state == 'Z' || state == 'X') continue;
    if (pid == pgid || pgrp == pgid || ppid == parent) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

std::optional<pid_t> PostmasterPid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace

int PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string PgServer::BinDirFor(int major, bool debian) {
  if (debian) return "/usr/lib/postgresql/" + std::to_string(major) + "/bin";
  return std::string(TPD_PG_CACHE_DIR) + "/" + std::to_string(major) + "/bin";
}

bool PgServer::Available(int major, bool debian) {
  return ::access((BinDirFor(major, debian) + "/initdb").c_str(), X_OK) == 0;
}

Result<std::unique_ptr<PgServer>> PgServer::Start(PgServerOptions options) {
  std::unique_ptr<PgServer> server(new PgServer(std::move(options)));
  TPD_RETURN_IF_ERROR(server->Init());
  if (server->options_.start) TPD_RETURN_IF_ERROR(server->Launch());
  return server;
}

namespace {
ProcessOptions ToolOptions(const std::string& run_as, const std::string& cwd, std::chrono::seconds timeout) {
  ProcessOptions po;
  po.run_as_user = run_as;
  po.working_dir = cwd;
  po.timeout = timeout;
  po.env = {{"LANG", "C"}, {"LC_ALL", "C"}};
  po.env_remove = {"PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGOPTIONS", "PGSERVICE"};
  return po;
}
}  // namespace

Status PgServer::Init() {
  bin_dir_ = options_.bin_dir.empty() ? BinDirFor(options_.major, options_.debian) : options_.bin_dir;
  if (::access((bin_dir_ + "/initdb").c_str(), X_OK) != 0) {
    return Status::NotFound("PostgreSQL " + std::to_string(options_.major) + " binaries not found in " + bin_dir_ +
                            " (run scripts/setup)");
  }
  if (options_.auth_method != "scram-sha-256" && options_.auth_method != "md5") {
    return Status::InvalidArgument("auth_method must be scram-sha-256 or md5");
  }
  std::string tmpl = "/tmp/tpd-pg" + std::to_string(options_.major) + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return Status::Internal(std::string("mkdtemp failed: ") + std::strerror(errno));
  base_dir_ = buf.data();
  data_dir_ = base_dir_ + "/data";
  socket_dir_ = base_dir_ + "/sock";
  log_path_ = base_dir_ + "/server.log";
  if (::mkdir(socket_dir_.c_str(), 0700) != 0) {
    return Status::Internal("cannot create " + socket_dir_ + ": " + std::strerror(errno));
  }
  if (engines::RunningAsRoot()) {
    run_as_ = TPD_PG_USER;
    TPD_ASSIGN_OR_RETURN(engines::UserIds ids, engines::LookupUser(run_as_));
    for (const auto& p : {base_dir_, socket_dir_}) {
      if (::chown(p.c_str(), ids.uid, ids.gid) != 0) {
        return Status::Internal("cannot chown " + p + " to " + run_as_ + ": " + std::strerror(errno));
      }
    }
  }

  ProcessOptions po = ToolOptions(run_as_, base_dir_, options_.start_timeout);
  po.argv = {bin_dir_ + "/initdb", "-D", data_dir_, "-U", "postgres", "-E", "UTF8", "--no-locale",
             "--auth-local=trust", "--auth-host=" + options_.auth_method, "--no-sync"};
  po.tool_name = "initdb";
  TPD_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(po));
  (void)r;
  return WriteConf(/*initial=*/true);
}

Status PgServer::WriteConf(bool initial) {
  std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
  if (!conf) return Status::Internal("cannot append to " + data_dir_ + "/postgresql.conf");
  if (initial) {
    port_ = PickFreePort();
    if (port_ == 0) return Status::Unavailable("cannot find a free TCP port on 127.0.0.1");
    conf << "\n# --- tpd test server ---\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << socket_dir_ << "'\n"
         << "fsync = off\n"
         << "shared_buffers = 32MB\n"
         << "max_connections = 50\n"
         << "password_encryption = '" << options_.auth_method << "'\n";
    for (const auto& [k, v] : options_.settings) conf << k << " = " << v << "\n";
  }
  conf << "port = " << port_ << "\n";
  conf.close();
  if (!conf) return Status::Internal("cannot write " + data_dir_ + "/postgresql.conf");
  return Status::Ok();
}

Status PgServer::LaunchOnce() {
  ProcessOptions po = ToolOptions(run_as_, base_dir_, options_.start_timeout + std::chrono::seconds(5));
  po.argv = {bin_dir_ + "/pg_ctl", "-D", data_dir_, "-l", log_path_, "-w",
             "-t", std::to_string(options_.start_timeout.count()), "start"};
  po.tool_name = "pg_ctl start";
  auto r = RunProcess(po);
  if (!r.ok()) return Status::Unavailable(r.status().message() + "; server log: " + LogTail(1500));
  return Status::Ok();
}

Status PgServer::Launch() {
  if (running_) return Status::Ok();
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    // Truncate the log position check: only the lines after this start count.
    const std::size_t log_before = ReadFile(log_path_).size();
    s = LaunchOnce();
    if (s.ok()) break;
    std::string log = ReadFile(log_path_);
    log = log.size() > log_before ? log.substr(log_before) : log;
    const bool port_race = log.find("could not bind") != std::string::npos ||
                           log.find("Address already in use") != std::string::npos;
    if (!port_race) return s;
    // Another process took the port between PickFreePort and bind: try another.
    port_ = PickFreePort();
    TPD_RETURN_IF_ERROR(WriteConf(/*initial=*/false));
  }
  if (!s.ok()) return s;
  running_ = true;
  if (!password_set_) {
    TPD_RETURN_IF_ERROR(SetPassword());
    password_set_ = true;
  }
  return Status::Ok();
}

Status PgServer::SetPassword() {
  TPD_ASSIGN_OR_RETURN(ConnInfo local, ConnInfo::Parse("postgres://postgres@:" + std::to_string(port_) +
                                                       "/postgres?host=" + socket_dir_));
  TPD_ASSIGN_OR_RETURN(auto conn, Connection::Connect(local));
  TPD_ASSIGN_OR_RETURN(std::string literal, conn->QuoteLiteral(options_.password));
  return conn->Exec("SET password_encryption = '" + options_.auth_method + "'; ALTER ROLE postgres PASSWORD " +
                    literal);
}

Status PgServer::Stop() {
  if (!running_ && !PostmasterPid(data_dir_)) return Status::Ok();
  ProcessOptions po = ToolOptions(run_as_, base_dir_, std::chrono::seconds(70));
  po.argv = {bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m", "fast", "-w", "-t", "60", "stop"};
  po.tool_name = "pg_ctl stop";
  auto r = RunProcess(po);
  if (!r.ok()) {
    po.argv = {bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m", "immediate", "-w", "-t", "30", "stop"};
    auto r2 = RunProcess(po);
    if (!r2.ok()) TPD_RETURN_IF_ERROR(Kill());
  }
  running_ = false;
  return Status::Ok();
}

Status PgServer::Kill() {
  auto pid = PostmasterPid(data_dir_);
  if (!pid) {
    running_ = false;
    return Status::Ok();
  }
  // pg_ctl starts the postmaster in its own session, so its process group holds every backend.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    auto live = LiveProcesses(*pid, *pid);
    if (live.empty()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Internal("postmaster " + std::to_string(*pid) + " did not die after SIGKILL");
    }
    ::kill(-*pid, SIGKILL);
    for (pid_t p : live) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Nobody reaps orphans in some containers: the dead postmaster can stay a zombie, which the next
  // postmaster would mistake for a live owner of these lock files. All owners are dead now.
  std::error_code ec;
  fs::remove(data_dir_ + "/postmaster.pid", ec);
  fs::remove(socket_dir_ + "/.s.PGSQL." + std::to_string(port_) + ".lock", ec);
  fs::remove(socket_dir_ + "/.s.PGSQL." + std::to_string(port_), ec);
  running_ = false;
  return Status::Ok();
}

Status PgServer::Restart() {
  TPD_RETURN_IF_ERROR(Stop());
  return Launch();
}

PgServer::~PgServer() {
  if (!data_dir_.empty() && (running_ || PostmasterPid(data_dir_))) {
    if (!Stop().ok()) (void)Kill();
  }
  const char* keep = std::getenv("TPD_KEEP_PG");
  if (!base_dir_.empty() && !(keep && std::string(keep) == "1")) {
    std::error_code ec;
    fs::remove_all(base_dir_, ec);
  }
}

std::string PgServer::url() const { return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres"; }

ConnInfo PgServer::conninfo(std::string_view dbname) const {
  auto info = ConnInfo::Parse(url(), options_.password);
  // url() is always well formed.
  return info->WithDatabase(std::string(dbname));
}

Result<std::unique_ptr<Connection>> PgServer::Connect(std::string_view dbname) const {
  return Connection::Connect(conninfo(dbname));
}

Status PgServer::Exec(std::string_view sql, std::string_view dbname) const {
  TPD_ASSIGN_OR_RETURN(auto conn, Connect(dbname));
  return conn->Exec(sql);
}

Result<QueryResult> PgServer::Query(std::string_view sql, std::string_view dbname) const {
  TPD_ASSIGN_OR_RETURN(auto conn, Connect(dbname));
  return conn->Query(sql);
}

std::string PgServer::LogTail(std::size_t max_bytes) const {
  std::string log = ReadFile(log_path_);
  if (log.size() > max_bytes) log = log.substr(log.size() - max_bytes);
  return log;
}

}  // namespace tpd::testsupport
