// Acceptance: database_replica promote (issue 5, scenario 2, and the two-step flow of
// examples/replica-then-promote): apply with promote = false, then promote = true while a writer
// keeps inserting into the source. No write the source acknowledged may be lost, inserts during the
// freeze must fail loudly, and the target's sequences must continue after the last acknowledged id.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "acceptance/database_replica_fixture.h"
#include "engines/postgres/connection.h"

namespace tpd::acceptance::replica {
namespace {

// Inserts one row at a time into orders on the source until stopped, recording which ids the
// server acknowledged (committed) and how many inserts were refused.
class Writer {
 public:
  explicit Writer(const PgServer& source) : source_(source) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() { Stop(); }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::vector<int64_t> acked() const {
    std::lock_guard<std::mutex> l(mu_);
    return acked_;
  }
  int64_t refused() const { return refused_.load(); }
  int64_t read_only_refusals() const { return read_only_.load(); }

 private:
  void Run() {
    std::unique_ptr<engines::postgres::Connection> conn;
    while (!stop_.load()) {
      if (!conn) {
        auto c = source_.Connect(kDb);
        if (!c.ok()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        conn = std::move(c).value();
      }
      auto id = conn->QueryInt("INSERT INTO orders (note) VALUES ('writer') RETURNING id");
      if (id.ok()) {
        std::lock_guard<std::mutex> l(mu_);
        acked_.push_back(*id);
      } else {
        refused_.fetch_add(1);
        if (conn->last_sqlstate() == "25006") read_only_.fetch_add(1);
        if (conn->last_sqlstate().empty()) conn.reset();  // connection trouble: reconnect
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  const PgServer& source_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> read_only_{0};
  mutable std::mutex mu_;
  std::vector<int64_t> acked_;  // guarded by mu_
  std::thread thread_;
};

TEST_CASE("database_replica: promote with a writer running loses no acknowledged write and sequences continue",
          "[acceptance]") {
  TPD_ACC_ONLY();
  Servers s = StartServers();
  REQUIRE(s.source
              ->Exec("CREATE TABLE orders (id bigserial PRIMARY KEY, note text, at timestamptz DEFAULT now());"
                     "INSERT INTO orders (note) SELECT 'seed' FROM generate_series(1, 1000);",
                     kDb)
              .ok());
  Terraform tf = MakeTerraform(6);

  // Step 1: promote = false.
  ApplyOutcome created = tf.Apply(kType, ReplicaConfig(s, /*promote=*/false), std::nullopt);
  TPD_REQUIRE_WALK_OK(created);
  CHECK(Str(created.new_state, "status") == "streaming");
  const std::string name = Str(created.new_state, "slot_name");

  Writer writer(*s.source);
  // Let the writer get going so the cutover happens under load.
  REQUIRE(WaitFor([&] { return writer.acked().size() >= 50; }, std::chrono::seconds(30)));

  // Step 2: promote = true. The plan is an in-place update, not a replacement.
  const Value promote_config = ReplicaConfig(s, /*promote=*/true);
  ApplyOutcome promoted = tf.Apply(kType, promote_config, created.state);
  // Keep writing a moment after the cutover: every such insert must be refused (the source stays
  // read-only), never silently accepted.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  writer.Stop();
  TPD_REQUIRE_WALK_OK(promoted);
  CHECK(promoted.plan.action == Action::kUpdate);
  const Value& st = promoted.new_state;
  CHECK(Str(st, "status") == "promoted");
  CHECK_FALSE(Str(st, "promoted_at").empty());
  const Value& downtime = st.GetAttr("measured_downtime_seconds");
  REQUIRE_FALSE(downtime.IsNull());
  CHECK(downtime.AsNumber().ToDouble() > 0);
  CHECK(downtime.AsNumber().ToDouble() < 60);
  CHECK(st.GetAttr("lag_bytes").AsNumber().ToDouble() == 0);

  // No acknowledged write lost.
  std::vector<int64_t> acked = writer.acked();
  INFO("acknowledged inserts: " << acked.size() << ", refused: " << writer.refused()
                                << " (read-only: " << writer.read_only_refusals() << ")");
  REQUIRE_FALSE(acked.empty());
  CHECK(writer.read_only_refusals() > 0);
  auto rows = s.target->Query("SELECT id FROM orders", kDb);
  REQUIRE(rows.ok());
  std::set<int64_t> on_target;
  for (const auto& r : rows->rows) on_target.insert(std::stoll(*r[0]));
  int64_t missing = 0;
  for (int64_t id : acked) missing += on_target.count(id) == 0 ? 1 : 0;
  CHECK(missing == 0);
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM orders WHERE note = 'seed'") == 1000);

  // Sequences continue on the target: a new row gets an id after every acknowledged one.
  const int64_t max_acked = *std::max_element(acked.begin(), acked.end());
  const int64_t next = QueryInt(*s.target, "INSERT INTO orders (note) VALUES ('after cutover') RETURNING id");
  CHECK(next > max_acked);

  // The source is read-only now; nothing of the replica is left on either side.
  CHECK(LeftoversOnSource(*s.source, name) == 0);
  CHECK(SubscriptionsOnTarget(*s.target, name) == 0);

  // A second plan shows no changes; promote back to false is refused on `promote`.
  ResourcePlan again = tf.Plan(kType, promote_config, promoted.state);
  TPD_REQUIRE_WALK_OK(again);
  CHECK(again.action == Action::kNoOp);
  CHECK(Str(again.prior, "status") == "promoted");
  ResourcePlan back = tf.Plan(kType, ReplicaConfig(s, /*promote=*/false), promoted.state);
  REQUIRE(back.HasError());
  const schema::Diagnostic* err = nullptr;
  for (const auto& d : back.diags.items()) {
    if (d.severity == schema::Diagnostic::Severity::kError) err = &d;
  }
  REQUIRE(err != nullptr);
  REQUIRE(err->attribute.has_value());
  CHECK(err->attribute->ToString() == "promote");

  // Destroying a promoted replica drops nothing that matters and succeeds.
  ApplyOutcome destroyed = tf.Apply(kType, Value(), promoted.state);
  TPD_REQUIRE_WALK_OK(destroyed);
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM orders WHERE note = 'after cutover'") == 1);
}

TEST_CASE("database_replica: DDL on the source refuses the cutover before anything is frozen", "[acceptance]") {
  TPD_ACC_ONLY();
  Servers s = StartServers();
  REQUIRE(s.source->Exec("CREATE TABLE orders (id bigserial PRIMARY KEY, note text);"
                         "INSERT INTO orders (note) SELECT 'seed' FROM generate_series(1, 100);",
                         kDb)
              .ok());
  Terraform tf = MakeTerraform(6);
  ApplyOutcome created = tf.Apply(kType, ReplicaConfig(s, false), std::nullopt);
  TPD_REQUIRE_WALK_OK(created);

  // DDL is not replicated: the target lacks the new column.
  REQUIRE(s.source->Exec("ALTER TABLE orders ADD COLUMN priority int", kDb).ok());
  ApplyOutcome refused = tf.Apply(kType, ReplicaConfig(s, true), created.state);
  INFO(refused.Describe());
  REQUIRE(refused.HasError());
  CHECK(refused.core_errors.empty());
  const schema::Diagnostic* err = nullptr;
  for (const auto& d : refused.diags.items()) {
    if (d.severity == schema::Diagnostic::Severity::kError) err = &d;
  }
  REQUIRE(err != nullptr);
  CHECK(err->summary.find("schema changed") != std::string::npos);
  CHECK(err->detail.find("priority") != std::string::npos);
  REQUIRE(err->attribute.has_value());
  CHECK(err->attribute->ToString() == "promote");
  // The prior state is kept and the source still takes writes (nothing was frozen).
  REQUIRE(refused.state.has_value());
  CHECK(s.source->Exec("INSERT INTO orders (note) VALUES ('still writable')", kDb).ok());

  // After the same DDL on the target the stream catches up and the cutover goes through.
  REQUIRE(s.target->Exec("ALTER TABLE orders ADD COLUMN priority int", kDb).ok());
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT count(*) FROM orders") == 101; }));
  ApplyOutcome promoted = tf.Apply(kType, ReplicaConfig(s, true), refused.state);
  TPD_REQUIRE_WALK_OK(promoted);
  CHECK(Str(promoted.new_state, "status") == "promoted");
}

}  // namespace
}  // namespace tpd::acceptance::replica
