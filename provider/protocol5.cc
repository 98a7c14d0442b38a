// tfplugin5.Provider over ProviderCore. The RPC bodies live in protocol_common.h (shared with v6).
#include <memory>
#include <utility>

#include "proto/tfplugin5.grpc.pb.h"
#include "provider/protocol.h"
#include "provider/protocol_common.h"

namespace tpd::provider {
namespace {

namespace pb = ::tfplugin5;
using grpc::ServerContext;

class Protocol5Service final : public pb::Provider::Service {
 public:
  explicit Protocol5Service(std::shared_ptr<ProviderCore> core) : core_(std::move(core)) {}

  grpc::Status GetMetadata(ServerContext*, const pb::GetMetadata_::Request*, pb::GetMetadata_::Response* resp) override {
    return internal::ServeGetMetadata(*core_, resp);
  }
  grpc::Status GetSchema(ServerContext*, const pb::GetProviderSchema::Request*,
                                 pb::GetProviderSchema::Response* resp) override {
    return internal::ServeGetProviderSchema(*core_, resp);
  }
  grpc::Status GetResourceIdentitySchemas(ServerContext*, const pb::GetResourceIdentitySchemas::Request*,
                                          pb::GetResourceIdentitySchemas::Response*) override {
    return grpc::Status::OK;  // no resource identities: an empty map
  }
  grpc::Status PrepareProviderConfig(ServerContext*, const pb::PrepareProviderConfig::Request* req,
                                      pb::PrepareProviderConfig::Response* resp) override {
    return internal::ServeValidateProviderConfig(*core_, *req, resp);
  }
  grpc::Status ValidateResourceTypeConfig(ServerContext*, const pb::ValidateResourceTypeConfig::Request* req,
                                      pb::ValidateResourceTypeConfig::Response* resp) override {
    return internal::ServeValidateConfig(*core_, false, *req, resp);
  }
  grpc::Status ValidateDataSourceConfig(ServerContext*, const pb::ValidateDataSourceConfig::Request* req,
                                          pb::ValidateDataSourceConfig::Response* resp) override {
    return internal::ServeValidateConfig(*core_, true, *req, resp);
  }
  grpc::Status UpgradeResourceState(ServerContext*, const pb::UpgradeResourceState::Request* req,
                                    pb::UpgradeResourceState::Response* resp) override {
    return internal::ServeUpgradeResourceState(*core_, *req, resp);
  }
  grpc::Status Configure(ServerContext*, const pb::Configure::Request* req,
                                 pb::Configure::Response* resp) override {
    return internal::ServeConfigureProvider(*core_, *req, resp);
  }
  grpc::Status ReadResource(ServerContext*, const pb::ReadResource::Request* req,
                            pb::ReadResource::Response* resp) override {
    return internal::ServeReadResource(*core_, *req, resp);
  }
  grpc::Status PlanResourceChange(ServerContext*, const pb::PlanResourceChange::Request* req,
                                  pb::PlanResourceChange::Response* resp) override {
    return internal::ServePlanResourceChange(*core_, *req, resp);
  }
  grpc::Status ApplyResourceChange(ServerContext*, const pb::ApplyResourceChange::Request* req,
                                   pb::ApplyResourceChange::Response* resp) override {
    return internal::ServeApplyResourceChange(*core_, *req, resp);
  }
  grpc::Status ImportResourceState(ServerContext*, const pb::ImportResourceState::Request* req,
                                   pb::ImportResourceState::Response* resp) override {
    return internal::ServeImportResourceState(*core_, *req, resp);
  }
  grpc::Status ReadDataSource(ServerContext*, const pb::ReadDataSource::Request* req,
                              pb::ReadDataSource::Response* resp) override {
    return internal::ServeReadDataSource(*core_, *req, resp);
  }
  grpc::Status Stop(ServerContext*, const pb::Stop::Request*, pb::Stop::Response*) override {
    core_->Stop();  // never blocks; Error stays empty (stopping cannot fail)
    return grpc::Status::OK;
  }

 private:
  const std::shared_ptr<ProviderCore> core_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewProtocol5Service(std::shared_ptr<ProviderCore> core) {
  return std::make_unique<Protocol5Service>(std::move(core));
}

}  // namespace tpd::provider
