// Pipeline: runs an upgrade method as a fixed list of named, restartable steps with a journal.
//
// An executor (dump_restore, replication, in_place) is a std::vector<Step>; Pipeline::Run executes
// it under a lock, appending one JSON record per event to <run_dir>/journal.jsonl (fsync'd), so a
// later Run of the same run id (a re-apply after a crash or a failure) knows what happened:
//
//   * a step whose last record is `done` is skipped (unless Step::resumable is false);
//   * a step whose last record is `started` (the process died inside it), `failed` or `undone` runs
//     again from the beginning: every step must be idempotent or clear its own leftovers first
//     (e.g. drop the slot it may have created before creating it);
//   * on failure or cancellation the `undo` of every step that may have had an effect (done, failed
//     in this run, or started by a run that died) runs in reverse order, including steps completed
//     by an earlier Run of the same run id, and each is recorded `undone`; then Run returns the
//     original error as "step <name> failed: <message>" (same code). A step with Step::commits set
//     is a point of no return: once it is done, a later failure undoes nothing (the old server must
//     not take writes again after the switch) and the next Run resumes at the failed step.
//   * a Run that completes appends a final `completed` record. This is how a finished journal is
//     told from an interrupted one: the next Run on a journal whose last record is `completed`
//     moves it aside (as Reset does) and starts afresh; any other journal is resumed.
//
// Journal format (one JSON object per line; unknown fields are ignored by readers; a line that does
// not parse, e.g. one cut off by a crash, is skipped with a warning). Persisted: never rename.
//   every record:  "event", "time" (RFC 3339 UTC, microseconds), "ts_us" (Unix epoch microseconds)
//   {"event":"run","pid":N,"steps":["precheck",...]}           a Run began
//   {"event":"started","step":S,"index":i,"of":n}              i is 1-based
//   {"event":"done","step":S,"duration_s":x,"rows":r,"bytes":b}
//   {"event":"failed","step":S,"duration_s":x,"rows":r,"bytes":b,"code":"Unavailable","message":M}
//   {"event":"undone","step":S,"duration_s":x}
//   {"event":"undo_failed","step":S,"duration_s":x,"code":C,"message":M}
//   {"event":"scratch","step":S,"key":K,"value":V}             StepContext::Set
//   {"event":"aborted","message":M,"undo_ok":true|false}       a Run ended with an error
//   {"event":"completed","total_s":x,"downtime_s":y|null}      every step done
//
// Measured downtime (RunSummary::downtime_seconds, state's measured_downtime_seconds): the span
// during which the source refused writes or was stopped. It starts at the start of the first step
// named kFreezeWrites, else kStopOld, and ends at the end of the first step after it named
// kSwitch, kUnfreeze or kStartNew (else the end of the last step). Times come from the journal, so
// when a run resumes after a crash inside that span, the crash gap is counted (writes were frozen).
// Methods without kFreezeWrites/kStopOld have no downtime value (std::nullopt).
//
// Logging (provider/log.h, hclog JSON on stderr): "step 5/11 copy_data started",
// "step 5/11 copy_data finished in 4.2s", "step 5/11 copy_data already done (skipped)",
// progress lines at most once per PipelineOptions::progress_interval, and failures/undo.
//
// Thread-safety: a Pipeline runs one Run/Rollback at a time and is not shared between threads;
// StepContext::ReportProgress/AddProgress/Set/Get/stop_requested may be called from any thread
// while a step runs (parallel table copies). Different Pipelines on the same run id (same or other
// process) exclude each other through the lock file.
#ifndef TPD_ENGINES_PIPELINE_H_
#define TPD_ENGINES_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/run_paths.h"
#include "schema/status.h"

namespace tpd::engines {

// Standard step names. Persisted (journal records, history): never rename.
inline constexpr std::string_view kPrecheck = "precheck";
inline constexpr std::string_view kBackup = "backup";
inline constexpr std::string_view kDumpSchema = "dump_schema";
inline constexpr std::string_view kRestorePreData = "restore_pre_data";
inline constexpr std::string_view kCopyData = "copy_data";
inline constexpr std::string_view kRestorePostData = "restore_post_data";
inline constexpr std::string_view kCreatePublication = "create_publication";
inline constexpr std::string_view kCreateSubscription = "create_subscription";
inline constexpr std::string_view kWaitSync = "wait_sync";
inline constexpr std::string_view kFreezeWrites = "freeze_writes";
inline constexpr std::string_view kCatchUp = "catch_up";
inline constexpr std::string_view kSyncSequences = "sync_sequences";
inline constexpr std::string_view kVerify = "verify";
inline constexpr std::string_view kSwitch = "switch";
inline constexpr std::string_view kUnfreeze = "unfreeze";
inline constexpr std::string_view kDropReplication = "drop_replication";
inline constexpr std::string_view kPgUpgradeCheck = "pg_upgrade_check";
inline constexpr std::string_view kStopOld = "stop_old";
inline constexpr std::string_view kPgUpgrade = "pg_upgrade";
inline constexpr std::string_view kStartNew = "start_new";
inline constexpr std::string_view kAnalyze = "analyze";

class StepContext;

struct Step {
  // Persisted: never rename. Unique within a method; non-empty.
  std::string name;
  // Does the work. REQUIRES: non-empty. Must be idempotent or clear its own leftovers first: it
  // is rerun from the start after a crash or failure. May poll ctx.stop_requested() and return
  // Status::Cancelled. Exceptions are caught and become Internal.
  std::function<Status(StepContext&)> run;
  // Reverses the step's effect (re-enable writes, drop the slot); may be empty (nothing to undo).
  // Called after a later step failed, and also for this step itself when it failed or was found
  // interrupted, so it must tolerate partial or no work and be idempotent. It may run in a later
  // process than `run` (state it needs comes from StepContext::Get). stop_requested() is false
  // during undo: undo always runs to the end.
  std::function<Status(StepContext&)> undo;
  // true: a step found `done` in the journal is skipped on a resumed Run. false: its effect does
  // not survive the process (a held connection, an exported snapshot, a check that must be fresh:
  // precheck), so every Run runs it again. A step that depends on such an in-process effect must
  // itself be non-resumable.
  bool resumable = true;
  // Point of no return (e.g. switch, pg_upgrade in link mode): once this step is done, a failure of
  // a later step undoes nothing, and the next Run resumes at the failed step.
  bool commits = false;
};

// Per-step timing and counters, from the journal.
struct StepSummary {
  std::string name;
  // Last journal event for the step: "done", "failed", "undone", "undo_failed", "started", or ""
  // when the step never ran.
  std::string state;
  double duration_seconds = 0;  // of the last `done` (or `failed`) record
  int64_t rows = 0;
  int64_t bytes = 0;
  // true when the step was done by an earlier Run and skipped by this one.
  bool skipped = false;
};

struct RunSummary {
  std::string run_id;
  bool completed = false;  // every step done
  std::vector<StepSummary> steps;  // in method order
  // Sum of the steps' recorded durations (work time, across resumed runs).
  double total_seconds = 0;
  // Wall time of this Run call, including skipped-step bookkeeping and undo.
  double elapsed_seconds = 0;
  // Measured downtime as defined at the top of this file; nullopt when not measurable.
  std::optional<double> downtime_seconds;
};

struct PipelineOptions {
  // --- behaviour ---
  // Provider work directory; the run lives in <work_dir>/runs/<run_id>. REQUIRES: non-empty.
  std::filesystem::path work_dir;
  // Deterministic id of the run (RunIdFor), so a re-apply finds the journal. REQUIRES: non-empty,
  // one path component.
  std::string run_id;
  // Set to true (by StopProvider or a timeout) to cancel: checked between steps and exposed to
  // steps. Borrowed: must outlive the Pipeline. nullptr: never cancelled.
  const std::atomic<bool>* stop = nullptr;
  // --- performance ---
  // At most one progress log line per interval per step. Default 5 s.
  std::chrono::milliseconds progress_interval{5000};
};

// What the journal on disk says about the previous Run of this run id.
enum class PreviousRun {
  kNone,         // no journal, or an empty one
  kCompleted,    // last record is `completed`: the next Run starts afresh
  kAborted,      // last record is `aborted`: a Run failed and finished its undo (see undo_ok)
  kInterrupted,  // anything else: a Run died (kill, crash) — the next Run resumes it
};

class Pipeline;

// Handed to every Step::run/undo. Created by the caller (an executor may derive from it to carry
// its connections; steps then static_cast) and bound to a Pipeline for the duration of Run.
// Outside Run it holds the scratch store as last loaded (Get works; Set returns FailedPrecondition).
class StepContext {
 public:
  StepContext();
  virtual ~StepContext();
  StepContext(const StepContext&) = delete;
  StepContext& operator=(const StepContext&) = delete;

  // true when the Pipeline's stop flag is set, except during undo (always false there).
  bool stop_requested() const;
  // Cancelled("stop requested during step <name>") when stop_requested(), else OK.
  Status CheckStop() const;

  // Name of the step being run or undone; empty outside Run.
  std::string step_name() const;
  // Paths of the run. REQUIRES: called from a step (inside Run/Rollback).
  const RunPaths& paths() const;

  // Adds `rows_delta` rows and `bytes_delta` bytes to the current step's counters (written to its
  // `done`/`failed` record) and, when total_bytes > 0, records the expected total. Logs one line
  // "step i/n name: <bytes> of <total> (<pct>%), <rows> rows, <detail>" at most once per
  // progress_interval (the first after one interval of the step). Thread-safe; never blocks on I/O
  // except the log write. Outside a step: ignored.
  void ReportProgress(int64_t rows_delta, int64_t bytes_delta, int64_t total_bytes = 0,
                      std::string_view detail = {});
  // Counters of the current step so far.
  int64_t rows() const;
  int64_t bytes() const;

  // Scratch store, persisted in the journal (fsync'd before Set returns) and reloaded by the next
  // Run of the same run id, e.g. the slot name a step created so a resumed or undo call can find
  // it. Keys are global to the run; use "<step>.<name>" by convention.
  // Set: FailedPrecondition outside Run; Internal when the journal cannot be written.
  Status Set(const std::string& key, const std::string& value);
  // The last value set for `key` in this run id's journal, or nullopt.
  std::optional<std::string> Get(const std::string& key) const;

 private:
  friend class Pipeline;
  struct Binding;
  // Guarded by mu_ (Binding carries the step counters, throttle clock and the journal writer).
  mutable std::mutex mu_;
  std::map<std::string, std::string> scratch_;
  Binding* binding_ = nullptr;  // non-null during Run; owned by the Pipeline's Run frame
  std::atomic<bool> in_undo_{false};
};

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const RunPaths& paths() const { return paths_; }
  const std::string& run_id() const { return options_.run_id; }

  // Runs `steps` in order, resuming the journal of run_id as described at the top of this file.
  // Blocks until every step has run or undo has finished. Creates run_dir. `ctx` is borrowed for
  // the call and passed to every step.
  // Returns the summary when every step is done (journal ends with `completed`; summary.json
  // written). Errors:
  //   InvalidArgument: empty/duplicate step name or empty `run` (nothing is run or written);
  //   FailedPrecondition: the run is locked by a live process ("... locked by pid N ...");
  //     or the journal was written by a different step list and still has steps that may need
  //     undoing (call Rollback with the old steps, or Reset). A journal of a different step list
  //     whose last Run ended `aborted` with a complete undo, or that has nothing to undo, is moved
  //     aside (as Reset does) and the run starts afresh;
  //   Internal: the run dir, lock or journal cannot be written;
  //   the failing step's code with message "step <name> failed: <msg>" (Cancelled from a step or
  //     the stop flag: "step <name> cancelled: <msg>" / "run cancelled before step <name>"),
  //     followed by "; undo of <step> failed: <msg>" for each undo that failed, or by a note that
  //     nothing was undone because a commits step had finished.
  Result<RunSummary> Run(std::vector<Step> steps, StepContext& ctx);

  // Undoes, in reverse order, every step of `steps` the journal says may have had an effect
  // (done, failed, started, undo_failed), without running anything — for abandoning a run that
  // was killed (configuration changed, resource deleted). Ignores Step::commits. Records `undone`
  // and a final `aborted`. OK when there was nothing to undo (or no journal). Errors:
  // InvalidArgument (bad steps), FailedPrecondition (locked by a live pid), Internal (I/O, or
  // "rollback of run <id> incomplete; undo of <step> failed: <msg>..." after attempting every undo).
  Status Rollback(std::vector<Step> steps, StepContext& ctx);

  // Moves the journal to journal.previous.jsonl (replacing an older one) so the next Run starts
  // afresh; other files of run_dir are kept. Call it after a successful Run whose result is saved,
  // and after a failed create whose undo succeeded (PreviousRun::kAborted with undo_ok), so the
  // next apply starts cleanly. Do NOT call it on a kInterrupted journal you may still need to
  // undo (use Rollback). OK when there is no journal. FailedPrecondition when a live process holds
  // the lock; Internal on I/O errors.
  Status Reset();

  // What the journal says about the previous Run. Reads the file; no lock taken.
  // Internal on a read error (a missing journal is kNone).
  Result<PreviousRun> Previous() const;

 private:
  struct Lock;
  struct Journal;

  Status CheckSteps(const std::vector<Step>& steps) const;
  // Undoes steps [0, from] in reverse where the journal state may have an effect. Returns the
  // joined undo error messages ("" when all succeeded).
  std::string UndoFrom(const std::vector<Step>& steps, size_t from, Journal& journal,
                       StepContext& ctx);
  RunSummary Summarize(const std::vector<Step>& steps, const Journal& journal,
                       const std::vector<bool>& skipped, double elapsed) const;

  // Constant after construction.
  const PipelineOptions options_;
  const RunPaths paths_;
};

}  // namespace tpd::engines

#endif  // TPD_ENGINES_PIPELINE_H_
