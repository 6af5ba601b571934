#include "engine/auth/token_store.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include <soci/soci.h>

#include "shared/clock.h"
#include "engine/common/sha256.h"
#include "shared/row_values.h"

namespace tether::auth {
namespace {

constexpr char kSecretPrefix[] = "tether_";
constexpr size_t kSecretBytes = 32;

const char kSelectTokens[] = "SELECT id, name, tenant_id, created_at, revoked_at, scope FROM api_tokens";

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = getrandom(raw.data() + filled, bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(std::string("cannot read random bytes: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char c : raw) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xf]);
  }
  return hex;
}

ApiToken TokenFromRow(const soci::row& row) {
  ApiToken token;
  token.id = db::RowInt(row, 0);
  token.name = row.get<std::string>(1);
  token.tenant_id = row.get<std::string>(2);
  token.created_at = row.get<std::string>(3);
  token.revoked_at = db::RowText(row, 4);
  token.scope = db::RowText(row, 5) == "admin" ? TokenScope::kAdmin : TokenScope::kTenant;
  return token;
}

}  // namespace

const char* TokenScopeName(TokenScope scope) {
  switch (scope) {
    case TokenScope::kTenant: return "tenant";
    case TokenScope::kAdmin: return "admin";
  }
  return "tenant";
}

Status ValidateTokenLabel(const std::string& value, const std::string& what) {
  if (value.empty() || value.size() > 64) return Status::InvalidArgument(what + " must be 1 to 64 characters long");
  if (value[0] == '.' || value[0] == '-') {
    return Status::InvalidArgument(what + " \"" + value + "\" must not start with '.' or '-'");
  }
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(what + " \"" + value + "\" may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Result<NewToken> TokenStore::Create(const std::string& name, const std::string& tenant_id, TokenScope scope) {
  TETHER_RETURN_IF_ERROR(ValidateTokenLabel(name, "token name"));
  TETHER_RETURN_IF_ERROR(ValidateTokenLabel(tenant_id, "tenant"));
  Result<std::string> random = RandomHex(kSecretBytes);
  if (!random.ok()) return random.status();
  NewToken made;
  made.secret = kSecretPrefix + *random;
  made.token.name = name;
  made.token.tenant_id = tenant_id;
  made.token.scope = scope;
  const std::string scope_name = TokenScopeName(scope);
  made.token.created_at = NowIso8601();
  const std::string hash = Sha256Hex(made.secret);
  Status status = db_->InTransaction([&]() -> Status {
    long long live = 0;
    db_->session() << "SELECT COUNT(*) FROM api_tokens WHERE name = :n AND revoked_at IS NULL", soci::use(name),
        soci::into(live);
    if (live > 0) return Status::Conflict("a token called \"" + name + "\" already exists; revoke it first");
    long long id = 0;
    db_->session() << "INSERT INTO api_tokens (name, tenant_id, token_hash, created_at, scope)"
                      " VALUES (:n, :t, :h, :c, :s) RETURNING id",
        soci::use(name), soci::use(tenant_id), soci::use(hash), soci::use(made.token.created_at),
        soci::use(scope_name), soci::into(id);
    made.token.id = id;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return made;
}

Result<std::vector<ApiToken>> TokenStore::List() {
  std::vector<ApiToken> tokens;
  try {
    soci::rowset<soci::row> rows = (db_->session().prepare << std::string(kSelectTokens) + " ORDER BY id");
    for (const soci::row& row : rows) tokens.push_back(TokenFromRow(row));
  } catch (...) {
    return db::StatusFromCurrentException("cannot read API tokens");
  }
  return tokens;
}

Status TokenStore::Revoke(const std::string& name) {
  std::string now = NowIso8601();
  try {
    soci::statement st = (db_->session().prepare << "UPDATE api_tokens SET revoked_at = :r"
                                                     " WHERE name = :n AND revoked_at IS NULL",
                          soci::use(now), soci::use(name));
    st.execute(true);
    if (st.get_affected_rows() == 0) return Status::NotFound("no live token called \"" + name + "\"");
  } catch (...) {
    return db::StatusFromCurrentException("cannot revoke token \"" + name + "\"");
  }
  return Status::Ok();
}

Result<ApiToken> TokenStore::Authenticate(const std::string& secret) {
  const std::string hash = Sha256Hex(secret);
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << std::string(kSelectTokens) + " WHERE token_hash = :h AND revoked_at IS NULL",
         soci::use(hash));
    for (const soci::row& row : rows) return TokenFromRow(row);
  } catch (...) {
    return db::StatusFromCurrentException("cannot check the API token");
  }
  return Status::Unauthenticated("the API token is unknown or revoked");
}

}  // namespace tether::auth
