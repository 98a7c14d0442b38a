// The schema model: blocks, nested blocks and attributes, as the plugin protocol describes them.
//
// A Schema is the description of one resource, data source or provider configuration. Every
// attribute and block carries a description (a unit test walks every schema and fails on an empty
// one). Validators and `requires_replace` are ours, not Terraform's: the resource framework in
// provider/ runs the validators on known values and turns `requires_replace` into
// PlanResourceChange.requires_replace paths.
#ifndef TPD_SCHEMA_SCHEMA_H_
#define TPD_SCHEMA_SCHEMA_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"
#include "schema/types.h"
#include "schema/value.h"

namespace tpd::schema {

// Checks one known, non-null attribute value. Returns OK or InvalidArgument whose message tells the
// user what is wrong and what to write instead (the framework attaches the attribute path).
using AttributeValidator = std::function<Status(const Value& value)>;

struct Attribute {
  std::string name;
  Type type;
  std::string description;  // plain text: meaning, default, unit, limits
  bool required = false;
  bool optional = false;
  bool computed = false;
  bool sensitive = false;
  bool deprecated = false;
  std::string deprecation_message;
  // A planned change of this attribute replaces the resource (e.g. `engine`).
  bool requires_replace = false;
  // Optional+computed attributes: the value planned when the configuration leaves it null.
  std::optional<Value> default_value;
  std::vector<AttributeValidator> validators;
};

// Persisted on the wire: numbers match Terraform's Schema.NestedBlock.NestingMode.
enum class NestingMode { kInvalid = 0, kSingle = 1, kList = 2, kSet = 3, kMap = 4, kGroup = 5 };

struct NestedBlock;

struct Block {
  std::vector<Attribute> attributes;
  std::vector<NestedBlock> block_types;
  std::string description;
  bool deprecated = false;

  // The object type every value of this block has: one key per attribute and per nested block
  // (SINGLE/GROUP -> object, LIST -> list(object), SET -> set(object), MAP -> map(object); LIST and
  // MAP become dynamic when the nested object type contains dynamic).
  Type ImpliedType() const;
  // nullptr when there is no attribute / nested block of that name.
  const Attribute* FindAttribute(std::string_view name) const;
  const NestedBlock* FindBlock(std::string_view name) const;
  // Terraform's InternalValidate rules (names, flags, nesting limits) plus ours (non-empty
  // descriptions). InvalidArgument naming the first violation.
  Status Validate() const;
};

struct NestedBlock {
  std::string type_name;
  Block block;
  NestingMode nesting = NestingMode::kSingle;
  int64_t min_items = 0;
  int64_t max_items = 0;  // 0 = unlimited
};

struct Schema {
  int64_t version = 0;  // state schema version (drives UpgradeResourceState)
  Block block;
};

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_SCHEMA_H_
