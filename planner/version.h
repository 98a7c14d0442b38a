// Engines and their version strings: parsing, ordering, release series.
//
// Every engine numbers its releases differently; this file says, per engine, which leading numbers
// form the "series" an upgrade path steps through (what a DBA calls the major version):
//   PostgreSQL    >= 10: first number ("13.4" -> "13");  < 10: first two ("9.6.24" -> "9.6").
//                 A bare integer >= 10000 is server_version_num: 170002 -> 17.2, 90624 -> 9.6.24.
//   MySQL/MariaDB first two ("8.0.36" -> "8.0", "10.11.6-MariaDB" -> "10.11").
//   MongoDB       first two ("7.0.5" -> "7.0", "4.2" -> "4.2").
//   Redis         first number ("6.2.14" -> "6").
//   Elasticsearch first number ("6.8.23" -> "6").
//   Dgraph        first number, written with its "v" ("v23.1.0" -> "v23").
//   KWDB          first two ("3.0.0" -> "3.0").
//
// Pure functions, no I/O. Thread-safety: values only; safe from any thread.
#ifndef TPD_PLANNER_VERSION_H_
#define TPD_PLANNER_VERSION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::planner {

enum class Engine { kPostgres, kMySql, kMariaDb, kMongoDb, kRedis, kElasticsearch, kDgraph, kKwdb };

inline constexpr Engine kAllEngines[] = {Engine::kPostgres, Engine::kMySql,         Engine::kMariaDb,
                                         Engine::kMongoDb,  Engine::kRedis,         Engine::kElasticsearch,
                                         Engine::kDgraph,   Engine::kKwdb};

// Canonical name. Persisted: never rename ("postgresql", "mysql", "mariadb", "mongodb", "redis",
// "elasticsearch", "dgraph", "kwdb").
std::string_view EngineName(Engine engine);

// Accepts the canonical names and the aliases "postgres", "pg", "mongo", "es", "kaiwudb"
// (case-insensitive). Returns InvalidArgument naming the accepted values otherwise.
Result<Engine> ParseEngine(std::string_view text);

// A parsed version string. Components not written are absent, not zero: "17" has parts {17}.
struct Version {
  std::vector<int> parts;  // numeric components as given: "9.6.24" -> {9, 6, 24}
  std::string prefix;      // text before the numbers: "v" for "v23.1.0", else empty
  std::string suffix;      // text after them: "-MariaDB", "-log", "-rc1"; not used for ordering
  std::string text;        // the input, trimmed

  // Component `i`, 0 when not written.
  int Part(size_t i) const { return i < parts.size() ? parts[i] : 0; }
  // prefix + the numeric parts joined by "." (no suffix): "v23.1.0", "10.11.6", "17".
  std::string Canonical() const;
};

// Parses `text` for `engine`. Leading/trailing spaces are ignored; a leading "v"/"V" is accepted for
// every engine. Returns InvalidArgument when there is no leading number, a component overflows, or
// a PostgreSQL server_version_num is malformed.
Result<Version> ParseVersion(Engine engine, std::string_view text);

// Number of leading components that form the series of `v` for `engine` (see the table above).
int SeriesWidth(Engine engine, const Version& v);

// The series as text ("9.6", "13", "8.0", "v23"); missing components count as 0 ("8" -> "8.0" for
// MySQL).
std::string SeriesOf(Engine engine, const Version& v);

// Orders by numeric components, a missing component counting as 0. Returns <0, 0, >0.
int CompareVersions(const Version& a, const Version& b);

// True when a and b are in the same series for `engine`.
bool SameSeries(Engine engine, const Version& a, const Version& b);

// True when `current` already is what `target` asks for: equal on every component `target` writes.
// "17" is satisfied by 17.2; "17.2" is not satisfied by 17.4 (that is a downgrade request).
bool Satisfies(const Version& current, const Version& target);

// True when `target` is older than `current` compared on the components `target` writes:
// 17.2 -> "16" and 17.4 -> "17.2" are downgrades; 17.2 -> "17" is not.
bool IsDowngrade(const Version& current, const Version& target);

// True when `target` writes fewer components than its engine's full version (major only, or
// series only): "17" for PostgreSQL, "7.0" for MongoDB, "8.0" for MySQL.
bool IsSeriesOnly(Engine engine, const Version& target);

// Newest release of `series` the planner knows of (a fixed table, see version.cc for its date), or
// nullopt when the series is not in the table.
std::optional<Version> NewestKnownInSeries(Engine engine, const Version& series);

// The ordered release series an in-place upgrade of `engine` must visit one at a time
// (MongoDB, MySQL). Empty for engines that may jump.
const std::vector<std::string>& SequentialSeries(Engine engine);

}  // namespace tpd::planner

#endif  // TPD_PLANNER_VERSION_H_
