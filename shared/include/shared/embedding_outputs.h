// What the embeddings analyzer's repository step keeps for a project, for
// the step that writes it and the engine's semantic search that reads it:
// one format, one place. The vectors themselves are the storage's (by text
// hash, storage.h "Vectors"); these outputs say which texts a file holds.
//
//   kSpaceOutput               the space the chunk lists' vectors are in
//   kChunksPrefix + PATH       the chunks of the current file PATH, the
//                              output's key being the file's blob id: one
//                              line per chunk, "HASH START END\n" (the
//                              text's SHA-256 in hex, its 1-based first
//                              and last line)
//   kPendingOutput             paths whose chunks still lack a vector (a
//                              text the model refused), as a JSON array
//                              of strings: tried again on the next run
//
// A step run stores all of them at once: the space and the chunk lists
// always agree. Thread safety: pure functions.
#ifndef TETHER_SHARED_EMBEDDING_OUTPUTS_H_
#define TETHER_SHARED_EMBEDDING_OUTPUTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether::embeddings {

inline constexpr std::string_view kSpaceOutput = "space";
inline constexpr std::string_view kChunksPrefix = "chunks/";
inline constexpr std::string_view kPendingOutput = "pending";

struct ChunkLine {
  std::string hash;  // 64 lower-case hex digits
  int32_t start_line = 0;
  int32_t end_line = 0;
};

std::string FormatChunkList(const std::vector<ChunkLine>& chunks);

// False (and `chunks` unspecified) for text FormatChunkList could not have
// written.
bool ParseChunkList(std::string_view text, std::vector<ChunkLine>* chunks);

}  // namespace tether::embeddings

#endif  // TETHER_SHARED_EMBEDDING_OUTPUTS_H_
