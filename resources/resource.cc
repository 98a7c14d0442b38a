#include "resources/resource.h"

#include <string>

#include "schema/codec.h"

namespace tpd::resources {

Result<schema::Value> Resource::UpgradeState(int64_t version, std::string_view raw_json) const {
  const schema::Schema& s = GetSchema();
  if (version != s.version) {
    return Status::InvalidArgument("state of " + TypeName() + " was written with schema version " +
                                   std::to_string(version) + ", but this provider only reads version " +
                                   std::to_string(s.version) +
                                   "; use the provider release that wrote this state, or remove the "
                                   "resource from state (terraform state rm) and import it again");
  }
  return schema::DecodeJson(raw_json, s.block.ImpliedType());
}

}  // namespace tpd::resources
