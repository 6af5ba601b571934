// SHA-256 of a byte string, as 64 lower-case hex digits.
#ifndef TETHER_ENGINE_COMMON_SHA256_H_
#define TETHER_ENGINE_COMMON_SHA256_H_

#include <string>
#include <string_view>

namespace tether {

std::string Sha256Hex(std::string_view data);

// Incremental SHA-256: Update any number of times, then Finish once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  std::string FinishHex();  // 64 lower-case hex digits

 private:
  void* context_;  // EVP_MD_CTX
};

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_SHA256_H_
