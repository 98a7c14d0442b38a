#include "provider/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace tpd::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mu;
std::function<void(const std::string&)> g_sink;  // guarded by g_mu

const char* LevelName(Level l) {
  switch (l) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

}  // namespace

Level ParseLevel(std::string_view text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "trace" || t == "json") return Level::kTrace;
  if (t == "debug") return Level::kDebug;
  if (t == "info") return Level::kInfo;
  if (t == "warn") return Level::kWarn;
  if (t == "error") return Level::kError;
  if (t == "off") return Level::kOff;
  return Level::kInfo;
}

void InitFromEnv() {
  const char* v = std::getenv("TF_LOG_PROVIDER");
  if (v == nullptr || *v == '\0') v = std::getenv("TF_LOG");
  SetLevel(v != nullptr && *v != '\0' ? ParseLevel(v) : Level::kInfo);
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
Level GetLevel() { return static_cast<Level>(g_level.load()); }
bool Enabled(Level level) { return level != Level::kOff && static_cast<int>(level) >= g_level.load(); }

std::string Timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto us = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
  return buf;
}

std::string FormatLineForTest(Level level, std::string_view message, const Fields& fields,
                              std::string_view timestamp) {
  nlohmann::ordered_json j;
  j["@level"] = LevelName(level);
  j["@message"] = std::string(message);
  j["@module"] = "provider.database";
  j["@timestamp"] = std::string(timestamp);
  for (const auto& [k, v] : fields) {
    if (k.empty() || k[0] == '@') continue;  // reserved keys stay ours
    j[k] = v;
  }
  // Invalid UTF-8 in a message must not throw: replace it.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(Level level, std::string_view message, const Fields& fields) {
  if (!Enabled(level)) return;
  std::string line = FormatLineForTest(level, message, fields, Timestamp());
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_sink) {
    g_sink(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

void SetSinkForTest(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_sink = std::move(sink);
}

}  // namespace tpd::log
