// Unit tests of the acceptance client's own rules (no provider process): handshake parsing, Go's
// RawStd base64, hclog line checks and Terraform's client certificate.
#include <string>

#include <catch2/catch.hpp>

#include "acceptance/client_cert.h"
#include "acceptance/process.h"

namespace tpd::acceptance {
namespace {

std::string RawStdEncode(const std::string& in) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlpha[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlpha[(acc << (6 - bits)) & 63]);
  return out;
}

TEST_CASE("DecodeRawStdBase64: decodes unpadded text and rejects padding", "[acceptance]") {
  CHECK(DecodeRawStdBase64("aGVsbG8").value() == "hello");
  CHECK(DecodeRawStdBase64("").value().empty());
  CHECK_FALSE(DecodeRawStdBase64("aGVsbG8=").ok());
  CHECK_FALSE(DecodeRawStdBase64("aGV-bG8").ok());
  CHECK_FALSE(DecodeRawStdBase64("a").ok());
}

TEST_CASE("GenerateTerraformClientCert: makes a P-521 localhost certificate like go-plugin", "[acceptance]") {
  auto c = GenerateTerraformClientCert();
  REQUIRE(c.ok());
  CHECK(c->cert_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(c->key_pem.find("PRIVATE KEY") != std::string::npos);
  auto info = InspectCertPem(c->cert_pem);
  REQUIRE(info.ok());
  CHECK(info->key_algorithm == "secp521r1");
  CHECK(info->san_localhost);
  CHECK(info->serial_positive);
  CHECK(info->server_auth_eku);
  auto other = GenerateTerraformClientCert();
  REQUIRE(other.ok());
  CHECK(other->cert_pem != c->cert_pem);
}

TEST_CASE("ParseHandshakeLine: accepts go-plugin's format and rejects each malformed field", "[acceptance]") {
  auto cert = GenerateTerraformClientCert();
  REQUIRE(cert.ok());
  // Recover the DER from the PEM via OpenSSL's base64 body.
  std::string pem = cert->cert_pem;
  std::string body;
  for (size_t pos = pem.find('\n') + 1; pos < pem.size();) {
    size_t nl = pem.find('\n', pos);
    std::string line = pem.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("-----", 0) == 0) break;
    body += line;
  }
  // Standard padded base64 body -> strip padding to get RawStd.
  std::string raw = body;
  while (!raw.empty() && raw.back() == '=') raw.pop_back();

  SECTION("valid unix line with certificate") {
    auto hs = ParseHandshakeLine("1|6|unix|/tmp/plugin123|grpc|" + raw + "\n", "5,6", true);
    INFO(hs.status().ToString());
    REQUIRE(hs.ok());
    CHECK(hs->app_version == 6);
    CHECK(hs->network == "unix");
    CHECK(hs->address == "/tmp/plugin123");
    CHECK(hs->cert_pem == cert->cert_pem);
    // Our own encoder agrees with OpenSSL's on the DER.
    CHECK(RawStdEncode(hs->cert_der) == raw);
  }
  SECTION("valid tcp line without TLS") {
    auto hs = ParseHandshakeLine("1|5|tcp|127.0.0.1:10000|grpc|", "5", false);
    REQUIRE(hs.ok());
    CHECK(hs->app_version == 5);
    CHECK(hs->cert_der.empty());
  }
  SECTION("padded certificate is refused") {
    if (raw.size() != body.size()) {
      CHECK_FALSE(ParseHandshakeLine("1|6|unix|/tmp/p|grpc|" + body, "6", true).ok());
    }
  }
  SECTION("malformed lines") {
    CHECK_FALSE(ParseHandshakeLine("hello", "5,6", false).ok());
    CHECK_FALSE(ParseHandshakeLine("2|6|unix|/tmp/p|grpc|", "5,6", false).ok());
    CHECK_FALSE(ParseHandshakeLine("1|6|unix|/tmp/p|grpc|", "5", false).ok());  // not offered
    CHECK_FALSE(ParseHandshakeLine("1|4|unix|/tmp/p|grpc|", "4,5,6", false).ok());
    CHECK_FALSE(ParseHandshakeLine("1|6|udp|/tmp/p|grpc|", "6", false).ok());
    CHECK_FALSE(ParseHandshakeLine("1|6|unix|/tmp/p|netrpc|", "6", false).ok());
    CHECK_FALSE(ParseHandshakeLine("1|6|unix|/tmp/p|grpc|", "6", true).ok());  // TLS expected
    CHECK_FALSE(ParseHandshakeLine("1|6|unix|/tmp/p|grpc|" + raw + "|x", "6", true).ok());
  }
}

TEST_CASE("CheckHclogLine: accepts hclog JSON and names each defect", "[acceptance]") {
  CHECK_FALSE(CheckHclogLine(R"({"@level":"info","@message":"m","@timestamp":"2026-08-21T14:10:23.123456Z"})"));
  CHECK_FALSE(CheckHclogLine(R"({"@level":"TRACE","@message":"m","@timestamp":"2026-08-21T14:10:23.123456+02:00","k":1})"));
  CHECK(CheckHclogLine("plain text"));
  CHECK(CheckHclogLine(R"({"@level":"info","@message":3,"@timestamp":"2026-08-21T14:10:23.123456Z"})"));
  CHECK(CheckHclogLine(R"({"@level":"loud","@message":"m","@timestamp":"2026-08-21T14:10:23.123456Z"})"));
  CHECK(CheckHclogLine(R"({"@level":"info","@message":"m","@timestamp":"2026-08-21T14:10:23.123Z"})"));
  CHECK(CheckHclogLine(R"({"@level":"info","@message":"m"})"));
}

}  // namespace
}  // namespace tpd::acceptance
