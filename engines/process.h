// Child processes for engine tools (pg_dump, pg_restore, pg_upgrade, initdb, pg_ctl ...).
//
// A child is started from an argv vector: no shell ever parses a command line, so nothing needs
// quoting and nothing is interpreted. Secrets reach the child only through its own environment
// (`ProcessOptions::env`, e.g. PGPASSWORD); our own process environment is never modified.
//
// The child:
//   - runs in a new session and process group (setsid), so cancellation and timeouts can kill it
//     together with everything it started (kill(-pgid, ...));
//   - reads stdin from /dev/null;
//   - inherits no descriptor of ours except 0, 1 and 2;
//   - optionally runs as another user (only when we run as root; PostgreSQL refuses to run as root).
//
// A non-zero exit (or death by signal) becomes a Status that names the tool, the exit code and a
// redacted tail of its stderr, unless `ProcessOptions::check_exit` is false.
//
// Thread-safety: all functions are thread-safe; they touch no process-wide state except forking
// (the child only calls async-signal-safe functions between fork and exec).
#ifndef TPD_ENGINES_PROCESS_H_
#define TPD_ENGINES_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/status.h"

namespace tpd::engines {

struct ProcessOptions {
  // --- behaviour ---

  // The command: argv[0] is the program. An argv[0] containing '/' is executed as is; otherwise it is
  // looked up in our PATH (before forking). REQUIRES: non-empty.
  std::vector<std::string> argv;

  // Extra environment entries for the child only, as NAME, VALUE. They override inherited entries of
  // the same name. Use this for PGPASSWORD: it never touches our own environment.
  std::vector<std::pair<std::string, std::string>> env;

  // Names removed from the inherited environment (e.g. PGDATA, PGPORT), applied before `env`.
  std::vector<std::string> env_remove;

  // Working directory of the child; empty = ours.
  std::string working_dir;

  // Run the child as this user (uid, primary gid and supplementary groups of the named account;
  // HOME, USER and LOGNAME are set to that account unless `env` sets them). Empty = no switch.
  // Only applied when we run as root; when we are not root the child runs as us (we are already
  // unprivileged). Unknown user -> NotFound.
  std::string run_as_user;

  // Run the child as the owner (uid, and that user's primary gid, else the file's gid) of this path,
  // e.g. a PostgreSQL data directory. Same root-only rule as run_as_user. Ignored when run_as_user is
  // set. Missing path -> NotFound.
  std::string run_as_owner_of;

  // Kill the child (whole process group) after this long. Zero = no limit. On expiry the result is
  // Cancelled ("<tool> timed out after Ns").
  std::chrono::milliseconds timeout{0};

  // Polled every `poll_interval` while the child runs; when it reads true (or `cancelled` returns
  // true) the child's process group is killed and the result is Cancelled. Borrowed: must outlive
  // the call. nullptr / empty = not cancellable.
  const std::atomic<bool>* cancel_flag = nullptr;
  std::function<bool()> cancelled;

  // A non-zero exit or death by signal is an error (Internal, see RunProcess) when true; when false
  // it is reported only in ProcessResult.
  bool check_exit = true;

  // Name used in messages and logs; empty = basename of argv[0].
  std::string tool_name;

  // --- performance / limits ---

  // How much of the end of stderr is kept (bytes). Older output is dropped.
  std::size_t stderr_tail_bytes = 16 * 1024;

  // Upper bound of captured stdout in RunProcess (bytes); more is an error (Internal) and the child
  // is killed. RunProcessStreaming does not buffer stdout and ignores this.
  std::size_t max_stdout_bytes = 256u * 1024 * 1024;

  // How often the cancel flag, callback and timeout are checked while waiting.
  std::chrono::milliseconds poll_interval{50};

  // After SIGTERM on cancel/timeout, wait this long before SIGKILL.
  std::chrono::milliseconds kill_grace{2000};
};

struct ProcessResult {
  // Exit status when the child exited normally, else -1.
  int exit_code = -1;
  // Signal that ended the child, else 0.
  int term_signal = 0;
  // Everything written to stdout (RunProcess only; empty for RunProcessStreaming).
  std::string stdout_data;
  // The last `stderr_tail_bytes` of stderr, NOT redacted (callers log it through RedactSecrets).
  std::string stderr_tail;
  // Wall time from start to exit.
  std::chrono::milliseconds elapsed{0};

  bool success() const { return exit_code == 0; }
};

// Runs the command to completion, capturing stdout and the tail of stderr. Blocks.
// Returns the result on normal completion (and on any exit when !check_exit).
// Errors:
//   InvalidArgument   - argv empty.
//   NotFound          - the program or the run-as user / path does not exist.
//   FailedPrecondition- the program cannot be executed (permission), or working_dir is unusable.
//   Cancelled         - cancel flag/callback fired, or the timeout expired (child killed).
//   Internal          - non-zero exit / signal (when check_exit): "<tool> exited with code N:
//                       <redacted stderr tail>"; or stdout exceeded max_stdout_bytes; or a system
//                       call failed.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

// Like RunProcess, but each chunk of stdout is handed to `on_stdout` as it arrives instead of being
// buffered (result.stdout_data stays empty). A non-OK Status from `on_stdout` kills the child and is
// returned as is. `on_stdout` runs on the calling thread; the view is valid only during the call.
Result<ProcessResult> RunProcessStreaming(const ProcessOptions& options,
                                          const std::function<Status(std::string_view)>& on_stdout);

// Returns `text` with secrets replaced by "****": the value of every `password=...` / `password: ...`
// (also PGPASSWORD=..., quoted or not), and the password of URLs `scheme://user:secret@host`.
// Pure; safe on any text.
std::string RedactSecrets(std::string_view text);

// The argv as a single line for logs: arguments joined by spaces, quoted when they contain spaces,
// then redacted with RedactSecrets. Never executed.
std::string FormatCommandLine(const std::vector<std::string>& argv);

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;  // empty when the uid has no passwd entry
  std::string home;  // empty when unknown
};

// uid/gid/home of the named account. NotFound when there is no such user.
Result<UserIds> LookupUser(std::string_view name);
// uid of the owner of `path` and that user's primary gid (the file's gid if the uid has no passwd
// entry). NotFound when the path does not exist.
Result<UserIds> LookupOwnerOf(std::string_view path);
// True when the effective uid is 0.
bool RunningAsRoot();

}  // namespace tpd::engines

#endif  // TPD_ENGINES_PROCESS_H_
