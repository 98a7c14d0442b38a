#include "planner/version.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <utility>

namespace tpd::planner {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string JoinParts(const std::vector<int>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(i < parts.size() ? parts[i] : 0);
  }
  return out;
}

// Newest releases known when this table was written (2025-08). Only used to say what a
// series-only target ("17") resolves to when no target server reports its own version.
struct KnownRelease {
  Engine engine;
  std::string_view series;
  std::string_view newest;
};
constexpr KnownRelease kKnownReleases[] = {
    {Engine::kPostgres, "13", "13.22"},  {Engine::kPostgres, "14", "14.19"},
    {Engine::kPostgres, "15", "15.14"},  {Engine::kPostgres, "16", "16.10"},
    {Engine::kPostgres, "17", "17.6"},   {Engine::kMySql, "5.7", "5.7.44"},
    {Engine::kMySql, "8.0", "8.0.43"},   {Engine::kMySql, "8.4", "8.4.6"},
    {Engine::kMongoDb, "4.4", "4.4.29"}, {Engine::kMongoDb, "5.0", "5.0.31"},
    {Engine::kMongoDb, "6.0", "6.0.25"}, {Engine::kMongoDb, "7.0", "7.0.23"},
    {Engine::kMongoDb, "8.0", "8.0.12"},
};

}  // namespace

std::string_view EngineName(Engine engine) {
  switch (engine) {
    case Engine::kPostgres: return "postgresql";
    case Engine::kMySql: return "mysql";
    case Engine::kMariaDb: return "mariadb";
    case Engine::kMongoDb: return "mongodb";
    case Engine::kRedis: return "redis";
    case Engine::kElasticsearch: return "elasticsearch";
    case Engine::kDgraph: return "dgraph";
    case Engine::kKwdb: return "kwdb";
  }
  return "unknown";
}

Result<Engine> ParseEngine(std::string_view text) {
  const std::string t = Lower(Trim(text));
  for (Engine e : kAllEngines) {
    if (t == EngineName(e)) return e;
  }
  if (t == "postgres" || t == "pg") return Engine::kPostgres;
  if (t == "mongo") return Engine::kMongoDb;
  if (t == "es") return Engine::kElasticsearch;
  if (t == "kaiwudb") return Engine::kKwdb;
  return Status::InvalidArgument("unknown engine \"" + std::string(text) +
                                 "\": expected one of postgresql, mysql, mariadb, mongodb, redis, "
                                 "elasticsearch, dgraph, kwdb");
}

std::string Version::Canonical() const { return prefix + JoinParts(parts, parts.size()); }

Result<Version> ParseVersion(Engine engine, std::string_view text) {
  const std::string_view t = Trim(text);
  Version v;
  v.text = std::string(t);
  size_t i = 0;
  if (i < t.size() && (t[i] == 'v' || t[i] == 'V')) {
    v.prefix = "v";
    ++i;
  }
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("cannot parse " + std::string(EngineName(engine)) + " version \"" +
                                   std::string(t) + "\": " + std::string(why));
  };
  while (true) {
    if (i >= t.size() || !std::isdigit(static_cast<unsigned char>(t[i]))) {
      if (v.parts.empty()) return bad("expected a number such as 17 or 8.0.36");
      break;
    }
    long long n = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      n = n * 10 + (t[i] - '0');
      if (n > std::numeric_limits<int>::max()) return bad("number too large");
      ++i;
    }
    v.parts.push_back(static_cast<int>(n));
    if (i + 1 < t.size() && t[i] == '.' && std::isdigit(static_cast<unsigned char>(t[i + 1]))) {
      ++i;
      continue;
    }
    break;
  }
  v.suffix = std::string(t.substr(i));
  // PostgreSQL's server_version_num: one integer of 5 or 6 digits (90624, 170002).
  if (engine == Engine::kPostgres && v.parts.size() == 1 && v.prefix.empty() && v.suffix.empty() &&
      v.parts[0] >= 10000) {
    const int num = v.parts[0];
    if (num >= 100000) {
      v.parts = {num / 10000, num % 10000};  // 170002 -> 17.2 (10 and later: major * 10000 + minor)
    } else {
      v.parts = {num / 10000, (num / 100) % 100, num % 100};  // 90624 -> 9.6.24
    }
    if (v.parts[0] < 7) return bad("server_version_num out of range");
  }
  return v;
}

int SeriesWidth(Engine engine, const Version& v) {
  switch (engine) {
    case Engine::kPostgres: return v.Part(0) >= 10 ? 1 : 2;
    case Engine::kMySql:
    case Engine::kMariaDb:
    case Engine::kMongoDb:
    case Engine::kKwdb: return 2;
    case Engine::kRedis:
    case Engine::kElasticsearch:
    case Engine::kDgraph: return 1;
  }
  return 1;
}

std::string SeriesOf(Engine engine, const Version& v) {
  return (engine == Engine::kDgraph ? std::string("v") : std::string()) +
         JoinParts(v.parts, static_cast<size_t>(SeriesWidth(engine, v)));
}

int CompareVersions(const Version& a, const Version& b) {
  const size_t n = std::max(a.parts.size(), b.parts.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.Part(i) != b.Part(i)) return a.Part(i) < b.Part(i) ? -1 : 1;
  }
  return 0;
}

bool SameSeries(Engine engine, const Version& a, const Version& b) {
  const int w = SeriesWidth(engine, a);
  if (w != SeriesWidth(engine, b)) return false;
  for (int i = 0; i < w; ++i) {
    if (a.Part(static_cast<size_t>(i)) != b.Part(static_cast<size_t>(i))) return false;
  }
  return true;
}

bool Satisfies(const Version& current, const Version& target) {
  for (size_t i = 0; i < target.parts.size(); ++i) {
    if (current.Part(i) != target.parts[i]) return false;
  }
  return true;
}

bool IsDowngrade(const Version& current, const Version& target) {
  for (size_t i = 0; i < target.parts.size(); ++i) {
    if (current.Part(i) != target.parts[i]) return current.Part(i) > target.parts[i];
  }
  return false;
}

bool IsSeriesOnly(Engine engine, const Version& target) {
  return static_cast<int>(target.parts.size()) <= SeriesWidth(engine, target);
}

std::optional<Version> NewestKnownInSeries(Engine engine, const Version& series) {
  const std::string s = SeriesOf(engine, series);
  for (const KnownRelease& r : kKnownReleases) {
    if (r.engine == engine && r.series == s) {
      Result<Version> v = ParseVersion(engine, r.newest);
      if (v.ok()) return std::move(v).value();
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& SequentialSeries(Engine engine) {
  // MySQL: upgrades between LTS/GA series one at a time (MySQL Reference Manual, "Upgrade Paths":
  // 5.6 -> 5.7 -> 8.0 -> 8.4; skipping a series is not supported).
  static const std::vector<std::string> kMySql = {"5.5", "5.6", "5.7", "8.0", "8.4"};
  // MongoDB: each release series in turn, feature compatibility version raised after each
  // (MongoDB manual, "Upgrade a Standalone to 5.0/6.0/7.0": "must successively upgrade").
  static const std::vector<std::string> kMongo = {"3.4", "3.6", "4.0", "4.2", "4.4",
                                                  "5.0", "6.0", "7.0", "8.0"};
  static const std::vector<std::string> kNone;
  switch (engine) {
    case Engine::kMySql: return kMySql;
    case Engine::kMongoDb: return kMongo;
    default: return kNone;
  }
}

}  // namespace tpd::planner
