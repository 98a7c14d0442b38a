#include "resources/provider_config.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "resources/validators.h"

namespace tpd::resources {
namespace {

constexpr int64_t kMaxParallelism = 64;
constexpr char kAppDir[] = "terraform-provider-database";

schema::Schema BuildProviderSchema() {
  schema::Schema s;
  s.version = 0;
  s.block.description =
      "The database provider plans and applies database version upgrades. Every argument is optional; "
      "an empty provider \"database\" {} block uses the defaults.";

  schema::Attribute work_dir;
  work_dir.name = "work_dir";
  work_dir.type = schema::Type::String();
  work_dir.optional = true;
  work_dir.description =
      "Absolute path of the directory that holds dumps, backups and run journals (created on first use). "
      "Default: $XDG_STATE_HOME/terraform-provider-database, or ~/.local/state/terraform-provider-database "
      "when XDG_STATE_HOME is unset. Needs room for a full dump of the largest database you upgrade.";
  work_dir.validators = {AbsolutePathValidator()};

  schema::Attribute parallelism;
  parallelism.name = "parallelism";
  parallelism.type = schema::Type::Number();
  parallelism.optional = true;
  parallelism.description =
      "Number of parallel copy/restore workers (whole number, 1 to 64). Default: the number of CPUs of the "
      "machine running Terraform.";
  parallelism.validators = {IntRangeValidator(1, kMaxParallelism)};

  schema::Attribute tool_paths;
  tool_paths.name = "tool_paths";
  tool_paths.type = schema::Type::List(schema::Type::String());
  tool_paths.optional = true;
  tool_paths.description =
      "Absolute paths of directories searched first for engine tools (pg_dump, pg_restore, pg_upgrade, ...), "
      "in order, before PATH and the usual per-version install folders such as /usr/lib/postgresql/<major>/bin. "
      "Default: empty.";
  tool_paths.validators = {EachElementValidator(AbsolutePathValidator())};

  s.block.attributes = {std::move(parallelism), std::move(tool_paths), std::move(work_dir)};
  return s;
}

std::string StripTrailingSlashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

int DefaultParallelism() {
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) return 1;
  return n > kMaxParallelism ? static_cast<int>(kMaxParallelism) : static_cast<int>(n);
}

bool Usable(const schema::Value& v) { return v.IsKnown() && !v.IsNull(); }

}  // namespace

const schema::Schema& ProviderSchema() {
  static const schema::Schema kSchema = BuildProviderSchema();
  return kSchema;
}

std::string DefaultWorkDir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return StripTrailingSlashes(xdg) + "/" + kAppDir;
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return StripTrailingSlashes(home) + "/.local/state/" + kAppDir;
  return std::string("/tmp/") + kAppDir + "-" + std::to_string(::getuid());
}

Result<ProviderOptions> ParseProviderOptions(const schema::Value& config) {
  ProviderOptions opts;
  opts.work_dir = DefaultWorkDir();
  opts.parallelism = DefaultParallelism();
  if (config.IsNull() || !config.IsKnown()) return opts;
  if (config.type().kind() != schema::Type::Kind::kObject) {
    return Status::InvalidArgument("provider configuration is a " + config.type().FriendlyName() +
                                   ", expected an object");
  }
  const auto& attrs = config.Attributes();
  auto get = [&](const char* name) -> const schema::Value* {
    auto it = attrs.find(name);
    return it == attrs.end() ? nullptr : &it->second;
  };
  const schema::Schema& s = ProviderSchema();
  // Same validators as the schema, so a caller that skipped the framework cannot get bad options.
  for (const auto& a : s.block.attributes) {
    const schema::Value* v = get(a.name.c_str());
    if (v == nullptr || !Usable(*v)) continue;
    for (const auto& validate : a.validators) {
      Status st = validate(*v);
      if (!st.ok()) return st.WithPath(schema::AttributePath::Root(a.name));
    }
  }

  if (const schema::Value* v = get("work_dir"); v != nullptr && Usable(*v)) {
    opts.work_dir = StripTrailingSlashes(v->AsString());
  }
  if (const schema::Value* v = get("parallelism"); v != nullptr && Usable(*v)) {
    opts.parallelism = static_cast<int>(*v->AsNumber().ToInt64());
  }
  if (const schema::Value* v = get("tool_paths"); v != nullptr && Usable(*v)) {
    const auto& elems = v->Elements();
    for (size_t i = 0; i < elems.size(); ++i) {
      // An unknown element (possible only when the framework passes partial config) is skipped:
      // searching fewer folders is safe, PATH still applies.
      if (!Usable(elems[i])) continue;
      opts.tool_paths.push_back(StripTrailingSlashes(elems[i].AsString()));
    }
  }
  return opts;
}

}  // namespace tpd::resources
