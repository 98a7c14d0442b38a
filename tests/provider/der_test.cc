#include "provider/der.h"

#include <catch2/catch.hpp>

namespace tpd::provider::der {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += ' ';
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

TEST_CASE("der: lengths use the short form below 128 and the minimal long form above", "[provider]") {
  CHECK(Hex(Tlv(kOctetString, "ab")) == "04 02 61 62");
  CHECK(Hex(Tlv(kOctetString, std::string(127, 'x')).substr(0, 2)) == "04 7F");
  CHECK(Hex(Tlv(kOctetString, std::string(128, 'x')).substr(0, 3)) == "04 81 80");
  CHECK(Hex(Tlv(kOctetString, std::string(256, 'x')).substr(0, 4)) == "04 82 01 00");
  CHECK(Tlv(kOctetString, std::string(70000, 'x')).size() == 70000 + 5);
}

TEST_CASE("der: object identifiers", "[provider]") {
  CHECK(Hex(Oid("1.2.840.10045.2.1")) == "06 07 2A 86 48 CE 3D 02 01");        // id-ecPublicKey
  CHECK(Hex(Oid("1.2.840.10045.4.3.2")) == "06 08 2A 86 48 CE 3D 04 03 02");   // ecdsa-with-SHA256
  CHECK(Hex(Oid("2.5.29.17")) == "06 03 55 1D 11");                            // subjectAltName
  CHECK(Hex(Oid("1.3.132.0.35")) == "06 05 2B 81 04 00 23");                   // secp521r1
  CHECK(Hex(Oid("2.999.3")) == "06 03 88 37 03");                              // first subidentifier > 127
}

TEST_CASE("der: unsigned integers are minimal and never negative", "[provider]") {
  CHECK(Hex(SmallInteger(2)) == "02 01 02");
  CHECK(Hex(SmallInteger(0)) == "02 01 00");
  CHECK(Hex(UnsignedInteger(std::string("\x80", 1))) == "02 02 00 80");
  CHECK(Hex(UnsignedInteger(std::string("\x00\x00\x7f\x01", 4))) == "02 02 7F 01");
  CHECK(Hex(UnsignedInteger(std::string("\x00\x00\xff", 3))) == "02 02 00 FF");
  CHECK(Hex(UnsignedInteger(std::string(3, '\0'))) == "02 01 00");
}

TEST_CASE("der: booleans, bit strings and named bits", "[provider]") {
  CHECK(Hex(Boolean(true)) == "01 01 FF");
  CHECK(Hex(Boolean(false)) == "01 01 00");
  CHECK(Hex(BitString("\x01\x02")) == "03 03 00 01 02");
  // KeyUsage digitalSignature | keyEncipherment | keyAgreement | keyCertSign (bits 0, 2, 4, 5).
  CHECK(Hex(NamedBits(0x8000 | 0x2000 | 0x0800 | 0x0400)) == "03 02 02 AC");
  CHECK(Hex(NamedBits(0x8000)) == "03 02 07 80");           // digitalSignature alone
  CHECK(Hex(NamedBits(0x0080)) == "03 03 07 00 80");        // decipherOnly (bit 8)
  CHECK(Hex(NamedBits(0)) == "03 01 00");
}

TEST_CASE("der: times switch from UTCTime to GeneralizedTime in 2050", "[provider]") {
  CHECK(Time(0) == Tlv(kUtcTime, "700101000000Z"));
  CHECK(Time(2524607999) == Tlv(kUtcTime, "491231235959Z"));           // 2049-12-31 23:59:59
  CHECK(Time(2524608000) == Tlv(kGeneralizedTime, "20500101000000Z"));  // 2050-01-01 00:00:00
  CHECK(Time(-631152001) == Tlv(kGeneralizedTime, "19491231235959Z"));
}

TEST_CASE("der: sequences, sets and context tags wrap their items in order", "[provider]") {
  CHECK(Hex(Sequence({SmallInteger(1), Boolean(true)})) == "30 06 02 01 01 01 01 FF");
  CHECK(Hex(Set({SmallInteger(1)})) == "31 03 02 01 01");
  CHECK(Hex(Explicit(0, SmallInteger(2))) == "A0 03 02 01 02");
  CHECK(Hex(Explicit(3, Sequence({}))) == "A3 02 30 00");
  CHECK(Hex(Implicit(2, "ab")) == "82 02 61 62");
}

}  // namespace
}  // namespace tpd::provider::der
