// Verify: is the target database's data the source database's data?
//
// Run it when nothing writes to the source any more (after the write freeze), so every check must
// match exactly. Checks, each producing one line for the `verification` attribute:
//   - row counts: exact count(*) of every user table (relkind r and p children counted via their
//     leaf tables; ONLY each table) on both sides
//       "public.accounts: 6000000 rows on both sides"
//   - checksums (optional): an order-independent digest of each table's rows, computed on the
//     server: sum over rows of the first 64 bits of md5(row::text), as a decimal. Sessions on both
//     sides use the same output settings (TimeZone UTC, DateStyle ISO, IntervalStyle postgres,
//     extra_float_digits 3, bytea_output hex), so the row text is identical on 13..17 for the same
//     data and column order (pg_dump keeps column order).
//       "public.accounts: checksum 1234567890 on both sides"
//   - sequences: every sequence's last_value/is_called equal (sequences.h)
//       "sequences: 3 equal"
//   - extensions: same set of extension names installed (versions may differ: the target may
//     ship newer ones)
//       "extensions: hstore, plpgsql on both sides"
//   - large objects: same count
//       "large objects: 2 on both sides"
// Tables are checked in parallel on `parallelism` connection pairs; the two sides of a table are
// read concurrently.
//
// Thread-safety: Verify is thread-safe; it opens its own connections. Blocks.
#ifndef TPD_ENGINES_POSTGRES_VERIFY_H_
#define TPD_ENGINES_POSTGRES_VERIFY_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engines/postgres/conninfo.h"
#include "schema/status.h"

namespace tpd::engines::postgres {

class Connection;

struct VerifyOptions {
  // --- behaviour ---
  bool row_counts = true;   // exact per-table row counts
  bool checksums = false;   // per-table checksums (reads every row on both sides)
  bool sequences = true;    // compare sequence positions
  bool extensions = true;   // compare installed extension names
  bool large_objects = true;  // compare large object counts
  // Borrowed; true -> running queries are cancelled and Cancelled returned. nullptr = not used.
  const std::atomic<bool>* cancel_flag = nullptr;
  // Exact row counts of source tables taken earlier, keyed by {schema, table}: dump_restore passes
  // the rows the source reported for its COPYs, in a snapshot taken after the write freeze, so
  // they are the source's counts now. A table listed here is not counted on the source again
  // (unless checksums are on, which read the source anyway); tables not listed are counted.
  // Borrowed; may be null.
  const std::map<std::pair<std::string, std::string>, int64_t>* source_row_counts = nullptr;
  // --- performance ---
  // Tables checked concurrently (connection pairs), >= 1.
  int parallelism = 1;
};

struct TableCheck {
  std::string schema;
  std::string name;
  int64_t source_rows = -1;  // -1 when not counted
  int64_t target_rows = -1;
  std::string source_checksum;  // empty when not computed
  std::string target_checksum;
  bool match = true;
};

struct VerifyReport {
  // One line per check as shown above, tables sorted by schema.name, then sequences, extensions,
  // large objects.
  std::vector<std::string> lines;
  std::vector<TableCheck> tables;
};

// Runs the enabled checks between the databases of `source` and `target`.
// Returns the report when everything matches. Errors:
//   FailedPrecondition - a mismatch; the message names the first mismatching table (sorted order)
//     or check, e.g. "verification failed: public.accounts has 6000000 rows on the source and
//     5999000 on the target" / "table public.x missing on the target" / "checksum of public.t
//     differs" / "sequence public.s: 42 on the source, 1 on the target"; `mismatch_report` (when
//     non-null) receives the full report including the mismatching lines;
//   Unavailable, Cancelled, Internal from the connections.
Result<VerifyReport> Verify(const ConnInfo& source, const ConnInfo& target, const VerifyOptions& options,
                            VerifyReport* mismatch_report = nullptr);

// Building blocks (one table, one connection); used by Verify and by tests.
// Exact row count of `schema.table` (ONLY). Errors: NotFound (no such table), Unavailable, Internal.
Result<int64_t> CountRows(Connection& conn, const std::string& schema, const std::string& table);
// The checksum described above for `schema.table` (ONLY), as a decimal string ("0" for an empty
// table). Sets the session's output settings first (SET, not reset afterwards).
Result<std::string> TableChecksum(Connection& conn, const std::string& schema, const std::string& table);
// User tables (relkind r, and p's leaves through their own entries) of the database as
// {schema, name}, sorted. Excludes system schemas and extension member tables.
Result<std::vector<std::pair<std::string, std::string>>> ListUserTables(Connection& conn);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_VERIFY_H_
