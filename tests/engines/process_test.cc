#include "engines/process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace eng = tpd::engines;
using namespace std::chrono_literals;

namespace {
eng::ProcessOptions Sh(const std::string& script) {
  eng::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  return o;
}

// True if `pid` is gone or a zombie.
bool Dead(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}
}  // namespace

TEST_CASE("RunProcess: captures stdout and exit code 0 when the command succeeds", "[engines]") {
  auto r = eng::RunProcess(Sh("echo hello; echo warn >&2"));
  REQUIRE(r.ok());
  CHECK(r->exit_code == 0);
  CHECK(r->stdout_data == "hello\n");
  CHECK(r->stderr_tail == "warn\n");
}

TEST_CASE("RunProcess: reads stdin from /dev/null", "[engines]") {
  auto r = eng::RunProcess(Sh("cat; echo done"));
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "done\n");
}

TEST_CASE("RunProcess: reports tool, exit code and redacted stderr when the command fails", "[engines]") {
  auto o = Sh("echo 'FATAL: password=hunter2 for postgres://bob:topsecret@db:5432/x' >&2; exit 3");
  o.tool_name = "pg_dump";
  auto r = eng::RunProcess(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsInternal());
  const std::string m = r.status().message();
  CHECK(m.find("pg_dump exited with code 3") != std::string::npos);
  CHECK(m.find("FATAL") != std::string::npos);
  CHECK(m.find("hunter2") == std::string::npos);
  CHECK(m.find("topsecret") == std::string::npos);
  CHECK(m.find("postgres://bob:****@db:5432/x") != std::string::npos);

  SECTION("check_exit = false returns the exit code instead") {
    o.check_exit = false;
    auto r2 = eng::RunProcess(o);
    REQUIRE(r2.ok());
    CHECK(r2->exit_code == 3);
    CHECK_FALSE(r2->success());
  }
}

TEST_CASE("RunProcess: reports the signal when the child is killed", "[engines]") {
  auto r = eng::RunProcess(Sh("kill -9 $$"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("killed by signal 9") != std::string::npos);
}

TEST_CASE("RunProcess: keeps only a bounded tail of stderr", "[engines]") {
  auto o = Sh("i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done; echo END >&2");
  o.stderr_tail_bytes = 100;
  auto r = eng::RunProcess(o);
  REQUIRE(r.ok());
  CHECK(r->stderr_tail.size() <= 100);
  CHECK(r->stderr_tail.find("END\n") != std::string::npos);
  CHECK(r->stderr_tail.find("line1999") != std::string::npos);
  CHECK(r->stderr_tail.find("line1\n") == std::string::npos);
}

TEST_CASE("RunProcess: returns Cancelled and kills the process group when the timeout expires", "[engines]") {
  auto o = Sh("sleep 30 & echo $! > /tmp/tpd-proc-test-$$; echo $$; wait");
  o.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  std::string pidfile;
  auto r = eng::RunProcessStreaming(o, [&](std::string_view chunk) {
    pidfile = "/tmp/tpd-proc-test-" + std::string(chunk.substr(0, chunk.find('\n')));
    return tpd::Status::Ok();
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsCancelled());
  CHECK(r.status().message().find("timed out") != std::string::npos);
  CHECK(elapsed < 5s);
  // The grandchild (sleep 30) was in the same process group and died too.
  std::ifstream in(pidfile);
  pid_t grandchild = 0;
  REQUIRE(in >> grandchild);
  bool dead = false;
  for (int i = 0; i < 50 && !dead; ++i) {
    dead = Dead(grandchild);
    if (!dead) std::this_thread::sleep_for(50ms);
  }
  CHECK(dead);
  std::remove(pidfile.c_str());
}

TEST_CASE("RunProcess: returns Cancelled when the cancel flag or callback fires", "[engines]") {
  SECTION("flag set from another thread") {
    std::atomic<bool> cancel{false};
    auto o = Sh("sleep 30");
    o.cancel_flag = &cancel;
    std::thread t([&] {
      std::this_thread::sleep_for(200ms);
      cancel = true;
    });
    auto start = std::chrono::steady_clock::now();
    auto r = eng::RunProcess(o);
    t.join();
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsCancelled());
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
  SECTION("callback") {
    auto o = Sh("sleep 30");
    auto deadline = std::chrono::steady_clock::now() + 200ms;
    o.cancelled = [&] { return std::chrono::steady_clock::now() > deadline; };
    auto r = eng::RunProcess(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsCancelled());
  }
  SECTION("a child that ignores SIGTERM is killed after the grace period") {
    auto o = Sh("trap '' TERM; sleep 30");
    o.timeout = 200ms;
    o.kill_grace = 300ms;
    auto start = std::chrono::steady_clock::now();
    auto r = eng::RunProcess(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsCancelled());
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
}

TEST_CASE("RunProcess: passes extra environment to the child only", "[engines]") {
  ::unsetenv("TPD_TEST_SECRET");
  ::setenv("TPD_TEST_REMOVED", "x", 1);
  auto o = Sh("echo \"$TPD_TEST_SECRET|${TPD_TEST_REMOVED:-unset}\"");
  o.env = {{"TPD_TEST_SECRET", "child-only"}};
  o.env_remove = {"TPD_TEST_REMOVED"};
  auto r = eng::RunProcess(o);
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "child-only|unset\n");
  CHECK(std::getenv("TPD_TEST_SECRET") == nullptr);
  ::unsetenv("TPD_TEST_REMOVED");
}

TEST_CASE("RunProcess: runs in the working directory", "[engines]") {
  auto o = Sh("pwd");
  o.working_dir = "/tmp";
  auto r = eng::RunProcess(o);
  REQUIRE(r.ok());
  CHECK(r->stdout_data == "/tmp\n");
  o.working_dir = "/nonexistent-dir-tpd";
  auto bad = eng::RunProcess(o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().IsFailedPrecondition());
}

TEST_CASE("RunProcess: returns NotFound when the program does not exist", "[engines]") {
  eng::ProcessOptions o;
  o.argv = {"/nonexistent/pg_dump", "--version"};
  auto r = eng::RunProcess(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsNotFound());
  o.argv = {"tpd-no-such-program-anywhere"};
  auto r2 = eng::RunProcess(o);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.status().IsNotFound());
  o.argv = {};
  CHECK(eng::RunProcess(o).status().IsInvalidArgument());
}

TEST_CASE("RunProcess: runs as the unprivileged user when asked and running as root", "[engines]") {
  if (!eng::RunningAsRoot()) {
    WARN("not root: run-as is a no-op, skipping");
    return;
  }
  SECTION("named user") {
    auto o = Sh("id -un; echo $HOME");
    o.run_as_user = "tpdpg";
    auto r = eng::RunProcess(o);
    REQUIRE(r.ok());
    auto ids = eng::LookupUser("tpdpg");
    REQUIRE(ids.ok());
    CHECK(r->stdout_data == "tpdpg\n" + ids->home + "\n");
  }
  SECTION("owner of a path") {
    char tmpl[] = "/tmp/tpd-owner-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    auto ids = eng::LookupUser("tpdpg");
    REQUIRE(ids.ok());
    REQUIRE(::chown(tmpl, ids->uid, ids->gid) == 0);
    auto o = Sh("id -u; touch file");
    o.run_as_owner_of = tmpl;
    o.working_dir = tmpl;
    auto r = eng::RunProcess(o);
    REQUIRE(r.ok());
    CHECK(r->stdout_data == std::to_string(ids->uid) + "\n");
    struct stat st {};
    REQUIRE(::stat((std::string(tmpl) + "/file").c_str(), &st) == 0);
    CHECK(st.st_uid == ids->uid);
    std::remove((std::string(tmpl) + "/file").c_str());
    ::rmdir(tmpl);
  }
  SECTION("unknown user") {
    auto o = Sh("true");
    o.run_as_user = "tpd-no-such-user";
    auto r = eng::RunProcess(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsNotFound());
  }
}

TEST_CASE("RunProcessStreaming: delivers all stdout and stops the child when the callback fails", "[engines]") {
  SECTION("all data arrives") {
    std::string got;
    auto r = eng::RunProcessStreaming(Sh("seq 1 20000"), [&](std::string_view c) {
      got.append(c);
      return tpd::Status::Ok();
    });
    REQUIRE(r.ok());
    CHECK(r->stdout_data.empty());
    CHECK(got.size() == 108894);  // bytes of `seq 1 20000`
    CHECK(got.substr(got.size() - 6) == "20000\n");
  }
  SECTION("callback error") {
    auto start = std::chrono::steady_clock::now();
    auto r = eng::RunProcessStreaming(Sh("while true; do echo data; sleep 0.01; done"),
                                      [&](std::string_view) { return tpd::Status::Unavailable("disk full"); });
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().IsUnavailable());
    CHECK(r.status().message() == "disk full");
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
}

TEST_CASE("RedactSecrets: removes passwords from URLs and key=value text", "[engines]") {
  CHECK(eng::RedactSecrets("postgres://u:pw@h/db") == "postgres://u:****@h/db");
  CHECK(eng::RedactSecrets("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(eng::RedactSecrets("host=h password=abc user=u") == "host=h password=**** user=u");
  CHECK(eng::RedactSecrets("password='a b c' x") == "password=**** x");
  CHECK(eng::RedactSecrets("PGPASSWORD=xyz pg_dump") == "PGPASSWORD=**** pg_dump");
  CHECK(eng::RedactSecrets("?sslmode=require&password=zz&x=1") == "?sslmode=require&password=****&x=1");
  CHECK(eng::RedactSecrets("Password: hunter2") == "Password: ****");
  CHECK(eng::RedactSecrets("no secrets here") == "no secrets here");
  CHECK(eng::FormatCommandLine({"pg_dump", "--dbname=postgres://a:b@h/d", "two words"}) ==
        "pg_dump --dbname=postgres://a:****@h/d 'two words'");
}
