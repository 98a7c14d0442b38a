#include "engines/pipeline.h"

// Over 500 lines on purpose: the lock, the journal and the runner share private types
// (Pipeline::Lock, Pipeline::Journal, StepContext::Binding); splitting them would put those
// internals in headers.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "provider/log.h"

namespace tpd::engines {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TimeString(int64_t us) {
  std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1000000));
  return buf;
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string HumanBytes(int64_t b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[u]);
  return buf;
}

// Status has no public (code, message) constructor; this keeps a code while rewriting the text.
Status MakeStatus(Status::Code code, std::string msg) {
  switch (code) {
    case Status::Code::kOk: return Status::Internal(std::move(msg));
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(std::move(msg));
    case Status::Code::kNotFound: return Status::NotFound(std::move(msg));
    case Status::Code::kFailedPrecondition: return Status::FailedPrecondition(std::move(msg));
    case Status::Code::kUnavailable: return Status::Unavailable(std::move(msg));
    case Status::Code::kCancelled: return Status::Cancelled(std::move(msg));
    case Status::Code::kInternal: return Status::Internal(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

Status Invoke(const std::function<Status(StepContext&)>& fn, StepContext& ctx) {
  try {
    return fn(ctx);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return Status::Internal("unexpected exception");
  }
}

// Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat, and the state letter. The
// start time tells a recycled pid from the process that wrote the lock (pgcopydb issue #692).
std::optional<uint64_t> ProcStartTicks(pid_t pid, char* state) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');  // the command name may contain spaces and ')'
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  std::string tok;
  for (int field = 3; fields >> tok; ++field) {
    if (field == 3 && state != nullptr) *state = tok.empty() ? '?' : tok[0];
    if (field == 22) {
      try {
        return std::stoull(tok);
      } catch (...) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

bool ProcessAlive(pid_t pid, std::optional<uint64_t> start_ticks) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  char state = 0;
  std::optional<uint64_t> ticks = ProcStartTicks(pid, &state);
  if (state == 'Z' || state == 'X') return false;  // exited, not yet reaped
  if (start_ticks && ticks && *start_ticks != *ticks) return false;  // pid reused
  return true;
}

struct LockOwner {
  pid_t pid = 0;
  std::optional<uint64_t> start_ticks;
};

LockOwner ParseLockContent(const std::string& text) {
  LockOwner o;
  std::istringstream in(text);
  long long pid = 0;
  unsigned long long ticks = 0;
  if (in >> pid) o.pid = static_cast<pid_t>(pid);
  if (in >> ticks) o.start_ticks = ticks;
  return o;
}

std::string ReadFd(int fd) {
  std::string out;
  char buf[256];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

Status WriteAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal("cannot write " + path.string() + ": " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Steps whose last journal event means their run may have changed something.
bool MayHaveEffect(const std::string& state) {
  return state == "done" || state == "failed" || state == "started" || state == "undo_failed";
}

Status WriteSummaryFile(const fs::path& path, const RunSummary& s) {
  json j;
  j["run_id"] = s.run_id;
  j["completed"] = s.completed;
  j["total_s"] = s.total_seconds;
  j["elapsed_s"] = s.elapsed_seconds;
  j["downtime_s"] = s.downtime_seconds ? json(*s.downtime_seconds) : json(nullptr);
  j["steps"] = json::array();
  for (const StepSummary& st : s.steps) {
    j["steps"].push_back({{"step", st.name},
                          {"state", st.state},
                          {"duration_s", st.duration_seconds},
                          {"rows", st.rows},
                          {"bytes", st.bytes},
                          {"skipped", st.skipped}});
  }
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    if (!out) return Status::Internal("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Internal("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Lock: flock(2) on <run_dir>/lock.pid decides, the pid inside names the holder.
//
// flock is released by the kernel when its holder dies, so a crashed run never blocks the next
// one, and two Pipelines in the same process conflict too (locks belong to open file
// descriptions). A file naming a live pid that holds no flock (another host on shared storage,
// or a hand-made lock) is still honoured, as the pid file contract promises.
struct Pipeline::Lock {
  int fd = -1;
  fs::path path;

  ~Lock() {
    if (fd < 0) return;
    // Unlink before close: anyone who opened the old inode re-checks it after flock (below).
    ::unlink(path.c_str());
    ::close(fd);
  }

  static Status Locked(const std::string& run_id, const fs::path& path, pid_t pid) {
    std::string who = pid > 0 ? "pid " + std::to_string(pid) : "another process";
    return Status::FailedPrecondition("run " + run_id + " is locked by " + who + " (" +
                                      path.string() +
                                      "): another apply of this resource is in progress; wait for "
                                      "it to finish or stop that process, then apply again");
  }

  static Result<std::unique_ptr<Lock>> Acquire(const fs::path& path, const std::string& run_id) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        return Status::Internal("cannot open lock file " + path.string() + ": " + ErrnoText(errno));
      }
      if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        LockOwner owner = ParseLockContent(ReadFd(fd));
        ::close(fd);
        if (e == EWOULDBLOCK) return Locked(run_id, path, owner.pid);
        return Status::Internal("cannot lock " + path.string() + ": " + ErrnoText(e));
      }
      struct stat held {}, named {};
      if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
          held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
        ::close(fd);  // the holder removed this file while we waited: lock the new one
        continue;
      }
      LockOwner owner = ParseLockContent(ReadFd(fd));
      if (owner.pid > 0) {
        if (owner.pid != ::getpid() && ProcessAlive(owner.pid, owner.start_ticks)) {
          ::close(fd);
          return Locked(run_id, path, owner.pid);
        }
        log::Warn("clearing stale lock of run " + run_id + ": pid " + std::to_string(owner.pid) +
                      " is no longer running",
                  {{"run_id", run_id}, {"lock_file", path.string()}, {"stale_pid", owner.pid}});
      }
      auto lock = std::make_unique<Lock>();
      lock->fd = fd;
      lock->path = path;
      std::string content = std::to_string(::getpid());
      if (auto ticks = ProcStartTicks(::getpid(), nullptr)) content += " " + std::to_string(*ticks);
      content += "\n";
      if (::ftruncate(fd, 0) != 0) {
        return Status::Internal("cannot truncate " + path.string() + ": " + ErrnoText(errno));
      }
      if (::pwrite(fd, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size()) ||
          ::fsync(fd) != 0) {
        return Status::Internal("cannot write lock file " + path.string() + ": " + ErrnoText(errno));
      }
      return lock;
    }
    return Status::Internal("cannot lock " + path.string() + ": the lock file kept being replaced");
  }
};

// ---------------------------------------------------------------------------------------------
// Journal: the records of journal.jsonl in memory plus an fsync'd append-only writer.
struct Pipeline::Journal {
  fs::path path;
  int fd = -1;
  mutable std::mutex mu;
  std::vector<json> records;  // guarded by mu

  Journal() = default;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal() { Close(); }

  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  // Reads `p` (missing = empty). Unparseable lines are skipped: a crash can cut the last one.
  Status Load(const fs::path& p) {
    path = p;
    records.clear();
    std::ifstream in(p);
    if (!in) {
      std::error_code ec;
      if (fs::exists(p, ec)) return Status::Internal("cannot read journal " + p.string());
      return Status::Ok();
    }
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      json rec = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (rec.is_discarded() || !rec.is_object() || !rec.contains("event") ||
          !rec["event"].is_string()) {
        log::Warn("skipping unreadable journal line " + std::to_string(line_no),
                  {{"journal", p.string()}});
        continue;
      }
      records.push_back(std::move(rec));
    }
    return Status::Ok();
  }

  Status OpenForAppend() {
    std::error_code ec;
    bool existed = fs::exists(path, ec);
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::Internal("cannot open journal " + path.string() + ": " + ErrnoText(errno));
    if (!existed) SyncDir(path.parent_path());
    // A line cut off by a crash has no newline: terminate it so the next record stays readable.
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      char last = '\n';
      if (rfd >= 0) {
        if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
        ::close(rfd);
      }
      if (last != '\n') TPD_RETURN_IF_ERROR(WriteAll(fd, "\n", path));
    }
    return Status::Ok();
  }

  // Adds "time"/"ts_us" and writes the record durably. Thread-safe.
  Status Append(json rec) {
    int64_t us = NowUs();
    json full;
    full["event"] = rec["event"];
    full["time"] = TimeString(us);
    full["ts_us"] = us;
    for (auto it = rec.begin(); it != rec.end(); ++it) {
      if (it.key() != "event") full[it.key()] = it.value();
    }
    std::string line = full.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::lock_guard<std::mutex> l(mu);
    if (fd < 0) return Status::Internal("journal " + path.string() + " is not open");
    TPD_RETURN_IF_ERROR(WriteAll(fd, line, path));
    if (::fdatasync(fd) != 0) {
      return Status::Internal("cannot sync journal " + path.string() + ": " + ErrnoText(errno));
    }
    records.push_back(std::move(full));
    return Status::Ok();
  }

  static bool IsStepEvent(const std::string& e) {
    return e == "started" || e == "done" || e == "failed" || e == "undone" || e == "undo_failed";
  }

  // Last step event of `step`, "" when none.
  std::string State(const std::string& step) const {
    std::lock_guard<std::mutex> l(mu);
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      const std::string e = it->value("event", "");
      if (IsStepEvent(e) && it->value("step", "") == step) return e;
    }
    return "";
  }

  std::optional<json> LastOf(const std::string& step, const std::string& event) const {
    std::lock_guard<std::mutex> l(mu);
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      if (it->value("event", "") == event && it->value("step", "") == step) return *it;
    }
    return std::nullopt;
  }

  std::string LastEvent() const {
    std::lock_guard<std::mutex> l(mu);
    return records.empty() ? "" : records.back().value("event", "");
  }

  std::map<std::string, std::string> Scratch() const {
    std::lock_guard<std::mutex> l(mu);
    std::map<std::string, std::string> out;
    for (const json& r : records) {
      if (r.value("event", "") != "scratch") continue;
      if (r.contains("key") && r["key"].is_string() && r.contains("value") && r["value"].is_string()) {
        out[r["key"].get<std::string>()] = r["value"].get<std::string>();
      }
    }
    return out;
  }

  std::optional<std::vector<std::string>> LastRunSteps() const {
    std::lock_guard<std::mutex> l(mu);
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
      if (it->value("event", "") != "run" || !it->contains("steps")) continue;
      std::vector<std::string> names;
      for (const json& n : (*it)["steps"]) {
        if (n.is_string()) names.push_back(n.get<std::string>());
      }
      return names;
    }
    return std::nullopt;
  }

  // Names of steps whose last event may have left an effect behind.
  std::vector<std::string> StepsWithEffects() const {
    std::set<std::string> seen;
    std::vector<std::string> out;
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> l(mu);
      for (const json& r : records) {
        std::string s = r.value("step", "");
        if (!s.empty() && IsStepEvent(r.value("event", "")) && seen.insert(s).second) names.push_back(s);
      }
    }
    for (const std::string& n : names) {
      if (MayHaveEffect(State(n))) out.push_back(n);
    }
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// StepContext

struct StepContext::Binding {
  const RunPaths* paths = nullptr;
  const std::atomic<bool>* stop = nullptr;
  std::function<Status(const std::string& step, const std::string& key, const std::string& value)>
      persist;
  std::chrono::milliseconds interval{5000};
  // The step being run or undone.
  std::string step;
  int index = 0;
  int of = 0;
  bool in_step = false;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t total_bytes = 0;
  SteadyClock::time_point last_log{};
};

StepContext::StepContext() = default;
StepContext::~StepContext() = default;

bool StepContext::stop_requested() const {
  if (in_undo_.load()) return false;
  std::lock_guard<std::mutex> l(mu_);
  return binding_ != nullptr && binding_->stop != nullptr && binding_->stop->load();
}

Status StepContext::CheckStop() const {
  if (!stop_requested()) return Status::Ok();
  return Status::Cancelled("stop requested during step " + step_name());
}

std::string StepContext::step_name() const {
  std::lock_guard<std::mutex> l(mu_);
  return binding_ != nullptr ? binding_->step : std::string();
}

const RunPaths& StepContext::paths() const {
  static const RunPaths kEmpty;
  std::lock_guard<std::mutex> l(mu_);
  return binding_ != nullptr ? *binding_->paths : kEmpty;
}

void StepContext::ReportProgress(int64_t rows_delta, int64_t bytes_delta, int64_t total_bytes,
                                 std::string_view detail) {
  std::lock_guard<std::mutex> l(mu_);
  if (binding_ == nullptr || !binding_->in_step) return;
  Binding& b = *binding_;
  b.rows += rows_delta;
  b.bytes += bytes_delta;
  if (total_bytes > 0) b.total_bytes = total_bytes;
  auto now = SteadyClock::now();
  if (now - b.last_log < b.interval) return;
  b.last_log = now;
  std::string msg = "step " + std::to_string(b.index) + "/" + std::to_string(b.of) + " " + b.step +
                    ": " + HumanBytes(b.bytes);
  if (b.total_bytes > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", 100.0 * static_cast<double>(b.bytes) /
                                                 static_cast<double>(b.total_bytes));
    msg += " of " + HumanBytes(b.total_bytes) + " (" + pct + ")";
  }
  msg += ", " + std::to_string(b.rows) + " rows";
  if (!detail.empty()) msg += ", " + std::string(detail);
  log::Info(msg, {{"step", b.step},
                  {"rows", b.rows},
                  {"bytes", b.bytes},
                  {"total_bytes", b.total_bytes}});
}

int64_t StepContext::rows() const {
  std::lock_guard<std::mutex> l(mu_);
  return binding_ != nullptr ? binding_->rows : 0;
}

int64_t StepContext::bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return binding_ != nullptr ? binding_->bytes : 0;
}

Status StepContext::Set(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> l(mu_);
  if (binding_ == nullptr) return Status::FailedPrecondition("StepContext::Set called outside a run");
  TPD_RETURN_IF_ERROR(binding_->persist(binding_->step, key, value));
  scratch_[key] = value;
  return Status::Ok();
}

std::optional<std::string> StepContext::Get(const std::string& key) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = scratch_.find(key);
  if (it == scratch_.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// Pipeline

namespace {

// Runs a callable when the scope ends (unbinding a StepContext on every return path).
template <typename F>
class OnExit {
 public:
  explicit OnExit(F f) : f_(std::move(f)) {}
  ~OnExit() { f_(); }
  OnExit(const OnExit&) = delete;
  OnExit& operator=(const OnExit&) = delete;

 private:
  F f_;
};

}  // namespace

Pipeline::Pipeline(PipelineOptions options)
    : options_(std::move(options)), paths_(RunPaths::For(options_.work_dir, options_.run_id)) {}

Pipeline::~Pipeline() = default;

Status Pipeline::CheckSteps(const std::vector<Step>& steps) const {
  if (options_.work_dir.empty()) return Status::InvalidArgument("pipeline work_dir is empty");
  if (options_.run_id.empty() || options_.run_id.find('/') != std::string::npos ||
      options_.run_id == "." || options_.run_id == "..") {
    return Status::InvalidArgument("pipeline run_id must be one non-empty path component");
  }
  if (steps.empty()) return Status::InvalidArgument("pipeline has no steps");
  std::set<std::string> names;
  for (const Step& s : steps) {
    if (s.name.empty()) return Status::InvalidArgument("pipeline step with an empty name");
    if (!names.insert(s.name).second) {
      return Status::InvalidArgument("pipeline step name " + s.name + " is used twice");
    }
    if (!s.run) return Status::InvalidArgument("pipeline step " + s.name + " has no run function");
  }
  return Status::Ok();
}

std::string Pipeline::UndoFrom(const std::vector<Step>& steps, size_t from, Journal& journal,
                               StepContext& ctx) {
  std::string errors;
  const int of = static_cast<int>(steps.size());
  ctx.in_undo_.store(true);
  for (size_t k = from + 1; k-- > 0;) {
    const Step& st = steps[k];
    if (!st.undo || !MayHaveEffect(journal.State(st.name))) continue;
    const std::string label = "step " + std::to_string(k + 1) + "/" + std::to_string(of) + " " + st.name;
    log::Info("undoing " + label, {{"run_id", options_.run_id}, {"step", st.name}});
    {
      std::lock_guard<std::mutex> l(ctx.mu_);
      ctx.binding_->step = st.name;
      ctx.binding_->index = static_cast<int>(k + 1);
      ctx.binding_->in_step = false;
    }
    auto start = SteadyClock::now();
    Status s = Invoke(st.undo, ctx);
    double dur = SecondsSince(start);
    Status a;
    if (s.ok()) {
      a = journal.Append({{"event", "undone"}, {"step", st.name}, {"duration_s", dur}});
      log::Info("undid " + label + " in " + Seconds(dur), {{"run_id", options_.run_id}, {"step", st.name}});
    } else {
      a = journal.Append({{"event", "undo_failed"},
                          {"step", st.name},
                          {"duration_s", dur},
                          {"code", std::string(Status::CodeName(s.code()))},
                          {"message", s.message()}});
      log::Error("undo of " + label + " failed: " + s.message(),
                 {{"run_id", options_.run_id}, {"step", st.name}});
      errors += "; undo of " + st.name + " failed: " + s.message();
    }
    if (!a.ok()) {
      log::Error("cannot record undo of " + label + ": " + a.message(), {{"run_id", options_.run_id}});
      errors += "; " + a.message();
    }
  }
  ctx.in_undo_.store(false);
  return errors;
}

RunSummary Pipeline::Summarize(const std::vector<Step>& steps, const Journal& journal,
                               const std::vector<bool>& skipped, double elapsed) const {
  RunSummary sum;
  sum.run_id = options_.run_id;
  sum.elapsed_seconds = elapsed;
  sum.completed = true;
  for (size_t i = 0; i < steps.size(); ++i) {
    StepSummary ss;
    ss.name = steps[i].name;
    ss.state = journal.State(ss.name);
    ss.skipped = i < skipped.size() && skipped[i];
    std::optional<json> rec =
        journal.LastOf(ss.name, ss.state == "done" ? "done" : "failed");
    if (rec && (ss.state == "done" || ss.state == "failed")) {
      ss.duration_seconds = rec->value("duration_s", 0.0);
      ss.rows = rec->value("rows", int64_t{0});
      ss.bytes = rec->value("bytes", int64_t{0});
    }
    if (ss.state == "done") {
      sum.total_seconds += ss.duration_seconds;
    } else {
      sum.completed = false;
    }
    sum.steps.push_back(std::move(ss));
  }
  // Downtime window: see the header.
  auto find = [&](std::string_view name, size_t from) -> std::optional<size_t> {
    for (size_t i = from; i < steps.size(); ++i) {
      if (steps[i].name == name) return i;
    }
    return std::nullopt;
  };
  std::optional<size_t> begin = find(kFreezeWrites, 0);
  if (!begin) begin = find(kStopOld, 0);
  if (!begin) return sum;
  std::optional<size_t> end;
  for (size_t i = *begin + 1; i < steps.size() && !end; ++i) {
    const std::string& n = steps[i].name;
    if (n == kSwitch || n == kUnfreeze || n == kStartNew) end = i;
  }
  if (!end) end = steps.size() - 1;
  if (journal.State(steps[*begin].name) != "done" || journal.State(steps[*end].name) != "done") {
    return sum;
  }
  std::optional<json> b = journal.LastOf(steps[*begin].name, "done");
  std::optional<json> e = journal.LastOf(steps[*end].name, "done");
  if (!b || !e) return sum;
  double start_us = static_cast<double>(b->value("ts_us", int64_t{0})) - b->value("duration_s", 0.0) * 1e6;
  double end_us = static_cast<double>(e->value("ts_us", int64_t{0}));
  sum.downtime_seconds = std::max(0.0, (end_us - start_us) / 1e6);
  return sum;
}

Result<RunSummary> Pipeline::Run(std::vector<Step> steps, StepContext& ctx) {
  const auto t0 = SteadyClock::now();
  TPD_RETURN_IF_ERROR(CheckSteps(steps));
  const int of = static_cast<int>(steps.size());
  const log::Fields run_field = {{"run_id", options_.run_id}};

  std::error_code ec;
  fs::create_directories(paths_.run_dir, ec);
  if (ec) return Status::Internal("cannot create run directory " + paths_.run_dir.string() + ": " + ec.message());
  TPD_ASSIGN_OR_RETURN(std::unique_ptr<Lock> lock, Lock::Acquire(paths_.lock_file, options_.run_id));

  Journal journal;
  TPD_RETURN_IF_ERROR(journal.Load(paths_.journal));
  if (journal.LastEvent() == "completed") {
    // A finished run: nothing to resume. Keep it for diagnosis and start afresh.
    fs::rename(paths_.journal, paths_.previous_journal, ec);
    if (ec) return Status::Internal("cannot move finished journal aside: " + ec.message());
    log::Info("previous run " + options_.run_id + " completed; starting a new run", run_field);
    TPD_RETURN_IF_ERROR(journal.Load(paths_.journal));
  }
  std::vector<std::string> names;
  for (const Step& s : steps) names.push_back(s.name);
  if (std::optional<std::vector<std::string>> prev = journal.LastRunSteps(); prev && *prev != names) {
    // Another method wrote this journal. Safe to start afresh only when its last Run ended with a
    // complete undo (or left nothing to undo); otherwise its leftovers would be orphaned.
    std::vector<std::string> pending = journal.StepsWithEffects();
    std::optional<json> last;
    {
      std::lock_guard<std::mutex> l(journal.mu);
      if (!journal.records.empty()) last = journal.records.back();
    }
    bool clean = pending.empty() ||
                 (last && last->value("event", "") == "aborted" && last->value("undo_ok", false));
    if (clean) {
      fs::rename(paths_.journal, paths_.previous_journal, ec);
      if (ec) return Status::Internal("cannot move previous journal aside: " + ec.message());
      log::Info("run " + options_.run_id + " was last run with other steps; starting a new run", run_field);
      TPD_RETURN_IF_ERROR(journal.Load(paths_.journal));
    } else {
      std::string list;
      for (const std::string& n : pending) list += (list.empty() ? "" : ", ") + n;
      return Status::FailedPrecondition(
          "run " + options_.run_id + " has an unfinished journal written by a different list of steps (" +
          list + " may need undoing): roll it back with the previous method or reset it (" +
          paths_.journal.string() + ")");
    }
  }
  if (!journal.records.empty()) {
    log::Info("resuming run " + options_.run_id + " from its journal", run_field);
  }
  TPD_RETURN_IF_ERROR(journal.OpenForAppend());
  TPD_RETURN_IF_ERROR(journal.Append({{"event", "run"}, {"pid", ::getpid()}, {"steps", names}}));

  StepContext::Binding binding;
  binding.paths = &paths_;
  binding.stop = options_.stop;
  binding.interval = options_.progress_interval;
  binding.of = of;
  binding.persist = [&journal](const std::string& step, const std::string& key, const std::string& value) {
    return journal.Append({{"event", "scratch"}, {"step", step}, {"key", key}, {"value", value}});
  };
  {
    std::lock_guard<std::mutex> l(ctx.mu_);
    ctx.scratch_ = journal.Scratch();
  }
  {
    std::lock_guard<std::mutex> l(ctx.mu_);
    ctx.binding_ = &binding;
  }
  OnExit unbind([&ctx] {
    std::lock_guard<std::mutex> l(ctx.mu_);
    ctx.binding_ = nullptr;
  });

  std::vector<bool> skipped(steps.size(), false);
  std::optional<std::string> committed;  // name of a done commits step
  Status failure;
  std::optional<size_t> failed_at;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& st = steps[i];
    const std::string label = "step " + std::to_string(i + 1) + "/" + std::to_string(of) + " " + st.name;
    const log::Fields fields = {{"run_id", options_.run_id}, {"step", st.name}};
    const std::string state = journal.State(st.name);
    if (state == "done" && st.resumable) {
      skipped[i] = true;
      if (st.commits) committed = st.name;
      log::Info(label + " already done (skipped)", fields);
      continue;
    }
    if (options_.stop != nullptr && options_.stop->load()) {
      failure = Status::Cancelled("run cancelled before step " + st.name);
      failed_at = i;
      break;
    }
    if (state == "started") log::Warn(label + " was interrupted in an earlier run; running it again", fields);
    if (Status a = journal.Append({{"event", "started"}, {"step", st.name}, {"index", i + 1}, {"of", of}});
        !a.ok()) {
      failure = a.WithContext("step " + st.name + " failed");
      failed_at = i;
      break;
    }
    log::Info(label + " started", fields);
    {
      std::lock_guard<std::mutex> l(ctx.mu_);
      binding.step = st.name;
      binding.index = static_cast<int>(i + 1);
      binding.rows = binding.bytes = binding.total_bytes = 0;
      binding.last_log = SteadyClock::now();
      binding.in_step = true;
    }
    const auto start = SteadyClock::now();
    Status s = Invoke(st.run, ctx);
    const double dur = SecondsSince(start);
    int64_t rows = 0, bytes = 0;
    {
      std::lock_guard<std::mutex> l(ctx.mu_);
      binding.in_step = false;
      rows = binding.rows;
      bytes = binding.bytes;
    }
    if (!s.ok()) {
      Status a = journal.Append({{"event", "failed"},
                                 {"step", st.name},
                                 {"duration_s", dur},
                                 {"rows", rows},
                                 {"bytes", bytes},
                                 {"code", std::string(Status::CodeName(s.code()))},
                                 {"message", s.message()}});
      if (!a.ok()) log::Error("cannot record failure of " + label + ": " + a.message(), fields);
      log::Error(label + (s.IsCancelled() ? " cancelled" : " failed") + " after " + Seconds(dur) + ": " +
                     s.message(),
                 fields);
      failure = s.WithContext("step " + st.name + (s.IsCancelled() ? " cancelled" : " failed"));
      failed_at = i;
      break;
    }
    if (Status a = journal.Append({{"event", "done"},
                                   {"step", st.name},
                                   {"duration_s", dur},
                                   {"rows", rows},
                                   {"bytes", bytes}});
        !a.ok()) {
      failure = a.WithContext("step " + st.name + " failed");
      failed_at = i;
      break;
    }
    log::Info(label + " finished in " + Seconds(dur),
              {{"run_id", options_.run_id}, {"step", st.name}, {"duration_s", dur}, {"rows", rows},
               {"bytes", bytes}});
    if (st.commits) committed = st.name;
  }

  if (!failed_at) {
    RunSummary sum = Summarize(steps, journal, skipped, SecondsSince(t0));
    TPD_RETURN_IF_ERROR(journal.Append(
        {{"event", "completed"},
         {"total_s", sum.total_seconds},
         {"downtime_s", sum.downtime_seconds ? json(*sum.downtime_seconds) : json(nullptr)}}));
    TPD_RETURN_IF_ERROR(WriteSummaryFile(paths_.summary, sum));
    log::Info("run " + options_.run_id + " completed in " + Seconds(sum.elapsed_seconds),
              {{"run_id", options_.run_id}, {"total_s", sum.total_seconds}});
    return sum;
  }

  std::string suffix;
  if (committed) {
    suffix = " (nothing was undone: step " + *committed +
             " had finished, after which the old server must not take writes again; apply again to "
             "resume from step " + steps[*failed_at].name + ")";
  } else {
    suffix = UndoFrom(steps, steps.size() - 1, journal, ctx);
  }
  Status a = journal.Append({{"event", "aborted"},
                             {"message", failure.message()},
                             {"undo_ok", !committed && suffix.empty()}});
  if (!a.ok()) suffix += "; " + a.message();
  RunSummary sum = Summarize(steps, journal, skipped, SecondsSince(t0));
  if (Status w = WriteSummaryFile(paths_.summary, sum); !w.ok()) {
    log::Warn("cannot write run summary: " + w.message(), run_field);
  }
  return MakeStatus(failure.code(), failure.message() + suffix);
}

Status Pipeline::Rollback(std::vector<Step> steps, StepContext& ctx) {
  TPD_RETURN_IF_ERROR(CheckSteps(steps));
  std::error_code ec;
  if (!fs::exists(paths_.journal, ec)) return Status::Ok();
  TPD_ASSIGN_OR_RETURN(std::unique_ptr<Lock> lock, Lock::Acquire(paths_.lock_file, options_.run_id));
  Journal journal;
  TPD_RETURN_IF_ERROR(journal.Load(paths_.journal));
  TPD_RETURN_IF_ERROR(journal.OpenForAppend());

  StepContext::Binding binding;
  binding.paths = &paths_;
  binding.stop = options_.stop;
  binding.interval = options_.progress_interval;
  binding.of = static_cast<int>(steps.size());
  binding.persist = [&journal](const std::string& step, const std::string& key, const std::string& value) {
    return journal.Append({{"event", "scratch"}, {"step", step}, {"key", key}, {"value", value}});
  };
  {
    std::lock_guard<std::mutex> l(ctx.mu_);
    ctx.scratch_ = journal.Scratch();
  }
  {
    std::lock_guard<std::mutex> l(ctx.mu_);
    ctx.binding_ = &binding;
  }
  OnExit unbind([&ctx] {
    std::lock_guard<std::mutex> l(ctx.mu_);
    ctx.binding_ = nullptr;
  });
  log::Info("rolling back run " + options_.run_id, {{"run_id", options_.run_id}});
  std::string errors = UndoFrom(steps, steps.size() - 1, journal, ctx);
  TPD_RETURN_IF_ERROR(journal.Append(
      {{"event", "aborted"}, {"message", "rolled back"}, {"undo_ok", errors.empty()}}));
  if (!errors.empty()) return Status::Internal("rollback of run " + options_.run_id + " incomplete" + errors);
  return Status::Ok();
}

Status Pipeline::Reset() {
  std::error_code ec;
  if (!fs::exists(paths_.journal, ec)) return Status::Ok();
  TPD_ASSIGN_OR_RETURN(std::unique_ptr<Lock> lock, Lock::Acquire(paths_.lock_file, options_.run_id));
  fs::rename(paths_.journal, paths_.previous_journal, ec);
  if (ec) return Status::Internal("cannot move journal " + paths_.journal.string() + " aside: " + ec.message());
  SyncDir(paths_.run_dir);
  log::Info("reset run " + options_.run_id + ": the next run starts afresh", {{"run_id", options_.run_id}});
  return Status::Ok();
}

Result<PreviousRun> Pipeline::Previous() const {
  Journal journal;
  TPD_RETURN_IF_ERROR(journal.Load(paths_.journal));
  const std::string last = journal.LastEvent();
  if (last.empty()) return PreviousRun::kNone;
  if (last == "completed") return PreviousRun::kCompleted;
  if (last == "aborted") return PreviousRun::kAborted;
  return PreviousRun::kInterrupted;
}

}  // namespace tpd::engines
