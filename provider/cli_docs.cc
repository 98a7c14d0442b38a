#include "provider/cli_docs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "provider/cli.h"
#include "provider/registry.h"

namespace tpd::provider {
namespace docs {
namespace {

namespace fs = std::filesystem;
using schema::Attribute;
using schema::Block;
using schema::NestedBlock;
using schema::NestingMode;
using schema::Type;

std::string TrimTrailing(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

// Descriptions are plain text; Markdown needs no escaping except that a description spanning
// lines must stay inside its list item, so continuation lines are indented.
std::string ListText(const std::string& text) {
  std::string out;
  for (char c : TrimTrailing(text)) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

bool AllComputedOnly(const Block& b) {
  for (const Attribute& a : b.attributes) {
    if (!(a.computed && !a.required && !a.optional)) return false;
  }
  for (const NestedBlock& nb : b.block_types) {
    if (!AllComputedOnly(nb.block)) return false;
  }
  return !b.attributes.empty() || !b.block_types.empty();
}

enum class Group { kRequired, kOptional, kReadOnly };

Group GroupOf(const Attribute& a) {
  if (a.required) return Group::kRequired;
  if (a.optional) return Group::kOptional;
  return Group::kReadOnly;
}

Group GroupOf(const NestedBlock& nb) {
  if (AllComputedOnly(nb.block)) return Group::kReadOnly;
  if (nb.min_items > 0) return Group::kRequired;
  return Group::kOptional;
}

std::string Anchor(const std::string& path) {
  std::string a = "nestedblock--";
  for (char c : path) a += (c == '.') ? std::string("--") : std::string(1, c);
  return a;
}

std::string BlockLabel(const NestedBlock& nb) {
  std::string label;
  switch (nb.nesting) {
    case NestingMode::kList: label = "Block List"; break;
    case NestingMode::kSet: label = "Block Set"; break;
    case NestingMode::kMap: label = "Block Map"; break;
    default: label = "Block"; break;
  }
  if (nb.nesting == NestingMode::kList || nb.nesting == NestingMode::kSet) {
    if (nb.min_items > 0) label += ", Min: " + std::to_string(nb.min_items);
    if (nb.max_items > 0) label += ", Max: " + std::to_string(nb.max_items);
  } else {
    label += nb.min_items > 0 ? ", Required" : ", Optional";
  }
  if (nb.block.deprecated) label += ", Deprecated";
  return label;
}

struct Item {
  std::string name;
  std::string line;  // the rendered "- `name` (...) text" line
};

// Renders the grouped items of `block` whose path prefix is `path` ("" at the top). `top` selects
// "### Required" headings (top level) or "Required:" paragraphs (nested sections). Nested blocks
// are queued into `nested` for their own sections.
void RenderGroups(const Block& block, const std::string& path, bool top, std::ostringstream& out,
                  std::vector<std::pair<std::string, const Block*>>* nested) {
  std::map<Group, std::vector<Item>> groups;
  for (const Attribute& a : block.attributes) {
    std::string label = TypeLabel(a.type);
    if (a.sensitive) label += ", Sensitive";
    if (a.deprecated) label += ", Deprecated";
    std::string line = "- `" + a.name + "` (" + label + ")";
    std::string text = a.description;
    if (a.deprecated && !a.deprecation_message.empty()) text += (text.empty() ? "" : " ") + a.deprecation_message;
    if (!text.empty()) line += " " + ListText(text);
    groups[GroupOf(a)].push_back({a.name, line});
  }
  for (const NestedBlock& nb : block.block_types) {
    std::string child = path.empty() ? nb.type_name : path + "." + nb.type_name;
    std::string line = "- `" + nb.type_name + "` (" + BlockLabel(nb) + ")";
    if (!nb.block.description.empty()) line += " " + ListText(nb.block.description);
    line += " (see [below for nested schema](#" + Anchor(child) + "))";
    groups[GroupOf(nb)].push_back({nb.type_name, line});
    nested->push_back({child, &nb.block});
  }
  const std::pair<Group, const char*> order[] = {
      {Group::kRequired, "Required"}, {Group::kOptional, "Optional"}, {Group::kReadOnly, "Read-Only"}};
  for (const auto& [g, title] : order) {
    auto it = groups.find(g);
    if (it == groups.end() || it->second.empty()) continue;
    std::vector<Item>& items = it->second;
    std::stable_sort(items.begin(), items.end(), [](const Item& x, const Item& y) { return x.name < y.name; });
    out << "\n" << (top ? "### " : "") << title << (top ? "\n\n" : ":\n\n");
    for (const Item& item : items) out << item.line << "\n";
  }
}

std::string FrontMatterDescription(const std::string& description) {
  std::string text = TrimTrailing(description);
  std::string out = "description: |-\n";
  std::istringstream in(text);
  std::string line;
  bool any = false;
  while (std::getline(in, line)) {
    out += line.empty() ? "\n" : "  " + line + "\n";
    any = true;
  }
  if (!any) out += "  \n";
  return out;
}

std::string ExampleSection(const std::string& example, const std::string& language) {
  if (TrimTrailing(example).empty()) return "";
  return "## Example Usage\n\n```" + language + "\n" + TrimTrailing(example) + "\n```\n";
}

std::string ImportSection(const std::string& import_example) {
  if (TrimTrailing(import_example).empty()) return "";
  return "## Import\n\nImport is supported using the following syntax:\n\n```shell\n" + TrimTrailing(import_example) +
         "\n```\n";
}

// The built-in page layout, as a template with the same placeholders a user template may use.
std::string DefaultTemplate(const std::string& kind) {
  std::string title = kind == "Provider" ? "{{ .Name }} Provider" : "{{ .Name }} {{ .Type }} - terraform-provider-{{ .ProviderName }}";
  std::string heading = kind == "Provider" ? "# {{ .Name }} Provider" : "# {{ .Name }} ({{ .Type }})";
  return "---\npage_title: \"" + title + "\"\nsubcategory: \"\"\n{{ .FrontMatterDescription }}---\n\n" + heading +
         "\n\n{{ .Description }}\n\n{{ .Example }}\n{{ .SchemaMarkdown }}\n{{ .Import }}";
}

// Collapses runs of blank lines (left by empty sections) into one and ends with one newline.
std::string Tidy(const std::string& text) {
  std::string out;
  int newlines = 0;
  for (char c : text) {
    if (c == '\r') continue;
    if (c == '\n') {
      if (++newlines > 2) continue;
    } else {
      newlines = 0;
    }
    out += c;
  }
  return TrimTrailing(out) + "\n";
}

Result<std::string> ReadFileIfExists(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::string();
  if (!fs::is_regular_file(p, ec)) return Status::Internal("cannot read " + p.string() + ": not a regular file");
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::Internal("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Internal("cannot read " + p.string());
  return ss.str();
}

}  // namespace

std::string TypeLabel(const Type& type) {
  switch (type.kind()) {
    case Type::Kind::kString: return "String";
    case Type::Kind::kNumber: return "Number";
    case Type::Kind::kBool: return "Boolean";
    case Type::Kind::kDynamic: return "Dynamic";
    case Type::Kind::kList: return "List of " + TypeLabel(type.element());
    case Type::Kind::kSet: return "Set of " + TypeLabel(type.element());
    case Type::Kind::kMap: return "Map of " + TypeLabel(type.element());
    case Type::Kind::kObject: return "Object";
    case Type::Kind::kTuple: return "Tuple";
  }
  return "Dynamic";
}

std::string RenderSchemaMarkdown(const Block& block) {
  std::ostringstream out;
  out << "## Schema\n";
  std::vector<std::pair<std::string, const Block*>> queue;
  RenderGroups(block, "", /*top=*/true, out, &queue);
  // Breadth-first: first every top-level block, then their children; siblings sorted by name.
  auto by_path = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::stable_sort(queue.begin(), queue.end(), by_path);
  for (size_t i = 0; i < queue.size(); ++i) {
    const auto [path, nested] = queue[i];  // a copy: the queue grows below
    out << "\n<a id=\"" << Anchor(path) << "\"></a>\n### Nested Schema for `" << path << "`\n";
    std::vector<std::pair<std::string, const Block*>> children;
    RenderGroups(*nested, path, /*top=*/false, out, &children);
    std::stable_sort(children.begin(), children.end(), by_path);
    queue.insert(queue.end(), children.begin(), children.end());
  }
  return out.str();
}

Result<std::string> RenderPage(const PageInput& input) {
  if (input.schema == nullptr) return Status::InvalidArgument("RenderPage: no schema for " + input.name);
  const std::string description = TrimTrailing(input.schema->block.description);
  const std::map<std::string, std::string> values = {
      {".Name", input.name},
      {".Type", input.kind},
      {".ProviderName", kProviderName},
      {".Description", description},
      {".FrontMatterDescription", FrontMatterDescription(description)},
      {".SchemaMarkdown", RenderSchemaMarkdown(input.schema->block)},
      {".Example", ExampleSection(input.example, input.example_language)},
      {".Import", input.kind == "Resource" ? ImportSection(input.import_example) : std::string()},
  };
  const std::string tmpl = input.tmpl.empty() ? DefaultTemplate(input.kind) : input.tmpl;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) {
      out.append(tmpl, pos, std::string::npos);
      break;
    }
    out.append(tmpl, pos, open - pos);
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) {
      return Status::InvalidArgument("template for " + input.name + ": \"{{\" without \"}}\"");
    }
    std::string key = tmpl.substr(open + 2, close - open - 2);
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t") + 1);
    auto it = values.find(key);
    if (it == values.end()) {
      return Status::InvalidArgument("template for " + input.name + ": unknown placeholder {{ " + key +
                                     " }}; known: .Name, .Type, .ProviderName, .Description, .SchemaMarkdown, "
                                     ".Example, .Import, .FrontMatterDescription");
    }
    out += it->second;
    pos = close + 2;
  }
  return Tidy(out);
}

Result<std::vector<DocPage>> RenderProviderDocs(const ProviderDefinition& def, const DocsOptions& options) {
  const fs::path examples(options.examples_dir);
  const fs::path templates(options.templates_dir);
  std::vector<DocPage> pages;

  auto render = [&](PageInput in, const fs::path& tmpl_path, std::string out_path) -> Status {
    TPD_ASSIGN_OR_RETURN(in.tmpl, ReadFileIfExists(tmpl_path));
    Result<std::string> page = RenderPage(in);
    if (!page.ok()) return page.status().WithContext(tmpl_path.string());
    pages.push_back({std::move(out_path), std::move(page).value()});
    return Status::Ok();
  };

  {
    PageInput in;
    in.name = kProviderName;
    in.kind = "Provider";
    in.schema = &def.provider_schema;
    TPD_ASSIGN_OR_RETURN(in.example, ReadFileIfExists(examples / "provider" / "provider.tf"));
    TPD_RETURN_IF_ERROR(render(std::move(in), templates / "index.md.tmpl", "index.md"));
  }
  for (const auto& r : def.resources) {
    if (r == nullptr) continue;
    const std::string name = r->TypeName();
    PageInput in;
    in.name = name;
    in.kind = "Resource";
    in.schema = &r->GetSchema();
    TPD_ASSIGN_OR_RETURN(in.example, ReadFileIfExists(examples / "resources" / name / "resource.tf"));
    TPD_ASSIGN_OR_RETURN(in.import_example, ReadFileIfExists(examples / "resources" / name / "import.sh"));
    TPD_RETURN_IF_ERROR(
        render(std::move(in), templates / "resources" / (name + ".md.tmpl"), "resources/" + name + ".md"));
  }
  for (const auto& d : def.data_sources) {
    if (d == nullptr) continue;
    const std::string name = d->TypeName();
    PageInput in;
    in.name = name;
    in.kind = "Data Source";
    in.schema = &d->GetSchema();
    TPD_ASSIGN_OR_RETURN(in.example, ReadFileIfExists(examples / "data-sources" / name / "data-source.tf"));
    TPD_RETURN_IF_ERROR(
        render(std::move(in), templates / "data-sources" / (name + ".md.tmpl"), "data-sources/" + name + ".md"));
  }
  std::sort(pages.begin(), pages.end(), [](const DocPage& a, const DocPage& b) { return a.path < b.path; });
  return pages;
}

Status WriteDocs(const std::vector<DocPage>& pages, const DocsOptions& options) {
  const fs::path root(options.out_dir);
  std::set<fs::path> written;
  for (const DocPage& page : pages) {
    fs::path p = root / page.path;
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) return Status::Internal("cannot create directory " + p.parent_path().string() + ": " + ec.message());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << page.content;
    out.close();
    if (!out) return Status::Internal("cannot write " + p.string());
    written.insert(p.lexically_normal());
  }
  for (const char* sub : {"resources", "data-sources"}) {
    std::error_code ec;
    fs::path dir = root / sub;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> stale;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".md" &&
          written.count(entry.path().lexically_normal()) == 0) {
        stale.push_back(entry.path());
      }
    }
    if (ec) return Status::Internal("cannot list " + dir.string() + ": " + ec.message());
    for (const fs::path& p : stale) {
      fs::remove(p, ec);
      if (ec) return Status::Internal("cannot remove stale page " + p.string() + ": " + ec.message());
    }
  }
  return Status::Ok();
}

}  // namespace docs

int RunDocsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  docs::DocsOptions options;
  const char* usage =
      "usage: terraform-provider-database docs [--dir DIR] [--examples DIR] [--templates DIR]\n"
      "Writes Terraform registry docs (index.md, resources/*.md, data-sources/*.md) into DIR\n"
      "(default ./docs) from the registered schemas and the example files in ./examples.\n";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) -> bool {
      if (i + 1 >= args.size() || args[i + 1].empty()) {
        err << "docs: " << a << " needs a directory\n" << usage;
        return false;
      }
      *dst = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      out << usage;
      return 0;
    } else if (a == "--dir") {
      if (!value(&options.out_dir)) return 2;
    } else if (a == "--examples") {
      if (!value(&options.examples_dir)) return 2;
    } else if (a == "--templates") {
      if (!value(&options.templates_dir)) return 2;
    } else {
      err << "docs: unknown argument \"" << a << "\"\n" << usage;
      return 2;
    }
  }
  ProviderDefinition def = BuiltinProviderDefinition();
  Result<std::vector<docs::DocPage>> pages = docs::RenderProviderDocs(def, options);
  if (!pages.ok()) {
    err << "docs: " << pages.status().message() << "\n";
    return 1;
  }
  Status st = docs::WriteDocs(*pages, options);
  if (!st.ok()) {
    err << "docs: " << st.message() << "\n";
    return 1;
  }
  for (const docs::DocPage& p : *pages) out << "wrote " << (std::filesystem::path(options.out_dir) / p.path).string() << "\n";
  return 0;
}

}  // namespace tpd::provider
