#include "resources/diagnostics.h"

#include <string>
#include <utility>

#include "resources/validators.h"

namespace tpd::resources {
namespace {

schema::Diagnostic Error(std::string summary, std::string detail, std::optional<schema::AttributePath> path) {
  schema::Diagnostic d;
  d.severity = schema::Diagnostic::Severity::kError;
  d.summary = std::move(summary);
  d.detail = std::move(detail);
  d.attribute = std::move(path);
  return d;
}

std::string Cause(const Status& status) {
  if (status.ok() || status.message().empty()) return "";
  return "\n\nCause: " + status.message();
}

std::string Endpoint(std::string_view endpoint) {
  return endpoint.empty() ? std::string("the server") : std::string(endpoint);
}

}  // namespace

schema::Diagnostic InvalidAttribute(const Status& status, const schema::AttributePath& path) {
  return Error("Invalid value for " + path.ToString(), status.message(), path);
}

schema::Diagnostic InvalidAttribute(const Status& status) {
  if (status.path()) return InvalidAttribute(status, *status.path());
  return Error("Invalid configuration", status.message(), std::nullopt);
}

schema::Diagnostic UnknownEngine(const Status& status, const schema::AttributePath& path) {
  return Error("Unknown database engine",
               status.message() + ".\n\nThe engine names this provider accepts are " + QuotedList(KnownEngines()) + ".",
               path);
}

schema::Diagnostic UnsupportedEngine(std::string_view engine, std::string_view feature,
                                     const std::vector<std::string>& supported, const schema::AttributePath& path) {
  return Error("Engine not supported here",
               std::string(feature) + " does not support the engine \"" + std::string(engine) +
                   "\" yet. Supported: " + QuotedList(supported) + ". Set " + path.ToString() + " to " +
                   QuotedList(supported) + ", or remove this block.",
               path);
}

schema::Diagnostic MalformedUrl(const Status& status, const schema::AttributePath& url_path) {
  return Error("Malformed database URL",
               "The value of " + url_path.ToString() +
                   " is not a valid URL, so no connection was attempted. Fix the URL; a valid one looks like "
                   "\"postgresql://postgres@db.example.com:5432/postgres?sslmode=require\"." +
                   Cause(status),
               url_path);
}

schema::Diagnostic ServerUnreachable(const Status& status, std::string_view endpoint,
                                     const schema::AttributePath& url_path) {
  return Error("Cannot reach the database server",
               "No database server answered at " + Endpoint(endpoint) + " (from " + url_path.ToString() +
                   "). Check that the host name and port in the URL are right, that the server is running and "
                   "accepts TCP connections from this machine (listen_addresses, firewalls), then run Terraform "
                   "again." +
                   Cause(status),
               url_path);
}

schema::Diagnostic AuthenticationFailed(const Status& status, std::string_view user, std::string_view endpoint,
                                        const schema::AttributePath& password_path) {
  std::string who = user.empty() ? std::string("the user") : "user \"" + std::string(user) + "\"";
  return Error("Database authentication failed",
               "The server at " + Endpoint(endpoint) + " refused the credentials of " + who +
                   ": authentication failed. Check " + password_path.ToString() +
                   " and the user name in the URL; also check that the server's authentication rules (for "
                   "PostgreSQL, pg_hba.conf) allow this user from this machine." +
                   Cause(status),
               password_path);
}

schema::Diagnostic ConnectionFailed(ConnectionFailure kind, const Status& status, std::string_view endpoint,
                                    std::string_view user, const schema::AttributePath& url_path,
                                    const schema::AttributePath& password_path) {
  switch (kind) {
    case ConnectionFailure::kMalformedUrl:
      return MalformedUrl(status, url_path);
    case ConnectionFailure::kUnreachable:
      return ServerUnreachable(status, endpoint, url_path);
    case ConnectionFailure::kAuthentication:
      return AuthenticationFailed(status, user, endpoint, password_path);
    case ConnectionFailure::kOther:
      break;
  }
  return Error("Cannot connect to the database server",
               "The server at " + Endpoint(endpoint) + " (from " + url_path.ToString() +
                   ") refused the connection. Check the database name and parameters in the URL and the "
                   "server's connection limits, then run Terraform again." +
                   Cause(status),
               url_path);
}

schema::Diagnostic ProbeFailed(const Status& status, std::string_view endpoint, const schema::AttributePath& path) {
  return Error("Cannot read facts from the database server",
               "Connected to " + Endpoint(endpoint) +
                   ", but reading its version, size or settings failed. Check that the user in the URL may read "
                   "the system catalogs (a superuser or a member of pg_read_all_settings and pg_read_all_stats "
                   "for PostgreSQL), then run Terraform again." +
                   Cause(status),
               path);
}

schema::Diagnostic DowngradeRefused(std::string_view current_version, std::string_view target_version,
                                    const schema::AttributePath& path) {
  return Error("Downgrade refused",
               "The server runs version " + std::string(current_version) + ", which is newer than the requested " +
                   path.ToString() + " \"" + std::string(target_version) +
                   "\". Database engines cannot move data files back to an older version, so this provider never "
                   "downgrades. To go back, restore a backup taken before the upgrade (see backup_path in the "
                   "state) into a server of the older version; otherwise set " +
                   path.ToString() + " to \"" + std::string(current_version) + "\" or newer.",
               path);
}

schema::Diagnostic MissingForStrategy(std::string_view strategy, std::string_view why,
                                      const schema::AttributePath& path) {
  return Error("Missing argument for strategy \"" + std::string(strategy) + "\"",
               "The \"" + std::string(strategy) + "\" strategy needs " + path.ToString() + " to " + std::string(why) +
                   ". Set " + path.ToString() +
                   ", or choose strategy = \"auto\" to let the provider pick a "
                   "strategy that works with what is configured.",
               path);
}

schema::Diagnostic PasswordInUrl(const schema::AttributePath& url_path, std::string_view password_attr) {
  schema::Diagnostic d;
  d.severity = schema::Diagnostic::Severity::kWarning;
  d.summary = "Password in URL";
  d.detail = "The URL in " + url_path.ToString() +
             " contains a password. Terraform shows URLs in plans and stores them unmasked in state. Remove the "
             "password from the URL and set it in " +
             std::string(password_attr) + ", which is sensitive.";
  d.attribute = url_path;
  return d;
}

schema::Diagnostic Cancelled(const Status& status, std::string_view operation) {
  return Error("Operation cancelled",
               std::string(operation) +
                   " was stopped before it finished (Terraform was interrupted or a timeout was reached). What was "
                   "started has been undone as far as safely possible; run Terraform again to retry." +
                   Cause(status),
               std::nullopt);
}

std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets) {
  static constexpr char kRedacted[] = "(redacted)";
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), kRedacted);
      pos += sizeof(kRedacted) - 1;
    }
  }
  return text;
}

void RedactSecrets(schema::Diagnostics* diags, const std::vector<std::string>& secrets) {
  schema::Diagnostics out;
  for (schema::Diagnostic d : diags->items()) {
    d.summary = RedactSecrets(std::move(d.summary), secrets);
    d.detail = RedactSecrets(std::move(d.detail), secrets);
    out.Add(std::move(d));
  }
  *diags = std::move(out);
}

// --- database_upgrade ---

namespace {

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  - " + l;
  return out;
}

std::string StepOf(const Status& status) {
  // Pipeline messages start "step <name> failed: ..." / "step <name> cancelled: ..." /
  // "run cancelled before step <name>".
  const std::string& m = status.message();
  size_t at = m.find("step ");
  if (at == std::string::npos) return "";
  at += 5;
  size_t end = m.find_first_of(" :", at);
  return m.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

schema::Diagnostic StrategyNotFeasible(std::string_view strategy, std::string_view reason,
                                       const std::vector<std::string>& decision_lines,
                                       const schema::AttributePath& path) {
  return Error("Strategy \"" + std::string(strategy) + "\" cannot run",
               "The configuration forces " + path.ToString() + " = \"" + std::string(strategy) +
                   "\", but it cannot run here: " + std::string(reason) +
                   ". Fix that, or set strategy = \"auto\" to let the provider choose. Verdicts:" +
                   Lines(decision_lines),
               path);
}

schema::Diagnostic NoStrategyWithinDowntime(std::string_view strategy, int64_t estimate_seconds, int64_t limit_seconds,
                                            const std::vector<std::string>& decision_lines,
                                            const schema::AttributePath& path) {
  return Error("No upgrade strategy fits max_downtime",
               "No strategy can upgrade within " + path.ToString() + " = " + std::to_string(limit_seconds) +
                   "s. The fastest feasible one is \"" + std::string(strategy) + "\" with an estimated downtime of " +
                   std::to_string(estimate_seconds) + "s. Raise max_downtime to at least " +
                   std::to_string(estimate_seconds) +
                   "s, or make a faster strategy possible (for example a target server for replication). Verdicts:" +
                   Lines(decision_lines),
               path);
}

schema::Diagnostic NoStrategyFeasible(std::string_view reason, const std::vector<std::string>& decision_lines,
                                      const schema::AttributePath& path) {
  return Error("No upgrade strategy can run",
               std::string(reason) + " Verdicts:" + Lines(decision_lines), path);
}

schema::Diagnostic NewerThanPinnedVersion(std::string_view current_version, std::string_view target_version,
                                          const schema::AttributePath& path) {
  schema::Diagnostic d = Error(
      "Server is newer than target_version",
      "The server runs " + std::string(current_version) + ", a newer release of the same major version than " +
          path.ToString() + " = \"" + std::string(target_version) +
          "\" (probably an automatic minor upgrade). Nothing is planned: this provider never downgrades. Set " +
          path.ToString() + " to \"" + std::string(current_version) + "\" or to the major version only to silence this.",
      path);
  d.severity = schema::Diagnostic::Severity::kWarning;
  return d;
}

schema::Diagnostic ActiveServerUnreadable(const Status& status, std::string_view endpoint) {
  schema::Diagnostic d = Error("Cannot read the active database server",
                               "The server at " + Endpoint(endpoint) +
                                   " could not be probed during refresh, so the state keeps the last known version "
                                   "and size. Check that it is running and reachable." +
                                   Cause(status),
                               std::nullopt);
  d.severity = schema::Diagnostic::Severity::kWarning;
  return d;
}

schema::Diagnostic UpgradeFailed(const Status& status, std::string_view strategy, bool created) {
  const std::string step = StepOf(status);
  std::string detail = "The " + std::string(strategy) + " upgrade stopped" +
                       (step.empty() ? std::string() : " at step \"" + step + "\"") + ". ";
  if (strategy == "in_place") {
    detail += "The completed steps were undone as far as pg_upgrade allows: unless the message below says "
              "otherwise, the old server was started again and serves with writes enabled. ";
  } else if (status.message().find("undo of ") == std::string::npos) {
    detail += "The completed steps were undone: the source server keeps serving with writes enabled, and the "
              "replication slot and publication this upgrade created on it (if any) were removed. ";
  } else {
    detail += "Some completed steps could not be undone (listed in the cause below as \"undo of <step> "
              "failed\"); every other step was undone, so unless freeze_writes is listed the source server serves "
              "with writes enabled. The next apply finishes the cleanup before it starts again. ";
  }
  detail += created ? "Nothing was saved in the Terraform state. " : "The state still describes the previous upgrade. ";
  if (status.IsCancelled()) {
    detail += "It was cancelled (terraform interrupted, or a limit of the timeouts block was reached: raise "
              "timeouts.create / timeouts.update if the upgrade needs longer). ";
  }
  detail += "Fix the cause below, then run terraform apply again: the upgrade starts over (a run that was killed "
            "resumes from its journal in the provider's work_dir/runs).";
  std::string summary = status.IsCancelled() ? "Upgrade cancelled" : "Upgrade failed";
  if (!step.empty()) summary += " at step " + step;
  return Error(summary, detail + Cause(status), std::nullopt);
}

}  // namespace tpd::resources
