// libpq, loaded on first use instead of at process start.
//
// Why: Terraform starts the provider for every command and waits for its handshake line, and most
// starts never open a database connection (validate, schemas, import of state...). Linking libpq
// makes every start load libpq.so.5 and what it needs (Kerberos, LDAP, GnuTLS, SASL, ...): about
// 3 ms, more than half of the whole handshake budget (bench/README.md, "Provider process").
//
// How: libpq_lazy.cc defines every libpq function the engines call, with libpq-fe.h's exact
// signatures (the compiler checks them against the header). The first call dlopen()s libpq.so.5
// and resolves all of them; code keeps calling PQxxx() as usual. Nothing links -lpq, so a libpq
// function used without a definition in libpq_lazy.cc is a link error, never a silent fallback.
//
// When libpq.so.5 cannot be loaded: LoadLibpq() says why; the entry points (PQconnectStartParams,
// PQconndefaults) return nullptr and the rest do nothing (they can only be reached with a
// connection, which cannot exist then). Connection::Connect calls LoadLibpq() first so that the
// user sees the reason instead of "out of memory".
//
// Thread-safety: everything here is thread-safe (the library is loaded once, under std::call_once).
#ifndef TPD_ENGINES_POSTGRES_LIBPQ_LAZY_H_
#define TPD_ENGINES_POSTGRES_LIBPQ_LAZY_H_

#include "schema/status.h"

namespace tpd::engines::postgres {

// Loads libpq.so.5 and resolves the functions, once per process. Returns OK when they are usable,
// otherwise FailedPrecondition naming the library or the missing function and what to install.
Status LoadLibpq();

// True once libpq has been loaded in this process (tests check that starting the provider does
// not load it).
bool LibpqLoaded();

}  // namespace tpd::engines::postgres

#endif  // TPD_ENGINES_POSTGRES_LIBPQ_LAZY_H_
