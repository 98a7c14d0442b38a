// tpd-bench-in-place: runs our PostgreSQL in_place pipeline (pg_upgrade) once, for
// bench/in_place/run.sh.
//
//   tpd-bench-in-place --source URL --old-data DIR --old-bin DIR --new-bin DIR [--new-data DIR]
//                      [--mode link|clone|copy] [--parallelism N] [--work-dir DIR] [--backup]
//
// The password comes from the environment (TPD_SOURCE_PASSWORD), never argv.
// Prints one line "downtime_s=<stop_old start -> new server accepting> total_s=<work time>
// pg_upgrade_s=<step> new_version=<v>" on success; exit code 1 and the error on stderr otherwise.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "engines/pipeline.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/in_place.h"

namespace pg = tpd::engines::postgres;

int main(int argc, char** argv) {
  std::string source, work = "/tmp/tpd-bench-ip-work";
  pg::UpgradeSpec spec;
  spec.backup_enabled = false;
  spec.parallelism = 2;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--source") source = next();
    else if (a == "--old-data") spec.source.data_dir = next();
    else if (a == "--old-bin") spec.source.bin_dir = next();
    else if (a == "--new-bin") spec.target.bin_dir = next();
    else if (a == "--new-data") spec.target.data_dir = next();
    else if (a == "--parallelism") spec.parallelism = std::stoi(next());
    else if (a == "--work-dir") work = next();
    else if (a == "--backup") spec.backup_enabled = true;
    else if (a == "--mode") {
      std::string m = next();
      spec.in_place_mode = m == "copy" ? pg::InPlaceMode::kCopy
                           : m == "clone" ? pg::InPlaceMode::kClone
                                          : pg::InPlaceMode::kLink;
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  const char* pw = std::getenv("TPD_SOURCE_PASSWORD");
  auto s = pg::ConnInfo::Parse(source, pw ? std::optional<std::string>(pw) : std::nullopt);
  if (!s.ok()) {
    std::cerr << s.status().ToString() << "\n";
    return 2;
  }
  spec.source.conn = *s;
  spec.work_dir = work;
  spec.run_id = tpd::engines::RunIdFor("pg-in_place", s->Redacted() + " " + spec.source.data_dir);

  tpd::engines::PipelineOptions po;
  po.work_dir = work;
  po.run_id = spec.run_id;
  tpd::engines::Pipeline pipeline(po);
  tpd::engines::StepContext ctx;
  pg::InPlaceState state;
  auto r = pipeline.Run(pg::InPlaceSteps(spec, &state), ctx);
  if (!r.ok()) {
    std::cerr << r.status().ToString() << "\n";
    return 1;
  }
  pg::FinishInPlaceOutcome(*r, &state);
  double upgrade_s = 0;
  for (const auto& step : r->steps) {
    if (step.name == "pg_upgrade") upgrade_s = step.duration_seconds;
  }
  (void)pipeline.Reset();
  std::cout << "downtime_s=" << state.outcome.measured_downtime_seconds << " total_s=" << r->total_seconds
            << " pg_upgrade_s=" << upgrade_s << " new_version=" << state.outcome.new_version << "\n";
  return 0;
}
