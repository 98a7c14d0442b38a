#include "engines/postgres/server_control.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "engines/postgres/connection.h"
#include "engines/process.h"
#include "provider/log.h"

namespace tpd::engines::postgres {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, std::size_t n) {
  return text.size() > n ? text.substr(text.size() - n) : text;
}

bool StopRequested(const std::atomic<bool>* flag) { return flag != nullptr && flag->load(); }

// libpq/tool variables of our environment would redirect pg_ctl (PGDATA, PGPORT ...).
const std::vector<std::string>& PgEnvToRemove() {
  static const std::vector<std::string> k = {"PGDATA",     "PGPORT",   "PGHOST",    "PGHOSTADDR",
                                             "PGUSER",     "PGPASSWORD", "PGDATABASE", "PGOPTIONS",
                                             "PGSERVICE",  "PGPASSFILE", "PGSSLMODE", "PGCTLTIMEOUT"};
  return k;
}

ProcessOptions PgCtlOptions(const ServerControlOptions& o) {
  ProcessOptions po;
  po.run_as_owner_of = o.data_dir;
  po.env_remove = PgEnvToRemove();
  po.env = {{"LC_MESSAGES", "C"}};
  po.timeout = o.timeout + std::chrono::seconds(10);
  po.cancel_flag = o.cancel_flag;
  // pg_ctl needs a readable cwd as the owner; the data directory's parent may not be.
  po.working_dir = o.data_dir;
  return po;
}

ProcessOptions CommandOptions(const ServerControlOptions& o, const char* what) {
  ProcessOptions po;
  po.argv = {"/bin/sh", "-c", o.command};
  po.timeout = o.timeout;
  po.cancel_flag = o.cancel_flag;
  po.tool_name = what;
  return po;
}

Status WaitStopped(const ServerControlOptions& o) {
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  while (RunningPostmasterPid(o.data_dir)) {
    if (StopRequested(o.cancel_flag)) return Status::Cancelled("stop requested while waiting for the server to stop");
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("the server of " + o.data_dir + " is still running " +
                                 std::to_string(o.timeout.count()) + "s after the stop");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Ok();
}

}  // namespace

std::optional<int> RunningPostmasterPid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return std::nullopt;
  // Orphans may stay zombies where nobody reaps them (containers): a zombie is not a server.
  std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close != std::string::npos && close + 2 < stat.size()) {
    char state = stat[close + 2];
    if (state == 'Z' || state == 'X') return std::nullopt;
  }
  return static_cast<int>(pid);
}

Status StopServer(const ServerControlOptions& o) {
  if (o.data_dir.empty()) return Status::InvalidArgument("StopServer: data_dir is empty");
  if (!RunningPostmasterPid(o.data_dir)) return Status::Ok();
  if (!o.command.empty()) {
    log::Info("stopping the server with the configured stop_command", {{"data_dir", o.data_dir}});
    TPD_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(CommandOptions(o, "stop_command")));
    (void)r;
    return WaitStopped(o);
  }
  ProcessOptions po = PgCtlOptions(o);
  po.argv = {o.bin_dir + "/pg_ctl", "-D", o.data_dir, "-m", "fast", "-w", "-t", std::to_string(o.timeout.count()),
             "stop"};
  po.tool_name = "pg_ctl stop";
  log::Info("stopping the server", {{"command", FormatCommandLine(po.argv)}});
  auto r = RunProcess(po);
  if (!r.ok()) {
    // pg_ctl reports an error when the server stopped between our check and its own.
    if (!RunningPostmasterPid(o.data_dir)) return Status::Ok();
    return r.status();
  }
  return WaitStopped(o);
}

Status StartServer(const ServerControlOptions& o) {
  if (o.data_dir.empty()) return Status::InvalidArgument("StartServer: data_dir is empty");
  if (RunningPostmasterPid(o.data_dir)) return Status::Ok();
  if (!o.command.empty()) {
    log::Info("starting the server with the configured start_command", {{"data_dir", o.data_dir}});
    TPD_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(CommandOptions(o, "start_command")));
    (void)r;
    return Status::Ok();
  }
  const std::string log_file = o.log_file.empty() ? o.data_dir + "/pg_ctl.log" : o.log_file;
  const std::size_t log_before = ReadAll(log_file).size();
  ProcessOptions po = PgCtlOptions(o);
  po.argv = {o.bin_dir + "/pg_ctl", "-D", o.data_dir, "-l", log_file, "-w", "-t", std::to_string(o.timeout.count()),
             "start"};
  po.tool_name = "pg_ctl start";
  log::Info("starting the server", {{"command", FormatCommandLine(po.argv)}});
  auto r = RunProcess(po);
  if (!r.ok()) {
    std::string log = ReadAll(log_file);
    log = log.size() > log_before ? log.substr(log_before) : log;
    Status s = r.status();
    if (!s.IsInternal()) return s;
    return Status::Internal(s.message() + "; server log (" + log_file + "): " + RedactSecrets(Tail(log, 1500)));
  }
  return Status::Ok();
}

Status WaitAcceptingConnections(const ConnInfo& conn, std::chrono::milliseconds timeout,
                                const std::atomic<bool>* cancel_flag) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ConnectOptions co;
  co.connect_timeout = std::chrono::milliseconds(2000);
  co.cancel_flag = cancel_flag;
  Status last;
  while (true) {
    auto c = Connection::Connect(conn, co);
    if (c.ok()) return Status::Ok();
    last = c.status();
    if (!last.IsUnavailable()) return last;
    if (StopRequested(cancel_flag)) return Status::Cancelled("stop requested while waiting for " + conn.Endpoint());
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("server at " + conn.Endpoint() + " does not accept connections after " +
                                 std::to_string(timeout.count() / 1000) + "s: " + last.message());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace tpd::engines::postgres
