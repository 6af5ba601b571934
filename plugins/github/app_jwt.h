// The JSON Web Token a GitHub App authenticates with: RS256 (RSA with
// SHA-256, through OpenSSL's EVP interface) over
//   {"alg":"RS256","typ":"JWT"} . {"iat": now - 60, "exp": now + 540, "iss": <app id>}
// iat is back-dated a minute against clock drift, and exp - iat stays
// within GitHub's ten-minute limit.
//
// Ownership: the signer owns the private key. Thread safety: Make may be
// called from several threads at once (each call has its own EVP context).
// Errors: Load fails with InvalidArgument naming the key file (never its
// content) when it cannot be read or is not an RSA private key.
#ifndef TETHER_PLUGINS_GITHUB_APP_JWT_H_
#define TETHER_PLUGINS_GITHUB_APP_JWT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "settings.h"
#include "tether/status.h"

namespace tether {
namespace github {

// base64url without padding (RFC 7515's encoding of JWT parts).
std::string Base64Url(const std::string& bytes);

class AppJwtSigner {
 public:
  static Result<std::unique_ptr<AppJwtSigner>> Load(const AppSettings& app);
  ~AppJwtSigner();
  AppJwtSigner(const AppJwtSigner&) = delete;
  AppJwtSigner& operator=(const AppJwtSigner&) = delete;

  // A JWT valid from `now` (epoch seconds) for nine minutes.
  Result<std::string> Make(int64_t now) const;

 private:
  struct Key;
  AppJwtSigner(AppSettings app, std::unique_ptr<Key> key);

  const AppSettings app_;
  const std::unique_ptr<Key> key_;
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_APP_JWT_H_
