// engine/sync/content_rules: CheckRepositoryPath decides which paths from a
// repository are stored; DisplayPath prints any of them. Properties: an
// accepted path is valid UTF-8, relative, without control characters or
// empty/"."/".." components; DisplayPath output has no control characters
// and is valid UTF-8.
#include "engine/sync/content_rules.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view path = tether::fuzz::AsText(data, size);
  const std::string shown = tether::sync::DisplayPath(path);
  FUZZ_CHECK(tether::sync::IsValidUtf8(shown));
  for (char c : shown) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
  if (tether::sync::IsValidUtf8(path) && path.find('\\') == std::string_view::npos) {
    bool printable = true;
    for (char c : path) printable = printable && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
    if (printable) FUZZ_CHECK(shown == path);
  }
  if (tether::sync::CheckRepositoryPath(path).ok()) {
    FUZZ_CHECK(!path.empty() && path.front() != '/' && path.back() != '/');
    FUZZ_CHECK(tether::sync::IsValidUtf8(path));
    FUZZ_CHECK(path.find("//") == std::string_view::npos);
    const std::string wrapped = "/" + std::string(path) + "/";
    FUZZ_CHECK(wrapped.find("/./") == std::string::npos && wrapped.find("/../") == std::string::npos);
  }
  (void)tether::sync::LooksLikeText(path);
  (void)tether::sync::DetectLanguage(path);
  return 0;
}
