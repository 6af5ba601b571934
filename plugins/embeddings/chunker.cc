#include "chunker.h"

#include <openssl/sha.h>

#include <algorithm>

namespace tether::embeddings {
namespace {

struct Span {
  int32_t first = 0;  // 0-based line indexes, inclusive
  int32_t last = 0;
};

class Splitter {
 public:
  Splitter(std::string_view text, int max_chars) : text_(text), max_(static_cast<size_t>(max_chars)) {
    size_t at = 0;
    while (at < text.size()) {
      starts_.push_back(at);
      size_t newline = text.find('\n', at);
      at = newline == std::string_view::npos ? text.size() : newline + 1;
    }
    starts_.push_back(text.size());
  }

  int32_t lines() const { return static_cast<int32_t>(starts_.size()) - 1; }
  size_t Chars(const Span& s) const { return starts_[s.last + 1] - starts_[s.first]; }
  std::string_view Text(const Span& s) const { return text_.substr(starts_[s.first], Chars(s)); }

  // Units of `range` at the symbols strictly inside `owner` (the symbol the
  // range belongs to, or the whole text), outermost first: the owner's span
  // shrinks with every level, so the recursion ends.
  void Split(Span range, Span owner, const std::vector<Span>& symbols, std::vector<Span>* out) const {
    std::vector<Span> outer;
    int32_t covered = range.first - 1;
    for (const Span& s : symbols) {  // by first line, outer before inner
      if (s.first < owner.first || s.last > owner.last) continue;
      if (s.first == owner.first && s.last == owner.last) continue;
      if (s.first < range.first || s.last > range.last) continue;
      if (s.first <= covered) continue;  // inside (or across) one already taken
      outer.push_back(s);
      covered = s.last;
    }
    int32_t cursor = range.first;
    for (const Span& s : outer) {
      Span unit{cursor, s.last};  // with the lines before it
      cursor = s.last + 1;
      if (Chars(unit) <= max_) {
        out->push_back(unit);
      } else {
        Split(unit, s, symbols, out);
      }
    }
    if (cursor <= range.last) Windows({cursor, range.last}, out);
  }

 private:
  // Consecutive pieces of whole lines, each at most max_ characters (a line
  // longer than that is a piece of its own).
  void Windows(Span range, std::vector<Span>* out) const {
    int32_t first = range.first;
    while (first <= range.last) {
      int32_t last = first;
      while (last + 1 <= range.last && Chars({first, last + 1}) <= max_) ++last;
      out->push_back({first, last});
      first = last + 1;
    }
  }

  std::string_view text_;
  size_t max_;
  std::vector<size_t> starts_;  // where each line starts, and the end
};

bool EndsGroup(std::string_view unit) { return (Fnv1a64(unit) >> 7) % 4 == 0; }

bool Blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

uint64_t Fnv1a64(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::vector<Chunk> ChunkText(std::string_view text, const std::vector<Symbol>& symbols, int max_chars) {
  Splitter splitter(text, max_chars);
  const int32_t lines = splitter.lines();
  std::vector<Chunk> chunks;
  if (lines == 0) return chunks;
  std::vector<Span> spans;
  for (const Symbol& s : symbols) {
    if (s.start_line < 1 || s.end_line < s.start_line || s.end_line > lines) continue;
    spans.push_back({s.start_line - 1, s.end_line - 1});
  }
  // Outer before inner: by first line, then the longer first.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.first != b.first ? a.first < b.first : a.last > b.last;
  });
  std::vector<Span> units;
  splitter.Split({0, lines - 1}, {0, lines - 1}, spans, &units);
  // Small neighbours merged, up to max_chars; a bigger unit stays alone.
  const size_t max = static_cast<size_t>(max_chars), small = max / 4;
  // Where a group of small units ends is decided by the content of its
  // last unit (one in four, by a hash of its text), not by counting from
  // the top of the file: an edit moves at most the boundaries next to the
  // unit it changed, never those of the groups after it.
  std::vector<Span> merged;
  bool open_group = false;  // merged.back() is a group of small units that may grow
  for (const Span& u : units) {
    const bool is_small = splitter.Chars(u) < small;
    if (is_small && open_group && splitter.Chars({merged.back().first, u.last}) <= max) {
      merged.back().last = u.last;
    } else {
      merged.push_back(u);
    }
    open_group = is_small && !EndsGroup(splitter.Text(u));
  }
  for (const Span& s : merged) {
    std::string_view piece = splitter.Text(s);
    if (Blank(piece)) continue;
    Chunk c;
    c.text = std::string(piece);
    c.hash = Sha256Hex(c.text);
    c.start_line = s.first + 1;
    c.end_line = s.last + 1;
    chunks.push_back(std::move(c));
  }
  return chunks;
}

}  // namespace tether::embeddings
