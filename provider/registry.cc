#include "provider/registry.h"

#include <utility>

#include "resources/data_database_instance.h"
#include "resources/database_replica.h"
#include "resources/database_upgrade.h"
#include "resources/provider_config.h"

namespace tpd::provider {

ProviderDefinition BuiltinProviderDefinition() {
  ProviderDefinition def;
  def.provider_schema = resources::ProviderSchema();
  def.parse_options = [](const schema::Value& config) { return resources::ParseProviderOptions(config); };

  // Data sources.
  def.data_sources.push_back(resources::NewDatabaseInstanceDataSource());

  // Resource types. A type is registered here only in the change that gives it working
  // Plan/Apply/Read, so that no user ever sees a resource that cannot apply.
  def.resources.push_back(resources::NewDatabaseUpgradeResource());
  def.resources.push_back(resources::NewDatabaseReplicaResource());
  return def;
}

std::shared_ptr<ProviderCore> NewBuiltinProviderCore() {
  return std::make_shared<ProviderCore>(BuiltinProviderDefinition());
}

}  // namespace tpd::provider
