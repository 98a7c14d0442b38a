// tpd-bench-dump-restore: runs our PostgreSQL dump_restore pipeline once, for bench/dump_restore/run.sh.
//
//   tpd-bench-dump-restore --source URL --target URL [--parallelism N] [--work-dir DIR]
//                          [--block-writes] [--backup] [--checksums] [--no-verify] [--chunk-mb N]
//                          [--text]   (COPY in text format for every table)
//                          [--no-freeze] (plain COPY, without TRUNCATE + COPY FREEZE)
//                          [--keep-char-padding] (char(n) columns sent with their trailing blanks)
//
// Passwords come from the environment (TPD_SOURCE_PASSWORD, TPD_TARGET_PASSWORD), never argv.
// Prints one line "seconds=<wall> <step>=<seconds>... driver_cpu_user=<s> driver_cpu_sys=<s>" on success;
// exit code 1 and the error on stderr otherwise.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

#include "engines/pipeline.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/dump_restore.h"

namespace pg = tpd::engines::postgres;

int main(int argc, char** argv) {
  std::string source, target, work = "/tmp/tpd-bench-dr-work";
  pg::UpgradeSpec spec;
  spec.backup_enabled = false;
  spec.block_writes = false;
  spec.parallelism = 2;
  pg::DumpRestoreState state;
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
    else if (a == "--target") target = next();
    else if (a == "--parallelism") spec.parallelism = std::stoi(next());
    else if (a == "--work-dir") work = next();
    else if (a == "--block-writes") spec.block_writes = true;
    else if (a == "--backup") spec.backup_enabled = true;
    else if (a == "--checksums") spec.verify_checksums = true;
    else if (a == "--no-verify") spec.verify_row_counts = false;
    else if (a == "--text") state.copy_options.binary = false;
    else if (a == "--no-freeze") state.copy_options.freeze = false;
    else if (a == "--keep-char-padding") state.copy_options.trim_char_padding = false;
    else if (a == "--chunk-mb") state.copy_options.chunk_bytes = std::stoll(next()) << 20;
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  auto env = [](const char* n) -> std::optional<std::string> {
    const char* v = std::getenv(n);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  auto s = pg::ConnInfo::Parse(source, env("TPD_SOURCE_PASSWORD"));
  auto t = pg::ConnInfo::Parse(target, env("TPD_TARGET_PASSWORD"));
  if (!s.ok() || !t.ok()) {
    std::cerr << (s.ok() ? t.status() : s.status()).ToString() << "\n";
    return 2;
  }
  spec.source.conn = *s;
  spec.target.conn = *t;
  spec.work_dir = work;
  spec.run_id = "bench";
  std::filesystem::remove_all(std::filesystem::path(work) / "runs" / "bench");

  tpd::engines::Pipeline pipeline({.work_dir = work, .run_id = spec.run_id});
  tpd::engines::StepContext ctx;
  auto t0 = std::chrono::steady_clock::now();
  auto r = pipeline.Run(pg::DumpRestoreSteps(spec, &state), ctx);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) {
    std::cerr << r.status().ToString() << "\n";
    return 1;
  }
  std::printf("seconds=%.2f", wall);
  for (const auto& step : r->steps) std::printf(" %s=%.2f", step.name.c_str(), step.duration_seconds);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(" driver_cpu_user=%.2f driver_cpu_sys=%.2f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
              ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 0;
}
