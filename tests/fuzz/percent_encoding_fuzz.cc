// shared/percent_encoding: PercentDecode on anything, and
// PercentEncode/PercentDecode round trips (but a decoded NUL is refused).
#include "shared/percent_encoding.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tether::fuzz::AsText(data, size);
  for (bool plus_is_space : {false, true}) {
    auto decoded = tether::PercentDecode(text, plus_is_space);
    if (decoded) FUZZ_CHECK(decoded->size() <= text.size());
  }
  for (std::string_view keep : {std::string_view{}, std::string_view{"/"}, std::string_view{"-._~/:"}}) {
    const std::string encoded = tether::PercentEncode(text, keep);
    auto back = tether::PercentDecode(encoded);
    if (text.find('\0') != std::string_view::npos) {
      FUZZ_CHECK(!back.has_value());  // a decoded NUL is refused
    } else {
      FUZZ_CHECK(back.has_value());
      FUZZ_CHECK(*back == text);
    }
  }
  return 0;
}
