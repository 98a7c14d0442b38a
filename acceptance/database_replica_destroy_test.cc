// Acceptance: destroying a database_replica leaves no slot, publication or subscription behind
// (issue 5, scenario 4), also when the target server is already stopped.
#include <string>

#include <catch2/catch.hpp>

#include "acceptance/database_replica_fixture.h"

namespace tpd::acceptance::replica {
namespace {

TEST_CASE("database_replica: destroy leaves no slot, publication or subscription, also with the target stopped",
          "[acceptance]") {
  TPD_ACC_ONLY();
  Servers s = StartServers();
  REQUIRE(s.source->Exec("CREATE TABLE t (id int PRIMARY KEY, v text);"
                         "INSERT INTO t SELECT g, 'x' FROM generate_series(1, 200) g;",
                         kDb)
              .ok());
  Terraform tf = MakeTerraform(6);
  const Value config = ReplicaConfig(s, false);

  SECTION("both servers up") {
    ApplyOutcome created = tf.Apply(kType, config, std::nullopt);
    TPD_REQUIRE_WALK_OK(created);
    const std::string name = Str(created.new_state, "slot_name");
    REQUIRE(LeftoversOnSource(*s.source, name) == 2);  // slot + publication
    REQUIRE(SubscriptionsOnTarget(*s.target, name) == 1);

    ApplyOutcome destroyed = tf.Apply(kType, Value(), created.state);
    TPD_REQUIRE_WALK_OK(destroyed);
    CHECK(destroyed.plan.action == Action::kDelete);
    CHECK_FALSE(destroyed.state.has_value());
    CHECK(LeftoversOnSource(*s.source, name) == 0);
    CHECK(SubscriptionsOnTarget(*s.target, name) == 0);
    // No slot of any kind (table-sync slots included) is left holding WAL.
    CHECK(QueryInt(*s.source, "SELECT count(*) FROM pg_replication_slots") == 0);
    // The target keeps the data it had.
    CHECK(QueryInt(*s.target, "SELECT count(*) FROM t") == 200);
  }

  SECTION("target stopped before destroy") {
    ApplyOutcome created = tf.Apply(kType, config, std::nullopt);
    TPD_REQUIRE_WALK_OK(created);
    const std::string name = Str(created.new_state, "slot_name");
    REQUIRE(LeftoversOnSource(*s.source, name) == 2);

    REQUIRE(s.target->Stop().ok());
    ApplyOutcome destroyed = tf.Apply(kType, Value(), created.state);
    TPD_REQUIRE_WALK_OK(destroyed);
    CHECK_FALSE(destroyed.state.has_value());
    CHECK(LeftoversOnSource(*s.source, name) == 0);
    CHECK(QueryInt(*s.source, "SELECT count(*) FROM pg_replication_slots") == 0);
    // Terraform is told that the subscription could not be dropped on the stopped target.
    bool warned = false;
    for (const auto& d : destroyed.diags.items()) {
      warned |= d.severity == schema::Diagnostic::Severity::kWarning;
    }
    CHECK(warned);
  }
}

}  // namespace
}  // namespace tpd::acceptance::replica
