#include "planner/render.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "planner/units.h"

namespace tpd::planner {
namespace {

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

std::string RenderText(const Decision& d) {
  std::ostringstream out;
  out << EngineName(d.engine) << " " << d.current_version << " -> " << d.target_version;
  if (d.resolved_target_version != d.target_version && !d.resolved_target_version.empty()) {
    out << " (" << d.resolved_target_version << ")";
  }
  out << ": ";
  if (d.chosen()) {
    out << StrategyName(*d.strategy) << ", estimated downtime " << FormatDuration(d.estimate->seconds) << "\n";
    out << "path: " << Join(d.path, " -> ") << "\n";
    out << "estimate: " << d.estimate->formula << " with";
    const char* sep = " ";
    for (const EstimateInput& in : d.estimate->inputs) {
      std::ostringstream v;
      v << in.value;
      out << sep << in.name << "=" << v.str();
      sep = ", ";
    }
    if (!d.estimate->size_known) out << " (size unknown)";
    out << "\nsteps:\n";
    size_t w = 0;
    for (const Step& s : d.steps) w = std::max(w, s.name.size() + (s.hop.empty() ? 0 : s.hop.size() + 3));
    int i = 1;
    for (const Step& s : d.steps) {
      out << "  " << (i < 10 ? " " : "") << i << ". " << Pad(s.name + (s.hop.empty() ? "" : " [" + s.hop + "]"), w)
          << (s.during_downtime ? "  * " : "    ") << s.description << "\n";
      ++i;
    }
    out << "  (* = writes blocked)\n";
  } else {
    out << OutcomeName(d.outcome) << "\n";
  }
  out << "reason: " << d.reason << "\n";
  out << "\n" << Pad("STRATEGY", 14) << Pad("VERDICT", 21) << Pad("ESTIMATE", 10) << "REASON\n";
  for (const StrategyVerdict& v : d.verdicts) {
    out << Pad(std::string(StrategyName(v.strategy)), 14) << Pad(std::string(VerdictName(v.verdict)), 21)
        << Pad(v.estimate ? FormatDuration(v.estimate->seconds) : "-", 10) << v.reason << "\n";
  }
  if (!d.notes.empty()) {
    out << "\nnotes:\n";
    for (const std::string& n : d.notes) out << "  - " << n << "\n";
  }
  return out.str();
}

std::string RenderJson(const Decision& d) {
  using J = nlohmann::ordered_json;
  J j;
  j["engine"] = std::string(EngineName(d.engine));
  j["current_version"] = d.current_version;
  j["target_version"] = d.target_version;
  j["resolved_target_version"] = d.resolved_target_version;
  j["outcome"] = std::string(OutcomeName(d.outcome));
  j["strategy"] = d.strategy ? J(std::string(StrategyName(*d.strategy))) : J(nullptr);
  j["path"] = d.path;
  j["estimated_downtime_seconds"] = d.estimate ? J(d.estimate->seconds) : J(nullptr);
  if (d.estimate) {
    J inputs = J::object();
    for (const EstimateInput& in : d.estimate->inputs) inputs[in.name] = in.value;
    j["estimate"] = J{{"formula", d.estimate->formula}, {"inputs", inputs}, {"size_known", d.estimate->size_known}};
  } else {
    j["estimate"] = nullptr;
  }
  J steps = J::array();
  for (const Step& s : d.steps) {
    steps.push_back(J{{"name", s.name}, {"description", s.description}, {"hop", s.hop}, {"during_downtime", s.during_downtime}});
  }
  j["steps"] = steps;
  J verdicts = J::array();
  for (const StrategyVerdict& v : d.verdicts) {
    verdicts.push_back(J{{"strategy", std::string(StrategyName(v.strategy))},
                         {"verdict", std::string(VerdictName(v.verdict))},
                         {"reason", v.reason},
                         {"estimated_downtime_seconds", v.estimate ? J(v.estimate->seconds) : J(nullptr)},
                         {"rule_id", v.rule_id},
                         {"path", v.path}});
  }
  j["verdicts"] = verdicts;
  if (d.closest) {
    j["closest"] = J{{"strategy", std::string(StrategyName(d.closest->strategy))},
                     {"estimated_downtime_seconds", d.closest->estimated_downtime_seconds},
                     {"over_by_seconds", d.closest->over_by_seconds}};
  } else {
    j["closest"] = nullptr;
  }
  j["reason"] = d.reason;
  j["notes"] = d.notes;
  // Invalid UTF-8 in a version string must not throw out of here.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<std::string> RenderVerdictLines(const Decision& d) {
  std::vector<std::string> lines;
  for (const StrategyVerdict& v : d.verdicts) {
    std::string line = std::string(StrategyName(v.strategy)) + ": " + std::string(VerdictName(v.verdict));
    line += ": " + v.reason;
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace tpd::planner
