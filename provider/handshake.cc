#include "provider/handshake.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

namespace tpd::provider {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::optional<int> ParseInt(std::string_view s) {
  s = Trim(s);
  if (s.empty()) return std::nullopt;
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

Result<int> PortFromEnv(const EnvLookup& env, std::string_view name, int fallback) {
  std::optional<std::string> v = env(name);
  if (!v || Trim(*v).empty()) return fallback;
  std::optional<int> port = ParseInt(*v);
  if (!port || *port < 0 || *port > 65535) {
    return Status::InvalidArgument(std::string(name) + " must be a port number in [0, 65535], got \"" +
                                   *v + "\"");
  }
  return *port;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

bool MagicCookieMatches(const EnvLookup& env) {
  std::optional<std::string> v = env(kMagicCookieKey);
  return v && *v == kMagicCookieValue;
}

std::string MagicCookieMissingMessage() {
  return "This binary is a plugin. These are not meant to be executed directly.\n"
         "Please execute the program that consumes these plugins, which will\n"
         "load any plugins automatically (terraform init / plan / apply).\n"
         "To run it by hand for debugging use: terraform-provider-database -debug\n";
}

int NegotiateProtocolVersion(std::string_view offered, std::span<const int> supported) {
  std::vector<int> client;
  for (std::string_view part : Split(offered, ',')) {
    if (std::optional<int> v = ParseInt(part)) client.push_back(*v);
  }
  // Highest client version first, as go-plugin's server does.
  std::sort(client.begin(), client.end(), std::greater<int>());
  for (int v : client) {
    if (std::find(supported.begin(), supported.end(), v) != supported.end()) return v;
  }
  return *std::min_element(supported.begin(), supported.end());
}

Result<PortRange> PortRangeFromEnv(const EnvLookup& env) {
  PortRange r;
  TPD_ASSIGN_OR_RETURN(r.min, PortFromEnv(env, "PLUGIN_MIN_PORT", kDefaultMinPort));
  TPD_ASSIGN_OR_RETURN(r.max, PortFromEnv(env, "PLUGIN_MAX_PORT", kDefaultMaxPort));
  if (r.min > r.max) {
    return Status::InvalidArgument("PLUGIN_MIN_PORT (" + std::to_string(r.min) +
                                   ") is greater than PLUGIN_MAX_PORT (" + std::to_string(r.max) + ")");
  }
  return r;
}

UnixSocketSettings UnixSocketSettingsFromEnv(const EnvLookup& env) {
  UnixSocketSettings s;
  std::optional<std::string> dir = env("PLUGIN_UNIX_SOCKET_DIR");
  if (!dir || dir->empty()) dir = env("TMPDIR");
  s.dir = (dir && !dir->empty()) ? *dir : "/tmp";
  if (std::optional<std::string> group = env("PLUGIN_UNIX_SOCKET_GROUP")) s.group = *group;
  return s;
}

std::string FormatHandshakeLine(const HandshakeLine& line) {
  std::string out = std::to_string(line.core_version);
  out += '|';
  out += std::to_string(line.app_version);
  out += '|';
  out += line.network;
  out += '|';
  out += line.address;
  out += '|';
  out += line.protocol;
  out += '|';
  out += line.cert_base64;
  return out;
}

Result<HandshakeLine> ParseHandshakeLine(std::string_view text) {
  std::vector<std::string_view> parts = Split(Trim(text), '|');
  if (parts.size() < 4) {
    return Status::InvalidArgument("unrecognized handshake line (fewer than 4 fields): \"" +
                                   std::string(text) + "\"");
  }
  HandshakeLine line;
  std::optional<int> core = ParseInt(parts[0]);
  std::optional<int> app = ParseInt(parts[1]);
  if (!core || !app) {
    return Status::InvalidArgument("handshake line has a non-numeric version field: \"" +
                                   std::string(text) + "\"");
  }
  line.core_version = *core;
  line.app_version = *app;
  line.network = std::string(parts[2]);
  line.address = std::string(parts[3]);
  line.protocol = parts.size() > 4 ? std::string(parts[4]) : "grpc";
  line.cert_base64 = parts.size() > 5 ? std::string(parts[5]) : "";
  return line;
}

std::string EncodeBase64RawStd(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    unsigned n = at(i) << 16;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    unsigned n = (at(i) << 16) | (at(i + 1) << 8);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
  }
  return out;
}

Result<std::string> DecodeBase64RawStd(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return Status::InvalidArgument("base64 text has an impossible length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    size_t v = kBase64Alphabet.find(c);
    if (v == std::string_view::npos) {
      return Status::InvalidArgument("base64 text contains an invalid character");
    }
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string FormatReattachJson(std::string_view provider_address, int protocol_version, int pid,
                               std::string_view network, std::string_view address) {
  nlohmann::ordered_json entry;
  entry["Protocol"] = "grpc";
  entry["ProtocolVersion"] = protocol_version;
  entry["Pid"] = pid;
  entry["Test"] = true;
  entry["Addr"] = {{"Network", std::string(network)}, {"String", std::string(address)}};
  nlohmann::ordered_json root;
  root[std::string(provider_address)] = entry;
  return root.dump();
}

}  // namespace tpd::provider
