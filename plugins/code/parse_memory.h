// Memory for the tree-sitter runtime while one blob is analysed.
//
// The runtime allocates every node of a tree, every version of its parse
// stack and every cursor entry one at a time, and frees them one at a time:
// through the C library's malloc that was about a tenth of the instructions
// of a first analysis. While a ParseMemory is alive on a thread, the
// runtime's small allocations on that thread come from it instead: blocks
// cut from a few large chunks, a freed block kept on a list of its size for
// the next allocation of that size, and every chunk given back at once when
// the ParseMemory goes: kept by the thread for its next ParseMemory, up to
// kSpareBytes (fresh memory costs a page fault per page touched), the rest
// freed. Larger allocations, and any made on a thread with no ParseMemory,
// go to malloc as before.
//
// The plugin installs this allocator into its own copy of the runtime when
// the library is loaded (the runtime is linked into the plugin, so no other
// code sees it), before the runtime allocates anything; not in a build
// with AddressSanitizer, where the runtime keeps malloc.
//
// Contract: everything the runtime allocated while a ParseMemory was alive
// (parser, tree, cursors) must be freed before it goes, on the same thread.
// AnalyzeWithGrammar keeps to that: all of them are its locals.
//
// Thread safety: one ParseMemory per thread at a time; nothing is shared.
#ifndef TETHER_PLUGINS_CODE_PARSE_MEMORY_H_
#define TETHER_PLUGINS_CODE_PARSE_MEMORY_H_

#include <cstddef>
#include <vector>

namespace tether {
namespace code {

class ParseMemory {
 public:
  ParseMemory();
  ~ParseMemory();
  ParseMemory(const ParseMemory&) = delete;
  ParseMemory& operator=(const ParseMemory&) = delete;

  // Used by the allocator functions.
  static constexpr size_t kGrain = 16;             // block sizes are multiples of this
  static constexpr size_t kMaxBlock = 1024;        // larger requests go to malloc
  static constexpr size_t kSpareBytes = 4 << 20;   // chunks a thread keeps between two
  void* Allocate(size_t size);
  void Release(void* block, size_t size_class);

 private:
  static constexpr size_t kClasses = kMaxBlock / kGrain + 1;
  struct FreeBlock {
    FreeBlock* next;
  };
  ParseMemory* previous_;               // the thread's ParseMemory before this one
  FreeBlock* free_[kClasses] = {};      // by size class
  struct Chunk {
    char* bytes;
    size_t size;
  };
  Chunk NewChunk();
  std::vector<Chunk> chunks_;
  char* next_ = nullptr;                // the unused rest of the last chunk
  char* end_ = nullptr;
  size_t chunk_bytes_ = 64 * 1024;      // the next chunk's size (doubling up to 1 MiB)
};

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_PARSE_MEMORY_H_
