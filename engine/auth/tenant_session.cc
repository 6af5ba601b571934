#include "engine/auth/tenant_session.h"

#include <soci/soci.h>

#include "engine/auth/token_store.h"

namespace tether::auth {

Status BindTenant(db::Database* db, const std::string& tenant_id) {
  TETHER_RETURN_IF_ERROR(ValidateTokenLabel(tenant_id, "tenant"));
  if (db->dialect() != db::Dialect::kPostgres) return Status::Ok();
  try {
    std::string previous;
    db->session() << "SELECT set_config('tether.tenant', :t, false)", soci::use(tenant_id), soci::into(previous);
  } catch (...) {
    return db::StatusFromCurrentException("cannot bind the connection to tenant \"" + tenant_id + "\"");
  }
  return Status::Ok();
}

}  // namespace tether::auth
