#include "provider/tls.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <iterator>
#include <memory>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/rand.h>

#include "provider/der.h"
#include "provider/handshake.h"

namespace tpd::provider {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

// Drains OpenSSL's thread-local error queue into a Status message.
Status OpenSslError(std::string_view what) {
  std::string msg(what);
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  return Status::Internal(msg);
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len > 0 ? len : 0));
}

// The first CERTIFICATE block of `pem`; InvalidArgument when none parses.
Result<X509Ptr> ParsePemCertificate(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("allocating BIO");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return Status::InvalidArgument("no PEM certificate could be parsed");
  }
  return cert;
}

// PEM: the base64 of `der` in 64-character lines between BEGIN and END lines.
std::string PemBlock(std::string_view label, std::string_view der) {
  std::string b64 = EncodeBase64RawStd(der);
  while (b64.size() % 4 != 0) b64 += '=';
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

}  // namespace

Result<SelfSignedCert> GenerateSelfSignedCert(const CertOptions& options) {
  if (options.dns_names.empty()) return Status::InvalidArgument("certificate needs at least one DNS name");
  if (options.validity.count() <= 0) return Status::InvalidArgument("certificate validity must be positive");
  ERR_clear_error();

  // OpenSSL makes the key and the signature; the certificate around them is encoded here
  // (provider/der.h), which is several times cheaper than OpenSSL's X.509 objects on first use.
  const char* curve = "P-256";
  const char* curve_oid = "1.2.840.10045.3.1.7";  // prime256v1
  const char* signature_oid = "1.2.840.10045.4.3.2";  // ecdsa-with-SHA256
  const EVP_MD* digest = EVP_sha256();
  switch (options.curve) {
    case EcCurve::kP256: break;
    case EcCurve::kP384:
      curve = "P-384", curve_oid = "1.3.132.0.34", signature_oid = "1.2.840.10045.4.3.3", digest = EVP_sha384();
      break;
    case EcCurve::kP521:
      curve = "P-521", curve_oid = "1.3.132.0.35", signature_oid = "1.2.840.10045.4.3.4", digest = EVP_sha512();
      break;
  }
  PkeyPtr key(EVP_EC_gen(curve));
  if (!key) return OpenSslError("generating ECDSA key");
  unsigned char point[200];
  size_t point_len = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                      &point_len) != 1) {
    return OpenSslError("reading the public key");
  }
  const std::string_view public_key(reinterpret_cast<const char*>(point), point_len);

  // Positive, non-zero 128-bit serial (Go rejects negative serials; UnsignedInteger keeps it
  // positive).
  unsigned char serial[16] = {0};
  do {
    if (RAND_bytes(serial, sizeof serial) != 1) return OpenSslError("generating serial");
  } while (std::all_of(std::begin(serial), std::end(serial), [](unsigned char b) { return b == 0; }));

  // Subject key identifier: SHA-1 of the public key bits (RFC 5280 4.2.1.2 method 1, as Go does
  // for CA certificates).
  unsigned char key_id[EVP_MAX_MD_SIZE];
  unsigned int key_id_len = 0;
  if (EVP_Digest(point, point_len, key_id, &key_id_len, EVP_sha1(), nullptr) != 1) {
    return OpenSslError("hashing the public key");
  }

  const std::string name = der::Sequence({
      der::Set({der::Sequence({der::Oid("2.5.4.10"), der::Tlv(der::kUtf8String, options.organization)})}),
      der::Set({der::Sequence({der::Oid("2.5.4.3"), der::Tlv(der::kUtf8String, options.common_name)})}),
  });
  const std::time_t now = std::time(nullptr);
  const long long validity = std::chrono::duration_cast<std::chrono::seconds>(options.validity).count();
  std::string dns_names;
  for (const std::string& dns : options.dns_names) dns_names += der::Implicit(2, dns);  // dNSName
  auto extension = [](const char* oid, bool critical, const std::string& value) {
    return critical ? der::Sequence({der::Oid(oid), der::Boolean(true), der::Tlv(der::kOctetString, value)})
                    : der::Sequence({der::Oid(oid), der::Tlv(der::kOctetString, value)});
  };
  const std::string extensions = der::Sequence({
      extension("2.5.29.19", true, der::Sequence({der::Boolean(true)})),  // basicConstraints CA:TRUE
      // keyUsage: digitalSignature(0), keyEncipherment(2), keyAgreement(4), keyCertSign(5)
      extension("2.5.29.15", true, der::NamedBits(0x8000 | 0x2000 | 0x0800 | 0x0400)),
      extension("2.5.29.37", false,  // extKeyUsage: serverAuth, clientAuth
                der::Sequence({der::Oid("1.3.6.1.5.5.7.3.1"), der::Oid("1.3.6.1.5.5.7.3.2")})),
      extension("2.5.29.14", false,  // subjectKeyIdentifier
                der::Tlv(der::kOctetString, std::string_view(reinterpret_cast<const char*>(key_id), key_id_len))),
      extension("2.5.29.17", false, der::Tlv(der::kSequence, dns_names)),  // subjectAltName
  });
  const std::string algorithm = der::Sequence({der::Oid(signature_oid)});
  const std::string tbs = der::Sequence({
      der::Explicit(0, der::SmallInteger(2)),  // v3
      der::UnsignedInteger(std::string_view(reinterpret_cast<const char*>(serial), sizeof serial)),
      algorithm,
      name,  // issuer: self-signed
      der::Sequence({der::Time(now - static_cast<std::time_t>(options.backdate.count())),
                     der::Time(now + static_cast<std::time_t>(validity))}),
      name,
      der::Sequence({der::Sequence({der::Oid("1.2.840.10045.2.1"), der::Oid(curve_oid)}),  // id-ecPublicKey
                     der::BitString(public_key)}),
      der::Explicit(3, extensions),
  });

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t signature_len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, digest, nullptr, key.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &signature_len, reinterpret_cast<const unsigned char*>(tbs.data()),
                     tbs.size()) != 1) {
    return OpenSslError("signing certificate");
  }
  std::string signature(signature_len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(signature.data()), &signature_len,
                     reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()) != 1) {
    return OpenSslError("signing certificate");
  }
  signature.resize(signature_len);

  SelfSignedCert out;
  out.cert_der = der::Sequence({tbs, algorithm, der::BitString(signature)});
  if (options.pem) {
    out.cert_pem = PemBlock("CERTIFICATE", out.cert_der);
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return OpenSslError("writing key PEM");
    }
    out.key_pem = BioContents(bio.get());
  }
  out.key = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
  return out;
}

namespace {

// ALPN: HTTP/2 only. A client that offers no ALPN at all is let through (gRPC speaks HTTP/2 with
// prior knowledge); one that offers protocols but not h2 is refused.
int SelectH2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
             void*) {
  static const unsigned char kH2[] = {'h', '2'};
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof kH2 && std::memcmp(in + i + 1, kH2, sizeof kH2) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

Result<std::shared_ptr<SSL_CTX>> NewServerTlsContext(const SelfSignedCert& own, std::string_view client_cert_pem) {
  if (!own.key || own.cert_der.empty()) return Status::InvalidArgument("server identity has no key or certificate");
  ERR_clear_error();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(own.cert_der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(own.cert_der.size())));
  if (!cert) return OpenSslError("parsing our certificate");
  TPD_ASSIGN_OR_RETURN(X509Ptr client, ParsePemCertificate(client_cert_pem));
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return OpenSslError("creating TLS context");
  SSL_CTX* c = ctx.get();
  // Debian's openssl.cnf would set level 2; the private copy does not read it (InitTransportOpenSsl).
  SSL_CTX_set_security_level(c, 2);
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1) return OpenSslError("setting TLS versions");
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate(c, cert.get()) != 1) return OpenSslError("using our certificate");
  if (SSL_CTX_use_PrivateKey(c, own.key.get()) != 1) return OpenSslError("using our key");
  if (SSL_CTX_check_private_key(c) != 1) return OpenSslError("checking our key against our certificate");
  // The one trust anchor: Terraform's self-signed certificate. Verification checks the chain (that
  // very certificate) and its purpose (clientAuth).
  if (X509_STORE_add_cert(SSL_CTX_get_cert_store(c), client.get()) != 1) return OpenSslError("trusting the client certificate");
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_alpn_select_cb(c, SelectH2, nullptr);
  return ctx;
}

void InitTransportOpenSsl() {
#ifdef TPD_PRIVATE_OPENSSL
  // The NO_* options win only if they come first: OpenSSL runs each init step once, and a later
  // default init (gRPC's) finds them done.
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
                       OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
                   nullptr);
  // The random generator: NIST SP 800-90A Hash_DRBG over SHA-256 instead of the default CTR_DRBG
  // over AES-256. Equally sound; it starts ~0.4 ms sooner because SHA-256 is needed for our
  // signature anyway, while CTR_DRBG first sets up every cipher OpenSSL has.
  RAND_set_DRBG_type(nullptr, "HASH-DRBG", nullptr, nullptr, "SHA256");
#else
  OPENSSL_init_ssl(0, nullptr);
#endif
}

Status CheckCertificatePem(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  size_t begin = pem.find(kBegin);
  size_t end = begin == std::string_view::npos ? begin : pem.find(kEnd, begin);
  if (end == std::string_view::npos) return Status::InvalidArgument("no PEM CERTIFICATE block");
  std::string body;
  for (char c : pem.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body += c;
  }
  Result<std::string> der = DecodeBase64RawStd(body);
  if (!der.ok()) return Status::InvalidArgument("the CERTIFICATE block is not base64");
  // One SEQUENCE with a definite length that spans every byte.
  const std::string& d = *der;
  size_t header = 2, length = 0;
  if (d.size() < 2 || static_cast<unsigned char>(d[0]) != 0x30) {
    return Status::InvalidArgument("the CERTIFICATE block is not a DER certificate");
  }
  unsigned char first = static_cast<unsigned char>(d[1]);
  if (first < 0x80) {
    length = first;
  } else {
    size_t n = first & 0x7f;
    if (n == 0 || n > 4 || d.size() < 2 + n) return Status::InvalidArgument("the CERTIFICATE block is not a DER certificate");
    for (size_t i = 0; i < n; ++i) length = (length << 8) | static_cast<unsigned char>(d[2 + i]);
    header += n;
  }
  if (header + length != d.size()) return Status::InvalidArgument("the CERTIFICATE block is not a DER certificate");
  return Status::Ok();
}

Result<std::string> CertPemToDer(std::string_view pem) {
  ERR_clear_error();
  TPD_ASSIGN_OR_RETURN(X509Ptr cert, ParsePemCertificate(pem));
  int len = i2d_X509(cert.get(), nullptr);
  if (len <= 0) return OpenSslError("encoding certificate DER");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert.get(), &p);
  return der;
}

Result<std::string> CertDerToPem(std::string_view der) {
  ERR_clear_error();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return Status::InvalidArgument("bytes are not a single DER certificate");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return OpenSslError("writing certificate PEM");
  return BioContents(bio.get());
}

std::string CertHandshakeField(std::string_view cert_der) { return EncodeBase64RawStd(cert_der); }

}  // namespace tpd::provider
