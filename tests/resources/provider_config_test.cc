#include "resources/provider_config.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "schema_walk.h"

namespace tpd::resources {
namespace {

using schema::Type;
using schema::Value;

// Sets an environment variable for one scope and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

Value Config(std::map<std::string, Value> attrs) { return testing::ConfigOf(ProviderSchema().block, std::move(attrs)); }

int Cpus() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : (n > 64 ? 64 : static_cast<int>(n));
}

TEST_CASE("ProviderSchema: valid, described, with the three optional attributes", "[resources]") {
  const schema::Schema& s = ProviderSchema();
  REQUIRE(s.block.Validate().ok());
  std::vector<std::string> undescribed;
  testing::UndescribedPaths(s.block, "", &undescribed);
  CHECK(undescribed.empty());
  for (const char* name : {"work_dir", "parallelism", "tool_paths"}) {
    const schema::Attribute* a = s.block.FindAttribute(name);
    REQUIRE(a != nullptr);
    CHECK(a->optional);
    CHECK_FALSE(a->required);
    CHECK_FALSE(a->computed);
    CHECK_FALSE(a->validators.empty());
    CHECK(a->description.find("Default") != std::string::npos);
  }
  CHECK(s.block.FindAttribute("parallelism")->type == Type::Number());
  CHECK(s.block.FindAttribute("tool_paths")->type == Type::List(Type::String()));
  CHECK(s.block.attributes.size() == 3);
}

TEST_CASE("ParseProviderOptions: fills defaults when the block is empty or null", "[resources]") {
  ScopedEnv xdg("XDG_STATE_HOME", "/state");
  for (const Value& config : {Config({}), Value::Null(ProviderSchema().block.ImpliedType()),
                              Value::Unknown(ProviderSchema().block.ImpliedType())}) {
    Result<ProviderOptions> o = ParseProviderOptions(config);
    REQUIRE(o.ok());
    CHECK(o->work_dir == "/state/terraform-provider-database");
    CHECK(o->parallelism == Cpus());
    CHECK(o->tool_paths.empty());
  }
}

TEST_CASE("ParseProviderOptions: unknown attributes take their defaults", "[resources]") {
  ScopedEnv xdg("XDG_STATE_HOME", "/state");
  Result<ProviderOptions> o =
      ParseProviderOptions(Config({{"work_dir", Value::Unknown(Type::String())},
                                   {"parallelism", Value::Unknown(Type::Number())},
                                   {"tool_paths", Value::Unknown(Type::List(Type::String()))}}));
  REQUIRE(o.ok());
  CHECK(o->work_dir == "/state/terraform-provider-database");
  CHECK(o->parallelism == Cpus());
  CHECK(o->tool_paths.empty());
}

TEST_CASE("DefaultWorkDir: uses XDG_STATE_HOME, then HOME", "[resources]") {
  SECTION("xdg") {
    ScopedEnv xdg("XDG_STATE_HOME", "/x/state/");
    CHECK(DefaultWorkDir() == "/x/state/terraform-provider-database");
  }
  SECTION("home") {
    ScopedEnv xdg("XDG_STATE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/u");
    CHECK(DefaultWorkDir() == "/home/u/.local/state/terraform-provider-database");
  }
  SECTION("relative XDG_STATE_HOME is ignored (XDG spec)") {
    ScopedEnv xdg("XDG_STATE_HOME", "rel");
    ScopedEnv home("HOME", "/home/u");
    CHECK(DefaultWorkDir() == "/home/u/.local/state/terraform-provider-database");
  }
  SECTION("neither") {
    ScopedEnv xdg("XDG_STATE_HOME", nullptr);
    ScopedEnv home("HOME", nullptr);
    CHECK(DefaultWorkDir().rfind("/tmp/terraform-provider-database-", 0) == 0);
  }
}

TEST_CASE("ParseProviderOptions: takes configured values", "[resources]") {
  Result<ProviderOptions> o =
      ParseProviderOptions(Config({{"work_dir", Value::String("/srv/tf-db/")},
                                   {"parallelism", Value::Int(8)},
                                   {"tool_paths", Value::StringList({"/usr/lib/postgresql/17/bin/", "/opt/pg/bin"})}}));
  REQUIRE(o.ok());
  CHECK(o->work_dir == "/srv/tf-db");
  CHECK(o->parallelism == 8);
  CHECK(o->tool_paths == std::vector<std::string>{"/usr/lib/postgresql/17/bin", "/opt/pg/bin"});
}

TEST_CASE("ParseProviderOptions: rejects invalid values with the attribute path", "[resources]") {
  SECTION("parallelism out of range") {
    for (int64_t bad : {0, 65, -1}) {
      Result<ProviderOptions> o = ParseProviderOptions(Config({{"parallelism", Value::Int(bad)}}));
      REQUIRE_FALSE(o.ok());
      CHECK(o.status().IsInvalidArgument());
      REQUIRE(o.status().path());
      CHECK(o.status().path()->ToString() == "parallelism");
      CHECK(o.status().message().find("1 to 64") != std::string::npos);
    }
  }
  SECTION("fractional parallelism") {
    Result<ProviderOptions> o =
        ParseProviderOptions(Config({{"parallelism", Value::Num(*schema::Number::FromString("2.5"))}}));
    CHECK_FALSE(o.ok());
  }
  SECTION("relative work_dir") {
    Result<ProviderOptions> o = ParseProviderOptions(Config({{"work_dir", Value::String("state")}}));
    REQUIRE_FALSE(o.ok());
    CHECK(o.status().path()->ToString() == "work_dir");
  }
  SECTION("relative tool path") {
    Result<ProviderOptions> o = ParseProviderOptions(Config({{"tool_paths", Value::StringList({"/ok", "bin"})}}));
    REQUIRE_FALSE(o.ok());
    CHECK(o.status().path()->ToString() == "tool_paths");
    CHECK(o.status().message().find("element 1") != std::string::npos);
  }
  SECTION("not an object") { CHECK_FALSE(ParseProviderOptions(Value::String("x")).ok()); }
}

TEST_CASE("ProviderSchema validators: report the attribute path like the framework", "[resources]") {
  auto errors = testing::Validate(ProviderSchema().block,
                                  Config({{"parallelism", Value::Int(100)}, {"work_dir", Value::String("/ok")}}));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path()->ToString() == "parallelism");
}

}  // namespace
}  // namespace tpd::resources
