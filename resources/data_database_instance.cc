#include "resources/data_database_instance.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engines/postgres/connection.h"
#include "engines/postgres/conninfo.h"
#include "engines/postgres/probe.h"
#include "provider/log.h"
#include "resources/common_blocks.h"
#include "resources/diagnostics.h"
#include "resources/validators.h"

namespace tpd::resources {
namespace {

namespace pg = engines::postgres;
using schema::AttributePath;
using schema::Type;
using schema::Value;

constexpr char kTypeName[] = "database_instance";

const std::vector<std::string>& SupportedEngines() {
  static const std::vector<std::string> kSupported = {std::string(kEnginePostgresql)};
  return kSupported;
}

schema::Schema BuildSchema() {
  schema::Schema s;
  s.version = 0;
  schema::Block& b = s.block;
  b.description =
      "Probes a running database server: version, size, settings, and whether each upgrade strategy can run "
      "against it (with the reasons when not). Reading never changes the server.";

  b.attributes.push_back(
      IdAttr("Identifier of the probed database: \"host:port/database\" (for unix sockets, the socket directory "
             "instead of the host)."));

  schema::Attribute engine = RequiredAttr(
      "engine", Type::String(),
      "Database engine of the server. Supported by this data source: \"postgresql\". (Other engine names the "
      "provider knows, " +
          QuotedList(KnownEngines()) + ", are refused here until their probes exist.)");
  engine.validators = {EngineNameValidator()};
  b.attributes.push_back(std::move(engine));

  schema::Attribute url = RequiredAttr(
      "url", Type::String(),
      "Connection URL of the server without its password, e.g. "
      "\"postgresql://postgres@db.example.com:5432/postgres?sslmode=require\" (postgresql:// or postgres://; "
      "libpq URI syntax with its query parameters). Database-scoped outputs (tables_without_primary_key, "
      "extensions, database_size_bytes) are about the database named in the URL. Put the password in "
      "`password`: URLs are shown in plans.");
  url.validators = {UrlValidator()};
  b.attributes.push_back(std::move(url));

  schema::Attribute password = OptionalAttr(
      "password", Type::String(),
      "Password of the user named in `url`. Sensitive: never shown in plans, logs or error messages. Default: "
      "none (libpq's own sources apply: ~/.pgpass, PGPASSWORD).");
  password.sensitive = true;
  b.attributes.push_back(std::move(password));

  b.attributes.push_back(ComputedAttr(
      "version", Type::String(), "Full server version, e.g. \"13.23\" or \"17.2\" (first word of server_version)."));
  b.attributes.push_back(ComputedAttr(
      "major_version", Type::String(),
      "Major version: the first number from PostgreSQL 10 on (\"13\", \"17\"), the first two before (\"9.6\")."));
  b.attributes.push_back(ComputedAttr(
      "size_bytes", Type::Number(),
      "Size in bytes of all databases on the server that the user may connect to (templates excluded): roughly "
      "what an upgrade has to move."));
  b.attributes.push_back(
      ComputedAttr("database_size_bytes", Type::Number(), "Size in bytes of the database named in `url`."));
  b.attributes.push_back(
      ComputedAttr("wal_level", Type::String(),
                   "The server's wal_level: \"minimal\", \"replica\" or \"logical\" (logical replication needs "
                   "\"logical\")."));
  b.attributes.push_back(
      ComputedAttr("tables_without_primary_key", Type::List(Type::String()),
                   "Tables of the database in `url` that have no primary key, as \"schema.table\", sorted. Logical "
                   "replication cannot carry their updates and deletes unless they have REPLICA IDENTITY FULL."));
  b.attributes.push_back(ComputedAttr(
      "extensions", Type::Map(Type::String()),
      "Extensions installed in the database in `url`: a map from extension name to its installed version, "
      "e.g. { plpgsql = \"1.0\", postgis = \"3.4.2\" }. Each must also be available for the target version."));
  b.attributes.push_back(
      ComputedAttr("replication_ready", Type::Bool(),
                   "Whether logical replication from this server (database in `url`) can start as it is now; see "
                   "replication_blockers when false."));
  b.attributes.push_back(ComputedAttr(
      "replication_blockers", Type::List(Type::String()),
      "Why replication_ready is false, one reason per item, each saying what to change (e.g. set wal_level = "
      "logical and restart). Empty when ready."));
  b.attributes.push_back(ComputedAttr(
      "data_directory", Type::String(),
      "The server's data directory (e.g. \"/var/lib/postgresql/13/main\"); empty when the user may not read it "
      "(needs superuser or pg_read_all_settings)."));
  b.attributes.push_back(ComputedAttr(
      "in_place_ready", Type::Bool(),
      "Whether an in-place upgrade could run from this machine: the data directory is known and is on this "
      "machine (its PG_VERSION file matches the server's major version), and the server is not a standby. "
      "Tools and free space are checked by the upgrade itself."));
  b.attributes.push_back(
      ComputedAttr("in_place_blockers", Type::List(Type::String()),
                   "Why in_place_ready is false, one reason per item, each saying what to do. Empty when ready."));
  return s;
}

// Static checks shared by ValidateConfig and Read. With `attribute_checks` false (ValidateConfig:
// the framework has already run the attribute validators and reported their failures), values that
// fail an attribute validator are skipped silently instead of being reported twice. Returns false
// (after adding diagnostics) when the configuration must not be used to contact a server.
bool CheckInputs(const Value& config, bool attribute_checks, schema::Diagnostics* diags) {
  bool usable = true;
  std::optional<std::string> engine = KnownStringAt(config, {"engine"});
  if (engine) {
    AttributePath path = AttributePath::Root("engine");
    Status st = CheckEngineName(*engine);
    if (!st.ok()) {
      if (attribute_checks) diags->Add(UnknownEngine(st, path));
      usable = false;
    } else if (*engine != kEnginePostgresql) {
      diags->Add(UnsupportedEngine(*engine, "The database_instance data source", SupportedEngines(), path));
      usable = false;
    }
  }
  std::optional<std::string> url = KnownStringAt(config, {"url"});
  if (url) {
    AttributePath path = AttributePath::Root("url");
    Status syntax = CheckUrl(*url);
    if (!syntax.ok()) {
      if (attribute_checks) diags->Add(MalformedUrl(syntax, path));
      return false;
    }
    if (!usable) return false;
    Status st = engine ? CheckUrlForEngine(*engine, *url) : Status::Ok();
    if (!st.ok()) {
      diags->Add(MalformedUrl(st, path));
      return false;
    }
    if (UrlHasPassword(*url)) diags->Add(PasswordInUrl(path, "password"));
  }
  return usable;
}

ConnectionFailure Classify(const Status& st) {
  // engines/postgres/connection.h: Unavailable = no answer; InvalidArgument = credentials refused;
  // NotFound (database missing) and FailedPrecondition (too many connections, TLS) = other.
  if (st.IsUnavailable()) return ConnectionFailure::kUnreachable;
  if (st.IsInvalidArgument()) return ConnectionFailure::kAuthentication;
  return ConnectionFailure::kOther;
}

// The in-place verdict: local data directory of the right major, not a standby.
std::vector<std::string> InPlaceBlockers(const pg::InstanceFacts& facts) {
  std::vector<std::string> blockers;
  if (facts.in_recovery) {
    blockers.push_back("the server is a standby: upgrade the primary in place, then rebuild the standbys");
  }
  if (!facts.data_directory || facts.data_directory->empty()) {
    blockers.push_back(
        "the data directory is unknown: connect as a superuser or a member of pg_read_all_settings to read it");
    return blockers;
  }
  std::ifstream f(*facts.data_directory + "/PG_VERSION");
  std::string on_disk;
  if (!f || !std::getline(f, on_disk)) {
    blockers.push_back("the data directory " + *facts.data_directory +
                       " is not on this machine (or not readable here): in-place upgrades run on the database "
                       "host; run Terraform there, or use the dump_restore or replication strategy");
  } else if (on_disk != facts.major) {
    blockers.push_back("the data directory " + *facts.data_directory + " on this machine holds PostgreSQL " + on_disk +
                       " data, not this server's " + facts.major +
                       ": it belongs to another server; run Terraform on the database host");
  }
  return blockers;
}

Value ToValue(const Value& config, const pg::ConnInfo& info, const pg::InstanceFacts& facts) {
  std::vector<std::string> no_pk;
  for (const auto& t : facts.tables_without_primary_key) no_pk.push_back(t.QualifiedName());
  std::sort(no_pk.begin(), no_pk.end());
  std::map<std::string, Value> ext;
  for (const auto& e : facts.extensions) ext[e.name] = Value::String(e.version);
  std::vector<std::string> in_place = InPlaceBlockers(facts);

  std::map<std::string, Value> attrs = config.Attributes();
  attrs["id"] = Value::String(info.Endpoint() + "/" + facts.current_database);
  attrs["version"] = Value::String(facts.version);
  attrs["major_version"] = Value::String(facts.major);
  attrs["size_bytes"] = Value::Int(facts.total_size_bytes);
  attrs["database_size_bytes"] = Value::Int(facts.database_size_bytes);
  attrs["wal_level"] = Value::String(facts.wal_level);
  attrs["tables_without_primary_key"] = Value::StringList(no_pk);
  attrs["extensions"] = Value::Map(Type::String(), std::move(ext));
  attrs["replication_ready"] = Value::Bool(facts.replication_ready);
  attrs["replication_blockers"] = Value::StringList(facts.replication_blockers);
  attrs["data_directory"] = Value::String(facts.data_directory.value_or(""));
  attrs["in_place_ready"] = Value::Bool(in_place.empty());
  attrs["in_place_blockers"] = Value::StringList(in_place);
  return Value::Object(DatabaseInstanceSchema().block.ImpliedType(), std::move(attrs));
}

class DatabaseInstanceDataSource final : public DataSource {
 public:
  std::string TypeName() const override { return kTypeName; }
  const schema::Schema& GetSchema() const override { return DatabaseInstanceSchema(); }

  void ValidateConfig(const Value& config, schema::Diagnostics* diags) const override {
    if (!config.IsKnown() || config.IsNull()) return;
    CheckInputs(config, /*attribute_checks=*/false, diags);
  }

  Value Read(const CallContext& ctx, const Value& config, schema::Diagnostics* diags) const override {
    const Value failed = Value::Null(DatabaseInstanceSchema().block.ImpliedType());
    if (!config.IsKnown() || config.IsNull() || config.type().kind() != Type::Kind::kObject) {
      diags->Add(InvalidAttribute(Status::Internal("the data source configuration is missing")));
      return failed;
    }
    std::optional<std::string> password = KnownStringAt(config, {"password"});
    schema::Diagnostics local;
    Value result = ReadChecked(ctx, config, password, &local);
    // Second line of defence: text from libpq or the server could echo what we sent.
    std::vector<std::string> secrets;
    if (password) secrets.push_back(*password);
    if (std::optional<std::string> url = KnownStringAt(config, {"url"})) {
      Result<pg::ConnInfo> info = pg::ConnInfo::Parse(*url);
      if (info.ok() && info->has_password()) secrets.push_back(info->password());
    }
    RedactSecrets(&local, secrets);
    diags->Append(local);
    return local.HasError() ? failed : result;
  }

 private:
  Value ReadChecked(const CallContext& ctx, const Value& config, const std::optional<std::string>& password,
                    schema::Diagnostics* diags) const {
    const Value failed = Value::Null(DatabaseInstanceSchema().block.ImpliedType());
    // The framework ran the attribute validators already; check everything again here so that no
    // server is contacted for bad input, whoever calls.
    if (!CheckInputs(config, /*attribute_checks=*/true, diags)) return failed;
    if (!password && !IsNullAt(config, {"password"})) {
      diags->Add(InvalidAttribute(Status::InvalidArgument("password must be known when the data source is read"),
                                  AttributePath::Root("password")));
      return failed;
    }
    std::optional<std::string> url = KnownStringAt(config, {"url"});
    if (!KnownStringAt(config, {"engine"}) || !url) {
      diags->Add(InvalidAttribute(Status::InvalidArgument("engine and url must be known when the data source is read"),
                                  AttributePath::Root(url ? "engine" : "url")));
      return failed;
    }

    Result<pg::ConnInfo> info = pg::ConnInfo::Parse(*url, password);
    if (!info.ok()) {
      diags->Add(MalformedUrl(info.status(), AttributePath::Root("url")));
      return failed;
    }
    log::Debug("database_instance: connecting", {{"url", info->Redacted()}});

    pg::ConnectOptions copts;
    if (ctx.stop != nullptr) copts.cancel_flag = ctx.stop->flag();
    Result<std::unique_ptr<pg::Connection>> conn = pg::Connection::Connect(*info, copts);
    if (!conn.ok()) {
      const Status& st = conn.status();
      log::Warn("database_instance: connection failed",
                {{"url", info->Redacted()}, {"code", std::string(Status::CodeName(st.code()))}});
      if (st.IsCancelled()) {
        diags->Add(Cancelled(st, "Reading data source database_instance"));
      } else {
        diags->Add(ConnectionFailed(Classify(st), st, info->Endpoint(), info->user(), AttributePath::Root("url"),
                                    AttributePath::Root("password")));
      }
      return failed;
    }

    Result<pg::InstanceFacts> facts = pg::Probe(**conn);
    if (!facts.ok()) {
      if (facts.status().IsCancelled()) {
        diags->Add(Cancelled(facts.status(), "Reading data source database_instance"));
      } else {
        diags->Add(ProbeFailed(facts.status(), info->Endpoint(), AttributePath::Root("url")));
      }
      return failed;
    }
    log::Debug("database_instance: probed",
               {{"url", info->Redacted()}, {"version", facts->version}, {"size_bytes", facts->total_size_bytes}});
    return ToValue(config, *info, *facts);
  }
};

}  // namespace

const schema::Schema& DatabaseInstanceSchema() {
  static const schema::Schema kSchema = BuildSchema();
  return kSchema;
}

std::unique_ptr<DataSource> NewDatabaseInstanceDataSource() { return std::make_unique<DatabaseInstanceDataSource>(); }

}  // namespace tpd::resources
