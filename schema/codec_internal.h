// Helpers shared by the msgpack and JSON codecs. Internal to schema/: not a contract for others.
#ifndef TPD_SCHEMA_CODEC_INTERNAL_H_
#define TPD_SCHEMA_CODEC_INTERNAL_H_

#include "schema/types.h"
#include "schema/value.h"

namespace tpd::schema {

// The type written into a dynamic wrapper for `v`: v.type(), except that `dynamic` element types of
// known collections are replaced by the concrete type of their first element (when there is one).
Type ConcreteTypeOf(const Value& v);

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_CODEC_INTERNAL_H_
