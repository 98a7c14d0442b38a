// Turning a Status (or a fact) into what the user reads: the one place where user prose for
// Terraform diagnostics is written (STYLE.md rule 2).
//
// Every helper returns an error diagnostic (unless it says "warning") with
//  - summary: a short title ("Cannot connect to the database server");
//  - detail: what happened, then what to do next, then "Cause: <underlying status message>" when a
//    Status is given;
//  - attribute: the configuration attribute it is about.
// No helper puts a secret in its text: helpers take redacted inputs only (ConnInfo::Redacted(),
// endpoints, user names), and the underlying Status messages of this project never hold secrets.
// RedactSecrets is the second line of defence for text that came from a server or a library.
//
// Thread-safety: pure functions.
#ifndef TPD_RESOURCES_DIAGNOSTICS_H_
#define TPD_RESOURCES_DIAGNOSTICS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/diagnostics.h"
#include "schema/path.h"
#include "schema/status.h"

namespace tpd::resources {

// A configured value failed a validator or a cross-attribute check. Path: `path`, else
// status.path(). REQUIRES: !status.ok().
schema::Diagnostic InvalidAttribute(const Status& status, const schema::AttributePath& path);
schema::Diagnostic InvalidAttribute(const Status& status);

// `engine` is not an engine name at all (CheckEngineName failed with `status`).
schema::Diagnostic UnknownEngine(const Status& status, const schema::AttributePath& path);

// `engine` is a valid engine name but `feature` (e.g. "the database_instance data source") does not
// support it yet; the detail lists `supported`.
schema::Diagnostic UnsupportedEngine(std::string_view engine, std::string_view feature,
                                     const std::vector<std::string>& supported, const schema::AttributePath& path);

// Why a connection attempt failed, as far as the engine could tell.
enum class ConnectionFailure {
  kMalformedUrl,    // the URL could not be parsed: nothing was contacted
  kUnreachable,     // no answer: DNS, refused, timeout, TLS handshake
  kAuthentication,  // the server answered and refused the credentials
  kOther,           // anything else the server said (database missing, too many connections, ...)
};

// The URL could not be parsed. Attribute: `url_path`.
schema::Diagnostic MalformedUrl(const Status& status, const schema::AttributePath& url_path);
// No server answered at `endpoint` ("db.example.com:5432"). Attribute: `url_path`.
schema::Diagnostic ServerUnreachable(const Status& status, std::string_view endpoint,
                                     const schema::AttributePath& url_path);
// The server at `endpoint` refused `user`'s credentials. Attribute: `password_path`.
schema::Diagnostic AuthenticationFailed(const Status& status, std::string_view user, std::string_view endpoint,
                                        const schema::AttributePath& password_path);
// Dispatches on `kind` to the three helpers above; kOther says the server refused the connection
// and names `url_path`. `endpoint`/`user` may be empty when unknown (malformed URL).
schema::Diagnostic ConnectionFailed(ConnectionFailure kind, const Status& status, std::string_view endpoint,
                                    std::string_view user, const schema::AttributePath& url_path,
                                    const schema::AttributePath& password_path);

// Connected, but reading facts from the server failed (permissions on a catalog, an unexpected
// answer). Attribute: `path` (usually the URL).
schema::Diagnostic ProbeFailed(const Status& status, std::string_view endpoint, const schema::AttributePath& path);

// `target_version` is older than the server's `current_version`: downgrades are refused; the detail
// says to restore from a backup instead. Attribute: `path` (target_version).
schema::Diagnostic DowngradeRefused(std::string_view current_version, std::string_view target_version,
                                    const schema::AttributePath& path);

// `strategy` needs `path` to be set (`why` completes "needs it to ..."). Attribute: `path`.
schema::Diagnostic MissingForStrategy(std::string_view strategy, std::string_view why,
                                      const schema::AttributePath& path);

// Warning: the URL at `url_path` carries a password, which Terraform shows in plans and stores
// unmasked; the detail says to move it to `password_attr`.
schema::Diagnostic PasswordInUrl(const schema::AttributePath& url_path, std::string_view password_attr);

// The operation was stopped (StopProvider, timeout, Ctrl-C). No attribute.
schema::Diagnostic Cancelled(const Status& status, std::string_view operation);

// Copy of `text` with every occurrence of each secret (of 3 characters or more; shorter ones
// would mangle ordinary words and are trivially guessable anyway) replaced by "(redacted)".
std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets);
// RedactSecrets applied to the summary and detail of every diagnostic in `diags`.
// REQUIRES: diags != nullptr.
void RedactSecrets(schema::Diagnostics* diags, const std::vector<std::string>& secrets);

// --- database_upgrade (added with the resource's behaviour) ---

// The forced `strategy` cannot run: `reason` is the planner's verdict; `decision_lines` lists every
// strategy's verdict. Attribute: `path` (strategy).
schema::Diagnostic StrategyNotFeasible(std::string_view strategy, std::string_view reason,
                                       const std::vector<std::string>& decision_lines,
                                       const schema::AttributePath& path);
// No strategy meets max_downtime: names the fastest feasible `strategy` and its estimate (seconds)
// and the limit. Attribute: `path` (max_downtime).
schema::Diagnostic NoStrategyWithinDowntime(std::string_view strategy, int64_t estimate_seconds, int64_t limit_seconds,
                                            const std::vector<std::string>& decision_lines,
                                            const schema::AttributePath& path);
// No strategy can run at all (auto): `reason` from the planner, one line per strategy. Attribute:
// `path` (usually strategy).
schema::Diagnostic NoStrategyFeasible(std::string_view reason, const std::vector<std::string>& decision_lines,
                                      const schema::AttributePath& path);
// Warning: the server runs `current_version`, newer within the same major than the pinned
// `target_version` (an automatic minor upgrade); nothing is planned. Attribute: `path`.
schema::Diagnostic NewerThanPinnedVersion(std::string_view current_version, std::string_view target_version,
                                          const schema::AttributePath& path);
// Warning: the active server at `endpoint` could not be read during refresh; the state is kept.
schema::Diagnostic ActiveServerUnreadable(const Status& status, std::string_view endpoint);
// Apply failed at a step. `strategy` ran; `status` is the pipeline's error ("step copy_data failed:
// ..."). The detail says which step failed, that the source keeps serving with writes enabled and
// nothing of ours is left on it (slots/publications removed), and to fix the cause and re-run apply.
// `created` true: nothing was saved in state. No attribute.
schema::Diagnostic UpgradeFailed(const Status& status, std::string_view strategy, bool created);

}  // namespace tpd::resources

#endif  // TPD_RESOURCES_DIAGNOSTICS_H_
