#include <catch2/catch.hpp>

#include "engines/postgres/connection.h"
#include "tests/support/pg_server_catch.h"

namespace pg = tpd::engines::postgres;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;
using tpd::testsupport::StartOrFail;

namespace {
constexpr const char* kTable =
    "CREATE TABLE items (id int primary key, name text, price numeric(10,2), tags text[], note text)";
constexpr const char* kChecksum =
    "SELECT count(*) || ':' || md5(string_agg(id || '|' || coalesce(name, '<null>') || '|' || price || '|' || "
    "coalesce(tags::text, '') || '|' || coalesce(note, '<null>'), ',' ORDER BY id)) FROM items";
}  // namespace

TEST_CASE("StreamCopy: moves a table from PostgreSQL 13 to 17 without a file", "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  REQUIRE(src->Exec(kTable).ok());
  REQUIRE(dst->Exec(kTable).ok());
  REQUIRE(src->Exec("INSERT INTO items SELECT g, 'item ' || g || E'\\ttab\\nline', g * 1.5, ARRAY['a', 'b''' || g], "
                    "CASE WHEN g % 3 = 0 THEN NULL ELSE repeat('é', g % 50) END FROM generate_series(1, 5000) g")
              .ok());
  auto from = src->Connect();
  auto to = dst->Connect();
  REQUIRE(from.ok());
  REQUIRE(to.ok());

  CHECK((*from)->last_copy_out_rows() == -1);
  SECTION("text format") {
    auto stats = pg::StreamCopy(**from, "COPY public.items TO STDOUT", **to, "COPY public.items FROM STDIN");
    REQUIRE(stats.ok());
    CHECK(stats->rows == 5000);
    CHECK(stats->bytes > 5000 * 10);
    CHECK((*from)->last_copy_out_rows() == 5000);  // the source's own "COPY n"
  }
  SECTION("binary format, through a query") {
    auto stats = pg::StreamCopy(**from, "COPY (SELECT * FROM items ORDER BY id) TO STDOUT (FORMAT binary)", **to,
                                "COPY items FROM STDIN (FORMAT binary)");
    REQUIRE(stats.ok());
    CHECK(stats->rows == 5000);
    CHECK((*from)->last_copy_out_rows() == 5000);
  }
  auto want = src->Query(kChecksum);
  auto got = dst->Query(kChecksum);
  REQUIRE(want.ok());
  REQUIRE(got.ok());
  CHECK(want->rows[0][0] == got->rows[0][0]);
  CHECK(want->rows[0][0]->rfind("5000:", 0) == 0);
  // Both connections are usable afterwards.
  CHECK((*from)->QueryInt("SELECT 1").value() == 1);
  CHECK((*to)->QueryInt("SELECT count(*) FROM items").value() == 5000);
}

TEST_CASE("StreamCopy: stores nothing on the target when the data does not fit", "[engines][pg]") {
  auto src = StartOrFail({.major = 13});
  auto dst = StartOrFail({.major = 17});
  REQUIRE(src->Exec("CREATE TABLE items (id int, name text); INSERT INTO items SELECT g, 'n' || g FROM "
                    "generate_series(1, 100) g; INSERT INTO items VALUES (101, NULL)")
              .ok());
  REQUIRE(dst->Exec("CREATE TABLE items (id int, name text NOT NULL)").ok());
  auto from = src->Connect();
  auto to = dst->Connect();
  REQUIRE(from.ok());
  REQUIRE(to.ok());
  auto stats = pg::StreamCopy(**from, "COPY items TO STDOUT", **to, "COPY items FROM STDIN");
  REQUIRE_FALSE(stats.ok());
  CHECK(stats.status().message().find("COPY into target") != std::string::npos);
  CHECK(stats.status().message().find("not-null") != std::string::npos);
  CHECK((*to)->QueryInt("SELECT count(*) FROM items").value() == 0);

  SECTION("a missing source table fails on the source side and aborts the target COPY") {
    auto s2 = pg::StreamCopy(**from, "COPY nope TO STDOUT", **to, "COPY items FROM STDIN");
    REQUIRE_FALSE(s2.ok());
    CHECK(s2.status().IsNotFound());
    CHECK(s2.status().message().find("COPY from source") != std::string::npos);
    CHECK((*to)->QueryInt("SELECT count(*) FROM items").value() == 0);
  }
  SECTION("CopyOut hands every row to the sink") {
    std::string all;
    auto out = (*from)->CopyOut("COPY (SELECT id FROM items ORDER BY id LIMIT 3) TO STDOUT", [&](std::string_view c) {
      all.append(c);
      return tpd::Status::Ok();
    });
    REQUIRE(out.ok());
    CHECK(all == "1\n2\n3\n");
    CHECK(out->bytes == 6);
    auto stop = (*from)->CopyOut("COPY items TO STDOUT",
                                 [&](std::string_view) { return tpd::Status::Unavailable("sink full"); });
    CHECK(stop.status().IsUnavailable());
    CHECK((*from)->QueryInt("SELECT 5").value() == 5);
  }
}
