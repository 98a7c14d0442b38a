#include "resources/database_upgrade_schema.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "schema_walk.h"

namespace tpd::resources {
namespace {

using schema::AttributePath;
using schema::Block;
using schema::Type;
using schema::Value;

const Block& Upgrade() {
  static const schema::Schema s = DatabaseUpgradeSchemaV0();
  return s.block;
}

Value Server(const Block& parent, const char* name, std::map<std::string, Value> attrs) {
  return Value::Object(parent.FindBlock(name)->block.ImpliedType(), std::move(attrs));
}

// A valid configuration; `overrides` replaces top-level attributes/blocks.
Value UpgradeConfig(std::map<std::string, Value> overrides = {}) {
  std::map<std::string, Value> attrs = {
      {"engine", Value::String("postgresql")},
      {"target_version", Value::String("17")},
      {"strategy", Value::String("auto")},
      {"source",
       Server(Upgrade(), "source",
              {{"url", Value::String("postgresql://postgres@db:5432/postgres")}, {"password", Value::String("pw")}})},
  };
  for (auto& [k, v] : overrides) attrs[k] = v;
  return testing::ConfigOf(Upgrade(), std::move(attrs));
}

std::vector<std::string> PathsOf(const std::vector<Status>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.path() ? e.path()->ToString() : "<none>");
  return out;
}

std::vector<std::string> PathsOf(const schema::Diagnostics& diags) {
  std::vector<std::string> out;
  for (const auto& d : diags.items()) out.push_back(d.attribute ? d.attribute->ToString() : "<none>");
  return out;
}

TEST_CASE("DatabaseUpgradeSchemaV0: is valid and every attribute and block is described", "[resources]") {
  schema::Schema s = DatabaseUpgradeSchemaV0();
  CHECK(s.version == kDatabaseUpgradeSchemaVersion);
  Status v = s.block.Validate();
  INFO(v.ToString());
  CHECK(v.ok());
  std::vector<std::string> undescribed;
  testing::UndescribedPaths(s.block, "", &undescribed);
  CHECK(undescribed == std::vector<std::string>{});
}

TEST_CASE("DatabaseUpgradeSchemaV0: has the SPEC's arguments, blocks and computed attributes", "[resources]") {
  const Block& b = Upgrade();
  const schema::Attribute* engine = b.FindAttribute("engine");
  REQUIRE(engine != nullptr);
  CHECK(engine->required);
  CHECK(engine->requires_replace);
  CHECK(b.FindAttribute("target_version")->required);
  const schema::Attribute* strategy = b.FindAttribute("strategy");
  CHECK(strategy->optional);
  CHECK(strategy->computed);
  REQUIRE(strategy->default_value);
  CHECK(*strategy->default_value == Value::String("auto"));
  CHECK(b.FindAttribute("max_downtime")->optional);

  struct Computed {
    const char* name;
    Type type;
  };
  const Computed computed[] = {
      {"id", Type::String()},
      {"current_version", Type::String()},
      {"planned_strategy", Type::String()},
      {"upgrade_path", Type::List(Type::String())},
      {"estimated_downtime_seconds", Type::Number()},
      {"decision", Type::List(Type::String())},
      {"data_size_bytes", Type::Number()},
      {"active_url", Type::String()},
      {"backup_path", Type::String()},
      {"measured_downtime_seconds", Type::Number()},
      {"verification", Type::String()},
      {"completed_at", Type::String()},
  };
  for (const auto& c : computed) {
    INFO(c.name);
    const schema::Attribute* a = b.FindAttribute(c.name);
    REQUIRE(a != nullptr);
    CHECK(a->computed);
    CHECK_FALSE(a->optional);
    CHECK(a->type == c.type);
  }

  const schema::NestedBlock* source = b.FindBlock("source");
  REQUIRE(source != nullptr);
  CHECK(source->nesting == schema::NestingMode::kSingle);
  CHECK(source->min_items == 1);
  CHECK(source->block.FindAttribute("url")->required);
  for (const char* n : {"target", "backup", "cutover", "verify", "timeouts"}) {
    INFO(n);
    REQUIRE(b.FindBlock(n) != nullptr);
    CHECK(b.FindBlock(n)->min_items == 0);
  }
  for (const char* n : {"data_dir", "bin_dir", "stop_command", "start_command"}) {
    CHECK(source->block.FindAttribute(n) != nullptr);
    CHECK(b.FindBlock("target")->block.FindAttribute(n) != nullptr);
  }
  const schema::Attribute* mode = b.FindBlock("target")->block.FindAttribute("upgrade_mode");
  REQUIRE(mode != nullptr);
  CHECK(*mode->default_value == Value::String("link"));
  CHECK(source->block.FindAttribute("upgrade_mode") == nullptr);
  CHECK(*b.FindBlock("backup")->block.FindAttribute("enabled")->default_value == Value::Bool(true));
  CHECK(*b.FindBlock("cutover")->block.FindAttribute("block_writes")->default_value == Value::Bool(true));
  CHECK(b.FindBlock("cutover")->block.FindAttribute("terminate_sessions") != nullptr);
  CHECK(*b.FindBlock("verify")->block.FindAttribute("row_counts")->default_value == Value::Bool(true));
  CHECK(*b.FindBlock("verify")->block.FindAttribute("checksums")->default_value == Value::Bool(false));
  CHECK(b.FindBlock("timeouts")->block.FindAttribute("create") != nullptr);
  CHECK(b.FindBlock("timeouts")->block.FindAttribute("update") != nullptr);
}

TEST_CASE("DatabaseUpgradeSchemaV0: passwords are sensitive and nothing else is", "[resources]") {
  const Block& b = Upgrade();
  for (const char* n : {"source", "target"}) {
    INFO(n);
    CHECK(b.FindBlock(n)->block.FindAttribute("password")->sensitive);
    CHECK_FALSE(b.FindBlock(n)->block.FindAttribute("url")->sensitive);
  }
  for (const auto& a : b.attributes) CHECK_FALSE(a.sensitive);
}

TEST_CASE("DatabaseUpgradeSchemaV0 validators: accept a valid configuration", "[resources]") {
  CHECK(testing::Validate(Upgrade(), UpgradeConfig()).empty());
  schema::Diagnostics diags;
  ValidateDatabaseUpgradeConfig(UpgradeConfig(), &diags);
  CHECK(diags.empty());
}

TEST_CASE("DatabaseUpgradeSchemaV0 validators: reject bad values at their attribute path", "[resources]") {
  SECTION("engine") {
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"engine", Value::String("oracle")}}))) ==
          std::vector<std::string>{"engine"});
  }
  SECTION("target_version") {
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"target_version", Value::String("latest")}}))) ==
          std::vector<std::string>{"target_version"});
  }
  SECTION("strategy") {
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"strategy", Value::String("magic")}}))) ==
          std::vector<std::string>{"strategy"});
  }
  SECTION("max_downtime") {
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"max_downtime", Value::String("5 minutes")}}))) ==
          std::vector<std::string>{"max_downtime"});
  }
  SECTION("source.url") {
    Value src = Server(Upgrade(), "source", {{"url", Value::String("db.example.com:5432")}});
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"source", src}}))) ==
          std::vector<std::string>{"source.url"});
  }
  SECTION("target.data_dir and upgrade_mode") {
    Value dst = Server(Upgrade(), "target",
                       {{"data_dir", Value::String("relative/dir")}, {"upgrade_mode", Value::String("hardlink")}});
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"target", dst}}))) ==
          std::vector<std::string>{"target.data_dir", "target.upgrade_mode"});
  }
  SECTION("timeouts.create") {
    Value t = Value::Object(Upgrade().FindBlock("timeouts")->block.ImpliedType(), {{"create", Value::String("0s")}});
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"timeouts", t}}))) ==
          std::vector<std::string>{"timeouts.create"});
  }
  SECTION("backup.dir") {
    Value bk = Value::Object(Upgrade().FindBlock("backup")->block.ImpliedType(), {{"dir", Value::String("bk")}});
    CHECK(PathsOf(testing::Validate(Upgrade(), UpgradeConfig({{"backup", bk}}))) ==
          std::vector<std::string>{"backup.dir"});
  }
}

TEST_CASE("ValidateDatabaseUpgradeConfig: checks versions and URLs for the engine", "[resources]") {
  SECTION("PostgreSQL version form") {
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"target_version", Value::String("17.2.1")}}), &diags);
    CHECK(PathsOf(diags) == std::vector<std::string>{"target_version"});
    CHECK(diags.HasError());
  }
  SECTION("attribute validator failures are not repeated") {
    Value src = Server(Upgrade(), "source", {{"url", Value::String("no-scheme")}});
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"target_version", Value::String("latest")}, {"source", src}}),
                                  &diags);
    CHECK(diags.empty());
  }
  SECTION("URL of another engine") {
    Value src = Server(Upgrade(), "source", {{"url", Value::String("mysql://root@db/app")}});
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"source", src}}), &diags);
    CHECK(PathsOf(diags) == std::vector<std::string>{"source.url"});
  }
  SECTION("password in URL warns without repeating it") {
    Value src = Server(Upgrade(), "source", {{"url", Value::String("postgresql://u:Hunter2Secret@db/app")}});
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"source", src}}), &diags);
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items()[0].severity == schema::Diagnostic::Severity::kWarning);
    CHECK(diags.items()[0].attribute->ToString() == "source.url");
    CHECK(diags.items()[0].detail.find("Hunter2Secret") == std::string::npos);
  }
  SECTION("unknown values are skipped") {
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"engine", Value::Unknown(Type::String())},
                                                 {"target_version", Value::String("17.2.1")},
                                                 {"strategy", Value::Unknown(Type::String())}}),
                                  &diags);
    CHECK(diags.empty());
    ValidateDatabaseUpgradeConfig(Value::Unknown(Upgrade().ImpliedType()), &diags);
    CHECK(diags.empty());
  }
}

TEST_CASE("ValidateDatabaseUpgradeConfig: explicit strategies need their attributes", "[resources]") {
  SECTION("in_place without dirs") {
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"strategy", Value::String("in_place")}}), &diags);
    CHECK(PathsOf(diags) == std::vector<std::string>{"source.data_dir", "target.data_dir", "target.bin_dir"});
  }
  SECTION("in_place with dirs") {
    Value src = Server(Upgrade(), "source",
                       {{"url", Value::String("postgresql://postgres@localhost/postgres")},
                        {"data_dir", Value::String("/var/lib/postgresql/13/main")}});
    Value dst = Server(Upgrade(), "target",
                       {{"data_dir", Value::String("/var/lib/postgresql/17/main")},
                        {"bin_dir", Value::String("/usr/lib/postgresql/17/bin")}});
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(
        UpgradeConfig({{"strategy", Value::String("in_place")}, {"source", src}, {"target", dst}}), &diags);
    CHECK(diags.empty());
  }
  SECTION("dump_restore without a target server") {
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"strategy", Value::String("dump_restore")}}), &diags);
    CHECK(PathsOf(diags) == std::vector<std::string>{"target.url"});
  }
  SECTION("replication with an unknown target url") {
    Value dst = Server(Upgrade(), "target", {{"url", Value::Unknown(Type::String())}});
    schema::Diagnostics diags;
    ValidateDatabaseUpgradeConfig(UpgradeConfig({{"strategy", Value::String("replication")}, {"target", dst}}), &diags);
    CHECK(diags.empty());
  }
}

}  // namespace
}  // namespace tpd::resources
