#include "engines/postgres/tools.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "engines/process.h"

namespace tpd::engines::postgres {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> PathDirs() {
  std::vector<std::string> out;
  const char* env = std::getenv("PATH");
  if (env == nullptr) return out;
  std::string path = env;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) out.push_back(dir);
    start = end + 1;
  }
  return out;
}

bool Accepts(const ToolSearchOptions& o, const ToolVersion& v) {
  if (o.exact_major) return v.major == *o.exact_major;
  if (o.min_major) return v.major >= *o.min_major;
  return true;
}

std::string Requirement(const ToolSearchOptions& o) {
  if (o.exact_major) return " (major " + std::to_string(*o.exact_major) + ")";
  if (o.min_major) return " (>= " + std::to_string(*o.min_major) + ")";
  return "";
}

struct Candidate {
  std::string path;
  bool debian = false;
};

std::vector<Candidate> Candidates(std::string_view name, const ToolSearchOptions& o, std::vector<std::string>* searched) {
  std::vector<Candidate> out;
  auto add_dir = [&](const std::string& dir, bool debian) {
    if (std::find(searched->begin(), searched->end(), dir) != searched->end()) return;
    searched->push_back(dir);
    std::string p = dir;
    if (!p.empty() && p.back() != '/') p += '/';
    p += name;
    if (IsExecutableFile(p)) out.push_back({p, debian});
  };
  for (const auto& d : o.tool_paths) add_dir(d, false);
  if (o.search_path_env) {
    for (const auto& d : PathDirs()) add_dir(d, false);
  }
  if (!o.debian_root.empty()) {
    for (int major : InstalledDebianMajors(o.debian_root)) {
      add_dir(o.debian_root + "/" + std::to_string(major) + "/bin", true);
    }
  }
  return out;
}

std::string RealPath(const std::string& p) {
  std::error_code ec;
  auto r = fs::canonical(p, ec);
  return ec ? p : r.string();
}

}  // namespace

std::string ToolVersion::MajorLabel() const {
  if (major >= 10) return std::to_string(major);
  return std::to_string(major) + "." + std::to_string(minor);
}

int ToolVersion::VersionNum() const {
  if (major >= 10) return major * 10000 + minor;
  return major * 10000 + minor * 100 + patch;
}

Result<ToolVersion> ParseToolVersion(std::string_view out) {
  // The version is the first token that starts with a digit after "(PostgreSQL)" if present,
  // otherwise the first token starting with a digit.
  std::string_view rest = out;
  if (auto p = out.find("(PostgreSQL)"); p != std::string_view::npos) rest = out.substr(p + 12);
  std::size_t i = 0;
  while (i < rest.size() && !std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
  if (i == rest.size()) return Status::InvalidArgument("no PostgreSQL version found in tool output");
  std::size_t j = i;
  while (j < rest.size() && !std::isspace(static_cast<unsigned char>(rest[j])) && rest[j] != ')' && rest[j] != ',') ++j;
  ToolVersion v;
  v.text = std::string(rest.substr(i, j - i));
  int parts[3] = {0, 0, 0};
  int n = 0;
  std::size_t k = 0;
  while (n < 3 && k < v.text.size() && std::isdigit(static_cast<unsigned char>(v.text[k]))) {
    int value = 0;
    while (k < v.text.size() && std::isdigit(static_cast<unsigned char>(v.text[k]))) {
      value = value * 10 + (v.text[k] - '0');
      ++k;
    }
    parts[n++] = value;
    if (k < v.text.size() && v.text[k] == '.') {
      ++k;
    } else {
      break;
    }
  }
  v.major = parts[0];
  v.minor = parts[1];
  v.patch = parts[2];
  if (v.major == 0) return Status::InvalidArgument("no PostgreSQL version found in tool output");
  return v;
}

Result<ToolVersion> ProbeToolVersion(const std::string& path, std::chrono::milliseconds timeout) {
  if (!IsExecutableFile(path)) return Status::NotFound(path + " does not exist or is not executable");
  ProcessOptions po;
  po.argv = {path, "--version"};
  po.timeout = timeout;
  TPD_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(po));
  auto v = ParseToolVersion(r.stdout_data);
  if (!v.ok()) return Status::Internal(path + " --version printed no recognisable version");
  return v;
}

std::vector<int> InstalledDebianMajors(const std::string& debian_root) {
  std::vector<int> majors;
  std::error_code ec;
  for (fs::directory_iterator it(debian_root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::error_code ec2;
    if (!fs::is_directory(it->path() / "bin", ec2)) continue;
    majors.push_back(std::atoi(name.c_str()));
  }
  std::sort(majors.rbegin(), majors.rend());
  return majors;
}

std::vector<ToolInfo> FindAllTools(std::string_view name, const ToolSearchOptions& options) {
  std::vector<ToolInfo> out;
  if (name.empty() || name.find('/') != std::string_view::npos) return out;
  std::vector<std::string> searched;
  std::set<std::string> seen;
  for (const auto& c : Candidates(name, options, &searched)) {
    if (!seen.insert(RealPath(c.path)).second) continue;
    auto v = ProbeToolVersion(c.path, options.version_timeout);
    if (!v.ok() || !Accepts(options, *v)) continue;
    ToolInfo info;
    info.name = std::string(name);
    info.path = c.path;
    info.bin_dir = fs::path(c.path).parent_path().string();
    info.version = *v;
    out.push_back(std::move(info));
  }
  return out;
}

Result<ToolInfo> FindTool(std::string_view name, const ToolSearchOptions& options) {
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("tool name must be a plain file name such as pg_dump");
  }
  std::vector<std::string> searched;
  std::set<std::string> seen;
  std::vector<std::string> rejected;
  std::optional<ToolInfo> best_debian;
  for (const auto& c : Candidates(name, options, &searched)) {
    if (!seen.insert(RealPath(c.path)).second) continue;
    auto v = ProbeToolVersion(c.path, options.version_timeout);
    if (!v.ok()) {
      rejected.push_back(c.path + " (cannot read its version)");
      continue;
    }
    if (!Accepts(options, *v)) {
      rejected.push_back(std::string(name) + " " + v->text + " at " + c.path);
      continue;
    }
    ToolInfo info;
    info.name = std::string(name);
    info.path = c.path;
    info.bin_dir = fs::path(c.path).parent_path().string();
    info.version = *v;
    if (!c.debian) return info;  // user-chosen order wins
    if (!best_debian || info.version.VersionNum() > best_debian->version.VersionNum()) best_debian = std::move(info);
  }
  if (best_debian) return *best_debian;

  std::string msg = std::string(name) + Requirement(options) + " not found; searched: ";
  for (std::size_t i = 0; i < searched.size(); ++i) {
    if (i) msg += ", ";
    msg += searched[i];
  }
  if (searched.empty()) msg += "(no directories)";
  if (!rejected.empty()) {
    msg += " (found but not usable: ";
    for (std::size_t i = 0; i < rejected.size(); ++i) {
      if (i) msg += "; ";
      msg += rejected[i];
    }
    msg += ")";
  }
  msg += ". Install the PostgreSQL client tools of the needed version or list their directory in tool_paths";
  return Status::NotFound(std::move(msg));
}

}  // namespace tpd::engines::postgres
