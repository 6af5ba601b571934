#include "shared/embedding_outputs.h"

#include <charconv>

namespace tether::embeddings {
namespace {

bool IsHash(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool ParseLine(std::string_view text, int32_t* line) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *line);
  return error == std::errc() && end == text.data() + text.size() && *line >= 1;
}

}  // namespace

std::string FormatChunkList(const std::vector<ChunkLine>& chunks) {
  std::string out;
  for (const ChunkLine& c : chunks) {
    out += c.hash;
    out += ' ';
    out += std::to_string(c.start_line);
    out += ' ';
    out += std::to_string(c.end_line);
    out += '\n';
  }
  return out;
}

bool ParseChunkList(std::string_view text, std::vector<ChunkLine>* chunks) {
  chunks->clear();
  while (!text.empty()) {
    size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return false;
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    size_t first = line.find(' ');
    if (first == std::string_view::npos) return false;
    size_t second = line.find(' ', first + 1);
    if (second == std::string_view::npos) return false;
    ChunkLine chunk;
    if (!IsHash(line.substr(0, first))) return false;
    chunk.hash = std::string(line.substr(0, first));
    if (!ParseLine(line.substr(first + 1, second - first - 1), &chunk.start_line)) return false;
    if (!ParseLine(line.substr(second + 1), &chunk.end_line)) return false;
    if (chunk.end_line < chunk.start_line) return false;
    chunks->push_back(std::move(chunk));
  }
  return true;
}

}  // namespace tether::embeddings
