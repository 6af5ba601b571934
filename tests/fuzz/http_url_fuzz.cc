// plugins/github/http_url: api_base_url and every URL GitHub hands back
// (Link headers, redirects). Properties of an accepted URL: scheme is http
// or https, host lower case, and its origin parses to the same origin.
#include <cctype>

#include "fuzz_check.h"
#include "http_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(tether::fuzz::AsText(data, size));
  tether::github::HttpUrl url;
  tether::Status status = tether::github::ParseHttpUrl(text, "fuzz", &url);
  if (!status.ok()) return 0;
  FUZZ_CHECK(url.scheme == "http" || url.scheme == "https");
  for (char c : url.host) FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)));
  (void)tether::github::IsLoopbackHost(url.host);
  tether::github::HttpUrl again;
  FUZZ_CHECK(tether::github::ParseHttpUrl(url.Origin(), "origin", &again).ok());
  FUZZ_CHECK(again.Origin() == url.Origin());
  return 0;
}
