#include "resources/diagnostics.h"

#include <catch2/catch.hpp>
#include <string>

namespace tpd::resources {
namespace {

using schema::AttributePath;
using schema::Diagnostic;

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST_CASE("ConnectionFailed: each kind names its attribute and says what to do", "[resources]") {
  const AttributePath url = AttributePath::Root("source").Attr("url");
  const AttributePath pw = AttributePath::Root("source").Attr("password");
  SECTION("malformed") {
    Diagnostic d =
        ConnectionFailed(ConnectionFailure::kMalformedUrl, Status::InvalidArgument("port is bad"), "", "", url, pw);
    CHECK(d.severity == Diagnostic::Severity::kError);
    CHECK(d.attribute == url);
    CHECK(Has(d.summary, "Malformed"));
    CHECK(Has(d.detail, "port is bad"));
    CHECK(Has(d.detail, "postgresql://"));
  }
  SECTION("unreachable") {
    Diagnostic d =
        ConnectionFailed(ConnectionFailure::kUnreachable, Status::Unavailable("refused"), "db:5432", "app", url, pw);
    CHECK(d.attribute == url);
    CHECK(Has(d.detail, "db:5432"));
    CHECK(Has(d.detail, "source.url"));
  }
  SECTION("authentication") {
    Diagnostic d =
        ConnectionFailed(ConnectionFailure::kAuthentication, Status::InvalidArgument("no"), "db:5432", "app", url, pw);
    CHECK(d.attribute == pw);
    CHECK(Has(d.detail, "authentication failed"));
    CHECK(Has(d.detail, "\"app\""));
  }
  SECTION("other") {
    Diagnostic d = ConnectionFailed(ConnectionFailure::kOther, Status::NotFound("database \"x\" does not exist"),
                                    "db:5432", "app", url, pw);
    CHECK(d.attribute == url);
    CHECK(Has(d.detail, "does not exist"));
  }
}

TEST_CASE("DowngradeRefused: says to restore from backup", "[resources]") {
  Diagnostic d = DowngradeRefused("17.2", "16", AttributePath::Root("target_version"));
  CHECK(d.severity == Diagnostic::Severity::kError);
  CHECK(Has(d.detail, "17.2"));
  CHECK(Has(d.detail, "restore"));
  CHECK(Has(d.detail, "backup"));
  CHECK(d.attribute->ToString() == "target_version");
}

TEST_CASE("Diagnostics helpers: fill title, detail and path", "[resources]") {
  CHECK(UnknownEngine(Status::InvalidArgument("unknown engine \"x\""), AttributePath::Root("engine")).attribute);
  Diagnostic u = UnsupportedEngine("mysql", "The thing", {"postgresql"}, AttributePath::Root("engine"));
  CHECK(Has(u.detail, "\"postgresql\""));
  CHECK(Has(u.detail, "\"mysql\""));
  Diagnostic p = ProbeFailed(Status::FailedPrecondition("permission denied"), "db:5432", AttributePath::Root("url"));
  CHECK(Has(p.detail, "permission denied"));
  CHECK(PasswordInUrl(AttributePath::Root("url"), "password").severity == Diagnostic::Severity::kWarning);
  Diagnostic m = MissingForStrategy("in_place", "find things", AttributePath::Root("target").Attr("bin_dir"));
  CHECK(Has(m.detail, "target.bin_dir"));
  CHECK_FALSE(Cancelled(Status::Cancelled("stop"), "Reading").attribute);
  Diagnostic inv = InvalidAttribute(Status::InvalidArgument("bad").WithPath(AttributePath::Root("mode")));
  CHECK(inv.attribute->ToString() == "mode");
  for (const Diagnostic& d : {u, p, m, inv}) {
    CHECK_FALSE(d.summary.empty());
    CHECK_FALSE(d.detail.empty());
  }
}

TEST_CASE("RedactSecrets: removes every occurrence of secrets of 3+ characters", "[resources]") {
  CHECK(RedactSecrets("pw=s3cret and s3cret", {"s3cret"}) == "pw=(redacted) and (redacted)");
  CHECK(RedactSecrets("a b", {"a"}) == "a b");
  CHECK(RedactSecrets("x", {""}) == "x");
  schema::Diagnostics diags;
  diags.AddError("title s3cret", "detail s3cret", AttributePath::Root("url"));
  RedactSecrets(&diags, {"s3cret"});
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].summary == "title (redacted)");
  CHECK(diags.items()[0].detail == "detail (redacted)");
  CHECK(diags.items()[0].attribute->ToString() == "url");
}

}  // namespace
}  // namespace tpd::resources
