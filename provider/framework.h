// The protocol-independent core of the provider: every RPC of tfplugin5/tfplugin6 as a plain C++
// method on schema::Value + schema::Diagnostics, served on top of resources::Resource and
// resources::DataSource (resources/resource.h), with Terraform core's rules enforced on everything a
// resource returns, so that no inconsistent plan or apply result ever reaches Terraform.
//
// The gRPC services (protocol5.cc, protocol6.cc) decode DynamicValues against the types this core
// reports, call one method per RPC and encode the answer; they hold no logic of their own.
//
// Rules enforced here (Terraform's, from internal/plans/objchange, see FACTS.md §5):
//  - Validate*Config / PlanResourceChange / ReadDataSource run every attribute validator on known
//    configured values (recursively into nested blocks) and attach the attribute path to errors.
//  - PlanResourceChange: a null config plans destroy (null) without calling the resource; null
//    optional+computed attributes with a schema default get the default before Resource::Plan;
//    requires_replace comes from schema::Attribute::requires_replace (prior vs planned, never on
//    create); the plan is checked with schema::AssertPlanValid and dropped on violation.
//  - ApplyResourceChange: a null planned state calls Resource::Delete; otherwise the result must be
//    wholly known, conform and be compatible with the plan (schema::AssertObjectCompatible).
//  - ReadResource / ImportResourceState / UpgradeResourceState / ReadDataSource: results must be
//    wholly known and conform; data sources must keep configured values.
// Violations become one error diagnostic whose summary names the check and whose detail lists every
// problem and says it is a bug in the provider.
//
// No method throws: exceptions from resources or libraries become error diagnostics.
//
// Thread-safety: every method may be called concurrently from any thread (Terraform runs up to 10
// RPCs at once). The registered objects are immutable after construction; the configured
// ProviderOptions are swapped under a mutex and handed to calls as shared snapshots.
#ifndef TPD_PROVIDER_FRAMEWORK_H_
#define TPD_PROVIDER_FRAMEWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resources/resource.h"
#include "schema/diagnostics.h"
#include "schema/path.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::provider {

// Everything the core serves. Built by registry.cc (the one list of resources and data sources) or by
// tests with fakes.
struct ProviderDefinition {
  // The provider block's schema. Default: an empty block.
  schema::Schema provider_schema;
  // Turns a (wholly known) provider config object into options with defaults filled. Unknown parts
  // of the config are replaced by null before the call. Default (unset): default ProviderOptions.
  std::function<Result<resources::ProviderOptions>(const schema::Value& config)> parse_options;
  std::vector<std::unique_ptr<resources::Resource>> resources;
  std::vector<std::unique_ptr<resources::DataSource>> data_sources;
};

// What GetMetadata/GetProviderSchema report besides schemas (ServerCapabilities).
struct ServerCapabilities {
  bool plan_destroy = true;                   // we plan destroy ourselves (null planned state)
  bool get_provider_schema_optional = false;  // safer: Terraform always asks
  bool move_resource_state = false;
  bool generate_resource_config = false;
};

// GetProviderSchema/GetSchema. Pointers borrow from the ProviderCore (live as long as it does).
// When the startup validation failed, only `diagnostics` is filled.
struct SchemaResponse {
  const schema::Schema* provider = nullptr;
  std::map<std::string, const schema::Schema*> resources;
  std::map<std::string, const schema::Schema*> data_sources;
  ServerCapabilities capabilities;
  schema::Diagnostics diagnostics;
};

struct MetadataResponse {
  std::vector<std::string> resources;
  std::vector<std::string> data_sources;
  ServerCapabilities capabilities;
  schema::Diagnostics diagnostics;
};

struct UpgradeStateResponse {
  schema::Value upgraded_state;  // null when nothing was stored or on error
  schema::Diagnostics diagnostics;
};

struct ReadResourceResponse {
  // Send only when `has_state`; otherwise (errors) the protocol layer echoes the current state and
  // private data, so nothing is lost whatever Terraform does with it.
  bool has_state = false;
  schema::Value new_state;
  std::string private_data;
  schema::Diagnostics diagnostics;
};

struct PlanResourceResponse {
  // Send only when `has_state`; false when the plan was refused (errors).
  bool has_state = false;
  schema::Value planned_state;
  std::vector<schema::AttributePath> requires_replace;
  std::string planned_private;
  schema::Diagnostics diagnostics;
};

struct ApplyResourceResponse {
  // Send only when `has_state`; when false Terraform keeps the prior state (nothing saved on create).
  // A result that is storable (wholly known, conforming) but breaks the plan is still sent, together
  // with the error, so that Terraform records what now exists (and taints a new object).
  bool has_state = false;
  schema::Value new_state;
  std::string private_data;
  schema::Diagnostics diagnostics;
};

struct ImportResourceResponse {
  // Empty on error; one entry otherwise.
  struct Imported {
    std::string type_name;
    schema::Value state;
    std::string private_data;
  };
  std::vector<Imported> imported;
  schema::Diagnostics diagnostics;
};

struct ReadDataSourceResponse {
  bool has_state = false;
  schema::Value state;
  schema::Diagnostics diagnostics;
};

class ProviderCore {
 public:
  // Validates every schema (schema::Block::Validate, type names, duplicates, versions). A failure does
  // not throw or abort: it becomes a startup error diagnostic returned by every RPC except Stop.
  explicit ProviderCore(ProviderDefinition definition);
  ProviderCore(const ProviderCore&) = delete;
  ProviderCore& operator=(const ProviderCore&) = delete;

  // ---- Lookups for the protocol layer (to decode DynamicValues). ----
  // nullptr when `type_name` is not registered.
  const schema::Schema& ProviderSchema() const { return definition_.provider_schema; }
  const schema::Schema* ResourceSchema(std::string_view type_name) const;
  const schema::Schema* DataSourceSchema(std::string_view type_name) const;
  // Error diagnostics of the startup validation (empty when all schemas are valid).
  const schema::Diagnostics& StartupDiagnostics() const { return startup_diags_; }
  // Adds the standard "unknown resource/data source type" error.
  static void AddUnknownType(std::string_view kind, std::string_view type_name, schema::Diagnostics* diags);

  // ---- RPCs. Every Value argument is already decoded against the matching schema's type. ----
  SchemaResponse GetProviderSchema() const;
  MetadataResponse GetMetadata() const;

  // Validator errors (with paths) plus ValidateConfig's diagnostics. `config` may hold unknowns.
  schema::Diagnostics ValidateProviderConfig(const schema::Value& config) const;
  schema::Diagnostics ValidateResourceConfig(std::string_view type_name, const schema::Value& config) const;
  schema::Diagnostics ValidateDataSourceConfig(std::string_view type_name, const schema::Value& config) const;

  // Parses options (unknown parts of `config` count as unset) and keeps them for later calls.
  schema::Diagnostics ConfigureProvider(const schema::Value& config);

  // `raw_json` is RawState.json; `has_flatmap` true when RawState.flatmap is non-empty (refused).
  UpgradeStateResponse UpgradeResourceState(std::string_view type_name, int64_t version,
                                            std::string_view raw_json, bool has_flatmap) const;
  ReadResourceResponse ReadResource(std::string_view type_name, const schema::Value& current_state,
                                    const std::string& private_data) const;
  PlanResourceResponse PlanResourceChange(std::string_view type_name, const schema::Value& prior_state,
                                          const schema::Value& proposed_new_state, const schema::Value& config,
                                          const std::string& prior_private) const;
  ApplyResourceResponse ApplyResourceChange(std::string_view type_name, const schema::Value& prior_state,
                                            const schema::Value& planned_state, const schema::Value& config,
                                            const std::string& planned_private) const;
  ImportResourceResponse ImportResourceState(std::string_view type_name, std::string_view id) const;
  ReadDataSourceResponse ReadDataSource(std::string_view type_name, const schema::Value& config) const;

  // StopProvider/Stop: sets the StopToken and returns at once. Never blocks, never fails.
  void Stop() { stop_.Stop(); }
  const resources::StopToken& stop_token() const { return stop_; }

  // The options in force (defaults until ConfigureProvider succeeded). Never null.
  std::shared_ptr<const resources::ProviderOptions> options() const;

 private:
  struct Context;  // CallContext plus the snapshot that keeps its options alive
  Context MakeContext() const;
  const resources::Resource* FindResource(std::string_view type_name) const;
  const resources::DataSource* FindDataSource(std::string_view type_name) const;
  // The resource (data source) an RPC for `type_name` is served by, or nullptr after adding to
  // `diags` what the RPC must answer instead: the startup schema errors, or "Unknown ... type".
  const resources::Resource* ResourceForRpc(std::string_view type_name, schema::Diagnostics* diags) const;
  const resources::DataSource* DataSourceForRpc(std::string_view type_name, schema::Diagnostics* diags) const;

  // Constant after construction.
  const ProviderDefinition definition_;
  std::map<std::string, const resources::Resource*, std::less<>> resources_;
  std::map<std::string, const resources::DataSource*, std::less<>> data_sources_;
  schema::Diagnostics startup_diags_;

  resources::StopToken stop_;  // atomic
  mutable std::mutex mu_;
  std::shared_ptr<const resources::ProviderOptions> options_;  // guarded by mu_
};

// ---- Checks, exposed for tests and for acceptance/. All are pure functions. ----

// Runs the validators of every attribute of `block` on the wholly known, non-null values of `value`,
// recursing into nested blocks. Each error becomes an error diagnostic (summary "Invalid attribute
// value", detail = validator message) with the attribute path (`base` + attribute; list index / map
// key for LIST/MAP block elements; the block itself for SET elements). A null `value` is skipped.
void RunValidators(const schema::Block& block, const schema::Value& value, const schema::AttributePath& base,
                   schema::Diagnostics* diags);

// Returns `proposed` with every null optional+computed attribute that has a default_value replaced by
// that default, recursively through nested blocks. A null or unknown `proposed` is returned as is.
schema::Value FillDefaults(const schema::Block& block, const schema::Value& proposed);

// Paths of attributes marked requires_replace whose `planned` value differs from `prior` (recursing
// into nested blocks; SET blocks are addressed as a whole). Empty when `prior` or `planned` is null.
std::vector<schema::AttributePath> RequiresReplacePaths(const schema::Block& block, const schema::Value& prior,
                                                        const schema::Value& planned);

// Problems where a data source result `state` does not keep a configured (non-null) `config` value,
// recursing into SINGLE/GROUP/LIST/MAP blocks. Empty when every configured value is kept.
std::vector<std::string> CheckConfiguredValuesKept(const schema::Block& block, const schema::Value& config,
                                                   const schema::Value& state);

// `config` with every value that is not wholly known replaced by null (recursing into SINGLE/GROUP
// blocks), so option parsing sees unknowns as unset.
schema::Value UnknownsToNull(const schema::Block& block, const schema::Value& config);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_FRAMEWORK_H_
