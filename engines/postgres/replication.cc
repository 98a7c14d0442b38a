#include "engines/postgres/replication.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "engines/postgres/backup.h"
#include "engines/postgres/connection.h"
#include "engines/postgres/probe.h"
#include "engines/postgres/schema_copy.h"
#include "engines/postgres/verify.h"
#include "provider/log.h"

namespace tpd::engines::postgres {
namespace {

using Clock = std::chrono::steady_clock;
using ConnPtr = std::unique_ptr<Connection>;

constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kProgressEvery = std::chrono::seconds(5);

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool Stopped(const std::atomic<bool>* stop) { return stop != nullptr && stop->load(); }

// Sleeps `d` in small slices; Cancelled when `stop` fires.
Status SleepFor(std::chrono::milliseconds d, const std::atomic<bool>* stop) {
  auto end = Clock::now() + d;
  while (Clock::now() < end) {
    if (Stopped(stop)) return Status::Cancelled("stop requested");
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(20),
        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()) + std::chrono::milliseconds(1)));
  }
  return Status::Ok();
}

ConnectOptions Opts(const std::atomic<bool>* stop) {
  ConnectOptions o;
  o.cancel_flag = stop;
  o.application_name = "terraform-provider-database replication";
  return o;
}

// A source session that can write even while the server is frozen (our own objects only).
Result<ConnPtr> ConnectSource(const ReplicaSpec& spec) {
  auto c = Connection::Connect(spec.source, Opts(spec.stop));
  if (!c.ok()) return c.status().WithContext("source");
  TPD_RETURN_IF_ERROR((*c)->Exec("SET default_transaction_read_only = off"));
  return std::move(c).value();
}

Result<ConnPtr> ConnectTarget(const ReplicaSpec& spec) {
  auto c = Connection::Connect(spec.target, Opts(spec.stop));
  if (!c.ok()) return c.status().WithContext("target");
  return std::move(c).value();
}

// "schema.table" / "table" -> {schema, table}.
std::pair<std::string, std::string> SplitTable(const std::string& t) {
  auto dot = t.find('.');
  if (dot == std::string::npos) return {"public", t};
  return {t.substr(0, dot), t.substr(dot + 1)};
}

std::string Join(const std::vector<std::string>& v, std::string_view sep, size_t max = SIZE_MAX) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) {
    if (i) out += sep;
    out += v[i];
  }
  if (v.size() > max) out += std::string(sep) + "and " + std::to_string(v.size() - max) + " more";
  return out;
}

// libpq keyword/value string with quoting: key='value' (backslash and quote escaped).
std::string LibpqString(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out += ' ';
    out += k + "='";
    for (char c : v) {
      if (c == '\\' || c == '\'') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

// --- source objects ---------------------------------------------------------------------------

struct SlotInfo {
  bool exists = false;
  bool logical_pgoutput = false;
  bool active = false;
  std::string active_pid;
  std::string confirmed_flush;
  int64_t lag = -1;
};

Result<SlotInfo> ReadSlot(Connection& src, const std::string& slot) {
  TPD_ASSIGN_OR_RETURN(
      QueryResult r,
      src.Query("SELECT slot_type = 'logical' AND plugin = 'pgoutput', active, active_pid::text, "
                "confirmed_flush_lsn::text, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text "
                "FROM pg_replication_slots WHERE slot_name = $1",
                {slot}));
  SlotInfo s;
  if (r.empty()) return s;
  s.exists = true;
  s.logical_pgoutput = r.rows[0][0] == "t";
  s.active = r.rows[0][1] == "t";
  s.active_pid = r.rows[0][2].value_or("");
  s.confirmed_flush = r.rows[0][3].value_or("");
  if (r.rows[0][4]) s.lag = std::max<int64_t>(0, std::stoll(*r.rows[0][4]));
  return s;
}

// Drops `slot`, terminating a walsender that still holds it. *terminated counts terminations.
Status DropSlot(Connection& src, const std::string& slot, int64_t* terminated) {
  auto deadline = Clock::now() + std::chrono::seconds(30);
  auto terminate_after = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    TPD_ASSIGN_OR_RETURN(SlotInfo s, ReadSlot(src, slot));
    if (!s.exists) return Status::Ok();
    if (!s.active) {
      auto r = src.Query("SELECT pg_drop_replication_slot($1)", {slot});
      if (r.ok()) {
        log::Info("replication slot dropped", {{"slot", slot}, {"server", src.conninfo().Redacted()}});
        return Status::Ok();
      }
      // Raced with a walsender that just took it again (SQLSTATE 55006): retry below.
      if (src.last_sqlstate() != "55006" && !r.status().IsNotFound()) return r.status();
    } else if (Clock::now() > terminate_after && !s.active_pid.empty()) {
      // The target's apply worker (or a walsender whose client vanished) still holds the slot.
      auto t = src.QueryBool("SELECT pg_terminate_backend($1::int)", {s.active_pid});
      if (!t.ok()) return t.status();
      if (*t && terminated) ++*terminated;
      log::Info("terminated the walsender holding the slot", {{"slot", slot}, {"pid", s.active_pid}});
    }
    if (Clock::now() > deadline) {
      return Status::Internal("replication slot " + slot + " is still active after 30 s; drop it with " +
                              "SELECT pg_drop_replication_slot('" + slot + "') once its walsender exits");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The pairing token stored as the publication's comment: "tpd:slot=<lsn>;sub=<oid>".
Result<std::optional<std::string>> PublicationComment(Connection& src, const std::string& pub) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, src.Query("SELECT obj_description(oid, 'pg_publication') FROM "
                                                "pg_publication WHERE pubname = $1",
                                                {pub}));
  if (r.empty()) return std::optional<std::string>();
  return r.rows[0][0];
}

std::string TokenOf(const std::string& comment) {
  auto semi = comment.find(';');
  return comment.substr(0, semi);
}

std::string SubOidOf(const std::string& comment) {
  auto p = comment.find(";sub=");
  return p == std::string::npos ? std::string() : comment.substr(p + 5);
}

Status SetPublicationComment(Connection& src, const std::string& pub, const std::string& comment) {
  TPD_ASSIGN_OR_RETURN(std::string lit, src.QuoteLiteral(comment));
  return src.Exec("COMMENT ON PUBLICATION " + QuoteIdent(pub) + " IS " + lit);
}

// Drops publication, slot and table-sync slots of the subscription (oid from `sub_oid` or the
// publication's comment).
Status DropSourceObjects(Connection& src, const ReplicationNames& names, std::string sub_oid,
                         DropReplicaReport* report) {
  auto comment = PublicationComment(src, names.publication);
  if (!comment.ok()) return comment.status();
  if (sub_oid.empty() && comment->has_value()) sub_oid = SubOidOf(**comment);
  if (comment->has_value()) {
    TPD_RETURN_IF_ERROR(src.Exec("DROP PUBLICATION IF EXISTS " + QuoteIdent(names.publication)));
    report->publication_dropped = true;
    log::Info("publication dropped", {{"publication", names.publication}, {"server", src.conninfo().Redacted()}});
  }
  TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(src, names.slot));
  if (slot.exists) {
    TPD_RETURN_IF_ERROR(DropSlot(src, names.slot, &report->walsenders_terminated));
    report->slot_dropped = true;
  }
  if (!sub_oid.empty() && std::all_of(sub_oid.begin(), sub_oid.end(), ::isdigit)) {
    // Table-sync slots made by the subscriber: "pg_<suboid>_sync_<relid>_<sysid>" (14+ targets) or
    // "<subname>_<suboid>_sync_<relid>" (13 targets, temporary).
    TPD_ASSIGN_OR_RETURN(QueryResult r,
                         src.Query("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1 OR "
                                   "slot_name LIKE $2",
                                   {"pg\\_" + sub_oid + "\\_sync\\_%", names.subscription + "\\_" + sub_oid + "\\_sync\\_%"}));
    for (const auto& row : r.rows) {
      TPD_RETURN_IF_ERROR(DropSlot(src, row[0].value_or(""), &report->walsenders_terminated));
      ++report->sync_slots_dropped;
    }
  }
  return Status::Ok();
}

// --- target objects ---------------------------------------------------------------------------

struct SubInfo {
  bool exists = false;
  std::string oid;
  bool enabled = false;
  std::string slot_name;
  std::string comment;
};

Result<SubInfo> ReadSubscription(Connection& dst, const std::string& sub) {
  TPD_ASSIGN_OR_RETURN(
      QueryResult r,
      dst.Query("SELECT oid::text, subenabled, coalesce(subslotname::text, ''), "
                "coalesce(obj_description(oid, 'pg_subscription'), '') FROM pg_subscription "
                "WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
                {sub}));
  SubInfo s;
  if (r.empty()) return s;
  s.exists = true;
  s.oid = r.rows[0][0].value_or("");
  s.enabled = r.rows[0][1] == "t";
  s.slot_name = r.rows[0][2].value_or("");
  s.comment = r.rows[0][3].value_or("");
  return s;
}

// Disable, detach from the slot (so the target never tries to drop it remotely), drop.
Status DropSubscription(Connection& dst, const std::string& sub) {
  std::string q = QuoteIdent(sub);
  TPD_RETURN_IF_ERROR(dst.Exec("ALTER SUBSCRIPTION " + q + " DISABLE"));
  TPD_RETURN_IF_ERROR(dst.Exec("ALTER SUBSCRIPTION " + q + " SET (slot_name = NONE)"));
  TPD_RETURN_IF_ERROR(dst.Exec("DROP SUBSCRIPTION " + q));
  log::Info("subscription dropped", {{"subscription", sub}, {"server", dst.conninfo().Redacted()}});
  return Status::Ok();
}

// Published tables as {schema, table} (pg_publication_tables on the source).
Result<std::vector<std::pair<std::string, std::string>>> PublishedTables(Connection& src, const std::string& pub) {
  TPD_ASSIGN_OR_RETURN(QueryResult r, src.Query("SELECT schemaname::text, tablename::text FROM pg_publication_tables "
                                                "WHERE pubname = $1 ORDER BY 1, 2",
                                                {pub}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : r.rows) out.emplace_back(row[0].value_or(""), row[1].value_or(""));
  return out;
}

struct SyncState {
  int total = 0;
  int ready = 0;
};

Result<SyncState> ReadSync(Connection& dst, const std::string& sub_oid) {
  TPD_ASSIGN_OR_RETURN(QueryResult r,
                       dst.Query("SELECT count(*)::int, count(*) FILTER (WHERE srsubstate IN ('r','s'))::int "
                                 "FROM pg_subscription_rel WHERE srsubid = $1::oid",
                                 {sub_oid}));
  SyncState s;
  s.total = std::stoi(r.rows[0][0].value_or("0"));
  s.ready = std::stoi(r.rows[0][1].value_or("0"));
  return s;
}

// --- steps shared by CreateReplica and ReplicationSteps ----------------------------------------

// Prerequisites on both sides; warnings appended to *warnings.
Status CheckPrerequisites(Connection& src, Connection& dst, const ReplicationNames& names,
                          std::vector<std::string>* warnings) {
  TPD_ASSIGN_OR_RETURN(InstanceFacts f, Probe(src));
  const std::string where = src.conninfo().Endpoint();
  if (f.server_version_num < 100000) {
    return Status::FailedPrecondition("the source " + where + " runs PostgreSQL " + f.version +
                                      "; logical replication needs 10 or later: use dump_restore or in_place");
  }
  if (f.in_recovery) {
    return Status::FailedPrecondition("the source " + where + " is a standby; replicate from the primary");
  }
  if (f.wal_level != "logical") {
    return Status::FailedPrecondition("wal_level is '" + f.wal_level + "' on the source " + where +
                                      "; logical replication needs wal_level = logical: run ALTER SYSTEM SET "
                                      "wal_level = logical and restart the source server, then apply again");
  }
  if (!f.is_superuser) {
    return Status::FailedPrecondition("the source role " + f.current_user + " on " + where +
                                      " is not a superuser (needed for the publication, slot and write freeze)");
  }
  TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(src, names.slot));
  int free_slots = f.max_replication_slots - f.used_replication_slots;
  if (!slot.exists && free_slots < 1) {
    return Status::FailedPrecondition("no free replication slot on the source " + where + " (max_replication_slots = " +
                                      std::to_string(f.max_replication_slots) +
                                      ", all used): raise it and restart, or drop an unused slot");
  }
  if (f.max_wal_senders < 1) {
    return Status::FailedPrecondition("max_wal_senders is 0 on the source " + where + ": raise it and restart");
  }
  if (!slot.exists && free_slots < 3 && warnings) {
    warnings->push_back("only " + std::to_string(free_slots) +
                        " free replication slots on the source: the initial copy runs table syncs one at a time");
  }
  if (dst.server_version_num() < 100000) {
    return Status::FailedPrecondition("the target " + dst.conninfo().Endpoint() + " runs PostgreSQL " +
                                      dst.server_version() + "; subscriptions need 10 or later");
  }
  TPD_ASSIGN_OR_RETURN(bool dst_super,
                       dst.QueryBool("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
  if (!dst_super) {
    return Status::FailedPrecondition("the target role on " + dst.conninfo().Endpoint() +
                                      " is not a superuser (needed to create the subscription)");
  }
  auto lo = src.QueryInt("SELECT count(*) FROM pg_largeobject_metadata");
  if (lo.ok() && *lo > 0 && warnings) {
    warnings->push_back(std::to_string(*lo) +
                        " large objects on the source are not carried by logical replication; copy them separately "
                        "or use dump_restore");
  }
  return Status::Ok();
}

// Copies the schema when the target has no user tables; OK when it already matches.
Result<bool> EnsureTargetSchema(const ReplicaSpec& spec, Connection& src, Connection& dst,
                                const ReplicationNames& names) {
  TPD_ASSIGN_OR_RETURN(SchemaShape src_shape, ReadSchemaShape(src));
  TPD_ASSIGN_OR_RETURN(SchemaShape dst_shape, ReadSchemaShape(dst));
  if (!dst_shape.tables.empty()) {
    std::vector<std::string> diff;
    for (auto& line : DiffSchemaShapes(src_shape, dst_shape)) {
      if (line.find("only on target") == std::string::npos) diff.push_back(line);
    }
    if (diff.empty()) {
      log::Info("target already has the source's tables; schema copy skipped", {{"target", spec.target.Redacted()}});
      return false;
    }
    return Status::FailedPrecondition("the target database " + spec.target.Redacted() +
                                      " already has tables that differ from the source: " + Join(diff, "; ", 10) +
                                      "; use an empty target database");
  }
  TPD_RETURN_IF_ERROR(CheckExtensionsAvailable(src, dst));
  auto roles = CopyRoles(src, dst);
  if (!roles.ok()) return roles.status().WithContext("copying roles");
  std::filesystem::path dir =
      spec.work_dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(spec.work_dir);
  std::string dump = (dir / (names.slot + "-schema.dump")).string();
  SchemaCopyOptions o;
  o.source_major = src.server_version_num() / 10000;
  o.tool_paths = spec.tool_paths;
  o.cancel_flag = spec.stop;
  o.jobs = std::max(1, spec.parallelism);
  log::Info("copying the schema", {{"source", spec.source.Redacted()}, {"target", spec.target.Redacted()}});
  Status s = CopySchema(spec.source, spec.target, dump, o);
  std::error_code ec;
  std::filesystem::remove(dump, ec);
  if (!s.ok()) return s;
  return true;
}

// REPLICA IDENTITY FULL for published tables without a usable identity. Returns their names.
Result<std::vector<std::string>> SetReplicaIdentityFull(Connection& src, const ReplicaSpec& spec) {
  TPD_ASSIGN_OR_RETURN(InstanceFacts f, Probe(src));
  std::set<std::pair<std::string, std::string>> wanted;
  for (const auto& t : spec.tables) wanted.insert(SplitTable(t));
  std::vector<std::string> changed;
  for (const auto& t : f.tables_without_primary_key) {
    if (t.replicable()) continue;
    if (!wanted.empty() && !wanted.count({t.schema, t.name})) continue;
    TPD_RETURN_IF_ERROR(src.Exec("ALTER TABLE " + QuoteQualified(t.schema, t.name) + " REPLICA IDENTITY FULL"));
    changed.push_back(t.QualifiedName());
    log::Warn("table without primary key: REPLICA IDENTITY FULL set on the source",
              {{"table", t.QualifiedName()}});
  }
  return changed;
}

struct PubSlotResult {
  std::string token;
  bool slot_created = false;
};

Result<PubSlotResult> EnsurePublicationAndSlot(Connection& src, const ReplicaSpec& spec, const ReplicationNames& names) {
  std::string target_list;
  for (const auto& t : spec.tables) {
    auto [s, n] = SplitTable(t);
    if (!target_list.empty()) target_list += ", ";
    target_list += QuoteQualified(s, n);
  }
  const std::string q = QuoteIdent(names.publication);
  TPD_ASSIGN_OR_RETURN(QueryResult pub, src.Query("SELECT puballtables FROM pg_publication WHERE pubname = $1",
                                                  {names.publication}));
  bool want_all = spec.tables.empty();
  if (!pub.empty() && (pub.rows[0][0] == "t") != want_all) {
    TPD_RETURN_IF_ERROR(src.Exec("DROP PUBLICATION " + q));
    pub.rows.clear();
  }
  if (pub.empty()) {
    TPD_RETURN_IF_ERROR(src.Exec("CREATE PUBLICATION " + q + (want_all ? " FOR ALL TABLES" : " FOR TABLE " + target_list)));
    log::Info("publication created", {{"publication", names.publication}, {"server", spec.source.Redacted()}});
  } else if (!want_all) {
    TPD_RETURN_IF_ERROR(src.Exec("ALTER PUBLICATION " + q + " SET TABLE " + target_list));
  }

  PubSlotResult out;
  TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(src, names.slot));
  if (slot.exists && !slot.logical_pgoutput) {
    TPD_RETURN_IF_ERROR(DropSlot(src, names.slot, nullptr));
    slot.exists = false;
  }
  TPD_ASSIGN_OR_RETURN(std::optional<std::string> comment, PublicationComment(src, names.publication));
  if (!slot.exists) {
    TPD_ASSIGN_OR_RETURN(std::string lsn,
                         src.QueryString("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')",
                                         {names.slot}));
    out.token = "tpd:slot=" + lsn;
    out.slot_created = true;
    log::Info("replication slot created", {{"slot", names.slot}, {"lsn", lsn}, {"server", spec.source.Redacted()}});
    TPD_RETURN_IF_ERROR(SetPublicationComment(src, names.publication, out.token));
  } else if (comment && comment->rfind("tpd:slot=", 0) == 0) {
    out.token = TokenOf(*comment);
  } else {
    // The slot exists but its token was lost (publication recreated): mint a new one, so any
    // existing subscription is treated as unpaired and recreated (safe, costs a fresh copy).
    TPD_ASSIGN_OR_RETURN(std::string now, src.QueryString("SELECT pg_current_wal_lsn()::text"));
    out.token = "tpd:slot=" + slot.confirmed_flush + "@" + now;
    TPD_RETURN_IF_ERROR(SetPublicationComment(src, names.publication, out.token));
  }
  return out;
}

struct SubResult {
  std::string oid;
  bool created = false;
};

Result<SubResult> EnsureSubscription(Connection& src, Connection& dst, const ReplicaSpec& spec,
                                     const ReplicationNames& names, const std::string& token) {
  const std::string q = QuoteIdent(names.subscription);
  TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(dst, names.subscription));
  SubResult out;
  if (sub.exists && sub.comment == token && sub.slot_name == names.slot) {
    if (!sub.enabled) TPD_RETURN_IF_ERROR(dst.Exec("ALTER SUBSCRIPTION " + q + " ENABLE"));
    out.oid = sub.oid;
    log::Info("existing subscription reused", {{"subscription", names.subscription}});
  } else {
    if (sub.exists) {
      log::Warn("subscription is not paired with the current slot; recreating it",
                {{"subscription", names.subscription}, {"token", token}, {"subscription_token", sub.comment},
                 {"subscription_slot", sub.slot_name}});
      TPD_RETURN_IF_ERROR(DropSubscription(dst, names.subscription));
    }
    // Leftover rows would be duplicated by the initial copy.
    TPD_ASSIGN_OR_RETURN(auto tables, PublishedTables(src, names.publication));
    std::vector<std::string> nonempty;
    for (const auto& [s, t] : tables) {
      auto has = dst.QueryBool("SELECT EXISTS (SELECT 1 FROM " + QuoteQualified(s, t) + ")");
      if (!has.ok()) {
        if (has.status().IsNotFound()) {
          return Status::FailedPrecondition("table " + s + "." + t + " is published but missing on the target " +
                                            spec.target.Redacted());
        }
        return has.status();
      }
      if (*has) nonempty.push_back(QuoteQualified(s, t));
    }
    if (!nonempty.empty()) {
      if (!spec.truncate_nonempty_target_tables) {
        return Status::FailedPrecondition("target tables already hold rows: " + Join(nonempty, ", ", 10) +
                                          "; empty them before creating the replica");
      }
      log::Warn("truncating target tables left from an earlier attempt", {{"tables", Join(nonempty, ", ", 20)}});
      TPD_RETURN_IF_ERROR(dst.Exec("TRUNCATE " + Join(nonempty, ", ")));
    }
    std::string conn = spec.source_conninfo_for_target ? *spec.source_conninfo_for_target
                                                       : LibpqString(spec.source.ToLibpqKeywords(true));
    TPD_ASSIGN_OR_RETURN(std::string conn_lit, dst.QuoteLiteral(conn));
    TPD_ASSIGN_OR_RETURN(std::string slot_lit, dst.QuoteLiteral(names.slot));
    Status s = dst.Exec("CREATE SUBSCRIPTION " + q + " CONNECTION " + conn_lit + " PUBLICATION " +
                        QuoteIdent(names.publication) + " WITH (create_slot = false, slot_name = " + slot_lit +
                        ", copy_data = true, enabled = true)");
    if (!s.ok()) return s.WithContext("creating subscription " + names.subscription);
    TPD_ASSIGN_OR_RETURN(std::string tok_lit, dst.QuoteLiteral(token));
    TPD_RETURN_IF_ERROR(dst.Exec("COMMENT ON SUBSCRIPTION " + q + " IS " + tok_lit));
    TPD_ASSIGN_OR_RETURN(sub, ReadSubscription(dst, names.subscription));
    out.oid = sub.oid;
    out.created = true;
    log::Info("subscription created", {{"subscription", names.subscription}, {"server", spec.target.Redacted()}});
  }
  TPD_RETURN_IF_ERROR(SetPublicationComment(src, names.publication, token + ";sub=" + out.oid));
  return out;
}

// Waits for the initial copy and a small lag. `hook` (may be empty) sees each poll.
Result<std::pair<SyncState, int64_t>> WaitForSync(Connection& src, Connection& dst, const ReplicaSpec& spec,
                                                  const ReplicationNames& names, int64_t max_lag,
                                                  const std::function<void(int, int, int64_t)>& hook) {
  auto start = Clock::now();
  auto last_log = start;
  for (;;) {
    if (Stopped(spec.stop)) return Status::Cancelled("stopped while waiting for the initial copy");
    TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(dst, names.subscription));
    if (!sub.exists) return Status::FailedPrecondition("subscription " + names.subscription + " vanished from the target");
    if (!sub.enabled) return Status::FailedPrecondition("subscription " + names.subscription + " is disabled");
    TPD_ASSIGN_OR_RETURN(SyncState sync, ReadSync(dst, sub.oid));
    TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(src, names.slot));
    if (!slot.exists) return Status::FailedPrecondition("replication slot " + names.slot + " vanished from the source");
    if (hook) hook(sync.ready, sync.total, slot.lag);
    if (sync.ready == sync.total && slot.lag >= 0 && slot.lag <= max_lag) {
      log::Info("replica in sync", {{"subscription", names.subscription}, {"tables", sync.total},
                                    {"lag_bytes", slot.lag}, {"seconds", SecondsSince(start)}});
      return std::make_pair(sync, slot.lag);
    }
    if (Clock::now() - last_log >= kProgressEvery) {
      last_log = Clock::now();
      log::Info("initial copy: " + std::to_string(sync.ready) + " of " + std::to_string(sync.total) +
                    " tables synced, lag " + std::to_string(slot.lag) + " bytes",
                {{"subscription", names.subscription}, {"tables_ready", sync.ready}, {"tables", sync.total},
                 {"lag_bytes", slot.lag}});
      auto errs = dst.QueryValue(
          "SELECT (sync_error_count + apply_error_count)::text FROM pg_stat_subscription_stats WHERE subid = $1::oid",
          {sub.oid});
      if (errs.ok() && errs->has_value() && **errs != "0") {
        log::Warn("the target reports " + **errs + " replication worker errors; see the target's server log",
                  {{"subscription", names.subscription}});
      }
    }
    if (spec.sync_timeout.count() > 0 && Clock::now() - start > spec.sync_timeout) {
      return Status::Unavailable("initial copy not finished after " + std::to_string(spec.sync_timeout.count()) +
                                 " s: " + std::to_string(sync.ready) + " of " + std::to_string(sync.total) +
                                 " tables synced, lag " + std::to_string(slot.lag) +
                                 " bytes; see the target's server log for replication worker errors");
    }
    TPD_RETURN_IF_ERROR(SleepFor(kPoll, spec.stop));
  }
}

// Schema differences that break replication (tables/columns missing or different on the target).
Result<std::vector<std::string>> SchemaDrift(Connection& src, Connection& dst) {
  TPD_ASSIGN_OR_RETURN(SchemaShape a, ReadSchemaShape(src));
  TPD_ASSIGN_OR_RETURN(SchemaShape b, ReadSchemaShape(dst));
  std::vector<std::string> out;
  for (auto& line : DiffSchemaShapes(a, b)) {
    if (line.find("only on target") == std::string::npos) out.push_back(std::move(line));
  }
  return out;
}

Status RefuseOnDrift(Connection& src, Connection& dst, std::string_view when) {
  TPD_ASSIGN_OR_RETURN(auto drift, SchemaDrift(src, dst));
  if (drift.empty()) return Status::Ok();
  return Status::FailedPrecondition("cutover refused " + std::string(when) +
                                    ": the source schema changed since the replica was created (DDL is not "
                                    "replicated): " +
                                    Join(drift, "; ", 20) +
                                    "; apply the same DDL to the target (and ALTER SUBSCRIPTION ... REFRESH "
                                    "PUBLICATION for new tables), then retry");
}

// Waits until the lag is at most `max_lag` (before freezing).
Status WaitLagBelow(Connection& src, const ReplicationNames& names, int64_t max_lag, std::chrono::milliseconds timeout,
                    const std::atomic<bool>* stop) {
  auto start = Clock::now();
  auto last_log = start;
  for (;;) {
    TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(src, names.slot));
    if (!slot.exists) return Status::FailedPrecondition("replication slot " + names.slot + " is missing on the source");
    if (slot.lag <= max_lag) return Status::Ok();
    if (Clock::now() - start > timeout) {
      return Status::FailedPrecondition("the replica is still " + std::to_string(slot.lag) +
                                        " bytes behind after waiting; writes were not frozen; retry when the "
                                        "write load is lower");
    }
    if (Clock::now() - last_log >= kProgressEvery) {
      last_log = Clock::now();
      log::Info("waiting for the replica to catch up before freezing writes", {{"lag_bytes", slot.lag}});
    }
    TPD_RETURN_IF_ERROR(SleepFor(std::chrono::milliseconds(20), stop));
  }
}

// With writes frozen: waits until the target applied everything up to the source's WAL position,
// then makes the target's applied transactions durable. Returns the position.
Result<std::string> WaitApplied(Connection& src, Connection& dst, const ReplicationNames& names,
                                std::chrono::milliseconds timeout, const std::atomic<bool>* stop) {
  TPD_ASSIGN_OR_RETURN(std::string lsn_text, src.QueryString("SELECT pg_current_wal_lsn()::text"));
  auto target_lsn = ParseLsn(lsn_text);
  if (!target_lsn) return Status::Internal("unexpected LSN from the source: " + lsn_text);
  // An empty committed transaction flushes the source's WAL past that position, so the walsender
  // decodes up to it and then sends a keepalive carrying its end position.
  TPD_RETURN_IF_ERROR(src.Exec("BEGIN READ WRITE; SELECT txid_current(); COMMIT"));
  TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(dst, names.subscription));
  if (!sub.exists) return Status::FailedPrecondition("subscription " + names.subscription + " is missing on the target");
  auto start = Clock::now();
  for (;;) {
    // latest_end_lsn is set when the apply worker processes a keepalive; the stream is applied in
    // order, so every transaction before that position has been committed on the target.
    TPD_ASSIGN_OR_RETURN(auto v, dst.QueryValue("SELECT latest_end_lsn::text FROM pg_stat_subscription WHERE subid = "
                                                "$1::oid AND relid IS NULL",
                                                {sub.oid}));
    auto applied = v ? ParseLsn(*v) : std::nullopt;
    if (applied && *applied >= *target_lsn) break;
    TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(src, names.slot));
    auto flushed = ParseLsn(slot.confirmed_flush);
    if (flushed && *flushed >= *target_lsn) break;
    if (Clock::now() - start > timeout) {
      return Status::Unavailable("the target did not apply the source's changes up to " + lsn_text + " within " +
                                 std::to_string(timeout.count() / 1000) + " s (applied up to " +
                                 v.value_or("unknown") + "); see the target's server log");
    }
    if (Stopped(stop)) return Status::Cancelled("stopped while waiting for the target to catch up");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // The apply worker commits asynchronously; a synchronous commit flushes its WAL too.
  TPD_RETURN_IF_ERROR(dst.Exec("SET synchronous_commit = on; BEGIN READ WRITE; SELECT txid_current(); COMMIT"));
  return lsn_text;
}

// Exact row counts of the published tables on both sides, counted concurrently (the source on
// `src`, the target on a second connection of this call) because the counts run inside the write
// freeze. With checksums, verify.h's Verify (all tables) or per-table checksums (a table filter).
// Returns report lines in verify.h's format.
Result<std::vector<std::string>> VerifyReplica(const ReplicaSpec& spec, Connection& src, Connection& dst,
                                               const ReplicationNames& names, bool checksums) {
  if (spec.tables.empty() && checksums) {
    VerifyOptions o;
    o.checksums = true;
    o.large_objects = false;  // not carried by logical replication (warned at create)
    o.cancel_flag = spec.stop;
    o.parallelism = std::max(1, spec.parallelism);
    TPD_ASSIGN_OR_RETURN(VerifyReport r, Verify(spec.source, spec.target, o));
    return r.lines;
  }
  TPD_ASSIGN_OR_RETURN(auto tables, PublishedTables(src, names.publication));
  std::vector<int64_t> src_rows(tables.size(), -1), dst_rows(tables.size(), -1);
  Status dst_status;
  std::thread target_side([&] {
    for (size_t i = 0; i < tables.size(); ++i) {
      auto n = CountRows(dst, tables[i].first, tables[i].second);
      if (!n.ok()) {
        dst_status = n.status().IsNotFound()
                         ? Status::FailedPrecondition("verification failed: table " + tables[i].first + "." +
                                                      tables[i].second + " missing on the target")
                         : n.status().WithContext("counting rows on the target");
        return;
      }
      dst_rows[i] = *n;
    }
  });
  Status src_status;
  for (size_t i = 0; i < tables.size() && src_status.ok(); ++i) {
    auto n = CountRows(src, tables[i].first, tables[i].second);
    if (!n.ok()) src_status = n.status().WithContext("counting rows on the source");
    else src_rows[i] = *n;
  }
  target_side.join();
  TPD_RETURN_IF_ERROR(src_status);
  TPD_RETURN_IF_ERROR(dst_status);
  std::vector<std::string> lines;
  for (size_t i = 0; i < tables.size(); ++i) {
    const std::string name = tables[i].first + "." + tables[i].second;
    if (src_rows[i] != dst_rows[i]) {
      return Status::FailedPrecondition("verification failed: " + name + " has " + std::to_string(src_rows[i]) +
                                        " rows on the source and " + std::to_string(dst_rows[i]) + " on the target");
    }
    if (checksums) {
      TPD_ASSIGN_OR_RETURN(std::string ca, TableChecksum(src, tables[i].first, tables[i].second));
      TPD_ASSIGN_OR_RETURN(std::string cb, TableChecksum(dst, tables[i].first, tables[i].second));
      if (ca != cb) return Status::FailedPrecondition("verification failed: checksum of " + name + " differs");
      lines.push_back(name + ": checksum " + ca + " on both sides");
    }
    lines.push_back(name + ": " + std::to_string(src_rows[i]) + " rows on both sides");
  }
  return lines;
}

// Detach: drop subscription (target), publication and slot (source).
Status Detach(Connection& src, Connection& dst, const ReplicationNames& names) {
  TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(dst, names.subscription));
  if (sub.exists) TPD_RETURN_IF_ERROR(DropSubscription(dst, names.subscription));
  DropReplicaReport ignored;
  return DropSourceObjects(src, names, sub.oid, &ignored);
}

}  // namespace

// --- public ------------------------------------------------------------------------------------

std::optional<uint64_t> ParseLsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) return std::nullopt;
  auto hex = [](std::string_view s) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 8) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return std::nullopt;
      v = v * 16 + static_cast<uint64_t>(d);
    }
    return v;
  };
  auto hi = hex(text.substr(0, slash));
  auto lo = hex(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return (*hi << 32) | *lo;
}

ReplicationNames NamesForReplica(std::string_view id) {
  std::string clean;
  bool changed = false;
  for (char c : id) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_') {
      clean += l;
      if (l != c) changed = true;
    } else {
      clean += '_';
      changed = true;
    }
  }
  std::string name = "tpd_" + clean;
  if (changed || name.size() > 63) {
    uint32_t h = 2166136261u;
    for (char c : id) {
      h ^= static_cast<unsigned char>(c);
      h *= 16777619u;
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "_%08x", h);
    name = name.substr(0, 63 - 9) + buf;
  }
  return {name, name, name};
}

std::string_view ReplicaStateName(ReplicaState state) {
  switch (state) {
    case ReplicaState::kCopying: return "copying";
    case ReplicaState::kStreaming: return "streaming";
    case ReplicaState::kPromoted: return "promoted";
    case ReplicaState::kBroken: return "broken";
  }
  return "broken";
}

Result<CreateReplicaReport> CreateReplica(const ReplicaSpec& spec) {
  auto start = Clock::now();
  CreateReplicaReport report;
  report.names = NamesForReplica(spec.id);
  const auto& names = report.names;
  TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(spec));
  TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(spec));
  log::Info("creating replica", {{"source", spec.source.Redacted()}, {"target", spec.target.Redacted()},
                                 {"publication", names.publication}});
  TPD_RETURN_IF_ERROR(CheckPrerequisites(*src, *dst, names, &report.warnings));
  TPD_ASSIGN_OR_RETURN(report.replica_identity_full, SetReplicaIdentityFull(*src, spec));
  for (const auto& t : report.replica_identity_full) {
    report.warnings.push_back("table " + t +
                              " has no primary key: REPLICA IDENTITY FULL was set on the source so its updates "
                              "and deletes replicate (each one logs the whole old row)");
  }
  if (spec.copy_schema) {
    TPD_ASSIGN_OR_RETURN(report.schema_copied, EnsureTargetSchema(spec, *src, *dst, names));
  }
  TPD_ASSIGN_OR_RETURN(PubSlotResult ps, EnsurePublicationAndSlot(*src, spec, names));
  report.slot_created = ps.slot_created;
  TPD_ASSIGN_OR_RETURN(SubResult sub, EnsureSubscription(*src, *dst, spec, names, ps.token));
  report.subscription_created = sub.created;
  TPD_ASSIGN_OR_RETURN(auto synced, WaitForSync(*src, *dst, spec, names, spec.max_lag_bytes, {}));
  report.tables = synced.first.total;
  report.lag_bytes = synced.second;
  report.seconds = SecondsSince(start);
  return report;
}

Result<ReplicaStatus> GetReplicaStatus(const ReplicaSpec& spec, bool promoted) {
  const ReplicationNames names = NamesForReplica(spec.id);
  TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(spec));
  TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(spec));
  ReplicaStatus st;
  st.source_version = src->server_version();
  st.target_version = dst->server_version();
  auto first_word = [](std::string& v) { v = v.substr(0, v.find(' ')); };
  first_word(st.source_version);
  first_word(st.target_version);
  if (promoted) {
    st.state = ReplicaState::kPromoted;
    st.lag_bytes = 0;
    return st;
  }
  TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(*dst, names.subscription));
  TPD_ASSIGN_OR_RETURN(QueryResult pub, src->Query("SELECT 1 FROM pg_publication WHERE pubname = $1", {names.publication}));
  TPD_ASSIGN_OR_RETURN(SlotInfo slot, ReadSlot(*src, names.slot));
  st.lag_bytes = slot.lag;
  if (!sub.exists && pub.empty() && !slot.exists) {
    TPD_ASSIGN_OR_RETURN(bool frozen, IsFrozen(*src));
    if (frozen) {
      st.state = ReplicaState::kPromoted;
      st.lag_bytes = 0;
      return st;
    }
  }
  std::vector<std::string> reasons;
  if (!sub.exists) reasons.push_back("subscription " + names.subscription + " is missing on the target");
  else if (!sub.enabled) reasons.push_back("subscription " + names.subscription + " is disabled on the target");
  if (pub.empty()) reasons.push_back("publication " + names.publication + " is missing on the source");
  if (!slot.exists) reasons.push_back("replication slot " + names.slot + " is missing on the source");
  if (!reasons.empty()) {
    st.state = ReplicaState::kBroken;
    st.reason = Join(reasons, "; ");
    return st;
  }
  TPD_ASSIGN_OR_RETURN(SyncState sync, ReadSync(*dst, sub.oid));
  st.tables_total = sync.total;
  st.tables_ready = sync.ready;
  TPD_ASSIGN_OR_RETURN(bool running, dst->QueryBool("SELECT EXISTS (SELECT 1 FROM pg_stat_subscription WHERE subid = "
                                                    "$1::oid AND relid IS NULL AND pid IS NOT NULL)",
                                                    {sub.oid}));
  st.worker_running = running;
  if (!running) st.reason = "the target's apply worker is not running right now (restarting, or failing: see its log)";
  st.state = sync.ready == sync.total ? ReplicaState::kStreaming : ReplicaState::kCopying;
  return st;
}

Result<CutoverReport> Cutover(const ReplicaSpec& spec, const CutoverOptions& options) {
  const ReplicationNames names = NamesForReplica(spec.id);
  TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(spec));
  TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(spec));
  {
    TPD_ASSIGN_OR_RETURN(ReplicaStatus st, GetReplicaStatus(spec));
    if (st.state != ReplicaState::kStreaming) {
      return Status::FailedPrecondition("cutover refused: the replica is " + std::string(ReplicaStateName(st.state)) +
                                        (st.reason.empty() ? "" : " (" + st.reason + ")") + ", not streaming");
    }
  }
  TPD_RETURN_IF_ERROR(RefuseOnDrift(*src, *dst, "before freezing writes"));
  TPD_RETURN_IF_ERROR(WaitLagBelow(*src, names, options.max_lag_bytes_before_freeze, options.catch_up_timeout, spec.stop));

  CutoverReport report;
  auto t0 = Clock::now();
  TPD_ASSIGN_OR_RETURN(FreezeReport fr, FreezeWrites(*src, options.freeze));
  report.sessions_terminated = fr.sessions_terminated;
  report.freeze_call_seconds = SecondsSince(t0);
  auto fail = [&](Status s) -> Status {
    Status u = UnfreezeWrites(*src);
    if (!u.ok()) {
      return s.WithContext("cutover failed and writes could NOT be re-enabled on the source (" + u.message() +
                           "; run ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf())");
    }
    return s.WithContext("cutover failed, writes re-enabled on the source, the replica keeps streaming");
  };
  if (Status s = RefuseOnDrift(*src, *dst, "after freezing writes"); !s.ok()) return fail(s);
  auto ta = Clock::now();
  auto lsn = WaitApplied(*src, *dst, names, options.apply_timeout, spec.stop);
  if (!lsn.ok()) return fail(lsn.status());
  report.apply_wait_seconds = SecondsSince(ta);
  report.freeze_lsn = *lsn;
  auto tq = Clock::now();
  auto seqs = CopySequences(*src, *dst);
  if (!seqs.ok()) return fail(seqs.status().WithContext("copying sequences"));
  report.sequences = std::move(seqs).value();
  report.sequences_seconds = SecondsSince(tq);
  auto tv = Clock::now();
  auto lines = VerifyReplica(spec, *src, *dst, names, options.verify_checksums);
  if (!lines.ok()) return fail(lines.status());
  report.verification = std::move(lines).value();
  report.verify_seconds = SecondsSince(tv);
  auto td = Clock::now();
  Status detached = Detach(*src, *dst, names);
  report.detach_seconds = SecondsSince(td);
  if (Status s = detached; !s.ok()) {
    return Status::Internal("detach incomplete: " + s.message() +
                            "; the target has every acknowledged write and the source stays read-only; "
                            "destroy the replica to finish removing its objects");
  }
  report.write_freeze_seconds = SecondsSince(t0);
  log::Info("cutover done", {{"write_freeze_seconds", report.write_freeze_seconds},
                             {"apply_wait_seconds", report.apply_wait_seconds},
                             {"freeze_lsn", report.freeze_lsn},
                             {"target", spec.target.Redacted()}});
  return report;
}

Result<DropReplicaReport> DropReplica(const ReplicaSpec& spec) {
  const ReplicationNames names = NamesForReplica(spec.id);
  DropReplicaReport report;
  std::string sub_oid;
  ConnectOptions o = Opts(spec.stop);
  o.connect_timeout = std::chrono::milliseconds(5000);
  auto dst = Connection::Connect(spec.target, o);
  if (dst.ok()) {
    report.target_reachable = true;
    TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(**dst, names.subscription));
    if (sub.exists) {
      sub_oid = sub.oid;
      TPD_RETURN_IF_ERROR(DropSubscription(**dst, names.subscription));
      report.subscription_dropped = true;
    }
  } else if (dst.status().IsCancelled()) {
    return dst.status();
  } else {
    std::string why = dst.status().message();
    report.warnings.push_back("target unreachable (" + why + "): subscription " + names.subscription +
                              " may remain there; it no longer has a slot to stream from, drop it with "
                              "ALTER SUBSCRIPTION ... DISABLE, SET (slot_name = NONE), DROP SUBSCRIPTION");
    log::Warn("target unreachable; dropping only the source's replication objects", {{"target", spec.target.Redacted()}});
  }
  auto src = ConnectSource(spec);
  if (!src.ok()) {
    return src.status().WithContext("cannot drop publication and slot " + names.slot +
                                    " (the slot keeps WAL on the source until dropped)");
  }
  TPD_RETURN_IF_ERROR(DropSourceObjects(**src, names, sub_oid, &report));
  return report;
}

// --- database_upgrade steps --------------------------------------------------------------------

ReplicaSpec ReplicaSpecForUpgrade(const UpgradeSpec& spec) {
  ReplicaSpec r;
  if (spec.source.conn) r.source = *spec.source.conn;
  if (spec.target.conn) r.target = *spec.target.conn;
  r.id = spec.run_id;
  r.tool_paths = spec.tool_paths;
  r.parallelism = std::max(1, spec.parallelism);
  r.stop = spec.stop;
  return r;
}

std::vector<engines::Step> ReplicationSteps(const UpgradeSpec& spec, ReplicationState* state) {
  const ReplicaSpec base = ReplicaSpecForUpgrade(spec);
  const ReplicationNames names = NamesForReplica(base.id);
  // The spec with the run's paths (known only inside a step).
  // Undo always runs to the end (engines/pipeline.h): its connections ignore the stop flag.
  ReplicaSpec undo_base = base;
  undo_base.stop = nullptr;
  auto rs = [base](StepContext& ctx) {
    ReplicaSpec r = base;
    r.work_dir = ctx.paths().run_dir.string();
    return r;
  };
  std::vector<engines::Step> steps;

  steps.push_back({std::string(kPrecheck),
                   [=](StepContext&) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(base));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(base));
                     if (dst->server_version_num() / 10000 < src->server_version_num() / 10000) {
                       return Status::FailedPrecondition("the target runs " + dst->server_version() +
                                                         ", older than the source's " + src->server_version() +
                                                         ": downgrades are not supported");
                     }
                     std::vector<std::string> warnings;
                     TPD_RETURN_IF_ERROR(CheckPrerequisites(*src, *dst, names, &warnings));
                     for (auto& w : warnings) log::Warn(w);
                     state->warnings.insert(state->warnings.end(), warnings.begin(), warnings.end());
                     return Status::Ok();
                   },
                   {}, /*resumable=*/false});

  if (spec.backup_enabled) {
    steps.push_back({std::string(kBackup),
                     [=](StepContext& ctx) -> Status {
                       if (auto p = ctx.Get("backup.path"); p && std::filesystem::exists(*p)) {
                         state->outcome.backup_path = *p;
                         return Status::Ok();
                       }
                       BackupOptions o;
                       o.dir = spec.backup_dir.empty() ? ctx.paths().backup_dir.string() : spec.backup_dir;
                       o.tool_paths = spec.tool_paths;
                       o.cancel_flag = spec.stop;
                       TPD_ASSIGN_OR_RETURN(BackupResult b, BackupDatabase(base.source, o));
                       state->outcome.backup_path = b.dump_path;
                       ctx.ReportProgress(0, b.bytes);
                       return ctx.Set("backup.path", b.dump_path);
                     },
                     {}});
  }

  steps.push_back({std::string(kCopySchema),
                   [=](StepContext& ctx) -> Status {
                     ReplicaSpec r = rs(ctx);
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(r));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(r));
                     TPD_ASSIGN_OR_RETURN(bool copied, EnsureTargetSchema(r, *src, *dst, names));
                     (void)copied;
                     return Status::Ok();
                   },
                   {}});

  steps.push_back({std::string(kCreatePublication),
                   [=](StepContext& ctx) -> Status {
                     ReplicaSpec r = rs(ctx);
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(r));
                     TPD_ASSIGN_OR_RETURN(auto full, SetReplicaIdentityFull(*src, r));
                     for (const auto& t : full) {
                       state->warnings.push_back("table " + t +
                                                 " has no primary key: REPLICA IDENTITY FULL was set on the source");
                     }
                     TPD_ASSIGN_OR_RETURN(PubSlotResult ps, EnsurePublicationAndSlot(*src, r, names));
                     return ctx.Set("create_publication.token", ps.token);
                   },
                   [=](StepContext&) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(undo_base));
                     DropReplicaReport ignored;
                     return DropSourceObjects(*src, names, "", &ignored);
                   }});

  steps.push_back({std::string(kCreateSubscription),
                   [=](StepContext& ctx) -> Status {
                     ReplicaSpec r = rs(ctx);
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(r));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(r));
                     TPD_ASSIGN_OR_RETURN(std::optional<std::string> comment,
                                          PublicationComment(*src, names.publication));
                     if (!comment) {
                       return Status::FailedPrecondition("publication " + names.publication +
                                                         " vanished from the source; apply again");
                     }
                     TPD_ASSIGN_OR_RETURN(SubResult sub, EnsureSubscription(*src, *dst, r, names, TokenOf(*comment)));
                     return ctx.Set("create_subscription.oid", sub.oid);
                   },
                   [=](StepContext&) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(undo_base));
                     TPD_ASSIGN_OR_RETURN(SubInfo sub, ReadSubscription(*dst, names.subscription));
                     if (!sub.exists) return Status::Ok();
                     return DropSubscription(*dst, names.subscription);
                   }});

  steps.push_back({std::string(kWaitSync),
                   [=](StepContext& ctx) -> Status {
                     ReplicaSpec r = rs(ctx);
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(r));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(r));
                     TPD_ASSIGN_OR_RETURN(auto synced,
                                          WaitForSync(*src, *dst, r, names, r.max_lag_bytes, state->on_wait_sync_ForTest));
                     ctx.ReportProgress(synced.first.total, 0, 0,
                                        "lag " + std::to_string(synced.second) + " bytes");
                     return Status::Ok();
                   },
                   {}});

  steps.push_back({std::string(kFreezeWrites),
                   [=](StepContext&) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(base));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(base));
                     TPD_RETURN_IF_ERROR(RefuseOnDrift(*src, *dst, "before freezing writes"));
                     TPD_RETURN_IF_ERROR(WaitLagBelow(*src, names, state->cutover.max_lag_bytes_before_freeze,
                                                      state->cutover.catch_up_timeout, base.stop));
                     FreezeOptions fo = state->cutover.freeze;
                     fo.terminate_sessions = spec.terminate_sessions;
                     TPD_ASSIGN_OR_RETURN(FreezeReport fr, FreezeWrites(*src, fo));
                     (void)fr;
                     return Status::Ok();
                   },
                   [=](StepContext&) -> Status {
                     auto c = Connection::Connect(base.source, Opts(nullptr));
                     if (!c.ok()) return c.status().WithContext("re-enabling writes on the source");
                     return UnfreezeWrites(**c);
                   }});

  steps.push_back({std::string(kCatchUp),
                   [=](StepContext& ctx) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(base));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(base));
                     TPD_RETURN_IF_ERROR(RefuseOnDrift(*src, *dst, "after freezing writes"));
                     TPD_ASSIGN_OR_RETURN(std::string lsn,
                                          WaitApplied(*src, *dst, names, state->cutover.apply_timeout, base.stop));
                     return ctx.Set("catch_up.lsn", lsn);
                   },
                   {}});

  steps.push_back({std::string(kSyncSequences),
                   [=](StepContext& ctx) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(base));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(base));
                     TPD_ASSIGN_OR_RETURN(auto seqs, CopySequences(*src, *dst));
                     ctx.ReportProgress(static_cast<int64_t>(seqs.size()), 0);
                     return Status::Ok();
                   },
                   {}});

  steps.push_back({std::string(kVerify),
                   [=](StepContext& ctx) -> Status {
                     ReplicaSpec r = rs(ctx);
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(r));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(r));
                     if (!spec.verify_row_counts && !spec.verify_checksums) return Status::Ok();
                     TPD_ASSIGN_OR_RETURN(auto lines, VerifyReplica(r, *src, *dst, names, spec.verify_checksums));
                     state->outcome.verification = lines;
                     return ctx.Set("verify.lines", Join(lines, "\n"));
                   },
                   {}});

  steps.push_back({std::string(kSwitch),
                   [=](StepContext& ctx) -> Status {
                     TPD_ASSIGN_OR_RETURN(ConnPtr src, ConnectSource(base));
                     TPD_ASSIGN_OR_RETURN(ConnPtr dst, ConnectTarget(base));
                     TPD_RETURN_IF_ERROR(Detach(*src, *dst, names));
                     if (state->outcome.verification.empty()) {
                       // verify was done by an earlier (resumed) run: its lines are in the journal.
                       if (auto v = ctx.Get("verify.lines"); v && !v->empty()) {
                         size_t pos = 0;
                         while (pos <= v->size()) {
                           size_t nl = v->find('\n', pos);
                           if (nl == std::string::npos) nl = v->size();
                           state->outcome.verification.push_back(v->substr(pos, nl - pos));
                           pos = nl + 1;
                         }
                       }
                     }
                     if (state->outcome.backup_path.empty()) {
                       if (auto p = ctx.Get("backup.path")) state->outcome.backup_path = *p;
                     }
                     state->outcome.active_url = base.target.Redacted();
                     std::string v = dst->server_version();
                     state->outcome.new_version = v.substr(0, v.find(' '));
                     return Status::Ok();
                   },
                   {}, /*resumable=*/true, /*commits=*/true});
  return steps;
}

}  // namespace tpd::engines::postgres
