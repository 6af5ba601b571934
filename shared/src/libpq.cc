#include "shared/libpq.h"

#include <dlfcn.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <string>

#ifndef TETHER_LIBPQ_SONAME
#error "TETHER_LIBPQ_SONAME names the libpq to load (shared/CMakeLists.txt)"
#endif

namespace tether::db {
namespace {

template <typename Fn>
bool Resolve(void* library, const char* name, Fn* fn, std::string* missing) {
  *fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (*fn == nullptr) *missing += std::string(missing->empty() ? "" : ", ") + name;
  return *fn != nullptr;
}

struct Loaded {
  LibPq functions{};
  Status status;
};

Loaded Load() {
  Loaded loaded;
  // Never closed: sessions and SOCI's backend use it until the process ends.
  void* library = dlopen(TETHER_LIBPQ_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    loaded.status = Status::Unavailable(std::string("cannot load libpq (" TETHER_LIBPQ_SONAME
                                                    "), which a postgresql:// database needs: ") +
                                        (why != nullptr ? why : "not found"));
    return loaded;
  }
  LibPq& f = loaded.functions;
  std::string missing;
  Resolve(library, "PQconninfoParse", &f.conninfo_parse, &missing);
  Resolve(library, "PQconninfoFree", &f.conninfo_free, &missing);
  Resolve(library, "PQfreemem", &f.freemem, &missing);
  Resolve(library, "PQstatus", &f.status, &missing);
  Resolve(library, "PQsocket", &f.socket, &missing);
  Resolve(library, "PQconsumeInput", &f.consume_input, &missing);
  Resolve(library, "PQnotifies", &f.notifies, &missing);
  Resolve(library, "PQerrorMessage", &f.error_message, &missing);
  Resolve(library, "PQexec", &f.exec, &missing);
  Resolve(library, "PQresultStatus", &f.result_status, &missing);
  Resolve(library, "PQresultErrorMessage", &f.result_error_message, &missing);
  Resolve(library, "PQclear", &f.clear, &missing);
  Resolve(library, "PQputCopyData", &f.put_copy_data, &missing);
  Resolve(library, "PQputCopyEnd", &f.put_copy_end, &missing);
  Resolve(library, "PQgetResult", &f.get_result, &missing);
  Resolve(library, "PQsetNoticeProcessor", &f.set_notice_processor, &missing);
  if (!missing.empty()) {
    loaded.status = Status::Unavailable("libpq (" TETHER_LIBPQ_SONAME ") lacks " + missing);
  }
  return loaded;
}

}  // namespace

Result<const LibPq*> LoadLibPq() {
  static const Loaded loaded = Load();
  if (!loaded.status.ok()) return loaded.status;
  return &loaded.functions;
}

PGconn* PostgresConnection(soci::session& session) {
  // SOCI's backend library exports no type information: its name says. The
  // cast and the member need no symbol of the backend (loaded at run time).
  if (session.get_backend() == nullptr || session.get_backend_name() != "postgresql") return nullptr;
  return static_cast<soci::postgresql_session_backend*>(session.get_backend())->conn_;
}

}  // namespace tether::db
