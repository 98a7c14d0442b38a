#include "resources/database_replica_schema.h"

#include <string>
#include <utility>

#include "resources/common_blocks.h"
#include "resources/diagnostics.h"
#include "resources/validators.h"

namespace tpd::resources {

using schema::AttributePath;
using schema::Type;
using schema::Value;

namespace {

// "table" or "schema.table"; parts may be double-quoted to keep dots or capitals ("\"My.Schema\".t").
Status CheckTableName(std::string_view name) {
  const std::string example = "write \"table\" or \"schema.table\", e.g. \"public.orders\"";
  if (name.empty()) return Status::InvalidArgument("the table name is empty; " + example);
  int parts = 1;
  bool quoted = false;
  bool part_empty = true;
  for (char c : name) {
    if (c == '"') {
      quoted = !quoted;
      part_empty = false;
    } else if (c == '.' && !quoted) {
      if (part_empty) return Status::InvalidArgument("\"" + std::string(name) + "\" has an empty part; " + example);
      ++parts;
      part_empty = true;
    } else {
      part_empty = false;
    }
  }
  if (quoted) return Status::InvalidArgument("\"" + std::string(name) + "\" has an unclosed double quote; " + example);
  if (part_empty) return Status::InvalidArgument("\"" + std::string(name) + "\" has an empty part; " + example);
  if (parts > 2) return Status::InvalidArgument("\"" + std::string(name) + "\" has more than two parts; " + example);
  return Status::Ok();
}

// A replica streams between two fixed databases: pointing it elsewhere means a new replica.
void MarkUrlRequiresReplace(schema::NestedBlock* server) {
  for (schema::Attribute& a : server->block.attributes) {
    if (a.name == "url") {
      a.requires_replace = true;
      a.description += " Changing it replaces the replica.";
    }
  }
}

}  // namespace

schema::Schema DatabaseReplicaSchemaV0() {
  schema::Schema s;
  s.version = 0;
  static_assert(kDatabaseReplicaSchemaVersion == 0, "DatabaseReplicaSchemaV0 is not the current version");
  schema::Block& b = s.block;
  b.description =
      "A replication stream from a source server to a target server, usually of a newer major version "
      "(PostgreSQL: logical replication, schema copied first). Setting promote = true performs the cutover. "
      "Deleting the resource removes the subscription, publication and replication slot, so nothing is left "
      "behind on the source.";

  b.attributes.push_back(IdAttr("Identifier of this replica: the subscription name on the target."));

  schema::Attribute engine = RequiredAttr(
      "engine", Type::String(),
      "Database engine of both servers. Only \"postgresql\" is supported for replicas. Changing it replaces the "
      "resource.");
  engine.requires_replace = true;
  engine.validators = {EngineNameValidator()};
  b.attributes.push_back(std::move(engine));

  schema::Attribute mode = DefaultedAttr(
      "mode", Type::String(),
      "Replication mode. \"logical\": PostgreSQL logical replication (publication on the source, subscription "
      "on the target), which works across major versions; needs wal_level = logical on the source. Default: "
      "\"logical\" (the only mode).",
      Value::String(kReplicaModeLogical));
  mode.validators = {OneOfValidator({kReplicaModeLogical})};
  b.attributes.push_back(std::move(mode));

  schema::Attribute tables = OptionalAttr(
      "tables", Type::List(Type::String()),
      "Tables to replicate, as \"table\" (schema public) or \"schema.table\"; double-quote names with capitals "
      "or dots. Default: all tables of the source database. Tables without a primary key need REPLICA "
      "IDENTITY FULL to replicate updates and deletes: the provider sets it on the source for every replicated table "
      "without a primary key and warns about each at plan and apply. Changing the list replaces the replica (a new "
      "initial copy).");
  tables.requires_replace = true;
  tables.validators = {EachElementValidator([](const Value& v) { return CheckTableName(v.AsString()); })};
  b.attributes.push_back(std::move(tables));

  schema::Attribute promote = DefaultedAttr(
      "promote", Type::Bool(),
      "Whether the target takes over. Changing false to true performs the cutover: writes are blocked on the "
      "source, the provider waits for zero lag, syncs sequences and detaches the subscription. Setting it back "
      "to false does not undo a cutover. Default: false.",
      Value::Bool(false));
  b.attributes.push_back(std::move(promote));

  b.attributes.push_back(ComputedAttr(
      "status", Type::String(),
      "State of the stream as last read: \"copying\" (initial table copy), \"streaming\" (caught up and "
      "following), \"promoted\" (cutover done) or \"broken\" (the subscription, publication or slot is missing, or the "
      "subscription is disabled; the reason is in the plan's warning and the provider log). A broken replica is "
      "replaced on the next apply: what is left of it is dropped and it is created again with a fresh initial "
      "copy."));
  b.attributes.push_back(ComputedAttr("lag_bytes", Type::Number(),
                                      "Bytes of WAL the target has not applied yet, as last read (0 when caught up)."));
  b.attributes.push_back(
      ComputedAttr("source_version", Type::String(), "Version the source server reports (e.g. \"13.4\")."));
  b.attributes.push_back(
      ComputedAttr("target_version", Type::String(), "Version the target server reports (e.g. \"17.2\")."));
  b.attributes.push_back(ComputedAttr("publication", Type::String(), "Name of the publication created on the source."));
  b.attributes.push_back(
      ComputedAttr("subscription", Type::String(), "Name of the subscription created on the target."));
  b.attributes.push_back(ComputedAttr(
      "slot_name", Type::String(),
      "Name of the replication slot on the source. It retains WAL until the replica is deleted, so a stopped "
      "replica grows the source's disk usage. When a read finds the replica broken, the plan shows this attribute "
      "as forcing the replacement (the slot is created again)."));
  b.attributes.back().requires_replace = true;
  b.attributes.push_back(ComputedAttr(
      "promoted_at", Type::String(),
      "Time the cutover finished, RFC 3339 in UTC (e.g. \"2026-08-21T14:10:23Z\"); empty until promoted."));
  b.attributes.push_back(ComputedAttr(
      "measured_downtime_seconds", Type::Number(),
      "Seconds writes were frozen on the source during the cutover (from the write freeze until the target was "
      "detached and ready), as measured by the provider; null until promoted."));

  ServerBlockOptions source;
  source.type_name = "source";
  source.role = "The server replicated from (required).";
  source.required = true;
  source.url_required = true;
  source.in_place_fields = false;
  b.block_types.push_back(ServerBlock(source));
  MarkUrlRequiresReplace(&b.block_types.back());

  ServerBlockOptions target;
  target.type_name = "target";
  target.role = "The server replicated to (required): running, reachable from the source, with an empty database.";
  target.required = true;
  target.url_required = true;
  target.in_place_fields = false;
  b.block_types.push_back(ServerBlock(target));
  MarkUrlRequiresReplace(&b.block_types.back());

  b.block_types.push_back(TimeoutsBlock({"create", "update"}));
  return s;
}

void ValidateDatabaseReplicaConfig(const Value& config, schema::Diagnostics* diags) {
  if (!config.IsKnown() || config.IsNull()) return;
  std::optional<std::string> engine = KnownStringAt(config, {"engine"});
  if (engine && CheckEngineName(*engine).ok()) {
    if (*engine != kEnginePostgresql) {
      diags->Add(UnsupportedEngine(*engine, "The database_replica resource", {std::string(kEnginePostgresql)},
                                   AttributePath::Root("engine")));
    } else {
      for (const char* block : {"source", "target"}) {
        std::optional<std::string> url = KnownStringAt(config, {block, "url"});
        if (!url || !CheckUrl(*url).ok()) continue;  // the url's own validator reports it
        AttributePath path = AttributePath::Root(block).Attr("url");
        Status st = CheckUrlForEngine(*engine, *url);
        if (!st.ok()) {
          diags->Add(InvalidAttribute(st, path));
        } else if (UrlHasPassword(*url)) {
          diags->Add(PasswordInUrl(path, std::string(block) + ".password"));
        }
      }
    }
  }
  std::optional<std::string> src = KnownStringAt(config, {"source", "url"});
  std::optional<std::string> dst = KnownStringAt(config, {"target", "url"});
  if (src && dst && *src == *dst) {
    diags->Add(InvalidAttribute(
        Status::InvalidArgument("target.url is the same as source.url: a database cannot replicate into itself; "
                                "write the URL of the new server"),
        AttributePath::Root("target").Attr("url")));
  }
}

}  // namespace tpd::resources
