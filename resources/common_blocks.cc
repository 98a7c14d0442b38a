#include "resources/common_blocks.h"

#include <utility>

#include "resources/validators.h"

namespace tpd::resources {

using schema::Attribute;
using schema::NestedBlock;
using schema::NestingMode;
using schema::Type;
using schema::Value;

Attribute RequiredAttr(std::string name, Type type, std::string description) {
  Attribute a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.description = std::move(description);
  a.required = true;
  return a;
}

Attribute OptionalAttr(std::string name, Type type, std::string description) {
  Attribute a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.description = std::move(description);
  a.optional = true;
  return a;
}

Attribute ComputedAttr(std::string name, Type type, std::string description) {
  Attribute a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.description = std::move(description);
  a.computed = true;
  return a;
}

Attribute DefaultedAttr(std::string name, Type type, std::string description, Value default_value) {
  Attribute a = OptionalAttr(std::move(name), std::move(type), std::move(description));
  a.computed = true;
  a.default_value = std::move(default_value);
  return a;
}

Attribute IdAttr(std::string description) { return ComputedAttr("id", Type::String(), std::move(description)); }

namespace {

Attribute ArgvAttr(std::string name, std::string description) {
  Attribute a = OptionalAttr(std::move(name), Type::List(Type::String()), std::move(description));
  a.validators = {EachElementValidator(NonEmptyStringValidator())};
  return a;
}

NestedBlock Single(std::string type_name, schema::Block block, bool required) {
  NestedBlock nb;
  nb.type_name = std::move(type_name);
  nb.block = std::move(block);
  nb.nesting = NestingMode::kSingle;
  nb.min_items = required ? 1 : 0;
  nb.max_items = required ? 1 : 0;
  return nb;
}

}  // namespace

NestedBlock ServerBlock(const ServerBlockOptions& o) {
  schema::Block b;
  const std::string& n = o.type_name;
  b.description = o.role +
                  " Put the password in `password`, not in `url`: `password` is masked in plans and logs, "
                  "the URL is not.";

  Attribute url = o.url_required ? RequiredAttr("url", Type::String(), "") : OptionalAttr("url", Type::String(), "");
  url.description =
      "Connection URL of the " + n +
      " server without its password, e.g. "
      "\"postgresql://postgres@db.example.com:5432/postgres?sslmode=require\". Accepted schemes depend on the "
      "engine: postgresql:// or postgres:// (PostgreSQL, KWDB), mysql://, mongodb:// or mongodb+srv://, "
      "redis:// or rediss://, http:// or https:// (Elasticsearch, Dgraph)." +
      std::string(o.url_required ? "" : " Optional: an in-place upgrade keeps the source URL when this is null.");
  url.validators = {UrlValidator()};
  b.attributes.push_back(std::move(url));

  Attribute password = OptionalAttr(
      "password", Type::String(),
      "Password of the user named in `url`. Sensitive: never shown in plans, logs or error messages. Default: "
      "none (the engine's own mechanisms apply, e.g. ~/.pgpass or PGPASSWORD for PostgreSQL).");
  password.sensitive = true;
  b.attributes.push_back(std::move(password));

  if (o.in_place_fields) {
    Attribute data_dir = OptionalAttr("data_dir", Type::String(),
                                      "Absolute path of the " + n +
                                          " server's data directory on the machine running Terraform, e.g. "
                                          "\"/var/lib/postgresql/" +
                                          (n == "source" ? "13" : "17") +
                                          "/main\". Needed only by the in_place "
                                          "strategy, which must run on the database host. Default: none.");
    data_dir.validators = {AbsolutePathValidator()};
    b.attributes.push_back(std::move(data_dir));

    Attribute bin_dir = OptionalAttr("bin_dir", Type::String(),
                                     "Absolute path of the directory holding the " + n +
                                         " version's server binaries, e.g. "
                                         "\"/usr/lib/postgresql/" +
                                         (n == "source" ? "13" : "17") +
                                         "/bin\". Needed only by the in_place "
                                         "strategy. Default: found through the provider's tool_paths, then PATH.");
    bin_dir.validators = {AbsolutePathValidator()};
    b.attributes.push_back(std::move(bin_dir));

    b.attributes.push_back(ArgvAttr(
        "stop_command",
        "Command that stops the " + n +
            " server, as a program and its arguments (run without a shell), e.g. "
            "[\"systemctl\", \"stop\", \"postgresql@13-main\"]. Used by the in_place strategy" +
            (n == "source" ? std::string(" before the upgrade") : std::string(" when an upgrade is rolled back")) +
            ". Default: pg_ctl stop on data_dir."));
    b.attributes.push_back(ArgvAttr(
        "start_command", "Command that starts the " + n +
                             " server, as a program and its arguments (run without a shell), e.g. "
                             "[\"systemctl\", \"start\", \"postgresql@17-main\"]. Used by the in_place strategy" +
                             (n == "source" ? std::string(" to restart the old server when an upgrade is rolled back")
                                            : std::string(" after the upgrade")) +
                             ". Default: pg_ctl start on data_dir."));
  }

  if (o.upgrade_mode) {
    Attribute mode = DefaultedAttr(
        "upgrade_mode", Type::String(),
        "How the in_place strategy moves data files into the new data directory (pg_upgrade --link, --clone "
        "or --copy): \"link\" hard-links files (fastest, needs the same file system; the old server cannot be "
        "started after the new one ran), \"clone\" uses copy-on-write clones (fast, needs a file system that "
        "supports them, e.g. XFS or Btrfs), \"copy\" copies every file (slowest, needs free space equal to the "
        "data size, keeps the old data directory usable). Default: \"link\".",
        Value::String(kUpgradeModeLink));
    mode.validators = {OneOfValidator({kUpgradeModeLink, kUpgradeModeClone, kUpgradeModeCopy})};
    b.attributes.push_back(std::move(mode));
  }
  return Single(n, std::move(b), o.required);
}

NestedBlock BackupBlock() {
  schema::Block b;
  b.description =
      "Backup taken from the source before anything changes. Omitting the block means enabled = true in "
      "the default directory.";
  b.attributes.push_back(DefaultedAttr(
      "enabled", Type::Bool(),
      "Whether to take a full backup (a logical dump) of the source before upgrading. Default: true. Turning it "
      "off means a failed in_place upgrade cannot be rolled back.",
      Value::Bool(true)));
  Attribute dir = OptionalAttr(
      "dir", Type::String(),
      "Absolute path of the directory where backups are written, one sub-directory per run. Default: "
      "<work_dir>/backups (see the provider's work_dir). Needs free space of about the source's data size.");
  dir.validators = {AbsolutePathValidator()};
  b.attributes.push_back(std::move(dir));
  return Single("backup", std::move(b), false);
}

NestedBlock CutoverBlock() {
  schema::Block b;
  b.description = "How the switch from the old server to the new one is made. Omitting the block means all defaults.";
  b.attributes.push_back(DefaultedAttr(
      "block_writes", Type::Bool(),
      "Whether writes are blocked on the source during the final switch, so that no acknowledged write is "
      "lost (the database is made read-only for the switch, typically seconds). Default: true. Set false only "
      "when applications are already stopped.",
      Value::Bool(true)));
  b.attributes.push_back(
      DefaultedAttr("terminate_sessions", Type::Bool(),
                    "Whether sessions still connected to the source at the switch are terminated (PostgreSQL: "
                    "pg_terminate_backend) instead of waiting for them to disconnect. Default: false.",
                    Value::Bool(false)));
  return Single("cutover", std::move(b), false);
}

NestedBlock VerifyBlock() {
  schema::Block b;
  b.description =
      "Checks run on the target before applications are pointed at it; a failed check stops the upgrade "
      "with the source still serving. Omitting the block means all defaults.";
  b.attributes.push_back(DefaultedAttr(
      "row_counts", Type::Bool(),
      "Whether to compare exact row counts of every table between source and target. Default: true. Cost: one "
      "count(*) per table on each side.",
      Value::Bool(true)));
  b.attributes.push_back(DefaultedAttr(
      "checksums", Type::Bool(),
      "Whether to compare a checksum of every table's content between source and target. Default: false. Cost: "
      "reads every row on both sides; slow on large databases.",
      Value::Bool(false)));
  return Single("verify", std::move(b), false);
}

NestedBlock TimeoutsBlock(const std::vector<std::string>& operations) {
  schema::Block b;
  b.description =
      "Time limits for long operations. When a limit is reached the operation is cancelled and undone as far "
      "as it safely can be (the source keeps serving). Omitting the block means no limits.";
  for (const auto& op : operations) {
    Attribute a = OptionalAttr(op, Type::String(),
                               "Longest time the " + op +
                                   " operation may take, as a duration such as \"90s\", \"30m\" or \"2h30m\" "
                                   "(at least 1 second). Default: no limit.");
    a.validators = {DurationValidator(1)};
    b.attributes.push_back(std::move(a));
  }
  return Single("timeouts", std::move(b), false);
}

std::optional<Value> ValueAt(const Value& obj, std::initializer_list<std::string_view> path) {
  Value cur = obj;
  for (std::string_view step : path) {
    if (!cur.IsKnown()) return std::nullopt;
    if (cur.IsNull() || cur.type().kind() != Type::Kind::kObject) return Value();
    const auto& attrs = cur.Attributes();
    auto it = attrs.find(std::string(step));
    if (it == attrs.end()) return Value();
    cur = it->second;
  }
  return cur;
}

std::optional<std::string> KnownStringAt(const Value& obj, std::initializer_list<std::string_view> path) {
  std::optional<Value> v = ValueAt(obj, path);
  if (!v || !v->IsKnown() || v->IsNull() || v->type().kind() != Type::Kind::kString) return std::nullopt;
  return v->AsString();
}

bool IsNullAt(const Value& obj, std::initializer_list<std::string_view> path) {
  std::optional<Value> v = ValueAt(obj, path);
  return v && v->IsKnown() && v->IsNull();
}

}  // namespace tpd::resources
