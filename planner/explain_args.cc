#include "planner/explain_args.h"

#include <charconv>
#include <string_view>

#include "planner/units.h"

namespace tpd::planner {
namespace {

Result<int64_t> ParseCount(std::string_view flag, std::string_view v) {
  int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n < 0) {
    return Status::InvalidArgument(std::string(flag) + ": expected a whole number >= 0, got \"" + std::string(v) + "\"");
  }
  return n;
}

// "17" -> 17, "9.6" -> 96 (the Facts convention for PostgreSQL tool majors).
Result<int> ParseToolMajor(std::string_view flag, std::string_view v) {
  Result<Version> parsed = ParseVersion(Engine::kPostgres, v);
  if (!parsed.ok()) return Status::InvalidArgument(std::string(flag) + ": " + parsed.status().message());
  return parsed->Part(0) >= 10 ? parsed->Part(0) : parsed->Part(0) * 10 + parsed->Part(1);
}

std::vector<std::string> SplitCommas(std::string_view v) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t end = v.find(',', pos);
    if (end == std::string_view::npos) end = v.size();
    if (end > pos) out.emplace_back(v.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::string ExplainUsage() {
  return "usage: terraform-provider-database explain --engine E --from V --to V [options]\n"
         "\n"
         "Prints how the planner would upgrade a database: the chosen strategy, the version path,\n"
         "the steps, the downtime estimate, and a verdict with its reason for every strategy.\n"
         "\n"
         "  --engine E                 postgresql, mysql, mariadb, mongodb, redis, elasticsearch, dgraph, kwdb\n"
         "  --from V                   current version (13.4, 170002, 8.0.36, v23.1.0)\n"
         "  --to V                     target version (17, 17.2, 7.0)\n"
         "  --size S                   data size (12GiB, 500MB, 1.5TiB)\n"
         "  --topology T               standalone (default), multi-replica, single-replica\n"
         "  --target-server            a separate target server is configured\n"
         "  --target-server-version V  version the target server runs\n"
         "  --local-dirs               data and binary directories are on this host\n"
         "  --no-link                  pg_upgrade cannot use --link (copies files instead)\n"
         "  --max-downtime D           longest acceptable downtime (90s, 5m, 1h30m)\n"
         "  --strategy S               auto (default), dump_restore, replication, in_place\n"
         "  --wal-level L              PostgreSQL wal_level of the source (minimal, replica, logical)\n"
         "  --tables-without-pk N      PostgreSQL tables without a primary key\n"
         "  --replica-identity-full N  how many of those have REPLICA IDENTITY FULL\n"
         "  --pg-dump-version M        major of pg_dump on this host\n"
         "  --pg-upgrade-version M     major of pg_upgrade on this host\n"
         "  --extensions-missing A,B   extensions not available for the target version\n"
         "  --json                     print JSON (see docs/explain.md)\n"
         "\n"
         "Exit status: 0 a strategy is chosen (or nothing to do), 2 no strategy is feasible,\n"
         "1 bad arguments.\n";
}

Result<ExplainArgs> ParseExplainArgs(const std::vector<std::string>& args) {
  ExplainArgs out;
  bool have_engine = false, have_from = false, have_to = false;
  std::string engine_text;
  size_t i = 0;
  if (!args.empty() && args[0] == "explain") i = 1;
  for (; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (const size_t eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    const auto boolean = [&](bool* target) -> Status {
      if (inline_value) return Status::InvalidArgument(flag + ": takes no value");
      *target = true;
      return Status::Ok();
    };
    const auto value = [&]() -> Result<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return Status::InvalidArgument(flag + ": missing value");
      return args[++i];
    };
    const auto with_flag = [&](const Status& s) { return Status::InvalidArgument(flag + ": " + s.message()); };

    if (flag == "--help" || flag == "-h") {
      out.help = true;
    } else if (flag == "--json") {
      TPD_RETURN_IF_ERROR(boolean(&out.json));
    } else if (flag == "--target-server") {
      TPD_RETURN_IF_ERROR(boolean(&out.facts.has_target_server));
    } else if (flag == "--local-dirs") {
      TPD_RETURN_IF_ERROR(boolean(&out.facts.local_dirs));
      out.facts.source_bin_dir = out.facts.target_bin_dir = true;
    } else if (flag == "--no-link") {
      bool no_link = false;
      TPD_RETURN_IF_ERROR(boolean(&no_link));
      out.facts.in_place_link = false;
    } else if (flag == "--engine") {
      TPD_ASSIGN_OR_RETURN(engine_text, value());
      Result<Engine> e = ParseEngine(engine_text);
      if (!e.ok()) return with_flag(e.status());
      out.facts.engine = *e;
      have_engine = true;
    } else if (flag == "--from") {
      TPD_ASSIGN_OR_RETURN(out.facts.current_version, value());
      have_from = true;
    } else if (flag == "--to") {
      TPD_ASSIGN_OR_RETURN(out.request.target_version, value());
      have_to = true;
    } else if (flag == "--size") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      Result<int64_t> n = ParseSizeBytes(v);
      if (!n.ok()) return with_flag(n.status());
      out.facts.data_size_bytes = *n;
    } else if (flag == "--topology") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      Result<Topology> t = ParseTopology(v);
      if (!t.ok()) return with_flag(t.status());
      out.facts.topology = *t;
    } else if (flag == "--target-server-version") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      out.facts.target_server_version = v;
      out.facts.has_target_server = true;
    } else if (flag == "--max-downtime") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      Result<int64_t> n = ParseDurationSeconds(v);
      if (!n.ok()) return with_flag(n.status());
      out.request.max_downtime_seconds = *n;
    } else if (flag == "--strategy") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      Result<std::optional<Strategy>> s = ParseStrategyChoice(v);
      if (!s.ok()) return with_flag(s.status());
      out.request.strategy = *s;
    } else if (flag == "--wal-level") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      if (v != "minimal" && v != "replica" && v != "logical") {
        return Status::InvalidArgument(flag + ": expected minimal, replica or logical, got \"" + v + "\"");
      }
      out.facts.wal_level = v;
    } else if (flag == "--tables-without-pk") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      TPD_ASSIGN_OR_RETURN(out.facts.tables_without_pk, ParseCount(flag, v));
    } else if (flag == "--replica-identity-full") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      TPD_ASSIGN_OR_RETURN(out.facts.tables_without_pk_with_identity, ParseCount(flag, v));
    } else if (flag == "--pg-dump-version") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      TPD_ASSIGN_OR_RETURN(out.facts.pg_dump_major, ParseToolMajor(flag, v));
    } else if (flag == "--pg-upgrade-version") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      TPD_ASSIGN_OR_RETURN(out.facts.pg_upgrade_major, ParseToolMajor(flag, v));
    } else if (flag == "--extensions-missing") {
      TPD_ASSIGN_OR_RETURN(std::string v, value());
      out.facts.extensions_missing_on_target = SplitCommas(v);
    } else {
      return Status::InvalidArgument("unknown argument \"" + args[i] + "\" (see explain --help)");
    }
  }
  if (out.help) return out;
  if (!have_engine) return Status::InvalidArgument("--engine is required");
  if (!have_from) return Status::InvalidArgument("--from is required");
  if (!have_to) return Status::InvalidArgument("--to is required");
  if (Result<Version> v = ParseVersion(out.facts.engine, out.facts.current_version); !v.ok()) {
    return Status::InvalidArgument("--from: " + v.status().message());
  }
  if (Result<Version> v = ParseVersion(out.facts.engine, out.request.target_version); !v.ok()) {
    return Status::InvalidArgument("--to: " + v.status().message());
  }
  if (out.facts.target_server_version) {
    if (Result<Version> v = ParseVersion(out.facts.engine, *out.facts.target_server_version); !v.ok()) {
      return Status::InvalidArgument("--target-server-version: " + v.status().message());
    }
  }
  if (out.facts.tables_without_pk && out.facts.tables_without_pk_with_identity > *out.facts.tables_without_pk) {
    return Status::InvalidArgument("--replica-identity-full: larger than --tables-without-pk");
  }
  return out;
}

}  // namespace tpd::planner
