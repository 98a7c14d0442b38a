#include "resources/database_upgrade_schema.h"

#include <string>
#include <utility>
#include <vector>

#include "resources/common_blocks.h"
#include "resources/diagnostics.h"
#include "resources/validators.h"

namespace tpd::resources {

using schema::AttributePath;
using schema::Type;
using schema::Value;

schema::Schema DatabaseUpgradeSchemaV0() {
  schema::Schema s;
  s.version = 0;
  static_assert(kDatabaseUpgradeSchemaVersion == 0, "DatabaseUpgradeSchemaV0 is not the current version");
  schema::Block& b = s.block;
  b.description =
      "Upgrades a database server to a newer version. The plan shows the strategy that will run, why the "
      "others were rejected, the version path and the expected downtime; apply performs the upgrade with a "
      "backup, blocked writes during the switch and verification. Deleting the resource only forgets it: "
      "no database is touched.";

  b.attributes.push_back(IdAttr("Identifier of this upgrade: the source server's redacted URL."));

  schema::Attribute engine = RequiredAttr("engine", Type::String(),
                                          "Database engine of the source server: one of " + QuotedList(KnownEngines()) +
                                              ". Changing it replaces the resource.");
  engine.requires_replace = true;
  engine.validators = {EngineNameValidator()};
  b.attributes.push_back(std::move(engine));

  schema::Attribute target_version = RequiredAttr(
      "target_version", Type::String(),
      "Version to upgrade to: a major version (\"17\", or \"9.6\" before PostgreSQL 10) means its newest "
      "release known to the provider, a full version (\"17.2\") means exactly that release. Must not be older "
      "than the server's current version: downgrades are refused (restore from a backup instead). Raising it "
      "later upgrades again from the active server.");
  target_version.validators = {VersionValidator()};
  b.attributes.push_back(std::move(target_version));

  schema::Attribute strategy = DefaultedAttr(
      "strategy", Type::String(),
      "How to upgrade: \"auto\" lets the provider choose the fastest strategy that meets max_downtime and the "
      "configuration; \"dump_restore\" dumps the source and restores into the target server; \"replication\" "
      "copies the data while the source keeps serving and switches over with a short pause; \"in_place\" "
      "upgrades the data directory on this host (PostgreSQL: pg_upgrade). Default: \"auto\".",
      Value::String(kStrategyAuto));
  strategy.validators = {OneOfValidator({kStrategyAuto, kStrategyDumpRestore, kStrategyReplication, kStrategyInPlace})};
  b.attributes.push_back(std::move(strategy));

  schema::Attribute max_downtime = OptionalAttr(
      "max_downtime", Type::String(),
      "Longest acceptable time during which writes are blocked, as a duration such as \"90s\", \"5m\" or "
      "\"1h30m\" (0s or more). The plan fails when no strategy fits, naming the fastest feasible one and its "
      "estimate. Default: no limit.");
  max_downtime.validators = {DurationValidator(0)};
  b.attributes.push_back(std::move(max_downtime));

  // Computed: known at plan time whenever the source is reachable.
  b.attributes.push_back(ComputedAttr(
      "current_version", Type::String(),
      "Version the active server reports now (e.g. \"13.4\"), read live on every refresh: a change outside "
      "Terraform shows as a diff."));
  b.attributes.push_back(ComputedAttr(
      "planned_strategy", Type::String(),
      "Strategy the next apply will run: \"dump_restore\", \"replication\" or \"in_place\"; empty when the "
      "server is already at target_version."));
  b.attributes.push_back(
      ComputedAttr("upgrade_path", Type::List(Type::String()),
                   "Versions the upgrade steps through, in order, starting with the current version (e.g. [\"13.4\", "
                   "\"17.2\"]); engines that require it go one major version at a time."));
  b.attributes.push_back(ComputedAttr(
      "estimated_downtime_seconds", Type::Number(),
      "Estimated time in seconds during which writes are blocked, for planned_strategy and data_size_bytes."));
  b.attributes.push_back(ComputedAttr(
      "decision", Type::List(Type::String()),
      "One line per strategy, the chosen one first, saying whether it was chosen or rejected and why, e.g. "
      "\"in_place: rejected: source.data_dir is not set\"."));
  b.attributes.push_back(
      ComputedAttr("data_size_bytes", Type::Number(),
                   "Size in bytes of the data the upgrade moves (for PostgreSQL, the sum of all databases' sizes)."));
  // Computed: known after apply.
  b.attributes.push_back(
      ComputedAttr("active_url", Type::String(),
                   "URL, without password, of the server applications should use now: the target's URL after a "
                   "dump_restore or replication upgrade, the source's after an in-place one."));
  b.attributes.push_back(
      ComputedAttr("backup_path", Type::String(),
                   "Absolute path of the backup taken before the last upgrade; empty when backup.enabled is false."));
  b.attributes.push_back(ComputedAttr("measured_downtime_seconds", Type::Number(),
                                      "Time in seconds writes were actually blocked during the last upgrade."));
  b.attributes.push_back(
      ComputedAttr("verification", Type::String(),
                   "Result of the checks run before switching, e.g. \"row counts equal on 42 tables; checksums not "
                   "run\"."));
  b.attributes.push_back(
      ComputedAttr("completed_at", Type::String(),
                   "Time the last upgrade finished, RFC 3339 in UTC (e.g. \"2026-08-21T14:10:23Z\")."));

  ServerBlockOptions source;
  source.type_name = "source";
  source.role = "The running server to upgrade (required).";
  source.required = true;
  source.url_required = true;
  source.in_place_fields = true;
  b.block_types.push_back(ServerBlock(source));

  ServerBlockOptions target;
  target.type_name = "target";
  target.role =
      "The new server. For dump_restore and replication: a running, empty server of the target version "
      "(url required). For in_place: the new version's bin_dir and data_dir on this host (url optional). "
      "Default: none, which leaves only in-place strategies that need nothing from it.";
  target.required = false;
  target.url_required = false;
  target.in_place_fields = true;
  target.upgrade_mode = true;
  b.block_types.push_back(ServerBlock(target));

  b.block_types.push_back(BackupBlock());
  b.block_types.push_back(CutoverBlock());
  b.block_types.push_back(VerifyBlock());
  b.block_types.push_back(TimeoutsBlock({"create", "update"}));
  return s;
}

namespace {

void CheckServerUrl(const Value& config, const std::string& engine, const char* block, const char* password_attr,
                    schema::Diagnostics* diags) {
  std::optional<std::string> url = KnownStringAt(config, {block, "url"});
  if (!url || !CheckUrl(*url).ok()) return;  // the url's own validator reports it
  AttributePath path = AttributePath::Root(block).Attr("url");
  Status st = CheckUrlForEngine(engine, *url);
  if (!st.ok()) {
    diags->Add(InvalidAttribute(st, path));
    return;
  }
  if (UrlHasPassword(*url)) diags->Add(PasswordInUrl(path, password_attr));
}

}  // namespace

void ValidateDatabaseUpgradeConfig(const Value& config, schema::Diagnostics* diags) {
  if (!config.IsKnown() || config.IsNull()) return;
  std::optional<std::string> engine = KnownStringAt(config, {"engine"});
  // An unknown engine is reported by its attribute validator; engine-specific checks need a valid one.
  if (engine && CheckEngineName(*engine).ok()) {
    // Values failing their attribute validator were reported by it; only engine-specific rules here.
    std::optional<std::string> version = KnownStringAt(config, {"target_version"});
    if (version && CheckVersionSyntax(*version).ok()) {
      Status st = CheckVersionForEngine(*engine, *version);
      if (!st.ok()) diags->Add(InvalidAttribute(st, AttributePath::Root("target_version")));
    }
    CheckServerUrl(config, *engine, "source", "source.password", diags);
    CheckServerUrl(config, *engine, "target", "target.password", diags);
  }

  std::optional<std::string> strategy = KnownStringAt(config, {"strategy"});
  if (!strategy) return;
  if (*strategy == kStrategyInPlace) {
    struct Need {
      const char* block;
      const char* attr;
      const char* why;
    };
    const Need needs[] = {
        {"source", "data_dir", "know which data directory to upgrade (it must be on this host)"},
        {"target", "data_dir", "know where to create the new version's data directory"},
        {"target", "bin_dir", "find the new version's server binaries (pg_upgrade, postgres)"},
    };
    for (const Need& n : needs) {
      if (IsNullAt(config, {n.block, n.attr})) {
        diags->Add(MissingForStrategy(*strategy, n.why, AttributePath::Root(n.block).Attr(n.attr)));
      }
    }
  } else if (*strategy == kStrategyDumpRestore || *strategy == kStrategyReplication) {
    if (IsNullAt(config, {"target", "url"})) {
      diags->Add(MissingForStrategy(*strategy, "know the running server of the target version to copy the data into",
                                    AttributePath::Root("target").Attr("url")));
    }
  }
}

}  // namespace tpd::resources
