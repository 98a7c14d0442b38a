#include "engines/postgres/freeze.h"

#include <thread>

#include "provider/log.h"

namespace tpd::engines::postgres {
namespace {

using Clock = std::chrono::steady_clock;

// A fresh session sees the reloaded setting once the postmaster has processed SIGHUP.
Status WaitForSetting(Connection& admin, std::string_view want, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto fresh = Connection::Connect(admin.conninfo());
    if (!fresh.ok()) return fresh.status().WithContext("checking the read-only setting");
    auto v = (*fresh)->QueryString("SHOW default_transaction_read_only");
    if (!v.ok()) return v.status();
    if (*v == want) return Status::Ok();
    if (Clock::now() > deadline) {
      return Status::Internal("default_transaction_read_only is still '" + *v + "' after reload, expected '" +
                              std::string(want) + "'");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<int64_t> Terminate(Connection& admin, std::string_view where) {
  std::string sql =
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND ";
  sql += where;
  return admin.QueryInt(sql);
}

}  // namespace

Result<bool> IsFrozen(Connection& admin) {
  auto r = admin.QueryValue(
      "SELECT setting FROM pg_file_settings WHERE name = 'default_transaction_read_only' "
      "AND sourcefile LIKE '%postgresql.auto.conf' AND applied ORDER BY seqno DESC LIMIT 1");
  if (!r.ok()) {
    if (r.status().IsNotFound()) return false;
    return r.status();
  }
  return r->has_value() && (**r == "on" || **r == "true" || **r == "1");
}

Result<FreezeReport> FreezeWrites(Connection& admin, const FreezeOptions& options) {
  TPD_ASSIGN_OR_RETURN(bool super, admin.QueryBool("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
  if (!super) {
    return Status::FailedPrecondition("freezing writes needs a superuser connection; the role of " +
                                      admin.conninfo().Redacted() + " is not a superuser");
  }
  auto fail = [&](Status s) -> Status {
    (void)UnfreezeWrites(admin);  // best effort: the server keeps taking writes
    return s;
  };
  Status s = admin.Exec("ALTER SYSTEM SET default_transaction_read_only = on");
  if (s.ok()) s = admin.Exec("SELECT pg_reload_conf()");
  if (!s.ok()) return fail(s.WithContext("setting default_transaction_read_only"));
  s = WaitForSetting(admin, "on", options.reload_timeout);
  if (!s.ok()) return fail(s);

  FreezeReport report;
  if (options.terminate_sessions) {
    auto n = Terminate(admin, "true");
    if (!n.ok()) return fail(n.status().WithContext("terminating sessions"));
    report.sessions_terminated = *n;
  } else {
    // Let writers in flight finish; terminate what is still writing after the drain timeout.
    auto deadline = Clock::now() + options.drain_timeout;
    for (;;) {
      auto open = admin.QueryInt(
          "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
          "AND backend_type = 'client backend' AND backend_xid IS NOT NULL");
      if (!open.ok()) return fail(open.status());
      if (*open == 0) break;
      if (Clock::now() > deadline) {
        auto n = Terminate(admin, "backend_xid IS NOT NULL");
        if (!n.ok()) return fail(n.status().WithContext("terminating writing sessions"));
        report.sessions_terminated = *n;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // Terminated backends release their transactions asynchronously: wait until no other transaction
  // holding an xid remains, so the LSN below bounds every commit.
  auto deadline = Clock::now() + options.reload_timeout;
  for (;;) {
    auto open = admin.QueryInt(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND backend_xid IS NOT NULL");
    if (!open.ok()) return fail(open.status());
    if (*open == 0) break;
    if (Clock::now() > deadline) {
      return fail(Status::Internal(std::to_string(*open) + " write transactions still open after the freeze"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto lsn = admin.QueryString("SELECT pg_current_wal_lsn()::text");
  if (!lsn.ok()) return fail(lsn.status());
  report.freeze_lsn = *lsn;
  log::Info("writes frozen", {{"server", admin.conninfo().Redacted()},
                              {"sessions_terminated", report.sessions_terminated},
                              {"lsn", report.freeze_lsn}});
  return report;
}

Status UnfreezeWrites(Connection& admin) {
  // Our own session may have picked up the frozen default; ALTER SYSTEM does not need it, but the
  // SET keeps this session usable for the caller afterwards.
  TPD_RETURN_IF_ERROR(admin.Exec("SET default_transaction_read_only = off"));
  TPD_RETURN_IF_ERROR(admin.Exec("ALTER SYSTEM RESET default_transaction_read_only"));
  TPD_RETURN_IF_ERROR(admin.Exec("SELECT pg_reload_conf()"));
  Status s = WaitForSetting(admin, "off", std::chrono::seconds(10));
  if (s.ok()) log::Info("writes unfrozen", {{"server", admin.conninfo().Redacted()}});
  return s;
}

}  // namespace tpd::engines::postgres
