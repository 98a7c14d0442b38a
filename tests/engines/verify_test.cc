// verify.h, sequences.h and the schema diff of schema_copy.h against real servers (13 and 17).
#include <map>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "engines/postgres/connection.h"
#include "engines/postgres/schema_copy.h"
#include "engines/postgres/sequences.h"
#include "engines/postgres/verify.h"
#include "tests/support/pg_server_catch.h"

namespace pg = tpd::engines::postgres;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;
using tpd::testsupport::StartOrFail;

namespace {

// The same data created on both servers, inserted in a different physical order on each.
constexpr const char* kSchema = R"sql(
CREATE TABLE t (id int PRIMARY KEY, v text, f float8, ts timestamptz, b bytea, n numeric);
CREATE TABLE nopk (a int, b text);
CREATE SEQUENCE s START 10;
)sql";
constexpr const char* kDataAsc =
    "INSERT INTO t SELECT g, 'v' || g, g / 3.0, timestamptz '2021-05-01 12:00+00' + g * interval '1 hour', "
    "decode(md5(g::text), 'hex'), g * 1.5 FROM generate_series(1, 3000) g ORDER BY g;"
    "INSERT INTO nopk SELECT g % 10, 'x' FROM generate_series(1, 500) g;";
constexpr const char* kDataDesc =
    "SET TimeZone = 'America/New_York';"
    "INSERT INTO t SELECT g, 'v' || g, g / 3.0, timestamptz '2021-05-01 12:00+00' + g * interval '1 hour', "
    "decode(md5(g::text), 'hex'), g * 1.5 FROM generate_series(1, 3000) g ORDER BY g DESC;"
    "INSERT INTO nopk SELECT g % 10, 'x' FROM generate_series(500, 1, -1) g;";

}  // namespace

TEST_CASE("Verify: reports equal data across 13 and 17 and names the first mismatching table", "[engines][pg]") {
  auto a = StartOrFail({.major = 13});
  auto b = StartOrFail({.major = 17});
  REQUIRE(a->Exec(kSchema).ok());
  REQUIRE(b->Exec(kSchema).ok());
  REQUIRE(a->Exec(kDataAsc).ok());
  REQUIRE(b->Exec(kDataDesc).ok());
  pg::VerifyOptions vo;
  vo.checksums = true;
  vo.parallelism = 2;

  auto ok = pg::Verify(a->conninfo(), b->conninfo(), vo);
  if (!ok.ok()) FAIL(ok.status().ToString());
  REQUIRE(ok->tables.size() == 2);
  CHECK(ok->tables[0].name == "nopk");
  CHECK(ok->tables[1].source_rows == 3000);
  CHECK(ok->tables[1].source_checksum == ok->tables[1].target_checksum);
  CHECK(ok->lines.front().rfind("public.nopk: 500 rows, checksum ", 0) == 0);
  CHECK(ok->lines.back() == "large objects: 0 on both sides");

  SECTION("a changed value is caught by the checksum, not the count") {
    REQUIRE(b->Exec("UPDATE t SET v = 'changed' WHERE id = 1234").ok());
    pg::VerifyReport full;
    auto r = pg::Verify(a->conninfo(), b->conninfo(), vo, &full);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsFailedPrecondition());
    CHECK(r.status().message() == "verification failed: checksum of public.t differs");
    vo.checksums = false;
    CHECK(pg::Verify(a->conninfo(), b->conninfo(), vo).ok());
  }
  SECTION("a missing row names the table and both counts") {
    REQUIRE(b->Exec("DELETE FROM nopk WHERE ctid = (SELECT min(ctid) FROM nopk)").ok());
    REQUIRE(b->Exec("DELETE FROM t WHERE id = 5").ok());
    auto r = pg::Verify(a->conninfo(), b->conninfo(), vo);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "verification failed: public.nopk has 500 rows on the source and 499 on the target");
  }
  SECTION("a sequence behind on the target is a mismatch until copied") {
    REQUIRE(a->Exec("SELECT nextval('s') FROM generate_series(1, 7)").ok());
    auto r = pg::Verify(a->conninfo(), b->conninfo(), vo);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("sequence public.s: 16 on the source, 10 (not called) on the target") !=
          std::string::npos);
    auto ca = a->Connect();
    auto cb = b->Connect();
    REQUIRE(ca.ok());
    REQUIRE(cb.ok());
    auto copied = pg::CopySequences(**ca, **cb);
    REQUIRE(copied.ok());
    REQUIRE(copied->size() == 1);
    CHECK((*copied)[0].last_value == 16);
    CHECK((*cb)->QueryInt("SELECT nextval('s')").value() == 17);
    // 17 vs 16 now: the target moved on, still reported.
    CHECK_FALSE(pg::Verify(a->conninfo(), b->conninfo(), vo).ok());
  }
  SECTION("source counts given by the caller are used instead of counting the source") {
    vo.checksums = false;
    std::map<std::pair<std::string, std::string>, int64_t> known = {{{"public", "t"}, 3000}};
    vo.source_row_counts = &known;
    CHECK(pg::Verify(a->conninfo(), b->conninfo(), vo).ok());
    // A count that disagrees with the target is a mismatch although the source itself has 3000.
    known[{"public", "t"}] = 2999;
    auto r = pg::Verify(a->conninfo(), b->conninfo(), vo);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "verification failed: public.t has 2999 rows on the source and 3000 on the target");
    // Checksums read the source anyway, so the given count is not used then.
    vo.checksums = true;
    CHECK(pg::Verify(a->conninfo(), b->conninfo(), vo).ok());
  }
  SECTION("a table missing on the target") {
    REQUIRE(b->Exec("DROP TABLE nopk").ok());
    auto r = pg::Verify(a->conninfo(), b->conninfo(), vo);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "verification failed: table public.nopk missing on the target");
  }
}

TEST_CASE("ApplySequences: fails without changing anything when a sequence is missing", "[engines][pg]") {
  auto b = StartOrFail({.major = 17});
  REQUIRE(b->Exec("CREATE SEQUENCE s1").ok());
  auto c = b->Connect();
  REQUIRE(c.ok());
  std::vector<pg::SequenceValue> values = {{"public", "s1", 50, true}, {"public", "nope", 3, true}};
  auto st = pg::ApplySequences(**c, values);
  CHECK(st.IsNotFound());
  CHECK(st.message() == "sequence public.nope does not exist on the target");
  CHECK((*c)->QueryInt("SELECT nextval('s1')").value() == 1);
}

TEST_CASE("SchemaFingerprint: changes when DDL runs and the diff names the column", "[engines][pg]") {
  auto a = StartOrFail({.major = 13});
  auto b = StartOrFail({.major = 17});
  REQUIRE(a->Exec(kSchema).ok());
  REQUIRE(b->Exec(kSchema).ok());
  auto ca = a->Connect();
  auto cb = b->Connect();
  REQUIRE(ca.ok());
  REQUIRE(cb.ok());
  auto fa = pg::SchemaFingerprint(**ca);
  auto fb = pg::SchemaFingerprint(**cb);
  REQUIRE(fa.ok());
  REQUIRE(fb.ok());
  CHECK(fa->size() == 32);
  CHECK(*fa == *fb);  // same DDL on 13 and 17: same shape
  REQUIRE(a->Exec("ALTER TABLE t ADD COLUMN extra int; ALTER TABLE t ALTER COLUMN v TYPE varchar(20); "
                  "ALTER TABLE nopk ALTER COLUMN a SET NOT NULL; CREATE TABLE added (x int)")
              .ok());
  CHECK(pg::SchemaFingerprint(**ca).value() != *fa);
  auto sa = pg::ReadSchemaShape(**ca);
  auto sb = pg::ReadSchemaShape(**cb);
  REQUIRE(sa.ok());
  REQUIRE(sb.ok());
  std::vector<std::string> want = {
      "column public.nopk.a: NOT NULL on source only",
      "column public.t.extra: missing on target",
      "column public.t.v: type character varying(20) on source, text on target",
      "table public.added: missing on target",
  };
  CHECK(pg::DiffSchemaShapes(*sa, *sb) == want);
  CHECK(pg::DiffSchemaShapes(*sa, *sa).empty());
}

TEST_CASE("DiffSchemaShapes: reports tables and columns only on the target", "[engines]") {
  pg::SchemaShape s, t;
  s.tables = {"public.a"};
  s.columns = {{"public", "a", "x", "integer", true}};
  t.tables = {"public.a", "public.b"};
  t.columns = {{"public", "a", "x", "integer", false}, {"public", "a", "y", "text", false}};
  std::vector<std::string> want = {"column public.a.x: NOT NULL on source only", "column public.a.y: only on target",
                                   "table public.b: only on target"};
  CHECK(pg::DiffSchemaShapes(s, t) == want);
}
