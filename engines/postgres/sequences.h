// Sequences: read every sequence's position on one server and set it on another, so that ids
// continue after a dump_restore copy or a logical-replication cutover (logical replication does not
// carry sequence values).
//
// Scope: the sequences of the connection's database outside pg_catalog/information_schema,
// including those owned by serial/identity columns.
//
// Thread-safety: functions are thread-safe; a Connection is used by the calling thread only.
// Everything blocks.
#ifndef TPD_ENGINES_POSTGRES_SEQUENCES_H_
#define TPD_ENGINES_POSTGRES_SEQUENCES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "schema/status.h"

namespace tpd::engines::postgres {

class Connection;

struct SequenceValue {
  std::string schema;
  std::string name;
  int64_t last_value = 0;  // the sequence's last_value column
  bool is_called = false;  // false: the next nextval returns last_value itself

  // "schema.name", unquoted, for messages.
  std::string QualifiedName() const { return schema + "." + name; }
  bool operator==(const SequenceValue& o) const {
    return schema == o.schema && name == o.name && last_value == o.last_value && is_called == o.is_called;
  }
};

// Every sequence of the database with its position, sorted by schema, name. Reads each sequence
// (SELECT last_value, is_called FROM seq): needs SELECT on the sequences (superuser has it).
// Errors: FailedPrecondition (no privilege on a sequence: names it), Unavailable, Internal.
Result<std::vector<SequenceValue>> ReadSequences(Connection& conn);

// setval(seq, last_value, is_called) on `target` for each value. Every sequence is checked to exist
// first (setval is not transactional).
// Errors: NotFound "sequence public.x does not exist on the target" (nothing is changed),
// FailedPrecondition (read-only / privilege), Unavailable, Internal.
Status ApplySequences(Connection& target, const std::vector<SequenceValue>& values);

// ReadSequences(source) then ApplySequences(target). Returns the values applied.
Result<std::vector<SequenceValue>> CopySequences(Connection& source, Connection& target);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_SEQUENCES_H_
