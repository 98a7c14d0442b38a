#include "engines/postgres/verify.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engines/postgres/connection.h"
#include "engines/postgres/sequences.h"

namespace tpd::engines::postgres {

namespace {

// Output settings that make row::text identical across server majors for the same data.
constexpr std::string_view kStableOutput =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
    "SET extra_float_digits = 3; SET bytea_output = 'hex'";

constexpr std::string_view kListTables = R"sql(
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2)sql";

std::string Qualified(const std::string& s, const std::string& t) { return s + "." + t; }

ConnectOptions Opts(const std::atomic<bool>* cancel) {
  ConnectOptions o;
  o.cancel_flag = cancel;
  return o;
}

Result<std::set<std::string>> ExtensionNames(Connection& c) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, c.Query("SELECT extname FROM pg_extension ORDER BY 1"));
  std::set<std::string> out;
  for (const auto& row : r.rows) out.insert(row[0].value_or(""));
  return out;
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) {
    if (!out.empty()) out += ", ";
    out += x;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ListUserTables(Connection& conn) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, conn.Query(kListTables));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : r.rows) out.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return out;
}

Result<int64_t> CountRows(Connection& conn, const std::string& schema, const std::string& table) {
  return conn.QueryInt("SELECT count(*) FROM ONLY " + QuoteQualified(schema, table));
}

Result<std::string> TableChecksum(Connection& conn, const std::string& schema, const std::string& table) {
  TPD_RETURN_IF_ERROR(conn.Exec(kStableOutput));
  // First 64 bits of each row's md5 as a signed bigint, summed (numeric: no overflow). Order-free.
  return conn.QueryString("SELECT coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0)::text FROM ONLY " +
                          QuoteQualified(schema, table) + " AS t");
}

Result<VerifyReport> Verify(const ConnInfo& source, const ConnInfo& target, const VerifyOptions& options,
                            VerifyReport* mismatch_report) {
  TPD_ASSIGN_OR_RETURN(auto src, Connection::Connect(source, Opts(options.cancel_flag)));
  TPD_ASSIGN_OR_RETURN(auto dst, Connection::Connect(target, Opts(options.cancel_flag)));
  TPD_ASSIGN_OR_RETURN(auto src_tables, ListUserTables(*src));
  TPD_ASSIGN_OR_RETURN(auto dst_tables, ListUserTables(*dst));

  VerifyReport report;
  std::vector<std::string> mismatches;  // first by sorted order of the check
  std::set<std::pair<std::string, std::string>> dst_set(dst_tables.begin(), dst_tables.end());
  std::vector<TableCheck> checks;
  for (const auto& [s, t] : src_tables) {
    TableCheck c;
    c.schema = s;
    c.name = t;
    if (!dst_set.count({s, t})) c.match = false;
    checks.push_back(std::move(c));
  }
  std::set<std::pair<std::string, std::string>> src_set(src_tables.begin(), src_tables.end());

  // Count/checksum tables in parallel on connection pairs.
  if (options.row_counts || options.checksums) {
    std::atomic<size_t> next{0};
    std::mutex mu;
    Status first_error;
    int workers = std::max(1, std::min<int>(options.parallelism, static_cast<int>(checks.size())));
    auto work = [&](Connection* a, Connection* b) {
      std::unique_ptr<Connection> own_a, own_b;
      if (a == nullptr) {
        auto ca = Connection::Connect(source, Opts(options.cancel_flag));
        auto cb = Connection::Connect(target, Opts(options.cancel_flag));
        if (!ca.ok() || !cb.ok()) {
          std::lock_guard<std::mutex> l(mu);
          if (first_error.ok()) first_error = !ca.ok() ? ca.status() : cb.status();
          return;
        }
        own_a = std::move(*ca);
        own_b = std::move(*cb);
        a = own_a.get();
        b = own_b.get();
      }
      for (;;) {
        {
          std::lock_guard<std::mutex> l(mu);
          if (!first_error.ok()) return;
        }
        size_t i = next.fetch_add(1);
        if (i >= checks.size()) return;
        TableCheck& c = checks[i];
        if (!c.match) continue;  // missing on target
        Status st;
        // Both sides of a table are read at the same time (one thread each).
        auto side = [&](Connection& conn, int64_t* rows, std::string* sum) -> Status {
          TPD_ASSIGN_OR_RETURN(*rows, CountRows(conn, c.schema, c.name));
          if (options.checksums) {
            TPD_ASSIGN_OR_RETURN(*sum, TableChecksum(conn, c.schema, c.name));
          }
          return Status::Ok();
        };
        auto run = [&]() -> Status {
          Status sa;
          std::thread other;
          const int64_t* precounted = nullptr;
          if (options.source_row_counts != nullptr && !options.checksums) {
            auto it = options.source_row_counts->find({c.schema, c.name});
            if (it != options.source_row_counts->end()) precounted = &it->second;
          }
          if (precounted != nullptr) {
            c.source_rows = *precounted;
          } else {
            other = std::thread([&] { sa = side(*a, &c.source_rows, &c.source_checksum); });
          }
          Status sb = side(*b, &c.target_rows, &c.target_checksum);
          if (other.joinable()) other.join();
          TPD_RETURN_IF_ERROR(sa);
          TPD_RETURN_IF_ERROR(sb);
          if (c.source_rows != c.target_rows) c.match = false;
          if (options.checksums && c.source_checksum != c.target_checksum) c.match = false;
          return Status::Ok();
        };
        st = run();
        if (!st.ok()) {
          std::lock_guard<std::mutex> l(mu);
          if (first_error.ok()) first_error = st.WithContext("verify " + Qualified(c.schema, c.name));
          return;
        }
      }
    };
    std::vector<std::thread> threads;
    for (int w = 1; w < workers; ++w) threads.emplace_back(work, nullptr, nullptr);
    work(src.get(), dst.get());
    for (auto& th : threads) th.join();
    if (!first_error.ok()) return first_error;
  }

  for (const TableCheck& c : checks) {
    std::string name = Qualified(c.schema, c.name);
    if (!dst_set.count({c.schema, c.name})) {
      std::string m = "table " + name + " missing on the target";
      report.lines.push_back(name + ": MISSING on the target");
      mismatches.push_back(m);
      continue;
    }
    if (c.source_rows != c.target_rows) {
      report.lines.push_back(name + ": " + std::to_string(c.source_rows) + " rows on the source, " +
                             std::to_string(c.target_rows) + " on the target");
      mismatches.push_back(name + " has " + std::to_string(c.source_rows) + " rows on the source and " +
                           std::to_string(c.target_rows) + " on the target");
      continue;
    }
    if (options.checksums && c.source_checksum != c.target_checksum) {
      report.lines.push_back(name + ": checksum " + c.source_checksum + " on the source, " + c.target_checksum +
                             " on the target");
      mismatches.push_back("checksum of " + name + " differs");
      continue;
    }
    if (options.row_counts || options.checksums) {
      std::string line = name + ": " + std::to_string(c.source_rows) + " rows";
      if (options.checksums) line += ", checksum " + c.source_checksum;
      report.lines.push_back(line + " on both sides");
    }
  }
  for (const auto& t : dst_tables) {
    if (!src_set.count(t)) report.lines.push_back(Qualified(t.first, t.second) + ": only on the target (ignored)");
  }
  report.tables = checks;

  if (options.sequences) {
    TPD_ASSIGN_OR_RETURN(auto sa, ReadSequences(*src));
    TPD_ASSIGN_OR_RETURN(auto sb, ReadSequences(*dst));
    std::map<std::string, SequenceValue> mb;
    for (const auto& v : sb) mb[v.QualifiedName()] = v;
    int equal = 0;
    for (const auto& v : sa) {
      auto it = mb.find(v.QualifiedName());
      if (it == mb.end()) {
        report.lines.push_back("sequence " + v.QualifiedName() + ": MISSING on the target");
        mismatches.push_back("sequence " + v.QualifiedName() + " missing on the target");
      } else if (!(it->second == v)) {
        std::string a = std::to_string(v.last_value) + (v.is_called ? "" : " (not called)");
        std::string b = std::to_string(it->second.last_value) + (it->second.is_called ? "" : " (not called)");
        report.lines.push_back("sequence " + v.QualifiedName() + ": " + a + " on the source, " + b + " on the target");
        mismatches.push_back("sequence " + v.QualifiedName() + ": " + a + " on the source, " + b + " on the target");
      } else {
        ++equal;
      }
    }
    report.lines.push_back("sequences: " + std::to_string(equal) + " equal");
  }
  if (options.extensions) {
    TPD_ASSIGN_OR_RETURN(auto ea, ExtensionNames(*src));
    TPD_ASSIGN_OR_RETURN(auto eb, ExtensionNames(*dst));
    std::set<std::string> missing;
    for (const auto& e : ea) {
      if (!eb.count(e)) missing.insert(e);
    }
    if (missing.empty()) {
      report.lines.push_back("extensions: " + Join(ea) + " on both sides");
    } else {
      report.lines.push_back("extensions missing on the target: " + Join(missing));
      mismatches.push_back("extensions missing on the target: " + Join(missing));
    }
  }
  if (options.large_objects) {
    constexpr std::string_view q = "SELECT count(*) FROM pg_largeobject_metadata";
    TPD_ASSIGN_OR_RETURN(int64_t la, src->QueryInt(q));
    TPD_ASSIGN_OR_RETURN(int64_t lb, dst->QueryInt(q));
    if (la == lb) {
      report.lines.push_back("large objects: " + std::to_string(la) + " on both sides");
    } else {
      report.lines.push_back("large objects: " + std::to_string(la) + " on the source, " + std::to_string(lb) +
                             " on the target");
      mismatches.push_back("large objects: " + std::to_string(la) + " on the source, " + std::to_string(lb) +
                           " on the target");
    }
  }
  if (!mismatches.empty()) {
    if (mismatch_report != nullptr) *mismatch_report = report;
    return Status::FailedPrecondition("verification failed: " + mismatches.front());
  }
  return report;
}

}  // namespace tpd::engines::postgres
