// Terraform core's rules about planned and applied objects, re-implemented so that
//  - provider/ can refuse to send a plan or apply result Terraform would reject, and
//  - acceptance/ can check the provider the way Terraform does.
// Each function mirrors the Terraform function of the same name (internal/plans/objchange).
#ifndef TPD_SCHEMA_OBJCHANGE_H_
#define TPD_SCHEMA_OBJCHANGE_H_

#include <string>
#include <vector>

#include "schema/schema.h"
#include "schema/value.h"

namespace tpd::schema {

// The proposed new state Terraform sends to PlanResourceChange: configured values from `config`,
// computed attributes left null in config take `prior` (null on create), nested blocks merged
// (LIST by index, MAP by key, SET by matching prior elements whose computed attributes are nulled).
// `prior` may be null (create). A null `config` (destroy) returns `prior`, as Terraform does.
// REQUIRES: config is an object of schema's implied type (or null).
Value ProposedNew(const Block& schema, const Value& prior, const Value& config);

// Errors Terraform would report for `planned` ("planned value ... does not match config value"),
// one string per problem, each "<attribute path>: <problem>" (e.g. `hop[1].version: planned value
// "99" does not match config value "17" nor prior value "17"`; "root object: ..." at the top).
// Sensitive attributes never show their values. Empty when the plan is valid.
std::vector<std::string> AssertPlanValid(const Block& schema, const Value& prior, const Value& config,
                                         const Value& planned);

// Errors Terraform would report for an apply result `actual` given the `planned` value
// ("Provider produced inconsistent result after apply"), same format as AssertPlanValid (the root
// reads "Root object was present, but now absent"). Refinements of planned unknowns (not-null,
// prefix, number bounds, length bounds) must hold in `actual`. Empty when compatible.
std::vector<std::string> AssertObjectCompatible(const Block& schema, const Value& planned, const Value& actual);

// Errors for a value Terraform would refuse as a state: not conforming to the implied type, or not
// wholly known. Empty when valid.
std::vector<std::string> AssertValidState(const Block& schema, const Value& state);

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_OBJCHANGE_H_
