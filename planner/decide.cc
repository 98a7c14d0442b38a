#include "planner/decide.h"

#include <algorithm>
#include <array>
#include <utility>

#include "planner/rules.h"
#include "planner/units.h"

namespace tpd::planner {
namespace {

// seeds/002 ("Direct downgrades ... are not supported ... restore the data from the backup"),
// seeds/003 ("Downgrading: Not supported, use backup restoration"), SPEC.md ("downgrades are refused").
constexpr std::string_view kNoDowngradeRule = "common.no_downgrade";
// SPEC.md: "a plan that cannot meet max_downtime fails with a diagnostic naming the fastest
// feasible strategy and its estimate".
constexpr std::string_view kMaxDowntimeRule = "common.max_downtime";

size_t Index(Strategy s) { return static_cast<size_t>(s); }

struct Evaluation {
  bool supported = false;
  bool feasible = false;
  StrategyPlan plan;
  Estimate estimate;
};

void FillAll(Decision* d, Verdict verdict, const std::string& reason, std::string_view rule_id) {
  d->verdicts.clear();
  for (Strategy s : kAllStrategies) {
    StrategyVerdict v;
    v.strategy = s;
    v.verdict = verdict;
    v.reason = reason;
    v.rule_id = std::string(rule_id);
    d->verdicts.push_back(std::move(v));
  }
}

std::string Est(int64_t seconds) { return FormatDuration(seconds); }

// Notes about facts that were not probed, so the reviewer knows the pre-check still decides.
void AddUnprobedNotes(const Facts& f, Strategy s, Decision* d) {
  if (f.engine != Engine::kPostgres) return;
  if (s == Strategy::kReplication) {
    if (f.wal_level.empty()) d->notes.push_back("wal_level was not probed: the pre-check requires wal_level=logical");
    if (!f.tables_without_pk) {
      d->notes.push_back("tables without a primary key were not probed: the pre-check requires a replica identity on every table");
    }
  }
  if (s == Strategy::kDumpRestore && !f.pg_dump_major) {
    d->notes.push_back("pg_dump was not probed: the pre-check requires pg_dump of the target's major on this host");
  }
}

}  // namespace

Decision Decide(const Facts& facts, const UpgradeRequest& request, const EstimateModel& model) {
  Decision d;
  d.engine = facts.engine;
  d.current_version = facts.current_version;
  d.target_version = request.target_version;

  Result<Version> current = ParseVersion(facts.engine, facts.current_version);
  Result<Version> target = ParseVersion(facts.engine, request.target_version);
  std::optional<Version> target_server;
  Status bad = !current.ok() ? current.status().WithContext("current version")
               : !target.ok() ? target.status().WithContext("target version")
                              : Status::Ok();
  if (bad.ok() && facts.target_server_version) {
    Result<Version> ts = ParseVersion(facts.engine, *facts.target_server_version);
    if (ts.ok()) {
      target_server = std::move(ts).value();
    } else {
      bad = ts.status().WithContext("target server version");
    }
  }
  if (!bad.ok()) {
    d.outcome = Outcome::kInvalidInput;
    d.reason = bad.message();
    FillAll(&d, Verdict::kRejected, bad.message(), "common.valid_versions");
    return d;
  }

  const Engine engine = facts.engine;
  d.resolved_target_version = target->Canonical();
  if (IsSeriesOnly(engine, *target)) {
    if (target_server && Satisfies(*target_server, *target)) {
      d.resolved_target_version = target_server->Canonical();
    } else if (std::optional<Version> newest = NewestKnownInSeries(engine, *target);
               newest && target->parts.size() >= static_cast<size_t>(SeriesWidth(engine, *target))) {
      d.resolved_target_version = newest->Canonical();
    }
  }

  if (Satisfies(*current, *target)) {
    d.outcome = Outcome::kNothingToDo;
    d.reason = "Nothing to do: " + std::string(EngineName(engine)) + " " + current->Canonical() +
               " already satisfies the target " + target->Canonical() + ".";
    FillAll(&d, Verdict::kNotNeeded, "already at " + current->Canonical(), "");
    return d;
  }
  if (IsDowngrade(*current, *target)) {
    d.outcome = Outcome::kDowngradeRefused;
    d.reason = "Downgrading " + std::string(EngineName(engine)) + " from " + current->Canonical() + " to " +
               target->Canonical() + " is not supported: restore the backup taken before the upgrade instead.";
    FillAll(&d, Verdict::kRejected,
            "downgrades are not supported; restore the pre-upgrade backup to a " + target->Canonical() + " server instead",
            kNoDowngradeRule);
    return d;
  }

  const RuleInput in{facts, request, engine, *current, *target, target_server};
  const EngineRules& table = RulesFor(engine);
  std::array<Evaluation, 3> ev;
  d.verdicts.clear();
  for (Strategy s : kAllStrategies) {
    StrategyVerdict v;
    v.strategy = s;
    Evaluation& e = ev[Index(s)];
    const auto unsupported = std::find_if(table.unsupported.begin(), table.unsupported.end(),
                                          [&](const Unsupported& u) { return u.strategy == s; });
    if (unsupported != table.unsupported.end()) {
      v.verdict = Verdict::kRejected;
      v.reason = std::string(unsupported->reason);
      v.rule_id = std::string(unsupported->rule_id);
      d.verdicts.push_back(std::move(v));
      continue;
    }
    e.supported = true;
    e.plan = table.plan(s, in);
    e.estimate = EstimateDowntime(model, s, e.plan.shape);
    v.estimate = e.estimate;
    std::optional<std::string> why;
    for (const std::vector<Rule>* rules : {&CommonRules(), &table.rules}) {
      for (const Rule& r : *rules) {
        if (r.strategy != s) continue;
        why = r.check(in);
        if (why) {
          v.rule_id = std::string(r.rule_id);
          break;
        }
      }
      if (why) break;
    }
    if (why) {
      v.verdict = Verdict::kRejected;
      v.reason = *why;
    } else {
      e.feasible = true;
      v.path = e.plan.path;
      v.verdict = Verdict::kFeasible;  // refined below
      v.reason = e.plan.how;
    }
    d.verdicts.push_back(std::move(v));
  }

  const std::optional<int64_t> max = request.max_downtime_seconds;
  const auto fits = [&](Strategy s) { return !max || ev[Index(s)].estimate.seconds <= *max; };
  const auto too_slow = [&](Strategy s) {
    StrategyVerdict& v = d.verdicts[Index(s)];
    v.verdict = Verdict::kRejected;
    v.rule_id = std::string(kMaxDowntimeRule);
    v.reason = "estimated " + Est(ev[Index(s)].estimate.seconds) + " of downtime exceeds max_downtime " + Est(*max);
    v.path.clear();
  };

  std::optional<Strategy> chosen;
  if (request.strategy) {
    const Strategy f = *request.strategy;
    for (Strategy s : kAllStrategies) {
      if (s != f && ev[Index(s)].feasible) {
        StrategyVerdict& v = d.verdicts[Index(s)];
        v.verdict = Verdict::kFeasible;
        v.reason = "would work (estimated " + Est(ev[Index(s)].estimate.seconds) + ") but strategy is set to " +
                   std::string(StrategyName(f));
      }
    }
    if (!ev[Index(f)].feasible) {
      d.outcome = Outcome::kNoneFeasible;
      d.reason = "The configured strategy " + std::string(StrategyName(f)) + " cannot be used: " +
                 d.verdicts[Index(f)].reason + ".";
    } else if (!fits(f)) {
      too_slow(f);
      d.outcome = Outcome::kNoneFeasible;
      d.closest = Closest{f, ev[Index(f)].estimate.seconds, ev[Index(f)].estimate.seconds - *max};
      d.reason = "The configured strategy " + std::string(StrategyName(f)) + " is estimated at " +
                 Est(ev[Index(f)].estimate.seconds) + " of downtime, " + Est(d.closest->over_by_seconds) +
                 " over max_downtime " + Est(*max) + ".";
    } else {
      chosen = f;
    }
  } else {
    std::vector<Strategy> feasible, fitting;
    for (Strategy s : kAllStrategies) {
      if (!ev[Index(s)].feasible) continue;
      feasible.push_back(s);
      if (fits(s)) fitting.push_back(s);
    }
    const auto by_estimate = [&](Strategy a, Strategy b) {
      return ev[Index(a)].estimate.seconds < ev[Index(b)].estimate.seconds;
    };
    if (feasible.empty()) {
      d.outcome = Outcome::kNoneFeasible;
      d.reason = "No strategy can upgrade " + std::string(EngineName(engine)) + " " + current->Canonical() + " to " +
                 target->Canonical() + ":";
      for (const StrategyVerdict& v : d.verdicts) {
        d.reason += " " + std::string(StrategyName(v.strategy)) + ": " + v.reason + ";";
      }
      d.reason.back() = '.';
    } else if (fitting.empty()) {
      const Strategy c = *std::min_element(feasible.begin(), feasible.end(), by_estimate);
      for (Strategy s : feasible) too_slow(s);
      d.outcome = Outcome::kNoneFeasible;
      d.closest = Closest{c, ev[Index(c)].estimate.seconds, ev[Index(c)].estimate.seconds - *max};
      d.reason = "No strategy fits max_downtime " + Est(*max) + ": the fastest feasible one, " +
                 std::string(StrategyName(c)) + ", is estimated at " + Est(d.closest->estimated_downtime_seconds) +
                 " (" + Est(d.closest->over_by_seconds) + " over). Raise max_downtime, or provide what a faster strategy needs.";
      for (const StrategyVerdict& v : d.verdicts) {
        if (!ev[Index(v.strategy)].feasible) {
          d.reason += " " + std::string(StrategyName(v.strategy)) + ": " + v.reason + ".";
        }
      }
    } else {
      Strategy best = *std::min_element(fitting.begin(), fitting.end(), by_estimate);
      std::optional<Strategy> passed_over;
      if (!KeepsSourceIntact(best)) {
        // seeds/001: in place makes rollback "difficult or, in some cases, impossible"; a strategy
        // that keeps the old server intact wins a near-tie.
        std::optional<Strategy> keep;
        for (Strategy s : fitting) {
          if (!KeepsSourceIntact(s)) continue;
          const double e = static_cast<double>(ev[Index(s)].estimate.seconds);
          const double margin = std::max(model.tie_margin_seconds, model.tie_margin_fraction * e);
          if (e - static_cast<double>(ev[Index(best)].estimate.seconds) <= margin && (!keep || by_estimate(s, *keep))) {
            keep = s;
          }
        }
        if (keep) {
          passed_over = best;
          best = *keep;
        }
      }
      chosen = best;
      for (Strategy s : feasible) {
        if (s == best) continue;
        StrategyVerdict& v = d.verdicts[Index(s)];
        if (!fits(s)) {
          too_slow(s);
        } else if (passed_over && s == *passed_over) {
          v.verdict = Verdict::kFeasible;
          v.reason = "would work (estimated " + Est(ev[Index(s)].estimate.seconds) + ") about as fast as " +
                     std::string(StrategyName(best)) + ", which keeps the old server intact for rollback";
        } else {
          v.verdict = Verdict::kFeasibleButSlower;
          v.reason = "would work but is slower: estimated " + Est(ev[Index(s)].estimate.seconds) + " against " +
                     Est(ev[Index(best)].estimate.seconds) + " for " + std::string(StrategyName(best));
        }
      }
    }
  }

  if (chosen) {
    const Evaluation& e = ev[Index(*chosen)];
    StrategyVerdict& v = d.verdicts[Index(*chosen)];
    v.verdict = Verdict::kChosen;
    v.reason = e.plan.how + " (estimated " + Est(e.estimate.seconds) + ")";
    d.outcome = Outcome::kChosen;
    d.strategy = *chosen;
    d.path = e.plan.path;
    d.steps = e.plan.steps;
    d.estimate = e.estimate;
    d.notes = e.plan.notes;
    if (!e.estimate.size_known) d.notes.push_back("data size unknown: the estimate assumes an empty database");
    AddUnprobedNotes(facts, *chosen, &d);
    d.reason = "Chose " + std::string(StrategyName(*chosen)) + ": " + e.plan.how + "; estimated " +
               Est(e.estimate.seconds) + " of downtime.";
  }
  return d;
}

}  // namespace tpd::planner
