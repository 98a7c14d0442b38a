// The `docs` sub-command's renderer: Terraform registry documentation (the layout tfplugindocs
// writes and registry.terraform.io reads) from the provider's own schemas and the examples/ files.
//
//   DIR/index.md                     the provider: description, example, provider block schema
//   DIR/resources/<type>.md          one per registered resource type
//   DIR/data-sources/<type>.md       one per registered data source
//
// Page content, in order: front matter (page_title, subcategory, description), "# <type>
// (Resource)" title, the schema block's description, "## Example Usage" with the example file (only
// when it exists), "## Schema" grouped into "### Required", "### Optional" and "### Read-Only"
// (attributes and blocks sorted by name; required = required attributes and blocks with
// min_items >= 1; read-only = computed-only attributes and blocks whose attributes are all
// computed-only), every item as "- `name` (Type[, Sensitive][, Deprecated]) description", then one
// "### Nested Schema for `path`" section per nested block (anchor "nestedblock--path--to--block")
// grouped the same way, and for resources "## Import" with import.sh (only when it exists).
//
// Example files, relative to the examples directory (tfplugindocs' conventions):
//   provider/provider.tf, resources/<type>/resource.tf, resources/<type>/import.sh,
//   data-sources/<type>/data-source.tf.
// Optional templates, relative to the templates directory: index.md.tmpl,
// resources/<type>.md.tmpl, data-sources/<type>.md.tmpl. A template is the whole page with these
// placeholders replaced: {{ .Name }}, {{ .Type }} ("Resource" / "Data Source" / "Provider"),
// {{ .Description }}, {{ .SchemaMarkdown }} (the "## Schema" part), {{ .Example }} (the "##
// Example Usage" part, empty without example), {{ .Import }} (the "## Import" part, empty without
// import.sh), {{ .ProviderName }}, {{ .FrontMatterDescription }} (the front matter's "description:
// |-" lines). Any other "{{" is an error (so a typo cannot ship).
//
// Output is deterministic: a function of schemas, examples and templates only (no dates, no
// paths, no map-order dependence), LF line endings, every page ending with exactly one newline.
//
// Thread-safety: pure functions except WriteDocs (file I/O) and RunDocsCommand (provider/cli.h).
#ifndef TPD_PROVIDER_CLI_DOCS_H_
#define TPD_PROVIDER_CLI_DOCS_H_

#include <string>
#include <string_view>
#include <vector>

#include "provider/framework.h"
#include "schema/schema.h"
#include "schema/status.h"

namespace tpd::provider::docs {

inline constexpr char kProviderName[] = "database";

struct DocsOptions {
  // Directory the pages are written to (created). Default "docs" (relative to the working dir).
  std::string out_dir = "docs";
  // Directory holding the example files. Default "examples".
  std::string examples_dir = "examples";
  // Directory holding optional templates. Default "templates"; a missing directory means none.
  std::string templates_dir = "templates";
};

// One page to write: `path` relative to DocsOptions::out_dir ("resources/database_replica.md").
struct DocPage {
  std::string path;
  std::string content;
};

// "String", "Number", "Boolean", "Dynamic", "List of String", "Map of Number", "Set of Object",
// "Object", "Tuple". Pure.
std::string TypeLabel(const schema::Type& type);

// The "## Schema" part of a page for `block` (Required / Optional / Read-Only and the nested block
// sections), ending with a newline. Pure.
std::string RenderSchemaMarkdown(const schema::Block& block);

// What a page is about: kind is "Resource", "Data Source" or "Provider".
struct PageInput {
  std::string name;       // "database_replica"; the provider name for the index page
  std::string kind;       // "Resource" | "Data Source" | "Provider"
  const schema::Schema* schema = nullptr;  // borrowed for the call; REQUIRES non-null
  std::string example;    // contents of the example file; empty = none
  std::string example_language = "terraform";
  std::string import_example;  // contents of import.sh; empty = none (resources only)
  std::string tmpl;       // template text; empty = the built-in layout
};

// The complete Markdown page. InvalidArgument when the template has an unknown placeholder or an
// unclosed "{{". Pure.
Result<std::string> RenderPage(const PageInput& input);

// Every page of `def` (index, one per resource and data source, sorted by path), reading example
// files and templates from `options` (missing files are simply left out). Reads files only.
// Errors: InvalidArgument from RenderPage (template problems, naming the template), Internal when
// an existing file cannot be read.
Result<std::vector<DocPage>> RenderProviderDocs(const ProviderDefinition& def, const DocsOptions& options);

// Writes `pages` under options.out_dir (directories created), replacing existing files, and deletes
// other "*.md" files in out_dir/resources and out_dir/data-sources (pages of types that no longer
// exist). Other files of out_dir are left alone. Internal (with the path) on any I/O failure.
Status WriteDocs(const std::vector<DocPage>& pages, const DocsOptions& options);

}  // namespace tpd::provider::docs

#endif  // TPD_PROVIDER_CLI_DOCS_H_
