#include "engines/postgres/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "engines/postgres/libpq_lazy.h"
#include "engines/process.h"
#include "provider/log.h"

namespace tpd::engines::postgres {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPollSliceMs = 100;

// Collapses libpq's multi-line messages into one line and removes secrets.
std::string CleanMessage(std::string_view raw) {
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return RedactSecrets(out);
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The server's reason after libpq's "connection to server at ... failed: " prefix and "FATAL:".
std::string Reason(const std::string& msg) {
  std::string r = msg;
  if (auto p = r.rfind("failed: "); p != std::string::npos) r = r.substr(p + 8);
  if (r.rfind("FATAL: ", 0) == 0) r = r.substr(7);
  return r;
}

void NoticeToLog(void* /*arg*/, const char* message) {
  log::Debug("postgres notice", {{"notice", CleanMessage(message ? message : "")}});
}

Status ClassifyConnectFailure(PGconn* conn, const ConnInfo& info) {
  const std::string msg = CleanMessage(PQerrorMessage(conn));
  std::string user = info.user();
  if (user.empty() && PQuser(conn) != nullptr) user = PQuser(conn);
  std::string db = info.dbname();
  if (db.empty() && PQdb(conn) != nullptr) db = PQdb(conn);
  const std::string where = " on " + info.Endpoint();

  if (Contains(msg, "database \"") && Contains(msg, "does not exist")) {
    return Status::NotFound("database \"" + db + "\" does not exist" + where);
  }
  if (PQconnectionNeedsPassword(conn) || Contains(msg, "no password supplied")) {
    return Status::InvalidArgument("authentication failed for user \"" + user + "\"" + where +
                                   ": the server requires a password and none was given");
  }
  if (Contains(msg, "authentication failed") || Contains(msg, "pg_hba.conf") ||
      (Contains(msg, "role \"") && Contains(msg, "does not exist")) || Contains(msg, "SCRAM") ||
      Contains(msg, "password")) {
    return Status::InvalidArgument("authentication failed for user \"" + user + "\"" + where + ": " + Reason(msg));
  }
  if (Contains(msg, "too many clients") || Contains(msg, "connection slots are reserved") ||
      Contains(msg, "SSL") || Contains(msg, "is not permitted to log in") ||
      Contains(msg, "not currently accepting connections")) {
    return Status::FailedPrecondition("server" + where + " refused the connection: " + Reason(msg));
  }
  return Status::Unavailable("cannot connect to PostgreSQL" + where + ": " + msg);
}

Status FromSqlState(const std::string& state, std::string msg) {
  auto cls = state.substr(0, 2);
  if (state == "57014") return Status::Cancelled(std::move(msg));
  if (cls == "08" || state == "57P01" || state == "57P02" || state == "57P03") {
    return Status::Unavailable(std::move(msg));
  }
  if (state == "42P01" || state == "42704" || state == "3D000" || state == "3F000" || state == "42883") {
    return Status::NotFound(std::move(msg));
  }
  if (state == "42501" || cls == "55" || cls == "25" || cls == "53") return Status::FailedPrecondition(std::move(msg));
  if (cls == "42" || cls == "22" || cls == "23") return Status::InvalidArgument(std::move(msg));
  return Status::Internal(std::move(msg));
}

Result<int64_t> ParseInt64(std::string_view text, std::string_view what) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Status::Internal(std::string(what) + ": expected an integer, got \"" + std::string(text.substr(0, 40)) + "\"");
  }
  return v;
}

// Waits for the socket to become readable (or writable), at most `ms`.
int PollSocket(int fd, bool for_write, int ms) {
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  return ::poll(&p, 1, ms);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// QueryResult

int QueryResult::ColumnIndex(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::optional<std::string> QueryResult::Get(std::size_t row, std::string_view name) const {
  int i = ColumnIndex(name);
  if (i < 0 || row >= rows.size()) return std::nullopt;
  return rows[row][static_cast<std::size_t>(i)];
}

// ---------------------------------------------------------------------------------------------
// Connection

void Connection::ResultDeleter::operator()(PGresult* r) const { PQclear(r); }

Result<std::unique_ptr<Connection>> Connection::Connect(const ConnInfo& info, const ConnectOptions& options) {
  auto kw = info.ToLibpqKeywords(/*include_password=*/true);
  auto has = [&](std::string_view key) {
    return std::any_of(kw.begin(), kw.end(), [&](const auto& p) { return p.first == key; });
  };
  auto timeout = options.connect_timeout;
  if (auto t = info.Param("connect_timeout"); t && !t->empty()) {
    timeout = std::chrono::seconds(std::max(2, std::atoi(t->c_str())));
  } else {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
    kw.emplace_back("connect_timeout", std::to_string(std::max<int64_t>(2, secs)));
  }
  if (!has("application_name") && !options.application_name.empty()) {
    kw.emplace_back("application_name", options.application_name);
  }
  if (!has("client_encoding")) kw.emplace_back("client_encoding", "UTF8");

  std::vector<const char*> keys, values;
  for (const auto& [k, v] : kw) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);

  TPD_RETURN_IF_ERROR(LoadLibpq());
  PGconn* conn = PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn == nullptr) return Status::Internal("cannot allocate a PostgreSQL connection (out of memory)");
  auto fail = [&](Status s) -> Result<std::unique_ptr<Connection>> {
    PQfinish(conn);
    return s;
  };
  if (PQstatus(conn) == CONNECTION_BAD) return fail(ClassifyConnectFailure(conn, info));

  const auto deadline = Clock::now() + timeout;
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK) {
    if (st == PGRES_POLLING_FAILED) return fail(ClassifyConnectFailure(conn, info));
    bool ready = false;
    while (!ready) {
      if (options.cancel_flag && options.cancel_flag->load()) {
        return fail(Status::Cancelled("connecting to " + info.Endpoint() + " was cancelled"));
      }
      if (Clock::now() > deadline) {
        return fail(Status::Unavailable(
            "cannot connect to PostgreSQL on " + info.Endpoint() + ": timed out after " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) + " ms"));
      }
      int fd = PQsocket(conn);
      if (fd < 0) return fail(ClassifyConnectFailure(conn, info));
      int rc = PollSocket(fd, st == PGRES_POLLING_WRITING, kPollSliceMs);
      ready = rc != 0;  // readable/writable, or an error that PQconnectPoll will report
    }
    st = PQconnectPoll(conn);
  }

  PQsetNoticeProcessor(conn, &NoticeToLog, nullptr);
  std::unique_ptr<Connection> c(new Connection(conn, info, options.cancel_flag));
  if (options.statement_timeout.count() > 0) {
    TPD_RETURN_IF_ERROR(
        c->Exec("SET statement_timeout = " + std::to_string(options.statement_timeout.count())));
  }
  return c;
}

Connection::Connection(PGconn* conn, ConnInfo info, const std::atomic<bool>* cancel_flag)
    : conn_(conn), info_(std::move(info)), cancel_flag_(cancel_flag), server_version_num_(PQserverVersion(conn)) {
  cancel_ = PQgetCancel(conn_);
}

Connection::~Connection() {
  {
    std::lock_guard<std::mutex> lock(cancel_mu_);
    if (cancel_ != nullptr) PQfreeCancel(cancel_);
    cancel_ = nullptr;
  }
  PQfinish(conn_);
}

bool Connection::CancelRequested() const { return cancel_flag_ != nullptr && cancel_flag_->load(); }

bool Connection::ok() const { return PQstatus(conn_) == CONNECTION_OK; }

bool Connection::in_transaction() const {
  auto t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

std::string Connection::server_version() const {
  const char* v = PQparameterStatus(conn_, "server_version");
  return v ? v : "";
}

Status Connection::Cancel() {
  std::lock_guard<std::mutex> lock(cancel_mu_);
  if (cancel_ == nullptr) return Status::Unavailable("cannot cancel: no cancel handle for " + info_.Endpoint());
  char err[256] = {0};
  if (PQcancel(cancel_, err, sizeof(err)) == 0) {
    return Status::Unavailable("cannot send a cancel request to " + info_.Endpoint() + ": " + CleanMessage(err));
  }
  return Status::Ok();
}

Status Connection::ConnectionLost(std::string_view what) {
  return Status::Unavailable(std::string(what) + " on " + info_.Endpoint() +
                             ": connection lost: " + CleanMessage(PQerrorMessage(conn_)));
}

Status Connection::ErrorFromResult(const PGresult* res, std::string_view what) {
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
  const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
  last_sqlstate_ = state ? state : "";
  std::string msg = std::string(what) + " on " + info_.Endpoint();
  if (!last_sqlstate_.empty()) msg += " (SQLSTATE " + last_sqlstate_ + ")";
  msg += ": ";
  if (primary) {
    msg += CleanMessage(primary);
  } else {
    msg += CleanMessage(PQresultErrorMessage(res));
  }
  if (detail) msg += " DETAIL: " + CleanMessage(detail);
  if (hint) msg += " HINT: " + CleanMessage(hint);
  if (last_sqlstate_.empty()) {
    if (PQstatus(conn_) != CONNECTION_OK) return Status::Unavailable(std::move(msg));
    return Status::Internal(std::move(msg));
  }
  return FromSqlState(last_sqlstate_, std::move(msg));
}

Result<Connection::ResultPtr> Connection::Execute(std::string_view sql, const std::vector<Param>& params,
                                                  bool use_params) {
  last_sqlstate_.clear();
  if (copy_state_ != CopyState::kNone) {
    return Status::Internal("a COPY is in progress on this connection; finish it before running queries");
  }
  if (CancelRequested()) return Status::Cancelled("cancelled before running a query on " + info_.Endpoint());
  const std::string text(sql);
  int sent;
  if (use_params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    sent = PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                             nullptr, 0);
  } else {
    sent = PQsendQuery(conn_, text.c_str());
  }
  if (!sent) return ConnectionLost("cannot send a query");

  ResultPtr last;
  Status first_error;
  bool cancel_sent = false;
  while (true) {
    while (PQisBusy(conn_)) {
      if (!cancel_sent && CancelRequested()) {
        (void)Cancel();
        cancel_sent = true;
      }
      int fd = PQsocket(conn_);
      if (fd < 0) return ConnectionLost("query failed");
      int rc = PollSocket(fd, false, kPollSliceMs);
      if (rc < 0 && errno != EINTR) return Status::Internal(std::string("poll failed: ") + std::strerror(errno));
      if (!PQconsumeInput(conn_)) return ConnectionLost("query failed");
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    ResultPtr rp(r);
    switch (PQresultStatus(r)) {
      case PGRES_COPY_OUT:
      case PGRES_COPY_IN:
      case PGRES_COPY_BOTH:
        return rp;
      case PGRES_FATAL_ERROR:
      case PGRES_BAD_RESPONSE:
      case PGRES_NONFATAL_ERROR:
        if (first_error.ok()) first_error = ErrorFromResult(r, "query failed");
        break;
      default:
        last = std::move(rp);
    }
  }
  if (!first_error.ok()) {
    if (cancel_sent && first_error.IsCancelled()) {
      return Status::Cancelled("query on " + info_.Endpoint() + " was cancelled");
    }
    return first_error;
  }
  if (!last) {
    if (PQstatus(conn_) != CONNECTION_OK) return ConnectionLost("query failed");
    return Status::Internal("query on " + info_.Endpoint() + " returned no result");
  }
  return last;
}

namespace {
QueryResult ToQueryResult(const PGresult* r) {
  QueryResult out;
  const int ncols = PQnfields(r);
  const int nrows = PQntuples(r);
  out.columns.reserve(ncols);
  for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(r, c));
  out.rows.reserve(nrows);
  for (int i = 0; i < nrows; ++i) {
    std::vector<std::optional<std::string>> row;
    row.reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(r, i, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c))));
      }
    }
    out.rows.push_back(std::move(row));
  }
  const char* tuples = PQcmdTuples(const_cast<PGresult*>(r));
  if (tuples && *tuples) out.affected_rows = std::atoll(tuples);
  const char* tag = PQcmdStatus(const_cast<PGresult*>(r));
  out.command_tag = tag ? tag : "";
  return out;
}
}  // namespace

Result<QueryResult> Connection::Query(std::string_view sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(ResultPtr r, Execute(sql, params, /*use_params=*/true));
  if (PQresultStatus(r.get()) == PGRES_COPY_OUT || PQresultStatus(r.get()) == PGRES_COPY_IN) {
    return Status::InvalidArgument("Query() cannot run COPY; use the COPY functions");
  }
  return ToQueryResult(r.get());
}

Status Connection::Exec(std::string_view sql) {
  TPD_ASSIGN_OR_RETURN(ResultPtr r, Execute(sql, {}, /*use_params=*/false));
  if (PQresultStatus(r.get()) == PGRES_COPY_OUT || PQresultStatus(r.get()) == PGRES_COPY_IN) {
    return Status::InvalidArgument("Exec() cannot run COPY; use the COPY functions");
  }
  return Status::Ok();
}

Result<int64_t> Connection::ExecParams(std::string_view sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, Query(sql, params));
  return r.affected_rows;
}

Result<std::optional<std::string>> Connection::QueryValue(std::string_view sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, Query(sql, params));
  if (r.rows.empty() || r.rows[0].empty()) {
    return Status::NotFound("query on " + info_.Endpoint() + " returned no rows");
  }
  return r.rows[0][0];
}

Result<std::string> Connection::QueryString(std::string_view sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(std::optional<std::string> v, QueryValue(sql, params));
  if (!v) return Status::Internal("query on " + info_.Endpoint() + " returned NULL where a value was expected");
  return std::move(*v);
}

Result<int64_t> Connection::QueryInt(std::string_view sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(std::string v, QueryString(sql, params));
  return ParseInt64(v, "query result");
}

Result<bool> Connection::QueryBool(std::string_view sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(std::string v, QueryString(sql, params));
  return v == "t" || v == "true" || v == "on" || v == "1";
}

Status Connection::Begin(std::string_view mode) {
  std::string sql = "BEGIN";
  if (!mode.empty()) sql += " " + std::string(mode);
  return Exec(sql);
}

Status Connection::Commit() { return Exec("COMMIT"); }
Status Connection::Rollback() { return Exec("ROLLBACK"); }

Status Connection::InTransaction(const std::function<Status()>& body, std::string_view mode) {
  TPD_RETURN_IF_ERROR(Begin(mode));
  Status s = body();
  if (s.ok()) {
    s = Commit();
    if (s.ok()) return s;
  }
  if (in_transaction() && copy_state_ == CopyState::kNone) (void)Rollback();
  return s;
}

Result<std::string> Connection::QuoteLiteral(std::string_view value) const {
  char* q = PQescapeLiteral(conn_, value.data(), value.size());
  if (q == nullptr) return Status::Internal("cannot quote a literal: " + CleanMessage(PQerrorMessage(conn_)));
  std::string out(q);
  PQfreemem(q);
  return out;
}

// --- COPY ---

Status Connection::BeginCopyOut(std::string_view copy_sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(ResultPtr r, Execute(copy_sql, params, /*use_params=*/true));
  auto st = PQresultStatus(r.get());
  if (st == PGRES_COPY_IN) {
    copy_state_ = CopyState::kIn;
    (void)AbortCopyIn("wrong direction");
    return Status::InvalidArgument("BeginCopyOut needs COPY ... TO STDOUT, got a COPY FROM STDIN");
  }
  if (st != PGRES_COPY_OUT) return Status::InvalidArgument("BeginCopyOut needs a COPY ... TO STDOUT statement");
  copy_state_ = CopyState::kOut;
  return Status::Ok();
}

Result<bool> Connection::ReadCopyData(std::string* chunk) {
  chunk->clear();
  if (copy_state_ != CopyState::kOut) return Status::Internal("ReadCopyData called without a COPY OUT in progress");
  bool cancel_sent = false;
  while (true) {
    char* buf = nullptr;
    int n = PQgetCopyData(conn_, &buf, /*async=*/1);
    if (n > 0) {
      chunk->assign(buf, static_cast<std::size_t>(n));
      PQfreemem(buf);
      return true;
    }
    if (n == 0) {
      if (!cancel_sent && CancelRequested()) {
        (void)Cancel();
        cancel_sent = true;
      }
      int fd = PQsocket(conn_);
      if (fd < 0) {
        copy_state_ = CopyState::kNone;
        return ConnectionLost("COPY failed");
      }
      (void)PollSocket(fd, false, kPollSliceMs);
      if (!PQconsumeInput(conn_)) {
        copy_state_ = CopyState::kNone;
        return ConnectionLost("COPY failed");
      }
      continue;
    }
    // n == -1: done (the final result follows); n == -2: error.
    copy_state_ = CopyState::kNone;
    Status first_error;
    if (n == -2) first_error = ConnectionLost("COPY failed");
    int64_t rows = -1;
    while (PGresult* r = PQgetResult(conn_)) {
      ResultPtr rp(r);
      auto st = PQresultStatus(r);
      if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && first_error.ok()) {
        first_error = ErrorFromResult(r, "COPY failed");
      }
      if (st == PGRES_COMMAND_OK) {
        const char* tuples = PQcmdTuples(r);
        int64_t n = 0;
        if (tuples != nullptr && std::from_chars(tuples, tuples + std::strlen(tuples), n).ec == std::errc()) rows = n;
      }
    }
    if (!first_error.ok()) {
      if (cancel_sent && first_error.IsCancelled()) return Status::Cancelled("COPY on " + info_.Endpoint() + " was cancelled");
      return first_error;
    }
    last_copy_out_rows_ = rows;
    return false;
  }
}

Status Connection::BeginCopyIn(std::string_view copy_sql, const std::vector<Param>& params) {
  TPD_ASSIGN_OR_RETURN(ResultPtr r, Execute(copy_sql, params, /*use_params=*/true));
  auto st = PQresultStatus(r.get());
  if (st == PGRES_COPY_OUT) {
    copy_state_ = CopyState::kOut;
    (void)Cancel();
    std::string ignored;
    while (true) {
      auto more = ReadCopyData(&ignored);
      if (!more.ok() || !*more) break;
    }
    return Status::InvalidArgument("BeginCopyIn needs COPY ... FROM STDIN, got a COPY TO STDOUT");
  }
  if (st != PGRES_COPY_IN) return Status::InvalidArgument("BeginCopyIn needs a COPY ... FROM STDIN statement");
  copy_state_ = CopyState::kIn;
  return Status::Ok();
}

Status Connection::PutCopyData(std::string_view data) {
  if (copy_state_ != CopyState::kIn) return Status::Internal("PutCopyData called without a COPY IN in progress");
  if (CancelRequested()) {
    (void)AbortCopyIn("cancelled");
    return Status::Cancelled("COPY on " + info_.Endpoint() + " was cancelled");
  }
  while (!data.empty()) {
    // libpq takes an int length.
    const std::size_t piece = std::min<std::size_t>(data.size(), 1u << 30);
    if (PQputCopyData(conn_, data.data(), static_cast<int>(piece)) != 1) {
      copy_state_ = CopyState::kNone;
      return ConnectionLost("COPY failed");
    }
    data.remove_prefix(piece);
  }
  return Status::Ok();
}

Result<int64_t> Connection::EndCopyIn() {
  if (copy_state_ != CopyState::kIn) return Status::Internal("EndCopyIn called without a COPY IN in progress");
  copy_state_ = CopyState::kNone;
  if (PQputCopyEnd(conn_, nullptr) != 1) return ConnectionLost("COPY failed");
  int64_t rows = 0;
  Status first_error;
  bool cancel_sent = false;
  while (true) {
    while (PQisBusy(conn_)) {
      if (!cancel_sent && CancelRequested()) {
        (void)Cancel();
        cancel_sent = true;
      }
      int fd = PQsocket(conn_);
      if (fd < 0) return ConnectionLost("COPY failed");
      (void)PollSocket(fd, false, kPollSliceMs);
      if (!PQconsumeInput(conn_)) return ConnectionLost("COPY failed");
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    ResultPtr rp(r);
    auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK) {
      const char* t = PQcmdTuples(r);
      if (t && *t) rows = std::atoll(t);
    } else if (first_error.ok()) {
      first_error = ErrorFromResult(r, "COPY failed");
    }
  }
  if (!first_error.ok()) return first_error;
  return rows;
}

Status Connection::AbortCopyIn(std::string_view reason) {
  if (copy_state_ != CopyState::kIn) return Status::Internal("AbortCopyIn called without a COPY IN in progress");
  copy_state_ = CopyState::kNone;
  const std::string text(reason.empty() ? "aborted by client" : reason);
  if (PQputCopyEnd(conn_, text.c_str()) != 1) return ConnectionLost("COPY abort failed");
  // Drain: the server answers with an error for the aborted COPY.
  while (true) {
    while (PQisBusy(conn_)) {
      int fd = PQsocket(conn_);
      if (fd < 0) return ConnectionLost("COPY abort failed");
      (void)PollSocket(fd, false, kPollSliceMs);
      if (!PQconsumeInput(conn_)) return ConnectionLost("COPY abort failed");
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    PQclear(r);
  }
  last_sqlstate_.clear();
  return Status::Ok();
}

Result<CopyStats> Connection::CopyOut(std::string_view copy_sql, const std::function<Status(std::string_view)>& sink) {
  TPD_RETURN_IF_ERROR(BeginCopyOut(copy_sql));
  CopyStats stats;
  std::string chunk;
  while (true) {
    TPD_ASSIGN_OR_RETURN(bool more, ReadCopyData(&chunk));
    if (!more) break;
    stats.bytes += static_cast<int64_t>(chunk.size());
    Status s = sink(chunk);
    if (!s.ok()) {
      (void)Cancel();
      while (true) {
        auto r = ReadCopyData(&chunk);
        if (!r.ok() || !*r) break;
      }
      return s;
    }
  }
  return stats;
}

Result<CopyStats> StreamCopy(Connection& from, std::string_view copy_out_sql, Connection& to,
                             std::string_view copy_in_sql) {
  TPD_RETURN_IF_ERROR(to.BeginCopyIn(copy_in_sql).WithContext("COPY into target"));
  Status s = from.BeginCopyOut(copy_out_sql);
  if (!s.ok()) {
    (void)to.AbortCopyIn("source failed");
    return s.WithContext("COPY from source");
  }
  CopyStats stats;
  std::string chunk;
  while (true) {
    auto more = from.ReadCopyData(&chunk);
    if (!more.ok()) {
      (void)to.AbortCopyIn("source failed");
      return more.status().WithContext("COPY from source");
    }
    if (!*more) break;
    stats.bytes += static_cast<int64_t>(chunk.size());
    Status put = to.PutCopyData(chunk);
    if (!put.ok()) {
      (void)from.Cancel();
      while (true) {
        auto r = from.ReadCopyData(&chunk);
        if (!r.ok() || !*r) break;
      }
      return put.WithContext("COPY into target");
    }
  }
  auto rows = to.EndCopyIn();
  if (!rows.ok()) return rows.status().WithContext("COPY into target");
  stats.rows = *rows;
  return stats;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteQualified(std::string_view schema, std::string_view name) {
  return QuoteIdent(schema) + "." + QuoteIdent(name);
}

}  // namespace tpd::engines::postgres
