#include "planner/explain_args.h"

#include <catch2/catch.hpp>

#include "helpers.h"

namespace tpd::planner {
namespace {

TEST_CASE("ParseExplainArgs: reads every flag into facts and request", "[planner]") {
  const Result<ExplainArgs> a = ParseExplainArgs(
      {"explain", "--engine", "postgres", "--from", "13.4", "--to=17", "--size", "12GiB", "--topology", "multi-replica",
       "--target-server", "--local-dirs", "--no-link", "--max-downtime", "1h30m", "--strategy", "replication",
       "--wal-level", "replica", "--tables-without-pk", "3", "--replica-identity-full", "1", "--pg-dump-version", "17",
       "--pg-upgrade-version", "9.6", "--extensions-missing", "postgis,pg_trgm", "--json"});
  REQUIRE(a.ok());
  CHECK(a->facts.engine == Engine::kPostgres);
  CHECK(a->facts.current_version == "13.4");
  CHECK(a->request.target_version == "17");
  CHECK(*a->facts.data_size_bytes == 12 * testing::kGiB);
  CHECK(a->facts.topology == Topology::kMultiReplica);
  CHECK(a->facts.has_target_server);
  CHECK(a->facts.local_dirs);
  CHECK(a->facts.source_bin_dir);
  CHECK(a->facts.target_bin_dir);
  CHECK_FALSE(a->facts.in_place_link);
  CHECK(*a->request.max_downtime_seconds == 5400);
  CHECK(*a->request.strategy == Strategy::kReplication);
  CHECK(a->facts.wal_level == "replica");
  CHECK(*a->facts.tables_without_pk == 3);
  CHECK(a->facts.tables_without_pk_with_identity == 1);
  CHECK(*a->facts.pg_dump_major == 17);
  CHECK(*a->facts.pg_upgrade_major == 96);
  CHECK(a->facts.extensions_missing_on_target == std::vector<std::string>{"postgis", "pg_trgm"});
  CHECK(a->json);
}

TEST_CASE("ParseExplainArgs: names the bad argument", "[planner]") {
  struct Case {
    std::vector<std::string> args;
    std::string starts;
  };
  const std::vector<std::string> base = {"--engine", "postgresql", "--from", "13", "--to", "17"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  for (const Case& c : std::vector<Case>{
           {{"--from", "13", "--to", "17"}, "--engine is required"},
           {{"--engine", "pg", "--to", "17"}, "--from is required"},
           {{"--engine", "pg", "--from", "13"}, "--to is required"},
           {{"--engine", "oracle", "--from", "1", "--to", "2"}, "--engine: "},
           {with({"--size", "12XB"}), "--size: "},
           {with({"--max-downtime", "soon"}), "--max-downtime: "},
           {with({"--strategy", "magic"}), "--strategy: "},
           {with({"--topology", "ring"}), "--topology: "},
           {with({"--wal-level", "hot"}), "--wal-level: "},
           {with({"--tables-without-pk", "-1"}), "--tables-without-pk: "},
           {with({"--size"}), "--size: missing value"},
           {with({"--json=yes"}), "--json: takes no value"},
           {with({"--bogus"}), "unknown argument \"--bogus\""},
           {{"--engine", "pg", "--from", "x", "--to", "17"}, "--from: "},
       }) {
    const Result<ExplainArgs> r = ParseExplainArgs(c.args);
    INFO(c.starts);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().rfind(c.starts, 0) == 0);
  }
}

TEST_CASE("ParseExplainArgs: --help needs nothing else", "[planner]") {
  const Result<ExplainArgs> r = ParseExplainArgs({"--help"});
  REQUIRE(r.ok());
  CHECK(r->help);
  CHECK(ExplainUsage().find("--max-downtime") != std::string::npos);
}

}  // namespace
}  // namespace tpd::planner
