#include "planner/estimate.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

namespace tpd::planner {
namespace {

constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;

// The one list of coefficients: name -> member. Get/Override/inputs all go through it.
struct Coefficient {
  std::string_view name;
  double EstimateModel::*member;
};
constexpr Coefficient kCoefficients[] = {
    {"dump_restore_fixed_seconds", &EstimateModel::dump_restore_fixed_seconds},
    {"dump_restore_seconds_per_gib", &EstimateModel::dump_restore_seconds_per_gib},
    {"replication_cutover_seconds", &EstimateModel::replication_cutover_seconds},
    {"replication_seconds_per_gib", &EstimateModel::replication_seconds_per_gib},
    {"in_place_hop_seconds", &EstimateModel::in_place_hop_seconds},
    {"in_place_link_seconds_per_gib", &EstimateModel::in_place_link_seconds_per_gib},
    {"in_place_copy_seconds_per_gib", &EstimateModel::in_place_copy_seconds_per_gib},
    {"in_place_restart_seconds_per_gib", &EstimateModel::in_place_restart_seconds_per_gib},
    {"in_place_online_seconds", &EstimateModel::in_place_online_seconds},
    {"tie_margin_seconds", &EstimateModel::tie_margin_seconds},
    {"tie_margin_fraction", &EstimateModel::tie_margin_fraction},
};

// The (fixed, per_gib) coefficient pair a strategy/mode uses; per_gib is null for "rolling".
struct Pair {
  double EstimateModel::*fixed;
  double EstimateModel::*per_gib;
  std::string_view fixed_name;
  std::string_view per_gib_name;
};

Pair PairFor(Strategy strategy, InPlaceMode mode) {
  switch (strategy) {
    case Strategy::kDumpRestore:
      return {&EstimateModel::dump_restore_fixed_seconds, &EstimateModel::dump_restore_seconds_per_gib,
              "dump_restore_fixed_seconds", "dump_restore_seconds_per_gib"};
    case Strategy::kReplication:
      return {&EstimateModel::replication_cutover_seconds, &EstimateModel::replication_seconds_per_gib,
              "replication_cutover_seconds", "replication_seconds_per_gib"};
    case Strategy::kInPlace:
      break;
  }
  switch (mode) {
    case InPlaceMode::kLink:
      return {&EstimateModel::in_place_hop_seconds, &EstimateModel::in_place_link_seconds_per_gib,
              "in_place_hop_seconds", "in_place_link_seconds_per_gib"};
    case InPlaceMode::kCopy:
      return {&EstimateModel::in_place_hop_seconds, &EstimateModel::in_place_copy_seconds_per_gib,
              "in_place_hop_seconds", "in_place_copy_seconds_per_gib"};
    case InPlaceMode::kRestart:
      return {&EstimateModel::in_place_hop_seconds, &EstimateModel::in_place_restart_seconds_per_gib,
              "in_place_hop_seconds", "in_place_restart_seconds_per_gib"};
    case InPlaceMode::kRolling:
      break;
  }
  return {&EstimateModel::in_place_online_seconds, nullptr, "in_place_online_seconds", ""};
}

bool Finite(double v) { return std::isfinite(v); }

}  // namespace

std::string_view InPlaceModeName(InPlaceMode mode) {
  switch (mode) {
    case InPlaceMode::kLink: return "link";
    case InPlaceMode::kCopy: return "copy";
    case InPlaceMode::kRestart: return "restart";
    case InPlaceMode::kRolling: return "rolling";
  }
  return "link";
}

const std::vector<std::string>& EstimateModel::CoefficientNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const Coefficient& c : kCoefficients) names.emplace_back(c.name);
    return names;
  }();
  return kNames;
}

Result<double> EstimateModel::Get(std::string_view name) const {
  for (const Coefficient& c : kCoefficients) {
    if (c.name == name) return this->*c.member;
  }
  return Status::NotFound("unknown estimate coefficient \"" + std::string(name) + "\"");
}

Status EstimateModel::Override(std::string_view name, double value) {
  if (!Finite(value) || value < 0) {
    return Status::InvalidArgument("estimate coefficient \"" + std::string(name) + "\" must be a finite number >= 0");
  }
  for (const Coefficient& c : kCoefficients) {
    if (c.name == name) {
      this->*c.member = value;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("unknown estimate coefficient \"" + std::string(name) + "\"");
}

Estimate EstimateDowntime(const EstimateModel& model, Strategy strategy, const EstimateShape& shape) {
  Estimate e;
  e.size_known = shape.data_size_bytes.has_value();
  const double size_gib = static_cast<double>(shape.data_size_bytes.value_or(0)) / kBytesPerGib;
  const Pair pair = PairFor(strategy, shape.in_place_mode);
  const double fixed = model.*pair.fixed;
  double seconds = 0;
  if (strategy == Strategy::kInPlace && pair.per_gib == nullptr) {
    e.formula = std::string(pair.fixed_name);
    e.inputs = {{std::string(pair.fixed_name), fixed}};
    seconds = fixed;
  } else if (strategy == Strategy::kInPlace) {
    const double per_gib = model.*pair.per_gib;
    const double hops = shape.hops < 1 ? 1 : shape.hops;
    e.formula = "hops * " + std::string(pair.fixed_name) + " + size_gib * " + std::string(pair.per_gib_name);
    e.inputs = {{"hops", hops}, {std::string(pair.fixed_name), fixed}, {"size_gib", size_gib},
                {std::string(pair.per_gib_name), per_gib}};
    seconds = hops * fixed + size_gib * per_gib;
  } else {
    const double per_gib = model.*pair.per_gib;
    e.formula = std::string(pair.fixed_name) + " + size_gib * " + std::string(pair.per_gib_name);
    e.inputs = {{std::string(pair.fixed_name), fixed}, {"size_gib", size_gib}, {std::string(pair.per_gib_name), per_gib}};
    seconds = fixed + size_gib * per_gib;
  }
  e.seconds = static_cast<int64_t>(std::ceil(seconds));
  return e;
}

HistoryParseResult ParseHistory(std::string_view text) {
  HistoryParseResult out;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      if (end == text.size()) break;
      continue;
    }
    bool ok = false;
    HistoryRecord r;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      Result<Engine> engine = ParseEngine(j.at("engine").get<std::string>());
      Result<std::optional<Strategy>> strategy = ParseStrategyChoice(j.at("strategy").get<std::string>());
      if (engine.ok() && strategy.ok() && strategy->has_value()) {
        r.engine = *engine;
        r.strategy = **strategy;
        const std::string mode = j.value("mode", std::string());
        bool mode_ok = true;
        if (!mode.empty()) {
          mode_ok = false;
          for (InPlaceMode m : {InPlaceMode::kLink, InPlaceMode::kCopy, InPlaceMode::kRestart, InPlaceMode::kRolling}) {
            if (InPlaceModeName(m) == mode) {
              r.mode = m;
              mode_ok = true;
            }
          }
        }
        r.data_size_bytes = j.at("data_size_bytes").get<int64_t>();
        r.downtime_seconds = j.at("downtime_seconds").get<double>();
        r.hops = j.value("hops", 1);
        ok = mode_ok && r.data_size_bytes >= 0 && r.downtime_seconds >= 0 && Finite(r.downtime_seconds) && r.hops >= 1;
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (ok) {
      out.records.push_back(std::move(r));
    } else {
      out.skipped_lines.push_back(line_no);
    }
    if (end == text.size()) break;
  }
  return out;
}

std::string FormatHistoryRecord(const HistoryRecord& record) {
  nlohmann::ordered_json j;
  j["engine"] = std::string(EngineName(record.engine));
  j["strategy"] = std::string(StrategyName(record.strategy));
  j["mode"] = record.mode ? std::string(InPlaceModeName(*record.mode)) : std::string();
  j["data_size_bytes"] = record.data_size_bytes;
  j["downtime_seconds"] = record.downtime_seconds;
  j["hops"] = record.hops;
  return j.dump() + "\n";
}

EstimateModel FitHistory(const EstimateModel& base, const std::vector<HistoryRecord>& records, Engine engine) {
  EstimateModel out = base;
  struct Group {
    Strategy strategy;
    InPlaceMode mode;
  };
  const Group groups[] = {{Strategy::kDumpRestore, InPlaceMode::kLink},
                          {Strategy::kReplication, InPlaceMode::kLink},
                          {Strategy::kInPlace, InPlaceMode::kLink},
                          {Strategy::kInPlace, InPlaceMode::kCopy},
                          {Strategy::kInPlace, InPlaceMode::kRestart},
                          {Strategy::kInPlace, InPlaceMode::kRolling}};
  for (const Group& g : groups) {
    // Points (x = size in GiB per hop, y = downtime per hop) for this strategy/mode.
    std::vector<std::pair<double, double>> pts;
    for (const HistoryRecord& r : records) {
      if (r.engine != engine || r.strategy != g.strategy || r.data_size_bytes < 0 || r.downtime_seconds < 0) continue;
      if (g.strategy == Strategy::kInPlace && r.mode.value_or(InPlaceMode::kLink) != g.mode) continue;
      const double hops = g.strategy == Strategy::kInPlace ? std::max(1, r.hops) : 1;
      pts.emplace_back(static_cast<double>(r.data_size_bytes) / kBytesPerGib / hops, r.downtime_seconds / hops);
    }
    if (pts.empty()) continue;
    const Pair pair = PairFor(g.strategy, g.mode);
    if (pair.per_gib == nullptr) {  // rolling: a constant, the mean
      double sum = 0;
      for (const auto& [x, y] : pts) sum += y;
      out.*pair.fixed = sum / static_cast<double>(pts.size());
      continue;
    }
    const double n = static_cast<double>(pts.size());
    double mx = 0, my = 0;
    for (const auto& [x, y] : pts) {
      mx += x / n;
      my += y / n;
    }
    double sxx = 0, sxy = 0;
    for (const auto& [x, y] : pts) {
      sxx += (x - mx) * (x - mx);
      sxy += (x - mx) * (y - my);
    }
    double fixed = 0, per_gib = 0;
    if (pts.size() >= 2 && sxx > 1e-12) {
      per_gib = sxy / sxx;
      fixed = my - per_gib * mx;
      if (per_gib < 0) {
        per_gib = 0;
        fixed = my;
      } else if (fixed < 0) {
        // Through the origin: least squares of y = per_gib * x.
        double xx = 0, xy = 0;
        for (const auto& [x, y] : pts) {
          xx += x * x;
          xy += x * y;
        }
        fixed = 0;
        per_gib = xx > 0 ? xy / xx : 0;
      }
    } else {
      // Too little spread to separate the two terms: keep their ratio, match the measurements.
      const double predicted = base.*pair.fixed + mx * (base.*pair.per_gib);
      const double scale = predicted > 0 ? my / predicted : 1;
      fixed = base.*pair.fixed * scale;
      per_gib = base.*pair.per_gib * scale;
      if (predicted <= 0) fixed = my;
    }
    // The in-place modes share in_place_hop_seconds; the link mode (pg_upgrade) owns it.
    if (!(g.strategy == Strategy::kInPlace && g.mode != InPlaceMode::kLink && pair.fixed == &EstimateModel::in_place_hop_seconds &&
          std::any_of(records.begin(), records.end(), [&](const HistoryRecord& r) {
            return r.engine == engine && r.strategy == Strategy::kInPlace && r.mode.value_or(InPlaceMode::kLink) == InPlaceMode::kLink;
          }))) {
      out.*pair.fixed = fixed;
    }
    out.*pair.per_gib = per_gib;
  }
  return out;
}

}  // namespace tpd::planner
