// Strips the blank padding of char(n) fields from a COPY ... TO STDOUT stream on its way to the
// target (dump_restore's copy_data, CopyDataOptions::trim_char_padding).
//
// A char(n) value is stored padded with blanks to n characters, and its input function pads
// whatever it receives back to n characters: sending "ab" or "ab" + 82 blanks into a char(84)
// column stores the same bytes. Sending the short form saves the bytes on the wire and, above all,
// the target's character-by-character length check of every blank (UTF-8), which was the largest
// single cost of loading pgbench's char(84) filler. The trimming happens here, in the relay, rather
// than in the source's query (`col::text`), because a COPY of a query instead of a table took the
// source twice as long.
//
// Input is COPY's text format (fields separated by tab, rows ended by newline; a tab, newline or
// backslash inside a value is escaped, so raw ones are always separators) or binary format
// (signature header, then per row a 16-bit field count and per field a 32-bit length, -1 for
// NULL, and the bytes; a field count of -1 ends the data). A blank is byte 0x20 in both, and in
// every server encoding 0x20 is only ever a blank (multibyte characters use bytes >= 0x80). Only
// trailing blanks of the fields named are removed; NULLs, other fields and everything else pass
// through unchanged. The input may arrive in pieces of any size.
//
// Thread-safety: an instance is used by one thread at a time.
#ifndef TPD_ENGINES_POSTGRES_COPY_TRIM_H_
#define TPD_ENGINES_POSTGRES_COPY_TRIM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::engines::postgres {

class CopyPaddingTrimmer {
 public:
  enum class Format { kText, kBinary };

  // `fields`: 0-based positions, in the COPY's column list, of the char(n) columns.
  CopyPaddingTrimmer(Format format, std::vector<int> fields);

  // Appends the transformed form of `in` to `*out`. Bytes that do not yet complete a row are kept
  // until the next call. InvalidArgument when binary input is malformed (no PGCOPY signature, a
  // negative field count other than the trailer's -1).
  Status Feed(std::string_view in, std::string* out);

  // OK when every byte fed has been passed on (no partial row left over).
  Status Finish() const;

 private:
  size_t Consume(std::string_view in, std::string* out, Status* error);  // bytes of `in` used
  size_t ConsumeTextRow(std::string_view in, std::string* out);
  size_t ConsumeBinary(std::string_view in, std::string* out, Status* error);

  const Format format_;
  std::vector<bool> trim_;  // by field position
  std::string pending_;     // an incomplete row from the previous Feed
  bool header_done_ = false;
  bool ended_ = false;  // binary trailer seen
};

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_COPY_TRIM_H_
