// Connection: one libpq connection (PGconn), owned, with Status-returning helpers.
//
// - Nothing throws. Every failure is a Status whose message never contains the password.
// - Every call that talks to the server blocks, but waits in short slices so that Cancel() from
//   another thread, or the `cancel_flag` given at Connect, stops it (the server query is cancelled
//   with PQcancel and the call returns Cancelled).
// - Results are text: every value is a std::optional<std::string> (nullopt = SQL NULL).
//
// Error codes of query calls (Query, Exec, QueryValue ...), from the server's SQLSTATE:
//   Cancelled          57014 (query_canceled), or cancelled by us
//   Unavailable        class 08 (connection exception), 57P01-57P03 (shutdown), lost connection
//   NotFound           42P01 undefined_table, 42704 undefined_object, 3D000 invalid_catalog_name,
//                      3F000 invalid_schema_name, 42883 undefined_function
//   FailedPrecondition 42501 insufficient_privilege, class 55 (object not in prerequisite state),
//                      class 25 (invalid transaction state), 53xxx (insufficient resources)
//   InvalidArgument    other class 42 (syntax error, ...), class 22 (data exception), class 23
//                      (integrity constraint violation)
//   Internal           anything else
// Messages look like "query failed on 127.0.0.1:5432 (SQLSTATE 42P01): relation \"t\" does not
// exist"; last_sqlstate() gives the code for callers that need to branch on it.
//
// Thread-safety: a Connection is used by one thread at a time, except Cancel(), which may be called
// from any thread at any time while the Connection is alive.
#ifndef TPD_ENGINES_POSTGRES_CONNECTION_H_
#define TPD_ENGINES_POSTGRES_CONNECTION_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/postgres/conninfo.h"
#include "schema/status.h"

// libpq types, forward-declared so that users of this header need not include libpq-fe.h.
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef struct pg_cancel PGcancel;

namespace tpd::engines::postgres {

struct ConnectOptions {
  // --- behaviour ---

  // Give up connecting after this long (covers DNS, TCP, TLS and authentication) -> Unavailable.
  // Default 10 s. The URL's own connect_timeout parameter, when given, wins.
  std::chrono::milliseconds connect_timeout{10000};

  // application_name reported to the server (pg_stat_activity), unless the URL sets one.
  std::string application_name = "terraform-provider-database";

  // Borrowed; must outlive the Connection. When it reads true, connecting and every running call
  // stop with Cancelled (running queries are cancelled on the server). nullptr = not used.
  const std::atomic<bool>* cancel_flag = nullptr;

  // Sent as SET statement_timeout after connecting; zero = server default (usually none).
  std::chrono::milliseconds statement_timeout{0};
};

// Rows of a query, as text.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  // Rows affected (INSERT/UPDATE/DELETE/COPY ...), from the command tag; 0 when none.
  int64_t affected_rows = 0;
  // The command tag, e.g. "SELECT 3", "CREATE TABLE".
  std::string command_tag;

  // Index of the column named `name`, or -1.
  int ColumnIndex(std::string_view name) const;
  // Value at `row`, column `name`. REQUIRES: row < rows.size(). nullopt when NULL or no such column.
  std::optional<std::string> Get(std::size_t row, std::string_view name) const;
  bool empty() const { return rows.empty(); }
};

// A query parameter ($1, $2 ...) in text form; nullopt = SQL NULL.
using Param = std::optional<std::string>;

// Totals of a COPY.
struct CopyStats {
  int64_t rows = 0;   // from the receiving side's command tag ("COPY n"); 0 for CopyOut alone
  int64_t bytes = 0;  // bytes of COPY data moved
};

class Connection {
 public:
  // Opens a connection. Blocks up to options.connect_timeout.
  // Errors (messages name user, database and host:port, never the password):
  //   Unavailable     - host unreachable, refused, DNS failure, timeout, server starting/shutting down.
  //   InvalidArgument - authentication failed: "authentication failed for user \"X\" on host:port:
  //                     <reason>" (wrong password, no password given, no pg_hba.conf entry, role
  //                     does not exist).
  //   NotFound        - the database does not exist: "database \"X\" does not exist on host:port".
  //   FailedPrecondition - server refuses for other reasons (too many connections, TLS required).
  //   Cancelled       - options.cancel_flag fired.
  static Result<std::unique_ptr<Connection>> Connect(const ConnInfo& info, const ConnectOptions& options = {});

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- queries ---

  // Runs one statement with parameters $1..$n (PQexecParams; text in, text out).
  Result<QueryResult> Query(std::string_view sql, const std::vector<Param>& params = {});
  // Runs `sql`, which may hold several statements separated by ';' (simple protocol), and discards
  // rows. Fails at the first failing statement.
  Status Exec(std::string_view sql);
  // One statement with parameters; rows discarded. Returns rows affected.
  Result<int64_t> ExecParams(std::string_view sql, const std::vector<Param>& params);
  // First column of the first row. NotFound when there is no row; nullopt when the value is NULL.
  Result<std::optional<std::string>> QueryValue(std::string_view sql, const std::vector<Param>& params = {});
  // Like QueryValue but NULL is an error (Internal).
  Result<std::string> QueryString(std::string_view sql, const std::vector<Param>& params = {});
  // Like QueryString, parsed as a signed 64-bit integer (Internal if it is not one).
  Result<int64_t> QueryInt(std::string_view sql, const std::vector<Param>& params = {});
  // Like QueryString, true for "t"/"true"/"on"/"1".
  Result<bool> QueryBool(std::string_view sql, const std::vector<Param>& params = {});

  // --- transactions ---

  // BEGIN [mode], e.g. Begin("ISOLATION LEVEL REPEATABLE READ, READ ONLY").
  Status Begin(std::string_view mode = {});
  Status Commit();
  Status Rollback();
  // Begin(mode), body(), Commit(); on a failing body (or commit) rolls back and returns the body's
  // Status. REQUIRES: not already in a transaction.
  Status InTransaction(const std::function<Status()>& body, std::string_view mode = {});
  // True while a transaction block is open (PQtransactionStatus).
  bool in_transaction() const;

  // --- COPY streaming ---
  //
  // COPY OUT: BeginCopyOut("COPY t TO STDOUT"), then ReadCopyData until it returns false.
  // COPY IN:  BeginCopyIn("COPY t FROM STDIN"), PutCopyData... then EndCopyIn (or AbortCopyIn).
  // Data is passed through unchanged, so any COPY format (text, csv, binary) works as long as both
  // sides use the same one. While a COPY is in progress no other call may be made on this
  // Connection (Internal).

  // Sends the COPY ... TO STDOUT statement. InvalidArgument if it is not a COPY OUT statement.
  Status BeginCopyOut(std::string_view copy_sql, const std::vector<Param>& params = {});
  // Replaces *chunk with the next piece of data (usually one row) and returns true; returns false
  // (chunk empty) when the COPY has finished successfully. Errors as for queries.
  Result<bool> ReadCopyData(std::string* chunk);
  // Rows the server sent in the last COPY OUT that finished successfully (its "COPY n" command
  // tag: every row of the table, or of the query, in the transaction's snapshot); -1 before any.
  int64_t last_copy_out_rows() const { return last_copy_out_rows_; }
  // Sends the COPY ... FROM STDIN statement. InvalidArgument if it is not a COPY IN statement.
  Status BeginCopyIn(std::string_view copy_sql, const std::vector<Param>& params = {});
  // Sends data (any split; rows may span calls).
  Status PutCopyData(std::string_view data);
  // Finishes the COPY IN; returns the rows the server stored.
  Result<int64_t> EndCopyIn();
  // Aborts the COPY IN; the server rolls the COPY back. Returns OK when the abort was delivered.
  Status AbortCopyIn(std::string_view reason);
  // Runs a whole COPY OUT, handing each chunk to `sink`; a non-OK sink Status stops the COPY (the
  // query is cancelled) and is returned. Returns bytes moved.
  Result<CopyStats> CopyOut(std::string_view copy_sql, const std::function<Status(std::string_view)>& sink);

  // --- state ---

  // Asks the server to cancel the statement running on this connection (PQcancel). Safe to call
  // from any thread at any time; a call with nothing running is harmless. The interrupted call
  // returns Cancelled. Returns Unavailable if the cancel request could not be sent.
  Status Cancel();

  // PQserverVersion, e.g. 130023 or 90624.
  int server_version_num() const { return server_version_num_; }
  // The server's version string as reported at startup, e.g. "13.23" or "17.2 (Debian 17.2-1)".
  std::string server_version() const;
  // SQLSTATE of the last failed call, empty when the last call succeeded or failed client-side.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  const ConnInfo& conninfo() const { return info_; }
  // True if the connection is still usable (PQstatus == CONNECTION_OK).
  bool ok() const;
  // Borrowed escape hatch for libpq calls not wrapped here; valid for the Connection's lifetime.
  PGconn* raw() const { return conn_; }

  // Quotes a string as a SQL literal using the server's rules (PQescapeLiteral). Internal on
  // invalid encoding.
  Result<std::string> QuoteLiteral(std::string_view value) const;

 private:
  Connection(PGconn* conn, ConnInfo info, const std::atomic<bool>* cancel_flag);

  // Sends a query (PQsendQueryParams, or PQsendQuery when !use_params) and waits for its results.
  // Returns the last result; stops early (returning it) at a COPY result.
  struct ResultDeleter {
    void operator()(PGresult* r) const;
  };
  using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;
  Result<ResultPtr> Execute(std::string_view sql, const std::vector<Param>& params, bool use_params);
  Status ErrorFromResult(const PGresult* res, std::string_view what);
  Status ConnectionLost(std::string_view what);
  bool CancelRequested() const;

  // Constant after construction.
  PGconn* const conn_;
  const ConnInfo info_;  // holds the password; only Redacted()/Endpoint() are ever printed
  const std::atomic<bool>* const cancel_flag_;
  const int server_version_num_;

  // Guards cancel_ for Cancel() from other threads.
  std::mutex cancel_mu_;
  PGcancel* cancel_ = nullptr;  // guarded by cancel_mu_

  // Used by the owning thread only.
  std::string last_sqlstate_;
  enum class CopyState { kNone, kOut, kIn } copy_state_ = CopyState::kNone;
  int64_t last_copy_out_rows_ = -1;
};

// Streams the result of `copy_out_sql` on `from` (e.g. "COPY public.t TO STDOUT (FORMAT binary)")
// into `copy_in_sql` on `to` (e.g. "COPY public.t FROM STDIN (FORMAT binary)") without a file.
// Blocks until done. On any failure the COPY IN is aborted (the target stores nothing) and the
// first error is returned, with context saying which side failed. Returns rows stored and bytes.
// REQUIRES: `from` and `to` are distinct connections, neither in a COPY.
Result<CopyStats> StreamCopy(Connection& from, std::string_view copy_out_sql, Connection& to,
                             std::string_view copy_in_sql);

// Quotes an identifier for SQL: wraps in double quotes, doubling embedded ones. Pure.
std::string QuoteIdent(std::string_view name);
// "schema"."name" with both parts quoted.
std::string QuoteQualified(std::string_view schema, std::string_view name);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_CONNECTION_H_
