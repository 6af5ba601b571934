// Splitting a file into the texts that are embedded. Chunks follow the
// code's structure: a symbol of the code analyzer (a function, a class) is
// one chunk when it fits in about max_chars; a bigger one is split at the
// symbols inside it, and what has none is cut into windows of whole lines.
// The lines before a symbol (its comment, blank lines) go with it.
// Neighbours that are small (under a quarter of max_chars) are merged up to
// max_chars, a group ending after a unit chosen by its content; a bigger one
// is never merged. So editing one function changes its chunk and at most
// the next one, never the rest of the file's. A chunk is its lines' exact text, without the path: the same text
// anywhere has the same hash.
//
// Thread safety: a pure function.
#ifndef TETHER_PLUGINS_EMBEDDINGS_CHUNKER_H_
#define TETHER_PLUGINS_EMBEDDINGS_CHUNKER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tether/analyzer.h"

namespace tether::embeddings {

struct Chunk {
  std::string text;
  std::string hash;  // SHA-256 of text, lower-case hex
  int32_t start_line = 0;  // 1-based, inclusive
  int32_t end_line = 0;
};

// `symbols` may be empty (line windows only) and in any order; symbols whose
// lines fall outside the text are ignored. Chunks of blank text are left out.
std::vector<Chunk> ChunkText(std::string_view text, const std::vector<Symbol>& symbols, int max_chars);

std::string Sha256Hex(std::string_view text);

// FNV-1a, 64 bits: a fast hash where no adversary matters (where a group of
// small units ends, which dimension a word of the lexical embedder takes).
uint64_t Fnv1a64(std::string_view text);

}  // namespace tether::embeddings

#endif  // TETHER_PLUGINS_EMBEDDINGS_CHUNKER_H_
