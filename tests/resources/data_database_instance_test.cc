// database_instance without a server: schema, validation, and every error path that needs no
// running PostgreSQL (bad input must never reach the network).
#include "resources/data_database_instance.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "schema_walk.h"

namespace tpd::resources {
namespace {

using schema::Type;
using schema::Value;

constexpr char kSecret[] = "Tr0ub4dor&3-secret";

Value Config(const std::string& engine, const std::string& url, std::optional<std::string> password = kSecret) {
  std::map<std::string, Value> attrs = {{"engine", Value::String(engine)}, {"url", Value::String(url)}};
  if (password) attrs["password"] = Value::String(*password);
  return testing::ConfigOf(DatabaseInstanceSchema().block, std::move(attrs));
}

// A TCP listener on 127.0.0.1 that records whether anyone connected.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  bool Contacted() const {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c >= 0) {
      ::close(c);
      return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 with nothing listening (bound then closed).
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

schema::Diagnostics Read(const Value& config, Value* out = nullptr) {
  auto ds = NewDatabaseInstanceDataSource();
  ProviderOptions opts;
  StopToken stop;
  CallContext ctx{&opts, &stop};
  schema::Diagnostics diags;
  Value v = ds->Read(ctx, config, &diags);
  if (out) *out = v;
  return diags;
}

void RequireNoSecret(const schema::Diagnostics& diags) {
  for (const auto& d : diags.items()) {
    CHECK(d.summary.find(kSecret) == std::string::npos);
    CHECK(d.detail.find(kSecret) == std::string::npos);
  }
}

TEST_CASE("DatabaseInstance: schema is valid, described, with a sensitive password", "[resources]") {
  auto ds = NewDatabaseInstanceDataSource();
  CHECK(ds->TypeName() == "database_instance");
  const schema::Block& b = ds->GetSchema().block;
  Status v = b.Validate();
  INFO(v.ToString());
  CHECK(v.ok());
  std::vector<std::string> undescribed;
  testing::UndescribedPaths(b, "", &undescribed);
  CHECK(undescribed.empty());
  CHECK(b.FindAttribute("engine")->required);
  CHECK(b.FindAttribute("url")->required);
  CHECK(b.FindAttribute("password")->optional);
  CHECK(b.FindAttribute("password")->sensitive);
  for (const char* n : {"id", "version", "major_version", "size_bytes", "database_size_bytes", "wal_level",
                        "tables_without_primary_key", "extensions", "replication_ready", "replication_blockers",
                        "data_directory", "in_place_ready", "in_place_blockers"}) {
    INFO(n);
    REQUIRE(b.FindAttribute(n) != nullptr);
    CHECK(b.FindAttribute(n)->computed);
    CHECK_FALSE(b.FindAttribute(n)->optional);
  }
  CHECK(b.FindAttribute("extensions")->type == Type::Map(Type::String()));
  CHECK(b.FindAttribute("tables_without_primary_key")->type == Type::List(Type::String()));
}

TEST_CASE("DatabaseInstance: unknown engine is an error on engine and contacts nothing", "[resources]") {
  Listener l;
  Value out;
  schema::Diagnostics diags =
      Read(Config("oracle", "postgresql://postgres@127.0.0.1:" + std::to_string(l.port()) + "/postgres"), &out);
  REQUIRE(diags.HasError());
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].attribute->ToString() == "engine");
  CHECK(diags.items()[0].detail.find("\"postgresql\"") != std::string::npos);
  CHECK(out.IsNull());
  CHECK_FALSE(l.Contacted());
  RequireNoSecret(diags);
}

TEST_CASE("DatabaseInstance: a known but unsupported engine says which are supported", "[resources]") {
  Listener l;
  schema::Diagnostics diags = Read(Config("mysql", "mysql://root@127.0.0.1:" + std::to_string(l.port()) + "/app"));
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].attribute->ToString() == "engine");
  CHECK(diags.items()[0].detail.find("Supported: \"postgresql\"") != std::string::npos);
  CHECK_FALSE(l.Contacted());
}

TEST_CASE("DatabaseInstance: malformed URLs are errors on url naming the problem", "[resources]") {
  Listener l;
  const std::string port = std::to_string(l.port());
  struct Case {
    std::string url;
    std::string mentions;
  };
  const Case cases[] = {
      {"postgresql://postgres@127.0.0.1:54x/postgres", "port"},
      {"127.0.0.1:" + port, "scheme"},
      {"mysql://postgres@127.0.0.1:" + port + "/postgres", "postgresql://"},
      {"postgresql://postgres:" + std::string(kSecret) + "@127.0.0.1:99999/db", "port"},
      {"postgresql://postgres@127.0.0.1:" + port + "/postgres?nonsense_keyword=1", "nonsense_keyword"},
  };
  for (const Case& c : cases) {
    INFO(c.mentions);
    schema::Diagnostics diags = Read(Config("postgresql", c.url));
    REQUIRE(diags.HasError());
    const auto& d = diags.items().back();
    CHECK(d.attribute->ToString() == "url");
    CHECK((d.detail.find(c.mentions) != std::string::npos));
    RequireNoSecret(diags);
  }
  CHECK_FALSE(l.Contacted());
}

TEST_CASE("DatabaseInstance: an unreachable port is an error on url without the password", "[resources]") {
  const int port = ClosedPort();
  schema::Diagnostics diags =
      Read(Config("postgresql", "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres"));
  REQUIRE(diags.HasError());
  const auto& d = diags.items().back();
  CHECK(d.attribute->ToString() == "url");
  CHECK(d.summary == "Cannot reach the database server");
  CHECK(d.detail.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  RequireNoSecret(diags);
}

TEST_CASE("DatabaseInstance: a stopped provider cancels the read instead of waiting", "[resources]") {
  Listener l;  // accepts TCP but never answers: without cancellation the connect would hang
  auto ds = NewDatabaseInstanceDataSource();
  ProviderOptions opts;
  StopToken stop;
  stop.Stop();
  CallContext ctx{&opts, &stop};
  schema::Diagnostics diags;
  auto start = std::chrono::steady_clock::now();
  Value v = ds->Read(ctx, Config("postgresql", "postgresql://postgres@127.0.0.1:" + std::to_string(l.port()) + "/db"),
                     &diags);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  REQUIRE(diags.HasError());
  CHECK(diags.items().back().summary == "Operation cancelled");
  CHECK(v.IsNull());
  RequireNoSecret(diags);
}

TEST_CASE("DatabaseInstance: ValidateConfig checks engine and URL and skips unknowns", "[resources]") {
  auto ds = NewDatabaseInstanceDataSource();
  SECTION("valid") {
    schema::Diagnostics diags;
    ds->ValidateConfig(Config("postgresql", "postgresql://postgres@db:5432/postgres"), &diags);
    CHECK(diags.empty());
  }
  SECTION("unsupported engine") {
    schema::Diagnostics diags;
    ds->ValidateConfig(Config("redis", "redis://db:6379"), &diags);
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items()[0].attribute->ToString() == "engine");
  }
  SECTION("what attribute validators report is not repeated") {
    schema::Diagnostics diags;
    ds->ValidateConfig(Config("oracle", "postgresql://postgres@db:5432/postgres"), &diags);
    ds->ValidateConfig(Config("postgresql", "postgresql://postgres@db:54x/postgres"), &diags);
    CHECK(diags.empty());
    const schema::Block& b = ds->GetSchema().block;
    CHECK_FALSE(b.FindAttribute("engine")->validators.at(0)(Value::String("oracle")).ok());
    CHECK_FALSE(b.FindAttribute("url")->validators.at(0)(Value::String("postgresql://db:54x/x")).ok());
  }
  SECTION("a URL of another engine") {
    schema::Diagnostics diags;
    ds->ValidateConfig(Config("postgresql", "mysql://root@db/app"), &diags);
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items()[0].attribute->ToString() == "url");
  }
  SECTION("password in URL warns") {
    schema::Diagnostics diags;
    ds->ValidateConfig(Config("postgresql", "postgresql://postgres:" + std::string(kSecret) + "@db/postgres"), &diags);
    REQUIRE(diags.items().size() == 1);
    CHECK(diags.items()[0].severity == schema::Diagnostic::Severity::kWarning);
    RequireNoSecret(diags);
  }
  SECTION("unknowns") {
    schema::Diagnostics diags;
    ds->ValidateConfig(testing::ConfigOf(DatabaseInstanceSchema().block, {{"engine", Value::Unknown(Type::String())},
                                                                          {"url", Value::String("postgresql://db/x")}}),
                       &diags);
    ds->ValidateConfig(testing::ConfigOf(DatabaseInstanceSchema().block, {{"engine", Value::String("postgresql")},
                                                                          {"url", Value::Unknown(Type::String())}}),
                       &diags);
    CHECK(diags.empty());
  }
}

}  // namespace
}  // namespace tpd::resources
