// Write freeze: makes a PostgreSQL server refuse writes, cluster-wide, for a cutover.
//
// Mechanism (works on 10+ and needs a superuser):
//  1. ALTER SYSTEM SET default_transaction_read_only = on; SELECT pg_reload_conf();
//     Every new transaction, in every database and in every existing session that has not overridden
//     the setting, is READ ONLY from then on: an INSERT fails with SQLSTATE 25006 "cannot execute
//     INSERT in a read-only transaction". Writes fail loudly; none is silently lost.
//  2. Waits until a fresh session sees the setting (the reload is asynchronous).
//  3. Sessions that could still write are ended: with terminate_sessions, every other client
//     backend (never walsenders: a logical replication stream must keep flowing); otherwise only
//     sessions inside a transaction that holds a transaction id (a write in progress) once
//     drain_timeout has passed. Their uncommitted work rolls back and their clients see an error.
//  After FreezeWrites returns OK, every write the server acknowledged is committed and visible, and
//  pg_current_wal_lsn() bounds all of them.
//
// UnfreezeWrites resets the setting (ALTER SYSTEM RESET) and reloads. A freeze survives a provider
// crash (it lives in postgresql.auto.conf); IsFrozen tells whether a server is frozen by us.
//
// All functions block and do I/O on `admin`; `admin` must not be one of the sessions to terminate
// (it is excluded by pid) and must be a superuser connection.
#ifndef TPD_ENGINES_POSTGRES_FREEZE_H_
#define TPD_ENGINES_POSTGRES_FREEZE_H_

#include <chrono>
#include <cstdint>

#include "engines/postgres/connection.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

struct FreezeOptions {
  // End every other client session (default), or only those with a write in progress.
  bool terminate_sessions = true;
  // With !terminate_sessions: how long open write transactions may take to finish before they are
  // terminated. Default 10 s.
  std::chrono::milliseconds drain_timeout{10000};
  // How long to wait for the reload to take effect before failing (Internal). Default 10 s.
  std::chrono::milliseconds reload_timeout{10000};
};

struct FreezeReport {
  int64_t sessions_terminated = 0;
  // The WAL position after the freeze took effect: every acknowledged write is at or before it.
  std::string freeze_lsn;
};

// Freezes writes as described above. Errors: FailedPrecondition when `admin` is not a superuser
// (message says so), Unavailable/Cancelled from the connection, Internal when the setting does not
// take effect in time. On error the setting is reset again (best effort) so the server keeps taking
// writes.
Result<FreezeReport> FreezeWrites(Connection& admin, const FreezeOptions& options = {});

// Resets the freeze. OK also when the server was not frozen.
Status UnfreezeWrites(Connection& admin);

// True when postgresql.auto.conf (pg_file_settings) sets default_transaction_read_only = on.
Result<bool> IsFrozen(Connection& admin);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_FREEZE_H_
