#include "engines/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <regex>

extern char** environ;

namespace tpd::engines {
namespace {

using Clock = std::chrono::steady_clock;

std::string Errno(int err) { return std::strerror(err); }

std::string Basename(std::string_view path) {
  auto pos = path.rfind('/');
  return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

// Resolves a program name without '/' against our PATH, as execvp would, but before fork so the
// child needs no allocation.
std::optional<std::string> ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

// Keeps the last `limit` bytes appended.
class TailBuffer {
 public:
  explicit TailBuffer(std::size_t limit) : limit_(limit) {}
  void Append(std::string_view data) {
    buf_.append(data);
    if (buf_.size() > 2 * limit_ + 4096) Trim();
  }
  std::string Take() {
    Trim();
    return std::move(buf_);
  }

 private:
  void Trim() {
    if (buf_.size() > limit_) buf_.erase(0, buf_.size() - limit_);
  }
  std::size_t limit_;
  std::string buf_;
};

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() { Close(); }
  void CloseRead() {
    if (fds[0] >= 0) ::close(fds[0]);
    fds[0] = -1;
  }
  void CloseWrite() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  void Close() {
    CloseRead();
    CloseWrite();
  }
};

// Everything the child needs, prepared before fork (no allocation after fork).
struct ChildPlan {
  std::string program;
  std::vector<std::string> argv_store;
  std::vector<std::string> env_store;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string working_dir;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Result<ChildPlan> PlanChild(const ProcessOptions& options, const std::string& tool) {
  ChildPlan plan;
  auto program = ResolveProgram(options.argv[0]);
  if (!program) return Status::NotFound(tool + ": program \"" + options.argv[0] + "\" not found in PATH");
  plan.program = *program;
  struct stat st {};
  if (::stat(plan.program.c_str(), &st) != 0) {
    return Status::NotFound(tool + ": program " + plan.program + " does not exist: " + Errno(errno));
  }
  plan.argv_store = options.argv;
  plan.working_dir = options.working_dir;

  std::optional<UserIds> user;
  if (RunningAsRoot()) {
    if (!options.run_as_user.empty()) {
      TPD_ASSIGN_OR_RETURN(user, LookupUser(options.run_as_user));
    } else if (!options.run_as_owner_of.empty()) {
      TPD_ASSIGN_OR_RETURN(user, LookupOwnerOf(options.run_as_owner_of));
    }
  }
  if (user && user->uid != 0) {
    plan.switch_user = true;
    plan.uid = user->uid;
    plan.gid = user->gid;
    if (!user->name.empty()) {
      int n = 32;
      std::vector<gid_t> groups(n);
      if (::getgrouplist(user->name.c_str(), user->gid, groups.data(), &n) < 0) {
        groups.resize(n);
        ::getgrouplist(user->name.c_str(), user->gid, groups.data(), &n);
      }
      groups.resize(std::max(n, 0));
      plan.groups = std::move(groups);
    } else {
      plan.groups = {user->gid};
    }
  }

  // Environment: inherited, minus env_remove, plus run-as identity, plus env.
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& name : options.env_remove) env.erase(name);
  if (plan.switch_user) {
    if (!user->home.empty()) env["HOME"] = user->home;
    if (!user->name.empty()) {
      env["USER"] = user->name;
      env["LOGNAME"] = user->name;
    }
  }
  for (const auto& [name, value] : options.env) env[name] = value;
  for (const auto& [name, value] : env) plan.env_store.push_back(name + "=" + value);

  for (auto& a : plan.argv_store) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : plan.env_store) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  return plan;
}

// Child side: only async-signal-safe calls. Reports a failing step as (step, errno) on err_fd.
[[noreturn]] void ExecChild(const ChildPlan& plan, int out_fd, int err_fd, int report_fd) {
  auto fail = [report_fd](int step) {
    int payload[2] = {step, errno};
    ssize_t ignored = ::write(report_fd, payload, sizeof(payload));
    (void)ignored;
    ::_exit(127);
  };
  ::setsid();
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0) fail(1);
  if (::dup2(devnull, 0) < 0) fail(1);
  if (::dup2(out_fd, 1) < 0) fail(1);
  if (::dup2(err_fd, 2) < 0) fail(1);
  // Nothing else of ours survives exec (report_fd is already O_CLOEXEC).
  ::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
  // Default signal dispositions and an empty mask for the new program.
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (plan.switch_user) {
    if (::setgroups(plan.groups.size(), plan.groups.data()) != 0) fail(2);
    if (::setgid(plan.gid) != 0) fail(2);
    if (::setuid(plan.uid) != 0) fail(2);
  }
  if (!plan.working_dir.empty() && ::chdir(plan.working_dir.c_str()) != 0) fail(3);
  ::execve(plan.program.c_str(), plan.argv.data(), plan.envp.data());
  fail(4);
  ::_exit(127);  // not reached: fail() exits
}

bool ShouldCancel(const ProcessOptions& options) {
  if (options.cancel_flag && options.cancel_flag->load()) return true;
  if (options.cancelled && options.cancelled()) return true;
  return false;
}

void KillGroup(pid_t pid, int sig) {
  // The child called setsid(), so its pid is its process group id. If setsid has not run yet the
  // group does not exist; fall back to the pid itself.
  if (::kill(-pid, sig) != 0) ::kill(pid, sig);
}

Result<ProcessResult> Run(const ProcessOptions& options,
                          const std::function<Status(std::string_view)>* on_stdout) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return Status::InvalidArgument("cannot run a process: empty command");
  }
  const std::string tool = options.tool_name.empty() ? Basename(options.argv[0]) : options.tool_name;
  TPD_ASSIGN_OR_RETURN(ChildPlan plan, PlanChild(options, tool));

  Pipe out, err, report;
  if (::pipe2(out.fds, O_CLOEXEC) != 0 || ::pipe2(err.fds, O_CLOEXEC) != 0 ||
      ::pipe2(report.fds, O_CLOEXEC) != 0) {
    return Status::Internal(tool + ": cannot create pipes: " + Errno(errno));
  }

  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) return Status::Internal(tool + ": fork failed: " + Errno(errno));
  if (pid == 0) ExecChild(plan, out.fds[1], err.fds[1], report.fds[1]);

  out.CloseWrite();
  err.CloseWrite();
  report.CloseWrite();

  // Did exec succeed? The report pipe closes on exec (EOF) or carries (step, errno).
  int payload[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(report.fds[0], payload, sizeof(payload));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(payload))) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const int step = payload[0];
    const int e = payload[1];
    switch (step) {
      case 2:
        return Status::FailedPrecondition(tool + ": cannot switch to the requested user: " + Errno(e));
      case 3:
        return Status::FailedPrecondition(tool + ": cannot enter working directory " + plan.working_dir +
                                          ": " + Errno(e));
      case 4:
        if (e == ENOENT) return Status::NotFound(tool + ": cannot execute " + plan.program + ": " + Errno(e));
        return Status::FailedPrecondition(tool + ": cannot execute " + plan.program + ": " + Errno(e));
      default:
        return Status::Internal(tool + ": cannot set up the child process: " + Errno(e));
    }
  }

  ProcessResult result;
  TailBuffer tail(options.stderr_tail_bytes);
  Status stop_reason;  // set when we kill the child on purpose
  bool killed = false;
  std::optional<Clock::time_point> kill_deadline;
  bool reaped = false;
  int wait_status = 0;
  std::optional<Clock::time_point> drain_deadline;
  std::vector<char> buf(64 * 1024);

  auto request_kill = [&](Status why) {
    if (killed) return;
    killed = true;
    stop_reason = std::move(why);
    KillGroup(pid, SIGTERM);
    kill_deadline = Clock::now() + options.kill_grace;
  };

  while (out.fds[0] >= 0 || err.fds[0] >= 0 || !reaped) {
    // Reap without blocking.
    if (!reaped) {
      pid_t w = ::waitpid(pid, &wait_status, WNOHANG);
      if (w == pid) {
        reaped = true;
        // Descendants may keep our pipes open (e.g. a daemon started by the tool). Read what is
        // already there, then stop waiting for EOF.
        drain_deadline = Clock::now() + std::chrono::milliseconds(200);
      }
    }
    if (reaped && drain_deadline && Clock::now() > *drain_deadline) break;

    if (!killed) {
      if (ShouldCancel(options)) {
        request_kill(Status::Cancelled(tool + " was cancelled"));
      } else if (options.timeout.count() > 0 && Clock::now() - start > options.timeout) {
        request_kill(Status::Cancelled(
            tool + " timed out after " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout).count()) +
            " ms"));
      }
    } else if (!reaped && kill_deadline && Clock::now() > *kill_deadline) {
      KillGroup(pid, SIGKILL);
      kill_deadline.reset();
    }

    pollfd fds[2];
    int nfds = 0;
    int out_index = -1, err_index = -1;
    if (out.fds[0] >= 0) {
      out_index = nfds;
      fds[nfds++] = {out.fds[0], POLLIN, 0};
    }
    if (err.fds[0] >= 0) {
      err_index = nfds;
      fds[nfds++] = {err.fds[0], POLLIN, 0};
    }
    int wait_ms = static_cast<int>(options.poll_interval.count());
    if (nfds == 0) {
      // Only waiting for the exit now.
      ::usleep(static_cast<useconds_t>(std::min(wait_ms, 20)) * 1000);
      continue;
    }
    int ready = ::poll(fds, nfds, reaped ? 20 : wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      request_kill(Status::Internal(tool + ": poll failed: " + Errno(errno)));
      continue;
    }
    if (ready == 0) {
      if (reaped) break;  // nothing more arrived after the exit
      continue;
    }
    auto drain = [&](Pipe& p, int index, bool is_stdout) {
      if (index < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t got = ::read(p.fds[0], buf.data(), buf.size());
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        p.CloseRead();
        return;
      }
      if (got == 0) {
        p.CloseRead();
        return;
      }
      std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
      if (!is_stdout) {
        tail.Append(chunk);
        return;
      }
      if (killed) return;  // discard output after we decided to stop
      if (on_stdout) {
        Status s = (*on_stdout)(chunk);
        if (!s.ok()) request_kill(std::move(s));
      } else {
        if (result.stdout_data.size() + chunk.size() > options.max_stdout_bytes) {
          request_kill(Status::Internal(tool + " wrote more than " + std::to_string(options.max_stdout_bytes) +
                                        " bytes to stdout"));
          return;
        }
        result.stdout_data.append(chunk);
      }
    };
    drain(out, out_index, true);
    drain(err, err_index, false);
  }

  if (!reaped) {
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    result.term_signal = WTERMSIG(wait_status);
  }
  result.stderr_tail = tail.Take();

  if (killed) return stop_reason;
  if (options.check_exit && !result.success()) {
    std::string msg = tool;
    if (result.term_signal != 0) {
      msg += " was killed by signal " + std::to_string(result.term_signal);
    } else {
      msg += " exited with code " + std::to_string(result.exit_code);
    }
    std::string stderr_text = RedactSecrets(result.stderr_tail);
    while (!stderr_text.empty() && (stderr_text.back() == '\n' || stderr_text.back() == ' ')) stderr_text.pop_back();
    if (!stderr_text.empty()) msg += ": " + stderr_text;
    return Status::Internal(std::move(msg));
  }
  return result;
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) { return Run(options, nullptr); }

Result<ProcessResult> RunProcessStreaming(const ProcessOptions& options,
                                          const std::function<Status(std::string_view)>& on_stdout) {
  return Run(options, &on_stdout);
}

std::string RedactSecrets(std::string_view text) {
  // std::regex may throw (e.g. on pathological input sizes); fall back to a blunt answer rather than
  // risk leaking anything.
  try {
    static const std::regex kUrlPassword(R"(([A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*):[^@\s/]*@)");
    static const std::regex kKeyValue(
        R"(((?:pass(?:word)?|pgpassword|passwd|secret)\s*[=:]\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&,;'"]+))",
        std::regex::icase);
    std::string out = std::regex_replace(std::string(text), kUrlPassword, "$1:****@");
    out = std::regex_replace(out, kKeyValue, "$1****");
    return out;
  } catch (...) {
    return "<output withheld: could not redact>";
  }
}

std::string FormatCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    bool quote = arg.empty() || arg.find_first_of(" \t\n'\"") != std::string::npos;
    if (quote) {
      line += '\'';
      for (char c : arg) {
        if (c == '\'') {
          line += "'\\''";
        } else {
          line += c;
        }
      }
      line += '\'';
    } else {
      line += arg;
    }
  }
  return RedactSecrets(line);
}

namespace {
UserIds FromPasswd(const passwd& pw) {
  UserIds ids;
  ids.uid = pw.pw_uid;
  ids.gid = pw.pw_gid;
  ids.name = pw.pw_name ? pw.pw_name : "";
  ids.home = pw.pw_dir ? pw.pw_dir : "";
  return ids;
}
}  // namespace

Result<UserIds> LookupUser(std::string_view name) {
  std::string n(name);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = ::getpwnam_r(n.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) return Status::NotFound("user \"" + n + "\" does not exist on this host");
  return FromPasswd(pw);
}

Result<UserIds> LookupOwnerOf(std::string_view path) {
  std::string p(path);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    return Status::NotFound("cannot find the owner of " + p + ": " + Errno(errno));
  }
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(st.st_uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return FromPasswd(pw);
  }
  UserIds ids;
  ids.uid = st.st_uid;
  ids.gid = st.st_gid;
  return ids;
}

bool RunningAsRoot() { return ::geteuid() == 0; }

}  // namespace tpd::engines
