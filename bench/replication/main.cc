// Benchmark driver: write freeze of the replication cutover (Cutover in
// engines/postgres/replication.h) on a pgbench database while pgbench writes.
//
//   tpd-bench-replication-cutover [--runs N] [--scale S] [--clients C] [--pgbench PATH]
//
// Starts an embedded PostgreSQL 13 source (wal_level = logical) and 17 target (tests/support
// PgServer: fsync off, 127.0.0.1), runs `pgbench -i -s S` on the source, then per run: unfreezes
// the source, creates an empty target database, CreateReplica, starts
// `pgbench -n -c C -j C -T 60` against the source, waits 5 s, runs Cutover and records its
// write_freeze_seconds (freeze start -> target detached and ready). Prints one line per run and
// the medians. Exit code 0 when every run succeeded.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engines/postgres/freeze.h"
#include "engines/postgres/replication.h"
#include "engines/process.h"
#include "tests/support/pg_server.h"

using namespace tpd;
using namespace tpd::engines::postgres;

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3, scale = 10, clients = 4;
  std::string pgbench = "/usr/lib/postgresql/15/bin/pgbench";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--scale")) scale = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--clients")) clients = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--pgbench")) pgbench = argv[i + 1];
  }
  testsupport::PgServerOptions so;
  so.major = 13;
  so.settings = {{"wal_level", "logical"}, {"max_replication_slots", "20"}, {"max_wal_senders", "20"},
                 {"max_wal_size", "'4GB'"}};
  auto src = testsupport::PgServer::Start(so);
  if (!src.ok()) return Fail("start source", src.status());
  testsupport::PgServerOptions to;
  to.major = 17;
  to.settings = {{"max_wal_size", "'4GB'"}};
  auto dst = testsupport::PgServer::Start(to);
  if (!dst.ok()) return Fail("start target", dst.status());
  if (Status s = (*src)->Exec("CREATE DATABASE bench"); !s.ok()) return Fail("create db", s);

  auto pgbench_argv = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {pgbench, "-h", "127.0.0.1", "-p", std::to_string((*src)->port()), "-U", "postgres"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back("bench");
    return a;
  };
  engines::ProcessOptions init;
  init.argv = pgbench_argv({"-i", "-q", "-s", std::to_string(scale)});
  init.env = {{"PGPASSWORD", (*src)->password()}};
  auto t_init = std::chrono::steady_clock::now();
  if (auto r = engines::RunProcess(init); !r.ok()) return Fail("pgbench -i", r.status());
  std::printf("pgbench -i -s %d: %.1f s\n", scale,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_init).count());

  std::vector<double> freeze, apply, create;
  for (int run = 1; run <= runs; ++run) {
    auto admin = Connection::Connect((*src)->conninfo("bench"));
    if (!admin.ok()) return Fail("connect", admin.status());
    if (Status s = UnfreezeWrites(**admin); !s.ok()) return Fail("unfreeze", s);
    admin->reset();
    std::string db = "bench_" + std::to_string(run);
    if (Status s = (*dst)->Exec("CREATE DATABASE " + db); !s.ok()) return Fail("create target db", s);
    ReplicaSpec spec;
    spec.source = (*src)->conninfo("bench");
    spec.target = (*dst)->conninfo(db);
    spec.id = "bench_run_" + std::to_string(run);
    spec.parallelism = 2;
    auto cr = CreateReplica(spec);
    if (!cr.ok()) return Fail("CreateReplica", cr.status());
    create.push_back(cr->seconds);

    engines::ProcessOptions w;
    w.argv = pgbench_argv({"-n", "-c", std::to_string(clients), "-j", std::to_string(clients), "-T", "60"});
    w.env = {{"PGPASSWORD", (*src)->password()}};
    w.check_exit = false;  // pgbench ends with an error when the freeze terminates its clients
    w.timeout = std::chrono::seconds(90);
    engines::ProcessResult wr;
    std::thread writer([&] {
      auto r = engines::RunProcess(w);
      if (r.ok()) wr = *r;
    });
    std::this_thread::sleep_for(std::chrono::seconds(5));
    auto c = Cutover(spec);
    writer.join();
    if (!c.ok()) return Fail("Cutover", c.status());
    freeze.push_back(c->write_freeze_seconds);
    apply.push_back(c->apply_wait_seconds);
    std::printf("run %d: create_replica %.2f s, write_freeze %.3f s (apply wait %.3f s), sessions terminated %lld, "
                "pgbench exit %d, %zu tables verified\n",
                run, cr->seconds, c->write_freeze_seconds, c->apply_wait_seconds,
                static_cast<long long>(c->sessions_terminated), wr.exit_code, c->verification.size());
    std::printf("    breakdown: freeze %.3f s, apply wait %.3f s, sequences %.3f s, verify %.3f s, detach %.3f s\n",
                c->freeze_call_seconds, c->apply_wait_seconds, c->sequences_seconds, c->verify_seconds,
                c->detach_seconds);
    for (const auto& line : c->verification) std::printf("    %s\n", line.c_str());
    std::fflush(stdout);
  }
  std::printf("median over %d runs: write_freeze %.3f s, apply wait %.3f s, create_replica %.2f s\n", runs,
              Median(freeze), Median(apply), Median(create));
  return 0;
}
