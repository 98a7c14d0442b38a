// Per-process TLS identities for go-plugin's AutoMTLS, built with OpenSSL 3.
//
// Both sides of a Terraform <-> provider connection generate a fresh key and a self-signed
// certificate at every start and trust only the peer's certificate: Terraform passes its own in
// PLUGIN_CLIENT_CERT (PEM), the provider prints its own in the handshake line (field 6, unpadded
// base64 of the DER). GenerateSelfSignedCert mirrors what go-plugin generates: CN=localhost,
// O=HashiCorp, SAN DNS:localhost, EKU serverAuth+clientAuth, KeyUsage digitalSignature |
// keyEncipherment | keyAgreement | keyCertSign, CA=true, positive 128-bit random serial,
// NotBefore = now - 30 s, NotAfter = now + 262980 h (~30 years). The key is ECDSA P-256 with
// SHA-256 by default (go-plugin uses P-521; Go's client accepts any of P-256/P-384/P-521, and P-256
// is several times cheaper to generate and to handshake with, which matters because Terraform waits
// for every provider start). CertOptions::curve selects P-384 or P-521.
//
// Thread-safety: every function may be called concurrently (OpenSSL 3 is thread-safe for these
// calls). All functions allocate and free their OpenSSL objects internally; nothing is shared.
#ifndef TPD_PROVIDER_TLS_H_
#define TPD_PROVIDER_TLS_H_

#include <openssl/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::provider {

// Initializes OpenSSL for the plugin transport. Call once, before any other OpenSSL use in the
// process (ServePlugin does, before its TLS thread starts); later calls do nothing.
//
// When the binary carries its own copy of OpenSSL (TPD_PRIVATE_OPENSSL: the default static build,
// see tpd_openssl in the root CMakeLists.txt), that copy is initialized without reading openssl.cnf,
// without loading error strings and with a Hash_DRBG random generator (tls.cc says why): together
// ~2.5 ms of OpenSSL's first use, and Terraform waits for every provider start. Nothing in
// openssl.cnf concerns this private channel, whose peer certificate is pinned (a Go provider
// ignores openssl.cnf too). OpenSSL's errors then read "error:<code>:lib(<n>)::reason(<n>)";
// `openssl errstr <code>` decodes them. Database connections are not affected: libpq brings the
// system's shared OpenSSL, which reads its configuration as usual. With a shared OpenSSL
// (TPD_STATIC_GRPC=OFF) this is a plain default initialization, because libpq then shares it.
void InitTransportOpenSsl();

enum class EcCurve { kP256, kP384, kP521 };

struct CertOptions {
  // Subject common name. Go ignores it for host checks; kept for parity with go-plugin.
  std::string common_name = "localhost";
  // Subject organization.
  std::string organization = "HashiCorp";
  // DNS subjectAltNames; Terraform's client verifies the server against "localhost".
  std::vector<std::string> dns_names = {"localhost"};
  // Key curve; the signature digest follows it (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512).
  EcCurve curve = EcCurve::kP256;
  // NotBefore = now - backdate (tolerates small clock differences). Default 30 s.
  std::chrono::seconds backdate{30};
  // NotAfter = now + validity. Default 262980 h (~30 years), as go-plugin.
  std::chrono::hours validity{262980};
  // Also produce cert_pem and key_pem (the plugin server needs neither). Default true.
  bool pem = true;
};

// A freshly generated identity. cert_der is the DER of the certificate in cert_pem; key is the
// private key as an OpenSSL object (for NewServerTlsContext, without a PEM round trip).
struct SelfSignedCert {
  std::string cert_pem;  // one "CERTIFICATE" PEM block, '\n' line ends; empty unless CertOptions::pem
  std::string key_pem;   // PKCS#8 "PRIVATE KEY" PEM block, same condition; secret: never log it
  std::string cert_der;  // raw DER bytes
  std::shared_ptr<EVP_PKEY> key;
};

// Generates a new ECDSA key and a self-signed certificate as described at the top of this file.
// Returns Internal if OpenSSL fails (the message includes OpenSSL's error text), InvalidArgument
// when `options` has no DNS name or a non-positive validity. Blocks for a few milliseconds (key
// generation); does no I/O.
Result<SelfSignedCert> GenerateSelfSignedCert(const CertOptions& options = {});

// The TLS server side of the plugin transport (used by provider/plugin_listener.h): presents `own`,
// TLS 1.2 or 1.3, requires a client certificate and trusts exactly one, `client_cert_pem` (what
// Terraform passed in PLUGIN_CLIENT_CERT; P-521/SHA-512 as Terraform makes it verifies), selects
// ALPN "h2" (grpc-go refuses a connection without it), no session resumption. InvalidArgument
// when `client_cert_pem` holds no certificate, Internal when OpenSSL fails.
Result<std::shared_ptr<SSL_CTX>> NewServerTlsContext(const SelfSignedCert& own, std::string_view client_cert_pem);

// A quick structural check of PLUGIN_CLIENT_CERT that needs no OpenSSL (ServePlugin runs it before
// the handshake line, NewServerTlsContext parses the certificate fully afterwards): a CERTIFICATE
// PEM block whose base64 body decodes to exactly one DER SEQUENCE. InvalidArgument otherwise.
Status CheckCertificatePem(std::string_view pem);

// Converts the first CERTIFICATE block of `pem` to DER. InvalidArgument when no certificate parses.
Result<std::string> CertPemToDer(std::string_view pem);

// Converts certificate DER to a PEM CERTIFICATE block. InvalidArgument when `der` does not parse
// as a certificate (or has trailing bytes).
Result<std::string> CertDerToPem(std::string_view der);

// The handshake's field 6 for a certificate: unpadded standard base64 of its DER.
std::string CertHandshakeField(std::string_view cert_der);

}  // namespace tpd::provider

#endif  // TPD_PROVIDER_TLS_H_
