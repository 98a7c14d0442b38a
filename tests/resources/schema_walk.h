// Test helpers: walk a schema block the way provider/'s framework does, to check descriptions and
// to run attribute validators on a configuration with the attribute path attached.
#ifndef TPD_TESTS_RESOURCES_SCHEMA_WALK_H_
#define TPD_TESTS_RESOURCES_SCHEMA_WALK_H_

#include <string>
#include <vector>

#include "schema/path.h"
#include "schema/schema.h"
#include "schema/status.h"
#include "schema/value.h"

namespace tpd::resources::testing {

// Paths ("source.url") of every attribute and nested block whose description is empty; "<root>"
// when the block itself has none.
inline void UndescribedPaths(const schema::Block& block, const std::string& prefix, std::vector<std::string>* out) {
  if (block.description.empty()) out->push_back(prefix.empty() ? "<root>" : prefix);
  for (const auto& a : block.attributes) {
    if (a.description.empty()) out->push_back(prefix + a.name);
  }
  for (const auto& nb : block.block_types) UndescribedPaths(nb.block, prefix + nb.type_name + ".", out);
}

// Runs every validator of every known, non-null attribute value in `config` (nested single blocks
// included) and returns the failures with their attribute paths.
inline void RunValidators(const schema::Block& block, const schema::Value& config, const schema::AttributePath& at,
                          std::vector<Status>* out) {
  if (!config.IsKnown() || config.IsNull()) return;
  for (const auto& a : block.attributes) {
    auto it = config.Attributes().find(a.name);
    if (it == config.Attributes().end() || !it->second.IsKnown() || it->second.IsNull()) continue;
    for (const auto& v : a.validators) {
      Status s = v(it->second);
      if (!s.ok()) out->push_back(s.WithPath(at.empty() ? schema::AttributePath::Root(a.name) : at.Attr(a.name)));
    }
  }
  for (const auto& nb : block.block_types) {
    auto it = config.Attributes().find(nb.type_name);
    if (it == config.Attributes().end()) continue;
    RunValidators(nb.block, it->second, at.empty() ? schema::AttributePath::Root(nb.type_name) : at.Attr(nb.type_name),
                  out);
  }
}

inline std::vector<Status> Validate(const schema::Block& block, const schema::Value& config) {
  std::vector<Status> out;
  RunValidators(block, config, schema::AttributePath(), &out);
  return out;
}

// An object of `block`'s implied type: `attrs` set, everything else null.
inline schema::Value ConfigOf(const schema::Block& block, std::map<std::string, schema::Value> attrs) {
  return schema::Value::Object(block.ImpliedType(), std::move(attrs));
}

}  // namespace tpd::resources::testing

#endif  // TPD_TESTS_RESOURCES_SCHEMA_WALK_H_
