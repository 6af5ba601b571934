// Binding a database connection to a tenant. On PostgreSQL, row-level
// security filters every project row (and everything under a project) by
// the session setting tether.tenant (migrations/postgres/
// 0002_tenant_isolation.sql); the API binds each request's connection to
// the tenant of its token, so that the database itself keeps tenants apart
// even if a handler forgot a check. SQLite has no row-level security: there
// the engine's own checks are the boundary, and binding does nothing.
//
// Thread safety: none beyond the Database's (one thread per connection).
// Errors: InvalidArgument for a bad tenant id; Unavailable/Internal when the
// setting cannot be changed.
#ifndef TETHER_ENGINE_AUTH_TENANT_SESSION_H_
#define TETHER_ENGINE_AUTH_TENANT_SESSION_H_

#include <string>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::auth {

// Sets tether.tenant to `tenant_id` for the rest of the session.
Status BindTenant(db::Database* db, const std::string& tenant_id);

}  // namespace tether::auth

#endif  // TETHER_ENGINE_AUTH_TENANT_SESSION_H_
