#include "engines/postgres/dump_restore.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engines/postgres/backup.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/copy_trim.h"
#include "engines/postgres/freeze.h"
#include "engines/postgres/schema_copy.h"
#include "engines/postgres/sequences.h"
#include "engines/postgres/tools.h"
#include "engines/postgres/verify.h"
#include "provider/log.h"

namespace tpd::engines::postgres {

namespace {

// Scratch keys (persisted in the journal): never rename.
constexpr char kKeyBackupPath[] = "backup.path";
constexpr char kKeyPreDataBegun[] = "restore_pre_data.begun";
constexpr char kKeyCreatedDb[] = "restore_pre_data.created_db";
constexpr char kKeySchemasBefore[] = "restore_pre_data.schemas_before";
constexpr char kKeyExtensionsBefore[] = "restore_pre_data.extensions_before";
constexpr char kKeyRolesCreated[] = "restore_pre_data.roles_created";
constexpr char kKeyVerification[] = "verify.lines";
constexpr char kKeySourceRows[] = "copy_data.source_rows";  // JSON [[schema, table, rows], ...]

// Objects that count as "user objects" in the target database: relations, routines and types
// outside the system schemas that are not members of an extension.
constexpr std::string_view kUserObjects = R"sql(
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r','p','v','m','S','f')
          AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
          AND n.nspname NOT LIKE 'pg_temp%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e'))
     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog','information_schema')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e'))
     + (SELECT count(*) FROM pg_largeobject_metadata))sql";

ConnectOptions Opts(const UpgradeSpec& spec) {
  ConnectOptions o;
  o.cancel_flag = spec.stop;
  return o;
}

const ConnInfo& Src(const UpgradeSpec& s) { return *s.source.conn; }
const ConnInfo& Tgt(const UpgradeSpec& s) { return *s.target.conn; }
// The target server's maintenance database (to create/drop the target database).
ConnInfo TgtAdmin(const UpgradeSpec& s) {
  return Tgt(s).WithDatabase(Tgt(s).dbname() == "postgres" ? "template1" : "postgres");
}
std::string TargetDb(const UpgradeSpec& s) {
  if (!Tgt(s).dbname().empty()) return Tgt(s).dbname();
  return Tgt(s).user().empty() ? "postgres" : Tgt(s).user();
}

std::string SchemaDumpPath(StepContext& ctx) { return (ctx.paths().run_dir / "schema.dump").string(); }

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}
std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += x + "\n";
  return out;
}

SchemaCopyOptions SchemaOpts(const UpgradeSpec& spec, int source_major) {
  SchemaCopyOptions o;
  o.source_major = source_major;
  o.tool_paths = spec.tool_paths;
  o.cancel_flag = spec.stop;
  o.jobs = std::max(1, spec.parallelism);
  return o;
}

// ---------------------------------------------------------------- precheck

Status Precheck(const UpgradeSpec& spec, StepContext& ctx) {
  TPD_ASSIGN_OR_RETURN(auto src, Connection::Connect(Src(spec), Opts(spec)));
  TPD_ASSIGN_OR_RETURN(auto admin, Connection::Connect(TgtAdmin(spec), Opts(spec)));
  int smaj = src->server_version_num() / 10000;
  int tmaj = admin->server_version_num() / 10000;
  if (tmaj < smaj) {
    return Status::FailedPrecondition("the target server " + Tgt(spec).Endpoint() + " runs PostgreSQL " +
                                      admin->server_version() + ", older than the source's " +
                                      src->server_version() + "; dump_restore only goes to a newer major");
  }
  if (spec.target_major > 0 && tmaj != spec.target_major) {
    return Status::FailedPrecondition("the target server " + Tgt(spec).Endpoint() + " runs PostgreSQL " +
                                      admin->server_version() + ", not the requested major " +
                                      std::to_string(spec.target_major));
  }
  ToolSearchOptions so;
  so.tool_paths = spec.tool_paths;
  so.min_major = smaj;
  for (const char* tool : {"pg_dump", "pg_restore"}) {
    auto t = FindTool(tool, so);
    if (!t.ok()) return t.status();
  }
  if (Src(spec).SameServer(Tgt(spec))) {
    return Status::FailedPrecondition("source and target are the same server (" + Src(spec).Endpoint() + ")");
  }
  TPD_ASSIGN_OR_RETURN(bool super, src->QueryBool("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
  if (!super && spec.block_writes) {
    return Status::FailedPrecondition("freezing writes on the source needs a superuser; connect as one or set "
                                      "cutover.block_writes = false");
  }
  // The target database must hold nothing of ours yet, unless an interrupted run of this upgrade
  // created it (the resumed steps clear their own leftovers).
  bool resumed = ctx.Get(kKeyPreDataBegun).value_or("") == "1";
  TPD_ASSIGN_OR_RETURN(bool exists,
                       admin->QueryBool("SELECT count(*) > 0 FROM pg_database WHERE datname = $1", {TargetDb(spec)}));
  if (exists && !resumed) {
    TPD_ASSIGN_OR_RETURN(auto tgt, Connection::Connect(Tgt(spec), Opts(spec)));
    TPD_ASSIGN_OR_RETURN(int64_t n, tgt->QueryInt(kUserObjects));
    if (n > 0) {
      return Status::FailedPrecondition("the target database \"" + TargetDb(spec) + "\" on " + Tgt(spec).Endpoint() +
                                        " is not empty (" + std::to_string(n) +
                                        " tables, views, sequences, functions or large objects); dump_restore needs an "
                                        "empty or missing target database");
    }
  }
  if (!exists || !resumed) {
    // Extensions: checked against the server (any database sees pg_available_extensions).
    TPD_RETURN_IF_ERROR(CheckExtensionsAvailable(*src, *admin));
  }
  if (spec.backup_enabled) {
    std::string dir = spec.backup_dir.empty() ? ctx.paths().backup_dir.string() : spec.backup_dir;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::FailedPrecondition("cannot create the backup directory " + dir + ": " + ec.message());
    auto space = std::filesystem::space(dir, ec);
    TPD_ASSIGN_OR_RETURN(int64_t dbsize, src->QueryInt("SELECT pg_database_size(current_database())"));
    // A compressed custom-format dump is rarely above half the database size (indexes are not dumped).
    if (!ec && static_cast<int64_t>(space.available) < dbsize / 2) {
      return Status::FailedPrecondition("not enough space for the backup in " + dir + ": " +
                                        std::to_string(space.available) + " bytes free, about " +
                                        std::to_string(dbsize / 2) + " needed (database is " + std::to_string(dbsize) +
                                        " bytes); free space, set backup.dir elsewhere, or disable the backup");
    }
  }
  log::Info("dump_restore precheck passed",
            {{"source", Src(spec).Redacted()}, {"target", Tgt(spec).Redacted()},
             {"source_version", src->server_version()}, {"target_version", admin->server_version()}});
  return Status::Ok();
}

// ---------------------------------------------------------------- target reset (undo)

// Brings the target database back to what it was before restore_pre_data: dropped when we created
// it; otherwise the schemas, extensions and objects we created are dropped (precheck verified it
// held no user objects).
Status ResetTarget(const UpgradeSpec& spec, StepContext& ctx) {
  if (ctx.Get(kKeyPreDataBegun).value_or("") != "1") return Status::Ok();
  if (ctx.Get(kKeyCreatedDb).value_or("") == "1") {
    TPD_ASSIGN_OR_RETURN(auto admin, Connection::Connect(TgtAdmin(spec)));
    if (admin->server_version_num() >= 130000) {
      TPD_RETURN_IF_ERROR(admin->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(TargetDb(spec)) + " WITH (FORCE)"));
    } else {
      TPD_RETURN_IF_ERROR(admin->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(TargetDb(spec))));
    }
  } else {
    auto tgt_or = Connection::Connect(Tgt(spec));
    if (!tgt_or.ok() && !tgt_or.status().IsNotFound()) return tgt_or.status();
    if (tgt_or.ok()) {
      Connection& tgt = **tgt_or;
      std::set<std::string> schemas_before, ext_before;
      for (auto& s : SplitLines(ctx.Get(kKeySchemasBefore).value_or(""))) schemas_before.insert(s);
      for (auto& s : SplitLines(ctx.Get(kKeyExtensionsBefore).value_or(""))) ext_before.insert(s);
      TPD_ASSIGN_OR_RETURN(QueryResult exts, tgt.Query("SELECT extname FROM pg_extension"));
      for (const auto& row : exts.rows) {
        if (!ext_before.count(row[0].value_or(""))) {
          TPD_RETURN_IF_ERROR(tgt.Exec("DROP EXTENSION IF EXISTS " + QuoteIdent(row[0].value_or("")) + " CASCADE"));
        }
      }
      TPD_ASSIGN_OR_RETURN(QueryResult schemas,
                           tgt.Query("SELECT nspname FROM pg_namespace WHERE nspname NOT IN "
                                     "('pg_catalog','information_schema') AND nspname NOT LIKE 'pg_toast%' "
                                     "AND nspname NOT LIKE 'pg_temp%'"));
      for (const auto& row : schemas.rows) {
        std::string n = row[0].value_or("");
        if (!schemas_before.count(n)) {
          TPD_RETURN_IF_ERROR(tgt.Exec("DROP SCHEMA IF EXISTS " + QuoteIdent(n) + " CASCADE"));
        }
      }
      // Objects in schemas that existed before (public): relations, routines, types.
      TPD_ASSIGN_OR_RETURN(QueryResult rels, tgt.Query(R"sql(
SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                      WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','v','m','S','f')
  AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype IN ('e','i','a')))sql"));
      for (const auto& row : rels.rows) {
        TPD_RETURN_IF_ERROR(tgt.Exec("DROP " + row[0].value_or("") + " IF EXISTS " + row[1].value_or("") + " CASCADE"));
      }
      TPD_ASSIGN_OR_RETURN(QueryResult procs, tgt.Query(R"sql(
SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog','information_schema')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e'))sql"));
      for (const auto& row : procs.rows) {
        TPD_RETURN_IF_ERROR(tgt.Exec("DROP ROUTINE IF EXISTS " + row[0].value_or("") + " CASCADE"));
      }
      TPD_ASSIGN_OR_RETURN(QueryResult types, tgt.Query(R"sql(
SELECT t.oid::regtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND t.typtype IN ('c','d','e','r') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                  AND d.deptype = 'e'))sql"));
      for (const auto& row : types.rows) {
        TPD_RETURN_IF_ERROR(tgt.Exec("DROP TYPE IF EXISTS " + row[0].value_or("") + " CASCADE"));
      }
      TPD_RETURN_IF_ERROR(tgt.Exec("SELECT lo_unlink(oid) FROM pg_largeobject_metadata"));
    }
  }
  auto roles = SplitLines(ctx.Get(kKeyRolesCreated).value_or(""));
  if (!roles.empty()) {
    TPD_ASSIGN_OR_RETURN(auto admin, Connection::Connect(TgtAdmin(spec)));
    TPD_RETURN_IF_ERROR(DropRoles(*admin, roles));
  }
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyPreDataBegun, "0"));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyCreatedDb, "0"));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyRolesCreated, ""));
  return Status::Ok();
}

// ---------------------------------------------------------------- restore_pre_data

Status RestorePre(const UpgradeSpec& spec, StepContext& ctx) {
  // Leftovers of an earlier attempt of this step first.
  TPD_RETURN_IF_ERROR(ResetTarget(spec, ctx));
  TPD_ASSIGN_OR_RETURN(auto src, Connection::Connect(Src(spec), Opts(spec)));
  TPD_ASSIGN_OR_RETURN(auto admin, Connection::Connect(TgtAdmin(spec), Opts(spec)));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyPreDataBegun, "1"));
  TPD_ASSIGN_OR_RETURN(bool exists,
                       admin->QueryBool("SELECT count(*) > 0 FROM pg_database WHERE datname = $1", {TargetDb(spec)}));
  if (!exists) {
    TPD_ASSIGN_OR_RETURN(std::string enc, src->QueryString("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                                                           "WHERE datname = current_database()"));
    TPD_RETURN_IF_ERROR(ctx.Set(kKeyCreatedDb, "1"));
    TPD_ASSIGN_OR_RETURN(std::string enc_lit, admin->QuoteLiteral(enc));
    TPD_RETURN_IF_ERROR(admin->Exec("CREATE DATABASE " + QuoteIdent(TargetDb(spec)) + " TEMPLATE template0 ENCODING " +
                                    enc_lit));
  } else {
    TPD_ASSIGN_OR_RETURN(auto tgt, Connection::Connect(Tgt(spec), Opts(spec)));
    TPD_ASSIGN_OR_RETURN(QueryResult schemas, tgt->Query("SELECT nspname FROM pg_namespace"));
    std::vector<std::string> names;
    for (const auto& row : schemas.rows) names.push_back(row[0].value_or(""));
    TPD_RETURN_IF_ERROR(ctx.Set(kKeySchemasBefore, JoinLines(names)));
    TPD_ASSIGN_OR_RETURN(QueryResult exts, tgt->Query("SELECT extname FROM pg_extension"));
    names.clear();
    for (const auto& row : exts.rows) names.push_back(row[0].value_or(""));
    TPD_RETURN_IF_ERROR(ctx.Set(kKeyExtensionsBefore, JoinLines(names)));
  }
  TPD_ASSIGN_OR_RETURN(RoleCopyReport roles, CopyRoles(*src, *admin));
  TPD_RETURN_IF_ERROR(ctx.Set(kKeyRolesCreated, JoinLines(roles.created)));
  if (!roles.created.empty()) {
    log::Info("created roles on the target", {{"roles", roles.created}});
  }
  int smaj = src->server_version_num() / 10000;
  src.reset();
  admin.reset();
  return RestorePreData(Tgt(spec), SchemaDumpPath(ctx), SchemaOpts(spec, smaj));
}

// ---------------------------------------------------------------- copy_data

struct WorkItem {
  std::string schema, table;
  std::string columns;  // "(a, b, c)" quoted, generated columns excluded
  std::vector<int> char_fields;  // positions of char(n) columns in `columns` (padding trimmed)
  std::string where;    // ctid range or empty
  bool binary = false;  // COPY (FORMAT binary): every column has a built-in type
  bool freeze = true;   // whole table: TRUNCATE + COPY FREEZE in one transaction
  int64_t bytes = 0;    // estimated heap bytes of this item
};

struct CopyShared {
  std::mutex mu;
  std::vector<WorkItem> items;  // guarded by mu (popped from the back: smallest last)
  size_t next = 0;              // guarded by mu
  Status first_error;           // guarded by mu
  std::vector<Connection*> live;  // guarded by mu: cancelled on first error
  std::atomic<bool> failed{false};
};

Status CopyItem(Connection& src, Connection& tgt, const WorkItem& item, StepContext& ctx, int64_t total_bytes,
                DumpRestoreState* state) {
  std::string name = item.schema + "." + item.table;
  std::string out_sql = item.where.empty()
                            ? "COPY " + QuoteQualified(item.schema, item.table) + " " + item.columns + " TO STDOUT"
                            : "COPY (SELECT " + item.columns.substr(1, item.columns.size() - 2) + " FROM ONLY " +
                                  QuoteQualified(item.schema, item.table) + " WHERE " + item.where + ") TO STDOUT";
  std::string in_sql = "COPY " + QuoteQualified(item.schema, item.table) + " " + item.columns + " FROM STDIN";
  // A whole table is loaded in the transaction that truncates it, so COPY FREEZE applies: rows are
  // written frozen and hinted, and the index builds and the first reads on the target do not
  // rewrite every page to set hint bits (the biggest cost after the copy itself).
  const bool freeze = item.where.empty() && item.freeze;
  std::vector<std::string> in_opts, out_opts;
  if (item.binary) {
    in_opts.push_back("FORMAT binary");
    out_opts.push_back("FORMAT binary");
  }
  if (freeze) in_opts.push_back("FREEZE");
  auto with = [](const std::vector<std::string>& o) {
    std::string r;
    for (const auto& x : o) r += (r.empty() ? " (" : ", ") + x;
    return r.empty() ? r : r + ")";
  };
  out_sql += with(out_opts);
  in_sql += with(in_opts);
  TPD_RETURN_IF_ERROR(tgt.Begin());
  if (freeze) {
    Status t = tgt.Exec("TRUNCATE ONLY " + QuoteQualified(item.schema, item.table));
    if (!t.ok()) {
      (void)tgt.Rollback();
      return t.WithContext("truncate of target table " + name);
    }
  }
  Status st = tgt.BeginCopyIn(in_sql);
  if (!st.ok()) {
    (void)tgt.Rollback();
    return st.WithContext("COPY into target table " + name);
  }
  st = src.BeginCopyOut(out_sql);
  if (!st.ok()) {
    (void)tgt.AbortCopyIn("source failed");
    (void)tgt.Rollback();
    return st.WithContext("COPY from source table " + name);
  }
  std::optional<CopyPaddingTrimmer> trimmer;
  if (!item.char_fields.empty()) {
    trimmer.emplace(item.binary ? CopyPaddingTrimmer::Format::kBinary : CopyPaddingTrimmer::Format::kText,
                    item.char_fields);
  }
  std::string chunk, batch;
  batch.reserve(1 << 17);
  int64_t rows = 0, bytes = 0, rep_bytes = 0;
  Status err;
  while (true) {
    auto more = src.ReadCopyData(&chunk);
    if (!more.ok()) {
      err = more.status().WithContext("COPY from source table " + name);
      (void)tgt.AbortCopyIn("source failed");
      break;
    }
    bool done = !*more;
    if (!done) {
      if (!trimmer) {
        batch += chunk;
      } else if (Status t = trimmer->Feed(chunk, &batch); !t.ok()) {
        err = t.WithContext("COPY from source table " + name);
        (void)tgt.AbortCopyIn("source data malformed");
        (void)src.Cancel();
        while (true) {
          auto r = src.ReadCopyData(&chunk);
          if (!r.ok() || !*r) break;
        }
        break;
      }
    }
    if (done && trimmer) {
      if (Status t = trimmer->Finish(); !t.ok()) {
        err = t.WithContext("COPY from source table " + name);
        (void)tgt.AbortCopyIn("source data incomplete");
        break;
      }
    }
    if (batch.size() >= (1u << 16) || (done && !batch.empty())) {
      Status put = tgt.PutCopyData(batch);
      bytes += static_cast<int64_t>(batch.size());
      batch.clear();
      if (!put.ok()) {
        err = put.WithContext("COPY into target table " + name);
        (void)src.Cancel();
        while (true) {
          auto r = src.ReadCopyData(&chunk);
          if (!r.ok() || !*r) break;
        }
        break;
      }
      if (bytes - rep_bytes >= (8 << 20)) {
        ctx.ReportProgress(0, bytes - rep_bytes, total_bytes, name);
        rep_bytes = bytes;
      }
    }
    if (done) break;
  }
  if (err.ok()) {
    auto stored = tgt.EndCopyIn();
    if (!stored.ok()) {
      err = stored.status().WithContext("COPY into target table " + name);
    } else {
      rows = *stored;
    }
  }
  if (err.ok()) err = tgt.Commit().WithContext("commit of table " + name + " on the target");
  if (!err.ok()) {
    if (tgt.in_transaction()) (void)tgt.Rollback();
    return err;
  }
  ctx.ReportProgress(rows, bytes - rep_bytes, total_bytes, name);
  {
    std::lock_guard<std::mutex> l(state->mu);
    int64_t& sent = state->source_rows[{item.schema, item.table}];
    const int64_t n = src.last_copy_out_rows();
    sent = (sent < 0 || n < 0) ? -1 : sent + n;  // -1: unknown, verify counts that table itself
    bool found = false;
    for (auto& [t, v] : state->copied) {
      if (t == name) {
        v.first += rows;
        v.second += bytes;
        found = true;
      }
    }
    if (!found) state->copied.push_back({name, {rows, bytes}});
  }
  if (state->on_table_copied_ForTest) state->on_table_copied_ForTest(name, rows);
  return Status::Ok();
}

Status CopyLargeObjects(Connection& src, Connection& tgt, StepContext& ctx) {
  TPD_ASSIGN_OR_RETURN(QueryResult los,
                       src.Query("SELECT m.oid::text, pg_get_userbyid(m.lomowner) FROM pg_largeobject_metadata m "
                                 "ORDER BY m.oid"));
  if (los.rows.empty()) return Status::Ok();
  constexpr int kPiece = 1 << 20;
  int64_t total = 0;
  TPD_RETURN_IF_ERROR(tgt.Begin());
  for (const auto& row : los.rows) {
    TPD_RETURN_IF_ERROR(ctx.CheckStop());
    std::string oid = row[0].value_or("0");
    TPD_RETURN_IF_ERROR(tgt.Query("SELECT lo_create($1::oid)", {oid}).status().WithContext("large object " + oid));
    for (int64_t off = 0;; off += kPiece) {
      TPD_ASSIGN_OR_RETURN(std::optional<std::string> data,
                           src.QueryValue("SELECT lo_get($1::oid, $2::bigint, $3)",
                                          {oid, std::to_string(off), std::to_string(kPiece)}));
      if (!data || data->size() <= 2) break;  // "\x" = empty
      TPD_RETURN_IF_ERROR(
          tgt.Query("SELECT lo_put($1::oid, $2::bigint, $3::bytea)", {oid, std::to_string(off), *data}).status());
      int64_t n = static_cast<int64_t>((data->size() - 2) / 2);
      total += n;
      ctx.ReportProgress(0, n, 0, "large object " + oid);
      if (n < kPiece) break;
    }
    if (row[1]) {
      Status st = tgt.Exec("ALTER LARGE OBJECT " + oid + " OWNER TO " + QuoteIdent(*row[1]));
      if (!st.ok()) {
        (void)tgt.Rollback();
        return st.WithContext("owner of large object " + oid);
      }
    }
  }
  TPD_RETURN_IF_ERROR(tgt.Commit());
  log::Info("copied large objects", {{"count", los.rows.size()}, {"bytes", total}});
  return Status::Ok();
}

Status CopyData(const UpgradeSpec& spec, StepContext& ctx, DumpRestoreState* state) {
  const int workers = std::max(1, spec.parallelism);
  // One snapshot for every worker: the copy is consistent even when writes are not blocked.
  TPD_ASSIGN_OR_RETURN(auto coord, Connection::Connect(Src(spec), Opts(spec)));
  TPD_RETURN_IF_ERROR(coord->Begin("ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  TPD_ASSIGN_OR_RETURN(std::string snapshot, coord->QueryString("SELECT pg_export_snapshot()"));
  const bool has_generated = coord->server_version_num() >= 120000;
  TPD_ASSIGN_OR_RETURN(QueryResult tables, coord->Query(std::string(R"sql(
SELECT n.nspname, c.relname, pg_relation_size(c.oid), current_setting('block_size')::bigint,
       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)sql") +
                                                    (has_generated ? " AND a.attgenerated = ''" : "") + R"sql(),
       (SELECT coalesce(bool_and(t.typnamespace = 'pg_catalog'::regnamespace AND t.typsend <> 0
                                 AND t.typreceive <> 0), true)
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(s.pos::text, ',') FROM
          (SELECT row_number() OVER (ORDER BY a.attnum) - 1 AS pos, a.atttypid, a.atttypmod FROM pg_attribute a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)sql" +
                                                    (has_generated ? " AND a.attgenerated = ''" : "") + R"sql() s
        WHERE s.atttypid = 'bpchar'::regtype AND s.atttypmod > 0)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY 3 DESC)sql"));

  CopyShared shared;
  {
    std::lock_guard<std::mutex> l(state->mu);
    state->source_rows.clear();
    state->copied.clear();
  }
  int64_t total_bytes = 0;
  std::vector<std::string> all_tables;
  for (const auto& row : tables.rows) {
    WorkItem base;
    base.schema = row[0].value_or("");
    base.table = row[1].value_or("");
    int64_t size = std::stoll(row[2].value_or("0"));
    int64_t block = std::stoll(row[3].value_or("8192"));
    base.columns = "(" + row[4].value_or("") + ")";
    base.binary = state->copy_options.binary && row[5] == "t";
    base.freeze = state->copy_options.freeze;
    if (state->copy_options.trim_char_padding && row[6]) {
      std::stringstream positions(*row[6]);
      for (std::string pos; std::getline(positions, pos, ',');) base.char_fields.push_back(std::stoi(pos));
    }
    if (!row[4]) base.columns.clear();  // no columns: COPY without a list
    total_bytes += size;
    all_tables.push_back(QuoteQualified(base.schema, base.table));
    int64_t chunk = state->copy_options.chunk_bytes;
    int parts = 1;
    if (chunk > 0 && size > chunk && workers > 1 && !base.columns.empty()) {
      parts = static_cast<int>(std::min<int64_t>(workers, (size + chunk - 1) / chunk));
    }
    if (parts <= 1) {
      base.bytes = size;
      shared.items.push_back(base);
      continue;
    }
    int64_t pages = size / block;
    int64_t per = (pages + parts - 1) / parts;
    for (int p = 0; p < parts; ++p) {
      WorkItem w = base;
      int64_t lo = per * p, hi = per * (p + 1);
      w.where = "ctid >= '(" + std::to_string(lo) + ",0)'::tid";
      if (p + 1 < parts) w.where += " AND ctid < '(" + std::to_string(hi) + ",0)'::tid";
      w.bytes = size / parts;
      shared.items.push_back(w);
    }
  }
  std::stable_sort(shared.items.begin(), shared.items.end(),
                   [](const WorkItem& a, const WorkItem& b) { return a.bytes > b.bytes; });

  // A re-run starts the tables over (a COPY cut off mid-way was rolled back; finished ones are redone).
  {
    TPD_ASSIGN_OR_RETURN(auto tgt, Connection::Connect(Tgt(spec), Opts(spec)));
    if (!all_tables.empty()) {
      std::string list;
      for (const auto& t : all_tables) list += (list.empty() ? "" : ", ") + t;
      TPD_RETURN_IF_ERROR(tgt->Exec("TRUNCATE ONLY " + list).WithContext("clearing target tables"));
    }
    TPD_RETURN_IF_ERROR(tgt->Exec("SELECT lo_unlink(oid) FROM pg_largeobject_metadata"));
  }
  log::Info("copy_data: copying tables",
            {{"tables", all_tables.size()}, {"items", shared.items.size()}, {"bytes", total_bytes}, {"workers", workers}});

  auto fail = [&](Status st) {
    std::lock_guard<std::mutex> l(shared.mu);
    if (shared.first_error.ok()) {
      shared.first_error = std::move(st);
      shared.failed = true;
      for (Connection* c : shared.live) (void)c->Cancel();
    }
  };
  auto worker = [&](bool do_large_objects) {
    auto s = Connection::Connect(Src(spec), Opts(spec));
    if (!s.ok()) return fail(s.status());
    auto t = Connection::Connect(Tgt(spec), Opts(spec));
    if (!t.ok()) return fail(t.status());
    Connection& src = **s;
    Connection& tgt = **t;
    {
      std::lock_guard<std::mutex> l(shared.mu);
      if (shared.failed) return;
      shared.live.push_back(&src);
      shared.live.push_back(&tgt);
    }
    auto unregister = [&] {
      std::lock_guard<std::mutex> l(shared.mu);
      shared.live.erase(std::remove_if(shared.live.begin(), shared.live.end(),
                                       [&](Connection* c) { return c == &src || c == &tgt; }),
                        shared.live.end());
    };
    Status st = src.Begin("ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (st.ok()) st = src.ExecParams("SET TRANSACTION SNAPSHOT '" + snapshot + "'", {}).status();
    if (st.ok()) st = tgt.Exec("SET synchronous_commit = off");
    while (st.ok()) {
      if (shared.failed) break;
      st = ctx.CheckStop();
      if (!st.ok()) break;
      WorkItem item;
      {
        std::lock_guard<std::mutex> l(shared.mu);
        if (shared.next >= shared.items.size()) break;
        item = shared.items[shared.next++];
      }
      st = CopyItem(src, tgt, item, ctx, total_bytes, state);
    }
    if (st.ok() && do_large_objects && !shared.failed) st = CopyLargeObjects(src, tgt, ctx);
    unregister();
    if (!st.ok()) fail(st);
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(worker, false);
  worker(true);
  for (auto& th : threads) th.join();
  (void)coord->Rollback();
  {
    std::lock_guard<std::mutex> l(shared.mu);
    if (!shared.first_error.ok()) return shared.first_error;
  }
  // The source's own count of the rows it sent per table ("COPY n", summed over a table's ranges):
  // exact row counts of the snapshot, which verify uses as the source side when writes were frozen
  // before the snapshot (then the snapshot is the source as it stays). Counting them again in verify
  // would read every source table a second time.
  // JSON, because schema and table names may hold any character.
  nlohmann::json saved = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> l(state->mu);
    for (const auto& [name, rows] : state->source_rows) {
      if (rows >= 0) saved.push_back({name.first, name.second, rows});
    }
  }
  TPD_RETURN_IF_ERROR(ctx.Set(kKeySourceRows, saved.dump()));
  return Status::Ok();
}

// Source row counts saved by copy_data; empty when there are none (or they do not parse: then
// verify counts the source itself).
std::map<std::pair<std::string, std::string>, int64_t> SavedSourceRows(StepContext& ctx) {
  std::map<std::pair<std::string, std::string>, int64_t> out;
  nlohmann::json saved = nlohmann::json::parse(ctx.Get(kKeySourceRows).value_or(""), nullptr,
                                               /*allow_exceptions=*/false);
  if (!saved.is_array()) return out;
  for (const auto& e : saved) {
    if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[1].is_string() || !e[2].is_number_integer()) {
      return {};
    }
    out[{e[0].get<std::string>(), e[1].get<std::string>()}] = e[2].get<int64_t>();
  }
  return out;
}

// ---------------------------------------------------------------- the other steps

Status WithAdmin(const UpgradeSpec& spec, const std::function<Status(Connection&)>& body) {
  TPD_ASSIGN_OR_RETURN(auto c, Connection::Connect(Src(spec), Opts(spec)));
  return body(*c);
}

}  // namespace

std::vector<engines::Step> DumpRestoreSteps(const UpgradeSpec& spec, DumpRestoreState* state) {
  std::vector<engines::Step> steps;
  UpgradeSpec sp = spec;
  UpgradeSpec usp = ForUndo(spec);

  steps.push_back({std::string(kPrecheck), [sp](StepContext& ctx) { return Precheck(sp, ctx); }, nullptr,
                   /*resumable=*/false, /*commits=*/false});

  steps.push_back({std::string(kBackup),
                   [sp, state](StepContext& ctx) -> Status {
                     if (!sp.backup_enabled) return Status::Ok();
                     BackupOptions o;
                     o.dir = sp.backup_dir.empty() ? ctx.paths().backup_dir.string() : sp.backup_dir;
                     o.tool_paths = sp.tool_paths;
                     o.cancel_flag = sp.stop;
                     TPD_ASSIGN_OR_RETURN(BackupResult r, BackupDatabase(Src(sp), o));
                     log::Info("backup written", {{"path", r.dump_path}, {"bytes", r.bytes}});
                     ctx.ReportProgress(0, r.bytes);
                     state->outcome.backup_path = r.dump_path;
                     return ctx.Set(kKeyBackupPath, r.dump_path);
                   },
                   nullptr, true, false});

  if (spec.block_writes) {
    steps.push_back({std::string(kFreezeWrites),
                     [sp](StepContext&) -> Status {
                       return WithAdmin(sp, [&](Connection& c) -> Status {
                         FreezeOptions fo;
                         fo.terminate_sessions = sp.terminate_sessions;
                         TPD_ASSIGN_OR_RETURN(FreezeReport r, FreezeWrites(c, fo));
                         log::Info("writes frozen on the source", {{"source", Src(sp).Redacted()},
                                                                   {"sessions_terminated", r.sessions_terminated},
                                                                   {"lsn", r.freeze_lsn}});
                         return Status::Ok();
                       });
                     },
                     [usp](StepContext&) -> Status {
                       return WithAdmin(usp, [&](Connection& c) -> Status {
                         TPD_RETURN_IF_ERROR(UnfreezeWrites(c));
                         log::Info("writes enabled again on the source", {{"source", Src(usp).Redacted()}});
                         return Status::Ok();
                       });
                     },
                     true, false});
  }

  steps.push_back({std::string(kDumpSchema),
                   [sp](StepContext& ctx) -> Status {
                     TPD_ASSIGN_OR_RETURN(int major, ProbeServerMajor(Src(sp), sp.stop));
                     return DumpSchema(Src(sp), SchemaDumpPath(ctx), SchemaOpts(sp, major));
                   },
                   nullptr, true, false});

  steps.push_back({std::string(kRestorePreData), [sp](StepContext& ctx) { return RestorePre(sp, ctx); },
                   [usp](StepContext& ctx) { return ResetTarget(usp, ctx); }, true, false});

  steps.push_back({std::string(kCopyData), [sp, state](StepContext& ctx) { return CopyData(sp, ctx, state); },
                   nullptr, true, false});

  steps.push_back({std::string(kRestorePostData),
                   [sp](StepContext& ctx) -> Status {
                     TPD_ASSIGN_OR_RETURN(int major, ProbeServerMajor(Src(sp), sp.stop));
                     TPD_RETURN_IF_ERROR(RestorePostData(Tgt(sp), SchemaDumpPath(ctx), SchemaOpts(sp, major)));
                     // A restored database has no planner statistics; gather them now (sampled,
                     // as autovacuum would within a minute) so the first queries after the switch
                     // do not run on guesses.
                     TPD_ASSIGN_OR_RETURN(auto t, Connection::Connect(Tgt(sp), Opts(sp)));
                     TPD_RETURN_IF_ERROR(t->Exec("ANALYZE").WithContext("ANALYZE on the target"));
                     log::Info("planner statistics gathered on the target", {{"target", Tgt(sp).Redacted()}});
                     return Status::Ok();
                   },
                   nullptr, true, false});

  steps.push_back({std::string(kSyncSequences),
                   [sp](StepContext&) -> Status {
                     TPD_ASSIGN_OR_RETURN(auto s, Connection::Connect(Src(sp), Opts(sp)));
                     TPD_ASSIGN_OR_RETURN(auto t, Connection::Connect(Tgt(sp), Opts(sp)));
                     TPD_ASSIGN_OR_RETURN(auto values, CopySequences(*s, *t));
                     log::Info("sequences copied", {{"count", values.size()}});
                     return Status::Ok();
                   },
                   nullptr, true, false});

  steps.push_back({std::string(kVerify),
                   [sp, state](StepContext& ctx) -> Status {
                     VerifyOptions vo;
                     vo.row_counts = sp.verify_row_counts;
                     vo.checksums = sp.verify_checksums;
                     vo.cancel_flag = sp.stop;
                     vo.parallelism = std::max(1, sp.parallelism);
                     // The source side: what the source sent in copy_data, in a snapshot taken
                     // after the write freeze (so the source still holds exactly that).
                     const auto source_rows = SavedSourceRows(ctx);
                     if (sp.block_writes && !source_rows.empty()) vo.source_row_counts = &source_rows;
                     TPD_ASSIGN_OR_RETURN(VerifyReport r, Verify(Src(sp), Tgt(sp), vo));
                     for (const auto& line : r.lines) log::Info("verify: " + line);
                     state->outcome.verification = r.lines;
                     return ctx.Set(kKeyVerification, JoinLines(r.lines));
                   },
                   nullptr, true, false});

  steps.push_back({std::string(kSwitch),
                   [sp, state](StepContext& ctx) -> Status {
                     TPD_ASSIGN_OR_RETURN(auto t, Connection::Connect(Tgt(sp), Opts(sp)));
                     std::string v = t->server_version();
                     state->outcome.new_version = v.substr(0, v.find(' '));
                     state->outcome.active_url = Tgt(sp).Redacted();
                     // Steps skipped on a resumed run still report what they produced.
                     if (auto p = ctx.Get(kKeyBackupPath); p && state->outcome.backup_path.empty()) {
                       state->outcome.backup_path = *p;
                     }
                     if (auto l = ctx.Get(kKeyVerification); l && state->outcome.verification.empty()) {
                       state->outcome.verification = SplitLines(*l);
                     }
                     log::Info("switch: applications must use the target now",
                               {{"active_url", state->outcome.active_url}, {"version", state->outcome.new_version}});
                     return Status::Ok();
                   },
                   nullptr, true, /*commits=*/true});
  return steps;
}

}  // namespace tpd::engines::postgres
