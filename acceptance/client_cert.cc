#include "acceptance/client_cert.h"

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace tpd::acceptance {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

std::string OpenSslError(std::string_view what) {
  std::string out(what);
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

bool AddExt(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

Result<CertAndKey> GenerateTerraformClientCert() {
  PKeyPtr key(EVP_EC_gen("P-521"));
  if (!key) return Status::Internal(OpenSslError("generating P-521 key"));

  X509Ptr cert(X509_new());
  if (!cert) return Status::Internal(OpenSslError("X509_new"));
  X509_set_version(cert.get(), 2);

  // 128-bit random positive serial, like go-plugin.
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return Status::Internal(OpenSslError("RAND_bytes"));
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x01;  // never zero
  BnPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return Status::Internal(OpenSslError("serial"));
  }

  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -30);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 262980L * 3600L);

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("HashiCorp"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return Status::Internal(OpenSslError("X509_set_pubkey"));

  if (!AddExt(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExt(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment,keyAgreement,keyCertSign") ||
      !AddExt(cert.get(), NID_ext_key_usage, "clientAuth,serverAuth") ||
      !AddExt(cert.get(), NID_subject_alt_name, "DNS:localhost")) {
    return Status::Internal(OpenSslError("adding certificate extensions"));
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha512()) == 0) return Status::Internal(OpenSslError("X509_sign"));

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::Internal(OpenSslError("writing PEM"));
  }
  return CertAndKey{BioToString(cert_bio.get()), BioToString(key_bio.get())};
}

Result<std::string> DerCertToPem(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return Status::InvalidArgument(OpenSslError("certificate is not DER X.509"));
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Status::InvalidArgument("trailing bytes after DER certificate");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return Status::Internal(OpenSslError("writing PEM"));
  return BioToString(bio.get());
}

Result<std::string> DecodeRawStdBase64(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return Status::InvalidArgument("illegal base64 data: impossible length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    int v = value_of(text[i]);
    if (v < 0) {
      return Status::InvalidArgument("illegal base64 data at input byte " + std::to_string(i) +
                                     (text[i] == '=' ? " (padding is not allowed in RawStdEncoding)" : ""));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Go's strict decoding is not the default; leftover non-zero bits are tolerated like Go does.
  return out;
}

Result<CertInfo> InspectCertPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::InvalidArgument(OpenSslError("not a PEM certificate"));
  CertInfo info;
  EVP_PKEY* pub = X509_get0_pubkey(cert.get());
  if (pub != nullptr) {
    char group[80] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(pub, group, sizeof group, &len) == 1) {
      info.key_algorithm = group;
    } else {
      info.key_algorithm = OBJ_nid2sn(EVP_PKEY_get_base_id(pub));
    }
  }
  ERR_clear_error();
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type == GEN_DNS) {
        const unsigned char* s = ASN1_STRING_get0_data(gn->d.dNSName);
        std::string dns(reinterpret_cast<const char*>(s), static_cast<size_t>(ASN1_STRING_length(gn->d.dNSName)));
        if (dns == "localhost") info.san_localhost = true;
      }
    }
    GENERAL_NAMES_free(sans);
  }
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  BnPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  info.serial_positive = bn && !BN_is_negative(bn.get()) && !BN_is_zero(bn.get());
  uint32_t xku = X509_get_extended_key_usage(cert.get());
  info.server_auth_eku = (xku & XKU_SSL_SERVER) != 0;
  ERR_clear_error();
  return info;
}

}  // namespace tpd::acceptance
