#include "engines/postgres/copy_trim.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace tpd::engines::postgres {
namespace {

using Format = CopyPaddingTrimmer::Format;

// Binary COPY pieces.
std::string I16(int v) { return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)}; }
std::string I32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string Header(const std::string& extension = "") {
  return std::string("PGCOPY\n\377\r\n\0", 11) + I32(0) + I32(static_cast<uint32_t>(extension.size())) + extension;
}
std::string Field(const std::string& v) { return I32(static_cast<uint32_t>(v.size())) + v; }
std::string Null() { return I32(0xffffffffu); }
std::string Row(const std::vector<std::string>& fields) {
  std::string r = I16(static_cast<int>(fields.size()));
  for (const auto& f : fields) r += f;
  return r;
}
std::string Trailer() { return I16(-1); }

// Feeds `in` in pieces of `piece` bytes (0: all at once).
std::string Run(CopyPaddingTrimmer& t, const std::string& in, size_t piece = 0) {
  std::string out;
  if (piece == 0) {
    REQUIRE(t.Feed(in, &out).ok());
  } else {
    for (size_t i = 0; i < in.size(); i += piece) REQUIRE(t.Feed(std::string_view(in).substr(i, piece), &out).ok());
  }
  REQUIRE(t.Finish().ok());
  return out;
}

TEST_CASE("CopyPaddingTrimmer: binary rows lose the trailing blanks of the named fields only", "[engines]") {
  const std::string in = Header() +
                         Row({Field("1"), Field("ab   "), Field("keep   "), Null()}) +
                         Row({Field("2"), Field("      "), Field(" x "), Field("c  ")}) +
                         Row({Field("3"), Null(), Field(""), Field("  lead")}) +
                         Row({Field("4"), Field("\xc3\xa9  "), Field("t\t "), Field("")}) + Trailer();
  const std::string want = Header() +
                           Row({Field("1"), Field("ab"), Field("keep   "), Null()}) +
                           Row({Field("2"), Field(""), Field(" x "), Field("c")}) +
                           Row({Field("3"), Null(), Field(""), Field("  lead")}) +
                           Row({Field("4"), Field("\xc3\xa9"), Field("t\t "), Field("")}) + Trailer();
  for (size_t piece : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, size_t{64}}) {
    INFO("piece size " << piece);
    CopyPaddingTrimmer t(Format::kBinary, {1, 3});
    CHECK(Run(t, in, piece) == want);
  }
}

TEST_CASE("CopyPaddingTrimmer: binary header extension and data after the trailer pass through", "[engines]") {
  CopyPaddingTrimmer t(Format::kBinary, {0});
  const std::string in = Header("ext!") + Row({Field("x  ")}) + Trailer();
  CHECK(Run(t, in, 5) == Header("ext!") + Row({Field("x")}) + Trailer());
}

TEST_CASE("CopyPaddingTrimmer: malformed or incomplete binary input is an error", "[engines]") {
  std::string out;
  CopyPaddingTrimmer bad_signature(Format::kBinary, {0});
  CHECK(bad_signature.Feed(std::string("PGCOPY\n\377\r\r\0", 11) + I32(0) + I32(0), &out).IsInvalidArgument());

  CopyPaddingTrimmer negative(Format::kBinary, {0});
  CHECK(negative.Feed(Header() + I16(-2), &out).IsInvalidArgument());

  CopyPaddingTrimmer cut(Format::kBinary, {0});
  std::string row = Row({Field("abc  ")});
  REQUIRE(cut.Feed(Header() + row.substr(0, row.size() - 1), &out).ok());
  CHECK(cut.Finish().IsInvalidArgument());
}

TEST_CASE("CopyPaddingTrimmer: text rows lose the trailing blanks of the named fields only", "[engines]") {
  const std::string in =
      "1\tab   \tkeep   \t\\N\n"
      "2\t      \t x \tc  \n"
      "3\t\\N\t\t  lead\n"
      "4\tq\\\\ \tback\\tslash  \t\\\\  \n";  // escaped backslash before a blank; escaped tab
  const std::string want =
      "1\tab\tkeep   \t\\N\n"
      "2\t\t x \tc\n"
      "3\t\\N\t\t  lead\n"
      "4\tq\\\\\tback\\tslash  \t\\\\\n";
  for (size_t piece : {size_t{0}, size_t{1}, size_t{4}, size_t{100}}) {
    INFO("piece size " << piece);
    CopyPaddingTrimmer t(Format::kText, {1, 3});
    CHECK(Run(t, in, piece) == want);
  }
  CopyPaddingTrimmer cut(Format::kText, {0});
  std::string out;
  REQUIRE(cut.Feed("no newline yet  ", &out).ok());
  CHECK(out.empty());
  CHECK(cut.Finish().IsInvalidArgument());
}

TEST_CASE("CopyPaddingTrimmer: with no field named, bytes pass through unchanged", "[engines]") {
  CopyPaddingTrimmer text(Format::kText, {});
  CHECK(Run(text, "a  \tb  \n") == "a  \tb  \n");
  CopyPaddingTrimmer binary(Format::kBinary, {7});  // beyond the row's fields
  const std::string in = Header() + Row({Field("a  "), Field("b  ")}) + Trailer();
  CHECK(Run(binary, in) == in);
}

}  // namespace
}  // namespace tpd::engines::postgres
