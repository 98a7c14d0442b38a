// Reusable attribute validators and the engine facts they check against.
//
// Each `XxxValidator()` returns a schema::AttributeValidator for schema::Attribute::validators: the
// framework in provider/ calls it on known, non-null configured values only and attaches the
// attribute path to the Status it returns. Every non-OK result is InvalidArgument and its message
// says what was wrong and what to write instead. Messages never repeat a whole URL (it may hold a
// password): only its scheme or the offending part is named.
//
// The `CheckXxx` functions are the same checks as plain functions, for cross-attribute validation
// (ValidateConfig), where the engine decides which versions and URL schemes are valid.
//
// Thread-safety: every function is pure; returned validators may be called from any thread.
#ifndef TPD_RESOURCES_VALIDATORS_H_
#define TPD_RESOURCES_VALIDATORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::resources {

// Engine names as written in configuration. Persisted: never rename.
inline constexpr std::string_view kEnginePostgresql = "postgresql";
inline constexpr std::string_view kEngineMysql = "mysql";
inline constexpr std::string_view kEngineMariadb = "mariadb";
inline constexpr std::string_view kEngineMongodb = "mongodb";
inline constexpr std::string_view kEngineRedis = "redis";
inline constexpr std::string_view kEngineElasticsearch = "elasticsearch";
inline constexpr std::string_view kEngineDgraph = "dgraph";
inline constexpr std::string_view kEngineKwdb = "kwdb";

// Every engine name the schemas accept (the planner's engines, planner::kAllEngines), canonical
// spelling only.
const std::vector<std::string>& KnownEngines();
// "a", "b" or "c" — for messages and descriptions.
std::string QuotedList(const std::vector<std::string>& items);

// --- Plain checks (OK or InvalidArgument with a what-to-write-instead message) ---

// `value` is one of `allowed` (exact, case-sensitive; a case-only mismatch says so).
Status CheckOneOf(std::string_view value, const std::vector<std::string>& allowed);
// `engine` is one of KnownEngines(); an alias the planner knows ("postgres", "mongo") is refused
// with the canonical name to write instead.
Status CheckEngineName(std::string_view engine);
// Generic version syntax: an optional "v" then 1 to 3 dot-separated decimal numbers without leading
// zeros ("17", "17.2", "8.0.36", "v23.1.0").
Status CheckVersionSyntax(std::string_view version);
// Version syntax of `engine`: PostgreSQL 10+ is MAJOR or MAJOR.MINOR ("17", "17.2"), older
// PostgreSQL is X.Y or X.Y.Z ("9.6", "9.6.24"); only Dgraph accepts a "v" prefix; other engines
// use CheckVersionSyntax, and the planner must be able to parse the version (planner::ParseVersion).
// REQUIRES: CheckEngineName(engine).ok() (an unknown engine fails with the engine message).
Status CheckVersionForEngine(std::string_view engine, std::string_view version);
// A duration such as "90s", "5m", "1h30m" (planner::ParseDurationSeconds syntax) of at least
// `min_seconds` seconds.
Status CheckDuration(std::string_view text, int64_t min_seconds = 0);
// A URL with one of the schemes any engine accepts (see UrlSchemesForEngine), a host (only
// postgresql:// and postgres:// may leave it empty: libpq then uses its default unix socket or a
// host=/dir query parameter), an optional numeric port 1..65535 per host and no whitespace.
Status CheckUrl(std::string_view url);
// CheckUrl plus: the scheme is one of UrlSchemesForEngine(engine).
Status CheckUrlForEngine(std::string_view engine, std::string_view url);
// URL schemes of `engine` without "://", e.g. {"postgres", "postgresql"}; empty for unknown engines.
std::vector<std::string> UrlSchemesForEngine(std::string_view engine);
// True when the URL's userinfo contains a password ("scheme://user:secret@host"), which would be
// stored unmasked in plans and state. Never fails.
bool UrlHasPassword(std::string_view url);
// An absolute path ("/var/lib/postgresql/17/main"): starts with '/', no NUL, no newline.
Status CheckAbsolutePath(std::string_view path);

// --- Validators for schema::Attribute::validators ---

// String attribute in `allowed`.
schema::AttributeValidator OneOfValidator(std::vector<std::string> allowed);
// String attribute naming a known engine.
schema::AttributeValidator EngineNameValidator();
// String attribute with CheckVersionSyntax syntax (engine-specific rules run in ValidateConfig).
schema::AttributeValidator VersionValidator();
// String attribute holding a duration of at least `min_seconds`.
schema::AttributeValidator DurationValidator(int64_t min_seconds = 0);
// String attribute holding a URL (CheckUrl).
schema::AttributeValidator UrlValidator();
// String attribute holding an absolute path.
schema::AttributeValidator AbsolutePathValidator();
// Number attribute holding an integer in [min, max].
schema::AttributeValidator IntRangeValidator(int64_t min, int64_t max);
// String attribute that is not empty (after trimming spaces).
schema::AttributeValidator NonEmptyStringValidator();
// List/set attribute: runs `element` on every known, non-null element; a null element is an error.
// Messages are prefixed with "element <index>: ".
schema::AttributeValidator EachElementValidator(schema::AttributeValidator element);

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_VALIDATORS_H_
