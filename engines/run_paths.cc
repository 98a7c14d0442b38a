#include "engines/run_paths.h"

#include <cstdint>
#include <cstdio>

namespace tpd::engines {
namespace {

// FNV-1a: tiny, and unlike std::hash its value is fixed, so run ids survive a rebuild.
uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool SafeChar(char c, bool allow_dot) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (allow_dot && c == '.');
}

}  // namespace

RunPaths RunPaths::For(const std::filesystem::path& work_dir, std::string_view run_id) {
  RunPaths p;
  p.work_dir = work_dir;
  p.history = work_dir / "history.jsonl";
  p.run_dir = work_dir / "runs" / std::string(run_id);
  p.journal = p.run_dir / "journal.jsonl";
  p.previous_journal = p.run_dir / "journal.previous.jsonl";
  p.lock_file = p.run_dir / "lock.pid";
  p.backup_dir = p.run_dir / "backup";
  p.log_dir = p.run_dir / "logs";
  p.tables_dir = p.run_dir / "tables";
  p.summary = p.run_dir / "summary.json";
  return p;
}

std::filesystem::path RunPaths::TableState(std::string_view table) const {
  std::string name;
  bool replaced = false;
  for (char c : table) {
    if (SafeChar(c, /*allow_dot=*/true)) {
      name += c;
    } else {
      name += '_';
      replaced = true;
    }
  }
  // "." and ".." alone would escape the directory; a leading dot would hide the file.
  if (name.empty() || name[0] == '.') {
    name.insert(0, "t");
    replaced = true;
  }
  if (replaced) name += "-" + Hex16(Fnv1a64(table)).substr(0, 8);
  return tables_dir / (name + ".json");
}

std::string RunIdFor(std::string_view method, std::string_view identity) {
  std::string id;
  for (char c : method) id += SafeChar(c, /*allow_dot=*/false) ? c : '_';
  if (id.empty()) id = "run";
  return id + "-" + Hex16(Fnv1a64(identity));
}

}  // namespace tpd::engines
