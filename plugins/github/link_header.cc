#include "link_header.h"

#include <cctype>
#include <sstream>

namespace tether {
namespace github {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string Trim(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

// Whether the parameters after "<url>" (";rel=\"next last\"; title=x")
// carry `rel`.
bool HasRel(const std::string& params, const std::string& rel) {
  size_t pos = 0;
  while (pos < params.size()) {
    size_t semicolon = params.find(';', pos);
    // A quoted value may hold ';': skip to the closing quote first.
    const size_t quote = params.find('"', pos);
    if (quote != std::string::npos && quote < semicolon) {
      const size_t closing = params.find('"', quote + 1);
      semicolon = closing == std::string::npos ? std::string::npos : params.find(';', closing);
    }
    const std::string param =
        Trim(params.substr(pos, semicolon == std::string::npos ? std::string::npos : semicolon - pos));
    pos = semicolon == std::string::npos ? params.size() : semicolon + 1;
    const size_t equals = param.find('=');
    if (equals == std::string::npos || Lower(Trim(param.substr(0, equals))) != "rel") continue;
    std::string value = Trim(param.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    std::istringstream words(value);
    std::string word;
    while (words >> word) {
      if (Lower(word) == Lower(rel)) return true;
    }
  }
  return false;
}

}  // namespace

std::string FindLink(const std::string& header, const std::string& rel) {
  size_t pos = 0;
  while (true) {
    const size_t open = header.find('<', pos);
    if (open == std::string::npos) return "";
    const size_t close = header.find('>', open + 1);
    if (close == std::string::npos) return "";
    const std::string target = header.substr(open + 1, close - open - 1);
    // The parameters run to the next link: a ',' outside quotes.
    size_t end = close + 1;
    bool quoted = false;
    while (end < header.size() && (quoted || header[end] != ',')) {
      if (header[end] == '"') quoted = !quoted;
      ++end;
    }
    if (HasRel(header.substr(close + 1, end - close - 1), rel)) return target;
    pos = end;
  }
}

}  // namespace github
}  // namespace tether
