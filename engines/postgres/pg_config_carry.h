// Config carry-over for in_place upgrades: the new cluster takes over the old cluster's
// configuration (port, listen and socket settings, every other setting of postgresql.conf and
// postgresql.auto.conf that the new version still accepts, pg_hba.conf and pg_ident.conf).
//
// Where the old settings come from: the running old server's pg_file_settings view, i.e. what
// its configuration files say (postgresql.conf wherever it lives, its include files, and
// postgresql.auto.conf), already parsed; the last entry of a name wins, as for the server. So a
// Debian layout (/etc/postgresql/13/main/postgresql.conf) works like a plain data directory. The
// port is always carried (from SHOW port when no file sets it, e.g. pg_ctl -o "-p 5433"). Not
// carried, because they name the old cluster's own files: data_directory, config_file, hba_file,
// ident_file, external_pid_file.
//
// How they are written into the new data directory:
//   postgresql.conf       one block appended between the lines kCarryBeginMarker/kCarryEndMarker
//                         (an earlier block is replaced, so writing again is idempotent);
//   postgresql.auto.conf  rewritten with the settings that came from the old postgresql.auto.conf
//                         (so ALTER SYSTEM RESET keeps working for them).
// Every value is written single-quoted (quotes and backslashes escaped), which the parser
// accepts for every type.
//
// Which ones the new version still knows: `postgres -D <new_data_dir> -C port` (run as the data
// directory's owner) parses the whole configuration; each setting it rejects (unrecognized
// parameter, invalid value, out of range) is removed and reported in CarryReport::dropped, and the
// check repeats until the configuration parses.
//
// Thread-safety: functions are thread-safe when they work on different data directories. All
// block (file I/O, child processes, queries).
#ifndef TPD_ENGINES_POSTGRES_PG_CONFIG_CARRY_H_
#define TPD_ENGINES_POSTGRES_PG_CONFIG_CARRY_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "schema/status.h"

namespace tpd::engines::postgres {

class Connection;

// Marker lines around the carried block in the new postgresql.conf. Persisted (they are on users'
// disks and found again by a re-run): never change.
inline constexpr std::string_view kCarryBeginMarker =
    "# --- BEGIN settings carried over from the old cluster by terraform-provider-database ---";
inline constexpr std::string_view kCarryEndMarker =
    "# --- END settings carried over from the old cluster by terraform-provider-database ---";

struct CarriedSetting {
  std::string name;   // lower case, as in pg_file_settings
  std::string value;  // unquoted value ("7MB", "127.0.0.1,::1", "/var/run/postgresql")
  bool from_auto_conf = false;  // came from postgresql.auto.conf
  // Where it was set: "<file>:<line>" (for messages); "SHOW port" for a port not set in a file.
  std::string origin;
};

struct DroppedSetting {
  std::string name;
  std::string value;
  // Why: the new server's complaint, e.g. "unrecognized configuration parameter
  // \"stats_temp_directory\"".
  std::string reason;
};

// The old cluster's configuration as read by ReadOldConfig.
struct OldConfig {
  std::vector<CarriedSetting> settings;  // sorted by name, one per name
  std::string hba_file;    // absolute path of the old pg_hba.conf (SHOW hba_file)
  std::string ident_file;  // absolute path of the old pg_ident.conf (SHOW ident_file)
};

// Reads the settings described at the top from `old_admin` (superuser session on the old server:
// pg_file_settings is superuser-only). Errors: FailedPrecondition (not a superuser), the
// connection's errors otherwise.
Result<OldConfig> ReadOldConfig(Connection& old_admin);

// JSON round trip of OldConfig, for the pipeline's scratch store (a resumed run has no old server
// to read from any more). Deserialize: Internal on malformed text.
std::string SerializeOldConfig(const OldConfig& config);
Result<OldConfig> DeserializeOldConfig(std::string_view json);

struct CarryOptions {
  // The new cluster's data directory (initdb'd, owned by the user the server runs as).
  // REQUIRES: non-empty.
  std::string new_data_dir;
  // Directory of the new version's `postgres` binary (validation). REQUIRES: non-empty.
  std::string new_bin_dir;
  // Limit for each validation run. Default 60 s.
  std::chrono::seconds timeout{60};
};

struct CarryReport {
  std::vector<CarriedSetting> carried;
  std::vector<DroppedSetting> dropped;
  // One line per dropped setting: "setting stats_temp_directory = '...' (from <origin>) was not
  // carried over: <reason>".
  std::vector<std::string> Warnings() const;
};

// Writes `settings` into the new cluster as described at the top, validates them, drops the
// rejected ones, and returns what was carried and dropped. Idempotent. Errors: NotFound (new data
// dir or postgres binary missing), Internal (files cannot be written; or the configuration still
// does not parse and the complaint names no carried setting: the message has the server's
// output), Cancelled/other errors of running postgres.
Result<CarryReport> WriteCarriedConfig(const std::vector<CarriedSetting>& settings, const CarryOptions& options);

// Copies the old pg_hba.conf and pg_ident.conf (paths from OldConfig) over the new data
// directory's own, owned by the new data directory's owner, mode 0600. An empty source path
// leaves the new file as it is. Errors: NotFound (a source file missing), Internal (I/O).
Status CopyAuthFiles(const OldConfig& old_config, const std::string& new_data_dir);

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_PG_CONFIG_CARRY_H_
