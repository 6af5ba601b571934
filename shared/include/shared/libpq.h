// libpq, loaded at run time: a process whose database is SQLite never loads
// it (nor its twenty-odd libraries: Kerberos, LDAP, GnuTLS...). SOCI loads
// its PostgreSQL backend the same way, by name, when a session opens a
// postgresql:// URL (sql_connect.h); the few calls Tether makes to libpq
// itself (parsing a URL, LISTEN/NOTIFY, COPY) go through this table.
//
// What is loaded is named at configure time from the libraries the build
// found (TETHER_LIBPQ_SONAME, e.g. libpq.so.5; SOCI's backend, e.g.
// libsoci_postgresql.so.4.0, is found by SOCI in its backend folder or
// SOCI_BACKENDS_PATH). The build writes both names to
// share/tether/runtime-libraries.txt, which the Dockerfile's check reads.
//
// Thread safety: LoadLibPq may be called from any thread; it loads once per
// copy of this code (the engine's, and each plugin's). Errors: Unavailable
// when libpq cannot be loaded or lacks a function.
#ifndef TETHER_SHARED_LIBPQ_H_
#define TETHER_SHARED_LIBPQ_H_

#include <libpq-fe.h>

#include "tether/status.h"

namespace soci {
class session;
}

namespace tether::db {

struct LibPq {
  decltype(&::PQconninfoParse) conninfo_parse;
  decltype(&::PQconninfoFree) conninfo_free;
  decltype(&::PQfreemem) freemem;
  decltype(&::PQstatus) status;
  decltype(&::PQsocket) socket;
  decltype(&::PQconsumeInput) consume_input;
  decltype(&::PQnotifies) notifies;
  decltype(&::PQerrorMessage) error_message;
  decltype(&::PQexec) exec;
  decltype(&::PQresultStatus) result_status;
  decltype(&::PQresultErrorMessage) result_error_message;
  decltype(&::PQclear) clear;
  decltype(&::PQputCopyData) put_copy_data;
  decltype(&::PQputCopyEnd) put_copy_end;
  decltype(&::PQgetResult) get_result;
  decltype(&::PQsetNoticeProcessor) set_notice_processor;
};

// libpq's functions, loaded at the first call.
Result<const LibPq*> LoadLibPq();

// The libpq connection of a SOCI session: null unless it is a PostgreSQL
// one. The session keeps owning it.
PGconn* PostgresConnection(soci::session& session);

}  // namespace tether::db

#endif  // TETHER_SHARED_LIBPQ_H_
