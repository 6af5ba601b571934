// tether token create|list|revoke: API tokens for `tether serve`.
#include <cstdio>

#include "engine/auth/token_store.h"
#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/common/json_writer.h"

namespace tether::cli {
namespace {

Result<db::Database*> OpenDatabase(const Invocation& inv, std::unique_ptr<app::Runtime>* runtime) {
  Result<std::unique_ptr<app::Runtime>> loaded = LoadRuntime(inv);
  if (!loaded.ok()) return loaded.status();
  *runtime = std::move(loaded).value();
  return (*runtime)->database();
}

}  // namespace

int RunTokenCreate(const Invocation& inv, const TokenCreateOptions& options) {
  std::unique_ptr<app::Runtime> runtime;
  Result<db::Database*> db = OpenDatabase(inv, &runtime);
  if (!db.ok()) return ReportError(inv, db.status());
  auth::TokenStore tokens(*db);
  Result<auth::NewToken> made =
      tokens.Create(options.name, options.tenant, options.admin ? auth::TokenScope::kAdmin : auth::TokenScope::kTenant);
  if (!made.ok()) {
    if (made.status().code() == StatusCode::kConflict) return ReportError(inv, made.status(), kExitUsage);
    return ReportError(inv, made.status());
  }
  if (inv.json) {
    PrintJson(JsonWriter().Begin().Int("id", made->token.id).Str("name", made->token.name)
                  .Str("tenant", made->token.tenant_id).Str("scope", auth::TokenScopeName(made->token.scope))
                  .Str("token", made->secret).End());
    return kExitOk;
  }
  std::printf("%s\n", made->secret.c_str());
  std::fprintf(stderr, "created %stoken %s for tenant %s; it is shown only this once\n",
               made->token.scope == auth::TokenScope::kAdmin ? "admin " : "", made->token.name.c_str(),
               made->token.tenant_id.c_str());
  return kExitOk;
}

int RunTokenList(const Invocation& inv) {
  std::unique_ptr<app::Runtime> runtime;
  Result<db::Database*> db = OpenDatabase(inv, &runtime);
  if (!db.ok()) return ReportError(inv, db.status());
  auth::TokenStore tokens(*db);
  Result<std::vector<auth::ApiToken>> all = tokens.List();
  if (!all.ok()) return ReportError(inv, all.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("tokens");
    for (const auth::ApiToken& t : *all) {
      out.writer().StartObject();
      out.Int("id", t.id).Str("name", t.name).Str("tenant", t.tenant_id).Str("scope", auth::TokenScopeName(t.scope))
          .Str("created_at", t.created_at)
          .StrOrNull("revoked_at", t.revoked_at);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
    return kExitOk;
  }
  std::printf("%-24s %-16s %-7s %-26s %s\n", "NAME", "TENANT", "SCOPE", "CREATED", "REVOKED");
  for (const auth::ApiToken& t : *all) {
    std::printf("%-24s %-16s %-7s %-26s %s\n", t.name.c_str(), t.tenant_id.c_str(), auth::TokenScopeName(t.scope),
                t.created_at.c_str(), t.revoked_at.empty() ? "-" : t.revoked_at.c_str());
  }
  return kExitOk;
}

int RunTokenRevoke(const Invocation& inv, const std::string& name) {
  std::unique_ptr<app::Runtime> runtime;
  Result<db::Database*> db = OpenDatabase(inv, &runtime);
  if (!db.ok()) return ReportError(inv, db.status());
  auth::TokenStore tokens(*db);
  Status revoked = tokens.Revoke(name);
  if (!revoked.ok()) return ReportError(inv, revoked);
  if (inv.json) PrintJson(JsonWriter().Begin().Str("revoked", name).End());
  else std::printf("revoked token %s\n", name.c_str());
  return kExitOk;
}

}  // namespace tether::cli
