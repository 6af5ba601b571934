#include "engine/sync/content_rules.h"

#include "engine/common/utf8.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace tether::sync {

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
