#include "engines/postgres/conninfo.h"

#include <catch2/catch.hpp>

namespace pg = tpd::engines::postgres;

namespace {
constexpr const char* kSecret = "s3cr3t-Pa55";

std::string KeywordValue(const pg::ConnInfo& c, const std::string& key) {
  for (const auto& [k, v] : c.ToLibpqKeywords()) {
    if (k == key) return v;
  }
  return "<absent>";
}
}  // namespace

TEST_CASE("ConnInfo: parses every part of a full URL", "[engines]") {
  auto c = pg::ConnInfo::Parse(
      "postgresql://app%20user@db.example.com:6432/my%2Fdb?sslmode=require&connect_timeout=5&application_name=x");
  REQUIRE(c.ok());
  CHECK(c->user() == "app user");
  CHECK(c->host() == "db.example.com");
  CHECK(c->port() == 6432);
  CHECK(c->dbname() == "my/db");
  CHECK_FALSE(c->has_password());
  CHECK(c->Param("sslmode") == std::optional<std::string>("require"));
  CHECK(c->Param("connect_timeout") == std::optional<std::string>("5"));
  CHECK(c->Param("application_name") == std::optional<std::string>("x"));
  CHECK_FALSE(c->Param("nope").has_value());
  CHECK(c->Redacted() ==
        "postgres://app%20user@db.example.com:6432/my%2Fdb?sslmode=require&connect_timeout=5&application_name=x");
}

TEST_CASE("ConnInfo: uses defaults when the URL is minimal", "[engines]") {
  auto c = pg::ConnInfo::Parse("postgres://localhost");
  REQUIRE(c.ok());
  CHECK(c->host() == "localhost");
  CHECK(c->port() == 5432);
  CHECK(c->user().empty());
  CHECK(c->dbname().empty());
  CHECK(c->Redacted() == "postgres://localhost:5432/");
}

TEST_CASE("ConnInfo: never prints the password when it comes from the URL or the attribute", "[engines]") {
  SECTION("password inside the URL") {
    auto c = pg::ConnInfo::Parse(std::string("postgres://alice:") + kSecret + "@h:5433/db");
    REQUIRE(c.ok());
    CHECK(c->password() == kSecret);
    CHECK(c->Redacted() == "postgres://alice@h:5433/db");
    CHECK(c->ToLibpqConnString().find(kSecret) == std::string::npos);
    CHECK(KeywordValue(*c, "password") == kSecret);
  }
  SECTION("password as a separate attribute wins over the URL") {
    auto c = pg::ConnInfo::Parse("postgres://alice:urlpw@h/db", std::string(kSecret));
    REQUIRE(c.ok());
    CHECK(c->password() == kSecret);
    CHECK(c->Redacted().find("urlpw") == std::string::npos);
    CHECK(c->Redacted().find(kSecret) == std::string::npos);
  }
  SECTION("password and sslpassword as query parameters") {
    auto c = pg::ConnInfo::Parse(std::string("postgres://h/db?password=") + kSecret + "&sslpassword=" + kSecret);
    REQUIRE(c.ok());
    CHECK(c->password() == kSecret);
    CHECK(c->Redacted().find(kSecret) == std::string::npos);
    CHECK(c->ToLibpqConnString().find(kSecret) == std::string::npos);
  }
  SECTION("percent-encoded password with special characters") {
    auto c = pg::ConnInfo::Parse("postgres://bob:p%40ss%3Aw%2Fd@h/db");
    REQUIRE(c.ok());
    CHECK(c->password() == "p@ss:w/d");
    CHECK(c->user() == "bob");
    CHECK(c->host() == "h");
    CHECK(c->dbname() == "db");
    CHECK(c->Redacted() == "postgres://bob@h:5432/db");
  }
  SECTION("PasswordEnv hands the password to a child only") {
    auto c = pg::ConnInfo::Parse("postgres://h/db", std::string(kSecret));
    REQUIRE(c.ok());
    auto env = c->PasswordEnv();
    REQUIRE(env.size() == 1);
    CHECK(env[0].first == "PGPASSWORD");
    CHECK(env[0].second == kSecret);
    CHECK(c->WithoutPassword().PasswordEnv().empty());
  }
}

TEST_CASE("ConnInfo: accepts unix-socket directories and IPv6 hosts", "[engines]") {
  SECTION("host as query parameter") {
    auto c = pg::ConnInfo::Parse("postgres://postgres@/appdb?host=/var/run/postgresql");
    REQUIRE(c.ok());
    CHECK(c->host() == "/var/run/postgresql");
    CHECK(c->is_unix_socket());
    CHECK(c->Redacted() == "postgres://postgres@:5432/appdb?host=/var/run/postgresql");
    auto again = pg::ConnInfo::Parse(c->Redacted());
    REQUIRE(again.ok());
    CHECK(*again == *c);
  }
  SECTION("percent-encoded host") {
    auto c = pg::ConnInfo::Parse("postgres://%2Ftmp%2Fsock:5544/db");
    REQUIRE(c.ok());
    CHECK(c->host() == "/tmp/sock");
    CHECK(c->port() == 5544);
  }
  SECTION("IPv6") {
    auto c = pg::ConnInfo::Parse("postgres://u@[::1]:5433/db");
    REQUIRE(c.ok());
    CHECK(c->host() == "::1");
    CHECK(c->port() == 5433);
    CHECK(c->Redacted() == "postgres://u@[::1]:5433/db");
  }
}

TEST_CASE("ConnInfo: rejects malformed URLs with a helpful message and no secret", "[engines]") {
  const std::string s = kSecret;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"mysql://u:" + s + "@h/db", "scheme"},
      {"u:" + s + "@h/db", "postgres://"},
      {"host=h password=" + s, "keyword=value"},
      {"postgres://u:" + s + "@h:54x/db", "port"},
      {"postgres://u:" + s + "@h:70000/db", "65535"},
      {"postgres://u:" + s + "@h:/db", "port"},
      {"postgres://u:" + s + "@h/db?bogus=1", "unknown connection parameter \"bogus\""},
      {"postgres://u:" + s + "@h/db?sslmode=sometimes", "sslmode"},
      {"postgres://u:" + s + "@h/db?connect_timeout=soon", "connect_timeout"},
      {"postgres://u:" + s + "@h1,h2/db", "more than one host"},
      {"postgres://u:" + s + "@h/d%zzb", "percent-escape"},
      {"postgres://u:" + s + "%4@h/db", "percent-escape"},
      {"postgres://u:" + s + "@[::1/db", "IPv6"},
      {"postgres://u:" + s + "@h/db?sslmode", "no value"},
      {"postgres://u:" + s + "@h/db#frag", "fragment"},
  };
  for (const auto& [url, expect] : cases) {
    INFO("case expecting: " << expect);
    auto c = pg::ConnInfo::Parse(url);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().IsInvalidArgument());
    CHECK(c.status().message().find(expect) != std::string::npos);
    CHECK(c.status().message().find("a valid URL looks like postgres://") != std::string::npos);
    CHECK(c.status().message().find(s) == std::string::npos);
  }
}

TEST_CASE("ConnInfo: copies replace one part and equality covers all parts", "[engines]") {
  auto c = pg::ConnInfo::Parse("postgres://u@h:5433/db?sslmode=disable", std::string("pw"));
  REQUIRE(c.ok());
  auto other = c->WithDatabase("other");
  CHECK(other.dbname() == "other");
  CHECK(other.host() == "h");
  CHECK(other.password() == "pw");
  CHECK(other != *c);
  CHECK(other.SameServer(*c));
  CHECK(other.WithDatabase("db") == *c);
  CHECK(c->WithoutPassword() != *c);
  CHECK_FALSE(c->WithoutPassword().has_password());
  CHECK(c->WithoutPassword().WithPassword("pw") == *c);
  CHECK(c->WithParam("sslmode", "require").Param("sslmode") == std::optional<std::string>("require"));
  CHECK(KeywordValue(*c, "port") == "5433");
  CHECK(KeywordValue(*c, "sslmode") == "disable");
  CHECK(c->ToLibpqConnString() == "host='h' port='5433' user='u' dbname='db' sslmode='disable'");
}
