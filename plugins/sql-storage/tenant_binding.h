// Binding a session to a tenant, for the databases that keep tenants apart.
#ifndef TETHER_PLUGINS_SQL_STORAGE_TENANT_BINDING_H_
#define TETHER_PLUGINS_SQL_STORAGE_TENANT_BINDING_H_

#include <string>

#include <soci/soci.h>

#include "shared/sql_connect.h"

namespace tether::sql_storage {

// Runs what follows on `session` as `tenant` (PostgreSQL row-level security
// keys on tether.tenant): for the open transaction only when `local`, else
// for the session. Nothing on SQLite, which has no row-level security.
// Throws soci::soci_error on a database error.
inline void BindTenant(soci::session& session, db::Dialect dialect, const std::string& tenant, bool local) {
  if (dialect != db::Dialect::kPostgres || tenant.empty()) return;
  std::string previous;
  int is_local = local ? 1 : 0;
  session << "SELECT set_config('tether.tenant', :t, :l = 1)", soci::use(tenant), soci::use(is_local),
      soci::into(previous);
}

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_TENANT_BINDING_H_
