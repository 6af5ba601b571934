// UTF-8 checks. Pure functions, safe from any thread.
#ifndef TETHER_ENGINE_COMMON_UTF8_H_
#define TETHER_ENGINE_COMMON_UTF8_H_

#include <cstddef>
#include <string_view>

namespace tether {

// Length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 when
// it starts with an invalid one (overlong forms, surrogates and values past
// U+10FFFF included) or `s` is empty.
size_t Utf8SequenceLength(std::string_view s);

bool IsValidUtf8(std::string_view bytes);

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_UTF8_H_
