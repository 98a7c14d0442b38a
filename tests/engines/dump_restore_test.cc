// dump_restore against real servers: PostgreSQL 13 (source) -> 17 (target).
#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engines/pipeline.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/dump_restore.h"
#include "engines/postgres/freeze.h"
#include "engines/postgres/schema_copy.h"
#include "engines/postgres/verify.h"
#include "engines/process.h"
#include "tests/support/pg_server_catch.h"

namespace pg = tpd::engines::postgres;
namespace eng = tpd::engines;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;
using tpd::testsupport::StartOrFail;

namespace {

std::string TempDir(const std::string& tag) {
  std::string tmpl = (std::filesystem::temp_directory_path() / ("tpd-dr-" + tag + "-XXXXXX")).string();
  char* d = mkdtemp(tmpl.data());
  REQUIRE(d != nullptr);
  return d;
}

// ~100k rows: serial PK, a table without PK (with FK and index), a sequence, a view, hstore, a
// large object spanning more than one 1 MB piece, a role owning a table.
constexpr const char* kSourceSchema = R"sql(
CREATE EXTENSION hstore;
CREATE ROLE app_owner LOGIN PASSWORD 'app-secret';
CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2), attrs hstore,
                       ratio double precision, created timestamptz DEFAULT now());
INSERT INTO accounts (name, balance, attrs, ratio, created)
  SELECT 'acct ' || g || E'\ttab', g * 1.25, hstore('k', g::text), g / 7.0,
         timestamptz '2020-01-01 00:00+02' + g * interval '1 minute'
  FROM generate_series(1, 100000) g;
CREATE TABLE events (account_id int REFERENCES accounts (id), kind text, payload jsonb);
INSERT INTO events SELECT (g % 1000) + 1, 'k' || (g % 7), jsonb_build_object('g', g) FROM generate_series(1, 20000) g;
CREATE INDEX events_kind ON events (kind);
CREATE SEQUENCE invoice_no START 1000;
SELECT nextval('invoice_no') FROM generate_series(1, 5);
CREATE VIEW rich AS SELECT id, name FROM accounts WHERE balance > 100000;
CREATE TABLE docs (id int PRIMARY KEY, content oid);
INSERT INTO docs VALUES (1, lo_from_bytea(0, convert_to(repeat('large object data ', 100000), 'UTF8'))),
                        (2, lo_from_bytea(0, '\x00ff00'::bytea));
ALTER TABLE docs OWNER TO app_owner;
)sql";

pg::UpgradeSpec SpecFor(const PgServer& src, const PgServer& dst, const std::string& work) {
  pg::UpgradeSpec spec;
  spec.source.conn = src.conninfo("appdb");
  spec.target.conn = dst.conninfo("appdb");
  spec.target_major = 17;
  spec.backup_enabled = true;
  spec.backup_dir = work + "/backups";
  spec.verify_checksums = true;
  spec.parallelism = 2;
  spec.work_dir = work;
  spec.run_id = "dr-test";
  return spec;
}

std::string One(const PgServer& s, const std::string& sql, const std::string& db = "appdb") {
  auto r = s.Query(sql, db);
  if (!r.ok()) FAIL(sql << ": " << r.status().ToString());
  REQUIRE(!r->rows.empty());
  return r->rows[0][0].value_or("<null>");
}

void SetUpSource(const PgServer& src) {
  REQUIRE(src.Exec("CREATE DATABASE appdb").ok());
  auto st = src.Exec(kSourceSchema, "appdb");
  if (!st.ok()) FAIL(st.ToString());
}

}  // namespace

TEST_CASE("DumpRestoreSteps: copies a 13 database into 17 whole and leaves the source read-only", "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  SetUpSource(*src);
  std::string work = TempDir("ok");
  pg::UpgradeSpec spec = SpecFor(*src, *dst, work);
  pg::DumpRestoreState state;
  state.copy_options.chunk_bytes = 2 << 20;  // split accounts (~10 MB) across both workers

  eng::Pipeline pipeline({.work_dir = work, .run_id = spec.run_id});
  eng::StepContext ctx;
  auto summary = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  REQUIRE(summary.ok());
  CHECK(summary->completed);
  CHECK(summary->downtime_seconds.has_value());

  // Outcome.
  CHECK(state.outcome.active_url == dst->conninfo("appdb").Redacted());
  CHECK(state.outcome.active_url.find("tpd-test-secret") == std::string::npos);
  CHECK(state.outcome.new_version.rfind("17.", 0) == 0);
  REQUIRE(!state.outcome.backup_path.empty());
  CHECK(std::filesystem::exists(state.outcome.backup_path));
  CHECK((std::filesystem::status(state.outcome.backup_path).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  {
    std::string globals = state.outcome.backup_path.substr(0, state.outcome.backup_path.size() - 5) + ".globals.sql";
    CHECK(std::filesystem::exists(globals));
  }
  bool saw_accounts = false;
  for (const auto& line : state.outcome.verification) {
    if (line.rfind("public.accounts: 100000 rows, checksum ", 0) == 0) saw_accounts = true;
  }
  CHECK(saw_accounts);

  // Data identical: counts and checksums per table, computed independently here.
  for (const char* t : {"accounts", "events", "docs"}) {
    auto a = src->Connect("appdb");
    auto b = dst->Connect("appdb");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(pg::CountRows(**a, "public", t).value() == pg::CountRows(**b, "public", t).value());
    CHECK(pg::TableChecksum(**a, "public", t).value() == pg::TableChecksum(**b, "public", t).value());
  }
  CHECK(One(*dst, "SELECT count(*) FROM accounts") == "100000");
  CHECK(One(*dst, "SELECT count(*) FROM events") == "20000");
  CHECK(One(*dst, "SELECT attrs -> 'k' FROM accounts WHERE id = 77") == "77");
  // Planner statistics were gathered before the switch.
  CHECK(One(*dst, "SELECT count(*) > 0 FROM pg_stats WHERE schemaname = 'public' AND tablename = 'accounts'") == "t");
  // Schema pieces: index, FK, view, extension, role ownership.
  CHECK(One(*dst, "SELECT count(*) FROM pg_indexes WHERE indexname = 'events_kind'") == "1");
  CHECK(One(*dst, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'events'::regclass") == "1");
  CHECK(One(*dst, "SELECT count(*) FROM rich") == One(*src, "SELECT count(*) FROM rich"));
  CHECK(One(*dst, "SELECT extname FROM pg_extension WHERE extname = 'hstore'") == "hstore");
  CHECK(One(*dst, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'docs'") == "app_owner");
  // Large objects: same content and owner.
  CHECK(One(*dst, "SELECT md5(string_agg(md5(lo_get(content)), ',' ORDER BY id)) FROM docs") ==
        One(*src, "SELECT md5(string_agg(md5(lo_get(content)), ',' ORDER BY id)) FROM docs"));
  CHECK(One(*dst, "SELECT length(lo_get(content)) FROM docs WHERE id = 1") == "1800000");
  // Sequences continue on the target.
  CHECK(std::stoll(One(*dst, "INSERT INTO accounts (name) VALUES ('new') RETURNING id")) > 100000);
  CHECK(One(*dst, "SELECT nextval('invoice_no')") == "1005");

  // The source is read-only: a write fails loudly with SQLSTATE 25006.
  {
    auto c = src->Connect("appdb");
    REQUIRE(c.ok());
    auto ins = (*c)->Exec("INSERT INTO accounts (name) VALUES ('late')");
    CHECK_FALSE(ins.ok());
    CHECK((*c)->last_sqlstate() == "25006");
  }

  // The backup restores into an empty server.
  auto fresh = StartOrFail({.major = 17});
  REQUIRE(fresh->Exec("CREATE ROLE app_owner").ok());
  REQUIRE(fresh->Exec("CREATE DATABASE appdb").ok());
  tpd::engines::ProcessOptions po;
  po.argv = {"/usr/lib/postgresql/15/bin/pg_restore", "--exit-on-error",
             "--dbname=" + fresh->conninfo("appdb").ToLibpqConnString(), state.outcome.backup_path};
  po.env = fresh->conninfo("appdb").PasswordEnv();
  auto restored = tpd::engines::RunProcess(po);
  if (!restored.ok()) FAIL(restored.status().ToString());
  CHECK(One(*fresh, "SELECT count(*) FROM accounts") == "100000");
  CHECK(One(*fresh, "SELECT md5(lo_get(content)) FROM docs WHERE id = 1") ==
        One(*src, "SELECT md5(lo_get(content)) FROM docs WHERE id = 1"));
  std::filesystem::remove_all(work);
}

TEST_CASE("DumpRestoreSteps: names the step and re-enables writes when the target dies mid-copy", "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  SetUpSource(*src);
  std::string work = TempDir("fault");
  pg::UpgradeSpec spec = SpecFor(*src, *dst, work);
  spec.backup_enabled = false;
  pg::DumpRestoreState state;
  state.copy_options.chunk_bytes = 1 << 20;
  std::atomic<bool> killed{false};
  state.on_table_copied_ForTest = [&](std::string_view, int64_t) {
    if (!killed.exchange(true)) (void)dst->Kill();
  };
  eng::Pipeline pipeline({.work_dir = work, .run_id = spec.run_id});
  eng::StepContext ctx;
  auto result = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  REQUIRE_FALSE(result.ok());
  CHECK(killed);
  INFO(result.status().message());
  CHECK(result.status().message().find("copy_data") != std::string::npos);
  CHECK(result.status().message().find("tpd-test-secret") == std::string::npos);

  // The source takes writes again.
  auto c = src->Connect("appdb");
  REQUIRE(c.ok());
  CHECK((*c)->Exec("INSERT INTO accounts (name) VALUES ('after failure')").ok());
  CHECK_FALSE(pg::IsFrozen(**c).value());

  // After the target is back, the same run goes through (its leftovers are cleared first).
  REQUIRE(dst->Launch().ok());
  state.on_table_copied_ForTest = nullptr;
  auto again = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  if (!again.ok()) FAIL(again.status().ToString());
  CHECK(One(*dst, "SELECT count(*) FROM accounts") == "100001");
  std::filesystem::remove_all(work);
}

TEST_CASE("DumpRestoreSteps: precheck refuses a target database that already holds tables", "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  REQUIRE(src->Exec("CREATE DATABASE appdb").ok());
  REQUIRE(dst->Exec("CREATE DATABASE appdb").ok());
  REQUIRE(dst->Exec("CREATE TABLE precious (id int)", "appdb").ok());
  std::string work = TempDir("pre");
  pg::UpgradeSpec spec = SpecFor(*src, *dst, work);
  pg::DumpRestoreState state;
  eng::Pipeline pipeline({.work_dir = work, .run_id = spec.run_id});
  eng::StepContext ctx;
  auto result = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().IsFailedPrecondition());
  CHECK(result.status().message().find("precheck") != std::string::npos);
  CHECK(result.status().message().find("not empty") != std::string::npos);
  CHECK(One(*dst, "SELECT count(*) FROM precious") == "0");  // untouched
  auto c = src->Connect("appdb");
  REQUIRE(c.ok());
  CHECK_FALSE(pg::IsFrozen(**c).value());
  std::filesystem::remove_all(work);
}

TEST_CASE("DumpRestoreSteps: with writes frozen, verify compares the target with what the source sent",
          "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  REQUIRE(src->Exec("CREATE DATABASE appdb").ok());
  REQUIRE(src->Exec("CREATE TABLE big (id int PRIMARY KEY, pad text);"
                    "INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 60000) g;"
                    "CREATE TABLE \"odd\tname\" (a int); INSERT INTO \"odd\tname\" VALUES (1), (2), (3);",
                    "appdb")
              .ok());
  std::string work = TempDir("counts");
  pg::UpgradeSpec spec = SpecFor(*src, *dst, work);
  spec.backup_enabled = false;
  spec.verify_checksums = false;
  REQUIRE(spec.block_writes);
  pg::DumpRestoreState state;
  state.copy_options.chunk_bytes = 2 << 20;  // big (~8 MB) goes in two ranges whose counts add up

  eng::Pipeline pipeline({.work_dir = work, .run_id = spec.run_id});
  eng::StepContext ctx;
  auto summary = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  if (!summary.ok()) FAIL(summary.status().ToString());
  CHECK(summary->completed);
  {
    std::lock_guard<std::mutex> l(state.mu);
    CHECK(state.source_rows[{"public", "big"}] == 60000);
    CHECK(state.source_rows[{"public", "odd\tname"}] == 3);
  }
  std::vector<std::string> want = {"public.big: 60000 rows on both sides", "public.odd\tname: 3 rows on both sides"};
  for (const std::string& line : want) {
    bool seen = false;
    for (const auto& l : state.outcome.verification) seen = seen || l == line;
    INFO("missing verification line: " << line);
    CHECK(seen);
  }
}

TEST_CASE("DumpRestoreSteps: char(n) values arrive byte for byte although their padding is not sent",
          "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  REQUIRE(src->Exec("CREATE DATABASE appdb").ok());
  auto st = src->Exec(R"sql(
CREATE EXTENSION hstore;
CREATE DOMAIN code5 AS char(5);
CREATE TABLE codes (id int PRIMARY KEY, c char(8), u char(3), raw bpchar, arr char(4)[], d code5, v varchar(6));
INSERT INTO codes VALUES
  (1, 'a', 'é', 'x  ', '{"a","b  "}', 'd', 'v  '),
  (2, '', '', '', '{}', '', ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 'ab  c', 'ééé', '  lead', '{" x"}', '  y', ' w '),
  (5, 'abcdefgh', 'a b', 'tab	', '{NULL}', 'abcde', 'abcdef');
-- Built-in types only (copied whole, in binary format); codes has a domain, so it goes in text.
CREATE TABLE plain_codes (id int PRIMARY KEY, c char(8), u char(3));
INSERT INTO plain_codes SELECT id, c, u FROM codes;
-- Not all built-in types: copied in text format.
CREATE TABLE tagged (id int PRIMARY KEY, c char(6), h hstore);
INSERT INTO tagged VALUES (1, 'ab', 'k=>v'), (2, '', NULL), (3, 'ü  z', 'a=>b');
-- pgbench's shape: blank char(84) filler, split into two ctid ranges below.
CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
INSERT INTO accounts SELECT g, g % 10, 0, CASE WHEN g % 1000 = 0 THEN 'marked' ELSE '' END FROM generate_series(1, 40000) g;
)sql",
                      "appdb");
  if (!st.ok()) FAIL(st.ToString());
  std::string work = TempDir("bpchar");
  pg::UpgradeSpec spec = SpecFor(*src, *dst, work);
  spec.backup_enabled = false;
  pg::DumpRestoreState state;
  state.copy_options.chunk_bytes = 2 << 20;  // accounts (~5.5 MB) goes in two ranges

  eng::Pipeline pipeline({.work_dir = work, .run_id = spec.run_id});
  eng::StepContext ctx;
  auto summary = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  if (!summary.ok()) FAIL(summary.status().ToString());
  CHECK(summary->completed);  // verify ran with checksums on

  // The stored bytes, padding included (bpcharsend sends a char(n) value as stored).
  // Every table here has its key first in `cols`, named id or aid.
  auto stored = [](const PgServer& s, const std::string& table, const std::string& cols) {
    const std::string key = table == "accounts" ? "aid" : "id";
    return One(s, "SELECT md5(string_agg(" + cols + ", '|' ORDER BY " + key + ")) FROM " + table);
  };
  const std::string codes_cols =
      "concat_ws(',', id, encode(bpcharsend(c), 'hex'), encode(bpcharsend(u), 'hex'), encode(bpcharsend(raw), 'hex'), "
      "arr::text, encode(bpcharsend(d), 'hex'), encode(textsend(v), 'hex'), octet_length(c), octet_length(u))";
  CHECK(stored(*dst, "codes", codes_cols) == stored(*src, "codes", codes_cols));
  const std::string plain_cols = "concat_ws(',', id, encode(bpcharsend(c), 'hex'), encode(bpcharsend(u), 'hex'))";
  CHECK(stored(*dst, "plain_codes", plain_cols) == stored(*src, "plain_codes", plain_cols));
  CHECK(stored(*dst, "tagged", "concat_ws(',', id, encode(bpcharsend(c), 'hex'), h::text)") ==
        stored(*src, "tagged", "concat_ws(',', id, encode(bpcharsend(c), 'hex'), h::text)"));
  CHECK(stored(*dst, "accounts", "concat_ws(',', aid, encode(bpcharsend(filler), 'hex'))") ==
        stored(*src, "accounts", "concat_ws(',', aid, encode(bpcharsend(filler), 'hex'))"));
  CHECK(One(*dst, "SELECT octet_length(u) FROM codes WHERE id = 1") == "4");  // 'é' + 2 blanks
  CHECK(One(*dst, "SELECT octet_length(raw) FROM codes WHERE id = 1") == "3");  // unbounded: kept as given
  CHECK(One(*dst, "SELECT count(*) FROM accounts WHERE filler = 'marked'") == "40");

  // The padding did not travel: 40,000 blank char(84) values would be 3.4 MB on their own.
  int64_t accounts_bytes = -1;
  {
    std::lock_guard<std::mutex> l(state.mu);
    for (const auto& [name, totals] : state.copied) {
      if (name == "public.accounts") accounts_bytes = totals.second;
    }
  }
  CHECK(accounts_bytes > 0);
  CHECK(accounts_bytes < 40000 * 84);
  std::filesystem::remove_all(work);
}
