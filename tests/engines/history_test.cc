#include "engines/history.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "engines/pipeline.h"
#include "provider/log.h"

namespace fs = std::filesystem;
using tpd::engines::AppendHistory;
using tpd::engines::FormatHistoryLine;
using tpd::engines::HistoryRecord;
using tpd::engines::ParseHistoryLine;
using tpd::engines::ReadHistoryText;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tpd-history-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

HistoryRecord Sample(const std::string& strategy, double downtime) {
  HistoryRecord r;
  r.run_id = "pg-" + strategy + "-0123456789abcdef";
  r.engine = "postgresql";
  r.strategy = strategy;
  r.from_version = "13.4";
  r.to_version = "17.2";
  r.data_size_bytes = 943718400;
  r.ok = true;
  r.total_seconds = 42.5;
  r.downtime_seconds = downtime;
  r.steps = {{"copy_data", 30.25, 6000000, 900000000}, {"verify", 2.5, 0, 0}};
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("History: appended records read back identically", "[engines]") {
  TempDir dir;
  fs::path work = dir.path() / "work";  // created by AppendHistory
  REQUIRE(AppendHistory(work, Sample("dump_restore", 12.5)).ok());
  HistoryRecord no_downtime = Sample("in_place", 0);
  no_downtime.downtime_seconds.reset();
  no_downtime.ok = false;
  REQUIRE(AppendHistory(work, no_downtime).ok());

  auto text = ReadHistoryText(work);
  REQUIRE(text.ok());
  auto lines = Lines(*text);
  REQUIRE(lines.size() == 2);
  CHECK(text->back() == '\n');

  auto first = ParseHistoryLine(lines[0]);
  REQUIRE(first.ok());
  CHECK(first->engine == "postgresql");
  CHECK(first->strategy == "dump_restore");
  CHECK(first->run_id == "pg-dump_restore-0123456789abcdef");
  CHECK(first->from_version == "13.4");
  CHECK(first->to_version == "17.2");
  CHECK(first->data_size_bytes == 943718400);
  CHECK(first->ok);
  CHECK(first->total_seconds == Approx(42.5));
  REQUIRE(first->downtime_seconds.has_value());
  CHECK(*first->downtime_seconds == Approx(12.5));
  CHECK_FALSE(first->time.empty());
  REQUIRE(first->steps.size() == 2);
  CHECK(first->steps[0].step == "copy_data");
  CHECK(first->steps[0].duration_seconds == Approx(30.25));
  CHECK(first->steps[0].rows == 6000000);
  CHECK(first->steps[0].bytes == 900000000);

  auto second = ParseHistoryLine(lines[1]);
  REQUIRE(second.ok());
  CHECK(second->strategy == "in_place");
  CHECK_FALSE(second->ok);
  CHECK_FALSE(second->downtime_seconds.has_value());
  // The documented keys are on the line.
  CHECK(lines[1].find("\"downtime_s\":null") != std::string::npos);
  CHECK(lines[0].find("\"v\":1") != std::string::npos);
}

TEST_CASE("History: corrupt lines are dropped and later appends stay readable", "[engines]") {
  TempDir dir;
  tpd::log::SetLevel(tpd::log::Level::kOff);
  REQUIRE(AppendHistory(dir.path(), Sample("dump_restore", 1)).ok());
  {
    std::ofstream out(dir.path() / "history.jsonl", std::ios::app);
    out << "not json at all\n";
    out << "{\"engine\":\"postgresql\"}\n";                             // no strategy
    out << "{\"engine\":\"postgresql\",\"strategy\":\"x\",\"total_s\":\"slow\"}\n";  // wrong type
    out << "{\"engine\":\"postgresql\",\"strat";                      // cut by a crash, no newline
  }
  REQUIRE(AppendHistory(dir.path(), Sample("replication", 0.8)).ok());
  tpd::log::SetLevel(tpd::log::Level::kInfo);

  auto text = ReadHistoryText(dir.path());
  REQUIRE(text.ok());
  auto lines = Lines(*text);
  REQUIRE(lines.size() == 2);
  CHECK(ParseHistoryLine(lines[0])->strategy == "dump_restore");
  CHECK(ParseHistoryLine(lines[1])->strategy == "replication");
  CHECK(ParseHistoryLine("{\"engine\":\"postgresql\",\"strategy\":\"x\",\"total_s\":\"slow\"}")
            .status()
            .IsInvalidArgument());
  CHECK(ParseHistoryLine("[1,2]").status().IsInvalidArgument());
}

TEST_CASE("History: reading keeps the newest records and a missing file is empty", "[engines]") {
  TempDir dir;
  auto empty = ReadHistoryText(dir.path());
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  for (int i = 0; i < 5; ++i) REQUIRE(AppendHistory(dir.path(), Sample("s" + std::to_string(i), i)).ok());
  auto text = ReadHistoryText(dir.path(), 2);
  REQUIRE(text.ok());
  auto lines = Lines(*text);
  REQUIRE(lines.size() == 2);
  CHECK(ParseHistoryLine(lines[0])->strategy == "s3");
  CHECK(ParseHistoryLine(lines[1])->strategy == "s4");
}

TEST_CASE("History: concurrent appends never interleave", "[engines]") {
  TempDir dir;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};  // Catch2 assertions are not thread-safe: count, check after join
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&dir, &failures, t] {
      HistoryRecord r = Sample("t" + std::to_string(t), t);
      r.steps.assign(50, {"copy_data", 1.0, 1, 1});  // long lines
      for (int i = 0; i < 25; ++i) {
        if (!AppendHistory(dir.path(), r).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto text = ReadHistoryText(dir.path());
  REQUIRE(text.ok());
  CHECK(Lines(*text).size() == 100);
}

TEST_CASE("History: a record from a run summary carries its measured steps", "[engines]") {
  tpd::engines::RunSummary s;
  s.run_id = "pg-replication-1";
  s.completed = true;
  s.total_seconds = 10;
  s.downtime_seconds = 0.7;
  s.steps = {{"precheck", "done", 0.5, 0, 0, true},
             {"copy_data", "done", 9.5, 100, 4096, false},
             {"verify", "", 0, 0, 0, false}};
  HistoryRecord r = tpd::engines::HistoryRecordFromSummary(s, "postgresql", "replication", "13.4", "17.2", 8192);
  CHECK(r.ok);
  CHECK(r.run_id == "pg-replication-1");
  CHECK(r.strategy == "replication");
  CHECK(r.data_size_bytes == 8192);
  REQUIRE(r.downtime_seconds.has_value());
  CHECK(*r.downtime_seconds == Approx(0.7));
  REQUIRE(r.steps.size() == 2);  // verify never ran
  CHECK(r.steps[1].step == "copy_data");
  CHECK(r.steps[1].bytes == 4096);
  auto parsed = ParseHistoryLine(FormatHistoryLine(r));
  REQUIRE(parsed.ok());
  CHECK(parsed->steps.size() == 2);
}
