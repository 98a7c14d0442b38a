#include "provider/tls.h"

#include <memory>

#include <catch2/catch.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "provider/handshake.h"

namespace tpd::provider {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr ParseDer(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string NameEntry(X509* x, int nid) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, sizeof buf);
  return buf;
}

std::vector<std::string> DnsNames(X509* x) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      const unsigned char* s = ASN1_STRING_get0_data(n->d.dNSName);
      out.emplace_back(reinterpret_cast<const char*>(s), static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

TEST_CASE("GenerateSelfSignedCert: certificate has go-plugin's AutoMTLS properties", "[provider]") {
  Result<SelfSignedCert> gen = GenerateSelfSignedCert();
  REQUIRE(gen.ok());
  X509Ptr x = ParseDer(gen->cert_der);
  REQUIRE(x);

  SECTION("subject and SAN") {
    CHECK(NameEntry(x.get(), NID_commonName) == "localhost");
    CHECK(NameEntry(x.get(), NID_organizationName) == "HashiCorp");
    CHECK(DnsNames(x.get()) == std::vector<std::string>{"localhost"});
    CHECK(X509_check_host(x.get(), "localhost", 0, 0, nullptr) == 1);
  }
  SECTION("key usages and CA flag") {
    CHECK((X509_get_extended_key_usage(x.get()) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
          (XKU_SSL_SERVER | XKU_SSL_CLIENT));
    uint32_t ku = X509_get_key_usage(x.get());
    CHECK((ku & KU_DIGITAL_SIGNATURE) != 0);
    CHECK((ku & KU_KEY_ENCIPHERMENT) != 0);
    CHECK((ku & KU_KEY_AGREEMENT) != 0);
    CHECK((ku & KU_KEY_CERT_SIGN) != 0);
    CHECK(X509_check_ca(x.get()) >= 1);
  }
  SECTION("positive 128-bit serial") {
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr);
    REQUIRE(bn != nullptr);
    CHECK_FALSE(BN_is_negative(bn));
    CHECK_FALSE(BN_is_zero(bn));
    CHECK(BN_num_bits(bn) <= 128);
    CHECK(BN_num_bits(bn) > 64);  // overwhelmingly likely for 128 random bits
    BN_free(bn);
  }
  SECTION("validity: backdated 30 s, about 30 years long") {
    int days = 0, secs = 0;
    REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notBefore(x.get())) == 1);
    CHECK(days == 0);
    CHECK(secs <= -25);
    CHECK(secs >= -40);
    REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x.get())) == 1);
    CHECK(days >= 29 * 365);
    CHECK(days <= 31 * 365);
  }
  SECTION("ECDSA P-256 key (the default) that matches and self-signs the certificate") {
    EVP_PKEY* pub = X509_get0_pubkey(x.get());
    REQUIRE(pub != nullptr);
    char group[64] = {0};
    size_t len = 0;
    REQUIRE(EVP_PKEY_get_group_name(pub, group, sizeof group, &len) == 1);
    CHECK(std::string(group) == "prime256v1");
    CHECK(X509_get_signature_nid(x.get()) == NID_ecdsa_with_SHA256);
    CHECK(X509_verify(x.get(), pub) == 1);

    BIO* bio = BIO_new_mem_buf(gen->key_pem.data(), static_cast<int>(gen->key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(key != nullptr);
    CHECK(X509_check_private_key(x.get(), key) == 1);
    EVP_PKEY_free(key);
  }
  SECTION("verifies as its own trust anchor for TLS server and client purposes") {
    for (int purpose : {X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT}) {
      X509_STORE* store = X509_STORE_new();
      X509_STORE_add_cert(store, x.get());
      X509_STORE_CTX* ctx = X509_STORE_CTX_new();
      X509_STORE_CTX_init(ctx, store, x.get(), nullptr);
      X509_STORE_CTX_set_purpose(ctx, purpose);
      CHECK(X509_verify_cert(ctx) == 1);
      X509_STORE_CTX_free(ctx);
      X509_STORE_free(store);
    }
  }
  SECTION("PEM and DER agree") {
    Result<std::string> der = CertPemToDer(gen->cert_pem);
    REQUIRE(der.ok());
    CHECK(*der == gen->cert_der);
    Result<std::string> pem = CertDerToPem(gen->cert_der);
    REQUIRE(pem.ok());
    CHECK(*pem == gen->cert_pem);
    CHECK(gen->key_pem.find("PRIVATE KEY") != std::string::npos);
  }
  SECTION("handshake field is unpadded base64 of the DER") {
    std::string field = CertHandshakeField(gen->cert_der);
    CHECK(field.size() > 50);
    CHECK(field.find('=') == std::string::npos);
    Result<std::string> back = DecodeBase64RawStd(field);
    REQUIRE(back.ok());
    CHECK(*back == gen->cert_der);
  }
}

TEST_CASE("GenerateSelfSignedCert: every call makes a new key and serial", "[provider]") {
  Result<SelfSignedCert> a = GenerateSelfSignedCert();
  Result<SelfSignedCert> b = GenerateSelfSignedCert();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->key_pem != b->key_pem);
  X509Ptr xa = ParseDer(a->cert_der);
  X509Ptr xb = ParseDer(b->cert_der);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa.get()), X509_get0_serialNumber(xb.get())) != 0);
}

TEST_CASE("GenerateSelfSignedCert: honours curve and name options", "[provider]") {
  CertOptions o;
  o.curve = EcCurve::kP521;  // go-plugin's curve
  o.dns_names = {"localhost", "example.test"};
  Result<SelfSignedCert> gen = GenerateSelfSignedCert(o);
  REQUIRE(gen.ok());
  X509Ptr x = ParseDer(gen->cert_der);
  char group[64] = {0};
  size_t len = 0;
  REQUIRE(EVP_PKEY_get_group_name(X509_get0_pubkey(x.get()), group, sizeof group, &len) == 1);
  CHECK(std::string(group) == "secp521r1");
  CHECK(X509_get_signature_nid(x.get()) == NID_ecdsa_with_SHA512);
  CHECK(DnsNames(x.get()) == std::vector<std::string>{"localhost", "example.test"});

  CertOptions bad;
  bad.dns_names.clear();
  CHECK(GenerateSelfSignedCert(bad).status().IsInvalidArgument());
}

TEST_CASE("GenerateSelfSignedCert: without PEM, DER and key only", "[provider]") {
  CertOptions options;
  options.pem = false;
  Result<SelfSignedCert> gen = GenerateSelfSignedCert(options);
  REQUIRE(gen.ok());
  CHECK(gen->cert_pem.empty());
  CHECK(gen->key_pem.empty());
  X509Ptr x = ParseDer(gen->cert_der);
  REQUIRE(x);
  REQUIRE(gen->key);
  CHECK(X509_verify(x.get(), gen->key.get()) == 1);
}

TEST_CASE("CheckCertificatePem: accepts one well-formed certificate block and nothing else", "[provider]") {
  Result<SelfSignedCert> gen = GenerateSelfSignedCert();
  REQUIRE(gen.ok());
  CHECK(CheckCertificatePem(gen->cert_pem).ok());
  CHECK(CheckCertificatePem("leading text\r\n" + gen->cert_pem + "trailing text").ok());

  std::string pem = gen->cert_pem;
  CHECK(CheckCertificatePem("not a certificate").IsInvalidArgument());
  CHECK(CheckCertificatePem(gen->key_pem).IsInvalidArgument());  // a PRIVATE KEY block
  std::string no_end = pem.substr(0, pem.find("-----END"));
  CHECK(CheckCertificatePem(no_end).IsInvalidArgument());
  std::string bad_base64 = pem;
  bad_base64[40] = '*';
  CHECK(CheckCertificatePem(bad_base64).IsInvalidArgument());
  // A body that is base64 but not one DER SEQUENCE spanning it: drop the last 4 characters
  // (3 bytes) of the body.
  size_t end = pem.find("\n-----END");
  std::string truncated = pem.substr(0, end - 4) + pem.substr(end);
  CHECK(CheckCertificatePem(truncated).IsInvalidArgument());
  CHECK(CheckCertificatePem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n").ok());  // 30 00
  CHECK(CheckCertificatePem("-----BEGIN CERTIFICATE-----\nMQA=\n-----END CERTIFICATE-----\n").IsInvalidArgument());
}

TEST_CASE("NewServerTlsContext: needs a parsable client certificate and a complete identity", "[provider]") {
  Result<SelfSignedCert> own = GenerateSelfSignedCert();
  REQUIRE(own.ok());
  Result<SelfSignedCert> client = GenerateSelfSignedCert();
  REQUIRE(client.ok());
  CHECK(NewServerTlsContext(*own, client->cert_pem).ok());
  CHECK(NewServerTlsContext(*own, "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")
            .status()
            .IsInvalidArgument());
  SelfSignedCert keyless = *own;
  keyless.key.reset();
  CHECK(NewServerTlsContext(keyless, client->cert_pem).status().IsInvalidArgument());
}

TEST_CASE("CertPemToDer: rejects text without a certificate", "[provider]") {
  CHECK(CertPemToDer("not a certificate").status().IsInvalidArgument());
  CHECK(CertDerToPem("\x30\x03garbage").status().IsInvalidArgument());
}

}  // namespace
}  // namespace tpd::provider
