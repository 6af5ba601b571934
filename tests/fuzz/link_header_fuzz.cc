// plugins/github/link_header: the Link header of GitHub's paginated answers.
// The input is the header; the rel looked up is each one GitHub sends and
// one taken from the input's first line.
#include "fuzz_check.h"
#include "link_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string header(tether::fuzz::AsText(data, size));
  for (const char* rel : {"next", "last", "prev", "first", ""}) {
    const std::string link = tether::github::FindLink(header, rel);
    FUZZ_CHECK(link.size() <= header.size());
  }
  const size_t eol = header.find('\n');
  if (eol != std::string::npos) (void)tether::github::FindLink(header.substr(eol + 1), header.substr(0, eol));
  return 0;
}
