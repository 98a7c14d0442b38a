#include "resources/validators.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "planner/units.h"
#include "planner/version.h"

namespace tpd::resources {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// Shows a user-supplied short string in a message; long or odd input is cut so messages stay short.
std::string Shown(std::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (++n > 40) {
      out += "...";
      break;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Parts of a URL we check; never keeps the userinfo.
struct UrlParts {
  std::string scheme;  // lower case, without "://"
  std::string_view hostport;
  std::string_view query;
  bool has_userinfo = false;
  bool has_password = false;
};

Result<UrlParts> SplitUrl(std::string_view url) {
  UrlParts p;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Status::InvalidArgument(
        "the URL has no scheme; write it as scheme://user@host:port/database, e.g. "
        "\"postgresql://postgres@db.example.com:5432/postgres\"");
  }
  p.scheme = Lower(url.substr(0, sep));
  for (char c : p.scheme) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) {
      return Status::InvalidArgument(
          "the URL's scheme contains characters a scheme cannot have; write it as "
          "scheme://user@host:port/database, e.g. \"postgresql://postgres@db.example.com:5432/postgres\"");
    }
  }
  std::string_view rest = url.substr(sep + 3);
  size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    p.query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    p.has_userinfo = true;
    p.has_password = authority.substr(0, at).find(':') != std::string_view::npos;
    authority = authority.substr(at + 1);
  }
  p.hostport = authority;
  return p;
}

Status CheckPort(std::string_view port) {
  if (!IsDigits(port) || port.size() > 5 || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
    // The port text is not quoted: in a URL whose '@' is missing, it may be a password.
    return Status::InvalidArgument(
        "the URL's port is not a number from 1 to 65535; write host:port, e.g. \"db.example.com:5432\", or leave "
        "the port out to use the default (if the URL holds a password containing ':', '/', '?' or '@', move it to "
        "the password attribute)");
  }
  return Status::Ok();
}

// Each comma-separated host[:port] (libpq allows several) must have a valid port.
Status CheckHostPorts(std::string_view hostport) {
  for (std::string_view hp : Split(hostport, ',')) {
    if (hp.empty()) {
      return Status::InvalidArgument(
          "the URL's host list has an empty entry; write hosts separated by single commas, e.g. "
          "\"host1:5432,host2:5432\"");
    }
    std::string_view port;
    if (hp.front() == '[') {  // [ipv6]:port
      size_t close = hp.find(']');
      if (close == std::string_view::npos) {
        return Status::InvalidArgument("the URL's IPv6 address has no closing ']'; write it as [::1]:5432");
      }
      std::string_view after = hp.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') {
          return Status::InvalidArgument("unexpected text after the URL's IPv6 address; write it as [::1]:5432");
        }
        port = after.substr(1);
        TPD_RETURN_IF_ERROR(CheckPort(port));
      }
      continue;
    }
    size_t colon = hp.rfind(':');
    if (colon != std::string_view::npos) {
      if (colon == 0) {
        return Status::InvalidArgument("the URL has a port but no host; write host:port, e.g. \"localhost:5432\"");
      }
      TPD_RETURN_IF_ERROR(CheckPort(hp.substr(colon + 1)));
    }
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& KnownEngines() {
  static const std::vector<std::string> kEngines = [] {
    std::vector<std::string> v;
    for (planner::Engine e : planner::kAllEngines) v.emplace_back(planner::EngineName(e));
    return v;
  }();
  return kEngines;
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " or " : ", ";
    out += "\"" + items[i] + "\"";
  }
  return out;
}

Status CheckOneOf(std::string_view value, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed) {
    if (a == value) return Status::Ok();
  }
  for (const auto& a : allowed) {
    if (Lower(a) == Lower(value)) {
      return Status::InvalidArgument(Shown(value) + " must be written in lower case: write \"" + a + "\"");
    }
  }
  return Status::InvalidArgument(Shown(value) + " is not one of the accepted values; write " + QuotedList(allowed));
}

Status CheckEngineName(std::string_view engine) {
  for (const auto& e : KnownEngines()) {
    if (e == engine) return Status::Ok();
  }
  // Aliases and other spellings the planner understands ("postgres", "PG", "mongo"): state keeps one
  // canonical name, so ask for it.
  Result<planner::Engine> alias = planner::ParseEngine(engine);
  if (alias.ok()) {
    return Status::InvalidArgument("write the engine's canonical name \"" + std::string(planner::EngineName(*alias)) +
                                   "\" instead of " + Shown(engine));
  }
  return Status::InvalidArgument("unknown engine " + Shown(engine) + "; write one of " + QuotedList(KnownEngines()));
}

Status CheckVersionSyntax(std::string_view version) {
  const std::string example = " e.g. \"17\", \"17.2\" or \"8.0.36\"";
  if (version.empty()) return Status::InvalidArgument("the version is empty; write a version number," + example);
  if (version.front() == 'v') version.remove_prefix(1);  // Dgraph writes "v23.1.0"
  if (version.empty()) return Status::InvalidArgument("the version is empty; write a version number," + example);
  auto parts = Split(version, '.');
  if (parts.size() > 3) {
    return Status::InvalidArgument(Shown(version) +
                                   " has more than 3 parts; write MAJOR, MAJOR.MINOR or "
                                   "MAJOR.MINOR.PATCH," +
                                   example);
  }
  for (std::string_view part : parts) {
    if (!IsDigits(part) || part.size() > 6) {
      return Status::InvalidArgument(Shown(version) +
                                     " is not a version number (dot-separated numbers only, no suffixes "
                                     "like \"-beta\" or \".x\"); write," +
                                     example);
    }
    if (part.size() > 1 && part.front() == '0') {
      return Status::InvalidArgument(Shown(version) + " has a leading zero; write the numbers without them," + example);
    }
  }
  return Status::Ok();
}

Status CheckVersionForEngine(std::string_view engine, std::string_view version) {
  TPD_RETURN_IF_ERROR(CheckEngineName(engine));
  TPD_RETURN_IF_ERROR(CheckVersionSyntax(version));
  if (version.front() == 'v' && engine != kEngineDgraph) {
    return Status::InvalidArgument(std::string(engine) + " versions have no \"v\" prefix; write \"" +
                                   std::string(version.substr(1)) + "\"");
  }
  Result<planner::Engine> parsed_engine = planner::ParseEngine(engine);
  if (parsed_engine.ok()) {
    Result<planner::Version> parsed = planner::ParseVersion(*parsed_engine, version);
    if (!parsed.ok()) return Status::InvalidArgument(parsed.status().message());
  }
  if (engine != kEnginePostgresql) return Status::Ok();
  auto parts = Split(version, '.');
  int major = std::stoi(std::string(parts[0]));
  if (major >= 10) {
    if (parts.size() > 2) {
      return Status::InvalidArgument(
          "PostgreSQL " + std::to_string(major) + " versions have two parts at most (MAJOR.MINOR); write \"" +
          std::string(parts[0]) + "\" or \"" + std::string(parts[0]) + "." + std::string(parts[1]) + "\"");
    }
    return Status::Ok();
  }
  if (major < 7) {
    return Status::InvalidArgument("PostgreSQL " + Shown(version) +
                                   " does not exist; write a PostgreSQL version such as \"17\" or \"9.6\"");
  }
  if (parts.size() < 2) {
    return Status::InvalidArgument("before PostgreSQL 10 a major version has two parts; write e.g. \"" +
                                   std::string(parts[0]) + ".6\" instead of \"" + std::string(parts[0]) + "\"");
  }
  return Status::Ok();
}

Status CheckDuration(std::string_view text, int64_t min_seconds) {
  Result<int64_t> secs = planner::ParseDurationSeconds(text);
  if (!secs.ok()) {
    return Status::InvalidArgument(Shown(text) +
                                   " is not a duration; write a number followed by a unit "
                                   "(s, m, h or d), e.g. \"90s\", \"5m\" or \"1h30m\"");
  }
  if (*secs < min_seconds) {
    return Status::InvalidArgument(Shown(text) + " is shorter than the minimum of " + std::to_string(min_seconds) +
                                   " seconds; write a longer duration, e.g. \"" + std::to_string(min_seconds) + "s\"");
  }
  return Status::Ok();
}

std::vector<std::string> UrlSchemesForEngine(std::string_view engine) {
  if (engine == kEnginePostgresql) return {"postgresql", "postgres"};
  if (engine == kEngineMysql) return {"mysql"};
  if (engine == kEngineMariadb) return {"mariadb", "mysql"};
  if (engine == kEngineMongodb) return {"mongodb", "mongodb+srv"};
  if (engine == kEngineRedis) return {"redis", "rediss"};
  if (engine == kEngineElasticsearch) return {"https", "http"};
  if (engine == kEngineDgraph) return {"https", "http"};
  if (engine == kEngineKwdb) return {"postgresql", "postgres"};
  return {};
}

Status CheckUrl(std::string_view url) {
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\0') {
      return Status::InvalidArgument(
          "the URL contains whitespace; remove it, and percent-encode spaces inside names as %20");
    }
  }
  TPD_ASSIGN_OR_RETURN(UrlParts p, SplitUrl(url));
  std::vector<std::string> all;
  for (const auto& e : KnownEngines()) {
    for (auto& s : UrlSchemesForEngine(e)) {
      if (std::find(all.begin(), all.end(), s) == all.end()) all.push_back(s);
    }
  }
  if (std::find(all.begin(), all.end(), p.scheme) == all.end()) {
    std::vector<std::string> shown;
    for (const auto& s : all) shown.push_back(s + "://");
    return Status::InvalidArgument("the URL's scheme \"" + p.scheme +
                                   "://\" is not supported; write a URL "
                                   "starting with " +
                                   QuotedList(shown));
  }
  if (p.hostport.empty()) {
    // libpq reads an empty host as its default unix socket (or host=... from the query string), so
    // "postgresql:///db" is a local connection; other engines need a host.
    const bool libpq = p.scheme == "postgresql" || p.scheme == "postgres";
    if (!libpq) {
      return Status::InvalidArgument("the URL has no host; write scheme://user@host:port/database, e.g. \"" + p.scheme +
                                     "://postgres@localhost:5432/postgres\"");
    }
    return Status::Ok();
  }
  return CheckHostPorts(p.hostport);
}

Status CheckUrlForEngine(std::string_view engine, std::string_view url) {
  TPD_RETURN_IF_ERROR(CheckEngineName(engine));
  TPD_RETURN_IF_ERROR(CheckUrl(url));
  TPD_ASSIGN_OR_RETURN(UrlParts p, SplitUrl(url));
  std::vector<std::string> schemes = UrlSchemesForEngine(engine);
  if (std::find(schemes.begin(), schemes.end(), p.scheme) == schemes.end()) {
    std::vector<std::string> shown;
    for (const auto& s : schemes) shown.push_back(s + "://");
    return Status::InvalidArgument("a URL starting with \"" + p.scheme + "://\" cannot reach a " + std::string(engine) +
                                   " server; write a URL starting with " + QuotedList(shown));
  }
  return Status::Ok();
}

bool UrlHasPassword(std::string_view url) {
  Result<UrlParts> p = SplitUrl(url);
  if (p.ok() && p->has_password) return true;
  // libpq also takes password=... in the query string.
  size_t q = url.find('?');
  if (q == std::string_view::npos) return false;
  for (std::string_view kv : Split(url.substr(q + 1), '&')) {
    if (kv.substr(0, 9) == "password=") return true;
  }
  return false;
}

Status CheckAbsolutePath(std::string_view path) {
  if (path.empty()) return Status::InvalidArgument("the path is empty; write an absolute path, e.g. \"/var/lib/db\"");
  if (path.find('\0') != std::string_view::npos || path.find('\n') != std::string_view::npos) {
    return Status::InvalidArgument("the path contains a NUL or newline character; remove it");
  }
  if (path.front() == '~') {
    return Status::InvalidArgument(Shown(path) +
                                   " starts with \"~\", which is not expanded; write the full path, "
                                   "e.g. pathexpand(\"" +
                                   std::string(path.substr(0, 40)) + "\") in HCL");
  }
  if (path.front() != '/') {
    return Status::InvalidArgument(Shown(path) +
                                   " is not an absolute path; write a path starting with \"/\", "
                                   "e.g. abspath(\"" +
                                   std::string(path.substr(0, 40)) + "\") in HCL");
  }
  return Status::Ok();
}

// --- validators ---

namespace {

schema::AttributeValidator StringValidator(std::function<Status(std::string_view)> check) {
  return [check = std::move(check)](const schema::Value& v) -> Status {
    if (v.IsNull() || !v.IsKnown()) return Status::Ok();
    if (v.type().kind() != schema::Type::Kind::kString) {
      return Status::InvalidArgument("expected a string, got " + v.type().FriendlyName());
    }
    return check(v.AsString());
  };
}

}  // namespace

schema::AttributeValidator OneOfValidator(std::vector<std::string> allowed) {
  return StringValidator([allowed = std::move(allowed)](std::string_view s) { return CheckOneOf(s, allowed); });
}

schema::AttributeValidator EngineNameValidator() { return StringValidator(CheckEngineName); }

schema::AttributeValidator VersionValidator() { return StringValidator(CheckVersionSyntax); }

schema::AttributeValidator DurationValidator(int64_t min_seconds) {
  return StringValidator([min_seconds](std::string_view s) { return CheckDuration(s, min_seconds); });
}

schema::AttributeValidator UrlValidator() { return StringValidator(CheckUrl); }

schema::AttributeValidator AbsolutePathValidator() { return StringValidator(CheckAbsolutePath); }

schema::AttributeValidator NonEmptyStringValidator() {
  return StringValidator([](std::string_view s) -> Status {
    if (s.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return Status::InvalidArgument("the value is empty; write a non-empty value or leave the attribute out");
    }
    return Status::Ok();
  });
}

schema::AttributeValidator IntRangeValidator(int64_t min, int64_t max) {
  return [min, max](const schema::Value& v) -> Status {
    if (v.IsNull() || !v.IsKnown()) return Status::Ok();
    if (v.type().kind() != schema::Type::Kind::kNumber) {
      return Status::InvalidArgument("expected a number, got " + v.type().FriendlyName());
    }
    const schema::Number& n = v.AsNumber();
    std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    if (!n.IsInteger()) return Status::InvalidArgument(n.ToString() + " is not a whole number; write " + range);
    std::optional<int64_t> i = n.ToInt64();
    if (!i || *i < min || *i > max) return Status::InvalidArgument(n.ToString() + " is out of range; write " + range);
    return Status::Ok();
  };
}

schema::AttributeValidator EachElementValidator(schema::AttributeValidator element) {
  return [element = std::move(element)](const schema::Value& v) -> Status {
    if (v.IsNull() || !v.IsKnown()) return Status::Ok();
    auto kind = v.type().kind();
    if (kind != schema::Type::Kind::kList && kind != schema::Type::Kind::kSet && kind != schema::Type::Kind::kTuple) {
      return Status::InvalidArgument("expected a list, got " + v.type().FriendlyName());
    }
    const auto& elems = v.Elements();
    for (size_t i = 0; i < elems.size(); ++i) {
      const schema::Value& e = elems[i];
      if (!e.IsKnown()) continue;
      std::string prefix = "element " + std::to_string(i) + ": ";
      if (e.IsNull()) return Status::InvalidArgument(prefix + "null is not allowed; remove it from the list");
      Status s = element(e);
      if (!s.ok()) return Status::InvalidArgument(prefix + s.message());
    }
    return Status::Ok();
  };
}

}  // namespace tpd::resources
