// Acceptance: resource "database_upgrade" driven through Terraform's walks (plan, apply with the
// apply-time re-plan, refresh) by the real provider process, against real PostgreSQL servers:
//   1. 13 -> 17 dump_restore (protocol 6 and 5): data, sequences, large object, table without PK,
//      active_url, the backup restores;                             [dump_restore]
//   2. 13 -> 17 replication with a writer running throughout apply;  [replication]
//   3. 13 -> 15 in_place, link mode, Debian binaries;               [in_place]
//   4. plan-only verdicts, downgrade, unreachable source, no-op at target;  [plan]
//   5. target killed mid-copy: clean failure, then success after restart;  [fault]
//   6. a second plan shows no change; another major shows an update (in 1);
//   plus: import by URL (in 4) and a create timeout that cancels cleanly.       [timeout]
// Servers come from tests/support (PgServer); each TEST_CASE starts its own.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "acceptance/acc_util.h"
#include "acceptance/client.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/server_control.h"
#include "resources/database_upgrade_schema.h"
#include "resources/provider_config.h"
#include "schema/codec.h"
#include "tests/support/pg_server.h"

namespace tpd::acceptance {
namespace {

namespace pg = engines::postgres;
using schema::Type;
using schema::Value;
using testsupport::PgServer;
using testsupport::PgServerOptions;

const char* const kType = "database_upgrade";

const schema::Block& UpgradeBlock() {
  static const schema::Schema kSchema = resources::DatabaseUpgradeSchemaV0();
  return kSchema.block;
}

std::unique_ptr<PgServer> StartPg(int major, bool logical = false, bool debian = false) {
  PgServerOptions o;
  o.major = major;
  o.debian = debian;
  o.password = "acc-Upgr4de-" + std::to_string(major) + (logical ? "-l" : "-r");
  if (logical) o.settings.push_back({"wal_level", "logical"});
  auto s = PgServer::Start(o);
  INFO("PostgreSQL " << major << ": " << s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s).value();
}

std::string UrlFor(const PgServer& s, const std::string& db) {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(s.port()) + "/" + db;
}

struct WorkDir {
  WorkDir() {
    char tmpl[] = "/tmp/tpd-acc-upgrade-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~WorkDir() {
    if (std::getenv("TPD_KEEP_PG") != nullptr) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

Terraform MakeTerraform(int protocol, const std::string& work_dir) {
  TerraformOptions o;
  o.launch = LaunchFor(protocol);
  o.provider_config = ObjectOf(resources::ProviderSchema().block.ImpliedType(),
                               {{"work_dir", Value::String(work_dir)}, {"parallelism", Value::Int(2)}});
  return Terraform(std::move(o));
}

Value Nested(const std::string& name, std::map<std::string, Value> attrs) {
  return Value::Object(UpgradeBlock().FindBlock(name)->block.ImpliedType(), std::move(attrs));
}

struct Cfg {
  std::string target_version = "17";
  std::string strategy = "auto";
  std::optional<std::string> max_downtime;
  std::string source_url;
  std::string source_password;
  std::map<std::string, Value> source_extra;
  std::optional<std::string> target_url;
  std::string target_password;
  std::map<std::string, Value> target_extra;
  bool has_target_block = false;
  bool checksums = true;

  Value ToValue() const {
    std::map<std::string, Value> src = {{"url", Value::String(source_url)},
                                        {"password", Value::String(source_password)}};
    for (const auto& [k, v] : source_extra) src[k] = v;
    std::map<std::string, Value> attrs = {
        {"engine", Value::String("postgresql")},
        {"target_version", Value::String(target_version)},
        {"strategy", Value::String(strategy)},
        {"source", Nested("source", src)},
        {"verify", Nested("verify", {{"checksums", Value::Bool(checksums)}})},
    };
    if (max_downtime) attrs["max_downtime"] = Value::String(*max_downtime);
    if (target_url || has_target_block) {
      std::map<std::string, Value> tgt;
      if (target_url) {
        tgt["url"] = Value::String(*target_url);
        tgt["password"] = Value::String(target_password);
      }
      for (const auto& [k, v] : target_extra) tgt[k] = v;
      attrs["target"] = Nested("target", tgt);
    }
    return Value::Object(UpgradeBlock().ImpliedType(), std::move(attrs));
  }
};

// A configuration moving `src`'s database "app" into `dst`'s database `target_db` with `strategy`.
Cfg CfgBetween(const PgServer& src, const PgServer& dst, const std::string& strategy,
               const std::string& target_db = "app") {
  Cfg c;
  c.strategy = strategy;
  c.source_url = UrlFor(src, "app");
  c.source_password = src.password();
  c.target_url = UrlFor(dst, target_db);
  c.target_password = dst.password();
  return c;
}

std::string Str(const Value& state, const char* name) {
  const Value& v = state.GetAttr(name);
  if (!v.IsKnown() || v.IsNull()) return "";
  if (v.type().kind() == Type::Kind::kNumber) return v.AsNumber().ToString();
  return v.AsString();
}

std::vector<std::string> Lines(const Value& state, const char* name) {
  std::vector<std::string> out;
  const Value& v = state.GetAttr(name);
  if (!v.IsKnown() || v.IsNull()) return out;
  for (const auto& e : v.Elements()) out.push_back(e.AsString());
  return out;
}

std::string Q(const PgServer& s, const std::string& sql, const std::string& db) {
  auto r = s.Query(sql, db);
  INFO(sql << ": " << r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE_FALSE(r->rows.empty());
  return r->rows[0][0].value_or("NULL");
}

void Exec(const PgServer& s, const std::string& sql, const std::string& db = "postgres") {
  Status st = s.Exec(sql, db);
  INFO(sql << ": " << st.ToString());
  REQUIRE(st.ok());
}

// The application database of scenarios 1 and 5: a serial table, a table without a primary key, a
// table holding a large object.
void SeedApp(const PgServer& s, int rows) {
  Exec(s, "CREATE DATABASE app");
  Exec(s,
       "CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2), created timestamptz "
       "DEFAULT '2024-01-01 00:00:00+00');"
       "INSERT INTO accounts (name, balance) SELECT 'user ' || g, g * 1.5 FROM generate_series(1, " +
           std::to_string(rows) +
           ") g;"
           "CREATE TABLE events (at int, what text);"
           "INSERT INTO events SELECT g, md5(g::text) FROM generate_series(1, 500) g;"
           "CREATE TABLE docs (id int PRIMARY KEY, body oid);"
           "INSERT INTO docs VALUES (1, lo_from_bytea(0, '\\x48656c6c6f2c206c6f21'::bytea));",
       "app");
}

// Counts and content digests of the app tables, as text, for comparing two servers.
std::string Fingerprint(const PgServer& s, const std::string& db) {
  return Q(s,
           "SELECT (SELECT count(*) FROM accounts) || '/' || (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM "
           "accounts a) || '/' || (SELECT count(*) FROM events) || '/' || (SELECT md5(string_agg(e::text, ',' ORDER BY "
           "at)) FROM events e) || '/' || (SELECT count(*) FROM docs) || '/' || (SELECT encode(lo_get(body), 'escape') "
           "FROM docs WHERE id = 1)",
           db);
}

void Unfreeze(const PgServer& s) {
  Exec(s, "ALTER SYSTEM RESET default_transaction_read_only");
  Exec(s, "SELECT pg_reload_conf()");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

int64_t CountReplicationObjects(const PgServer& s, const std::string& db) {
  return std::stoll(Q(s,
                      "SELECT (SELECT count(*) FROM pg_replication_slots) + (SELECT count(*) FROM pg_publication)",
                      db));
}

// --- 1 + 6 ---------------------------------------------------------------------------------------

TEST_CASE("database_upgrade: dump_restore 13 -> 17 moves the data whole, then plans no change",
          "[acceptance][dump_restore]") {
  TPD_ACC_ONLY();
  auto src = StartPg(13);
  auto dst = StartPg(17);
  SeedApp(*src, 20000);
  const std::string before = Fingerprint(*src, "app");

  for (int protocol : {6, 5}) {
    INFO("protocol " << protocol);
    WorkDir work;
    const std::string db = "app_p" + std::to_string(protocol);
    Unfreeze(*src);
    Cfg c = CfgBetween(*src, *dst, "dump_restore", db);
    Terraform tf = MakeTerraform(protocol, work.path);

    ApplyOutcome a = tf.Apply(kType, c.ToValue(), std::nullopt);
    INFO(a.Describe());
    REQUIRE_FALSE(a.HasError());
    REQUIRE(a.core_errors.empty());
    REQUIRE(a.state.has_value());
    CHECK(a.plan.action == Action::kCreate);
    CHECK(Str(a.plan.planned, "planned_strategy") == "dump_restore");
    CHECK(Str(a.new_state, "current_version").rfind("13.", 0) == 0);
    CHECK(Str(a.new_state, "active_url").find(":" + std::to_string(dst->port()) + "/" + db) != std::string::npos);
    CHECK(Str(a.new_state, "active_url").find(dst->password()) == std::string::npos);
    CHECK_FALSE(Str(a.new_state, "completed_at").empty());
    CHECK_FALSE(Str(a.new_state, "verification").empty());

    // Data identical, sequences continue, large object and the table without a key survived.
    CHECK(Fingerprint(*dst, db) == before);
    CHECK(Q(*dst, "INSERT INTO accounts (name) VALUES ('after') RETURNING id", db) == "20001");
    // The source stays read-only after the switch.
    CHECK_FALSE(src->Exec("INSERT INTO events VALUES (0, 'late')", "app").ok());

    // The backup restores into an empty database.
    const std::string backup = Str(a.new_state, "backup_path");
    REQUIRE_FALSE(backup.empty());
    CHECK(std::filesystem::exists(backup));
    const std::string restored = "restored_p" + std::to_string(protocol);
    Exec(*dst, "CREATE DATABASE " + restored);
    const std::string cmd = "PGPASSWORD='" + dst->password() + "' /usr/lib/postgresql/15/bin/pg_restore -h 127.0.0.1 -p " +
                            std::to_string(dst->port()) + " -U postgres -d " + restored + " '" + backup +
                            "' > /dev/null 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
    CHECK(Fingerprint(*dst, restored) == before);

    // 6: a second plan right after apply shows no changes.
    ResourcePlan again = tf.Plan(kType, c.ToValue(), a.state);
    INFO(again.Describe());
    CHECK_FALSE(again.HasError());
    CHECK(again.action == Action::kNoOp);
    CHECK(Str(again.prior, "current_version").rfind("17.", 0) == 0);

    // 6: pointing the resource at a server of another major (13) shows an update.
    Cfg other = c;
    other.source_url = UrlFor(*src, "postgres");
    Unfreeze(*src);
    ResourcePlan moved = tf.Plan(kType, other.ToValue(), a.state);
    INFO(moved.Describe());
    CHECK_FALSE(moved.HasError());
    CHECK(moved.action == Action::kUpdate);
    CHECK(Str(moved.planned, "current_version").rfind("13.", 0) == 0);
    CHECK(Str(moved.planned, "planned_strategy") == "dump_restore");

    // 6: drift: the active server is now one of another major (here: the state's active_url is
    // swapped for the 13 server). Refresh reads 13.x and the unchanged configuration plans an update.
    Result<Value> stored = schema::DecodeJson(a.state->attributes_json, UpgradeBlock().ImpliedType());
    REQUIRE(stored.ok());
    StoredState drifted = *a.state;
    Result<std::string> json = schema::EncodeJson(
        stored->WithAttr("active_url", Value::String(UrlFor(*src, "app"))), UpgradeBlock().ImpliedType());
    REQUIRE(json.ok());
    drifted.attributes_json = *json;
    ResourcePlan drift = tf.Plan(kType, c.ToValue(), drifted);
    INFO(drift.Describe());
    CHECK_FALSE(drift.HasError());
    CHECK(Str(drift.prior, "current_version").rfind("13.", 0) == 0);
    CHECK(drift.action == Action::kUpdate);
  }
}

// --- 2 -------------------------------------------------------------------------------------------

TEST_CASE("database_upgrade: replication 13 -> 17 keeps every acknowledged write of a running writer",
          "[acceptance][replication]") {
  TPD_ACC_ONLY();
  auto src = StartPg(13, /*logical=*/true);
  auto dst = StartPg(17);
  Exec(*dst, "CREATE DATABASE app");
  Exec(*src, "CREATE DATABASE app");
  Exec(*src,
       "CREATE TABLE orders (id bigint PRIMARY KEY, note text);"
       "INSERT INTO orders SELECT g, 'seed' FROM generate_series(1, 5000) g;"
       "CREATE TABLE tags (id serial PRIMARY KEY, tag text); INSERT INTO tags (tag) SELECT 't' || g FROM "
       "generate_series(1, 100) g;",
       "app");

  // The writer: one insert at a time, remembering what the server acknowledged and what failed.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<int64_t> acked;
  std::vector<std::string> failures;
  std::thread writer([&] {
    int64_t next = 100000;
    std::unique_ptr<pg::Connection> conn;
    while (!stop.load()) {
      if (!conn) {
        auto c = pg::Connection::Connect(src->conninfo("app"));
        if (!c.ok()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        conn = std::move(c).value();
      }
      const int64_t id = next++;
      Status st = conn->Exec("INSERT INTO orders VALUES (" + std::to_string(id) + ", 'live')");
      {
        std::lock_guard<std::mutex> lock(mu);
        if (st.ok()) {
          acked.push_back(id);
        } else {
          failures.push_back(st.message());
        }
      }
      if (!st.ok()) conn.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  WorkDir work;
  Cfg c = CfgBetween(*src, *dst, "replication");
  c.checksums = false;
  Terraform tf = MakeTerraform(6, work.path);
  ApplyOutcome a = tf.Apply(kType, c.ToValue(), std::nullopt);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop.store(true);
  writer.join();

  INFO(a.Describe());
  REQUIRE_FALSE(a.HasError());
  REQUIRE(a.core_errors.empty());
  REQUIRE(a.state.has_value());
  CHECK(Str(a.new_state, "planned_strategy") == "replication");
  const std::string downtime = Str(a.new_state, "measured_downtime_seconds");
  INFO("measured_downtime_seconds " << downtime);
  CHECK(std::stod(downtime) > 0);
  CHECK(std::stod(downtime) < 60);

  // Every acknowledged insert is on the target.
  auto r = dst->Query("SELECT id FROM orders WHERE id >= 100000", "app");
  REQUIRE(r.ok());
  std::set<int64_t> on_target;
  for (const auto& row : r->rows) on_target.insert(std::stoll(*row[0]));
  std::lock_guard<std::mutex> lock(mu);
  INFO("acknowledged " << acked.size() << ", failed " << failures.size());
  REQUIRE_FALSE(acked.empty());
  size_t missing = 0;
  for (int64_t id : acked) missing += on_target.count(id) == 0 ? 1 : 0;
  CHECK(missing == 0);
  // Inserts during the freeze failed loudly (read-only transaction or a terminated session).
  REQUIRE_FALSE(failures.empty());
  bool read_only = false;
  for (const auto& f : failures) read_only = read_only || f.find("read-only") != std::string::npos;
  CHECK(read_only);
  // Nothing of the replication is left on the source; sequences continue on the target.
  CHECK(CountReplicationObjects(*src, "app") == 0);
  CHECK(Q(*dst, "INSERT INTO tags (tag) VALUES ('x') RETURNING id", "app") == "101");
}

// --- 3 -------------------------------------------------------------------------------------------

TEST_CASE("database_upgrade: in_place 13 -> 15 with pg_upgrade --link keeps data and port",
          "[acceptance][in_place]") {
  TPD_ACC_ONLY();
  if (!PgServer::Available(13, true) || !PgServer::Available(15, true)) {
    WARN("skipped: Debian PostgreSQL 13 and 15 binaries are not installed");
    return;
  }
  auto src = StartPg(13, false, /*debian=*/true);
  Exec(*src, "CREATE DATABASE app");
  Exec(*src,
       "CREATE TABLE t (id serial PRIMARY KEY, v text); INSERT INTO t (v) SELECT md5(g::text) FROM "
       "generate_series(1, 3000) g;",
       "app");
  const std::string before = Q(*src, "SELECT count(*) || '/' || md5(string_agg(t::text, ',' ORDER BY id)) FROM t", "app");
  const std::string new_data = src->base_dir() + "/data15";

  WorkDir work;
  Cfg c;
  c.target_version = "15";
  c.strategy = "in_place";
  c.source_url = UrlFor(*src, "app");
  c.source_password = src->password();
  c.source_extra = {{"data_dir", Value::String(src->data_dir())}, {"bin_dir", Value::String(src->bin_dir())}};
  c.has_target_block = true;
  c.target_extra = {{"data_dir", Value::String(new_data)},
                    {"bin_dir", Value::String("/usr/lib/postgresql/15/bin")},
                    {"upgrade_mode", Value::String("link")}};
  c.checksums = false;
  Terraform tf = MakeTerraform(6, work.path);
  ApplyOutcome a = tf.Apply(kType, c.ToValue(), std::nullopt);

  // Whatever happened, stop the new cluster at the end (PgServer only knows the old one).
  struct StopNew {
    std::string dir;
    ~StopNew() {
      pg::ServerControlOptions o;
      o.data_dir = dir;
      o.bin_dir = "/usr/lib/postgresql/15/bin";
      (void)pg::StopServer(o);
    }
  } stop_new{new_data};

  INFO(a.Describe());
  REQUIRE_FALSE(a.HasError());
  REQUIRE(a.core_errors.empty());
  CHECK(Str(a.new_state, "planned_strategy") == "in_place");
  CHECK(Str(a.new_state, "active_url").find(":" + std::to_string(src->port()) + "/app") != std::string::npos);
  CHECK(Q(*src, "SHOW server_version_num", "app").rfind("15", 0) == 0);
  CHECK(Q(*src, "SELECT count(*) || '/' || md5(string_agg(t::text, ',' ORDER BY id)) FROM t", "app") == before);
  CHECK(std::filesystem::exists(new_data + "/PG_VERSION"));
  // pg_upgrade --link disables the old cluster (global/pg_control renamed) so it cannot start again.
  CHECK(std::filesystem::exists(src->data_dir() + "/global/pg_control.old"));
  CHECK_FALSE(std::filesystem::exists(src->data_dir() + "/global/pg_control"));

  ResourcePlan again = tf.Plan(kType, c.ToValue(), a.state);
  INFO(again.Describe());
  CHECK(again.action == Action::kNoOp);
}

// --- 4 -------------------------------------------------------------------------------------------

TEST_CASE("database_upgrade: plan shows the decision and refuses what cannot run", "[acceptance][plan]") {
  TPD_ACC_ONLY();
  auto src = StartPg(13, /*logical=*/true);
  auto dst = StartPg(17);
  Exec(*src, "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY)");
  WorkDir work;
  Terraform tf = MakeTerraform(6, work.path);
  Cfg base;
  base.source_url = UrlFor(*src, "postgres");
  base.source_password = src->password();

  SECTION("auto with a target server chooses replication and explains every verdict") {
    Cfg c = base;
    c.target_url = UrlFor(*dst, "postgres");
    c.target_password = dst->password();
    ResourcePlan p = tf.Plan(kType, c.ToValue(), std::nullopt);
    INFO(p.Describe());
    REQUIRE_FALSE(p.HasError());
    CHECK(p.core_errors.empty());
    CHECK(p.action == Action::kCreate);
    CHECK(Str(p.planned, "planned_strategy") == "replication");
    CHECK(Str(p.planned, "current_version").rfind("13.", 0) == 0);
    std::vector<std::string> d = Lines(p.planned, "decision");
    REQUIRE(d.size() == 3);
    CHECK(d[0].rfind("replication: chosen", 0) == 0);
    CHECK(Lines(p.planned, "upgrade_path").size() == 2);
    CHECK_FALSE(p.planned.GetAttr("active_url").IsKnown());
    bool in_place_rejected = false;
    for (const auto& l : d) in_place_rejected = in_place_rejected || l.rfind("in_place: rejected", 0) == 0;
    CHECK(in_place_rejected);

    SECTION("a max_downtime nothing meets fails on max_downtime naming the fastest") {
      Cfg m = c;
      m.max_downtime = "5s";
      ResourcePlan q = tf.Plan(kType, m.ToValue(), std::nullopt);
      REQUIRE(q.HasError());
      const schema::Diagnostic* e = nullptr;
      for (const auto& x : q.diags.items()) {
        if (x.severity == schema::Diagnostic::Severity::kError) e = &x;
      }
      REQUIRE(e != nullptr);
      REQUIRE(e->attribute.has_value());
      CHECK(e->attribute->ToString() == "max_downtime");
      CHECK(e->detail.find("replication") != std::string::npos);
    }
  }
  SECTION("auto without a target server has no feasible strategy and says why") {
    ResourcePlan p = tf.Plan(kType, base.ToValue(), std::nullopt);
    REQUIRE(p.HasError());
    std::string all = p.Describe();
    CHECK(all.find("dump_restore: rejected") != std::string::npos);
    CHECK(all.find("in_place: rejected") != std::string::npos);
  }
  SECTION("a downgrade is refused on target_version") {
    Cfg c = base;
    c.target_version = "12";
    c.target_url = UrlFor(*dst, "postgres");
    c.target_password = dst->password();
    ResourcePlan p = tf.Plan(kType, c.ToValue(), std::nullopt);
    REQUIRE(p.HasError());
    REQUIRE(p.diags.items().front().attribute.has_value());
    CHECK(p.diags.items().front().attribute->ToString() == "target_version");
    CHECK(p.Describe().find("backup") != std::string::npos);
  }
  SECTION("an unreachable source is an error on source.url, with no secret in it") {
    Cfg c = base;
    c.source_url = "postgresql://postgres@127.0.0.1:" + std::to_string(testsupport::PickFreePort()) + "/postgres";
    ResourcePlan p = tf.Plan(kType, c.ToValue(), std::nullopt);
    REQUIRE(p.HasError());
    REQUIRE(p.diags.items().front().attribute.has_value());
    CHECK(p.diags.items().front().attribute->ToString() == "source.url");
    CHECK(p.Describe().find(src->password()) == std::string::npos);
  }
  SECTION("a wrong password is an error on source.password") {
    Cfg c = base;
    c.source_password = "not-the-password";
    ResourcePlan p = tf.Plan(kType, c.ToValue(), std::nullopt);
    REQUIRE(p.HasError());
    REQUIRE(p.diags.items().front().attribute.has_value());
    CHECK(p.diags.items().front().attribute->ToString() == "source.password");
    CHECK(p.Describe().find("not-the-password") == std::string::npos);
  }
  SECTION("import by URL records the server and its live major version") {
    LaunchOptions o = LaunchFor(6);
    o.extra_env = {{"PGPASSWORD", src->password()}};
    Harness h = StartProvider(o);
    const Type pt = h.client->schemas().provider.block.ImpliedType();
    REQUIRE_FALSE(h.client->ConfigureProvider(ObjectOf(pt, {{"work_dir", Value::String(work.path)}})).HasError());
    ImportResult imp = h.client->ImportResourceState(kType, UrlFor(*src, "postgres"));
    INFO(imp.Describe());
    REQUIRE_FALSE(imp.HasError());
    CHECK(imp.core_errors.empty());
    REQUIRE(imp.imported.size() == 1);
    const Value& st = imp.imported[0].state;
    CHECK(Str(st, "engine") == "postgresql");
    CHECK(Str(st, "target_version") == "13");
    CHECK(Str(st, "current_version").rfind("13.", 0) == 0);
    CHECK(st.GetAttr("source").GetAttr("url").AsString().find(":" + std::to_string(src->port()) + "/postgres") !=
          std::string::npos);
    StateResult read = h.client->ReadResource(kType, st, imp.imported[0].private_data);
    INFO(read.Describe());
    CHECK_FALSE(read.HasError());
    CHECK(Str(read.state, "current_version") == Str(st, "current_version"));
  }
  SECTION("a server already at the target: planned none, apply is a no-op") {
    Cfg c;
    c.source_url = UrlFor(*dst, "postgres");
    c.source_password = dst->password();
    ApplyOutcome a = tf.Apply(kType, c.ToValue(), std::nullopt);
    INFO(a.Describe());
    REQUIRE_FALSE(a.HasError());
    CHECK(a.core_errors.empty());
    CHECK(Str(a.new_state, "planned_strategy") == "none");
    CHECK(Lines(a.new_state, "decision").front().rfind("nothing to do", 0) == 0);
    REQUIRE(a.state.has_value());
    // Nothing touched: the server still takes writes, no run directory was made.
    CHECK(dst->Exec("CREATE TABLE IF NOT EXISTS noop_check (id int)").ok());
    CHECK_FALSE(std::filesystem::exists(work.path + "/runs"));
    ResourcePlan again = tf.Plan(kType, c.ToValue(), a.state);
    INFO(again.Describe());
    CHECK(again.action == Action::kNoOp);
  }
}

// --- 5 -------------------------------------------------------------------------------------------

TEST_CASE("database_upgrade: target killed mid-copy fails cleanly, then apply succeeds after restart",
          "[acceptance][fault]") {
  TPD_ACC_ONLY();
  auto src = StartPg(13);
  auto dst = StartPg(17);
  SeedApp(*src, 400000);
  const std::string before = Fingerprint(*src, "app");
  WorkDir work;
  Cfg c = CfgBetween(*src, *dst, "dump_restore");
  c.checksums = false;
  Terraform tf = MakeTerraform(6, work.path);

  // Kill the target as soon as a COPY into it runs.
  std::atomic<bool> done{false};
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    while (!done.load() && !killed.load()) {
      auto r = dst->Query("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY %FROM STDIN%'");
      if (r.ok() && !r->rows.empty() && r->rows[0][0].value_or("0") != "0") {
        killed.store(dst->Kill().ok());
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  ApplyOutcome a = tf.Apply(kType, c.ToValue(), std::nullopt);
  done.store(true);
  killer.join();
  REQUIRE(killed.load());

  INFO(a.Describe());
  REQUIRE(a.HasError());
  CHECK(a.core_errors.empty());
  CHECK_FALSE(a.state.has_value());
  CHECK(a.Describe().find("copy_data") != std::string::npos);
  CHECK(a.Describe().find(dst->password()) == std::string::npos);
  // The source takes writes again and holds nothing of ours.
  CHECK(src->Exec("INSERT INTO events VALUES (-1, 'after failure')", "app").ok());
  CHECK(CountReplicationObjects(*src, "app") == 0);
  Exec(*src, "DELETE FROM events WHERE at = -1", "app");

  // After restarting the target, the same apply succeeds.
  Status st = dst->Launch();
  INFO(st.ToString());
  REQUIRE(st.ok());
  ApplyOutcome b = tf.Apply(kType, c.ToValue(), std::nullopt);
  INFO(b.Describe());
  REQUIRE_FALSE(b.HasError());
  REQUIRE(b.state.has_value());
  CHECK(Fingerprint(*dst, "app") == before);
}

TEST_CASE("database_upgrade: a create timeout cancels the upgrade and leaves the source writable",
          "[acceptance][timeout]") {
  TPD_ACC_ONLY();
  auto src = StartPg(13);
  auto dst = StartPg(17);
  SeedApp(*src, 400000);
  WorkDir work;
  Cfg c = CfgBetween(*src, *dst, "dump_restore");
  c.checksums = true;
  // No backup: the deadline then falls while writes are frozen (freeze_writes .. copy_data), where
  // undoing needs connections although the stop flag is set.
  Value config = c.ToValue()
                     .WithAttr("timeouts", Nested("timeouts", {{"create", Value::String("1s")}}))
                     .WithAttr("backup", Nested("backup", {{"enabled", Value::Bool(false)}}));
  Terraform tf = MakeTerraform(6, work.path);
  const auto t0 = std::chrono::steady_clock::now();
  ApplyOutcome a = tf.Apply(kType, config, std::nullopt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(a.Describe());
  REQUIRE(a.HasError());
  CHECK(a.core_errors.empty());
  CHECK_FALSE(a.state.has_value());
  CHECK(a.Describe().find("timed out") != std::string::npos);
  CHECK(seconds < 60);
  CHECK(a.Describe().find("undo of") == std::string::npos);
  CHECK(src->Exec("INSERT INTO events VALUES (-2, 'after timeout')", "app").ok());
  CHECK(CountReplicationObjects(*src, "app") == 0);
}

}  // namespace
}  // namespace tpd::acceptance
