#include "planner/facts.h"

#include <cctype>

namespace tpd::planner {

std::string_view TopologyName(Topology topology) {
  switch (topology) {
    case Topology::kStandalone: return "standalone";
    case Topology::kMultiReplica: return "multi_replica";
    case Topology::kSingleReplica: return "single_replica";
  }
  return "standalone";
}

Result<Topology> ParseTopology(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (Topology top : {Topology::kStandalone, Topology::kMultiReplica, Topology::kSingleReplica}) {
    if (t == TopologyName(top)) return top;
  }
  return Status::InvalidArgument("unknown topology \"" + std::string(text) +
                                 "\": expected standalone, multi-replica or single-replica");
}

}  // namespace tpd::planner
