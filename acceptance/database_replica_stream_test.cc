// Acceptance: database_replica from PostgreSQL 13 to 17 through the real provider process over
// protocol 6: create and stream (issue 5, scenario 1), a subscription dropped behind Terraform's
// back (scenario 3), and a table without a primary key (scenario 5).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "acceptance/database_replica_fixture.h"
#include "schema/codec.h"

namespace tpd::acceptance::replica {
namespace {

bool HasWarningMentioning(const schema::Diagnostics& diags, const std::string& text) {
  for (const auto& d : diags.items()) {
    if (d.severity == schema::Diagnostic::Severity::kWarning &&
        (d.detail.find(text) != std::string::npos || d.summary.find(text) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

TEST_CASE("database_replica: streams rows written after create and plans no change on re-plan", "[acceptance]") {
  TPD_ACC_ONLY();
  Servers s = StartServers();
  REQUIRE(s.source
              ->Exec("CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL, balance numeric);"
                     "INSERT INTO accounts (name, balance) SELECT 'a' || g, g FROM generate_series(1, 500) g;",
                     kDb)
              .ok());
  Terraform tf = MakeTerraform(6);
  const Value config = ReplicaConfig(s, /*promote=*/false);

  ApplyOutcome created = tf.Apply(kType, config, std::nullopt);
  TPD_REQUIRE_WALK_OK(created);
  CHECK(created.plan.action == Action::kCreate);
  // Names were known at plan time and did not change in apply.
  CHECK(created.plan.planned.GetAttr("slot_name") == created.new_state.GetAttr("slot_name"));
  REQUIRE(created.state.has_value());
  const Value& st = created.new_state;
  const std::string name = Str(st, "slot_name");
  CHECK(name.rfind("tpd_r", 0) == 0);
  CHECK(Str(st, "status") == "streaming");
  CHECK(Str(st, "source_version").rfind("13.", 0) == 0);
  CHECK(Str(st, "target_version").rfind("17.", 0) == 0);
  CHECK(Str(st, "promoted_at").empty());
  // The objects exist where they should.
  CHECK(QueryInt(*s.source, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + name + "'") == 1);
  CHECK(QueryInt(*s.source, "SELECT count(*) FROM pg_publication WHERE pubname = '" + name + "'") == 1);
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM pg_subscription WHERE subname = '" + name + "' AND subenabled") == 1);
  // The initial copy is complete when create returns.
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM accounts") == 500);

  // Rows written afterwards arrive.
  REQUIRE(s.source->Exec("INSERT INTO accounts (name, balance) SELECT 'b' || g, g FROM generate_series(1, 250) g;"
                         "UPDATE accounts SET balance = -1 WHERE id = 1; DELETE FROM accounts WHERE id = 2;",
                         kDb)
              .ok());
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT count(*) FROM accounts") == 749; }));
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT balance::int FROM accounts WHERE id = 1") == -1; }));

  // Refresh reads status and lag; with the stream caught up the lag is small and the next plan is empty.
  ResourcePlan again = tf.Plan(kType, config, created.state);
  TPD_REQUIRE_WALK_OK(again);
  CHECK(again.action == Action::kNoOp);
  CHECK(Str(again.prior, "status") == "streaming");
  const Value& lag = again.prior.GetAttr("lag_bytes");
  REQUIRE(lag.IsKnown());
  REQUIRE_FALSE(lag.IsNull());
  CHECK(lag.AsNumber().ToDouble() >= 0);
  // The source agrees on the order of magnitude: nothing big is pending.
  CHECK(lag.AsNumber().ToDouble() < 16.0 * 1024 * 1024);

  // More writes (the lag moves) still plan no change.
  REQUIRE(s.source->Exec("INSERT INTO accounts (name) SELECT 'c' || g FROM generate_series(1, 2000) g;", kDb).ok());
  ResourcePlan third = tf.Plan(kType, config, created.state);
  TPD_REQUIRE_WALK_OK(third);
  CHECK(third.action == Action::kNoOp);

  // Import by "<source_url>|<target_url>|<slot_name>": the imported object names the same
  // replica, and the next apply only adds the passwords (an update, never a replacement).
  std::optional<StoredState> imported;
  {
    Harness h = StartProvider(LaunchFor(6));
    const schema::Type pt = h.client->schemas().provider.block.ImpliedType();
    REQUIRE_FALSE(h.client->ConfigureProvider(Value::Null(pt)).HasError());
    ImportResult im = h.client->ImportResourceState(kType, UrlOf(*s.source) + "|" + UrlOf(*s.target) + "|" + name);
    INFO(im.Describe());
    REQUIRE_FALSE(im.HasError());
    CHECK(im.core_errors.empty());
    REQUIRE(im.imported.size() == 1);
    const Value& is = im.imported[0].state;
    CHECK(Str(is, "slot_name") == name);
    CHECK(Str(is, "publication") == Str(st, "publication"));
    CHECK(Str(is, "subscription") == Str(st, "subscription"));
    CHECK(is.GetAttr("source").GetAttr("url") == config.GetAttr("source").GetAttr("url"));
    StateResult rd = h.client->ReadResource(kType, is, im.imported[0].private_data);
    INFO(rd.Describe());
    CHECK_FALSE(rd.HasError());  // without passwords the read can only warn; the state is kept
    CHECK(rd.core_errors.empty());
    REQUIRE_FALSE(rd.state.IsNull());
    auto json = schema::EncodeJson(rd.state, ReplicaSchema().block.ImpliedType());
    REQUIRE(json.ok());
    imported = StoredState{*json, ReplicaSchema().version, rd.private_data};
    h.process->Shutdown();
  }
  ApplyOutcome adopted = tf.Apply(kType, config, imported);
  TPD_REQUIRE_WALK_OK(adopted);
  CHECK(adopted.plan.action == Action::kUpdate);
  ResourcePlan settled = tf.Plan(kType, config, adopted.state);
  TPD_REQUIRE_WALK_OK(settled);
  CHECK(settled.action == Action::kNoOp);
  CHECK(Str(settled.prior, "status") == "streaming");
  CHECK(Str(settled.prior, "source_version").rfind("13.", 0) == 0);

  ApplyOutcome destroyed = tf.Apply(kType, Value(), settled.prior.IsNull() ? created.state : adopted.state);
  TPD_REQUIRE_WALK_OK(destroyed);
  CHECK_FALSE(destroyed.state.has_value());
  CHECK(LeftoversOnSource(*s.source, name) == 0);
  CHECK(SubscriptionsOnTarget(*s.target, name) == 0);
}

TEST_CASE("database_replica: a subscription dropped behind Terraform's back plans a replacement", "[acceptance]") {
  TPD_ACC_ONLY();
  Servers s = StartServers();
  REQUIRE(s.source->Exec("CREATE TABLE items (id int PRIMARY KEY, v text);"
                         "INSERT INTO items SELECT g, 'v' FROM generate_series(1, 100) g;",
                         kDb)
              .ok());
  Terraform tf = MakeTerraform(6);
  const Value config = ReplicaConfig(s, false);
  ApplyOutcome created = tf.Apply(kType, config, std::nullopt);
  TPD_REQUIRE_WALK_OK(created);
  const std::string name = Str(created.new_state, "slot_name");

  // Someone drops the subscription on the target (keeping the slot on the source).
  REQUIRE(s.target
              ->Exec("ALTER SUBSCRIPTION " + name + " DISABLE; ALTER SUBSCRIPTION " + name +
                         " SET (slot_name = NONE); DROP SUBSCRIPTION " + name + ";",
                     kDb)
              .ok());

  ResourcePlan plan = tf.Plan(kType, config, created.state);
  TPD_REQUIRE_WALK_OK(plan);
  CHECK(Str(plan.prior, "status") == "broken");
  CHECK(plan.action == Action::kReplace);
  bool slot_forces = false;
  for (const auto& p : plan.requires_replace) slot_forces |= p.ToString() == "slot_name";
  CHECK(slot_forces);
  // The warning carries the reason Read found (it names the subscription).
  CHECK(HasWarningMentioning(plan.diags, name));

  // Applying it brings the replica back, streaming again.
  ApplyOutcome replaced = tf.Apply(kType, config, created.state);
  TPD_REQUIRE_WALK_OK(replaced);
  CHECK(replaced.plan.action == Action::kReplace);
  CHECK(Str(replaced.new_state, "status") == "streaming");
  REQUIRE(s.source->Exec("INSERT INTO items VALUES (1000, 'after')", kDb).ok());
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT count(*) FROM items") == 101; }));
  ResourcePlan after = tf.Plan(kType, config, replaced.state);
  TPD_REQUIRE_WALK_OK(after);
  CHECK(after.action == Action::kNoOp);

  ApplyOutcome destroyed = tf.Apply(kType, Value(), replaced.state);
  TPD_REQUIRE_WALK_OK(destroyed);
  CHECK(LeftoversOnSource(*s.source, name) == 0);
  CHECK(SubscriptionsOnTarget(*s.target, name) == 0);
}

TEST_CASE("database_replica: a table without a primary key is warned about at plan and still replicates "
          "updates and deletes",
          "[acceptance]") {
  TPD_ACC_ONLY();
  Servers s = StartServers();
  REQUIRE(s.source->Exec("CREATE TABLE events (kind text, n int);"
                         "INSERT INTO events SELECT 'k' || (g % 5), g FROM generate_series(1, 50) g;"
                         "CREATE TABLE keyed (id int PRIMARY KEY);",
                         kDb)
              .ok());
  Terraform tf = MakeTerraform(6);
  const Value config = ReplicaConfig(s, false);

  ResourcePlan plan = tf.Plan(kType, config, std::nullopt);
  TPD_REQUIRE_WALK_OK(plan);
  CHECK(plan.action == Action::kCreate);
  CHECK(HasWarningMentioning(plan.diags, "public.events"));
  CHECK_FALSE(HasWarningMentioning(plan.diags, "public.keyed"));

  ApplyOutcome created = tf.Apply(kType, config, std::nullopt);
  TPD_REQUIRE_WALK_OK(created);
  CHECK(HasWarningMentioning(created.diags, "public.events"));
  CHECK(QueryInt(*s.source, "SELECT count(*) FROM pg_class WHERE relname = 'events' AND relreplident = 'f'") == 1);
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM events") == 50);

  REQUIRE(s.source->Exec("UPDATE events SET n = n + 1000 WHERE kind = 'k1'; DELETE FROM events WHERE kind = 'k2';"
                         "INSERT INTO events VALUES ('new', 1);",
                         kDb)
              .ok());
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT count(*) FROM events") == 41; }));
  CHECK(WaitFor([&] { return QueryInt(*s.target, "SELECT count(*) FROM events WHERE n > 1000") == 10; }));
  CHECK(QueryInt(*s.target, "SELECT count(*) FROM events WHERE kind = 'k2'") == 0);

  // The warning does not make the next plan a change.
  ResourcePlan again = tf.Plan(kType, config, created.state);
  TPD_REQUIRE_WALK_OK(again);
  CHECK(again.action == Action::kNoOp);

  ApplyOutcome destroyed = tf.Apply(kType, Value(), created.state);
  TPD_REQUIRE_WALK_OK(destroyed);
  CHECK(LeftoversOnSource(*s.source, Str(created.new_state, "slot_name")) == 0);
}

}  // namespace
}  // namespace tpd::acceptance::replica
