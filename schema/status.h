// tpd::Status and tpd::Result<T>: the one error type of the project.
//
// Every fallible function returns a Status (nothing to return) or a Result<T> (a value or a Status).
// No exceptions cross a function boundary of ours: exceptions thrown by nlohmann::json, gRPC or the
// standard library are caught where they are thrown and turned into a Status.
//
// A Status may carry an attribute path (which configuration attribute it is about); resources/ turns
// a Status into a Terraform diagnostic in one place (resources/diagnostics.h). Messages never contain
// secrets: connection strings are printed through ConnInfo, which omits the password.
//
// Thread-safety: Status and Result are values; distinct objects may be used from distinct threads.
#ifndef TPD_SCHEMA_STATUS_H_
#define TPD_SCHEMA_STATUS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "schema/path.h"

namespace tpd {

class [[nodiscard]] Status {
 public:
  // Persisted: never renumber (codes appear in journals).
  enum class Code {
    kOk = 0,
    kInvalidArgument = 1,     // the caller's input is wrong; retrying the same input fails again
    kNotFound = 2,            // a named thing does not exist
    kFailedPrecondition = 3,  // the world is not in a state where this can run (e.g. wal_level)
    kUnavailable = 4,         // could not reach something; retrying later may work
    kCancelled = 5,           // stopped on request (StopProvider, timeout)
    kInternal = 6,            // a bug or an unexpected answer from a dependency
  };

  // OK status. Cheap: holds no allocation.
  Status() = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status FailedPrecondition(std::string msg) { return Status(Code::kFailedPrecondition, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Cancelled(std::string msg) { return Status(Code::kCancelled, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The configuration attribute this status is about, if any.
  const std::optional<schema::AttributePath>& path() const { return path_; }

  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsFailedPrecondition() const { return code_ == Code::kFailedPrecondition; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsCancelled() const { return code_ == Code::kCancelled; }
  bool IsInternal() const { return code_ == Code::kInternal; }

  // Returns a copy that names `path` as the attribute this status is about.
  Status WithPath(schema::AttributePath path) const& {
    Status s = *this;
    s.path_ = std::move(path);
    return s;
  }
  // Returns a copy whose message is "<context>: <message>". OK stays OK.
  Status WithContext(std::string_view context) const& {
    if (ok()) return *this;
    Status s = *this;
    s.message_ = std::string(context) + ": " + message_;
    return s;
  }

  // "InvalidArgument: <message>" (with " (at <path>)" when a path is set); "OK" when ok().
  std::string ToString() const;
  static std::string_view CodeName(Code code);

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::optional<schema::AttributePath> path_;
};

// A value of type T, or a non-OK Status explaining why there is none.
// REQUIRES: constructing from a Status requires !status.ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tpd

#define TPD_STATUS_CONCAT_INNER_(a, b) a##b
#define TPD_STATUS_CONCAT_(a, b) TPD_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` (a Status) is not OK.
#define TPD_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::tpd::Status tpd_status_tmp_ = (expr);    \
    if (!tpd_status_tmp_.ok()) return tpd_status_tmp_; \
  } while (0)

// `lhs` = value of `rexpr` (a Result<T>), or returns its status from the enclosing function.
#define TPD_ASSIGN_OR_RETURN(lhs, rexpr) \
  TPD_ASSIGN_OR_RETURN_IMPL_(TPD_STATUS_CONCAT_(tpd_result_, __LINE__), lhs, rexpr)
#define TPD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                               \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // TPD_SCHEMA_STATUS_H_
