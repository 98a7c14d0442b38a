// in_place against real servers: Debian's PostgreSQL 13 (old) -> 15 (new), pg_upgrade in link
// mode, the server processes running as the data directory's owner (tpdpg when we are root).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "engines/pipeline.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/in_place.h"
#include "engines/postgres/pg_config_carry.h"
#include "engines/postgres/server_control.h"
#include "engines/postgres/verify.h"
#include "engines/process.h"
#include "tests/support/pg_server.h"

namespace fs = std::filesystem;
namespace pg = tpd::engines::postgres;
namespace eng = tpd::engines;
using tpd::testsupport::PgServer;
using tpd::testsupport::PgServerOptions;

namespace {

constexpr int kOld = 13;
constexpr int kNew = 15;

bool Available() { return PgServer::Available(kOld, true) && PgServer::Available(kNew, true); }

std::unique_ptr<PgServer> StartOld(std::vector<std::pair<std::string, std::string>> settings = {}) {
  PgServerOptions o;
  o.major = kOld;
  o.debian = true;
  o.settings = std::move(settings);
  auto s = PgServer::Start(std::move(o));
  if (!s.ok()) FAIL("PgServer::Start: " << s.status().ToString());
  return std::move(s).value();
}

// A work directory removed at the end of the test.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& tag) {
    std::string tmpl = (fs::temp_directory_path() / ("tpd-ip-" + tag + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) FAIL("mkdtemp failed");
    path = tmpl;
    // The data directory's owner must reach <work_dir>/runs/<id>/pg_upgrade.
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Exec(const PgServer& s, const std::string& sql, const std::string& db = "appdb") {
  auto st = s.Exec(sql, db);
  if (!st.ok()) FAIL(sql << ": " << st.ToString());
}

std::string One(const pg::ConnInfo& conn, const std::string& sql) {
  auto c = pg::Connection::Connect(conn);
  if (!c.ok()) FAIL("connect: " << c.status().ToString());
  auto r = (*c)->QueryString(sql);
  if (!r.ok()) FAIL(sql << ": " << r.status().ToString());
  return *r;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2),
                       created timestamptz DEFAULT '2020-01-01 00:00+00');
INSERT INTO accounts (name, balance) SELECT 'acct ' || g, g * 1.25 FROM generate_series(1, 20000) g;
CREATE INDEX accounts_name ON accounts (name);
CREATE TABLE events (account_id int, kind text, payload jsonb);
INSERT INTO events SELECT g % 1000, 'k' || (g % 7), jsonb_build_object('g', g) FROM generate_series(1, 5000) g;
CREATE SEQUENCE invoice_no START 1000;
SELECT nextval('invoice_no') FROM generate_series(1, 5);
CREATE TABLE docs (id int PRIMARY KEY, content oid);
INSERT INTO docs VALUES (1, lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8')));
)sql";

// Per table "count/checksum", plus the sequence and the large object's content.
std::map<std::string, std::string> Snapshot(const pg::ConnInfo& conn) {
  auto c = pg::Connection::Connect(conn);
  if (!c.ok()) FAIL("connect: " << c.status().ToString());
  std::map<std::string, std::string> out;
  auto tables = pg::ListUserTables(**c);
  REQUIRE(tables.ok());
  for (const auto& [schema, name] : *tables) {
    auto n = pg::CountRows(**c, schema, name);
    auto sum = pg::TableChecksum(**c, schema, name);
    REQUIRE(n.ok());
    REQUIRE(sum.ok());
    out[schema + "." + name] = std::to_string(*n) + "/" + *sum;
  }
  out["seq"] = *(*c)->QueryString("SELECT last_value || ',' || is_called FROM invoice_no");
  out["lo"] = *(*c)->QueryString("SELECT md5(lo_get(content)) FROM docs WHERE id = 1");
  return out;
}

pg::UpgradeSpec SpecFor(const PgServer& old, const std::string& work) {
  pg::UpgradeSpec spec;
  spec.source.conn = old.conninfo("appdb");
  spec.source.data_dir = old.data_dir();
  spec.source.bin_dir = old.bin_dir();
  spec.target.bin_dir = PgServer::BinDirFor(kNew, true);
  spec.target_major = kNew;
  spec.backup_enabled = false;
  spec.parallelism = 2;
  spec.work_dir = work;
  spec.run_id = "in-place-test";
  return spec;
}

tpd::Result<eng::RunSummary> RunSteps(const pg::UpgradeSpec& spec, pg::InPlaceState* state) {
  eng::PipelineOptions po;
  po.work_dir = spec.work_dir;
  po.run_id = spec.run_id;
  eng::Pipeline pipeline(po);
  eng::StepContext ctx;
  return pipeline.Run(pg::InPlaceSteps(spec, state), ctx);
}

// Stops the new server (it lives inside the old server's temp dir, which PgServer removes).
struct NewServerGuard {
  std::string data_dir;
  ~NewServerGuard() {
    if (data_dir.empty()) return;
    pg::ServerControlOptions so;
    so.data_dir = data_dir;
    so.bin_dir = PgServer::BinDirFor(kNew, true);
    (void)pg::StopServer(so);
  }
};

// The old server takes writes: an INSERT commits and is readable.
void RequireOldWritable(const PgServer& old) {
  auto st = old.Exec("INSERT INTO accounts (name, balance) VALUES ('after failure', 1)", "appdb");
  REQUIRE(st.ok());
  auto r = old.Query("SELECT count(*) FROM accounts WHERE name = 'after failure'", "appdb");
  REQUIRE(r.ok());
  CHECK(r->rows[0][0].value_or("") == "1");
}

}  // namespace

TEST_CASE("DefaultNewDataDir: names a sibling after the new major", "[engines]") {
  CHECK(pg::DefaultNewDataDir("/var/lib/pg/data", 15) == "/var/lib/pg/data-pg15");
  CHECK(pg::DefaultNewDataDir("/var/lib/pg/data/", 17) == "/var/lib/pg/data-pg17");
}

TEST_CASE("SerializeOldConfig: round-trips settings and auth file paths", "[engines]") {
  pg::OldConfig c;
  c.hba_file = "/etc/pg/pg_hba.conf";
  c.ident_file = "/etc/pg/pg_ident.conf";
  c.settings.push_back({"work_mem", "7MB", false, "/d/postgresql.conf:3"});
  c.settings.push_back({"search_path", "\"$user\", 'x'", true, "/d/postgresql.auto.conf:1"});
  auto back = pg::DeserializeOldConfig(pg::SerializeOldConfig(c));
  REQUIRE(back.ok());
  CHECK(back->hba_file == c.hba_file);
  CHECK(back->ident_file == c.ident_file);
  REQUIRE(back->settings.size() == 2);
  CHECK(back->settings[1].value == "\"$user\", 'x'");
  CHECK(back->settings[1].from_auto_conf);
  CHECK_FALSE(pg::DeserializeOldConfig("{not json").ok());
}

TEST_CASE("InPlace: upgrades 13 to 15 in link mode keeping port, data, settings and pg_hba", "[engines]") {
  if (!Available()) {
    WARN("Debian PostgreSQL 13 and 15 not installed; skipped");
    return;
  }
  // work_mem: a custom setting to carry; stats_temp_directory: known to 13, removed in 15.
  auto old = StartOld({{"work_mem", "'7MB'"}, {"stats_temp_directory", "'pg_stat_tmp'"}});
  Exec(*old, "CREATE DATABASE appdb", "postgres");
  Exec(*old, kSchema);
  Exec(*old, "ALTER SYSTEM SET maintenance_work_mem = '99MB'", "postgres");
  // A marker rule in pg_hba.conf that must arrive in the new cluster.
  {
    std::ofstream hba(old->data_dir() + "/pg_hba.conf", std::ios::app);
    hba << "# tpd-hba-marker\nhost all tpd_nobody 127.0.0.2/32 reject\n";
  }
  Exec(*old, "SELECT pg_reload_conf()", "postgres");
  const auto before = Snapshot(old->conninfo("appdb"));
  const int port = old->port();
  const TempDir tmp("link");
  const std::string& work = tmp.path;

  pg::UpgradeSpec spec = SpecFor(*old, work);
  spec.backup_enabled = true;
  spec.backup_dir = work + "/backups";
  pg::InPlaceState state;
  NewServerGuard guard{pg::DefaultNewDataDir(old->data_dir(), kNew)};
  auto run = RunSteps(spec, &state);
  if (!run.ok()) FAIL("in_place failed: " << run.status().ToString() << "\nold log:\n" << old->LogTail());
  pg::FinishInPlaceOutcome(*run, &state);

  // Same URL, now PostgreSQL 15, same data.
  CHECK(state.outcome.active_url == old->conninfo("appdb").Redacted());
  CHECK(state.outcome.new_version.rfind("15.", 0) == 0);
  CHECK(One(old->conninfo("appdb"), "SHOW server_version_num").rfind("15", 0) == 0);
  CHECK(One(old->conninfo("appdb"), "SHOW port") == std::to_string(port));
  CHECK(Snapshot(old->conninfo("appdb")) == before);
  // Settings carried (file and ALTER SYSTEM), the unknown one reported.
  CHECK(One(old->conninfo("appdb"), "SHOW work_mem") == "7MB");
  CHECK(One(old->conninfo("appdb"), "SHOW maintenance_work_mem") == "99MB");
  CHECK(One(old->conninfo("appdb"), "SHOW listen_addresses") == "127.0.0.1");
  bool reported = false;
  for (const auto& w : state.warnings) reported |= w.find("stats_temp_directory") != std::string::npos;
  CHECK(reported);
  // pg_hba.conf carried; the old cluster disabled as pg_upgrade --link documents.
  CHECK(ReadAll(state.new_data_dir + "/pg_hba.conf").find("tpd-hba-marker") != std::string::npos);
  CHECK(fs::exists(old->data_dir() + "/global/pg_control.old"));
  CHECK_FALSE(fs::exists(old->data_dir() + "/global/pg_control"));
  CHECK(!state.delete_old_cluster_script.empty());
  CHECK(fs::exists(state.delete_old_cluster_script));
  CHECK(fs::exists(state.outcome.backup_path));
  // The new server runs as the data directory's owner, never as root.
  if (tpd::engines::RunningAsRoot()) {
    struct stat st {};
    REQUIRE(::stat(state.new_data_dir.c_str(), &st) == 0);
    auto pid = pg::RunningPostmasterPid(state.new_data_dir);
    REQUIRE(pid.has_value());
    struct stat proc {};
    REQUIRE(::stat(("/proc/" + std::to_string(*pid)).c_str(), &proc) == 0);
    CHECK(proc.st_uid == st.st_uid);
    CHECK(proc.st_uid != 0u);
  }
  // Downtime measured from stop_old to the new server accepting connections.
  REQUIRE(run->downtime_seconds.has_value());
  CHECK(*run->downtime_seconds > 0);
  CHECK(state.outcome.measured_downtime_seconds == *run->downtime_seconds);
  WARN("in_place link downtime: " << *run->downtime_seconds << " s, total " << run->total_seconds << " s");
  // The new server takes writes.
  auto c = pg::Connection::Connect(old->conninfo("appdb"));
  REQUIRE(c.ok());
  CHECK((*c)->Exec("INSERT INTO accounts (name) VALUES ('on 15')").ok());
}

TEST_CASE("InPlace: leaves the old server serving and writable when pg_upgrade --check fails", "[engines]") {
  if (!Available()) {
    WARN("Debian PostgreSQL 13 and 15 not installed; skipped");
    return;
  }
  auto old = StartOld();
  Exec(*old, "CREATE DATABASE appdb", "postgres");
  Exec(*old, kSchema);
  const TempDir tmp("check");
  const std::string& work = tmp.path;

  SECTION("a table using a reg* type pg_upgrade cannot carry") {
    Exec(*old, "CREATE TABLE bad (p regproc); INSERT INTO bad VALUES ('now'::regproc)");
    pg::InPlaceState state;
    auto run = RunSteps(SpecFor(*old, work), &state);
    REQUIRE_FALSE(run.ok());
    INFO(run.status().ToString());
    CHECK(run.status().message().find("step pg_upgrade_check failed") != std::string::npos);
    CHECK(run.status().message().find("reg*") != std::string::npos);
    CHECK_FALSE(fs::exists(pg::DefaultNewDataDir(old->data_dir(), kNew)));  // init_new undone
    CHECK(fs::exists(old->data_dir() + "/global/pg_control"));
  }
  SECTION("a new bin dir that is not newer") {
    pg::UpgradeSpec spec = SpecFor(*old, work);
    spec.target.bin_dir = PgServer::BinDirFor(kOld, true);
    spec.target_major = 0;
    pg::InPlaceState state;
    auto run = RunSteps(spec, &state);
    REQUIRE_FALSE(run.ok());
    INFO(run.status().ToString());
    CHECK(run.status().message().find("step precheck failed") != std::string::npos);
    CHECK(run.status().message().find("not newer") != std::string::npos);
  }
  SECTION("an embedded build without pg_controldata as the old bin dir") {
    if (!PgServer::Available(kOld, false)) return;
    pg::UpgradeSpec spec = SpecFor(*old, work);
    spec.source.bin_dir = PgServer::BinDirFor(kOld, false);
    pg::InPlaceState state;
    auto run = RunSteps(spec, &state);
    REQUIRE_FALSE(run.ok());
    INFO(run.status().ToString());
    CHECK(run.status().message().find("pg_controldata") != std::string::npos);
    CHECK(run.status().message().find("embedded") != std::string::npos);
  }
  REQUIRE(old->running());
  REQUIRE(pg::RunningPostmasterPid(old->data_dir()).has_value());
  RequireOldWritable(*old);
}

TEST_CASE("InPlace: restarts the old cluster when pg_upgrade fails in link mode", "[engines]") {
  if (!Available()) {
    WARN("Debian PostgreSQL 13 and 15 not installed; skipped");
    return;
  }
  auto old = StartOld();
  Exec(*old, "CREATE DATABASE appdb", "postgres");
  Exec(*old, kSchema);
  const auto before = Snapshot(old->conninfo("appdb"));
  const TempDir tmp("revert");
  const std::string& work = tmp.path;
  pg::InPlaceState state;
  bool linked = false;
  state.after_pg_upgrade_ForTest = [&]() -> tpd::Status {
    linked = fs::exists(old->data_dir() + "/global/pg_control.old");
    return tpd::Status::Internal("injected failure after pg_upgrade");
  };
  auto run = RunSteps(SpecFor(*old, work), &state);
  REQUIRE_FALSE(run.ok());
  INFO(run.status().ToString());
  CHECK(run.status().message().find("step pg_upgrade failed: injected failure") != std::string::npos);
  CHECK(linked);  // pg_upgrade had disabled the old cluster
  // Reverted: pg_control back, the old server serving on its port with its data, writable.
  CHECK(fs::exists(old->data_dir() + "/global/pg_control"));
  CHECK_FALSE(fs::exists(old->data_dir() + "/global/pg_control.old"));
  REQUIRE(pg::RunningPostmasterPid(old->data_dir()).has_value());
  CHECK(One(old->conninfo("appdb"), "SHOW server_version_num").rfind("13", 0) == 0);
  CHECK(Snapshot(old->conninfo("appdb")) == before);
  CHECK_FALSE(fs::exists(pg::DefaultNewDataDir(old->data_dir(), kNew)));
  RequireOldWritable(*old);

  // A re-apply of the same run (same journal) resumes and completes the upgrade.
  const auto before_retry = Snapshot(old->conninfo("appdb"));
  pg::InPlaceState retry;
  NewServerGuard guard{pg::DefaultNewDataDir(old->data_dir(), kNew)};
  auto again = RunSteps(SpecFor(*old, work), &retry);
  if (!again.ok()) FAIL("re-apply failed: " << again.status().ToString());
  CHECK(One(old->conninfo("appdb"), "SHOW server_version_num").rfind("15", 0) == 0);
  CHECK(Snapshot(old->conninfo("appdb")) == before_retry);
}
