// What a resource or data source implements, in Terraform's terms but free of gRPC and protobuf.
//
// provider/framework.{h,cc} serves every RPC of protocols 5 and 6 on top of these interfaces and
// enforces Terraform core's rules on what they return, so an implementation cannot send an
// inconsistent plan or apply result: the framework
//  - runs schema validators (schema::Attribute::validators) on every known configured value and
//    attaches the attribute path to their errors, before ValidateConfig/Plan/Read;
//  - plans destroy (null config) itself and calls Delete for a null planned state;
//  - fills schema default values for null optional+computed attributes before calling Plan;
//  - computes requires_replace from schema::Attribute::requires_replace (prior vs planned);
//  - checks Plan results with schema::AssertPlanValid and Apply results with
//    schema::AssertObjectCompatible and turns violations into an error diagnostic that says it is a
//    provider bug, instead of sending them to Terraform.
//
// Implementations are stateless objects shared by all concurrent RPCs of the process: every method
// is const and must be safe to call from several threads at once.
#ifndef TPD_RESOURCES_RESOURCE_H_
#define TPD_RESOURCES_RESOURCE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/diagnostics.h"
#include "schema/path.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::resources {

// The provider block, parsed once in ConfigureProvider.
struct ProviderOptions {
  // Directory for dumps, backups and run journals. Default: $XDG_STATE_HOME/terraform-provider-database
  // or ~/.local/state/terraform-provider-database (created on first use).
  std::string work_dir;
  // Copy/restore workers. Default: the number of CPUs. Range 1..64.
  int parallelism = 1;
  // Directories searched first for engine tools (pg_dump, pg_restore, pg_upgrade, ...), then PATH
  // and the usual per-version install folders.
  std::vector<std::string> tool_paths;
};

// Cancellation: StopProvider (and a create/update timeout) sets it; long operations poll it and
// return Status::Cancelled after undoing what they must.
class StopToken {
 public:
  void Stop() { stopped_.store(true); }
  bool stopped() const { return stopped_.load(); }
  // The flag itself, for APIs that poll an atomic (engines::postgres::ConnectOptions::cancel_flag).
  // Lives as long as this StopToken.
  const std::atomic<bool>* flag() const { return &stopped_; }

 private:
  std::atomic<bool> stopped_{false};
};

// Per-call context. Pointers are borrowed for the duration of the call.
struct CallContext {
  const ProviderOptions* options = nullptr;  // never null once ConfigureProvider ran
  const StopToken* stop = nullptr;           // never null
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  virtual std::string TypeName() const = 0;
  virtual const schema::Schema& GetSchema() const = 0;
  // Checks beyond attribute validators. `config` may contain unknowns anywhere.
  virtual void ValidateConfig(const schema::Value& config, schema::Diagnostics* diags) const {
    (void)config;
    (void)diags;
  }
  // Returns the full object: configured values as given, every computed attribute known.
  // REQUIRES: config wholly known. On error, add diagnostics and return any value (ignored).
  virtual schema::Value Read(const CallContext& ctx, const schema::Value& config,
                             schema::Diagnostics* diags) const = 0;
};

struct PlanRequest {
  schema::Value prior_state;         // null on create
  schema::Value proposed_new_state;  // Terraform's ProposedNew (defaults already filled)
  schema::Value config;              // never null here (destroy is planned by the framework)
  std::string prior_private;
};
struct PlanResponse {
  schema::Value planned_state;
  std::string planned_private;
};

struct ApplyRequest {
  schema::Value prior_state;    // null on create
  schema::Value planned_state;  // never null here (delete goes to Resource::Delete)
  schema::Value config;
  std::string planned_private;
};
struct ApplyResponse {
  // Wholly known. Leave null on a failed create so Terraform saves no state.
  schema::Value new_state;
  std::string private_data;
};

struct ReadRequest {
  schema::Value current_state;
  std::string private_data;
};
struct ReadResponse {
  schema::Value new_state;  // null = the object is gone; Terraform plans a create
  std::string private_data;
};

class Resource {
 public:
  virtual ~Resource() = default;
  virtual std::string TypeName() const = 0;
  virtual const schema::Schema& GetSchema() const = 0;
  virtual void ValidateConfig(const schema::Value& config, schema::Diagnostics* diags) const {
    (void)config;
    (void)diags;
  }
  // Migrates state JSON recorded at `version` to the current schema. The default decodes it when
  // `version` equals GetSchema().version and fails otherwise.
  virtual Result<schema::Value> UpgradeState(int64_t version, std::string_view raw_json) const;
  virtual void Plan(const CallContext& ctx, const PlanRequest& req, PlanResponse* resp,
                    schema::Diagnostics* diags) const = 0;
  virtual void Apply(const CallContext& ctx, const ApplyRequest& req, ApplyResponse* resp,
                     schema::Diagnostics* diags) const = 0;
  virtual void Read(const CallContext& ctx, const ReadRequest& req, ReadResponse* resp,
                    schema::Diagnostics* diags) const = 0;
  // Destroys (or forgets) the object described by `prior_state`.
  virtual void Delete(const CallContext& ctx, const schema::Value& prior_state, schema::Diagnostics* diags) const = 0;
  // Builds a (possibly partial) state from an import ID; Terraform calls Read on it next.
  virtual void Import(const CallContext& ctx, std::string_view id, schema::Value* state,
                      schema::Diagnostics* diags) const = 0;
};

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_RESOURCE_H_
