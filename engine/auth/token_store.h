// TokenStore: the api_tokens table. An API token is a random secret
// ("tether_" followed by 64 hex digits) that belongs to one tenant; the
// database keeps only its SHA-256, so the secret is shown once, when it is
// created, and cannot be recovered afterwards.
//
// Thread safety: none; one TokenStore per Database, used by one thread.
// Errors: InvalidArgument for a bad name or tenant; Conflict for a name a
// live token already has; NotFound for revoking an unknown name;
// Unauthenticated for a secret that is unknown or revoked (the message never
// contains the secret); Unavailable/Internal for database failures. A failed
// call changes nothing.
#ifndef TETHER_ENGINE_AUTH_TOKEN_STORE_H_
#define TETHER_ENGINE_AUTH_TOKEN_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::auth {

// What a token may do beyond its tenant's projects.
enum class TokenScope {
  kTenant,  // its tenant's projects only
  kAdmin,   // also the operator routes (/api/v1/admin/...) on the whole database
};
const char* TokenScopeName(TokenScope scope);  // "tenant", "admin"

struct ApiToken {
  int64_t id = 0;
  std::string name;
  std::string tenant_id;
  TokenScope scope = TokenScope::kTenant;
  std::string created_at;
  std::string revoked_at;  // empty while the token is live
};

struct NewToken {
  ApiToken token;
  std::string secret;  // show it once; it is not stored
};

// Token names and tenant ids: 1 to 64 characters of [A-Za-z0-9._-], not
// starting with '.' or '-'. `what` ("token name", "tenant") starts the message.
Status ValidateTokenLabel(const std::string& value, const std::string& what);

class TokenStore {
 public:
  explicit TokenStore(db::Database* db) : db_(db) {}

  Result<NewToken> Create(const std::string& name, const std::string& tenant_id,
                          TokenScope scope = TokenScope::kTenant);
  // Every token, live and revoked, oldest first.
  Result<std::vector<ApiToken>> List();
  // Revokes the live token called `name`; it stops working at once.
  Status Revoke(const std::string& name);
  // The live token whose secret is `secret`.
  Result<ApiToken> Authenticate(const std::string& secret);

 private:
  db::Database* db_;
};

}  // namespace tether::auth

#endif  // TETHER_ENGINE_AUTH_TOKEN_STORE_H_
