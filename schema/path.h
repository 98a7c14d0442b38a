// AttributePath: where in a configuration or state object a value lives, as Terraform addresses it
// (attribute names, map keys, list indexes; set elements cannot be addressed).
#ifndef TPD_SCHEMA_PATH_H_
#define TPD_SCHEMA_PATH_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace tpd::schema {

struct PathStep {
  enum class Kind { kAttribute, kElementKeyString, kElementKeyInt };
  Kind kind = Kind::kAttribute;
  std::string name;   // attribute name or map key
  int64_t index = 0;  // list/tuple index

  static PathStep Attr(std::string n) { return {Kind::kAttribute, std::move(n), 0}; }
  static PathStep Key(std::string k) { return {Kind::kElementKeyString, std::move(k), 0}; }
  static PathStep Index(int64_t i) { return {Kind::kElementKeyInt, {}, i}; }
  bool operator==(const PathStep&) const = default;
};

class AttributePath {
 public:
  AttributePath() = default;
  explicit AttributePath(std::vector<PathStep> steps) : steps_(std::move(steps)) {}
  // Path of a top-level attribute, e.g. Root("engine").
  static AttributePath Root(std::string name) { return AttributePath({PathStep::Attr(std::move(name))}); }

  // Returns a new path with one more step.
  AttributePath Attr(std::string name) const { return With(PathStep::Attr(std::move(name))); }
  AttributePath Key(std::string key) const { return With(PathStep::Key(std::move(key))); }
  AttributePath Index(int64_t i) const { return With(PathStep::Index(i)); }

  const std::vector<PathStep>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }
  // Terraform-style text: source.url, tables[0], tool_paths["x"].
  std::string ToString() const;
  bool operator==(const AttributePath&) const = default;

 private:
  AttributePath With(PathStep s) const {
    AttributePath p = *this;
    p.steps_.push_back(std::move(s));
    return p;
  }
  std::vector<PathStep> steps_;
};

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_PATH_H_
