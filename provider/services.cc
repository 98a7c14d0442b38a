// NewProviderService (declared in provider/services.h): the provider service of the negotiated
// protocol version over the built-in provider.
#include "provider/services.h"

#include <grpcpp/impl/service_type.h>

#include "provider/protocol.h"
#include "provider/registry.h"

namespace tpd::provider {

std::unique_ptr<grpc::Service> NewProviderService(int protocol_version) {
  switch (protocol_version) {
    case 5:
      return NewProtocol5Service(NewBuiltinProviderCore());
    case 6:
      return NewProtocol6Service(NewBuiltinProviderCore());
    default:
      return nullptr;
  }
}

}  // namespace tpd::provider
