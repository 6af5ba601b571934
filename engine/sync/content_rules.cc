#include "engine/sync/content_rules.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace tether::sync {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    // Most source text is ASCII: skip it eight bytes at a time.
    while (i + 8 <= bytes.size()) {
      uint64_t word;
      std::memcpy(&word, bytes.data() + i, sizeof(word));
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i == bytes.size()) break;
    size_t n = Utf8SequenceLength(bytes.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsProviderId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c <= '~'; });
}

std::string DisplayPath(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t n = Utf8SequenceLength(path.substr(i));
    unsigned char c = static_cast<unsigned char>(path[i]);
    if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7F || c == '\\'))) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    out.append(path.substr(i, n));
    i += n;
  }
  return out;
}

Status CheckRepositoryPath(std::string_view path) {
  auto refuse = [&](const std::string& why) {
    return Status::InvalidArgument("path \"" + DisplayPath(path) + "\" refused: " + why);
  };
  if (path.empty()) return refuse("empty path");
  if (!IsValidUtf8(path)) return refuse("not valid UTF-8");
  if (path.front() == '/') return refuse("absolute path");
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return refuse("control character in path");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty()) return refuse("empty path component");
    if (part == "." || part == "..") return refuse("\".\" or \"..\" component");
    start = end + 1;
  }
  return Status::Ok();
}

bool LooksLikeText(std::string_view bytes) {
  std::string_view head = bytes.substr(0, std::min<size_t>(bytes.size(), 8000));
  if (head.find('\0') != std::string_view::npos) return false;
  return IsValidUtf8(bytes);
}

std::string DetectLanguage(std::string_view path) {
  static const std::unordered_map<std::string, std::string> kByExtension = {
      {"c", "c"},          {"h", "c"},           {"cc", "cpp"},        {"cpp", "cpp"},
      {"cxx", "cpp"},      {"hpp", "cpp"},       {"hh", "cpp"},        {"py", "python"},
      {"js", "javascript"},{"mjs", "javascript"},{"ts", "typescript"}, {"tsx", "typescript"},
      {"go", "go"},        {"rs", "rust"},       {"java", "java"},     {"kt", "kotlin"},
      {"rb", "ruby"},      {"php", "php"},       {"cs", "csharp"},     {"swift", "swift"},
      {"sh", "shell"},     {"bash", "shell"},    {"sql", "sql"},       {"md", "markdown"},
      {"json", "json"},    {"yaml", "yaml"},     {"yml", "yaml"},      {"toml", "toml"},
      {"xml", "xml"},      {"html", "html"},     {"css", "css"},       {"cmake", "cmake"},
      {"txt", "text"},     {"proto", "protobuf"},{"lua", "lua"},       {"scala", "scala"},
  };
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name == "CMakeLists.txt") return "cmake";
  if (name == "Makefile") return "make";
  if (name == "Dockerfile") return "dockerfile";
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = kByExtension.find(ext);
  return it == kByExtension.end() ? "" : it->second;
}

}  // namespace tether::sync
