// Building blocks for the fake resource schemas of provider tests (header-only).
#ifndef TPD_TESTS_SUPPORT_SCHEMA_FAKES_H_
#define TPD_TESTS_SUPPORT_SCHEMA_FAKES_H_

#include <string>
#include <utility>

#include "schema/schema.h"

namespace tpd::testsupport {

// An attribute with a description ("test attribute <name>") and the given presence flags.
inline schema::Attribute MakeAttr(std::string name, schema::Type type, bool required, bool optional, bool computed) {
  schema::Attribute a;
  a.name = std::move(name);
  a.type = std::move(type);
  a.description = "test attribute " + a.name;
  a.required = required;
  a.optional = optional;
  a.computed = computed;
  return a;
}

}  // namespace tpd::testsupport

#endif  // TPD_TESTS_SUPPORT_SCHEMA_FAKES_H_
