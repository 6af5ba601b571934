#include "app_jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <utility>
#include <vector>

namespace tether {
namespace github {
namespace {

// Clock drift allowance (GitHub's own advice: issue the token 60 s in the
// past) and lifetime: exp - iat = 540 s, under GitHub's 600 s limit.
constexpr int64_t kBackdateSeconds = 60;
constexpr int64_t kLifetimeSeconds = 480;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

}  // namespace

struct AppJwtSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

std::string Base64Url(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

AppJwtSigner::AppJwtSigner(AppSettings app, std::unique_ptr<Key> key)
    : app_(std::move(app)), key_(std::move(key)) {}

AppJwtSigner::~AppJwtSigner() = default;

Result<std::unique_ptr<AppJwtSigner>> AppJwtSigner::Load(const AppSettings& app) {
  const std::string where = "GitHub App private key file '" + app.private_key_file + "'";
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(app.private_key_file.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("cannot read " + where + " (app.private_key_file)");
  }
  auto key = std::make_unique<Key>();
  key->pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key->pkey == nullptr) {
    return Status::InvalidArgument(where + " holds no PEM private key: " + OpenSslError());
  }
  if (EVP_PKEY_base_id(key->pkey) != EVP_PKEY_RSA) {
    return Status::InvalidArgument(where + " is not an RSA key (GitHub Apps sign with RS256)");
  }
  return std::unique_ptr<AppJwtSigner>(new AppJwtSigner(app, std::move(key)));
}

Result<std::string> AppJwtSigner::Make(int64_t now) const {
  const int64_t iat = now - kBackdateSeconds;
  const int64_t exp = now + kLifetimeSeconds;
  const std::string iss = app_.app_id_is_number ? app_.app_id : "\"" + app_.app_id + "\"";
  const std::string header = R"({"alg":"RS256","typ":"JWT"})";
  const std::string claims = "{\"iat\":" + std::to_string(iat) + ",\"exp\":" +
                             std::to_string(exp) + ",\"iss\":" + iss + "}";
  const std::string signing_input = Base64Url(header) + "." + Base64Url(claims);

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey) != 1) {
    return Status::Internal("cannot sign the GitHub App JWT: " + OpenSslError());
  }
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &length, data, signing_input.size()) != 1) {
    return Status::Internal("cannot sign the GitHub App JWT: " + OpenSslError());
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, data, signing_input.size()) != 1) {
    return Status::Internal("cannot sign the GitHub App JWT: " + OpenSslError());
  }
  return signing_input + "." +
         Base64Url(std::string(reinterpret_cast<const char*>(signature.data()), length));
}

}  // namespace github
}  // namespace tether
