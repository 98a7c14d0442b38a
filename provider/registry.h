// The provider "database" as Terraform sees it: the one list of resource types and data sources,
// and the ProviderCore built from it.
//
// Thread-safety: both functions may be called from any thread; each call builds new objects.
#ifndef TPD_PROVIDER_REGISTRY_H_
#define TPD_PROVIDER_REGISTRY_H_

#include <memory>

#include "provider/framework.h"

namespace tpd::provider {

// Provider schema, option parsing, and a fresh instance of every registered resource type and data
// source. A resource type is registered only once it has behaviour (see registry.cc).
ProviderDefinition BuiltinProviderDefinition();

// ProviderCore over BuiltinProviderDefinition(). Schema problems show up as startup diagnostics on
// every RPC, never as a crash. Never returns null.
std::shared_ptr<ProviderCore> NewBuiltinProviderCore();

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_REGISTRY_H_
