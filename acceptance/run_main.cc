// tpd-acc-run: drives the real provider binary the way Terraform would and prints what Terraform
// would print. Default mode: reads the database_instance data source like `terraform apply` on
// examples/data-source-instance; `upgrade` mode: see below.
// Used by scripts/demo when neither terraform nor tofu is on PATH.
//
//   TPD_DEMO_PASSWORD=secret tpd-acc-run --url postgresql://postgres@127.0.0.1:5432/postgres
//       [--engine postgresql] [--protocol 6|5] [--provider PATH] [--no-tls]
//
//   TPD_DEMO_SOURCE_PASSWORD=... TPD_DEMO_TARGET_PASSWORD=... tpd-acc-run upgrade
//       --source-url URL --target-url URL [--backup-dir DIR] [--work-dir DIR] [--target-version 17]
//       [--strategy auto] [--max-downtime 5m] [--protocol 6|5] [--provider PATH] [--no-tls]
//   plans, applies and plans again one database_upgrade (the demo's upgrade, as `terraform plan`,
//   `terraform apply -auto-approve` and `terraform plan -detailed-exitcode` on examples/demo would),
//   printing what Terraform would print; sensitive values show as (sensitive value).
//
// Passwords come only from the environment (never argv, which other users can read).
// Exit code: 0 on success, 1 when Terraform would report an error, 2 on usage errors, 3 when the
// plan after the upgrade is not empty.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "acceptance/client.h"
#include "acceptance/process.h"
#include "schema/value.h"

namespace tpd::acceptance {
namespace {

using schema::Value;

void Usage() {
  std::cerr << "usage: TPD_DEMO_PASSWORD=... tpd-acc-run --url URL [--engine postgresql] [--protocol 6|5]\n"
               "                   [--provider PATH] [--no-tls]\n";
}

std::string SelfDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

// The flags every command takes: which provider binary to launch, how.
struct LaunchFlags {
  std::string provider;  // empty: TPD_PROVIDER_BINARY, else the binary of this build
  int protocol = 6;
  bool tls = true;
};

// Takes `a` (with its value from `next`) when it is --protocol, --provider or --no-tls.
bool ParseLaunchFlag(const std::string& a, const std::function<std::string()>& next, LaunchFlags* f) {
  if (a == "--protocol") {
    f->protocol = std::atoi(next().c_str());
  } else if (a == "--provider") {
    f->provider = next();
  } else if (a == "--no-tls") {
    f->tls = false;
  } else {
    return false;
  }
  return true;
}

TerraformOptions OptionsFor(const LaunchFlags& f) {
  std::string provider = f.provider;
  if (provider.empty()) {
    const char* env = std::getenv("TPD_PROVIDER_BINARY");
    provider = env != nullptr && *env ? env : SelfDir() + "/../terraform-provider-database";
  }
  TerraformOptions options;
  options.launch.binary = provider;
  options.launch.protocol_versions = std::to_string(f.protocol);
  options.launch.tls = f.tls;
  return options;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

// Terraform's rendering of an output value (HCL-ish), indented by `indent`.
std::string Render(const Value& v, int indent) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (v.IsNull()) return "null";
  if (!v.IsKnown()) return "(known after apply)";
  switch (v.type().kind()) {
    case schema::Type::Kind::kString: return Quote(v.AsString());
    case schema::Type::Kind::kNumber: return v.AsNumber().ToString();
    case schema::Type::Kind::kBool: return v.AsBool() ? "true" : "false";
    case schema::Type::Kind::kList:
    case schema::Type::Kind::kSet:
    case schema::Type::Kind::kTuple: {
      const char* wrap = v.type().kind() == schema::Type::Kind::kList  ? "tolist("
                         : v.type().kind() == schema::Type::Kind::kSet ? "toset("
                                                                      : "";
      if (v.Elements().empty()) return std::string(wrap) + "[]" + (*wrap ? ")" : "");
      std::string out = std::string(wrap) + "[\n";
      for (const Value& e : v.Elements()) out += pad + "  " + Render(e, indent + 2) + ",\n";
      return out + pad + "]" + (*wrap ? ")" : "");
    }
    case schema::Type::Kind::kMap:
    case schema::Type::Kind::kObject: {
      const auto& m = v.type().kind() == schema::Type::Kind::kMap ? v.MapElements() : v.Attributes();
      if (m.empty()) return "{}";
      size_t width = 0;
      for (const auto& [k, _] : m) width = std::max(width, k.size() + 2);
      std::string out = "{\n";
      for (const auto& [k, e] : m) {
        std::string key = Quote(k);
        out += pad + "  " + key + std::string(width - key.size(), ' ') + " = " + Render(e, indent + 2) + "\n";
      }
      return out + pad + "}";
    }
    case schema::Type::Kind::kDynamic: return "null";
  }
  return "?";
}

// Prints diagnostics the way Terraform does ("Error: <summary>", blank line, detail), boxed.
void PrintDiags(const schema::Diagnostics& diags, const std::string& address = "data.database_instance.this") {
  for (const auto& d : diags.items()) {
    bool err = d.severity == schema::Diagnostic::Severity::kError;
    std::cout << "╷\n│ " << (err ? "Error: " : "Warning: ") << d.summary << "\n│\n";
    if (d.attribute) std::cout << "│   with " << address << ", on attribute " << d.attribute->ToString() << "\n│\n";
    std::istringstream detail(d.detail);
    std::string line;
    while (std::getline(detail, line)) std::cout << "│ " << line << "\n";
    std::cout << "╵\n";
  }
}

int RunRead(int argc, char** argv) {
  std::string url, engine = "postgresql";
  LaunchFlags launch;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--url") {
      url = next();
    } else if (a == "--engine") {
      engine = next();
    } else if (!ParseLaunchFlag(a, next, &launch)) {
      Usage();
      return 2;
    }
  }
  if (url.empty() || (launch.protocol != 5 && launch.protocol != 6)) {
    Usage();
    return 2;
  }
  const char* pw = std::getenv("TPD_DEMO_PASSWORD");

  TerraformOptions options = OptionsFor(launch);
  Terraform tf(options);

  // The data source config needs the schema's type; read it through a short schema walk like
  // Terraform's first process.
  auto schema_proc = ProviderProcess::Launch(options.launch);
  if (!schema_proc.ok()) {
    std::cerr << "Error: Failed to load plugin schemas: " << schema_proc.status().message() << "\n";
    return 1;
  }
  TerraformClient sc((*schema_proc)->channel(), (*schema_proc)->handshake().app_version);
  SchemaResult sr = sc.GetSchema();
  auto sd = (*schema_proc)->Shutdown();
  (void)sd;
  if (sr.HasError() || !sr.core_errors.empty() || !sr.schemas.data_sources.count("database_instance")) {
    PrintDiags(sr.diags);
    std::cerr << "Error: the provider does not offer data source database_instance\n";
    return 1;
  }
  const schema::Block& block = sr.schemas.data_sources.at("database_instance").block;
  std::map<std::string, Value> attrs{{"engine", Value::String(engine)}, {"url", Value::String(url)}};
  if (pw != nullptr && *pw != '\0') attrs["password"] = Value::String(pw);
  Value config = Value::Object(block.ImpliedType(), attrs);

  std::cout << "data.database_instance.this: Reading...\n" << std::flush;
  auto start = std::chrono::steady_clock::now();
  DataRead r = tf.ReadData("database_instance", config);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
  if (!r.launch.ok()) {
    std::cerr << "Error: " << r.launch.message() << "\n";
    return 1;
  }
  PrintDiags(r.diags);
  for (const auto& e : r.core_errors) std::cout << "(terraform core check) " << e << "\n";
  if (r.HasError() || !r.core_errors.empty()) return 1;
  std::string id = r.state.IsNull() ? "" : r.state.GetAttr("id").OptString().value_or("");
  std::cout << "data.database_instance.this: Read complete after " << secs << "s [id=" << id << "]\n\n";
  std::cout << "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.\n\nOutputs:\n\n";
  // Show every attribute like an output `instance = data.database_instance.this`; sensitive ones are
  // redacted exactly as Terraform does.
  std::string out = "instance = {\n";
  // Terraform renders object attributes sorted by name.
  std::vector<const schema::Attribute*> attrs_sorted;
  for (const auto& a : block.attributes) attrs_sorted.push_back(&a);
  std::sort(attrs_sorted.begin(), attrs_sorted.end(),
            [](const schema::Attribute* x, const schema::Attribute* y) { return x->name < y->name; });
  size_t width = 0;
  for (const auto* a : attrs_sorted) width = std::max(width, a->name.size());
  for (const auto* ap : attrs_sorted) {
    const schema::Attribute& a = *ap;
    const Value& v = r.state.GetAttr(a.name);
    out += "  " + a.name + std::string(width - a.name.size(), ' ') + " = " +
           (a.sensitive && !v.IsNull() ? std::string("(sensitive value)") : Render(v, 2)) + "\n";
  }
  out += "}\n";
  std::cout << out << std::flush;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// `tpd-acc-run upgrade`: plan, apply and plan again one database_upgrade, like `terraform plan`,
// `terraform apply -auto-approve` and `terraform plan -detailed-exitcode` on examples/demo.

constexpr char kUpgradeAddress[] = "database_upgrade.demo";

void UpgradeUsage() {
  std::cerr << "usage: TPD_DEMO_SOURCE_PASSWORD=... TPD_DEMO_TARGET_PASSWORD=... tpd-acc-run upgrade\n"
               "           --source-url URL --target-url URL [--backup-dir DIR] [--work-dir DIR]\n"
               "           [--target-version 17] [--strategy auto] [--max-downtime 5m]\n"
               "           [--protocol 6|5] [--provider PATH] [--no-tls]\n";
}

// A multi-line string as Terraform shows it (heredoc), otherwise Render().
std::string RenderValue(const Value& v, int indent, bool sensitive) {
  if (sensitive && !v.IsNull()) return "(sensitive value)";
  if (v.IsKnown() && !v.IsNull() && v.type().kind() == schema::Type::Kind::kString &&
      v.AsString().find('\n') != std::string::npos) {
    // Top level (an output): <<EOT with the text as is; nested: <<-EOT indented.
    std::string pad(static_cast<size_t>(indent), ' ');
    std::string out = indent == 0 ? "<<EOT\n" : "<<-EOT\n";
    std::istringstream lines(v.AsString());
    std::string line;
    while (std::getline(lines, line)) out += (indent == 0 ? "" : pad + "    ") + line + "\n";
    return out + pad + "EOT";
  }
  return Render(v, indent);
}

// A list shown in a create diff: every element prefixed with "+".
std::string RenderCreateList(const Value& v, int indent) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (v.Elements().empty()) return "[]";
  std::string out = "[\n";
  for (const Value& e : v.Elements()) out += pad + "    + " + Render(e, indent + 4) + ",\n";
  return out + pad + "  ]";
}

// The body of a block in a create diff ("+ name = value" lines, then nested blocks), like
// Terraform's plan renderer: null attributes are left out, names are aligned, sensitive values hidden.
void RenderCreateBody(const schema::Block& block, const Value& v, int indent, std::string* out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  std::vector<const schema::Attribute*> shown;
  for (const auto& a : block.attributes) {
    if (!v.GetAttr(a.name).IsNull()) shown.push_back(&a);
  }
  std::sort(shown.begin(), shown.end(),
            [](const schema::Attribute* x, const schema::Attribute* y) { return x->name < y->name; });
  size_t width = 0;
  for (const auto* a : shown) width = std::max(width, a->name.size());
  for (const auto* a : shown) {
    const Value& av = v.GetAttr(a->name);
    std::string text;
    const auto kind = av.type().kind();
    if (!a->sensitive && av.IsKnown() && (kind == schema::Type::Kind::kList || kind == schema::Type::Kind::kSet)) {
      text = RenderCreateList(av, indent);
    } else {
      text = RenderValue(av, indent + 2, a->sensitive);
    }
    *out += pad + "+ " + a->name + std::string(width - a->name.size(), ' ') + " = " + text + "\n";
  }
  // Nested blocks follow, sorted by name like Terraform's renderer.
  std::vector<const schema::NestedBlock*> blocks;
  for (const auto& nb : block.block_types) blocks.push_back(&nb);
  std::sort(blocks.begin(), blocks.end(), [](const schema::NestedBlock* x, const schema::NestedBlock* y) {
    return x->type_name < y->type_name;
  });
  for (const auto* nbp : blocks) {
    const schema::NestedBlock& nb = *nbp;
    const Value& bv = v.GetAttr(nb.type_name);
    if (bv.IsNull() || !bv.IsKnown()) continue;
    std::vector<Value> items;
    if (nb.nesting == schema::NestingMode::kSingle || nb.nesting == schema::NestingMode::kGroup) {
      items.push_back(bv);
    } else if (nb.nesting == schema::NestingMode::kList || nb.nesting == schema::NestingMode::kSet) {
      items = bv.Elements();
    }
    for (const Value& item : items) {
      *out += "\n" + pad + "+ " + nb.type_name + " {\n";
      RenderCreateBody(nb.block, item, indent + 4, out);
      *out += pad + "  }\n";
    }
  }
}

std::string IdOf(const Value& state) {
  if (state.IsNull() || !state.IsKnown()) return "";
  const Value& id = state.GetAttr("id");
  return id.IsKnown() && !id.IsNull() ? id.AsString() : "";
}

// What examples/demo/main.tf outputs, in Terraform's order (sorted by name).
void PrintOutputs(const Value& state, const schema::Block& block) {
  static const char* const kOutputs[] = {"active_url",       "backup_path",    "decision",
                                         "estimated_downtime_seconds", "measured_downtime_seconds",
                                         "planned_strategy", "upgrade_path",   "verification"};
  std::cout << "Outputs:\n\n";
  for (const char* name : kOutputs) {
    const schema::Attribute* a = block.FindAttribute(name);
    if (a == nullptr) continue;
    std::cout << name << " = " << RenderValue(state.GetAttr(name), 0, a->sensitive) << "\n";
  }
}

// Exit code of a walk that failed: prints Terraform's error output. Returns true when it failed.
bool Failed(const WalkResult& r) {
  if (!r.launch.ok()) {
    std::cout << "╷\n│ Error: Failed to load plugin\n│\n│ " << r.launch.message() << "\n╵\n";
    return true;
  }
  PrintDiags(r.diags, kUpgradeAddress);
  for (const auto& e : r.core_errors) std::cout << "(terraform core check) " << e << "\n";
  return r.HasError() || !r.core_errors.empty();
}

int RunUpgrade(int argc, char** argv) {
  std::string source_url, target_url, backup_dir, work_dir;
  std::string target_version = "17", strategy = "auto", max_downtime = "5m";
  LaunchFlags launch;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        UpgradeUsage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--source-url") {
      source_url = next();
    } else if (a == "--target-url") {
      target_url = next();
    } else if (a == "--backup-dir") {
      backup_dir = next();
    } else if (a == "--work-dir") {
      work_dir = next();
    } else if (a == "--target-version") {
      target_version = next();
    } else if (a == "--strategy") {
      strategy = next();
    } else if (a == "--max-downtime") {
      max_downtime = next();
    } else if (!ParseLaunchFlag(a, next, &launch)) {
      UpgradeUsage();
      return 2;
    }
  }
  if (source_url.empty() || target_url.empty() || (launch.protocol != 5 && launch.protocol != 6)) {
    UpgradeUsage();
    return 2;
  }
  auto env_or_null = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? Value::String(v) : Value::Null(schema::Type::String());
  };

  TerraformOptions options = OptionsFor(launch);

  // Schemas first (Terraform's own first process), to build the configuration values.
  auto schema_proc = ProviderProcess::Launch(options.launch);
  if (!schema_proc.ok()) {
    std::cout << "╷\n│ Error: Failed to load plugin schemas\n│\n│ " << schema_proc.status().message() << "\n╵\n";
    return 1;
  }
  TerraformClient sc((*schema_proc)->channel(), (*schema_proc)->handshake().app_version);
  SchemaResult sr = sc.GetSchema();
  (void)(*schema_proc)->Shutdown();
  if (sr.HasError() || !sr.core_errors.empty() || !sr.schemas.resources.count("database_upgrade")) {
    PrintDiags(sr.diags, kUpgradeAddress);
    std::cout << "Error: the provider does not offer resource database_upgrade\n";
    return 1;
  }
  const schema::Block& block = sr.schemas.resources.at("database_upgrade").block;
  auto nested = [&](const char* name, std::map<std::string, Value> attrs) {
    return Value::Object(block.FindBlock(name)->block.ImpliedType(), std::move(attrs));
  };
  std::map<std::string, Value> attrs{
      {"engine", Value::String("postgresql")},
      {"target_version", Value::String(target_version)},
      {"strategy", Value::String(strategy)},
      {"max_downtime", Value::String(max_downtime)},
      {"source", nested("source", {{"url", Value::String(source_url)},
                                   {"password", env_or_null("TPD_DEMO_SOURCE_PASSWORD")}})},
      {"target", nested("target", {{"url", Value::String(target_url)},
                                   {"password", env_or_null("TPD_DEMO_TARGET_PASSWORD")}})},
  };
  if (!backup_dir.empty()) attrs["backup"] = nested("backup", {{"dir", Value::String(backup_dir)}});
  const Value config = Value::Object(block.ImpliedType(), std::move(attrs));
  std::map<std::string, Value> provider_attrs;
  if (!work_dir.empty()) provider_attrs["work_dir"] = Value::String(work_dir);
  options.provider_config = Value::Object(sr.schemas.provider.block.ImpliedType(), std::move(provider_attrs));
  Terraform tf(options);

  // 1. terraform plan
  std::cout << "$ terraform plan\n\n" << std::flush;
  ResourcePlan plan = tf.Plan("database_upgrade", config, std::nullopt);
  if (Failed(plan)) return 1;
  if (plan.action != Action::kCreate) {
    std::cout << "Error: expected a plan to create " << kUpgradeAddress << ", got " << ActionName(plan.action) << "\n";
    return 1;
  }
  std::string body;
  RenderCreateBody(block, plan.planned, 6, &body);
  std::cout << "Terraform used the selected providers to generate the following execution plan. Resource\n"
               "actions are indicated with the following symbols:\n  + create\n\n"
               "Terraform will perform the following actions:\n\n"
            << "  # " << kUpgradeAddress << " will be created\n"
            << "  + resource \"database_upgrade\" \"demo\" {\n"
            << body << "    }\n\n"
            << "Plan: 1 to add, 0 to change, 0 to destroy.\n\n"
            << std::flush;

  // 2. terraform apply -auto-approve (its own plan walk, then the apply walk)
  std::cout << "$ terraform apply -auto-approve\n\n" << kUpgradeAddress << ": Creating...\n" << std::flush;
  auto start = std::chrono::steady_clock::now();
  ApplyOutcome applied = tf.Apply("database_upgrade", config, std::nullopt);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
  if (Failed(applied)) return 1;
  if (!applied.state.has_value()) {
    std::cout << "Error: the apply left no object in the state\n";
    return 1;
  }
  std::cout << kUpgradeAddress << ": Creation complete after " << secs << "s [id=" << IdOf(applied.new_state)
            << "]\n\nApply complete! Resources: 1 added, 0 changed, 0 destroyed.\n\n";
  PrintOutputs(applied.new_state, block);
  std::cout << "\n" << std::flush;

  // 3. terraform plan -detailed-exitcode against the new state
  std::cout << "$ terraform plan -detailed-exitcode\n\n"
            << kUpgradeAddress << ": Refreshing state... [id=" << IdOf(applied.new_state) << "]\n\n"
            << std::flush;
  ResourcePlan again = tf.Plan("database_upgrade", config, applied.state);
  if (Failed(again)) return 1;
  if (again.action != Action::kNoOp) {
    std::cout << "Plan: the second plan wants to " << ActionName(again.action) << " " << kUpgradeAddress
              << " (expected no changes)\n";
    return 3;
  }
  std::cout << "No changes. Your infrastructure matches the configuration.\n\n"
               "Terraform has compared your real infrastructure against your configuration and found no\n"
               "differences, so no changes are needed.\n"
            << std::flush;
  return 0;
}

}  // namespace
}  // namespace tpd::acceptance

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "upgrade") return tpd::acceptance::RunUpgrade(argc - 1, argv + 1);
  return tpd::acceptance::RunRead(argc, argv);
}
