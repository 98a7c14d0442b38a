// The client certificate Terraform (go-plugin's AutoMTLS) creates for every provider launch.
//
// go-plugin generates, per launch, an ECDSA P-521 key and a self-signed certificate: CN=localhost,
// O=HashiCorp, SAN DNS=localhost, EKU clientAuth+serverAuth, KeyUsage digitalSignature |
// keyEncipherment | keyAgreement | certSign, BasicConstraints CA=true, 128-bit random serial,
// NotBefore = now-30s, NotAfter = now+262980h, signed with ecdsa-with-SHA512 (FACTS.md §1.4). We make
// the same thing with OpenSSL so the provider meets exactly what Terraform presents.
//
// Thread-safety: free functions, safe from any thread.
#ifndef TPD_ACCEPTANCE_CLIENT_CERT_H_
#define TPD_ACCEPTANCE_CLIENT_CERT_H_

#include <string>
#include <string_view>

#include "schema/status.h"

namespace tpd::acceptance {

struct CertAndKey {
  std::string cert_pem;  // one "CERTIFICATE" PEM block
  std::string key_pem;   // PKCS#8 "PRIVATE KEY" PEM block
};

// A fresh P-521 key and self-signed certificate as described above. Internal if OpenSSL fails.
Result<CertAndKey> GenerateTerraformClientCert();

// PEM text of a DER certificate. InvalidArgument when `der` does not parse as an X.509 certificate.
Result<std::string> DerCertToPem(std::string_view der);

// Decodes base64 in Go's RawStdEncoding (standard alphabet, NO '=' padding). InvalidArgument for a
// padded string or any character outside the alphabet, like Go's "illegal base64 data".
Result<std::string> DecodeRawStdBase64(std::string_view text);

// Summary of a PEM certificate for checks: the public key's curve/algorithm name and whether the
// SAN contains DNS:localhost. InvalidArgument when it does not parse.
struct CertInfo {
  std::string key_algorithm;  // e.g. "secp521r1", "prime256v1", "rsaEncryption", "ED25519"
  bool san_localhost = false;
  bool serial_positive = false;
  bool server_auth_eku = false;  // EKU absent or includes serverAuth
};
Result<CertInfo> InspectCertPem(std::string_view pem);

}  // namespace tpd::acceptance

#endif  // TPD_ACCEPTANCE_CLIENT_CERT_H_
