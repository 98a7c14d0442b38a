// ConnInfo: where a PostgreSQL server is and how to log in, parsed from a URL.
//
// Accepted form (libpq's URI syntax, one host):
//   postgres[ql]://[user[:password]@][host][:port][/dbname][?param=value&...]
// - host: a name, an IPv4 address, an IPv6 address in brackets ([::1]), or a unix-socket directory,
//   given percent-encoded in the host part (postgres://%2Fvar%2Frun%2Fpostgresql/db) or as a
//   `host=/dir` query parameter (postgres:///db?host=/tmp). Empty host = libpq's default socket.
// - port: 1..65535, default 5432.
// - params: any libpq connection keyword (sslmode, connect_timeout, application_name, options,
//   sslrootcert, target_session_attrs ...). `host`, `port`, `user`, `dbname`, `password` given as
//   params override the URL parts. Unknown keywords are rejected at parse time.
// - Every part may be percent-encoded.
//
// The password is a secret: it comes from the Terraform attribute `password` (preferred) or from the
// URL, and it is never printed: Redacted(), error messages and logs never contain it.
//
// Thread-safety: a value type; const methods may be called concurrently.
#ifndef TPD_ENGINES_POSTGRES_CONNINFO_H_
#define TPD_ENGINES_POSTGRES_CONNINFO_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/status.h"

namespace tpd::engines::postgres {

class ConnInfo {
 public:
  static constexpr int kDefaultPort = 5432;

  // An empty ConnInfo (libpq defaults everywhere). Mostly for containers; use Parse.
  ConnInfo() = default;

  // Parses `url`. `password`, when set (even to ""), is the password and wins over one in the URL.
  // Errors: InvalidArgument saying what is wrong and showing a valid example, e.g.
  //   "invalid PostgreSQL URL: port \"54x\" is not a number between 1 and 65535; a valid URL looks
  //    like postgres://user@db.example.com:5432/appdb?sslmode=require".
  // The message never quotes the URL itself or anything that could be the password.
  static Result<ConnInfo> Parse(std::string_view url, std::optional<std::string> password = std::nullopt);

  // Parts, decoded. Empty = not given (libpq default applies).
  const std::string& user() const { return user_; }
  const std::string& host() const { return host_; }  // name, IP, or socket dir starting with '/'
  int port() const { return port_; }                  // kDefaultPort when not given
  const std::string& dbname() const { return dbname_; }
  bool has_password() const { return password_.has_value(); }
  // The secret. Use only to hand it to libpq or a child's environment (PasswordEnv()).
  const std::string& password() const;
  // Query parameters other than host/port/user/dbname/password, in URL order.
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }
  // The value of param `key`, if given.
  std::optional<std::string> Param(std::string_view key) const;
  bool is_unix_socket() const { return !host_.empty() && host_[0] == '/'; }

  // The URL without the password, e.g. "postgres://app@db:5432/appdb?sslmode=require".
  // Safe to log and to put in messages and Terraform state.
  std::string Redacted() const;
  // "host:port" (or "socket dir:port") for short messages.
  std::string Endpoint() const;

  // Keyword/value pairs for PQconnectdbParams, including the password when `include_password`.
  std::vector<std::pair<std::string, std::string>> ToLibpqKeywords(bool include_password = true) const;
  // A libpq keyword/value connection string WITHOUT the password ("host='db' port='5432' ..."),
  // for tools' --dbname argument; pass the password with PasswordEnv().
  std::string ToLibpqConnString() const;
  // {{"PGPASSWORD", password}} when a password is set, else empty: the child's environment entry.
  std::vector<std::pair<std::string, std::string>> PasswordEnv() const;

  // Copies with one part replaced.
  ConnInfo WithDatabase(std::string dbname) const;
  ConnInfo WithoutPassword() const;
  ConnInfo WithPassword(std::string password) const;
  ConnInfo WithParam(std::string key, std::string value) const;

  // All parts equal, password included.
  bool operator==(const ConnInfo& other) const;
  bool operator!=(const ConnInfo& other) const { return !(*this == other); }
  // Same host and port (the same server), ignoring user, database, password and params.
  bool SameServer(const ConnInfo& other) const;

 private:
  std::string user_;
  std::string host_;
  int port_ = kDefaultPort;
  bool port_given_ = false;
  std::string dbname_;
  std::optional<std::string> password_;
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_CONNINFO_H_
