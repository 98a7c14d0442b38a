// Schema pieces shared by several resources: attribute builders and the `source`/`target`,
// `backup`, `cutover`, `verify` and `timeouts` blocks.
//
// Every builder returns a fresh value the caller owns; every attribute and block it produces has a
// description giving meaning, default, unit and limits. Nested blocks use NestingMode::kSingle, so
// an absent optional block is null: a resource reads a null block as "all defaults" (the defaults
// named in the descriptions below).
//
// Thread-safety: pure functions.
#ifndef TPD_RESOURCES_COMMON_BLOCKS_H_
#define TPD_RESOURCES_COMMON_BLOCKS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.h"
#include "schema/types.h"
#include "schema/value.h"

namespace tpd::resources {

// --- Attribute builders ---
schema::Attribute RequiredAttr(std::string name, schema::Type type, std::string description);
schema::Attribute OptionalAttr(std::string name, schema::Type type, std::string description);
schema::Attribute ComputedAttr(std::string name, schema::Type type, std::string description);
// Optional + computed with a default the framework plans when the configuration leaves it null.
// REQUIRES: default_value conforms to `type`.
schema::Attribute DefaultedAttr(std::string name, schema::Type type, std::string description,
                                schema::Value default_value);
// The computed `id` every resource and data source has.
schema::Attribute IdAttr(std::string description);

// --- Blocks ---

// Which of the server block's optional parts to include.
struct ServerBlockOptions {
  // "source" or "target". Persisted (attribute path in state): never rename.
  std::string type_name = "source";
  // First sentence(s) of the block description: which server this is.
  std::string role;
  // true: the block must appear exactly once (min_items = max_items = 1); false: optional.
  bool required = true;
  // true: `url` is required; false: optional (an in-place upgrade keeps the source's URL).
  bool url_required = true;
  // Adds data_dir, bin_dir, stop_command and start_command (needed by in-place upgrades).
  bool in_place_fields = true;
  // Adds `upgrade_mode` (pg_upgrade's link|clone|copy, default "link"); only on an upgrade's target.
  bool upgrade_mode = false;
};

// A database server: `url` (URL validator), sensitive `password`, and the parts chosen in `options`.
schema::NestedBlock ServerBlock(const ServerBlockOptions& options);
// `backup`: enabled (default true), dir (absolute path; default <work_dir>/backups).
schema::NestedBlock BackupBlock();
// `cutover`: block_writes (default true), terminate_sessions (default false).
schema::NestedBlock CutoverBlock();
// `verify`: row_counts (default true), checksums (default false).
schema::NestedBlock VerifyBlock();
// `timeouts` with one optional duration attribute per name in `operations` (e.g. {"create",
// "update"}); each at least 1 second, default no limit.
schema::NestedBlock TimeoutsBlock(const std::vector<std::string>& operations);

// --- Reading configuration values (all null- and unknown-safe) ---

// The value at `path` (attribute names) inside the object `obj`: nullopt when `obj` or a step on the
// way is unknown (nothing can be said yet); a null value (dynamic type) when a step is null or
// missing; else the leaf (which may itself be null or unknown).
std::optional<schema::Value> ValueAt(const schema::Value& obj, std::initializer_list<std::string_view> path);
// The leaf string when ValueAt gives a known, non-null string; nullopt otherwise.
std::optional<std::string> KnownStringAt(const schema::Value& obj, std::initializer_list<std::string_view> path);
// True when ValueAt gives a known null (the attribute is definitely not set).
bool IsNullAt(const schema::Value& obj, std::initializer_list<std::string_view> path);

// Values of `upgrade_mode`. Persisted: never rename.
inline constexpr char kUpgradeModeLink[] = "link";
inline constexpr char kUpgradeModeClone[] = "clone";
inline constexpr char kUpgradeModeCopy[] = "copy";

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_COMMON_BLOCKS_H_
