// Acceptance: examples/replica-then-promote (issue 5, scenario 6) with the real `terraform` (or
// `tofu`) CLI when one is on PATH: apply with promote = false, a plan with no changes, apply with
// promote = true, a plan with no changes, promote = false refused, destroy. The provider binary is
// wired in through a dev_overrides CLI configuration (no registry, no `terraform init`). Skipped with
// a warning when neither CLI is installed.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "acceptance/database_replica_fixture.h"
#include "engines/process.h"

#ifndef TPD_SOURCE_DIR
#define TPD_SOURCE_DIR "."
#endif

namespace tpd::acceptance::replica {
namespace {

namespace fs = std::filesystem;

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string p = path;
  size_t start = 0;
  while (start <= p.size()) {
    size_t colon = p.find(':', start);
    std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty()) {
      fs::path candidate = fs::path(dir) / name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

struct Cli {
  std::string program;
  fs::path work;
  std::vector<std::pair<std::string, std::string>> env;

  // Runs `program args...` in the example directory; returns exit code and output.
  std::pair<int, std::string> Run(std::vector<std::string> args) const {
    engines::ProcessOptions o;
    o.argv = {program};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.argv.push_back("-input=false");
    o.argv.push_back("-no-color");
    o.env = env;
    o.working_dir = (work / "tf").string();
    o.check_exit = false;
    o.timeout = std::chrono::minutes(5);
    auto r = engines::RunProcess(o);
    if (!r.ok()) return {-1, r.status().ToString()};
    return {r->exit_code, r->stdout_data + r->stderr_tail};
  }
};

TEST_CASE("database_replica: examples/replica-then-promote applies in two steps with the terraform CLI",
          "[acceptance]") {
  TPD_ACC_ONLY();
  std::string program = FindOnPath("terraform");
  if (program.empty()) program = FindOnPath("tofu");
  if (program.empty()) {
    WARN("skipped: neither terraform nor tofu is on PATH");
    return;
  }
  const fs::path example = fs::path(TPD_SOURCE_DIR) / "examples/replica-then-promote/main.tf";
  REQUIRE(fs::exists(example));
  Servers s = StartServers();
  REQUIRE(s.source->Exec("CREATE TABLE t (id serial PRIMARY KEY, v text);"
                         "INSERT INTO t (v) SELECT 'x' FROM generate_series(1, 300);",
                         kDb)
              .ok());

  char tmpl[] = "/tmp/tpd-acc-example-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  Cli cli{program, fs::path(tmpl), {}};
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{cli.work};
  fs::create_directories(cli.work / "bin");
  fs::create_directories(cli.work / "tf");
  fs::copy_file(example, cli.work / "tf" / "main.tf");
  fs::create_symlink(fs::absolute(ProviderBinaryPath()), cli.work / "bin" / "terraform-provider-database");
  std::ofstream(cli.work / "cli.tfrc") << "provider_installation {\n  dev_overrides {\n"
                                       << "    \"terraform.local/dbupgrade/database\" = \""
                                       << (cli.work / "bin").string() << "\"\n  }\n  direct {}\n}\n";
  cli.env = {
      {"TF_CLI_CONFIG_FILE", (cli.work / "cli.tfrc").string()},
      {"TF_IN_AUTOMATION", "1"},
      {"CHECKPOINT_DISABLE", "1"},
      {"TF_VAR_source_url", UrlOf(*s.source)},
      {"TF_VAR_source_password", s.source->password()},
      {"TF_VAR_target_url", UrlOf(*s.target)},
      {"TF_VAR_target_password", s.target->password()},
  };

  auto [rc1, out1] = cli.Run({"apply", "-auto-approve"});
  INFO(out1);
  REQUIRE(rc1 == 0);
  CHECK(out1.find("status = \"streaming\"") != std::string::npos);
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM t") == 300);
  REQUIRE(s.source->Exec("INSERT INTO t (v) VALUES ('later')", kDb).ok());
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT count(*) FROM t") == 301; }));

  auto [rc2, out2] = cli.Run({"plan", "-detailed-exitcode"});
  INFO(out2);
  CHECK(rc2 == 0);  // 0 = no changes (2 would be a diff)

  auto [rc3, out3] = cli.Run({"apply", "-auto-approve", "-var", "promote=true"});
  INFO(out3);
  REQUIRE(rc3 == 0);
  CHECK(out3.find("status = \"promoted\"") != std::string::npos);
  CHECK(out3.find("measured_downtime_seconds = ") != std::string::npos);
  CHECK(out3.find("1 changed, 0 destroyed") != std::string::npos);

  auto [rc4, out4] = cli.Run({"plan", "-detailed-exitcode", "-var", "promote=true"});
  INFO(out4);
  CHECK(rc4 == 0);

  auto [rc5, out5] = cli.Run({"plan", "-var", "promote=false"});
  INFO(out5);
  CHECK(rc5 != 0);
  CHECK(out5.find("cannot be demoted") != std::string::npos);

  auto [rc6, out6] = cli.Run({"destroy", "-auto-approve", "-var", "promote=true"});
  INFO(out6);
  CHECK(rc6 == 0);
  CHECK(QueryInt(*s.source, "SELECT count(*) FROM pg_replication_slots") == 0);
  // No password reached Terraform's output.
  for (const std::string* out : {&out1, &out2, &out3, &out4, &out5, &out6}) {
    CHECK(out->find(s.source->password()) == std::string::npos);
    CHECK(out->find(s.target->password()) == std::string::npos);
  }
}

}  // namespace
}  // namespace tpd::acceptance::replica
