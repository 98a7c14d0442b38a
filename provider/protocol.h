// The gRPC provider services of plugin protocols 5 (tfplugin5.Provider) and 6 (tfplugin6.Provider),
// each a thin adapter over one shared ProviderCore (provider/framework.h).
//
// Both answer every RPC with gRPC status OK and report problems as diagnostics; Stop/StopProvider
// only sets the core's StopToken and returns at once. RPCs this provider does not use (functions,
// ephemeral resources, list resources, actions, state stores, MoveResourceState,
// GenerateResourceConfig, UpgradeResourceIdentity) keep the generated UNIMPLEMENTED answer;
// GetResourceIdentitySchemas answers an empty map.
//
// Thread-safety: the services may be called concurrently from gRPC's thread pool.
#ifndef TPD_PROVIDER_PROTOCOL_H_
#define TPD_PROVIDER_PROTOCOL_H_

#include <memory>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>

#include "provider/framework.h"

namespace tpd::provider {

// REQUIRES: core != nullptr. The service shares ownership of `core`.
std::unique_ptr<grpc::Service> NewProtocol5Service(std::shared_ptr<ProviderCore> core);
std::unique_ptr<grpc::Service> NewProtocol6Service(std::shared_ptr<ProviderCore> core);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_PROTOCOL_H_
