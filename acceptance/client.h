// Our stand-in for Terraform core: drives a provider process over tfplugin5 or tfplugin6 and applies
// the checks Terraform core applies to what the provider answers (FACTS.md §5).
//
// TerraformClient: one method per provider RPC, protocol-neutral (the same calls over v5 and v6),
// taking and returning schema::Value. Requests are encoded the way Terraform encodes them (msgpack
// only, against the current schema's implied type). Each response is checked:
//  - every DynamicValue decodes and conforms to the schema's implied type ("Provider produced
//    invalid object");
//  - no diagnostic has severity INVALID (0);
//  - ReadDataSource: non-null ("Provider produced null object"), wholly known;
//  - UpgradeResourceState / ReadResource: wholly known (null allowed for Read: object gone);
//  - PlanResourceChange: proposed_new_state computed like Terraform (schema::ProposedNew), then
//    schema::AssertPlanValid ("Provider produced invalid plan"); destroy plans must be null;
//    requires_replace paths must exist in prior or planned; legacy_type_system must be false;
//  - ApplyResourceChange: wholly known, null iff delete, schema::AssertObjectCompatible(planned, new)
//    ("Provider produced inconsistent result after apply").
// A violated check adds an error diagnostic with Terraform's text to `diags` (as Terraform would
// show it) and the same text to `core_errors`, so tests can assert `core_errors.empty()`.
//
// Terraform: the higher-level driver of one resource or data source through Terraform's walks
// (FACTS.md §7), each walk in a freshly launched provider process, like the real CLI.
//
// Thread-safety: TerraformClient may be used from several threads at once only for StopProvider
// next to one other call (like Terraform's Ctrl-C); everything else from one thread.
#ifndef TPD_ACCEPTANCE_CLIENT_H_
#define TPD_ACCEPTANCE_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "acceptance/process.h"
#include "schema/diagnostics.h"
#include "schema/path.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::acceptance {

// The Terraform version we claim in ConfigureProvider.
inline constexpr const char* kTerraformVersion = "1.15.9";

struct ProviderSchemas {
  schema::Schema provider;
  std::map<std::string, schema::Schema> resources;
  std::map<std::string, schema::Schema> data_sources;
  bool plan_destroy = false;
  bool get_provider_schema_optional = false;
};

// What every call returns besides its value.
struct CallResult {
  // The gRPC status, mapped like Terraform: UNAVAILABLE "Plugin did not respond", CANCELLED
  // "Request cancelled", UNIMPLEMENTED "Unsupported plugin method", other "Plugin error".
  Status rpc;
  // The provider's diagnostics, followed by Terraform core's own errors about the response.
  schema::Diagnostics diags;
  // Terraform core's check failures only (each also present in `diags`).
  std::vector<std::string> core_errors;
  std::chrono::microseconds elapsed{0};

  bool HasError() const { return !rpc.ok() || diags.HasError(); }
  // Every diagnostic and the rpc status as readable text (for test failure messages).
  std::string Describe() const;
  // The first error diagnostic, or nullptr.
  const schema::Diagnostic* FirstError() const;
};

struct SchemaResult : CallResult {
  ProviderSchemas schemas;
};
struct StateResult : CallResult {
  schema::Value state;       // new/upgraded/read state or data source result
  std::string private_data;  // ReadResource / ApplyResourceChange private blob
};
struct PlanResult : CallResult {
  schema::Value proposed_new_state;  // what we sent
  schema::Value planned_state;
  std::vector<schema::AttributePath> requires_replace;
  std::string planned_private;
};
struct ImportedResource {
  std::string type_name;
  schema::Value state;
  std::string private_data;
};
struct ImportResult : CallResult {
  std::vector<ImportedResource> imported;
};
struct StopResult : CallResult {
  std::string error;  // Stop.Response.Error
};

class TerraformClient {
 public:
  // `channel` is shared; `protocol` is the negotiated version (5 or 6) from the handshake line.
  // REQUIRES: protocol is 5 or 6.
  TerraformClient(std::shared_ptr<grpc::Channel> channel, int protocol);
  ~TerraformClient();
  TerraformClient(const TerraformClient&) = delete;
  TerraformClient& operator=(const TerraformClient&) = delete;

  int protocol() const { return protocol_; }
  // Names of the RPCs called so far, in order (v6 names, e.g. "ConfigureProvider").
  std::vector<std::string> call_log() const;

  // GetProviderSchema (v6) / GetSchema (v5), then GetResourceIdentitySchemas like Terraform (its
  // UNIMPLEMENTED is accepted). Parses every type JSON strictly and runs Terraform's schema rules
  // (schema::Block::Validate) on each schema; failures are core errors. The schemas are remembered
  // for the other calls. Other calls load them first when needed.
  SchemaResult GetSchema();
  // REQUIRES: GetSchema() succeeded.
  const ProviderSchemas& schemas() const { return schemas_; }

  // ValidateProviderConfig (v6) / PrepareProviderConfig (v5). `config` may contain unknowns.
  CallResult ValidateProviderConfig(const schema::Value& config);
  // ConfigureProvider (v6) / Configure (v5), with write_only_attributes_allowed like Terraform.
  CallResult ConfigureProvider(const schema::Value& config, const std::string& terraform_version = kTerraformVersion);
  // ValidateResourceConfig / ValidateResourceTypeConfig.
  CallResult ValidateResourceConfig(const std::string& type, const schema::Value& config);
  // ValidateDataResourceConfig / ValidateDataSourceConfig.
  CallResult ValidateDataResourceConfig(const std::string& type, const schema::Value& config);
  // REQUIRES (Terraform's): config wholly known; otherwise a core error without calling.
  StateResult ReadDataSource(const std::string& type, const schema::Value& config);
  StateResult UpgradeResourceState(const std::string& type, int64_t version, const std::string& raw_json);
  StateResult ReadResource(const std::string& type, const schema::Value& current_state,
                           const std::string& private_data = "");
  // One PlanResourceChange. `config` null = destroy plan (sent only when the provider advertises
  // plan_destroy; otherwise synthesised like Terraform). Proposed new state is computed here.
  PlanResult PlanResourceChange(const std::string& type, const schema::Value& prior_state,
                                const schema::Value& config, const std::string& prior_private = "");
  // One ApplyResourceChange; `planned_state` null = delete.
  StateResult ApplyResourceChange(const std::string& type, const schema::Value& prior_state,
                                  const schema::Value& planned_state, const schema::Value& config,
                                  const std::string& planned_private = "");
  ImportResult ImportResourceState(const std::string& type, const std::string& id);
  // StopProvider (v6) / Stop (v5). Safe to call while another call runs.
  StopResult StopProvider();

  // Raw access for tests that must send bytes Terraform would not (e.g. a huge config). Sends
  // ValidateDataResourceConfig with `msgpack` as the config and returns the result unchecked.
  CallResult ValidateDataResourceConfigRaw(const std::string& type, const std::string& msgpack);

  class Wire;  // protocol-specific stub wrapper (client.cc)

 private:
  Status EnsureSchema();
  const schema::Schema* ResourceSchema(const std::string& type, CallResult* r);
  const schema::Schema* DataSourceSchema(const std::string& type, CallResult* r);

  const int protocol_;
  std::unique_ptr<Wire> wire_;
  mutable std::mutex log_mu_;
  std::vector<std::string> call_log_;  // guarded by log_mu_
  bool have_schemas_ = false;
  ProviderSchemas schemas_;
};

// The value at `path` inside `v` (attribute names, map keys, list/tuple indexes), or nullopt when the
// path does not exist there (including through a null or unknown value).
std::optional<schema::Value> ValueAtPath(const schema::Value& v, const schema::AttributePath& path);

// How Terraform would describe a planned change.
enum class Action { kNoOp, kCreate, kRead, kUpdate, kReplace, kDelete };
const char* ActionName(Action a);

// One managed resource instance as stored in a state file: the attributes as JSON (what
// UpgradeResourceState receives), the schema version, and the private blob.
struct StoredState {
  std::string attributes_json;
  int64_t schema_version = 0;
  std::string private_data;
};

struct WalkResult {
  Status launch;             // the provider could not be launched / shut down cleanly (infrastructure)
  schema::Diagnostics diags; // everything Terraform would print
  std::vector<std::string> core_errors;
  std::vector<std::string> rpc_log;  // RPC names in call order, for tests of the sequence
  bool HasError() const { return !launch.ok() || diags.HasError(); }
  std::string Describe() const;
};

struct ResourcePlan : WalkResult {
  Action action = Action::kNoOp;
  schema::Value prior;    // refreshed prior state (null on create)
  schema::Value planned;  // null for delete
  std::string planned_private;
  std::vector<schema::AttributePath> requires_replace;
};

struct ApplyOutcome : WalkResult {
  ResourcePlan plan;
  std::optional<StoredState> state;  // nullopt: no object (deleted, or failed create)
  schema::Value new_state;
};

struct DataRead : WalkResult {
  schema::Value state;
};

struct TerraformOptions {
  // How each walk's provider process is launched.
  LaunchOptions launch;
  // The provider block (an object of the provider schema's implied type; null = all attributes null).
  schema::Value provider_config;
  std::string terraform_version = kTerraformVersion;
  // Tests of this client only: when set, walks use this channel (protocol 6) instead of launching a
  // process, and skip the Shutdown/stderr checks. Called once per walk.
  std::function<std::shared_ptr<grpc::Channel>()> channel_for_test;
};

// Runs Terraform's walks for one resource or data source, each in a fresh provider process that is
// shut down at the end (its Shutdown must take < 2 s, else a core error "plugin failed to exit
// gracefully"). Blocking; one thread.
class Terraform {
 public:
  explicit Terraform(TerraformOptions options) : options_(std::move(options)) {}

  // `terraform plan`: schema, ValidateProviderConfig, ConfigureProvider, UpgradeResourceState +
  // ReadResource for `prior` (refresh), ValidateResourceConfig, PlanResourceChange (and again with a
  // null prior when requires_replace forces a replacement). `config` null = the resource was removed
  // from the configuration (destroy).
  ResourcePlan Plan(const std::string& type, const schema::Value& config, const std::optional<StoredState>& prior);
  // `terraform apply`: the plan walk above, then an apply walk in a new process: schema, validate,
  // configure, UpgradeResourceState, ValidateResourceConfig, re-plan (must be compatible with the
  // saved plan: "Provider produced inconsistent final plan"), ApplyResourceChange (delete then create
  // for a replacement). Returns the new stored state.
  ApplyOutcome Apply(const std::string& type, const schema::Value& config, const std::optional<StoredState>& prior);
  // A data source read during plan: schema, validate provider, configure, ValidateDataResourceConfig,
  // ReadDataSource.
  DataRead ReadData(const std::string& type, const schema::Value& config);

 private:
  struct Session;
  Result<std::unique_ptr<Session>> Open(WalkResult* out);
  void Close(std::unique_ptr<Session> s, WalkResult* out);
  void PlanIn(Session& s, const std::string& type, const schema::Value& config,
              const std::optional<StoredState>& prior, bool refresh, ResourcePlan* out);

  TerraformOptions options_;
};

}  // namespace tpd::acceptance

#endif  // TPD_ACCEPTANCE_CLIENT_H_
