// SHA-256 of a byte string, as 64 lower-case hex digits.
#ifndef TETHER_ENGINE_COMMON_SHA256_H_
#define TETHER_ENGINE_COMMON_SHA256_H_

#include <string>
#include <string_view>

namespace tether {

std::string Sha256Hex(std::string_view data);

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_SHA256_H_
