// hclog-style JSON log lines on stderr, which Terraform relays under TF_LOG / TF_LOG_PROVIDER.
//
// One line per call: {"@level":"info","@message":"...","@module":"provider.database",
// "@timestamp":"2026-08-21T14:10:23.123456Z", <fields>...}. @level, @message and @timestamp are
// always JSON strings (go-plugin casts them unchecked). The level threshold comes from
// TF_LOG_PROVIDER, else TF_LOG (trace|debug|info|warn|error|off; "json" counts as trace); without
// either, info and above are written.
//
// Never pass a secret as a message or field: callers log ConnInfo::Redacted(), not URLs with
// passwords.
//
// Thread-safety: every function may be called from any thread; lines are never interleaved.
#ifndef TPD_PROVIDER_LOG_H_
#define TPD_PROVIDER_LOG_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpd::log {

enum class Level { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

using Fields = std::vector<std::pair<std::string, nlohmann::json>>;

// Reads TF_LOG_PROVIDER / TF_LOG and sets the threshold. Called once at start-up.
void InitFromEnv();
void SetLevel(Level level);
Level GetLevel();
bool Enabled(Level level);
// Parses a TF_LOG value; kInfo for unrecognised text.
Level ParseLevel(std::string_view text);

// Writes one line if `level` passes the threshold. Blocks briefly on a mutex and stderr.
void Write(Level level, std::string_view message, const Fields& fields = {});

inline void Trace(std::string_view m, const Fields& f = {}) { Write(Level::kTrace, m, f); }
inline void Debug(std::string_view m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const Fields& f = {}) { Write(Level::kError, m, f); }

// Formats one line (without the trailing newline) exactly as Write does, for tests.
std::string FormatLineForTest(Level level, std::string_view message, const Fields& fields,
                              std::string_view timestamp);
// Current UTC time as 2006-01-02T15:04:05.000000Z07:00 layout (6 fractional digits, "Z").
std::string Timestamp();

// Redirects output (tests); nullptr restores stderr. The sink receives each line without newline.
void SetSinkForTest(std::function<void(const std::string&)> sink);

}  // namespace tpd::log

#endif  // TPD_PROVIDER_LOG_H_
