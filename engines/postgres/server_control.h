// Server control: stopping and starting a PostgreSQL cluster given by its data directory, for the
// in_place method (engines/postgres/in_place.h).
//
// Two ways, chosen by ServerControlOptions::command:
//   - empty: pg_ctl from `bin_dir` on `data_dir` (`pg_ctl -D <data_dir> -m fast -w stop`,
//     `pg_ctl -D <data_dir> -l <log_file> -w start`). When we run as root, pg_ctl runs as the owner
//     of the data directory (PostgreSQL refuses to run as root; engines/process.h run_as_owner_of).
//   - non-empty: the user's command (source.stop_command / target.start_command, e.g.
//     "systemctl stop postgresql@13-main") through `/bin/sh -c`, as we are (systemctl needs root).
//     After it returns, StopServer still waits until the postmaster is gone (postmaster.pid
//     removed), so "stopped" means the same thing either way.
//
// "Running" means: <data_dir>/postmaster.pid names a live, non-zombie process. The postmaster
// removes the file when it exits, so a file naming a dead pid is a crashed server.
//
// Thread-safety: all functions are thread-safe (no shared state). They block.
#ifndef TPD_ENGINES_POSTGRES_SERVER_CONTROL_H_
#define TPD_ENGINES_POSTGRES_SERVER_CONTROL_H_

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "engines/postgres/conninfo.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

struct ServerControlOptions {
  // --- behaviour ---
  // The cluster's data directory. REQUIRES: non-empty.
  std::string data_dir;
  // Directory holding pg_ctl (used when `command` is empty).
  std::string bin_dir;
  // Shell command replacing pg_ctl (run through /bin/sh -c as the current user); empty = pg_ctl.
  std::string command;
  // pg_ctl -l: the server's stderr log for starts. Empty = <data_dir>/pg_ctl.log. Must be writable
  // by the data directory's owner.
  std::string log_file;
  // Limit for the whole start or stop (pg_ctl -t, and waiting for postmaster.pid to go away).
  // Default 5 minutes: a fast shutdown writes a checkpoint, which can take a while.
  std::chrono::seconds timeout{300};
  // Borrowed; when it reads true the tool is killed and Cancelled returned. nullptr = not used.
  const std::atomic<bool>* cancel_flag = nullptr;
};

// Pid of the postmaster when the cluster in `data_dir` is running, nullopt when it is not (no
// postmaster.pid, or it names a dead or zombie process). Never fails.
std::optional<int> RunningPostmasterPid(const std::string& data_dir);

// Stops the server as described above (fast shutdown: sessions end, open transactions roll back,
// everything committed is checkpointed). OK when it was not running. Errors: NotFound (pg_ctl
// missing in bin_dir), Cancelled, Internal (pg_ctl or the command failed: exit code and redacted
// stderr tail), Unavailable (still running after the timeout).
Status StopServer(const ServerControlOptions& options);

// Starts the server and waits until pg_ctl reports it started (pg_ctl -w), or, with a command, until
// the command returned. OK when it was already running. Errors as for StopServer; a failed start's
// message includes the tail of the log file (pg_ctl case).
Status StartServer(const ServerControlOptions& options);

// Waits until `conn` accepts a connection (a successful login), polling every 100 ms up to
// `timeout`. A server that is starting up, refusing or unreachable is retried; an authentication
// failure or a missing database (the server answered) is returned at once. Errors: Unavailable on
// timeout (last connection error in the message), Cancelled, the connection's error otherwise.
Status WaitAcceptingConnections(const ConnInfo& conn, std::chrono::milliseconds timeout,
                                const std::atomic<bool>* cancel_flag = nullptr);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_SERVER_CONTROL_H_
