#include "engines/postgres/libpq_lazy.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <atomic>
#include <mutex>
#include <string>

namespace tpd::engines::postgres {
namespace {

constexpr const char* kLibrary = "libpq.so.5";

// One pointer per libpq function we call, resolved together by Load().
// X(name): the list below is the single place that names them.
#define TPD_LIBPQ_FUNCTIONS(X) \
  X(PQcancel) \
  X(PQclear) \
  X(PQcmdStatus) \
  X(PQcmdTuples) \
  X(PQconndefaults) \
  X(PQconnectPoll) \
  X(PQconnectStartParams) \
  X(PQconnectionNeedsPassword) \
  X(PQconninfoFree) \
  X(PQconsumeInput) \
  X(PQdb) \
  X(PQerrorMessage) \
  X(PQescapeLiteral) \
  X(PQfinish) \
  X(PQfname) \
  X(PQfreeCancel) \
  X(PQfreemem) \
  X(PQgetCancel) \
  X(PQgetCopyData) \
  X(PQgetResult) \
  X(PQgetisnull) \
  X(PQgetlength) \
  X(PQgetvalue) \
  X(PQisBusy) \
  X(PQnfields) \
  X(PQntuples) \
  X(PQparameterStatus) \
  X(PQputCopyData) \
  X(PQputCopyEnd) \
  X(PQresultErrorField) \
  X(PQresultErrorMessage) \
  X(PQresultStatus) \
  X(PQsendQuery) \
  X(PQsendQueryParams) \
  X(PQserverVersion) \
  X(PQsetNoticeProcessor) \
  X(PQsocket) \
  X(PQstatus) \
  X(PQtransactionStatus) \
  X(PQuser)

struct Api {
#define TPD_LIBPQ_MEMBER(name) decltype(&::name) name = nullptr;
  TPD_LIBPQ_FUNCTIONS(TPD_LIBPQ_MEMBER)
#undef TPD_LIBPQ_MEMBER
};

Api g_api;                          // written once, under g_once, before g_loaded is set
std::atomic<bool> g_loaded{false};  // true: every pointer in g_api is set
std::once_flag g_once;
std::string g_error;  // why loading failed; written under g_once

void Load() {
  // RTLD_LOCAL: libpq's symbols stay out of the global scope, so they can never be confused with
  // the forwarding functions below, which have the same names.
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    g_error = std::string("the PostgreSQL client library ") + kLibrary + " could not be loaded (" +
              (why ? why : "unknown error") + "); install it (Debian: apt-get install libpq5)";
    return;
  }
  Api api;
#define TPD_LIBPQ_RESOLVE(name)                                                                          \
  api.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));                                 \
  if (api.name == nullptr) {                                                                             \
    g_error = std::string(kLibrary) + " has no function " #name "; install PostgreSQL 10's libpq or newer"; \
    return;                                                                                              \
  }
  TPD_LIBPQ_FUNCTIONS(TPD_LIBPQ_RESOLVE)
#undef TPD_LIBPQ_RESOLVE
  g_api = api;
  g_loaded.store(true, std::memory_order_release);
}

// The resolved functions, or nullptr when libpq cannot be loaded.
const Api* GetApi() {
  if (g_loaded.load(std::memory_order_acquire)) return &g_api;
  std::call_once(g_once, Load);
  return g_loaded.load(std::memory_order_acquire) ? &g_api : nullptr;
}

}  // namespace

Status LoadLibpq() {
  if (GetApi() != nullptr) return Status::Ok();
  return Status::FailedPrecondition(g_error);
}

bool LibpqLoaded() { return g_loaded.load(std::memory_order_acquire); }

}  // namespace tpd::engines::postgres

// The forwarding functions: libpq-fe.h's declarations, defined here. The value after `:` is what a
// call returns when libpq could not be loaded (only reachable for the entry points and null cleanups).
using tpd::engines::postgres::GetApi;

extern "C" int PQcancel(PGcancel* cancel, char* errbuf, int errbufsize) {
  const auto* api = GetApi();
  return api ? api->PQcancel(cancel, errbuf, errbufsize) : 0;
}
extern "C" void PQclear(PGresult* res) {
  if (const auto* api = GetApi()) api->PQclear(res);
}
extern "C" char* PQcmdStatus(PGresult* res) {
  const auto* api = GetApi();
  return api ? api->PQcmdStatus(res) : nullptr;
}
extern "C" char* PQcmdTuples(PGresult* res) {
  const auto* api = GetApi();
  return api ? api->PQcmdTuples(res) : nullptr;
}
extern "C" PQconninfoOption* PQconndefaults(void) {
  const auto* api = GetApi();
  return api ? api->PQconndefaults() : nullptr;
}
extern "C" PostgresPollingStatusType PQconnectPoll(PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQconnectPoll(conn) : PGRES_POLLING_FAILED;
}
extern "C" PGconn* PQconnectStartParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  const auto* api = GetApi();
  return api ? api->PQconnectStartParams(keywords, values, expand_dbname) : nullptr;
}
extern "C" int PQconnectionNeedsPassword(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQconnectionNeedsPassword(conn) : 0;
}
extern "C" void PQconninfoFree(PQconninfoOption* options) {
  if (const auto* api = GetApi()) api->PQconninfoFree(options);
}
extern "C" int PQconsumeInput(PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQconsumeInput(conn) : 0;
}
extern "C" char* PQdb(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQdb(conn) : nullptr;
}
extern "C" char* PQerrorMessage(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQerrorMessage(conn) : nullptr;
}
extern "C" char* PQescapeLiteral(PGconn* conn, const char* str, size_t len) {
  const auto* api = GetApi();
  return api ? api->PQescapeLiteral(conn, str, len) : nullptr;
}
extern "C" void PQfinish(PGconn* conn) {
  if (const auto* api = GetApi()) api->PQfinish(conn);
}
extern "C" char* PQfname(const PGresult* res, int field_num) {
  const auto* api = GetApi();
  return api ? api->PQfname(res, field_num) : nullptr;
}
extern "C" void PQfreeCancel(PGcancel* cancel) {
  if (const auto* api = GetApi()) api->PQfreeCancel(cancel);
}
extern "C" void PQfreemem(void* ptr) {
  if (const auto* api = GetApi()) api->PQfreemem(ptr);
}
extern "C" PGcancel* PQgetCancel(PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQgetCancel(conn) : nullptr;
}
extern "C" int PQgetCopyData(PGconn* conn, char** buffer, int async) {
  const auto* api = GetApi();
  return api ? api->PQgetCopyData(conn, buffer, async) : -2;
}
extern "C" PGresult* PQgetResult(PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQgetResult(conn) : nullptr;
}
extern "C" int PQgetisnull(const PGresult* res, int tup_num, int field_num) {
  const auto* api = GetApi();
  return api ? api->PQgetisnull(res, tup_num, field_num) : 1;
}
extern "C" int PQgetlength(const PGresult* res, int tup_num, int field_num) {
  const auto* api = GetApi();
  return api ? api->PQgetlength(res, tup_num, field_num) : 0;
}
extern "C" char* PQgetvalue(const PGresult* res, int tup_num, int field_num) {
  const auto* api = GetApi();
  return api ? api->PQgetvalue(res, tup_num, field_num) : nullptr;
}
extern "C" int PQisBusy(PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQisBusy(conn) : 0;
}
extern "C" int PQnfields(const PGresult* res) {
  const auto* api = GetApi();
  return api ? api->PQnfields(res) : 0;
}
extern "C" int PQntuples(const PGresult* res) {
  const auto* api = GetApi();
  return api ? api->PQntuples(res) : 0;
}
extern "C" const char* PQparameterStatus(const PGconn* conn, const char* param_name) {
  const auto* api = GetApi();
  return api ? api->PQparameterStatus(conn, param_name) : nullptr;
}
extern "C" int PQputCopyData(PGconn* conn, const char* buffer, int nbytes) {
  const auto* api = GetApi();
  return api ? api->PQputCopyData(conn, buffer, nbytes) : -1;
}
extern "C" int PQputCopyEnd(PGconn* conn, const char* errormsg) {
  const auto* api = GetApi();
  return api ? api->PQputCopyEnd(conn, errormsg) : -1;
}
extern "C" char* PQresultErrorField(const PGresult* res, int fieldcode) {
  const auto* api = GetApi();
  return api ? api->PQresultErrorField(res, fieldcode) : nullptr;
}
extern "C" char* PQresultErrorMessage(const PGresult* res) {
  const auto* api = GetApi();
  return api ? api->PQresultErrorMessage(res) : nullptr;
}
extern "C" ExecStatusType PQresultStatus(const PGresult* res) {
  const auto* api = GetApi();
  return api ? api->PQresultStatus(res) : PGRES_FATAL_ERROR;
}
extern "C" int PQsendQuery(PGconn* conn, const char* query) {
  const auto* api = GetApi();
  return api ? api->PQsendQuery(conn, query) : 0;
}
extern "C" int PQsendQueryParams(PGconn* conn, const char* command, int n_params, const Oid* param_types, const char* const* param_values, const int* param_lengths, const int* param_formats, int result_format) {
  const auto* api = GetApi();
  return api ? api->PQsendQueryParams(conn, command, n_params, param_types, param_values, param_lengths, param_formats, result_format) : 0;
}
extern "C" int PQserverVersion(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQserverVersion(conn) : 0;
}
extern "C" PQnoticeProcessor PQsetNoticeProcessor(PGconn* conn, PQnoticeProcessor proc, void* arg) {
  const auto* api = GetApi();
  return api ? api->PQsetNoticeProcessor(conn, proc, arg) : nullptr;
}
extern "C" int PQsocket(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQsocket(conn) : -1;
}
extern "C" ConnStatusType PQstatus(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQstatus(conn) : CONNECTION_BAD;
}
extern "C" PGTransactionStatusType PQtransactionStatus(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQtransactionStatus(conn) : PQTRANS_UNKNOWN;
}
extern "C" char* PQuser(const PGconn* conn) {
  const auto* api = GetApi();
  return api ? api->PQuser(conn) : nullptr;
}
