#include "provider/der.h"

#include <cstdio>
#include <vector>

namespace tpd::provider::der {
namespace {

std::string Concat(std::initializer_list<std::string_view> items) {
  std::string out;
  for (std::string_view item : items) out += item;
  return out;
}

// Base-128, most significant group first, continuation bit on all but the last byte.
void AppendBase128(std::string& out, uint64_t v) {
  char groups[10];
  int n = 0;
  do {
    groups[n++] = static_cast<char>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (n > 1) out += static_cast<char>(groups[--n] | 0x80);
  out += groups[0];
}

}  // namespace

std::string Tlv(uint8_t tag, std::string_view contents) {
  std::string out(1, static_cast<char>(tag));
  size_t len = contents.size();
  if (len < 0x80) {
    out += static_cast<char>(len);
  } else {
    char bytes[sizeof(size_t)];
    int n = 0;
    for (size_t v = len; v != 0; v >>= 8) bytes[n++] = static_cast<char>(v & 0xff);
    out += static_cast<char>(0x80 | n);
    while (n > 0) out += bytes[--n];
  }
  out += contents;
  return out;
}

std::string Sequence(std::initializer_list<std::string_view> items) { return Tlv(kSequence, Concat(items)); }
std::string Set(std::initializer_list<std::string_view> items) { return Tlv(kSet, Concat(items)); }

std::string Explicit(unsigned n, std::string_view encoding) { return Tlv(static_cast<uint8_t>(0xa0 | n), encoding); }
std::string Implicit(unsigned n, std::string_view contents) { return Tlv(static_cast<uint8_t>(0x80 | n), contents); }

std::string Oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  uint64_t v = 0;
  for (char c : dotted) {
    if (c == '.') {
      arcs.push_back(v);
      v = 0;
    } else {
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  arcs.push_back(v);
  std::string contents;
  AppendBase128(contents, arcs[0] * 40 + (arcs.size() > 1 ? arcs[1] : 0));
  for (size_t i = 2; i < arcs.size(); ++i) AppendBase128(contents, arcs[i]);
  return Tlv(kOid, contents);
}

std::string UnsignedInteger(std::string_view bytes) {
  size_t start = 0;
  while (start < bytes.size() && bytes[start] == 0) ++start;
  std::string contents;
  if (start == bytes.size() || (static_cast<unsigned char>(bytes[start]) & 0x80) != 0) contents += '\0';
  contents += bytes.substr(start);
  return Tlv(kInteger, contents);
}

std::string SmallInteger(uint8_t value) {
  char b = static_cast<char>(value);
  return UnsignedInteger(std::string_view(&b, 1));
}

std::string Boolean(bool value) { return Tlv(kBoolean, std::string(1, value ? '\xff' : '\0')); }

std::string BitString(std::string_view bytes) { return Tlv(kBitString, std::string(1, '\0') + std::string(bytes)); }

std::string NamedBits(uint16_t bits) {
  if (bits == 0) return Tlv(kBitString, std::string(1, '\0'));
  int last = 15;  // index (from the most significant bit) of the last set bit
  while ((bits & (1u << (15 - last))) == 0) --last;
  int bytes = last / 8 + 1;
  std::string contents(1, static_cast<char>(bytes * 8 - 1 - last));  // unused bits in the last byte
  contents += static_cast<char>(bits >> 8);
  if (bytes == 2) contents += static_cast<char>(bits & 0xff);
  return Tlv(kBitString, contents);
}

std::string Time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900;
  char buf[32];
  if (year >= 1950 && year < 2050) {
    std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    return Tlv(kUtcTime, buf);
  }
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return Tlv(kGeneralizedTime, buf);
}

}  // namespace tpd::provider::der
