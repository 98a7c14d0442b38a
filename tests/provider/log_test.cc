#include "provider/log.h"

#include <regex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace tpd::log {
namespace {

TEST_CASE("FormatLineForTest: hclog keys are JSON strings and fields are kept", "[provider]") {
  std::string line = FormatLineForTest(Level::kWarn, "disk almost full",
                                       {{"free_bytes", 1024}, {"dir", "/var/lib"}, {"ok", false}},
                                       "2026-08-21T14:10:23.123456Z");
  CHECK(line.find('\n') == std::string::npos);
  nlohmann::json j = nlohmann::json::parse(line);
  REQUIRE(j.at("@level").is_string());
  REQUIRE(j.at("@message").is_string());
  REQUIRE(j.at("@timestamp").is_string());
  CHECK(j.at("@level") == "warn");
  CHECK(j.at("@message") == "disk almost full");
  CHECK(j.at("@timestamp") == "2026-08-21T14:10:23.123456Z");
  CHECK(j.at("free_bytes") == 1024);
  CHECK(j.at("dir") == "/var/lib");
  CHECK(j.at("ok") == false);
}

TEST_CASE("FormatLineForTest: fields cannot overwrite the reserved @ keys", "[provider]") {
  std::string line = FormatLineForTest(Level::kInfo, "m", {{"@message", 5}, {"@level", "error"}}, "t");
  nlohmann::json j = nlohmann::json::parse(line);
  CHECK(j.at("@message") == "m");
  CHECK(j.at("@level") == "info");
}

TEST_CASE("FormatLineForTest: every level has its hclog name", "[provider]") {
  const std::pair<Level, const char*> cases[] = {
      {Level::kTrace, "trace"}, {Level::kDebug, "debug"}, {Level::kInfo, "info"},
      {Level::kWarn, "warn"},   {Level::kError, "error"},
  };
  for (const auto& [level, name] : cases) {
    nlohmann::json j = nlohmann::json::parse(FormatLineForTest(level, "x", {}, "t"));
    CHECK(j.at("@level") == name);
  }
}

TEST_CASE("FormatLineForTest: invalid UTF-8 does not throw", "[provider]") {
  std::string line = FormatLineForTest(Level::kInfo, std::string("bad \xff byte"), {}, "t");
  CHECK_NOTHROW(nlohmann::json::parse(line));
}

TEST_CASE("Timestamp: exact 2006-01-02T15:04:05.000000Z layout", "[provider]") {
  std::string ts = Timestamp();
  CHECK(std::regex_match(ts, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)")));
}

TEST_CASE("ParseLevel: TF_LOG values, case-insensitive, json means trace", "[provider]") {
  CHECK(ParseLevel("TRACE") == Level::kTrace);
  CHECK(ParseLevel("json") == Level::kTrace);
  CHECK(ParseLevel("Debug") == Level::kDebug);
  CHECK(ParseLevel("info") == Level::kInfo);
  CHECK(ParseLevel("WARN") == Level::kWarn);
  CHECK(ParseLevel("error") == Level::kError);
  CHECK(ParseLevel("off") == Level::kOff);
  CHECK(ParseLevel("nonsense") == Level::kInfo);
}

TEST_CASE("Write: respects the threshold and sends lines to the sink", "[provider]") {
  std::vector<std::string> lines;
  SetSinkForTest([&](const std::string& l) { lines.push_back(l); });
  SetLevel(Level::kWarn);
  Info("hidden");
  Error("shown", {{"k", "v"}});
  SetLevel(Level::kOff);
  Error("also hidden");
  SetSinkForTest(nullptr);
  SetLevel(Level::kInfo);
  REQUIRE(lines.size() == 1);
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  CHECK(j.at("@message") == "shown");
  CHECK(j.at("@level") == "error");
  CHECK(j.at("k") == "v");
  CHECK(std::regex_match(j.at("@timestamp").get<std::string>(),
                         std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)")));
}

}  // namespace
}  // namespace tpd::log
