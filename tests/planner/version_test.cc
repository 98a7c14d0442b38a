#include "planner/version.h"

#include <catch2/catch.hpp>

namespace tpd::planner {
namespace {

Version V(Engine e, const char* s) {
  Result<Version> v = ParseVersion(e, s);
  REQUIRE(v.ok());
  return *v;
}

TEST_CASE("ParseVersion: reads PostgreSQL versions and server_version_num", "[planner]") {
  CHECK(V(Engine::kPostgres, "9.6.24").parts == std::vector<int>{9, 6, 24});
  CHECK(SeriesOf(Engine::kPostgres, V(Engine::kPostgres, "9.6.24")) == "9.6");
  CHECK(SeriesOf(Engine::kPostgres, V(Engine::kPostgres, "13.4")) == "13");
  CHECK(V(Engine::kPostgres, "17").parts == std::vector<int>{17});
  CHECK(V(Engine::kPostgres, "170002").parts == std::vector<int>{17, 2});
  CHECK(V(Engine::kPostgres, "90624").parts == std::vector<int>{9, 6, 24});
  CHECK(V(Engine::kPostgres, " 16.4 (Debian 16.4-1) ").Canonical() == "16.4");
}

TEST_CASE("ParseVersion: reads every engine's version format", "[planner]") {
  CHECK(SeriesOf(Engine::kMySql, V(Engine::kMySql, "8.0.36")) == "8.0");
  CHECK(SeriesOf(Engine::kMySql, V(Engine::kMySql, "5.7")) == "5.7");
  const Version maria = V(Engine::kMariaDb, "10.11.6-MariaDB");
  CHECK(maria.parts == std::vector<int>{10, 11, 6});
  CHECK(maria.suffix == "-MariaDB");
  CHECK(SeriesOf(Engine::kMariaDb, maria) == "10.11");
  CHECK(SeriesOf(Engine::kMongoDb, V(Engine::kMongoDb, "4.2")) == "4.2");
  CHECK(SeriesOf(Engine::kMongoDb, V(Engine::kMongoDb, "7.0.5")) == "7.0");
  CHECK(SeriesOf(Engine::kRedis, V(Engine::kRedis, "6.2.14")) == "6");
  CHECK(SeriesOf(Engine::kElasticsearch, V(Engine::kElasticsearch, "6.8.23")) == "6");
  const Version dg = V(Engine::kDgraph, "v23.1.0");
  CHECK(dg.prefix == "v");
  CHECK(dg.Canonical() == "v23.1.0");
  CHECK(SeriesOf(Engine::kDgraph, dg) == "v23");
  CHECK(SeriesOf(Engine::kKwdb, V(Engine::kKwdb, "3.0.0")) == "3.0");
}

TEST_CASE("ParseVersion: rejects text without a leading number", "[planner]") {
  CHECK(ParseVersion(Engine::kPostgres, "").status().IsInvalidArgument());
  CHECK(ParseVersion(Engine::kPostgres, "latest").status().IsInvalidArgument());
  CHECK(ParseVersion(Engine::kMySql, "x8.0").status().IsInvalidArgument());
  CHECK(ParseVersion(Engine::kPostgres, "99999999999").status().IsInvalidArgument());
}

TEST_CASE("CompareVersions: orders numerically with missing parts as zero", "[planner]") {
  CHECK(CompareVersions(V(Engine::kPostgres, "9.6.24"), V(Engine::kPostgres, "10")) < 0);
  CHECK(CompareVersions(V(Engine::kPostgres, "13.4"), V(Engine::kPostgres, "13.10")) < 0);
  CHECK(CompareVersions(V(Engine::kPostgres, "17"), V(Engine::kPostgres, "17.0")) == 0);
  CHECK(CompareVersions(V(Engine::kMySql, "8.4"), V(Engine::kMySql, "8.0.36")) > 0);
}

TEST_CASE("Satisfies: a series-only target is met by any release of it", "[planner]") {
  CHECK(Satisfies(V(Engine::kPostgres, "17.2"), V(Engine::kPostgres, "17")));
  CHECK_FALSE(Satisfies(V(Engine::kPostgres, "17.2"), V(Engine::kPostgres, "17.4")));
  CHECK_FALSE(Satisfies(V(Engine::kPostgres, "16.4"), V(Engine::kPostgres, "17")));
}

TEST_CASE("IsDowngrade: true only when the target is older on the parts it writes", "[planner]") {
  CHECK(IsDowngrade(V(Engine::kPostgres, "17.2"), V(Engine::kPostgres, "16")));
  CHECK(IsDowngrade(V(Engine::kPostgres, "17.4"), V(Engine::kPostgres, "17.2")));
  CHECK_FALSE(IsDowngrade(V(Engine::kPostgres, "17.2"), V(Engine::kPostgres, "17")));
  CHECK_FALSE(IsDowngrade(V(Engine::kPostgres, "13.4"), V(Engine::kPostgres, "17")));
}

TEST_CASE("NewestKnownInSeries: resolves a major-only PostgreSQL target", "[planner]") {
  const std::optional<Version> v = NewestKnownInSeries(Engine::kPostgres, V(Engine::kPostgres, "17"));
  REQUIRE(v);
  CHECK(v->Part(0) == 17);
  CHECK(v->parts.size() == 2);
  CHECK_FALSE(NewestKnownInSeries(Engine::kPostgres, V(Engine::kPostgres, "42")));
}

TEST_CASE("ParseEngine: accepts names and aliases and rejects others", "[planner]") {
  CHECK(*ParseEngine("PostgreSQL") == Engine::kPostgres);
  CHECK(*ParseEngine("pg") == Engine::kPostgres);
  CHECK(*ParseEngine("mongo") == Engine::kMongoDb);
  CHECK(*ParseEngine("kaiwudb") == Engine::kKwdb);
  for (Engine e : kAllEngines) CHECK(*ParseEngine(EngineName(e)) == e);
  CHECK(ParseEngine("oracle").status().IsInvalidArgument());
}

}  // namespace
}  // namespace tpd::planner
