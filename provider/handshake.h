// The go-plugin handshake, as pure functions (no I/O, no process state).
//
// Terraform starts the provider with a few environment variables (magic cookie, offered protocol
// versions, port range, client certificate) and reads exactly one line from its stdout:
//
//   CORE|APP|NET|ADDR|PROTO|CERT      e.g. 1|6|unix|/tmp/plugin123|grpc|MIIB...   (no '=' padding)
//
// This header formats and parses that line, negotiates the protocol version, reads the listener
// settings, and builds the TF_REATTACH_PROVIDERS value printed in -debug mode. plugin_server.cc
// does the I/O. The acceptance client (Terraform's side) uses ParseHandshakeLine and
// DecodeBase64RawStd to connect to a provider it started.
//
// Environment access goes through an EnvLookup so tests can pass a map instead of the process
// environment.
//
// Thread-safety: all functions are pure and may be called from any thread; ProcessEnv() reads the
// process environment (std::getenv), so it must not race with setenv in another thread.
#ifndef TPD_PROVIDER_HANDSHAKE_H_
#define TPD_PROVIDER_HANDSHAKE_H_

#include <array>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "schema/status.h"

namespace tpd::provider {

// The cookie Terraform sets so that a provider started by hand refuses to run. A UX guard only.
inline constexpr std::string_view kMagicCookieKey = "TF_PLUGIN_MAGIC_COOKIE";
inline constexpr std::string_view kMagicCookieValue =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
// go-plugin core protocol (field 1 of the handshake line). Terraform accepts only 1.
inline constexpr int kCoreProtocolVersion = 1;
// Plugin protocol majors we serve, ascending.
inline constexpr std::array<int, 2> kSupportedProtocolVersions = {5, 6};
// Default TCP port range when PLUGIN_MIN_PORT / PLUGIN_MAX_PORT are unset (go-plugin defaults).
inline constexpr int kDefaultMinPort = 10000;
inline constexpr int kDefaultMaxPort = 25000;
// Provider source address used in the reattach JSON of -debug mode.
inline constexpr std::string_view kProviderAddress = "terraform.local/dbupgrade/database";

// Looks up an environment variable; nullopt when unset. An empty value is returned as "".
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// EnvLookup over the real process environment (std::getenv). The returned function holds no state.
EnvLookup ProcessEnv();

// True iff TF_PLUGIN_MAGIC_COOKIE is set to exactly kMagicCookieValue.
bool MagicCookieMatches(const EnvLookup& env);

// The human explanation printed on stderr when the cookie is missing (several lines, ends in '\n').
std::string MagicCookieMissingMessage();

// Chooses the plugin protocol major from PLUGIN_PROTOCOL_VERSIONS (`offered`, a comma-separated
// list in any order, spaces tolerated, non-numbers ignored): the highest version in `supported`
// that also appears in `offered`. When nothing matches (or `offered` is empty) returns the lowest
// supported version, as go-plugin does, so the client reports a clear version mismatch.
// REQUIRES: `supported` is non-empty.
int NegotiateProtocolVersion(std::string_view offered,
                             std::span<const int> supported = kSupportedProtocolVersions);

// Inclusive TCP port range for the listener (only used with the tcp network).
struct PortRange {
  int min = kDefaultMinPort;
  int max = kDefaultMaxPort;
};

// Reads PLUGIN_MIN_PORT / PLUGIN_MAX_PORT (each defaults independently).
// Returns InvalidArgument when a value is not an integer in [0, 65535] or min > max.
Result<PortRange> PortRangeFromEnv(const EnvLookup& env);

// Where and how to create the unix socket.
struct UnixSocketSettings {
  // Directory for the socket: PLUGIN_UNIX_SOCKET_DIR, else TMPDIR, else "/tmp".
  std::string dir;
  // PLUGIN_UNIX_SOCKET_GROUP (group name or numeric gid); empty when unset. When set, the server
  // chowns the socket to that group and makes it 0660.
  std::string group;
};

// Reads PLUGIN_UNIX_SOCKET_DIR, TMPDIR and PLUGIN_UNIX_SOCKET_GROUP. Never fails.
UnixSocketSettings UnixSocketSettingsFromEnv(const EnvLookup& env);

// The fields of the handshake line.
struct HandshakeLine {
  int core_version = kCoreProtocolVersion;
  int app_version = 6;           // negotiated plugin protocol major (5 or 6)
  std::string network = "unix";  // "unix" or "tcp"
  std::string address;           // socket path, or 127.0.0.1:PORT
  std::string protocol = "grpc";
  // Server certificate: base64 RawStd (no padding) of its DER; empty in plaintext mode.
  std::string cert_base64;
};

// Formats the line WITHOUT the trailing newline: "1|6|unix|/tmp/x|grpc|<cert>". The 6th field is
// present (possibly empty) so the line always has 6 fields; never a 7th.
std::string FormatHandshakeLine(const HandshakeLine& line);

// Parses a line as Terraform does: trims surrounding whitespace (including "\r\n"), splits on '|'.
// Returns InvalidArgument when there are fewer than 4 fields or field 1/2 is not an integer.
// Fields 5 and 6 default to "grpc" and "" when absent.
Result<HandshakeLine> ParseHandshakeLine(std::string_view text);

// Base64 with the standard alphabet (A-Z a-z 0-9 + /) and no '=' padding (Go's RawStdEncoding).
std::string EncodeBase64RawStd(std::string_view bytes);
// Inverse of EncodeBase64RawStd. Also accepts trailing '=' padding. Returns InvalidArgument on a
// character outside the alphabet or an impossible length (len % 4 == 1).
Result<std::string> DecodeBase64RawStd(std::string_view text);

// Value for TF_REATTACH_PROVIDERS that points Terraform at a provider already running in debug
// mode: {"<address>":{"Protocol":"grpc","ProtocolVersion":6,"Pid":123,"Test":true,
// "Addr":{"Network":"unix","String":"/tmp/plugin123"}}} (single line, no trailing newline).
std::string FormatReattachJson(std::string_view provider_address, int protocol_version, int pid,
                               std::string_view network, std::string_view address);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_HANDSHAKE_H_
