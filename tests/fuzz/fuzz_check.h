// Shared by the fuzz targets (tests/fuzz/*_fuzz.cc): the libFuzzer entry
// point and FUZZ_CHECK, which aborts (a crash, to libFuzzer and to the
// replay driver) when a property the code promises does not hold.
#ifndef TETHER_TESTS_FUZZ_FUZZ_CHECK_H_
#define TETHER_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace tether::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace tether::fuzz

#endif  // TETHER_TESTS_FUZZ_FUZZ_CHECK_H_
