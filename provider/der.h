// A minimal DER (ITU-T X.690 distinguished encoding) writer: just what provider/tls.cc needs to
// build its self-signed certificate without OpenSSL's X.509 object machinery, whose first use
// cost ~0.6 ms of every provider start (bench/README.md, "Provider process").
//
// Every function returns the complete encoding (tag, definite length, contents) of one value;
// values nest by passing encodings as contents. Nothing here validates semantics (for example
// that a string holds only IA5 characters): callers pass what they mean.
//
// Thread-safety: pure functions.
#ifndef TPD_PROVIDER_DER_H_
#define TPD_PROVIDER_DER_H_

#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <string>
#include <string_view>

namespace tpd::provider::der {

// Universal tags used by certificates.
inline constexpr uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04,
                         kOid = 0x06, kUtf8String = 0x0c, kUtcTime = 0x17, kGeneralizedTime = 0x18,
                         kSequence = 0x30, kSet = 0x31;

// tag + length + contents.
std::string Tlv(uint8_t tag, std::string_view contents);

// SEQUENCE / SET of the given encodings, in the order given (callers of Set pass one element or
// elements already in DER order).
std::string Sequence(std::initializer_list<std::string_view> items);
std::string Set(std::initializer_list<std::string_view> items);

// Context-specific constructed [n] EXPLICIT wrapper, and primitive [n] IMPLICIT value.
std::string Explicit(unsigned n, std::string_view encoding);
std::string Implicit(unsigned n, std::string_view contents);

// OBJECT IDENTIFIER from dotted text, e.g. "1.2.840.10045.2.1". REQUIRES: at least two arcs,
// first arc 0..2, every arc fits in 64 bits.
std::string Oid(std::string_view dotted);

// INTEGER holding the non-negative big-endian magnitude `bytes` (leading zero bytes are dropped, a
// 0x00 is prepended when the top bit is set, so the value is never read as negative).
std::string UnsignedInteger(std::string_view bytes);
std::string SmallInteger(uint8_t value);

std::string Boolean(bool value);

// BIT STRING whose contents are whole bytes (unused-bits count 0).
std::string BitString(std::string_view bytes);
// BIT STRING of a NamedBitList (KeyUsage): `bits` has bit 0 as the most significant bit of its
// first byte; trailing zero bits are dropped as DER requires.
std::string NamedBits(uint16_t bits_msb_first);

// Time as RFC 5280 requires: UTCTime "YYMMDDHHMMSSZ" for 1950..2049, GeneralizedTime
// "YYYYMMDDHHMMSSZ" otherwise. `t` is seconds since the epoch, UTC.
std::string Time(std::time_t t);

}  // namespace tpd::provider::der

#endif  // TPD_PROVIDER_DER_H_
