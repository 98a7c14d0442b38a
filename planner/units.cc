#include "planner/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace tpd::planner {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads [0-9]+(\.[0-9]+)? at `*i`. False when there is no digit.
bool ReadNumber(std::string_view t, size_t* i, double* out) {
  const size_t start = *i;
  double v = 0;
  while (*i < t.size() && std::isdigit(static_cast<unsigned char>(t[*i]))) v = v * 10 + (t[(*i)++] - '0');
  if (*i == start) return false;
  if (*i < t.size() && t[*i] == '.') {
    ++*i;
    double scale = 0.1;
    const size_t frac = *i;
    while (*i < t.size() && std::isdigit(static_cast<unsigned char>(t[*i]))) {
      v += (t[(*i)++] - '0') * scale;
      scale /= 10;
    }
    if (*i == frac) return false;
  }
  *out = v;
  return true;
}

constexpr double kMaxSeconds = 100.0 * 365 * 24 * 3600;

}  // namespace

Result<int64_t> ParseDurationSeconds(std::string_view text) {
  const std::string_view t = Trim(text);
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                                   " (examples: 90s, 5m, 1h30m)");
  };
  if (t.empty()) return bad("empty");
  if (t.front() == '-') return bad("must not be negative");
  size_t i = 0;
  double total = 0;
  bool any = false;
  while (i < t.size()) {
    double n = 0;
    if (!ReadNumber(t, &i, &n)) return bad("expected a number");
    if (i == t.size()) {
      if (any) return bad("missing unit after the last number");
      total = n;  // bare seconds
      any = true;
      break;
    }
    const char u = static_cast<char>(std::tolower(static_cast<unsigned char>(t[i++])));
    switch (u) {
      case 'd': total += n * 86400; break;
      case 'h': total += n * 3600; break;
      case 'm':
        if (i < t.size() && (t[i] == 's' || t[i] == 'S')) return bad("milliseconds are not supported");
        total += n * 60;
        break;
      case 's': total += n; break;
      default: return bad(std::string("unknown unit '") + t[i - 1] + "'");
    }
    any = true;
  }
  if (total > kMaxSeconds) return bad("too long");
  return static_cast<int64_t>(std::ceil(total - 1e-9));
}

Result<int64_t> ParseSizeBytes(std::string_view text) {
  const std::string_view t = Trim(text);
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid size \"" + std::string(text) + "\": " + std::string(why) +
                                   " (examples: 12GiB, 500MB, 1.5TiB)");
  };
  if (t.empty()) return bad("empty");
  if (t.front() == '-') return bad("must not be negative");
  size_t i = 0;
  double n = 0;
  if (!ReadNumber(t, &i, &n)) return bad("expected a number");
  const std::string unit = Lower(Trim(t.substr(i)));
  double mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "kb") mult = 1e3;
  else if (unit == "mb") mult = 1e6;
  else if (unit == "gb") mult = 1e9;
  else if (unit == "tb") mult = 1e12;
  else if (unit == "kib") mult = 1024.0;
  else if (unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "gib") mult = 1024.0 * 1024 * 1024;
  else if (unit == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else return bad("unknown unit \"" + std::string(Trim(t.substr(i))) + "\"");
  const double bytes = n * mult;
  if (bytes >= 9.0e18) return bad("too large");
  return static_cast<int64_t>(std::llround(bytes));
}

std::string FormatDuration(int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string out;
  const int64_t h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  if (h > 0) out += std::to_string(h) + "h";
  if (m > 0) out += std::to_string(m) + "m";
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

std::string FormatSize(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0 || std::fabs(v - std::round(v)) < 0.05) {
    std::snprintf(buf, sizeof buf, "%.0f %s", std::round(v), kUnits[u]);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

}  // namespace tpd::planner
