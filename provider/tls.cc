#include "provider/tls.h"

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

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

Status AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  // Self-signed: issuer and subject are the same certificate.
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) return OpenSslError("creating X.509 extension " + value);
  if (X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("adding X.509 extension " + value);
  return Status::Ok();
}

}  // namespace

Result<SelfSignedCert> GenerateSelfSignedCert(const CertOptions& options) {
  if (options.dns_names.empty()) return Status::InvalidArgument("certificate needs at least one DNS name");
  if (options.validity.count() <= 0) return Status::InvalidArgument("certificate validity must be positive");
  ERR_clear_error();

  const char* curve = "P-256";
  const EVP_MD* digest = EVP_sha256();
  switch (options.curve) {
    case EcCurve::kP256: curve = "P-256"; digest = EVP_sha256(); break;
    case EcCurve::kP384: curve = "P-384"; digest = EVP_sha384(); break;
    case EcCurve::kP521: curve = "P-521"; digest = EVP_sha512(); break;
  }
  PkeyPtr key(EVP_EC_gen(curve));
  if (!key) return OpenSslError("generating ECDSA key");

  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("allocating certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("setting version");

  // Positive, non-zero 128-bit serial (Go rejects negative serials; BIGNUMs from BN_rand are >= 0).
  BnPtr serial(BN_new());
  if (!serial) return OpenSslError("allocating serial");
  do {
    if (BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return OpenSslError("generating serial");
    }
  } while (BN_is_zero(serial.get()));
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("setting serial");
  }

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -static_cast<long>(options.backdate.count())) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                      static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(options.validity).count())) ==
          nullptr) {
    return OpenSslError("setting validity");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add_name = [&](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1;
  };
  if (!add_name("O", options.organization) || !add_name("CN", options.common_name)) {
    return OpenSslError("setting subject");
  }
  if (X509_set_issuer_name(cert.get(), name) != 1) return OpenSslError("setting issuer");
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return OpenSslError("setting public key");

  std::string san;
  for (const std::string& dns : options.dns_names) {
    if (!san.empty()) san += ',';
    san += "DNS:" + dns;
  }
  TPD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  TPD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_key_usage,
                                   "critical,digitalSignature,keyEncipherment,keyAgreement,keyCertSign"));
  TPD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  TPD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  TPD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_alt_name, san));

  if (X509_sign(cert.get(), key.get(), digest) == 0) return OpenSslError("signing certificate");

  SelfSignedCert out;
  {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return OpenSslError("writing certificate PEM");
    out.cert_pem = BioContents(bio.get());
  }
  {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return OpenSslError("writing key PEM");
    }
    out.key_pem = BioContents(bio.get());
  }
  int der_len = i2d_X509(cert.get(), nullptr);
  if (der_len <= 0) return OpenSslError("encoding certificate DER");
  out.cert_der.resize(static_cast<size_t>(der_len));
  unsigned char* p = reinterpret_cast<unsigned char*>(out.cert_der.data());
  if (i2d_X509(cert.get(), &p) != der_len) return OpenSslError("encoding certificate DER");
  return out;
}

Result<std::string> CertPemToDer(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("allocating BIO");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return Status::InvalidArgument("no PEM certificate could be parsed");
  }
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
