// Tests of engines/postgres/replication: real PostgreSQL 13 source (wal_level = logical) and 17
// target, started per test case.
#include "engines/postgres/replication.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "engines/pipeline.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/freeze.h"
#include "tests/support/pg_server.h"

namespace tpd::engines::postgres {
namespace {

using testsupport::PgServer;
using testsupport::PgServerOptions;

struct Servers {
  std::unique_ptr<PgServer> src;
  std::unique_ptr<PgServer> dst;
};

Servers StartServers() {
  Servers s;
  PgServerOptions so;
  so.major = 13;
  so.settings = {{"wal_level", "logical"}, {"max_replication_slots", "10"}, {"max_wal_senders", "10"}};
  auto a = PgServer::Start(so);
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  s.src = std::move(a).value();
  PgServerOptions to;
  to.major = 17;
  auto b = PgServer::Start(to);
  INFO(b.status().ToString());
  REQUIRE(b.ok());
  s.dst = std::move(b).value();
  REQUIRE(s.src->Exec("CREATE DATABASE app").ok());
  REQUIRE(s.dst->Exec("CREATE DATABASE app").ok());
  Status st = s.src->Exec(
      "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, qty int);"
      "INSERT INTO items (name, qty) SELECT 'n' || g, g FROM generate_series(1, 1000) g;"
      "CREATE TABLE nopk (k int, v text);"
      "INSERT INTO nopk SELECT g, 'v' || g FROM generate_series(1, 100) g;",
      "app");
  INFO(st.ToString());
  REQUIRE(st.ok());
  return s;
}

ReplicaSpec SpecFor(const Servers& s, std::string id) {
  ReplicaSpec spec;
  spec.source = s.src->conninfo("app");
  spec.target = s.dst->conninfo("app");
  spec.id = std::move(id);
  spec.sync_timeout = std::chrono::seconds(90);
  return spec;
}

int64_t Count(const PgServer& server, const std::string& sql) {
  auto r = server.Query(sql, "app");
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(!r->rows.empty());
  return std::stoll(r->rows[0][0].value_or("-1"));
}

// Polls `pred` until true or `timeout`; returns the last value.
template <typename F>
bool WaitFor(F pred, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// Nothing of replica `names` is left on either server.
void CheckNothingLeft(const Servers& s, const ReplicationNames& names, bool check_target = true) {
  CHECK(Count(*s.src, "SELECT count(*) FROM pg_replication_slots") == 0);
  CHECK(Count(*s.src, "SELECT count(*) FROM pg_publication WHERE pubname = '" + names.publication + "'") == 0);
  if (check_target) CHECK(Count(*s.dst, "SELECT count(*) FROM pg_subscription") == 0);
}

TEST_CASE("NamesForReplica: valid identifiers, deterministic and distinct when ids differ", "[engines]") {
  auto a = NamesForReplica("run42");
  CHECK(a.publication == "tpd_run42");
  CHECK(a.slot == a.subscription);
  auto b = NamesForReplica("pg-Replication/ABC");
  CHECK(b.slot.rfind("tpd_pg_replication_abc_", 0) == 0);
  CHECK(b.slot == NamesForReplica("pg-Replication/ABC").slot);
  CHECK(b.slot != NamesForReplica("pg-replication/abc").slot);
  auto c = NamesForReplica(std::string(200, 'x'));
  CHECK(c.slot.size() <= 63);
  for (char ch : b.slot + c.slot) CHECK(((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'));
  CHECK(ParseLsn("16/B374D848") == ((uint64_t{0x16} << 32) | 0xB374D848u));
  CHECK(!ParseLsn("nonsense").has_value());
}

TEST_CASE("CreateReplica: source rows, updates and deletes (also without primary key) reach the target when streaming",
          "[engines][pg]") {
  Servers s = StartServers();
  ReplicaSpec spec = SpecFor(s, "create1");
  auto names = NamesForReplica(spec.id);

  auto r = CreateReplica(spec);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->schema_copied);
  CHECK(r->slot_created);
  CHECK(r->subscription_created);
  CHECK(r->tables == 2);
  REQUIRE(r->replica_identity_full == std::vector<std::string>{"public.nopk"});
  CHECK(!r->warnings.empty());
  CHECK(Count(*s.src, "SELECT count(*) FROM pg_class WHERE relname = 'nopk' AND relreplident = 'f'") == 1);
  CHECK(Count(*s.dst, "SELECT count(*) FROM items") == 1000);
  CHECK(Count(*s.dst, "SELECT count(*) FROM nopk") == 100);

  // Changes after the initial copy stream over, including UPDATE/DELETE of the table without PK.
  REQUIRE(s.src->Exec("INSERT INTO items (name) SELECT 'late' FROM generate_series(1, 50);"
                      "UPDATE nopk SET v = 'changed' WHERE k <= 10; DELETE FROM nopk WHERE k > 90;"
                      "UPDATE items SET qty = -1 WHERE id <= 5",
                      "app")
              .ok());
  CHECK(WaitFor([&] {
    return Count(*s.dst, "SELECT count(*) FROM items") == 1050 && Count(*s.dst, "SELECT count(*) FROM nopk") == 90 &&
           Count(*s.dst, "SELECT count(*) FROM nopk WHERE v = 'changed'") == 10 &&
           Count(*s.dst, "SELECT count(*) FROM items WHERE qty = -1") == 5;
  }));

  auto st = GetReplicaStatus(spec);
  INFO(st.status().ToString());
  REQUIRE(st.ok());
  CHECK(st->state == ReplicaState::kStreaming);
  CHECK(ReplicaStateName(st->state) == "streaming");
  CHECK(st->lag_bytes >= 0);
  CHECK(st->lag_bytes < 16 * 1024 * 1024);
  CHECK(st->source_version.rfind("13.", 0) == 0);
  CHECK(st->target_version.rfind("17.", 0) == 0);
  CHECK(st->tables_total == 2);
  CHECK(st->tables_ready == 2);

  SECTION("a re-run reuses every object") {
    auto again = CreateReplica(spec);
    INFO(again.status().ToString());
    REQUIRE(again.ok());
    CHECK(!again->schema_copied);
    CHECK(!again->slot_created);
    CHECK(!again->subscription_created);
  }

  SECTION("a subscription dropped behind our back shows as broken, and CreateReplica recreates it") {
    REQUIRE(s.dst->Exec("ALTER SUBSCRIPTION " + names.subscription + " DISABLE; ALTER SUBSCRIPTION " +
                            names.subscription + " SET (slot_name = NONE); DROP SUBSCRIPTION " + names.subscription,
                        "app")
                .ok());
    auto broken = GetReplicaStatus(spec);
    REQUIRE(broken.ok());
    CHECK(broken->state == ReplicaState::kBroken);
    CHECK(broken->reason.find("subscription " + names.subscription + " is missing") != std::string::npos);

    REQUIRE(s.src->Exec("INSERT INTO items (name) VALUES ('while broken')", "app").ok());
    auto again = CreateReplica(spec);
    INFO(again.status().ToString());
    REQUIRE(again.ok());
    CHECK(again->subscription_created);
    // Leftover rows were truncated and copied again: no duplicates, nothing missing.
    CHECK(Count(*s.dst, "SELECT count(*) FROM items") == 1051);
    auto healthy = GetReplicaStatus(spec);
    REQUIRE(healthy.ok());
    CHECK(healthy->state == ReplicaState::kStreaming);
  }

  SECTION("a disabled subscription shows as broken") {
    REQUIRE(s.dst->Exec("ALTER SUBSCRIPTION " + names.subscription + " DISABLE", "app").ok());
    auto broken = GetReplicaStatus(spec);
    REQUIRE(broken.ok());
    CHECK(broken->state == ReplicaState::kBroken);
    CHECK(broken->reason.find("disabled") != std::string::npos);
  }

  auto dropped = DropReplica(spec);
  INFO(dropped.status().ToString());
  REQUIRE(dropped.ok());
  CHECK(dropped->target_reachable);
  CHECK(dropped->publication_dropped);
  CHECK(dropped->slot_dropped);
  CheckNothingLeft(s, names);
}

TEST_CASE("Cutover: refuses before freezing writes when DDL changed the source schema", "[engines][pg]") {
  Servers s = StartServers();
  ReplicaSpec spec = SpecFor(s, "ddl");
  auto r = CreateReplica(spec);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(s.src->Exec("ALTER TABLE items ADD COLUMN note text", "app").ok());

  auto c = Cutover(spec);
  REQUIRE(!c.ok());
  CHECK(c.status().IsFailedPrecondition());
  std::string msg = c.status().message();
  INFO(msg);
  CHECK(msg.find("public.items.note") != std::string::npos);
  CHECK(msg.find("refused") != std::string::npos);
  // Writes were never frozen; the replica objects are still there.
  auto src = s.src->Connect("app");
  REQUIRE(src.ok());
  auto frozen = IsFrozen(**src);
  REQUIRE(frozen.ok());
  CHECK(!*frozen);
  CHECK(s.src->Exec("INSERT INTO items (name) VALUES ('still writable')", "app").ok());
  CHECK(Count(*s.src, "SELECT count(*) FROM pg_replication_slots") == 1);
  REQUIRE(DropReplica(spec).ok());
}

// Inserts rows continuously; records an id only after COMMIT returned.
struct Writer {
  ConnInfo conn;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<int64_t> acked;
  int read_only_errors = 0;
  int other_errors = 0;
  std::thread thread;

  void Run() {
    std::unique_ptr<Connection> c;
    while (!stop.load()) {
      if (!c || !c->ok()) {
        auto n = Connection::Connect(conn);
        if (!n.ok()) {
          std::lock_guard<std::mutex> l(mu);
          ++other_errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        c = std::move(n).value();
      }
      auto r = c->QueryInt("INSERT INTO items (name) VALUES ('writer') RETURNING id");
      std::lock_guard<std::mutex> l(mu);
      if (r.ok()) {
        acked.push_back(*r);
      } else if (c->last_sqlstate() == "25006") {
        ++read_only_errors;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } else {
        ++other_errors;
      }
    }
  }
};

TEST_CASE("Cutover: every acknowledged insert reaches the target when a writer runs throughout", "[engines][pg]") {
  Servers s = StartServers();
  ReplicaSpec spec = SpecFor(s, "cut");
  auto names = NamesForReplica(spec.id);
  auto r = CreateReplica(spec);
  INFO(r.status().ToString());
  REQUIRE(r.ok());

  Writer w;
  w.conn = s.src->conninfo("app");
  w.thread = std::thread([&] { w.Run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto c = Cutover(spec);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  w.stop = true;
  w.thread.join();
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  WARN("cutover write freeze " << c->write_freeze_seconds << " s (apply wait " << c->apply_wait_seconds
                               << " s), writer: " << w.acked.size() << " acknowledged, " << w.read_only_errors
                               << " refused read-only, " << w.other_errors << " other errors");
  CHECK(c->write_freeze_seconds > 0);
  CHECK(c->write_freeze_seconds <= 1.0);
  REQUIRE(!w.acked.empty());
  CHECK(w.read_only_errors > 0);  // writes during the freeze fail loudly

  // Every acknowledged id is on the target.
  auto ids = s.dst->Query("SELECT id FROM items", "app");
  REQUIRE(ids.ok());
  std::set<int64_t> on_target;
  for (const auto& row : ids->rows) on_target.insert(std::stoll(row[0].value_or("0")));
  size_t missing = 0;
  for (int64_t id : w.acked) missing += on_target.count(id) ? 0 : 1;
  CHECK(missing == 0);
  CHECK(Count(*s.dst, "SELECT count(*) FROM items") == Count(*s.src, "SELECT count(*) FROM items"));
  // Sequences continue on the target.
  int64_t max_id = Count(*s.dst, "SELECT max(id) FROM items");
  CHECK(Count(*s.dst, "SELECT nextval('items_id_seq')") > max_id);
  CHECK(!c->verification.empty());
  // Detached; the source stays read-only.
  CheckNothingLeft(s, names);
  auto src = s.src->Connect("app");
  REQUIRE(src.ok());
  auto frozen = IsFrozen(**src);
  REQUIRE(frozen.ok());
  CHECK(*frozen);
  auto promoted = GetReplicaStatus(spec);
  REQUIRE(promoted.ok());
  CHECK(promoted->state == ReplicaState::kPromoted);
}

TEST_CASE("DropReplica: removes publication and slot from the source when the target server is stopped",
          "[engines][pg]") {
  Servers s = StartServers();
  ReplicaSpec spec = SpecFor(s, "gone");
  auto names = NamesForReplica(spec.id);
  auto r = CreateReplica(spec);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(s.dst->Stop().ok());
  auto d = DropReplica(spec);
  INFO(d.status().ToString());
  REQUIRE(d.ok());
  CHECK(!d->target_reachable);
  CHECK(!d->warnings.empty());
  CHECK(d->slot_dropped);
  CHECK(d->publication_dropped);
  CheckNothingLeft(s, names, /*check_target=*/false);
  // Nothing holds WAL on the source any more.
  CHECK(Count(*s.src, "SELECT count(*) FROM pg_stat_replication") == 0);
}

TEST_CASE("ReplicationSteps: undo leaves the source writable and clean when the target dies during wait_sync, "
          "and a re-run completes",
          "[engines][pg]") {
  Servers s = StartServers();
  // Enough data that the initial copy is still running at the first poll.
  REQUIRE(s.src->Exec("INSERT INTO items (name, qty) SELECT repeat('x', 200), g FROM generate_series(1, 200000) g",
                      "app")
              .ok());
  std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("tpd-repl-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(work);
  UpgradeSpec spec;
  spec.source.conn = s.src->conninfo("app");
  spec.target.conn = s.dst->conninfo("app");
  spec.target_major = 17;
  spec.backup_enabled = true;
  spec.work_dir = work.string();
  spec.run_id = "pg-replication-test";
  auto names = NamesForReplica(spec.run_id);

  PipelineOptions po;
  po.work_dir = work;
  po.run_id = spec.run_id;
  {
    ReplicationState state;
    bool killed = false;
    state.on_wait_sync_ForTest = [&](int, int, int64_t) {
      if (!killed) {
        killed = true;
        REQUIRE(s.dst->Kill().ok());
      }
    };
    Pipeline p(po);
    StepContext ctx;
    auto run = p.Run(ReplicationSteps(spec, &state), ctx);
    REQUIRE(!run.ok());
    INFO(run.status().ToString());
    CHECK(run.status().message().find("wait_sync") != std::string::npos);
    CHECK(killed);
    CheckNothingLeft(s, names, /*check_target=*/false);
    CHECK(s.src->Exec("INSERT INTO items (name) VALUES ('writable after failure')", "app").ok());
  }
  {
    REQUIRE(s.dst->Launch().ok());
    ReplicationState state;
    Pipeline p(po);
    StepContext ctx;
    auto run = p.Run(ReplicationSteps(spec, &state), ctx);
    INFO(run.status().ToString());
    REQUIRE(run.ok());
    CHECK(run->completed);
    REQUIRE(run->downtime_seconds.has_value());
    WARN("pipeline measured downtime " << *run->downtime_seconds << " s");
    CHECK(state.outcome.active_url == s.dst->conninfo("app").Redacted());
    CHECK(!state.outcome.backup_path.empty());
    CHECK(!state.outcome.verification.empty());
    CHECK(Count(*s.dst, "SELECT count(*) FROM items") == Count(*s.src, "SELECT count(*) FROM items"));
    CheckNothingLeft(s, names);
  }
  std::filesystem::remove_all(work);
}

}  // namespace
}  // namespace tpd::engines::postgres
