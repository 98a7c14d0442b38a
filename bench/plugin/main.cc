// tpd-bench-plugin: what a Terraform user waits for, measured over repeated runs.
//
//   handshake_ms   start of the provider (posix_spawn, as Go does; --fork: fork+exec) -> handshake
//                  line read from its stdout (AutoMTLS on, so the provider's own key and
//                  certificate generation is included, as with Terraform). The client certificate
//                  is made before the clock starts.
//   schema_ms      one GetProviderSchema round trip on an established mTLS connection.
//   rss_mb         the provider's peak resident set (VmHWM) after one ReadDataSource of
//                  database_instance against a real PostgreSQL server.
//
// Usage: tpd-bench-plugin --provider PATH [--runs N] [--pg-major 17] [--fork]
// Prints one line per run and the medians, as JSON on the last line.
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "acceptance/client.h"
#include "acceptance/client_cert.h"
#include "acceptance/process.h"
#include "tests/support/pg_server.h"

namespace acc = tpd::acceptance;
using Clock = std::chrono::steady_clock;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Launches the provider with Terraform's environment and returns ms until the handshake line.
double HandshakeOnce(const std::string& binary, const std::string& client_pem, bool use_fork) {
  int out[2];
  if (pipe(out) != 0) return -1;
  std::string cookie = std::string(acc::kMagicCookieKey) + "=" + acc::kMagicCookieValue;
  std::string cert = "PLUGIN_CLIENT_CERT=" + client_pem;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(cookie);
  env_strings.push_back("PLUGIN_PROTOCOL_VERSIONS=5,6");
  env_strings.push_back("PLUGIN_MIN_PORT=10000");
  env_strings.push_back("PLUGIN_MAX_PORT=25000");
  env_strings.push_back(cert);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), nullptr};

  auto t0 = Clock::now();
  // Default: posix_spawn, as Go's os/exec starts Terraform's providers (clone with
  // CLONE_VM|CLONE_VFORK). --fork: fork()+execve(), which adds the copy of this process's page
  // tables and its copy-on-write faults to every measurement (the first two sessions' numbers).
  pid_t pid = -1;
  if (use_fork) {
    pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 2);
      close(out[0]);
      execve(binary.c_str(), argv.data(), envp.data());
      _exit(127);
    }
  } else {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return -1;
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  auto t1 = Clock::now();
  close(out[0]);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  if (line.rfind("1|", 0) != 0) return -1;
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

long PeakRssKb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (f >> key) {
    if (key == "VmHWM:") {
      long kb = 0;
      f >> kb;
      return kb;
    }
    f.ignore(4096, '\n');
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary;
  int runs = 20;
  int pg_major = 17;
  bool use_fork = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--provider" && i + 1 < argc) binary = argv[++i];
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (a == "--pg-major" && i + 1 < argc) pg_major = std::atoi(argv[++i]);
    else if (a == "--fork") use_fork = true;
    else {
      std::cerr << "usage: tpd-bench-plugin --provider PATH [--runs N] [--pg-major 17] [--fork]\n";
      return 1;
    }
  }
  if (binary.empty() || runs < 1) {
    std::cerr << "tpd-bench-plugin: --provider is required and --runs must be >= 1\n";
    return 1;
  }

  auto cert = acc::GenerateTerraformClientCert();
  if (!cert.ok()) {
    std::cerr << cert.status().ToString() << "\n";
    return 1;
  }
  auto server = tpd::testsupport::PgServer::Start({.major = pg_major});
  if (!server.ok()) {
    std::cerr << "starting PostgreSQL: " << server.status().ToString() << "\n";
    return 1;
  }

  std::vector<double> handshake, schema, rss;
  for (int r = 0; r < runs; ++r) {
    double hs = HandshakeOnce(binary, cert->cert_pem, use_fork);
    if (hs < 0) {
      std::cerr << "handshake failed\n";
      return 1;
    }
    handshake.push_back(hs);

    acc::LaunchOptions lo;
    lo.binary = binary;
    auto proc = acc::ProviderProcess::Launch(lo);
    if (!proc.ok()) {
      std::cerr << proc.status().ToString() << "\n";
      return 1;
    }
    acc::TerraformClient client((*proc)->channel(), (*proc)->handshake().app_version);
    auto t0 = Clock::now();
    auto s = client.GetSchema();
    auto t1 = Clock::now();
    if (s.HasError()) {
      std::cerr << "GetProviderSchema: " << s.Describe() << "\n";
      return 1;
    }
    schema.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());

    namespace sc = tpd::schema;
    auto provider_cfg = sc::Value::Object(client.schemas().provider.block.ImpliedType(), {});
    auto cfg_res = client.ConfigureProvider(provider_cfg);
    if (cfg_res.HasError()) {
      std::cerr << "ConfigureProvider: " << cfg_res.Describe() << "\n";
      return 1;
    }
    const auto& ds = client.schemas().data_sources.at("database_instance");
    auto config = sc::Value::Object(ds.block.ImpliedType(),
                                    {{"engine", sc::Value::String("postgresql")},
                                     {"url", sc::Value::String((*server)->url())},
                                     {"password", sc::Value::String((*server)->password())}});
    auto read = client.ReadDataSource("database_instance", config);
    if (read.HasError()) {
      std::cerr << "ReadDataSource: " << read.Describe() << "\n";
      return 1;
    }
    rss.push_back(PeakRssKb((*proc)->pid()) / 1024.0);
    (*proc)->Shutdown();
    std::printf("run %d: handshake %.2f ms, GetProviderSchema %.3f ms, peak RSS %.1f MB\n", r + 1, handshake.back(),
                schema.back(), rss.back());
  }
  std::printf("{\"runs\":%d,\"handshake_ms_median\":%.2f,\"get_provider_schema_ms_median\":%.3f,\"peak_rss_mb_median\":%.1f}\n",
              runs, Median(handshake), Median(schema), Median(rss));
  return 0;
}
