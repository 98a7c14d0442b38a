#include "engines/postgres/sequences.h"

#include <string>
#include <vector>

#include "engines/postgres/connection.h"

namespace tpd::engines::postgres {

namespace {

constexpr std::string_view kListSequences = R"sql(
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 1, 2)sql";

}  // namespace

Result<std::vector<SequenceValue>> ReadSequences(Connection& conn) {
  TPD_ASSIGN_OR_RETURN(QueryResult list, conn.Query(kListSequences));
  std::vector<SequenceValue> out;
  out.reserve(list.rows.size());
  for (const auto& row : list.rows) {
    SequenceValue v;
    v.schema = row[0].value_or("");
    v.name = row[1].value_or("");
    auto r = conn.Query("SELECT last_value, is_called FROM " + QuoteQualified(v.schema, v.name));
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kFailedPrecondition) {
        return Status::FailedPrecondition("cannot read sequence " + v.QualifiedName() + ": " +
                                          r.status().message());
      }
      return r.status();
    }
    if (r->rows.empty() || !r->rows[0][0] || !r->rows[0][1]) {
      return Status::Internal("sequence " + v.QualifiedName() + " returned no row");
    }
    try {
      v.last_value = std::stoll(*r->rows[0][0]);
    } catch (...) {
      return Status::Internal("sequence " + v.QualifiedName() + ": unexpected last_value");
    }
    v.is_called = *r->rows[0][1] == "t";
    out.push_back(std::move(v));
  }
  return out;
}

Status ApplySequences(Connection& target, const std::vector<SequenceValue>& values) {
  // setval is not transactional: check that every sequence exists before changing any.
  for (const SequenceValue& v : values) {
    TPD_ASSIGN_OR_RETURN(std::optional<std::string> reg,
                         target.QueryValue("SELECT to_regclass($1)::text", {QuoteQualified(v.schema, v.name)}));
    if (!reg.has_value()) {
      return Status::NotFound("sequence " + v.QualifiedName() + " does not exist on the target");
    }
  }
  for (const SequenceValue& v : values) {
    auto r = target.Query("SELECT setval($1::regclass, $2::bigint, $3::boolean)",
                          {QuoteQualified(v.schema, v.name), std::to_string(v.last_value),
                           v.is_called ? "true" : "false"});
    if (!r.ok()) return r.status().WithContext("setval of " + v.QualifiedName());
  }
  return Status::Ok();
}

Result<std::vector<SequenceValue>> CopySequences(Connection& source, Connection& target) {
  TPD_ASSIGN_OR_RETURN(std::vector<SequenceValue> values, ReadSequences(source));
  TPD_RETURN_IF_ERROR(ApplySequences(target, values));
  return values;
}

}  // namespace tpd::engines::postgres
