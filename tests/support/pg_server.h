// PgServer: a real, throw-away PostgreSQL server for unit and acceptance tests.
//
// Start() creates a temporary directory /tmp/tpd-pg<major>-XXXXXX holding
//   data/      the cluster (initdb -U postgres -E UTF8 --no-locale)
//   sock/      the unix-socket directory
//   server.log the server log (pg_ctl -l)
// listens on 127.0.0.1:<a free port>, and gives the superuser `postgres` a password checked over
// TCP (scram-sha-256 by default, md5 on request); local socket connections are trusted. When the
// test runs as root, initdb/pg_ctl/postgres run as the unprivileged user TPD_PG_USER ("tpdpg") and
// the directory is chowned to it (PostgreSQL refuses to run as root).
//
// The destructor stops the server (pg_ctl stop -m fast, then -m immediate, then SIGKILL of the
// process group) and removes the directory (kept when the environment has TPD_KEEP_PG=1).
//
// Servers of one process or of parallel test processes never collide: each has its own directory,
// socket dir and port (a port is picked by binding 127.0.0.1:0; a start that loses a port race is
// retried on another port).
//
// Thread-safety: a PgServer is used from one thread at a time.
#ifndef TPD_TESTS_SUPPORT_PG_SERVER_H_
#define TPD_TESTS_SUPPORT_PG_SERVER_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/postgres/conninfo.h"
#include "engines/postgres/connection.h"
#include "schema/status.h"

namespace tpd::testsupport {

struct PgServerOptions {
  // Major version: 13, 14, 16, 17 from the embedded cache (TPD_PG_CACHE_DIR/<major>/bin, only
  // initdb/pg_ctl/postgres), or 13/15 from Debian's /usr/lib/postgresql/<major>/bin when `debian`.
  int major = 17;
  bool debian = false;
  // Overrides the binary directory chosen from major/debian. Empty = derived.
  std::string bin_dir;

  // Extra postgresql.conf settings, NAME, VALUE (VALUE written as is: quote strings yourself, e.g.
  // {"wal_level", "logical"}, {"log_line_prefix", "'%m '"}). Applied after our defaults.
  std::vector<std::pair<std::string, std::string>> settings;

  // Password of the superuser `postgres` for TCP connections.
  std::string password = "tpd-test-secret";
  // pg_hba.conf method for TCP: "scram-sha-256" or "md5" (password_encryption follows).
  std::string auth_method = "scram-sha-256";

  // false: initdb only, the server is not started (call Launch() later, e.g. after pg_upgrade).
  bool start = true;

  // Limit for initdb and for the server to accept connections.
  std::chrono::seconds start_timeout{90};
};

class PgServer {
 public:
  // Creates the cluster and (when options.start) starts it and sets the password. Blocks.
  // Errors: NotFound if the binaries for the major are missing; Internal/Unavailable with the tail
  // of initdb's output or of the server log when initdb or the start fails.
  static Result<std::unique_ptr<PgServer>> Start(PgServerOptions options);

  // Where the binaries of (major, debian) live; true if initdb is there.
  static std::string BinDirFor(int major, bool debian);
  static bool Available(int major, bool debian = false);

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  int major() const { return options_.major; }
  // postgres://postgres@127.0.0.1:PORT/postgres (no password; see password()).
  std::string url() const;
  const std::string& password() const { return options_.password; }
  // ConnInfo for `dbname` over TCP, with the password.
  engines::postgres::ConnInfo conninfo(std::string_view dbname = "postgres") const;
  const std::string& base_dir() const { return base_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& bin_dir() const { return bin_dir_; }
  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& log_path() const { return log_path_; }
  // The user the server runs as ("tpdpg" when we are root, else empty = us).
  const std::string& run_as_user() const { return run_as_; }
  bool running() const { return running_; }

  // Starts the postmaster of the existing cluster (pg_ctl start -w); no-op when running.
  Status Launch();
  // Fast shutdown (pg_ctl stop -m fast -w); no-op when not running.
  Status Stop();
  // SIGKILL the postmaster and all its backends (fault tests), wait until they are dead and remove
  // the stale postmaster.pid, so that Launch()/Restart() can start the cluster again (with crash
  // recovery).
  Status Kill();
  // Stop() (when running) then Launch(). Port, password and settings are kept.
  Status Restart();

  // Connects as postgres over TCP with the password.
  Result<std::unique_ptr<engines::postgres::Connection>> Connect(std::string_view dbname = "postgres") const;
  // Runs `sql` (may hold several statements) in `dbname` as postgres.
  Status Exec(std::string_view sql, std::string_view dbname = "postgres") const;
  // Runs one query and returns its rows.
  Result<engines::postgres::QueryResult> Query(std::string_view sql, std::string_view dbname = "postgres") const;
  // Last `max_bytes` of the server log (for failure messages).
  std::string LogTail(std::size_t max_bytes = 4000) const;

 private:
  explicit PgServer(PgServerOptions options) : options_(std::move(options)) {}
  Status Init();
  Status LaunchOnce();
  Status SetPassword();
  Status WriteConf(bool initial);

  PgServerOptions options_;
  std::string base_dir_, data_dir_, bin_dir_, socket_dir_, log_path_, run_as_;
  int port_ = 0;
  bool running_ = false;
  bool password_set_ = false;
};

// Picks a TCP port on 127.0.0.1 that is free right now (bind to port 0). 0 on failure.
int PickFreePort();

}  // namespace tpd::testsupport

#endif  // TPD_TESTS_SUPPORT_PG_SERVER_H_
