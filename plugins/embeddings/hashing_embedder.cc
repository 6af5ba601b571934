#include "hashing_embedder.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>

#include "chunker.h"

namespace tether::embeddings {
namespace {

bool IsWordChar(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowered(const std::string& word) {
  std::string out = word;
  for (char& c : out) c = Lower(c);
  return out;
}

// The sub-tokens of an identifier, lower-cased.
std::vector<std::string> SubTokens(const std::string& word) {
  std::vector<std::string> parts;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) parts.push_back(Lowered(current));
    current.clear();
  };
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    const bool digit = c >= '0' && c <= '9';
    if (c == '_' || c == '-') {
      flush();
      continue;
    }
    if (!current.empty()) {
      const char p = current.back();
      const bool p_digit = p >= '0' && p <= '9';
      const bool upper_after_lower = (c >= 'A' && c <= 'Z') && (p >= 'a' && p <= 'z');
      // "HTTPServer": the last capital before a lower-case letter starts a part.
      const bool acronym_end = (c >= 'a' && c <= 'z') && (p >= 'A' && p <= 'Z') && current.size() > 1 &&
                               current[current.size() - 2] >= 'A' && current[current.size() - 2] <= 'Z';
      if (acronym_end) {
        current.pop_back();
        flush();
        current += p;
      } else if (upper_after_lower || digit != p_digit) {
        flush();
      }
    }
    current += c;
  }
  flush();
  return parts;
}

}  // namespace

std::vector<float> HashingEmbedder::EmbedOne(const std::string& text) const {
  std::map<std::string, int> counts;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordChar(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsWordChar(static_cast<unsigned char>(text[j]))) ++j;
    const std::string word = text.substr(i, j - i);
    i = j;
    if (word.size() > 64) continue;  // a hash, a blob of data: no meaning here
    const std::string whole = Lowered(word);
    ++counts[whole];
    std::vector<std::string> parts = SubTokens(word);
    if (parts.size() > 1) {
      for (const std::string& p : parts) {
        if (p != whole) ++counts[p];
      }
    }
  }
  std::vector<float> v(static_cast<size_t>(dimensions_), 0.0f);
  for (const auto& [feature, count] : counts) {
    const uint64_t h = Fnv1a64(feature);
    const size_t at = static_cast<size_t>(h % static_cast<uint64_t>(dimensions_));
    const float weight = 1.0f + static_cast<float>(std::log(static_cast<double>(count)));
    v[at] += (h >> 63) ? -weight : weight;
  }
  double norm = 0;
  for (float f : v) norm += static_cast<double>(f) * f;
  if (norm > 0) {
    const float scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& f : v) f *= scale;
  }
  return v;
}

Result<std::vector<std::vector<float>>> HashingEmbedder::Embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const std::string& t : texts) out.push_back(EmbedOne(t));
  return out;
}

}  // namespace tether::embeddings
