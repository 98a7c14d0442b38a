#include "provider/cli_docs.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "provider/cli.h"
#include "provider/registry.h"

namespace tpd::provider::docs {
namespace {

namespace fs = std::filesystem;
using schema::Attribute;
using schema::Block;
using schema::NestedBlock;
using schema::NestingMode;
using schema::Type;

Attribute Attr(std::string name, Type type, std::string desc, bool required, bool optional, bool computed) {
  Attribute a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.description = std::move(desc);
  a.required = required;
  a.optional = optional;
  a.computed = computed;
  return a;
}

// A small schema exercising every group, sensitivity, nesting and sorting.
schema::Schema FakeSchema() {
  schema::Schema s;
  s.block.description = "A fake thing.\nSecond line.";
  s.block.attributes.push_back(Attr("zeta", Type::String(), "Required string.", true, false, false));
  s.block.attributes.push_back(Attr("alpha", Type::Number(), "Required number.", true, false, false));
  s.block.attributes.push_back(Attr("mode", Type::String(), "Optional with default.", false, true, true));
  s.block.attributes.push_back(Attr("status", Type::String(), "Computed only.", false, false, true));
  s.block.attributes.push_back(Attr("tags", Type::Map(Type::String()), "Tags.", false, true, false));
  s.block.attributes.push_back(Attr("ids", Type::List(Type::Number()), "Ids.", false, false, true));
  NestedBlock source;
  source.type_name = "source";
  source.nesting = NestingMode::kSingle;
  source.min_items = 1;
  source.max_items = 1;
  source.block.description = "The source.";
  source.block.attributes.push_back(Attr("url", Type::String(), "URL.", true, false, false));
  Attribute pw = Attr("password", Type::String(), "Password.", false, true, false);
  pw.sensitive = true;
  source.block.attributes.push_back(pw);
  NestedBlock inner;
  inner.type_name = "tls";
  inner.nesting = NestingMode::kList;
  inner.max_items = 2;
  inner.block.description = "TLS files.";
  inner.block.attributes.push_back(Attr("ca", Type::Bool(), "CA.", false, true, false));
  source.block.block_types.push_back(inner);
  s.block.block_types.push_back(source);
  NestedBlock timeouts;
  timeouts.type_name = "timeouts";
  timeouts.block.description = "Time limits.";
  timeouts.block.attributes.push_back(Attr("create", Type::String(), "Create limit.", false, true, false));
  s.block.block_types.push_back(timeouts);
  return s;
}

class FakeResource final : public resources::Resource {
 public:
  std::string TypeName() const override { return "fake_thing"; }
  const schema::Schema& GetSchema() const override {
    static const schema::Schema s = FakeSchema();
    return s;
  }
  void Plan(const resources::CallContext&, const resources::PlanRequest&, resources::PlanResponse*,
            schema::Diagnostics*) const override {}
  void Apply(const resources::CallContext&, const resources::ApplyRequest&, resources::ApplyResponse*,
             schema::Diagnostics*) const override {}
  void Read(const resources::CallContext&, const resources::ReadRequest&, resources::ReadResponse*,
            schema::Diagnostics*) const override {}
  void Delete(const resources::CallContext&, const schema::Value&, schema::Diagnostics*) const override {}
  void Import(const resources::CallContext&, std::string_view, schema::Value*, schema::Diagnostics*) const override {}
};

class FakeDataSource final : public resources::DataSource {
 public:
  std::string TypeName() const override { return "fake_info"; }
  const schema::Schema& GetSchema() const override {
    static const schema::Schema s = [] {
      schema::Schema x;
      x.block.description = "Reads info.";
      x.block.attributes.push_back(Attr("url", Type::String(), "Where.", true, false, false));
      x.block.attributes.push_back(Attr("version", Type::String(), "What.", false, false, true));
      return x;
    }();
    return s;
  }
  schema::Value Read(const resources::CallContext&, const schema::Value& config, schema::Diagnostics*) const override {
    return config;
  }
};

ProviderDefinition FakeDefinition() {
  ProviderDefinition def;
  def.provider_schema.block.description = "The fake provider.";
  def.provider_schema.block.attributes.push_back(Attr("work_dir", Type::String(), "Work dir.", false, true, false));
  def.resources.push_back(std::make_unique<FakeResource>());
  def.data_sources.push_back(std::make_unique<FakeDataSource>());
  return def;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tpd-docs-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("TypeLabel: names types like the Terraform registry when given each kind", "[provider]") {
  CHECK(TypeLabel(Type::String()) == "String");
  CHECK(TypeLabel(Type::Number()) == "Number");
  CHECK(TypeLabel(Type::Bool()) == "Boolean");
  CHECK(TypeLabel(Type::Dynamic()) == "Dynamic");
  CHECK(TypeLabel(Type::List(Type::String())) == "List of String");
  CHECK(TypeLabel(Type::Set(Type::List(Type::Number()))) == "Set of List of Number");
  CHECK(TypeLabel(Type::Map(Type::Bool())) == "Map of Boolean");
  CHECK(TypeLabel(Type::Object({{"a", Type::String()}})) == "Object");
}

TEST_CASE("RenderSchemaMarkdown: groups Required/Optional/Read-Only and nests blocks when given a schema",
          "[provider]") {
  const std::string expected =
      "## Schema\n"
      "\n### Required\n\n"
      "- `alpha` (Number) Required number.\n"
      "- `source` (Block, Required) The source. (see [below for nested schema](#nestedblock--source))\n"
      "- `zeta` (String) Required string.\n"
      "\n### Optional\n\n"
      "- `mode` (String) Optional with default.\n"
      "- `tags` (Map of String) Tags.\n"
      "- `timeouts` (Block, Optional) Time limits. (see [below for nested schema](#nestedblock--timeouts))\n"
      "\n### Read-Only\n\n"
      "- `ids` (List of Number) Ids.\n"
      "- `status` (String) Computed only.\n"
      "\n<a id=\"nestedblock--source\"></a>\n### Nested Schema for `source`\n"
      "\nRequired:\n\n"
      "- `url` (String) URL.\n"
      "\nOptional:\n\n"
      "- `password` (String, Sensitive) Password.\n"
      "- `tls` (Block List, Max: 2) TLS files. (see [below for nested schema](#nestedblock--source--tls))\n"
      "\n<a id=\"nestedblock--timeouts\"></a>\n### Nested Schema for `timeouts`\n"
      "\nOptional:\n\n"
      "- `create` (String) Create limit.\n"
      "\n<a id=\"nestedblock--source--tls\"></a>\n### Nested Schema for `source.tls`\n"
      "\nOptional:\n\n"
      "- `ca` (Boolean) CA.\n";
  CHECK(RenderSchemaMarkdown(FakeSchema().block) == expected);
}

TEST_CASE("RenderSchemaMarkdown: indents continuation lines of a multi-line description", "[provider]") {
  Block b;
  b.attributes.push_back(Attr("x", Type::String(), "First.\nSecond.", true, false, false));
  CHECK(RenderSchemaMarkdown(b) == "## Schema\n\n### Required\n\n- `x` (String) First.\n  Second.\n");
}

TEST_CASE("RenderPage: writes front matter, example, schema and import when given a resource", "[provider]") {
  schema::Schema s = FakeSchema();
  PageInput in;
  in.name = "fake_thing";
  in.kind = "Resource";
  in.schema = &s;
  in.example = "resource \"fake_thing\" \"x\" {}\n\n\n";
  in.import_example = "terraform import fake_thing.x id\n";
  Result<std::string> page = RenderPage(in);
  REQUIRE(page.ok());
  const std::string head =
      "---\n"
      "page_title: \"fake_thing Resource - terraform-provider-database\"\n"
      "subcategory: \"\"\n"
      "description: |-\n"
      "  A fake thing.\n"
      "  Second line.\n"
      "---\n"
      "\n"
      "# fake_thing (Resource)\n"
      "\n"
      "A fake thing.\nSecond line.\n"
      "\n"
      "## Example Usage\n"
      "\n"
      "```terraform\n"
      "resource \"fake_thing\" \"x\" {}\n"
      "```\n"
      "\n"
      "## Schema\n";
  CHECK(page->substr(0, head.size()) == head);
  const std::string tail =
      "- `ca` (Boolean) CA.\n"
      "\n"
      "## Import\n"
      "\n"
      "Import is supported using the following syntax:\n"
      "\n"
      "```shell\n"
      "terraform import fake_thing.x id\n"
      "```\n";
  REQUIRE(page->size() > tail.size());
  CHECK(page->substr(page->size() - tail.size()) == tail);
  CHECK(page->find("\n\n\n") == std::string::npos);

  SECTION("no example and no import leave their sections out") {
    in.example.clear();
    in.import_example.clear();
    Result<std::string> bare = RenderPage(in);
    REQUIRE(bare.ok());
    CHECK(bare->find("## Example Usage") == std::string::npos);
    CHECK(bare->find("## Import") == std::string::npos);
    CHECK(bare->back() == '\n');
    CHECK(bare->find("\n\n\n") == std::string::npos);
  }
  SECTION("a data source page never has an import section") {
    in.kind = "Data Source";
    Result<std::string> ds = RenderPage(in);
    REQUIRE(ds.ok());
    CHECK(ds->find("# fake_thing (Data Source)") != std::string::npos);
    CHECK(ds->find("## Import") == std::string::npos);
  }
}

TEST_CASE("RenderPage: fills a template and refuses unknown placeholders", "[provider]") {
  schema::Schema s = FakeSchema();
  PageInput in;
  in.name = "fake_thing";
  in.kind = "Resource";
  in.schema = &s;
  in.tmpl = "# {{ .Name }} ({{.Type}})\n\nNotes by hand.\n\n{{ .SchemaMarkdown }}";
  Result<std::string> page = RenderPage(in);
  REQUIRE(page.ok());
  CHECK(page->rfind("# fake_thing (Resource)\n\nNotes by hand.\n\n## Schema\n", 0) == 0);

  in.tmpl = "{{ .Nmae }}";
  Result<std::string> typo = RenderPage(in);
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().IsInvalidArgument());
  CHECK(typo.status().message().find(".Nmae") != std::string::npos);

  in.tmpl = "{{ .Name ";
  CHECK_FALSE(RenderPage(in).ok());
}

TEST_CASE("RenderProviderDocs: one page per registered type with its example files", "[provider]") {
  TempDir dir;
  WriteFile(dir.path / "examples/provider/provider.tf", "provider \"database\" {}\n");
  WriteFile(dir.path / "examples/resources/fake_thing/resource.tf", "resource \"fake_thing\" \"a\" {}\n");
  WriteFile(dir.path / "examples/resources/fake_thing/import.sh", "terraform import fake_thing.a X\n");
  WriteFile(dir.path / "examples/data-sources/fake_info/data-source.tf", "data \"fake_info\" \"b\" {}\n");
  DocsOptions opts;
  opts.out_dir = (dir.path / "docs").string();
  opts.examples_dir = (dir.path / "examples").string();
  opts.templates_dir = (dir.path / "templates").string();

  ProviderDefinition def = FakeDefinition();
  Result<std::vector<DocPage>> pages = RenderProviderDocs(def, opts);
  REQUIRE(pages.ok());
  REQUIRE(pages->size() == 3);
  CHECK((*pages)[0].path == "data-sources/fake_info.md");
  CHECK((*pages)[1].path == "index.md");
  CHECK((*pages)[2].path == "resources/fake_thing.md");
  CHECK((*pages)[0].content.find("data \"fake_info\" \"b\" {}") != std::string::npos);
  CHECK((*pages)[1].content.find("# database Provider") != std::string::npos);
  CHECK((*pages)[1].content.find("provider \"database\" {}") != std::string::npos);
  CHECK((*pages)[1].content.find("- `work_dir` (String) Work dir.") != std::string::npos);
  CHECK((*pages)[2].content.find("terraform import fake_thing.a X") != std::string::npos);

  SECTION("the output is the same on every run") {
    Result<std::vector<DocPage>> again = RenderProviderDocs(def, opts);
    REQUIRE(again.ok());
    for (size_t i = 0; i < pages->size(); ++i) CHECK((*again)[i].content == (*pages)[i].content);
  }
  SECTION("a template replaces the built-in layout; a broken one names its file") {
    WriteFile(dir.path / "templates/resources/fake_thing.md.tmpl", "custom {{ .Name }}\n");
    Result<std::vector<DocPage>> t = RenderProviderDocs(def, opts);
    REQUIRE(t.ok());
    CHECK((*t)[2].content == "custom fake_thing\n");
    WriteFile(dir.path / "templates/resources/fake_thing.md.tmpl", "{{ .Bad }}\n");
    Result<std::vector<DocPage>> bad = RenderProviderDocs(def, opts);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("fake_thing.md.tmpl") != std::string::npos);
  }
  SECTION("WriteDocs writes the pages, removes stale pages and keeps other files") {
    WriteFile(dir.path / "docs/resources/gone.md", "old\n");
    WriteFile(dir.path / "docs/explain.md", "hand-written\n");
    REQUIRE(WriteDocs(*pages, opts).ok());
    CHECK(ReadFile(dir.path / "docs/index.md") == (*pages)[1].content);
    CHECK(ReadFile(dir.path / "docs/resources/fake_thing.md") == (*pages)[2].content);
    CHECK(ReadFile(dir.path / "docs/data-sources/fake_info.md") == (*pages)[0].content);
    CHECK_FALSE(fs::exists(dir.path / "docs/resources/gone.md"));
    CHECK(ReadFile(dir.path / "docs/explain.md") == "hand-written\n");
  }
}

TEST_CASE("RunDocsCommand: writes the registered provider's docs and rejects unknown flags", "[provider]") {
  TempDir dir;
  std::ostringstream out, err;
  SECTION("unknown flag") {
    CHECK(RunDocsCommand({"--bogus"}, out, err) == 2);
    CHECK(err.str().find("unknown argument") != std::string::npos);
  }
  SECTION("missing value") {
    CHECK(RunDocsCommand({"--dir"}, out, err) == 2);
  }
  SECTION("help") {
    CHECK(RunDocsCommand({"--help"}, out, err) == 0);
    CHECK(out.str().find("usage:") != std::string::npos);
  }
  SECTION("writes index and one page per registered type") {
    const std::string docs = (dir.path / "out").string();
    int rc = RunDocsCommand({"--dir", docs, "--examples", (dir.path / "none").string(), "--templates",
                             (dir.path / "none").string()},
                            out, err);
    INFO(err.str());
    REQUIRE(rc == 0);
    CHECK(fs::exists(dir.path / "out/index.md"));
    const std::string ds = ReadFile(dir.path / "out/data-sources/database_instance.md");
    CHECK(ds.find("# database_instance (Data Source)") != std::string::npos);
    CHECK(ds.find("- `password` (String, Sensitive)") != std::string::npos);
    ProviderDefinition def = BuiltinProviderDefinition();
    for (const auto& r : def.resources) {
      INFO(r->TypeName());
      CHECK(fs::exists(dir.path / "out/resources" / (r->TypeName() + ".md")));
    }
  }
}

}  // namespace
}  // namespace tpd::provider::docs
