// Diagnostics: what the provider tells the user, attached to an attribute when possible.
#ifndef TPD_SCHEMA_DIAGNOSTICS_H_
#define TPD_SCHEMA_DIAGNOSTICS_H_

#include <optional>
#include <string>
#include <vector>

#include "schema/path.h"
#include "schema/status.h"

namespace tpd::schema {

struct Diagnostic {
  // Persisted on the wire: numbers match Terraform's Diagnostic.Severity (0 is never sent).
  enum class Severity { kError = 1, kWarning = 2 };
  Severity severity = Severity::kError;
  std::string summary;
  std::string detail;
  std::optional<AttributePath> attribute;
};

class Diagnostics {
 public:
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  void AddError(std::string summary, std::string detail, std::optional<AttributePath> path = std::nullopt) {
    items_.push_back({Diagnostic::Severity::kError, std::move(summary), std::move(detail), std::move(path)});
  }
  void AddWarning(std::string summary, std::string detail, std::optional<AttributePath> path = std::nullopt) {
    items_.push_back({Diagnostic::Severity::kWarning, std::move(summary), std::move(detail), std::move(path)});
  }
  // An error diagnostic with `summary`, the status message as detail and the status path.
  // REQUIRES: !status.ok().
  void AddStatus(const std::string& summary, const Status& status) {
    AddError(summary, status.message(), status.path());
  }
  void Append(const Diagnostics& other) { items_.insert(items_.end(), other.items_.begin(), other.items_.end()); }

  bool HasError() const {
    for (const auto& d : items_) if (d.severity == Diagnostic::Severity::kError) return true;
    return false;
  }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace tpd::schema

#endif  // TPD_SCHEMA_DIAGNOSTICS_H_
