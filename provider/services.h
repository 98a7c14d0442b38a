// The provider's gRPC services, as a factory the transport calls once per process.
//
// Declared here (owned by the transport) and implemented by the framework (tpd_framework), so that
// plugin_server.cc and main.cc do not depend on the resource code, and transport tests can pass a
// fake service instead.
#ifndef TPD_PROVIDER_SERVICES_H_
#define TPD_PROVIDER_SERVICES_H_

#include <memory>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/service_type.h>  // grpcpp.h alone leaves grpc::Service incomplete

namespace tpd::provider {

// Creates the tfplugin5 (protocol_version 5) or tfplugin6 (6) Provider service serving every registered
// resource and data source. Returns nullptr for another version. The service lives as long as the server.
std::unique_ptr<grpc::Service> NewProviderService(int protocol_version);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_SERVICES_H_
