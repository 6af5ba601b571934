#include "engine/config/json_pointer.h"

#include <cstdio>

namespace tether::config::internal {

std::string ChildPointer(const std::string& parent, std::string_view name) {
  std::string out = parent;
  out += '/';
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ChildPointer(const std::string& parent, size_t index) {
  return parent + "/" + std::to_string(index);
}

std::string DisplayPointer(const std::string& pointer) {
  return pointer.empty() ? "(root)" : pointer;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(byte));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace tether::config::internal
