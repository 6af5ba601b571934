#include <catch2/catch.hpp>

#include <string>

#include "engine/sync/content_rules.h"

using namespace tether::sync;

TEST_CASE("UTF-8 validation accepts text and refuses malformed sequences anywhere") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii that is longer than one eight byte word"));
  CHECK(IsValidUtf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"));  // ü ß € 😀
  CHECK_FALSE(IsValidUtf8("\xff"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  // A bad byte after many ASCII words, and in the tail shorter than a word.
  CHECK_FALSE(IsValidUtf8(std::string(64, 'a') + "\x80" + std::string(3, 'b')));
  CHECK_FALSE(IsValidUtf8(std::string(61, 'a') + "\xc3"));
}

TEST_CASE("text is valid UTF-8 without NUL bytes") {
  CHECK(LooksLikeText("int main() {}\n"));
  CHECK_FALSE(LooksLikeText(std::string("a\0b", 3)));
  CHECK_FALSE(LooksLikeText("latin-1 caf\xe9"));
}

TEST_CASE("repository paths are checked and refused by name") {
  CHECK(CheckRepositoryPath("src/main.cc").ok());
  CHECK(CheckRepositoryPath("dir with space/\xc3\xa9t\xc3\xa9.txt").ok());
  CHECK(CheckRepositoryPath("..hidden/x").ok());  // a name starting with dots is fine
  const char* bad[] = {"", "/etc/passwd", "a//b", "a/./b", "../up", "a/..", "trail/", "tab\there"};
  for (const char* path : bad) {
    INFO(path);
    tether::Status status = CheckRepositoryPath(path);
    CHECK(status.code() == tether::StatusCode::kInvalidArgument);
  }
  tether::Status latin1 = CheckRepositoryPath("caf\xe9.txt");
  CHECK_THAT(latin1.message(), Catch::Contains("caf\\xe9.txt") && Catch::Contains("not valid UTF-8"));
}

TEST_CASE("display paths escape what is not printable UTF-8") {
  CHECK(DisplayPath("ok/\xc3\xa9.txt") == "ok/\xc3\xa9.txt");
  CHECK(DisplayPath("bad\xff\x01") == "bad\\xff\\x01");
  CHECK(DisplayPath("back\\slash") == "back\\x5cslash");  // unambiguous
}

TEST_CASE("languages come from the file name") {
  CHECK(DetectLanguage("src/a.CC") == "cpp");
  CHECK(DetectLanguage("x/CMakeLists.txt") == "cmake");
  CHECK(DetectLanguage("notes.txt") == "text");
  CHECK(DetectLanguage("Makefile") == "make");
  CHECK(DetectLanguage(".bashrc") == "");
  CHECK(DetectLanguage("archive.tar.unknown") == "");
}

TEST_CASE("provider ids are any non-empty printable ASCII without spaces, not only git's") {
  CHECK(IsProviderId("0123456789abcdef0123456789abcdef01234567"));
  CHECK(IsProviderId("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
  CHECK(IsProviderId("snap:1"));
  CHECK(IsProviderId("~!"));
  CHECK_FALSE(IsProviderId(""));
  CHECK_FALSE(IsProviderId("two words"));
  CHECK_FALSE(IsProviderId("tab\there"));
  CHECK_FALSE(IsProviderId("line\n"));
  CHECK_FALSE(IsProviderId("caf\xc3\xa9"));
  CHECK_FALSE(IsProviderId(std::string("nul\0", 4)));
  CHECK_FALSE(IsProviderId("del\x7f"));
}
