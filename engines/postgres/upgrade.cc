#include "engines/postgres/upgrade.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "engines/history.h"
#include "engines/pipeline.h"
#include "engines/postgres/dump_restore.h"
#include "engines/postgres/in_place.h"
#include "engines/postgres/replication.h"
#include "engines/run_paths.h"
#include "provider/log.h"

namespace tpd::engines::postgres {
namespace {

// Sets `flag` when `parent` is set or `timeout` has passed, until destroyed. The pipeline and the
// executors poll one flag; this merges StopProvider and the create/update deadline into it.
class StopWatcher {
 public:
  StopWatcher(const std::atomic<bool>* parent, std::chrono::seconds timeout) : parent_(parent) {
    if (timeout.count() <= 0 && parent == nullptr) return;
    const auto deadline = timeout.count() > 0 ? std::chrono::steady_clock::now() + timeout
                                              : std::chrono::steady_clock::time_point::max();
    thread_ = std::thread([this, deadline] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!done_) {
        if (parent_ != nullptr && parent_->load()) {
          flag_.store(true);
        } else if (std::chrono::steady_clock::now() >= deadline) {
          timed_out_.store(true);
          flag_.store(true);
        }
        cv_.wait_for(lock, std::chrono::milliseconds(100));
      }
    });
  }
  ~StopWatcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

  const std::atomic<bool>* flag() const { return &flag_; }
  bool timed_out() const { return timed_out_.load(); }

 private:
  const std::atomic<bool>* parent_;
  std::atomic<bool> flag_{false};
  std::atomic<bool> timed_out_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;  // guarded by mu_
  std::thread thread_;
};

// True when the journal's last record is `aborted` with undo_ok: the failed run left nothing
// behind and the next run should start afresh.
bool AbortedCleanly(const std::filesystem::path& journal) {
  std::ifstream in(journal);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  if (last.empty()) return false;
  try {
    nlohmann::json j = nlohmann::json::parse(last);
    return j.value("event", "") == "aborted" && j.value("undo_ok", false);
  } catch (const std::exception&) {
    return false;
  }
}


std::string TargetIdentity(planner::Strategy strategy, const UpgradeSpec& spec) {
  if (strategy == planner::Strategy::kInPlace) return spec.source.data_dir + "->" + spec.target.data_dir;
  return spec.target.conn ? spec.target.conn->Redacted() : std::string();
}

void AppendRunHistory(const UpgradeSpec& spec, const std::string& strategy, const RunUpgradeOptions& options,
                      const std::optional<RunSummary>& summary, const std::string& run_id,
                      const std::string& to_version, double elapsed) {
  HistoryRecord rec;
  if (summary) {
    rec = HistoryRecordFromSummary(*summary, "postgresql", strategy, options.from_version, to_version,
                                   options.data_size_bytes);
  } else {
    rec.run_id = run_id;
    rec.engine = "postgresql";
    rec.strategy = strategy;
    rec.from_version = options.from_version;
    rec.to_version = to_version;
    rec.data_size_bytes = options.data_size_bytes;
    rec.ok = false;
    rec.total_seconds = elapsed;
  }
  Status st = AppendHistory(spec.work_dir, rec);
  if (!st.ok()) log::Warn("upgrade: cannot append run history", {{"error", st.message()}});
}

}  // namespace

std::string StrategyText(planner::Strategy strategy) {
  switch (strategy) {
    case planner::Strategy::kDumpRestore: return "dump_restore";
    case planner::Strategy::kReplication: return "replication";
    case planner::Strategy::kInPlace: return "in_place";
  }
  return "unknown";
}

std::string UpgradeRunId(planner::Strategy strategy, const UpgradeSpec& spec) {
  const std::string source = spec.source.conn ? spec.source.conn->Redacted() : std::string();
  return RunIdFor("pg-" + StrategyText(strategy),
                  source + " -> " + TargetIdentity(strategy, spec) + " @" + std::to_string(spec.target_major));
}

Result<UpgradeReport> RunUpgrade(planner::Strategy strategy, const UpgradeSpec& spec_in,
                                 const RunUpgradeOptions& options) {
  if (spec_in.work_dir.empty()) return Status::InvalidArgument("upgrade: work_dir is empty");
  if (!spec_in.source.conn) return Status::InvalidArgument("upgrade: the source URL is missing");
  if (strategy != planner::Strategy::kInPlace && !spec_in.target.conn) {
    return Status::InvalidArgument("upgrade: strategy " + StrategyText(strategy) + " needs target.url");
  }
  if (strategy == planner::Strategy::kInPlace && (spec_in.source.data_dir.empty() || spec_in.target.bin_dir.empty())) {
    return Status::InvalidArgument("upgrade: strategy in_place needs source.data_dir and target.bin_dir");
  }

  StopWatcher watcher(spec_in.stop, spec_in.timeout);
  UpgradeSpec spec = spec_in;
  spec.stop = watcher.flag();
  if (spec.run_id.empty()) spec.run_id = UpgradeRunId(strategy, spec);
  const std::string strategy_name = StrategyText(strategy);

  PipelineOptions po;
  po.work_dir = spec.work_dir;
  po.run_id = spec.run_id;
  po.stop = watcher.flag();
  Pipeline pipeline(po);
  StepContext ctx;

  DumpRestoreState dump_state;
  ReplicationState repl_state;
  InPlaceState in_place_state;
  std::vector<Step> steps;
  switch (strategy) {
    case planner::Strategy::kDumpRestore: steps = DumpRestoreSteps(spec, &dump_state); break;
    case planner::Strategy::kReplication: steps = ReplicationSteps(spec, &repl_state); break;
    case planner::Strategy::kInPlace: steps = InPlaceSteps(spec, &in_place_state); break;
  }

  log::Info("upgrade: starting", {{"strategy", strategy_name},
                                  {"run_id", spec.run_id},
                                  {"source", spec.source.conn->Redacted()},
                                  {"target_major", spec.target_major}});
  const auto started = std::chrono::steady_clock::now();
  Result<RunSummary> run = pipeline.Run(std::move(steps), ctx);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!run.ok()) {
    Status st = run.status();
    if (watcher.timed_out()) {
      st = Status::Cancelled("timed out after " + std::to_string(spec_in.timeout.count()) + "s: " + st.message());
    }
    AppendRunHistory(spec, strategy_name, options, std::nullopt, spec.run_id, options.to_version, elapsed);
    if (AbortedCleanly(pipeline.paths().journal)) {
      Status reset = pipeline.Reset();
      if (!reset.ok()) log::Warn("upgrade: cannot reset the journal", {{"error", reset.message()}});
    }
    log::Error("upgrade: failed", {{"strategy", strategy_name}, {"run_id", spec.run_id}, {"error", st.message()}});
    return st;
  }

  UpgradeReport report;
  report.run_id = spec.run_id;
  switch (strategy) {
    case planner::Strategy::kDumpRestore: report.outcome = dump_state.outcome; break;
    case planner::Strategy::kReplication:
      report.outcome = repl_state.outcome;
      report.warnings = repl_state.warnings;
      break;
    case planner::Strategy::kInPlace:
      FinishInPlaceOutcome(*run, &in_place_state);
      report.outcome = in_place_state.outcome;
      report.warnings = in_place_state.warnings;
      break;
  }
  if (strategy != planner::Strategy::kInPlace) {
    report.outcome.measured_downtime_seconds = run->downtime_seconds.value_or(0);
    report.outcome.total_seconds = run->total_seconds;
  }
  if (report.outcome.active_url.empty()) {
    report.outcome.active_url = strategy == planner::Strategy::kInPlace ? spec.source.conn->Redacted()
                                                                         : spec.target.conn->Redacted();
  }
  AppendRunHistory(spec, strategy_name, options, *run, spec.run_id,
                   report.outcome.new_version.empty() ? options.to_version : report.outcome.new_version, elapsed);
  Status reset = pipeline.Reset();
  if (!reset.ok()) log::Warn("upgrade: cannot reset the journal", {{"error", reset.message()}});
  log::Info("upgrade: finished", {{"strategy", strategy_name},
                                  {"run_id", spec.run_id},
                                  {"active_url", report.outcome.active_url},
                                  {"downtime_s", report.outcome.measured_downtime_seconds},
                                  {"total_s", report.outcome.total_seconds}});
  return report;
}

}  // namespace tpd::engines::postgres
