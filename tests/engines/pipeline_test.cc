#include "engines/pipeline.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engines/run_paths.h"
#include "provider/log.h"

namespace fs = std::filesystem;
using tpd::Status;
using tpd::engines::Pipeline;
using tpd::engines::PipelineOptions;
using tpd::engines::PreviousRun;
using tpd::engines::RunPaths;
using tpd::engines::Step;
using tpd::engines::StepContext;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tpd-pipeline-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Captures log lines for the lifetime of the object.
class LogCapture {
 public:
  LogCapture() {
    tpd::log::SetSinkForTest([this](const std::string& line) {
      std::lock_guard<std::mutex> l(mu_);
      lines_.push_back(line);
    });
  }
  ~LogCapture() { tpd::log::SetSinkForTest(nullptr); }
  // Messages of captured lines containing `needle`.
  std::vector<std::string> Matching(const std::string& needle) {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> out;
    for (const std::string& line : lines_) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      std::string msg = j.is_object() ? j.value("@message", "") : "";
      if (msg.find(needle) != std::string::npos) out.push_back(msg);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

PipelineOptions Options(const fs::path& work_dir, const std::atomic<bool>* stop = nullptr) {
  PipelineOptions o;
  o.work_dir = work_dir;
  o.run_id = tpd::engines::RunIdFor("test", "resource-1");
  o.stop = stop;
  return o;
}

// Records "run:<name>" / "undo:<name>" in call order.
struct Calls {
  std::vector<std::string> list;
  Step Make(const std::string& name, Status result = Status::Ok(), bool with_undo = true) {
    Step s;
    s.name = name;
    s.run = [this, name, result](StepContext&) {
      list.push_back("run:" + name);
      return result;
    };
    if (with_undo) {
      s.undo = [this, name](StepContext&) {
        list.push_back("undo:" + name);
        return Status::Ok();
      };
    }
    return s;
  }
};

std::vector<nlohmann::json> ReadJournal(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

// "event:step" for step events, "event" for the others.
std::vector<std::string> Events(const fs::path& path) {
  std::vector<std::string> out;
  for (const auto& r : ReadJournal(path)) {
    std::string e = r.value("event", "");
    if (r.contains("step")) e += ":" + r.value("step", "");
    out.push_back(e);
  }
  return out;
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Forks a child that sleeps; returns its pid. The caller kills and reaps it.
pid_t SpawnSleeper() {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::sleep(60);
    ::_exit(0);
  }
  return pid;
}

void KillAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

}  // namespace

TEST_CASE("Pipeline: runs steps in order and journals them when every step succeeds", "[engines]") {
  TempDir dir;
  LogCapture logs;
  Calls calls;
  Pipeline p(Options(dir.path()));
  StepContext ctx;
  auto result = p.Run({calls.Make("precheck"), calls.Make("copy_data"), calls.Make("verify")}, ctx);
  REQUIRE(result.ok());
  CHECK(calls.list == std::vector<std::string>{"run:precheck", "run:copy_data", "run:verify"});
  CHECK(result->completed);
  REQUIRE(result->steps.size() == 3);
  CHECK(result->steps[1].name == "copy_data");
  CHECK(result->steps[1].state == "done");
  CHECK_FALSE(result->steps[1].skipped);
  CHECK_FALSE(result->downtime_seconds.has_value());  // no freeze_writes in this method

  CHECK(Events(p.paths().journal) ==
        std::vector<std::string>{"run", "started:precheck", "done:precheck", "started:copy_data",
                                 "done:copy_data", "started:verify", "done:verify", "completed"});
  auto records = ReadJournal(p.paths().journal);
  CHECK(records[2].contains("duration_s"));
  CHECK(records[2].contains("ts_us"));
  CHECK(records[2].contains("time"));
  CHECK_FALSE(fs::exists(p.paths().lock_file));  // released
  CHECK(fs::exists(p.paths().summary));
  CHECK(p.paths().run_dir == dir.path() / "runs" / p.run_id());

  CHECK(logs.Matching("step 1/3 precheck started").size() == 1);
  auto finished = logs.Matching("step 2/3 copy_data finished in ");
  REQUIRE(finished.size() == 1);
  CHECK(finished[0].back() == 's');

  auto prev = p.Previous();
  REQUIRE(prev.ok());
  CHECK(*prev == PreviousRun::kCompleted);
}

TEST_CASE("Pipeline: undoes steps in reverse when a step fails", "[engines]") {
  TempDir dir;
  Calls calls;
  Pipeline p(Options(dir.path()));
  StepContext ctx;
  std::vector<Step> steps = {calls.Make("precheck"), calls.Make("backup", Status::Ok(), false),
                             calls.Make("create_publication"),
                             calls.Make("copy_data", Status::Unavailable("target went away")),
                             calls.Make("verify")};
  auto result = p.Run(steps, ctx);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().IsUnavailable());
  CHECK(result.status().message() == "step copy_data failed: target went away");
  // The failed step's own undo runs too (it may have done part of its work); backup has none.
  CHECK(calls.list == std::vector<std::string>{"run:precheck", "run:backup", "run:create_publication",
                                               "run:copy_data", "undo:copy_data",
                                               "undo:create_publication", "undo:precheck"});
  CHECK(Events(p.paths().journal) ==
        std::vector<std::string>{"run", "started:precheck", "done:precheck", "started:backup",
                                 "done:backup", "started:create_publication", "done:create_publication",
                                 "started:copy_data", "failed:copy_data", "undone:copy_data",
                                 "undone:create_publication", "undone:precheck", "aborted"});
  auto records = ReadJournal(p.paths().journal);
  CHECK(records[8].value("code", "") == "Unavailable");
  CHECK(records[8].value("message", "") == "target went away");
  CHECK(records.back().value("undo_ok", false));
  auto prev = p.Previous();
  REQUIRE(prev.ok());
  CHECK(*prev == PreviousRun::kAborted);
  CHECK_FALSE(fs::exists(p.paths().lock_file));

  SECTION("the next run reruns the undone steps and skips the done one without undo") {
    calls.list.clear();
    steps[3] = calls.Make("copy_data");
    Pipeline again(Options(dir.path()));
    auto second = again.Run(steps, ctx);
    REQUIRE(second.ok());
    CHECK(calls.list == std::vector<std::string>{"run:precheck", "run:create_publication", "run:copy_data",
                                                 "run:verify"});
    CHECK(second->steps[1].skipped);
  }
  SECTION("a failing undo is reported after the step's error and recorded") {
    calls.list.clear();
    steps[2].undo = [](StepContext&) { return Status::Unavailable("source unreachable"); };
    Pipeline again(Options(dir.path()));
    auto second = again.Run(steps, ctx);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().IsUnavailable());
    CHECK(second.status().message() ==
          "step copy_data failed: target went away; undo of create_publication failed: source unreachable");
    auto events = Events(again.paths().journal);
    CHECK(std::find(events.begin(), events.end(), "undo_failed:create_publication") != events.end());
    CHECK(calls.list.back() == "undo:precheck");  // later undos still run
  }
}

TEST_CASE("Pipeline: cancels and undoes when the stop flag is set", "[engines]") {
  TempDir dir;
  Calls calls;
  std::atomic<bool> stop{false};
  Pipeline p(Options(dir.path(), &stop));
  StepContext ctx;

  SECTION("set by a step: the run stops before the next step") {
    Step b = calls.Make("freeze_writes");
    b.run = [&](StepContext&) {
      calls.list.push_back("run:freeze_writes");
      stop = true;
      return Status::Ok();
    };
    b.undo = [&](StepContext& c) {
      // Undo runs to the end even though a stop was requested.
      calls.list.push_back(c.stop_requested() ? "undo:freeze_writes(stopped)" : "undo:freeze_writes");
      return Status::Ok();
    };
    auto result = p.Run({calls.Make("precheck"), b, calls.Make("copy_data")}, ctx);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().IsCancelled());
    CHECK(result.status().message() == "run cancelled before step copy_data");
    CHECK(calls.list ==
          std::vector<std::string>{"run:precheck", "run:freeze_writes", "undo:freeze_writes", "undo:precheck"});
  }
  SECTION("polled by a step: the step returns Cancelled") {
    Step b;
    b.name = "copy_data";
    b.run = [&](StepContext& c) {
      CHECK_FALSE(c.stop_requested());
      stop = true;
      return c.CheckStop();
    };
    auto result = p.Run({calls.Make("precheck"), b}, ctx);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().IsCancelled());
    CHECK(result.status().message() == "step copy_data cancelled: stop requested during step copy_data");
    CHECK(calls.list == std::vector<std::string>{"run:precheck", "undo:precheck"});
  }
}

TEST_CASE("Pipeline: resumes after a crash, skipping done steps and rerunning the started one",
          "[engines]") {
  TempDir dir;
  const fs::path journal = RunPaths::For(dir.path(), Options(dir.path()).run_id).journal;
  const fs::path lock_file = RunPaths::For(dir.path(), Options(dir.path()).run_id).lock_file;

  // A child process runs the method and dies inside step 2, leaving its lock file and a journal
  // whose last step record is `started`.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    tpd::log::SetLevel(tpd::log::Level::kOff);
    Pipeline p(Options(dir.path()));
    StepContext ctx;
    Step a{"create_publication",
           [](StepContext& c) { return c.Set("create_publication.slot", "tpd_slot_1"); }, nullptr};
    Step b{"copy_data", [](StepContext&) -> Status { ::_exit(7); }, nullptr};
    Step c{"verify", [](StepContext&) { return Status::Ok(); }, nullptr};
    (void)p.Run({a, b, c}, ctx);
    ::_exit(0);
  }
  int wstatus = 0;
  REQUIRE(::waitpid(child, &wstatus, 0) == child);
  REQUIRE(WIFEXITED(wstatus));
  REQUIRE(WEXITSTATUS(wstatus) == 7);
  REQUIRE(fs::exists(lock_file));
  {
    std::ifstream in(lock_file);
    long pid = 0;
    in >> pid;
    CHECK(pid == child);
  }
  CHECK(Events(journal).back() == "started:copy_data");
  {
    Pipeline p(Options(dir.path()));
    auto prev = p.Previous();
    REQUIRE(prev.ok());
    CHECK(*prev == PreviousRun::kInterrupted);
  }
  // A crash can also cut the last journal line mid-write.
  {
    std::ofstream out(journal, std::ios::app);
    out << "{\"event\":\"do";
  }

  LogCapture logs;
  std::vector<std::string> ran;
  std::optional<std::string> slot_seen;
  Pipeline p(Options(dir.path()));
  StepContext ctx;
  Step a{"create_publication", [&](StepContext&) {
           ran.push_back("create_publication");
           return Status::Ok();
         },
         nullptr};
  Step b{"copy_data", [&](StepContext& c) {
           ran.push_back("copy_data");
           slot_seen = c.Get("create_publication.slot");
           return Status::Ok();
         },
         nullptr};
  Step c{"verify", [&](StepContext&) {
           ran.push_back("verify");
           return Status::Ok();
         },
         nullptr};
  auto result = p.Run({a, b, c}, ctx);
  REQUIRE(result.ok());
  CHECK(ran == std::vector<std::string>{"copy_data", "verify"});
  REQUIRE(slot_seen.has_value());
  CHECK(*slot_seen == "tpd_slot_1");
  CHECK(result->steps[0].skipped);
  CHECK_FALSE(result->steps[1].skipped);
  CHECK(logs.Matching("clearing stale lock").size() == 1);
  CHECK(logs.Matching("pid " + std::to_string(child)).size() >= 1);
  CHECK(logs.Matching("step 1/3 create_publication already done (skipped)").size() == 1);
  CHECK(logs.Matching("step 2/3 copy_data was interrupted").size() == 1);
  auto events = Events(journal);
  CHECK(events.back() == "completed");
  // The cut line was terminated, so every record written after it parses.
  CHECK(std::count(events.begin(), events.end(), "done:copy_data") == 1);
}

TEST_CASE("Pipeline: refuses to run when a live process holds the lock", "[engines]") {
  TempDir dir;
  Calls calls;
  StepContext ctx;

  SECTION("another Pipeline of this process is running the same run id") {
    Pipeline outer(Options(dir.path()));
    Status inner_status;
    Step s;
    s.name = "copy_data";
    s.run = [&](StepContext&) {
      Pipeline inner(Options(dir.path()));
      StepContext inner_ctx;
      auto r = inner.Run({calls.Make("precheck")}, inner_ctx);
      inner_status = r.status();
      return Status::Ok();
    };
    REQUIRE(outer.Run({s}, ctx).ok());
    CHECK(inner_status.IsFailedPrecondition());
    CHECK(inner_status.message().find("locked by pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(calls.list.empty());
    // Reset is refused the same way while a run holds the lock.
    Status reset_status;
    s.run = [&](StepContext&) {
      Pipeline inner(Options(dir.path()));
      reset_status = inner.Reset();
      return Status::Ok();
    };
    REQUIRE(outer.Run({s}, ctx).ok());
    CHECK(reset_status.IsFailedPrecondition());
  }
  SECTION("a live child process is named in the lock file") {
    Pipeline p(Options(dir.path()));
    fs::create_directories(p.paths().run_dir);
    pid_t child = SpawnSleeper();
    {
      std::ofstream out(p.paths().lock_file);
      out << child << "\n";
    }
    auto r = p.Run({calls.Make("precheck")}, ctx);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsFailedPrecondition());
    CHECK(r.status().message().find("locked by pid " + std::to_string(child)) != std::string::npos);
    CHECK(calls.list.empty());
    CHECK(fs::exists(p.paths().lock_file));  // not ours to remove

    KillAndReap(child);  // now the pid is dead: the lock is stale
    auto again = p.Run({calls.Make("precheck")}, ctx);
    REQUIRE(again.ok());
    CHECK(calls.list == std::vector<std::string>{"run:precheck"});
  }
  SECTION("a live pid with another start time is a recycled pid: the lock is stale") {
    Pipeline p(Options(dir.path()));
    fs::create_directories(p.paths().run_dir);
    pid_t child = SpawnSleeper();
    {
      std::ofstream out(p.paths().lock_file);
      out << child << " 1\n";  // the child did not start at tick 1
    }
    auto r = p.Run({calls.Make("precheck")}, ctx);
    KillAndReap(child);
    REQUIRE(r.ok());
  }
}

TEST_CASE("Pipeline: the scratch store survives a restart", "[engines]") {
  TempDir dir;
  std::optional<std::string> seen_by_undo, seen_on_rerun;
  Step create;
  create.name = "create_publication";
  create.run = [&](StepContext& c) {
    seen_on_rerun = c.Get("create_publication.slot");
    return c.Set("create_publication.slot", "tpd_slot_42");
  };
  create.undo = [&](StepContext& c) {
    seen_by_undo = c.Get("create_publication.slot");
    return Status::Ok();
  };
  Step fail{"copy_data", [](StepContext&) { return Status::Internal("disk full"); }, nullptr};
  {
    Pipeline p(Options(dir.path()));
    StepContext ctx;
    auto r = p.Run({create, fail}, ctx);
    REQUIRE_FALSE(r.ok());
    REQUIRE(seen_by_undo.has_value());
    CHECK(*seen_by_undo == "tpd_slot_42");
    CHECK_FALSE(seen_on_rerun.has_value());  // first run: nothing stored yet
    // Outside a run the store can be read but not written.
    CHECK(ctx.Get("create_publication.slot") == std::optional<std::string>("tpd_slot_42"));
    CHECK(ctx.Set("x", "y").IsFailedPrecondition());
  }
  {
    Pipeline p(Options(dir.path()));
    StepContext fresh;  // a new process would have an empty context
    fail.run = [](StepContext&) { return Status::Ok(); };
    auto r = p.Run({create, fail}, fresh);
    REQUIRE(r.ok());
    REQUIRE(seen_on_rerun.has_value());
    CHECK(*seen_on_rerun == "tpd_slot_42");
  }
}

TEST_CASE("Pipeline: measured downtime spans freeze_writes start to the switch end", "[engines]") {
  TempDir dir;
  auto sleeper = [](const std::string& name, int ms) {
    Step s;
    s.name = name;
    s.run = [ms](StepContext&) {
      SleepMs(ms);
      return Status::Ok();
    };
    return s;
  };
  StepContext ctx;
  SECTION("replication-like: freeze_writes .. switch") {
    Pipeline p(Options(dir.path()));
    auto r = p.Run({sleeper("precheck", 150), sleeper("freeze_writes", 40), sleeper("catch_up", 40),
                    sleeper("switch", 40), sleeper("analyze", 150)},
                   ctx);
    REQUIRE(r.ok());
    REQUIRE(r->downtime_seconds.has_value());
    CHECK(*r->downtime_seconds >= 0.12);
    CHECK(*r->downtime_seconds < 0.25);  // excludes precheck and analyze (150 ms each)
    CHECK(r->total_seconds >= 0.42);
    auto records = ReadJournal(p.paths().journal);
    CHECK(records.back().value("downtime_s", -1.0) == Approx(*r->downtime_seconds));
  }
  SECTION("freeze_writes .. unfreeze") {
    Pipeline p(Options(dir.path()));
    auto r = p.Run({sleeper("freeze_writes", 40), sleeper("copy_data", 40), sleeper("unfreeze", 40),
                    sleeper("analyze", 150)},
                   ctx);
    REQUIRE(r.ok());
    REQUIRE(r->downtime_seconds.has_value());
    CHECK(*r->downtime_seconds >= 0.12);
    CHECK(*r->downtime_seconds < 0.25);
  }
  SECTION("in_place: stop_old .. start_new") {
    Pipeline p(Options(dir.path()));
    auto r = p.Run({sleeper("pg_upgrade_check", 150), sleeper("stop_old", 40), sleeper("pg_upgrade", 40),
                    sleeper("start_new", 40), sleeper("analyze", 150)},
                   ctx);
    REQUIRE(r.ok());
    REQUIRE(r->downtime_seconds.has_value());
    CHECK(*r->downtime_seconds >= 0.12);
    CHECK(*r->downtime_seconds < 0.25);
  }
}

TEST_CASE("Pipeline: nothing is undone after a commits step and the next run resumes", "[engines]") {
  TempDir dir;
  Calls calls;
  StepContext ctx;
  Step sw = calls.Make("switch");
  sw.commits = true;
  std::vector<Step> steps = {calls.Make("freeze_writes"), sw,
                             calls.Make("analyze", Status::Unavailable("new server restarting"))};
  Pipeline p(Options(dir.path()));
  auto r = p.Run(steps, ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsUnavailable());
  CHECK(r.status().message().rfind("step analyze failed: new server restarting (nothing was undone", 0) == 0);
  CHECK(calls.list == std::vector<std::string>{"run:freeze_writes", "run:switch", "run:analyze"});
  calls.list.clear();
  steps[2] = calls.Make("analyze");
  auto again = p.Run(steps, ctx);
  REQUIRE(again.ok());
  CHECK(calls.list == std::vector<std::string>{"run:analyze"});
}

TEST_CASE("Pipeline: a finished journal starts afresh and Reset moves a journal aside", "[engines]") {
  TempDir dir;
  Calls calls;
  StepContext ctx;
  Pipeline p(Options(dir.path()));
  std::vector<Step> steps = {calls.Make("precheck"), calls.Make("copy_data")};
  REQUIRE(p.Run(steps, ctx).ok());
  SECTION("run again without Reset") {
    auto r = p.Run(steps, ctx);
    REQUIRE(r.ok());
    CHECK(calls.list.size() == 4);  // both steps ran twice
    CHECK_FALSE(r->steps[0].skipped);
    CHECK(fs::exists(p.paths().previous_journal));
  }
  SECTION("Reset") {
    REQUIRE(p.Reset().ok());
    CHECK_FALSE(fs::exists(p.paths().journal));
    CHECK(fs::exists(p.paths().previous_journal));
    auto prev = p.Previous();
    REQUIRE(prev.ok());
    CHECK(*prev == PreviousRun::kNone);
    CHECK(p.Reset().ok());  // nothing to reset
  }
}

TEST_CASE("Pipeline: progress counters are exact and log lines throttled when workers report",
          "[engines]") {
  TempDir dir;
  LogCapture logs;
  StepContext ctx;
  auto copy = [](StepContext& c) {
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
      workers.emplace_back([&c] {
        for (int i = 0; i < 1000; ++i) c.ReportProgress(1, 10, 40000, "table t");
      });
    }
    for (auto& t : workers) t.join();
    return Status::Ok();
  };
  PipelineOptions o = Options(dir.path());
  SECTION("interval not reached: no progress line") {
    o.progress_interval = std::chrono::hours(1);
    Pipeline p(o);
    auto r = p.Run({Step{"copy_data", copy, nullptr}}, ctx);
    REQUIRE(r.ok());
    CHECK(r->steps[0].rows == 4000);
    CHECK(r->steps[0].bytes == 40000);
    CHECK(ReadJournal(p.paths().journal)[2].value("rows", 0) == 4000);
    CHECK(logs.Matching("step 1/1 copy_data: ").empty());
  }
  SECTION("zero interval: lines carry bytes, total and rows") {
    o.progress_interval = std::chrono::milliseconds(0);
    Pipeline p(o);
    REQUIRE(p.Run({Step{"copy_data", copy, nullptr}}, ctx).ok());
    auto lines = logs.Matching("step 1/1 copy_data: ");
    REQUIRE(lines.size() == 4000);
    CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
            return l == "step 1/1 copy_data: 39.1 KiB of 39.1 KiB (100%), 4000 rows, table t";
          }) == 1);
  }
}

TEST_CASE("Pipeline: a non-resumable step runs again on every run", "[engines]") {
  TempDir dir;
  Calls calls;
  StepContext ctx;
  Step pre = calls.Make("precheck", Status::Ok(), false);
  pre.resumable = false;
  std::vector<Step> steps = {pre, calls.Make("backup", Status::Ok(), false),
                             calls.Make("copy_data", Status::Unavailable("x"), false)};
  Pipeline p(Options(dir.path()));
  REQUIRE_FALSE(p.Run(steps, ctx).ok());
  calls.list.clear();
  steps[2] = calls.Make("copy_data", Status::Ok(), false);
  REQUIRE(p.Run(steps, ctx).ok());
  CHECK(calls.list == std::vector<std::string>{"run:precheck", "run:copy_data"});
}

TEST_CASE("Pipeline: rejects invalid step lists", "[engines]") {
  TempDir dir;
  Calls calls;
  StepContext ctx;
  Pipeline p(Options(dir.path()));
  CHECK(p.Run({}, ctx).status().IsInvalidArgument());
  CHECK(p.Run({calls.Make("a"), calls.Make("a")}, ctx).status().IsInvalidArgument());
  CHECK(p.Run({Step{"a", nullptr, nullptr}}, ctx).status().IsInvalidArgument());
  CHECK(calls.list.empty());
  CHECK_FALSE(fs::exists(p.paths().run_dir));
}

TEST_CASE("Pipeline: refuses a different step list while the journal has work to undo", "[engines]") {
  TempDir dir;
  StepContext ctx;
  std::vector<std::string> undone;
  Step slot{"create_publication", [](StepContext&) { return Status::Ok(); },
            [&](StepContext&) {
              undone.push_back("create_publication");
              return Status::Ok();
            }};
  Step crash{"copy_data", [](StepContext&) -> Status { ::_exit(9); }, nullptr};
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    tpd::log::SetLevel(tpd::log::Level::kOff);
    Pipeline p(Options(dir.path()));
    (void)p.Run({slot, crash}, ctx);
    ::_exit(0);
  }
  int ws = 0;
  REQUIRE(::waitpid(child, &ws, 0) == child);
  REQUIRE(WEXITSTATUS(ws) == 9);

  Pipeline p(Options(dir.path()));
  Step other{"pg_upgrade", [](StepContext&) { return Status::Ok(); }, nullptr};
  auto r = p.Run({other}, ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsFailedPrecondition());
  CHECK(r.status().message().find("create_publication") != std::string::npos);

  REQUIRE(p.Rollback({slot, crash}, ctx).ok());
  CHECK(undone == std::vector<std::string>{"create_publication"});
  auto prev = p.Previous();
  REQUIRE(prev.ok());
  CHECK(*prev == PreviousRun::kAborted);
  CHECK(p.Run({other}, ctx).ok());
}

TEST_CASE("RunPaths: ids are deterministic and table files stay inside tables_dir", "[engines]") {
  using tpd::engines::RunIdFor;
  CHECK(RunIdFor("pg-dump_restore", "postgres://u@h:5432/db 17") ==
        RunIdFor("pg-dump_restore", "postgres://u@h:5432/db 17"));
  CHECK(RunIdFor("pg-dump_restore", "a") != RunIdFor("pg-dump_restore", "b"));
  CHECK(RunIdFor("pg/x", "a").find('/') == std::string::npos);
  CHECK(RunIdFor("m", "").size() == std::string("m-").size() + 16);
  RunPaths p = RunPaths::For("/w", "r1");
  CHECK(p.journal == fs::path("/w/runs/r1/journal.jsonl"));
  CHECK(p.history == fs::path("/w/history.jsonl"));
  CHECK(p.TableState("public.orders") == fs::path("/w/runs/r1/tables/public.orders.json"));
  CHECK(p.TableState("../x").parent_path() == p.tables_dir);
  CHECK(p.TableState("a/b") != p.TableState("a_b"));
}
