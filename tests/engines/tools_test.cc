#include "engines/postgres/tools.h"

#include <catch2/catch.hpp>

namespace pg = tpd::engines::postgres;

TEST_CASE("ParseToolVersion: reads major and minor from --version output", "[engines]") {
  auto v = pg::ParseToolVersion("pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n");
  REQUIRE(v.ok());
  CHECK(v->major == 15);
  CHECK(v->minor == 8);
  CHECK(v->text == "15.8");
  CHECK(v->MajorLabel() == "15");
  CHECK(v->VersionNum() == 150008);

  auto old = pg::ParseToolVersion("postgres (PostgreSQL) 9.6.24");
  REQUIRE(old.ok());
  CHECK(old->major == 9);
  CHECK(old->minor == 6);
  CHECK(old->patch == 24);
  CHECK(old->MajorLabel() == "9.6");
  CHECK(old->VersionNum() == 90624);

  auto beta = pg::ParseToolVersion("psql (PostgreSQL) 17beta1");
  REQUIRE(beta.ok());
  CHECK(beta->major == 17);

  CHECK(pg::ParseToolVersion("13.23")->major == 13);
  CHECK(pg::ParseToolVersion("no version here").status().IsInvalidArgument());
}

TEST_CASE("FindTool: finds Debian's pg_dump 15 when tool_paths names its directory", "[engines]") {
  pg::ToolSearchOptions o;
  o.tool_paths = {"/usr/lib/postgresql/15/bin"};
  auto t = pg::FindTool("pg_dump", o);
  REQUIRE(t.ok());
  CHECK(t->path == "/usr/lib/postgresql/15/bin/pg_dump");
  CHECK(t->bin_dir == "/usr/lib/postgresql/15/bin");
  CHECK(t->version.major == 15);
  CHECK(t->name == "pg_dump");
}

TEST_CASE("FindTool: prefers the highest Debian major when PATH has none", "[engines]") {
  pg::ToolSearchOptions o;
  o.search_path_env = false;
  auto majors = pg::InstalledDebianMajors();
  REQUIRE(majors.size() >= 2);
  CHECK(majors.front() > majors.back());
  auto t = pg::FindTool("pg_dump", o);
  REQUIRE(t.ok());
  CHECK(t->version.major == majors.front());
  CHECK(t->path == "/usr/lib/postgresql/" + std::to_string(majors.front()) + "/bin/pg_dump");
}

TEST_CASE("FindTool: honours exact and minimum majors", "[engines]") {
  pg::ToolSearchOptions o;
  o.exact_major = 13;
  auto t13 = pg::FindTool("pg_upgrade", o);
  REQUIRE(t13.ok());
  CHECK(t13->path == "/usr/lib/postgresql/13/bin/pg_upgrade");
  CHECK(t13->version.major == 13);

  pg::ToolSearchOptions min;
  min.min_major = 14;
  min.search_path_env = false;
  auto t15 = pg::FindTool("pg_restore", min);
  REQUIRE(t15.ok());
  CHECK(t15->version.major >= 14);

  auto all = pg::FindAllTools("pg_dump", {});
  REQUIRE(all.size() >= 2);
}

TEST_CASE("FindTool: returns NotFound naming the searched directories when nothing fits", "[engines]") {
  pg::ToolSearchOptions o;
  o.tool_paths = {"/nonexistent/tpd-bin"};
  o.min_major = 99;
  auto t = pg::FindTool("pg_dump", o);
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().IsNotFound());
  const std::string m = t.status().message();
  CHECK(m.find("pg_dump (>= 99) not found") != std::string::npos);
  CHECK(m.find("/nonexistent/tpd-bin") != std::string::npos);
  CHECK(m.find("/usr/lib/postgresql/15/bin") != std::string::npos);
  CHECK(m.find("tool_paths") != std::string::npos);

  CHECK(pg::FindTool("tpd-no-such-tool", {}).status().IsNotFound());
  CHECK(pg::FindTool("../pg_dump", {}).status().IsInvalidArgument());
}
