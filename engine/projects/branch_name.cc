#include "engine/projects/branch_name.h"

#include <string>

#include "engine/sync/content_rules.h"

namespace tether::projects {
namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Why `name` breaks git's rules, or "" when it does not.
std::string Violation(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name == "@") return "\"@\" alone is not a name";
  if (name == "HEAD") return "\"HEAD\" is not a branch name";
  if (name.front() == '-') return "it starts with \"-\"";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return "it contains a control character";
  }
  for (char c : std::string_view(" ~^:?*[\\")) {
    if (name.find(c) != std::string_view::npos) {
      return c == ' ' ? "it contains a space" : std::string("it contains \"") + c + "\"";
    }
  }
  if (name.find("..") != std::string_view::npos) return "it contains \"..\"";
  if (name.find("@{") != std::string_view::npos) return "it contains \"@{\"";
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return "it has an empty component (a leading, trailing or doubled \"/\")";
  }
  if (name.back() == '.') return "it ends with \".\"";
  size_t start = 0;
  while (start < name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view component = name.substr(start, end - start);
    if (component.front() == '.') return "a component starts with \".\"";
    if (EndsWith(component, ".lock")) return "a component ends with \".lock\"";
    start = end + 1;
  }
  if (!sync::IsValidUtf8(name)) return "it is not valid UTF-8";
  return "";
}

}  // namespace

Status CheckBranchName(std::string_view name) {
  const std::string why = Violation(name);
  if (why.empty()) return Status::Ok();
  return Status::InvalidArgument("branch name \"" + sync::DisplayPath(name) + "\" is not valid: " + why +
                                 " (git's rules for branch names)");
}

}  // namespace tether::projects
