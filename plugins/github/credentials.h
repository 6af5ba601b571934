// Where the token sent to GitHub comes from: nowhere (anonymous, public
// repositories only), a personal access token in an environment variable
// (token_env) or a file (token_file), or a GitHub App installation token.
//
// Tokens are opaque: any length, any printable characters (only control
// characters, which would break an HTTP header, are refused). They are
// read again on every Token() call for token_env and token_file, so a
// rotated secret is used at once. An App's installation token is made from
// a fresh JWT, kept in memory only, and replaced when less than a quarter of
// its life (at most five minutes) is left, judged by its expires_at.
//
// No token ever appears in a Status message: messages name where the token
// comes from ("the token in $GITHUB_TOKEN (token_env)"), and Scrub()
// removes any token this source handed out from a message, as a last line
// of defence against a server that echoes one.
//
// Thread safety: every method may be called from any thread.
#ifndef TETHER_PLUGINS_GITHUB_CREDENTIALS_H_
#define TETHER_PLUGINS_GITHUB_CREDENTIALS_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rate_limit.h"
#include "settings.h"
#include "tether/status.h"

namespace tether {
namespace github {

class TokenSource {
 public:
  virtual ~TokenSource() = default;

  // The token to send, or "" for anonymous requests. Unauthenticated when a
  // configured token cannot be had (variable unset, file missing, the App's
  // exchange refused); RateLimited or Unavailable from an App exchange.
  virtual Result<std::string> Token() = 0;

  // GitHub refused `token` (401). Returns true when a new Token() call may
  // give a different one worth one more try (an App token is remade).
  virtual bool Refused(const std::string& token);

  // Where the token comes from, for messages; never the token.
  virtual std::string Describe() const = 0;

  // A stable name of the identity (for the rate-limit state file); never
  // the token.
  virtual std::string Identity() const = 0;

  // `status` with every token this source handed out replaced by
  // "[redacted]" in its message.
  Status Scrub(const Status& status) const;

 protected:
  // Records `token` for Scrub.
  void Remember(const std::string& token);

 private:
  mutable std::mutex secrets_mutex_;
  std::vector<std::string> secrets_;
};

// Builds the source the settings ask for. InvalidArgument when the App's
// private key cannot be loaded. `gate` (not owned) paces the App's token
// exchanges like every other request.
Result<std::unique_ptr<TokenSource>> MakeTokenSource(const GitHubSettings* settings,
                                                     RateLimitGate* gate);

// InvalidArgument (without the token) when `token` cannot go into an HTTP
// header: empty after trimming, or holding control characters.
Status CheckTokenText(const std::string& token, const std::string& where);

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_CREDENTIALS_H_
