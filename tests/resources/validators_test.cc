#include "resources/validators.h"

#include <catch2/catch.hpp>
#include <string>

#include "schema/value.h"

namespace tpd::resources {
namespace {

using schema::Value;

bool Mentions(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

TEST_CASE("CheckEngineName: accepts canonical names and refuses aliases with the name to write", "[resources]") {
  for (const auto& e : KnownEngines()) CHECK(CheckEngineName(e).ok());
  CHECK(CheckEngineName("postgresql").ok());
  Status alias = CheckEngineName("postgres");
  CHECK(alias.IsInvalidArgument());
  CHECK(Mentions(alias, "\"postgresql\""));
  Status upper = CheckEngineName("PostgreSQL");
  CHECK(upper.IsInvalidArgument());
  CHECK(Mentions(upper, "\"postgresql\""));
  Status unknown = CheckEngineName("oracle");
  CHECK(unknown.IsInvalidArgument());
  CHECK(Mentions(unknown, "\"oracle\""));
  CHECK(Mentions(unknown, "\"mysql\""));
  CHECK(CheckEngineName("").IsInvalidArgument());
}

TEST_CASE("CheckVersionForEngine: enforces PostgreSQL major-version forms", "[resources]") {
  for (const char* ok : {"17", "17.2", "10", "9.6", "9.6.24", "13.23"}) {
    INFO(ok);
    CHECK(CheckVersionForEngine("postgresql", ok).ok());
  }
  SECTION("three parts after 10") {
    Status s = CheckVersionForEngine("postgresql", "17.2.1");
    CHECK(s.IsInvalidArgument());
    CHECK(Mentions(s, "\"17.2\""));
  }
  SECTION("bare major before 10") {
    Status s = CheckVersionForEngine("postgresql", "9");
    CHECK(s.IsInvalidArgument());
    CHECK(Mentions(s, "9.6"));
  }
  SECTION("v prefix outside Dgraph") {
    CHECK(CheckVersionForEngine("postgresql", "v17").IsInvalidArgument());
    CHECK(CheckVersionForEngine("dgraph", "v23.1.0").ok());
  }
  SECTION("not a version") {
    for (const char* bad : {"", "latest", "17.x", "17-beta", "1.2.3.4", "017", "17.", ".17", "17..2"}) {
      INFO(bad);
      CHECK(CheckVersionForEngine("postgresql", bad).IsInvalidArgument());
      CHECK(CheckVersionSyntax(bad).IsInvalidArgument());
    }
  }
  SECTION("other engines") {
    CHECK(CheckVersionForEngine("mysql", "8.0.36").ok());
    CHECK(CheckVersionForEngine("mongodb", "7.0").ok());
    CHECK(CheckVersionForEngine("redis", "7").ok());
    CHECK(CheckVersionForEngine("oracle", "19").IsInvalidArgument());
  }
}

TEST_CASE("CheckDuration: accepts Go-style durations and says how to write one otherwise", "[resources]") {
  CHECK(CheckDuration("90s").ok());
  CHECK(CheckDuration("5m").ok());
  CHECK(CheckDuration("1h30m").ok());
  CHECK(CheckDuration("0s").ok());
  for (const char* bad : {"", "five minutes", "5 m", "m", "-5m", "5ms", "1w"}) {
    INFO(bad);
    Status s = CheckDuration(bad);
    CHECK(s.IsInvalidArgument());
    CHECK(Mentions(s, "\"90s\""));
  }
  CHECK(CheckDuration("0s", 1).IsInvalidArgument());
  CHECK(CheckDuration("1s", 1).ok());
}

TEST_CASE("CheckUrl: accepts engine schemes and explains malformed URLs without echoing them", "[resources]") {
  for (const char* ok :
       {"postgresql://postgres@db.example.com:5432/postgres", "postgres://u@localhost/db?sslmode=require",
        "postgresql:///db?host=/var/run/postgresql", "postgresql://u@[::1]:5432/db", "mysql://root@db:3306/app",
        "mongodb+srv://cluster0.example.net/app", "redis://cache:6379/0", "https://es.example.com:9200",
        "postgresql://h1:5432,h2:5433/db"}) {
    INFO(ok);
    CHECK(CheckUrl(ok).ok());
  }
  SECTION("no scheme") { CHECK(Mentions(CheckUrl("db.example.com:5432"), "scheme")); }
  SECTION("unknown scheme") {
    Status s = CheckUrl("ftp://host/x");
    CHECK(s.IsInvalidArgument());
    CHECK(Mentions(s, "postgresql://"));
  }
  SECTION("bad port") { CHECK(Mentions(CheckUrl("postgresql://u@host:54x/db"), "port")); }
  SECTION("port out of range") { CHECK(CheckUrl("postgresql://u@host:70000/db").IsInvalidArgument()); }
  SECTION("no host") {
    CHECK(Mentions(CheckUrl("mysql:///db"), "no host"));
    CHECK(Mentions(CheckUrl("redis://:6379"), "no host"));
    CHECK(CheckUrl("postgresql:///db").ok());  // libpq's default socket
  }
  SECTION("whitespace") { CHECK(Mentions(CheckUrl("postgresql://u@ho st/db"), "whitespace")); }
  SECTION("the password never appears in the message") {
    for (const char* bad :
         {"postgresql://u:Sup3rSecret@host:54x/db", "ftp://u:Sup3rSecret@host/db", "mysql://u:Sup3rSecret@/db",
          "postgresql://u:Sup3rSecret@h:0/db", "postgresql://u:Sup3rSecret/db", "postgresql://u:Sup3rSecret?@h/db",
          "postgresql://u:Sup3rSecret@h:x/db"}) {
      INFO(bad);
      Status s = CheckUrl(bad);
      REQUIRE_FALSE(s.ok());
      CHECK_FALSE(Mentions(s, "Sup3rSecret"));
    }
  }
}

TEST_CASE("CheckUrlForEngine: rejects a scheme of another engine", "[resources]") {
  CHECK(CheckUrlForEngine("postgresql", "postgres://u@h/db").ok());
  Status s = CheckUrlForEngine("postgresql", "mysql://u@h/db");
  CHECK(s.IsInvalidArgument());
  CHECK(Mentions(s, "postgresql://"));
  CHECK(CheckUrlForEngine("mongodb", "mongodb://h/db").ok());
  CHECK(CheckUrlForEngine("redis", "postgresql://h/db").IsInvalidArgument());
}

TEST_CASE("UrlHasPassword: detects userinfo and query passwords", "[resources]") {
  CHECK(UrlHasPassword("postgresql://u:pw@h/db"));
  CHECK(UrlHasPassword("postgresql://u@h/db?password=pw"));
  CHECK_FALSE(UrlHasPassword("postgresql://u@h/db"));
  CHECK_FALSE(UrlHasPassword("postgresql://h/db?sslmode=require"));
}

TEST_CASE("CheckAbsolutePath: requires a leading slash and says how to write one", "[resources]") {
  CHECK(CheckAbsolutePath("/var/lib/db").ok());
  CHECK(Mentions(CheckAbsolutePath("data"), "abspath"));
  CHECK(Mentions(CheckAbsolutePath("~/data"), "pathexpand"));
  CHECK(CheckAbsolutePath("").IsInvalidArgument());
  CHECK(CheckAbsolutePath(std::string("/a\nb")).IsInvalidArgument());
}

TEST_CASE("Validators: check values and ignore null and unknown ones", "[resources]") {
  SECTION("one of") {
    auto v = OneOfValidator({"a", "b"});
    CHECK(v(Value::String("a")).ok());
    Status s = v(Value::String("c"));
    CHECK(s.IsInvalidArgument());
    CHECK(Mentions(s, "\"a\" or \"b\""));
    CHECK(Mentions(v(Value::String("A")), "lower case"));
    CHECK(v(Value::Null(schema::Type::String())).ok());
    CHECK(v(Value::Unknown(schema::Type::String())).ok());
  }
  SECTION("int range") {
    auto v = IntRangeValidator(1, 64);
    CHECK(v(Value::Int(1)).ok());
    CHECK(v(Value::Int(64)).ok());
    CHECK(v(Value::Int(0)).IsInvalidArgument());
    CHECK(v(Value::Int(65)).IsInvalidArgument());
    CHECK(Mentions(v(Value::Num(*schema::Number::FromString("2.5"))), "whole number"));
    CHECK(v(Value::Num(*schema::Number::FromString("1e30"))).IsInvalidArgument());
  }
  SECTION("each element") {
    auto v = EachElementValidator(AbsolutePathValidator());
    CHECK(v(Value::StringList({"/a", "/b"})).ok());
    Status s = v(Value::StringList({"/a", "rel"}));
    CHECK(s.IsInvalidArgument());
    CHECK(Mentions(s, "element 1"));
    CHECK(v(Value::List(schema::Type::String(), {Value::String("/a"), Value::Unknown(schema::Type::String())})).ok());
    CHECK(v(Value::List(schema::Type::String(), {Value::Null(schema::Type::String())})).IsInvalidArgument());
  }
  SECTION("engine, version, duration, url") {
    CHECK(EngineNameValidator()(Value::String("mysql")).ok());
    CHECK(EngineNameValidator()(Value::String("db2")).IsInvalidArgument());
    CHECK(VersionValidator()(Value::String("17")).ok());
    CHECK(VersionValidator()(Value::String("seventeen")).IsInvalidArgument());
    CHECK(DurationValidator()(Value::String("5m")).ok());
    CHECK(DurationValidator()(Value::String("5 minutes")).IsInvalidArgument());
    CHECK(UrlValidator()(Value::String("postgresql://h/db")).ok());
    CHECK(UrlValidator()(Value::String("h/db")).IsInvalidArgument());
    CHECK(NonEmptyStringValidator()(Value::String("  ")).IsInvalidArgument());
  }
}

}  // namespace
}  // namespace tpd::resources
