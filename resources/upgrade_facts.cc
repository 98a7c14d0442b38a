#include "resources/upgrade_facts.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "engines/history.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/tools.h"
#include "planner/render.h"
#include "planner/units.h"
#include "planner/version.h"
#include "resources/common_blocks.h"

namespace tpd::resources {
namespace {

namespace pg = engines::postgres;
using schema::AttributePath;
using schema::Type;
using schema::Value;

std::string StrOr(const Value& obj, std::initializer_list<std::string_view> path, std::string dflt = "") {
  std::optional<std::string> s = KnownStringAt(obj, path);
  return s ? *s : dflt;
}

bool BoolOr(const Value& obj, std::initializer_list<std::string_view> path, bool dflt) {
  std::optional<Value> v = ValueAt(obj, path);
  if (!v || !v->IsKnown() || v->IsNull() || v->type().kind() != Type::Kind::kBool) return dflt;
  return v->AsBool();
}

std::vector<std::string> ArgvAt(const Value& obj, std::initializer_list<std::string_view> path) {
  std::vector<std::string> out;
  std::optional<Value> v = ValueAt(obj, path);
  if (!v || !v->IsWhollyKnown() || v->IsNull() || v->type().kind() != Type::Kind::kList) return out;
  for (const Value& e : v->Elements()) {
    if (!e.IsNull()) out.push_back(e.AsString());
  }
  return out;
}

Result<std::optional<int64_t>> DurationAt(const Value& obj, std::initializer_list<std::string_view> path,
                                          const AttributePath& attr) {
  std::optional<std::string> s = KnownStringAt(obj, path);
  if (!s) return std::optional<int64_t>();
  Result<int64_t> d = planner::ParseDurationSeconds(*s);
  if (!d.ok()) return d.status().WithPath(attr);
  return std::optional<int64_t>(*d);
}

ServerConfig ServerAt(const Value& config, std::string_view block) {
  ServerConfig s;
  s.url = StrOr(config, {block, "url"});
  s.password = KnownStringAt(config, {block, "password"});
  s.data_dir = StrOr(config, {block, "data_dir"});
  s.bin_dir = StrOr(config, {block, "bin_dir"});
  s.stop_command = ArgvAt(config, {block, "stop_command"});
  s.start_command = ArgvAt(config, {block, "start_command"});
  s.upgrade_mode = StrOr(config, {block, "upgrade_mode"}, "link");
  return s;
}

bool Executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

Value StringList(const std::vector<std::string>& items) {
  std::vector<Value> v;
  v.reserve(items.size());
  for (const auto& s : items) v.push_back(Value::String(s));
  return Value::List(Type::String(), std::move(v));
}

Result<std::vector<std::string>> StringsOf(const Value& v) {
  if (!v.IsKnown() || v.IsNull() || v.type().kind() != Type::Kind::kList) {
    return Status::InvalidArgument("expected a list of strings");
  }
  std::vector<std::string> out;
  for (const Value& e : v.Elements()) {
    if (!e.IsKnown() || e.IsNull() || e.type().kind() != Type::Kind::kString) {
      return Status::InvalidArgument("expected a list of strings");
    }
    out.push_back(e.AsString());
  }
  return out;
}

}  // namespace

Result<UpgradeConfig> ParseUpgradeConfig(const Value& config) {
  if (!config.IsKnown() || config.IsNull() || config.type().kind() != Type::Kind::kObject) {
    return Status::InvalidArgument("the database_upgrade configuration is missing");
  }
  UpgradeConfig c;
  c.engine = StrOr(config, {"engine"});
  c.target_version = StrOr(config, {"target_version"});
  c.strategy = StrOr(config, {"strategy"}, "auto");
  TPD_ASSIGN_OR_RETURN(c.max_downtime_seconds,
                       DurationAt(config, {"max_downtime"}, AttributePath::Root("max_downtime")));
  c.source = ServerAt(config, "source");
  c.target = ServerAt(config, "target");
  c.backup_enabled = BoolOr(config, {"backup", "enabled"}, true);
  c.backup_dir = StrOr(config, {"backup", "dir"});
  c.block_writes = BoolOr(config, {"cutover", "block_writes"}, true);
  c.terminate_sessions = BoolOr(config, {"cutover", "terminate_sessions"}, false);
  c.verify_row_counts = BoolOr(config, {"verify", "row_counts"}, true);
  c.verify_checksums = BoolOr(config, {"verify", "checksums"}, false);
  TPD_ASSIGN_OR_RETURN(c.create_timeout_seconds, DurationAt(config, {"timeouts", "create"},
                                                            AttributePath::Root("timeouts").Attr("create")));
  TPD_ASSIGN_OR_RETURN(c.update_timeout_seconds, DurationAt(config, {"timeouts", "update"},
                                                            AttributePath::Root("timeouts").Attr("update")));
  return c;
}

bool DecisionInputsKnown(const Value& config) {
  if (!config.IsKnown() || config.IsNull()) return false;
  for (const char* name : {"engine", "target_version", "strategy", "max_downtime", "source", "target"}) {
    std::optional<Value> v = ValueAt(config, {name});
    if (!v || !v->IsWhollyKnown()) return false;
  }
  return true;
}

std::string DecisionInputsText(const UpgradeConfig& c) {
  std::ostringstream out;
  auto server = [&](const char* n, const ServerConfig& s) {
    out << n << ".url=" << s.url << "\n"
        << n << ".data_dir=" << s.data_dir << "\n"
        << n << ".bin_dir=" << s.bin_dir << "\n"
        << n << ".upgrade_mode=" << s.upgrade_mode << "\n"
        << n << ".password_set=" << (s.password ? "1" : "0") << "\n";
  };
  out << "engine=" << c.engine << "\n"
      << "target_version=" << c.target_version << "\n"
      << "strategy=" << c.strategy << "\n"
      << "max_downtime=" << (c.max_downtime_seconds ? std::to_string(*c.max_downtime_seconds) : "") << "\n";
  server("source", c.source);
  server("target", c.target);
  return out.str();
}

int ToolMajorForFacts(int major, int minor) { return major >= 10 ? major : major * 10 + minor; }

HostTools ProbeHostTools(const UpgradeConfig& config, const ProviderOptions& options, const std::string& source_major,
                         int target_major) {
  HostTools h;
  Result<planner::Version> sv = planner::ParseVersion(planner::Engine::kPostgres, source_major);
  const int smaj = sv.ok() ? sv->Part(0) : 0;

  pg::ToolSearchOptions dump;
  dump.tool_paths = options.tool_paths;
  if (smaj > 0) dump.min_major = smaj;
  if (Result<pg::ToolInfo> t = pg::FindTool("pg_dump", dump); t.ok()) {
    h.pg_dump_major = ToolMajorForFacts(t->version.major, t->version.minor);
  }

  if (target_major > 0) {
    pg::ToolSearchOptions up;
    if (!config.target.bin_dir.empty()) up.tool_paths.push_back(config.target.bin_dir);
    up.tool_paths.insert(up.tool_paths.end(), options.tool_paths.begin(), options.tool_paths.end());
    up.exact_major = target_major;
    if (Result<pg::ToolInfo> t = pg::FindTool("pg_upgrade", up); t.ok()) {
      h.pg_upgrade_major = ToolMajorForFacts(t->version.major, t->version.minor);
    }
  }

  if (!config.source.data_dir.empty()) {
    std::ifstream f(config.source.data_dir + "/PG_VERSION");
    std::string on_disk;
    if (f && std::getline(f, on_disk) && on_disk == source_major) h.source_data_dir_local = true;
  }

  if (!config.source.bin_dir.empty()) {
    if (Executable(config.source.bin_dir + "/postgres") || Executable(config.source.bin_dir + "/pg_ctl")) {
      h.source_bin_dir = config.source.bin_dir;
    }
  } else if (smaj > 0) {
    pg::ToolSearchOptions ctl;
    ctl.tool_paths = options.tool_paths;
    ctl.exact_major = smaj;
    if (Result<pg::ToolInfo> t = pg::FindTool("pg_ctl", ctl); t.ok()) h.source_bin_dir = t->bin_dir;
  }
  h.target_bin_dir_ok = !config.target.bin_dir.empty() && Executable(config.target.bin_dir + "/postgres");
  return h;
}

planner::Facts MakePlannerFacts(const UpgradeConfig& config, const pg::InstanceFacts& source,
                                const std::optional<pg::InstanceFacts>& target, const HostTools& tools) {
  planner::Facts f;
  f.engine = planner::Engine::kPostgres;
  f.current_version = source.version;
  f.data_size_bytes = source.total_size_bytes;
  f.topology = planner::Topology::kStandalone;

  bool same_server = false;
  if (!config.target.url.empty() && !config.source.url.empty()) {
    Result<pg::ConnInfo> s = pg::ConnInfo::Parse(config.source.url);
    Result<pg::ConnInfo> t = pg::ConnInfo::Parse(config.target.url);
    same_server = s.ok() && t.ok() && s->SameServer(*t);
  }
  f.has_target_server = !config.target.url.empty() && !same_server;
  if (target && f.has_target_server) f.target_server_version = target->version;

  f.local_dirs = tools.source_data_dir_local;
  f.source_bin_dir = !tools.source_bin_dir.empty();
  f.target_bin_dir = tools.target_bin_dir_ok;
  f.in_place_link = config.target.upgrade_mode != "copy";

  f.wal_level = source.wal_level;
  f.tables_without_pk = static_cast<int64_t>(source.tables_without_primary_key.size());
  int64_t with_identity = 0;
  for (const auto& t : source.tables_without_primary_key) {
    if (t.replicable()) {
      ++with_identity;
    } else if (f.tables_without_pk_names.size() < 10) {
      f.tables_without_pk_names.push_back(t.QualifiedName());
    }
  }
  f.tables_without_pk_with_identity = with_identity;
  for (const auto& e : source.extensions) f.extensions.push_back(e.name);
  f.pg_dump_major = tools.pg_dump_major;
  f.pg_upgrade_major = tools.pg_upgrade_major;
  return f;
}

Result<planner::UpgradeRequest> MakeUpgradeRequest(const UpgradeConfig& config) {
  planner::UpgradeRequest r;
  r.target_version = config.target_version;
  Result<std::optional<planner::Strategy>> s = planner::ParseStrategyChoice(config.strategy);
  if (!s.ok()) return s.status().WithPath(AttributePath::Root("strategy"));
  r.strategy = *s;
  r.max_downtime_seconds = config.max_downtime_seconds;
  return r;
}

bool IsNewerMinorThanPinned(const std::string& current, const std::string& target) {
  Result<planner::Version> c = planner::ParseVersion(planner::Engine::kPostgres, current);
  Result<planner::Version> t = planner::ParseVersion(planner::Engine::kPostgres, target);
  if (!c.ok() || !t.ok()) return false;
  if (!planner::SameSeries(planner::Engine::kPostgres, *c, *t)) return false;
  return planner::CompareVersions(*c, *t) > 0 && !planner::Satisfies(*c, *t);
}

std::map<std::string, Value> PlannedComputed::ToAttributes() const {
  return {
      {"current_version", Value::String(current_version)},
      {"planned_strategy", Value::String(planned_strategy)},
      {"upgrade_path", StringList(upgrade_path)},
      {"estimated_downtime_seconds", Value::Int(estimated_downtime_seconds)},
      {"decision", StringList(decision)},
      {"data_size_bytes", Value::Int(data_size_bytes)},
  };
}

Result<PlannedComputed> PlannedComputed::FromAttributes(const std::map<std::string, Value>& attrs) {
  auto get = [&](const char* name) -> Result<Value> {
    auto it = attrs.find(name);
    if (it == attrs.end() || !it->second.IsKnown() || it->second.IsNull()) {
      return Status::InvalidArgument(std::string("planned value ") + name + " is missing");
    }
    return it->second;
  };
  auto str = [&](const char* name) -> Result<std::string> {
    TPD_ASSIGN_OR_RETURN(Value v, get(name));
    if (v.type().kind() != Type::Kind::kString) return Status::InvalidArgument(std::string(name) + " is not a string");
    return v.AsString();
  };
  auto num = [&](const char* name) -> Result<int64_t> {
    TPD_ASSIGN_OR_RETURN(Value v, get(name));
    if (v.type().kind() != Type::Kind::kNumber || !v.AsNumber().ToInt64()) {
      return Status::InvalidArgument(std::string(name) + " is not an integer");
    }
    return *v.AsNumber().ToInt64();
  };
  PlannedComputed p;
  TPD_ASSIGN_OR_RETURN(p.current_version, str("current_version"));
  TPD_ASSIGN_OR_RETURN(p.planned_strategy, str("planned_strategy"));
  TPD_ASSIGN_OR_RETURN(Value path, get("upgrade_path"));
  TPD_ASSIGN_OR_RETURN(p.upgrade_path, StringsOf(path));
  TPD_ASSIGN_OR_RETURN(p.estimated_downtime_seconds, num("estimated_downtime_seconds"));
  TPD_ASSIGN_OR_RETURN(Value decision, get("decision"));
  TPD_ASSIGN_OR_RETURN(p.decision, StringsOf(decision));
  TPD_ASSIGN_OR_RETURN(p.data_size_bytes, num("data_size_bytes"));
  return p;
}

const std::vector<std::string>& PlanTimeComputedNames() {
  static const std::vector<std::string> kNames = {"current_version", "planned_strategy",
                                                  "upgrade_path",    "estimated_downtime_seconds",
                                                  "decision",        "data_size_bytes"};
  return kNames;
}

const std::vector<std::string>& ApplyTimeComputedNames() {
  static const std::vector<std::string> kNames = {"active_url",   "backup_path", "measured_downtime_seconds",
                                                  "verification", "completed_at", "id"};
  return kNames;
}

PlannedComputed ComputedFromDecision(const planner::Decision& d, int64_t data_size_bytes) {
  PlannedComputed p;
  p.current_version = d.current_version;
  p.data_size_bytes = data_size_bytes;
  p.upgrade_path.push_back(d.current_version);
  std::vector<std::string> lines = planner::RenderVerdictLines(d);
  if (d.outcome == planner::Outcome::kChosen && d.strategy) {
    p.planned_strategy = std::string(planner::StrategyName(*d.strategy));
    for (const auto& hop : d.path) {
      if (hop != p.upgrade_path.back()) p.upgrade_path.push_back(hop);
    }
    p.estimated_downtime_seconds = d.estimate ? d.estimate->seconds : 0;
    // The chosen strategy's line first (the schema promises it), the others in planner order.
    std::stable_partition(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(p.planned_strategy + ": ", 0) == 0;
    });
  } else {
    p.planned_strategy = kPlannedStrategyNone;
    p.estimated_downtime_seconds = 0;
    lines.insert(lines.begin(), "nothing to do: " + d.reason);
  }
  p.decision = std::move(lines);
  return p;
}

PlannedComputed NothingToDo(const std::string& current_version, int64_t data_size_bytes, const std::string& why) {
  PlannedComputed p;
  p.current_version = current_version;
  p.planned_strategy = kPlannedStrategyNone;
  p.upgrade_path = {current_version};
  p.estimated_downtime_seconds = 0;
  p.decision = {"nothing to do: " + why};
  p.data_size_bytes = data_size_bytes;
  return p;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += '\'';
    for (char c : a) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

Result<pg::UpgradeSpec> MakeUpgradeSpec(const UpgradeConfig& config, const ProviderOptions& options,
                                        const std::string& source_url,
                                        const std::optional<std::string>& source_password, int target_major,
                                        const std::atomic<bool>* stop, std::chrono::seconds timeout) {
  pg::UpgradeSpec spec;
  Result<pg::ConnInfo> src = pg::ConnInfo::Parse(source_url, source_password);
  if (!src.ok()) return src.status().WithPath(AttributePath::Root("source").Attr("url"));
  spec.source.conn = *src;
  spec.source.data_dir = config.source.data_dir;
  spec.source.bin_dir = config.source.bin_dir;
  spec.source.stop_command = ShellJoin(config.source.stop_command);
  spec.source.start_command = ShellJoin(config.source.start_command);
  if (!config.target.url.empty()) {
    Result<pg::ConnInfo> tgt = pg::ConnInfo::Parse(config.target.url, config.target.password);
    if (!tgt.ok()) return tgt.status().WithPath(AttributePath::Root("target").Attr("url"));
    spec.target.conn = *tgt;
  }
  spec.target.data_dir = config.target.data_dir;
  spec.target.bin_dir = config.target.bin_dir;
  spec.target.stop_command = ShellJoin(config.target.stop_command);
  spec.target.start_command = ShellJoin(config.target.start_command);
  spec.target_major = target_major;
  spec.backup_enabled = config.backup_enabled;
  spec.backup_dir = config.backup_dir;
  spec.block_writes = config.block_writes;
  spec.terminate_sessions = config.terminate_sessions;
  spec.verify_row_counts = config.verify_row_counts;
  spec.verify_checksums = config.verify_checksums;
  spec.in_place_mode = config.target.upgrade_mode == "copy"    ? pg::InPlaceMode::kCopy
                       : config.target.upgrade_mode == "clone" ? pg::InPlaceMode::kClone
                                                               : pg::InPlaceMode::kLink;
  spec.parallelism = std::max(1, options.parallelism);
  spec.tool_paths = options.tool_paths;
  spec.work_dir = options.work_dir;
  spec.stop = stop;
  spec.timeout = timeout;
  return spec;
}

planner::EstimateModel ModelFromHistory(const std::string& work_dir) {
  planner::EstimateModel base = planner::EstimateModel::Defaults();
  if (work_dir.empty()) return base;
  Result<std::string> text = engines::ReadHistoryText(work_dir);
  if (!text.ok() || text->empty()) return base;
  std::vector<planner::HistoryRecord> records;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    Result<engines::HistoryRecord> r = engines::ParseHistoryLine(line);
    if (!r.ok() || !r->ok || !r->downtime_seconds || r->engine != "postgresql") continue;
    Result<std::optional<planner::Strategy>> s = planner::ParseStrategyChoice(r->strategy);
    if (!s.ok() || !*s) continue;
    planner::HistoryRecord h;
    h.engine = planner::Engine::kPostgres;
    h.strategy = **s;
    if (h.strategy == planner::Strategy::kInPlace) h.mode = planner::InPlaceMode::kLink;
    h.data_size_bytes = r->data_size_bytes;
    h.downtime_seconds = *r->downtime_seconds;
    h.hops = 1;
    records.push_back(h);
  }
  if (records.empty()) return base;
  return planner::FitHistory(base, records, planner::Engine::kPostgres);
}

}  // namespace tpd::resources
