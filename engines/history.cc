#include "engines/history.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "engines/pipeline.h"
#include "provider/log.h"

namespace tpd::engines {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int kFormatVersion = 1;

std::string ErrnoText(int e) { return std::error_code(e, std::generic_category()).message(); }

}  // namespace

HistoryRecord HistoryRecordFromSummary(const RunSummary& summary, std::string_view engine,
                                       std::string_view strategy, std::string_view from_version,
                                       std::string_view to_version, int64_t data_size_bytes) {
  HistoryRecord r;
  r.run_id = summary.run_id;
  r.engine = engine;
  r.strategy = strategy;
  r.from_version = from_version;
  r.to_version = to_version;
  r.data_size_bytes = data_size_bytes;
  r.ok = summary.completed;
  r.total_seconds = summary.total_seconds;
  r.downtime_seconds = summary.downtime_seconds;
  for (const StepSummary& s : summary.steps) {
    if (s.state != "done" && s.state != "failed") continue;
    r.steps.push_back({s.name, s.duration_seconds, s.rows, s.bytes});
  }
  return r;
}

std::string FormatHistoryLine(const HistoryRecord& r) {
  json j;
  j["v"] = kFormatVersion;
  j["time"] = r.time.empty() ? log::Timestamp() : r.time;
  j["run_id"] = r.run_id;
  j["engine"] = r.engine;
  j["strategy"] = r.strategy;
  j["from_version"] = r.from_version;
  j["to_version"] = r.to_version;
  j["data_size_bytes"] = r.data_size_bytes;
  j["ok"] = r.ok;
  j["total_s"] = r.total_seconds;
  j["downtime_s"] = r.downtime_seconds ? json(*r.downtime_seconds) : json(nullptr);
  j["steps"] = json::array();
  for (const HistoryStep& s : r.steps) {
    j["steps"].push_back(
        {{"step", s.step}, {"duration_s", s.duration_seconds}, {"rows", s.rows}, {"bytes", s.bytes}});
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<HistoryRecord> ParseHistoryLine(std::string_view line) {
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("history line is not a JSON object");
  if (!j.contains("engine") || !j["engine"].is_string() || !j.contains("strategy") ||
      !j["strategy"].is_string()) {
    return Status::InvalidArgument("history line lacks engine or strategy");
  }
  // value() throws on a present key of the wrong type; a wrong type is a corrupt line.
  try {
    HistoryRecord r;
    r.time = j.value("time", "");
    r.run_id = j.value("run_id", "");
    r.engine = j["engine"].get<std::string>();
    r.strategy = j["strategy"].get<std::string>();
    r.from_version = j.value("from_version", "");
    r.to_version = j.value("to_version", "");
    r.data_size_bytes = j.value("data_size_bytes", int64_t{0});
    r.ok = j.value("ok", false);
    r.total_seconds = j.value("total_s", 0.0);
    if (j.contains("downtime_s") && j["downtime_s"].is_number()) {
      r.downtime_seconds = j["downtime_s"].get<double>();
    }
    if (j.contains("steps") && j["steps"].is_array()) {
      for (const json& s : j["steps"]) {
        if (!s.is_object()) continue;
        r.steps.push_back({s.value("step", ""), s.value("duration_s", 0.0), s.value("rows", int64_t{0}),
                           s.value("bytes", int64_t{0})});
      }
    }
    return r;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("history line has a field of the wrong type: ") + e.what());
  }
}

Status AppendHistory(const fs::path& work_dir, const HistoryRecord& record) {
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec) return Status::Internal("cannot create " + work_dir.string() + ": " + ec.message());
  const fs::path path = work_dir / "history.jsonl";
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("cannot open " + path.string() + ": " + ErrnoText(errno));
  if (::flock(fd, LOCK_EX) != 0) {
    int e = errno;
    ::close(fd);
    return Status::Internal("cannot lock " + path.string() + ": " + ErrnoText(e));
  }
  std::string line = FormatHistoryLine(record) + "\n";
  // Terminate a line a crash cut off, so this record stays readable.
  off_t size = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd, &last, 1, size - 1) == 1 && last != '\n') line.insert(0, "\n");
  std::string_view rest = line;
  Status st;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status::Internal("cannot write " + path.string() + ": " + ErrnoText(errno));
      break;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (st.ok() && ::fdatasync(fd) != 0) {
    st = Status::Internal("cannot sync " + path.string() + ": " + ErrnoText(errno));
  }
  ::close(fd);  // releases the flock
  return st;
}

Result<std::string> ReadHistoryText(const fs::path& work_dir, size_t max_records) {
  const fs::path path = work_dir / "history.jsonl";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::string();
  std::ifstream in(path);
  if (!in) return Status::Internal("cannot read " + path.string());
  std::deque<std::string> kept;
  std::string line;
  size_t dropped = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (!ParseHistoryLine(line).ok()) {
      ++dropped;
      continue;
    }
    kept.push_back(line);
    if (kept.size() > max_records) kept.pop_front();
  }
  if (in.bad()) return Status::Internal("cannot read " + path.string());
  if (dropped > 0) {
    log::Warn("skipped " + std::to_string(dropped) + " unreadable line(s) of " + path.string());
  }
  std::string out;
  for (const std::string& l : kept) out += l + "\n";
  return out;
}

}  // namespace tpd::engines
