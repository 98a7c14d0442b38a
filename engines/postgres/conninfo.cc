#include "engines/postgres/conninfo.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace tpd::engines::postgres {
namespace {

constexpr std::string_view kExample = "postgres://user@db.example.com:5432/appdb?sslmode=require";

Status Invalid(std::string_view what) {
  return Status::InvalidArgument("invalid PostgreSQL URL: " + std::string(what) + "; a valid URL looks like " +
                                 std::string(kExample));
}

// Keywords this libpq understands (PQconndefaults), computed once.
const std::set<std::string>& LibpqKeywords() {
  static const std::set<std::string> keywords = [] {
    std::set<std::string> out;
    PQconninfoOption* options = PQconndefaults();
    if (options != nullptr) {
      for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) out.insert(o->keyword);
      PQconninfoFree(options);
    }
    return out;
  }();
  return keywords;
}

bool IsSecretParam(std::string_view key) { return key == "password" || key == "sslpassword"; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`. `part` names it for the error message (never the value: it may be secret).
Result<std::string> Decode(std::string_view in, std::string_view part) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) {
      return Invalid("the " + std::string(part) + " has an incomplete percent-escape (expected %XX)");
    }
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return Invalid("the " + std::string(part) + " has an invalid percent-escape (expected %XX)");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string Encode(std::string_view in, bool keep_slash = false) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<int> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return Invalid("port \"" + std::string(text.substr(0, 16)) + "\" is not a number between 1 and 65535");
  }
  int port = std::stoi(std::string(text));
  if (port < 1 || port > 65535) {
    return Invalid("port " + std::to_string(port) + " is not between 1 and 65535");
  }
  return port;
}

std::string LowerPrefix(std::string_view s, std::size_t n) {
  std::string out(s.substr(0, n));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string QuoteConnValue(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

Result<ConnInfo> ConnInfo::Parse(std::string_view url, std::optional<std::string> password) {
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.remove_prefix(1);
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.remove_suffix(1);
  if (url.empty()) return Invalid("the URL is empty");

  std::string_view rest;
  if (LowerPrefix(url, 13) == "postgresql://") {
    rest = url.substr(13);
  } else if (LowerPrefix(url, 11) == "postgres://") {
    rest = url.substr(11);
  } else if (url.find("://") != std::string_view::npos) {
    return Invalid("the scheme must be postgres:// or postgresql://");
  } else if (url.find('=') != std::string_view::npos) {
    return Invalid("this looks like a keyword=value connection string; give a URL instead");
  } else {
    return Invalid("the URL must start with postgres:// or postgresql://");
  }
  if (rest.find('#') != std::string_view::npos) return Invalid("a URL fragment (#...) is not allowed");

  ConnInfo info;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  std::string_view path;
  // The authority ends at the first '/' after the user info (a password may contain '/', so look
  // for it after the last '@').
  std::size_t at = authority.rfind('@');
  std::size_t slash = authority.find('/', at == std::string_view::npos ? 0 : at);
  if (slash != std::string_view::npos) {
    path = authority.substr(slash + 1);
    authority = authority.substr(0, slash);
  }
  std::string_view hostport = authority;
  if (at != std::string_view::npos && at < authority.size()) {
    std::string_view userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    std::string_view user = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      TPD_ASSIGN_OR_RETURN(std::string pw, Decode(userinfo.substr(colon + 1), "password"));
      info.password_ = std::move(pw);
    }
    TPD_ASSIGN_OR_RETURN(info.user_, Decode(user, "user name"));
  }

  if (hostport.find(',') != std::string_view::npos) {
    return Invalid("more than one host is not supported; give a single host");
  }
  std::string_view host = hostport;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return Invalid("an IPv6 host must be closed with ']' (e.g. [::1])");
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid("unexpected text after the IPv6 host; expected :port");
      port = after.substr(1);
      if (port.empty()) return Invalid("the port after ':' is empty");
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (port.empty()) return Invalid("the port after ':' is empty");
  }
  TPD_ASSIGN_OR_RETURN(info.host_, Decode(host, "host"));
  if (!port.empty()) {
    TPD_ASSIGN_OR_RETURN(info.port_, ParsePort(port));
    info.port_given_ = true;
  }
  TPD_ASSIGN_OR_RETURN(info.dbname_, Decode(path, "database name"));

  // Query parameters.
  while (!query.empty()) {
    std::string_view item = query;
    if (auto amp = query.find('&'); amp != std::string_view::npos) {
      item = query.substr(0, amp);
      query = query.substr(amp + 1);
    } else {
      query = {};
    }
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Invalid("query parameter \"" + std::string(item.substr(0, 40)) + "\" has no value (expected key=value)");
    }
    TPD_ASSIGN_OR_RETURN(std::string key, Decode(item.substr(0, eq), "query parameter name"));
    if (key.empty()) return Invalid("a query parameter has an empty name");
    TPD_ASSIGN_OR_RETURN(std::string value, Decode(item.substr(eq + 1), "value of parameter " + key));
    if (key == "password") {
      info.password_ = std::move(value);
    } else if (key == "host") {
      if (value.find(',') != std::string::npos) return Invalid("more than one host is not supported");
      info.host_ = std::move(value);
    } else if (key == "port") {
      TPD_ASSIGN_OR_RETURN(info.port_, ParsePort(value));
      info.port_given_ = true;
    } else if (key == "user") {
      info.user_ = std::move(value);
    } else if (key == "dbname") {
      info.dbname_ = std::move(value);
    } else {
      const auto& known = LibpqKeywords();
      if (!known.empty() && known.count(key) == 0) {
        return Invalid("unknown connection parameter \"" + key.substr(0, 40) +
                       "\" (use libpq keywords such as sslmode, connect_timeout, application_name)");
      }
      if (key == "sslmode") {
        static const std::set<std::string> kModes = {"disable", "allow",     "prefer",
                                                     "require", "verify-ca", "verify-full"};
        if (kModes.count(value) == 0) {
          return Invalid("sslmode \"" + value.substr(0, 20) +
                         "\" is not one of disable, allow, prefer, require, verify-ca, verify-full");
        }
      } else if (key == "connect_timeout") {
        if (value.empty() || value.size() > 9 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return Invalid("connect_timeout must be a whole number of seconds");
        }
      }
      // A repeated key: the last one wins, as in libpq.
      auto it = std::find_if(info.params_.begin(), info.params_.end(), [&](const auto& p) { return p.first == key; });
      if (it != info.params_.end()) {
        it->second = std::move(value);
      } else {
        info.params_.emplace_back(std::move(key), std::move(value));
      }
    }
  }
  if (password.has_value()) info.password_ = std::move(password);
  return info;
}

const std::string& ConnInfo::password() const {
  static const std::string kEmpty;
  return password_ ? *password_ : kEmpty;
}

std::optional<std::string> ConnInfo::Param(std::string_view key) const {
  for (const auto& [k, v] : params_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string ConnInfo::Redacted() const {
  std::string out = "postgres://";
  if (!user_.empty()) out += Encode(user_) + "@";
  const bool socket = is_unix_socket();
  if (!socket) {
    if (host_.find(':') != std::string::npos) {
      out += "[" + host_ + "]";
    } else {
      out += Encode(host_);
    }
  }
  out += ":" + std::to_string(port_);
  out += "/" + Encode(dbname_);
  char sep = '?';
  if (socket) {
    out += sep + std::string("host=") + Encode(host_, /*keep_slash=*/true);
    sep = '&';
  }
  for (const auto& [k, v] : params_) {
    out += sep + Encode(k) + "=" + (IsSecretParam(k) ? std::string("****") : Encode(v, true));
    sep = '&';
  }
  return out;
}

std::string ConnInfo::Endpoint() const {
  std::string host = host_.empty() ? std::string("default socket") : host_;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port_);
}

std::vector<std::pair<std::string, std::string>> ConnInfo::ToLibpqKeywords(bool include_password) const {
  std::vector<std::pair<std::string, std::string>> kw;
  if (!host_.empty()) kw.emplace_back("host", host_);
  kw.emplace_back("port", std::to_string(port_));
  if (!user_.empty()) kw.emplace_back("user", user_);
  if (!dbname_.empty()) kw.emplace_back("dbname", dbname_);
  if (include_password && password_) kw.emplace_back("password", *password_);
  for (const auto& [k, v] : params_) {
    if (!include_password && IsSecretParam(k)) continue;
    kw.emplace_back(k, v);
  }
  return kw;
}

std::string ConnInfo::ToLibpqConnString() const {
  std::string out;
  for (const auto& [k, v] : ToLibpqKeywords(/*include_password=*/false)) {
    if (!out.empty()) out += ' ';
    out += k + "=" + QuoteConnValue(v);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ConnInfo::PasswordEnv() const {
  if (!password_) return {};
  return {{"PGPASSWORD", *password_}};
}

ConnInfo ConnInfo::WithDatabase(std::string dbname) const {
  ConnInfo c = *this;
  c.dbname_ = std::move(dbname);
  return c;
}

ConnInfo ConnInfo::WithoutPassword() const {
  ConnInfo c = *this;
  c.password_.reset();
  return c;
}

ConnInfo ConnInfo::WithPassword(std::string password) const {
  ConnInfo c = *this;
  c.password_ = std::move(password);
  return c;
}

ConnInfo ConnInfo::WithParam(std::string key, std::string value) const {
  ConnInfo c = *this;
  for (auto& [k, v] : c.params_) {
    if (k == key) {
      v = std::move(value);
      return c;
    }
  }
  c.params_.emplace_back(std::move(key), std::move(value));
  return c;
}

bool ConnInfo::operator==(const ConnInfo& other) const {
  return user_ == other.user_ && host_ == other.host_ && port_ == other.port_ && dbname_ == other.dbname_ &&
         password_ == other.password_ && params_ == other.params_;
}

bool ConnInfo::SameServer(const ConnInfo& other) const { return host_ == other.host_ && port_ == other.port_; }

}  // namespace tpd::engines::postgres
