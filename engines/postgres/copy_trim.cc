#include "engines/postgres/copy_trim.h"

#include <algorithm>
#include <cstring>

namespace tpd::engines::postgres {
namespace {

constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL
constexpr size_t kSignatureLen = 11;
constexpr size_t kHeaderFixedLen = kSignatureLen + 4 + 4;  // signature, flags, extension length

uint32_t ReadU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}
int16_t ReadI16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int16_t>((u[0] << 8) | u[1]);
}
void AppendU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

size_t TrailingBlanks(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && s[s.size() - 1 - n] == ' ') ++n;
  return n;
}

}  // namespace

CopyPaddingTrimmer::CopyPaddingTrimmer(Format format, std::vector<int> fields) : format_(format) {
  for (int f : fields) {
    if (f < 0) continue;
    if (static_cast<size_t>(f) >= trim_.size()) trim_.resize(static_cast<size_t>(f) + 1, false);
    trim_[static_cast<size_t>(f)] = true;
  }
}

Status CopyPaddingTrimmer::Feed(std::string_view in, std::string* out) {
  Status error;
  if (!pending_.empty()) {
    // Complete the row left over from before, then go on with `in` directly.
    pending_.append(in);
    size_t used = 0;
    while (used < pending_.size()) {
      size_t n = Consume(std::string_view(pending_).substr(used), out, &error);
      if (!error.ok()) return error;
      if (n == 0) break;
      used += n;
    }
    pending_.erase(0, used);
    return Status::Ok();
  }
  while (!in.empty()) {
    size_t n = Consume(in, out, &error);
    if (!error.ok()) return error;
    if (n == 0) {
      pending_.assign(in);
      break;
    }
    in.remove_prefix(n);
  }
  return Status::Ok();
}

Status CopyPaddingTrimmer::Finish() const {
  if (!pending_.empty()) return Status::InvalidArgument("COPY data ended in the middle of a row");
  return Status::Ok();
}

size_t CopyPaddingTrimmer::Consume(std::string_view in, std::string* out, Status* error) {
  return format_ == Format::kText ? ConsumeTextRow(in, out) : ConsumeBinary(in, out, error);
}

size_t CopyPaddingTrimmer::ConsumeTextRow(std::string_view in, std::string* out) {
  size_t end = in.find('\n');
  if (end == std::string_view::npos) return 0;
  std::string_view row = in.substr(0, end);
  size_t field = 0, start = 0;
  while (true) {
    size_t tab = row.find('\t', start);
    std::string_view value = row.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (field < trim_.size() && trim_[field]) value.remove_suffix(TrailingBlanks(value));
    out->append(value);
    if (tab == std::string_view::npos) break;
    out->push_back('\t');
    start = tab + 1;
    ++field;
  }
  out->push_back('\n');
  return end + 1;
}

size_t CopyPaddingTrimmer::ConsumeBinary(std::string_view in, std::string* out, Status* error) {
  if (ended_) {  // nothing follows the trailer; pass anything through untouched
    out->append(in);
    return in.size();
  }
  if (!header_done_) {
    if (in.size() < kHeaderFixedLen) return 0;
    if (std::memcmp(in.data(), kSignature, kSignatureLen) != 0) {
      *error = Status::InvalidArgument("binary COPY data without the PGCOPY signature");
      return 0;
    }
    size_t len = kHeaderFixedLen + ReadU32(in.data() + kSignatureLen + 4);
    if (in.size() < len) return 0;
    out->append(in.substr(0, len));
    header_done_ = true;
    return len;
  }
  if (in.size() < 2) return 0;
  int16_t count = ReadI16(in.data());
  if (count == -1) {
    out->append(in.substr(0, 2));
    ended_ = true;
    return 2;
  }
  if (count < 0) {
    *error = Status::InvalidArgument("binary COPY row with a negative field count");
    return 0;
  }
  // Find the row's end first: nothing is written for a row that is not complete yet.
  size_t pos = 2;
  for (int16_t f = 0; f < count; ++f) {
    if (in.size() < pos + 4) return 0;
    uint32_t len = ReadU32(in.data() + pos);
    pos += 4;
    if (len == 0xffffffffu) continue;  // NULL
    if (in.size() - pos < len) return 0;
    pos += len;
  }
  out->append(in.substr(0, 2));
  size_t p = 2;
  for (int16_t f = 0; f < count; ++f) {
    uint32_t len = ReadU32(in.data() + p);
    p += 4;
    if (len == 0xffffffffu) {
      AppendU32(out, len);
      continue;
    }
    std::string_view value = in.substr(p, len);
    p += len;
    if (static_cast<size_t>(f) < trim_.size() && trim_[static_cast<size_t>(f)]) {
      value.remove_suffix(TrailingBlanks(value));
    }
    AppendU32(out, static_cast<uint32_t>(value.size()));
    out->append(value);
  }
  return pos;
}

}  // namespace tpd::engines::postgres
