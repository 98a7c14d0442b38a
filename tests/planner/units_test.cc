#include "planner/units.h"

#include <catch2/catch.hpp>

namespace tpd::planner {
namespace {

TEST_CASE("ParseDurationSeconds: accepts s/m/h/d terms and bare seconds", "[planner]") {
  CHECK(*ParseDurationSeconds("90s") == 90);
  CHECK(*ParseDurationSeconds("5m") == 300);
  CHECK(*ParseDurationSeconds("1h30m") == 5400);
  CHECK(*ParseDurationSeconds("1h30m15s") == 5415);
  CHECK(*ParseDurationSeconds("1.5h") == 5400);
  CHECK(*ParseDurationSeconds("2d") == 172800);
  CHECK(*ParseDurationSeconds("300") == 300);
  CHECK(*ParseDurationSeconds(" 0s ") == 0);
}

TEST_CASE("ParseDurationSeconds: rejects malformed durations", "[planner]") {
  for (const char* bad : {"", "m", "5x", "-5m", "5ms", "1h30", "h5", "1..5m", "5 minutes"}) {
    INFO(bad);
    CHECK(ParseDurationSeconds(bad).status().IsInvalidArgument());
  }
}

TEST_CASE("ParseSizeBytes: accepts decimal and binary units", "[planner]") {
  CHECK(*ParseSizeBytes("1024") == 1024);
  CHECK(*ParseSizeBytes("100B") == 100);
  CHECK(*ParseSizeBytes("2KB") == 2000);
  CHECK(*ParseSizeBytes("500MB") == 500000000);
  CHECK(*ParseSizeBytes("3GB") == 3000000000LL);
  CHECK(*ParseSizeBytes("2KiB") == 2048);
  CHECK(*ParseSizeBytes("5MiB") == 5LL * 1024 * 1024);
  CHECK(*ParseSizeBytes("12GiB") == 12LL * 1024 * 1024 * 1024);
  CHECK(*ParseSizeBytes("12 gib") == 12LL * 1024 * 1024 * 1024);
  CHECK(*ParseSizeBytes("1.5TiB") == 3LL * 512 * 1024 * 1024 * 1024);
}

TEST_CASE("ParseSizeBytes: rejects unknown units, negatives and overflow", "[planner]") {
  for (const char* bad : {"", "GiB", "12XB", "-1GiB", "12 G B", "99999999999TiB"}) {
    INFO(bad);
    CHECK(ParseSizeBytes(bad).status().IsInvalidArgument());
  }
}

TEST_CASE("FormatDuration: output parses back to the same seconds", "[planner]") {
  for (int64_t s : {0LL, 1LL, 59LL, 60LL, 61LL, 3600LL, 5400LL, 86399LL, 100000LL}) {
    INFO(s);
    CHECK(*ParseDurationSeconds(FormatDuration(s)) == s);
  }
  CHECK(FormatDuration(5400) == "1h30m");
}

TEST_CASE("FormatSize: uses binary units with at most one decimal", "[planner]") {
  CHECK(FormatSize(200LL * 1024 * 1024 * 1024) == "200 GiB");
  CHECK(FormatSize(1536LL * 1024 * 1024) == "1.5 GiB");
  CHECK(FormatSize(100) == "100 B");
}

}  // namespace
}  // namespace tpd::planner
