#include "provider/handshake.h"

#include <map>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace tpd::provider {
namespace {

EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST_CASE("NegotiateProtocolVersion: picks the highest supported offered version", "[provider]") {
  CHECK(NegotiateProtocolVersion("5,6") == 6);
  CHECK(NegotiateProtocolVersion("6,5") == 6);
  CHECK(NegotiateProtocolVersion("5") == 5);
  CHECK(NegotiateProtocolVersion("6") == 6);
  CHECK(NegotiateProtocolVersion(" 5 , 6 ") == 6);
  CHECK(NegotiateProtocolVersion("7,5,4") == 5);
}

TEST_CASE("NegotiateProtocolVersion: returns the lowest supported when nothing matches", "[provider]") {
  CHECK(NegotiateProtocolVersion("4,7") == 5);
  CHECK(NegotiateProtocolVersion("") == 5);
  CHECK(NegotiateProtocolVersion("abc") == 5);
  const int only6[] = {6};
  CHECK(NegotiateProtocolVersion("5", only6) == 6);
}

TEST_CASE("MagicCookieMatches: true only for Terraform's exact cookie", "[provider]") {
  CHECK(MagicCookieMatches(MapEnv({{"TF_PLUGIN_MAGIC_COOKIE",
                                    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"}})));
  CHECK_FALSE(MagicCookieMatches(MapEnv({})));
  CHECK_FALSE(MagicCookieMatches(MapEnv({{"TF_PLUGIN_MAGIC_COOKIE", ""}})));
  CHECK_FALSE(MagicCookieMatches(MapEnv({{"TF_PLUGIN_MAGIC_COOKIE", "d602bf8f"}})));
  CHECK(MagicCookieMissingMessage().find("plugin") != std::string::npos);
}

TEST_CASE("PortRangeFromEnv: defaults and overrides", "[provider]") {
  Result<PortRange> def = PortRangeFromEnv(MapEnv({}));
  REQUIRE(def.ok());
  CHECK(def->min == 10000);
  CHECK(def->max == 25000);

  Result<PortRange> set = PortRangeFromEnv(MapEnv({{"PLUGIN_MIN_PORT", "12000"}, {"PLUGIN_MAX_PORT", "12010"}}));
  REQUIRE(set.ok());
  CHECK(set->min == 12000);
  CHECK(set->max == 12010);
}

TEST_CASE("PortRangeFromEnv: rejects non-numbers and inverted ranges", "[provider]") {
  CHECK(PortRangeFromEnv(MapEnv({{"PLUGIN_MIN_PORT", "x"}})).status().IsInvalidArgument());
  CHECK(PortRangeFromEnv(MapEnv({{"PLUGIN_MAX_PORT", "70000"}})).status().IsInvalidArgument());
  CHECK(PortRangeFromEnv(MapEnv({{"PLUGIN_MIN_PORT", "20"}, {"PLUGIN_MAX_PORT", "10"}})).status().IsInvalidArgument());
}

TEST_CASE("UnixSocketSettingsFromEnv: socket dir precedence is PLUGIN_UNIX_SOCKET_DIR, TMPDIR, /tmp",
          "[provider]") {
  CHECK(UnixSocketSettingsFromEnv(MapEnv({})).dir == "/tmp");
  CHECK(UnixSocketSettingsFromEnv(MapEnv({{"TMPDIR", "/var/tmp"}})).dir == "/var/tmp");
  UnixSocketSettings s = UnixSocketSettingsFromEnv(
      MapEnv({{"TMPDIR", "/var/tmp"}, {"PLUGIN_UNIX_SOCKET_DIR", "/run/p"}, {"PLUGIN_UNIX_SOCKET_GROUP", "wheel"}}));
  CHECK(s.dir == "/run/p");
  CHECK(s.group == "wheel");
  CHECK(UnixSocketSettingsFromEnv(MapEnv({})).group.empty());
}

TEST_CASE("FormatHandshakeLine: six pipe-separated fields", "[provider]") {
  HandshakeLine line;
  line.app_version = 6;
  line.network = "unix";
  line.address = "/tmp/plugin-abc";
  line.cert_base64 = "MIIBxyz";
  CHECK(FormatHandshakeLine(line) == "1|6|unix|/tmp/plugin-abc|grpc|MIIBxyz");

  line.app_version = 5;
  line.network = "tcp";
  line.address = "127.0.0.1:10000";
  line.cert_base64.clear();
  CHECK(FormatHandshakeLine(line) == "1|5|tcp|127.0.0.1:10000|grpc|");
}

TEST_CASE("ParseHandshakeLine: round-trips and tolerates CRLF", "[provider]") {
  Result<HandshakeLine> p = ParseHandshakeLine("1|6|unix|/tmp/plugin1|grpc|QUJD\r\n");
  REQUIRE(p.ok());
  CHECK(p->core_version == 1);
  CHECK(p->app_version == 6);
  CHECK(p->network == "unix");
  CHECK(p->address == "/tmp/plugin1");
  CHECK(p->protocol == "grpc");
  CHECK(p->cert_base64 == "QUJD");

  Result<HandshakeLine> short4 = ParseHandshakeLine("1|5|tcp|127.0.0.1:1");
  REQUIRE(short4.ok());
  CHECK(short4->protocol == "grpc");
  CHECK(short4->cert_base64.empty());

  CHECK(ParseHandshakeLine("1|6|unix").status().IsInvalidArgument());
  CHECK(ParseHandshakeLine("x|6|unix|/p").status().IsInvalidArgument());
}

TEST_CASE("EncodeBase64RawStd: standard alphabet without padding", "[provider]") {
  CHECK(EncodeBase64RawStd("") == "");
  CHECK(EncodeBase64RawStd("f") == "Zg");
  CHECK(EncodeBase64RawStd("fo") == "Zm8");
  CHECK(EncodeBase64RawStd("foo") == "Zm9v");
  CHECK(EncodeBase64RawStd("foob") == "Zm9vYg");
  CHECK(EncodeBase64RawStd("fooba") == "Zm9vYmE");
  CHECK(EncodeBase64RawStd("foobar") == "Zm9vYmFy");
  // Bytes that map to '+' and '/' (standard, not URL-safe alphabet).
  CHECK(EncodeBase64RawStd(std::string("\xfb\xff\xbf", 3)) == "+/+/");
  for (int n = 0; n < 40; ++n) {
    std::string bytes;
    for (int i = 0; i < n; ++i) bytes += static_cast<char>((i * 37 + n) & 0xff);
    std::string enc = EncodeBase64RawStd(bytes);
    CHECK(enc.find('=') == std::string::npos);
    Result<std::string> dec = DecodeBase64RawStd(enc);
    REQUIRE(dec.ok());
    CHECK(*dec == bytes);
  }
}

TEST_CASE("DecodeBase64RawStd: rejects invalid text", "[provider]") {
  CHECK(DecodeBase64RawStd("Zg==").ok());
  CHECK(DecodeBase64RawStd("Z").status().IsInvalidArgument());
  CHECK(DecodeBase64RawStd("Zm9v-_").status().IsInvalidArgument());
}

TEST_CASE("FormatReattachJson: Terraform's TF_REATTACH_PROVIDERS shape with Test true", "[provider]") {
  std::string text = FormatReattachJson(kProviderAddress, 6, 4242, "unix", "/tmp/plugin-x");
  CHECK(text.find('\n') == std::string::npos);
  nlohmann::json j = nlohmann::json::parse(text);
  REQUIRE(j.size() == 1);
  const nlohmann::json& e = j.at("terraform.local/dbupgrade/database");
  CHECK(e.at("Protocol") == "grpc");
  CHECK(e.at("ProtocolVersion") == 6);
  CHECK(e.at("Pid") == 4242);
  CHECK(e.at("Test") == true);
  CHECK(e.at("Addr").at("Network") == "unix");
  CHECK(e.at("Addr").at("String") == "/tmp/plugin-x");
}

}  // namespace
}  // namespace tpd::provider
