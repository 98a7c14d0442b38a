// tpd-acc-run: reads the database_instance data source through the real provider binary, the way
// `terraform apply` on examples/data-source-instance would, and prints what Terraform would print.
// Used by scripts/demo when neither terraform nor tofu is on PATH.
//
//   TPD_DEMO_PASSWORD=secret tpd-acc-run --url postgresql://postgres@127.0.0.1:5432/postgres
//       [--engine postgresql] [--protocol 6|5] [--provider PATH] [--no-tls]
//
// The password comes only from the environment (never argv, which other users can read).
// Exit code: 0 on success, 1 when Terraform would report an error, 2 on usage errors.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

void PrintDiags(const schema::Diagnostics& diags) {
  for (const auto& d : diags.items()) {
    bool err = d.severity == schema::Diagnostic::Severity::kError;
    std::cout << "╷\n│ " << (err ? "Error: " : "Warning: ") << d.summary << "\n│\n";
    if (d.attribute) std::cout << "│   with data.database_instance.this, on attribute " << d.attribute->ToString() << "\n│\n";
    std::istringstream detail(d.detail);
    std::string line;
    while (std::getline(detail, line)) std::cout << "│ " << line << "\n";
    std::cout << "╵\n";
  }
}

int Run(int argc, char** argv) {
  std::string url, engine = "postgresql", provider;
  int protocol = 6;
  bool tls = true;
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
    } else if (a == "--protocol") {
      protocol = std::atoi(next().c_str());
    } else if (a == "--provider") {
      provider = next();
    } else if (a == "--no-tls") {
      tls = false;
    } else {
      Usage();
      return 2;
    }
  }
  if (url.empty() || (protocol != 5 && protocol != 6)) {
    Usage();
    return 2;
  }
  if (provider.empty()) {
    const char* env = std::getenv("TPD_PROVIDER_BINARY");
    provider = env != nullptr && *env ? env : SelfDir() + "/../terraform-provider-database";
  }
  const char* pw = std::getenv("TPD_DEMO_PASSWORD");

  TerraformOptions options;
  options.launch.binary = provider;
  options.launch.protocol_versions = std::to_string(protocol);
  options.launch.tls = tls;
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

}  // namespace
}  // namespace tpd::acceptance

int main(int argc, char** argv) { return tpd::acceptance::Run(argc, argv); }
