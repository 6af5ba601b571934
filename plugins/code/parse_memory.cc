#include "parse_memory.h"

#include <tree_sitter/api.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace tether {
namespace code {
namespace {

// Every block the allocator hands out follows a header saying where it came
// from, so that free and realloc know what to do with it whichever way it
// was made. 16 bytes keep the block as aligned as malloc's.
struct alignas(16) Header {
  uint64_t size;   // kFromMalloc: the bytes asked for; else the block's size class
  uint64_t from;   // kFromMalloc or kFromParseMemory
};
static_assert(sizeof(Header) == ParseMemory::kGrain, "the header is one grain");
constexpr uint64_t kFromMalloc = 0x6d616c6c6f63ULL;
constexpr uint64_t kFromParseMemory = 0x7061727365ULL;

thread_local ParseMemory* current = nullptr;

// The chunks a thread's last ParseMemory left, for its next one.
struct SpareChunks {
  std::vector<std::pair<char*, size_t>> chunks;
  size_t bytes = 0;
  ~SpareChunks() {
    for (const auto& chunk : chunks) std::free(chunk.first);
  }
};
thread_local SpareChunks spare;

[[noreturn]] void OutOfMemory(size_t size) {
  std::fprintf(stderr, "tree-sitter failed to allocate %zu bytes\n", size);
  std::abort();
}

void* FromMalloc(size_t size) {
  if (size > SIZE_MAX - sizeof(Header)) OutOfMemory(size);
  auto* header = static_cast<Header*>(std::malloc(sizeof(Header) + size));
  if (header == nullptr) OutOfMemory(size);
  header->size = size;
  header->from = kFromMalloc;
  return header + 1;
}

size_t BlockBytes(const Header* header) {
  return header->from == kFromMalloc ? header->size : header->size * ParseMemory::kGrain;
}

[[maybe_unused]] void* Malloc(size_t size) {
  ParseMemory* memory = current;
  if (memory != nullptr && size <= ParseMemory::kMaxBlock) return memory->Allocate(size);
  return FromMalloc(size);
}

[[maybe_unused]] void Free(void* block) {
  if (block == nullptr) return;
  Header* header = static_cast<Header*>(block) - 1;
  if (header->from == kFromMalloc) {
    std::free(header);
    return;
  }
  // A block of a ParseMemory outlives it only if the contract is broken;
  // with none alive there is nowhere to keep it, and its chunk is gone.
  if (current != nullptr) current->Release(block, header->size);
}

[[maybe_unused]] void* Calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) OutOfMemory(SIZE_MAX);
  void* block = Malloc(count * size);
  std::memset(block, 0, count * size);
  return block;
}

[[maybe_unused]] void* Realloc(void* block, size_t size) {
  if (block == nullptr) return Malloc(size);
  Header* header = static_cast<Header*>(block) - 1;
  if (header->from == kFromMalloc && (current == nullptr || size > ParseMemory::kMaxBlock)) {
    if (size > SIZE_MAX - sizeof(Header)) OutOfMemory(size);
    auto* moved = static_cast<Header*>(std::realloc(header, sizeof(Header) + size));
    if (moved == nullptr) OutOfMemory(size);
    moved->size = size;
    return moved + 1;
  }
  const size_t old_bytes = BlockBytes(header);
  if (header->from == kFromParseMemory && size <= old_bytes && size > old_bytes / 2) return block;
  void* moved = Malloc(size);
  std::memcpy(moved, block, old_bytes < size ? old_bytes : size);
  Free(block);
  return moved;
}

#if defined(__SANITIZE_ADDRESS__)
#define TETHER_CODE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TETHER_CODE_ASAN 1
#endif
#endif

// Installs the allocator when the plugin is loaded, before the runtime
// allocates anything. Not in a build with AddressSanitizer, which must see
// every allocation of the runtime's to check it.
struct Installer {
  Installer() {
#ifndef TETHER_CODE_ASAN
    ts_set_allocator(Malloc, Calloc, Realloc, Free);
#endif
  }
} installer;

}  // namespace

ParseMemory::ParseMemory() : previous_(current) { current = this; }

ParseMemory::~ParseMemory() {
  current = previous_;
  for (const Chunk& chunk : chunks_) {
    if (spare.bytes + chunk.size <= kSpareBytes) {
      spare.chunks.emplace_back(chunk.bytes, chunk.size);
      spare.bytes += chunk.size;
    } else {
      std::free(chunk.bytes);
    }
  }
}

ParseMemory::Chunk ParseMemory::NewChunk() {
  if (!spare.chunks.empty()) {
    const auto [bytes, size] = spare.chunks.back();
    spare.chunks.pop_back();
    spare.bytes -= size;
    return Chunk{bytes, size};
  }
  auto* bytes = static_cast<char*>(std::malloc(chunk_bytes_));
  if (bytes == nullptr) OutOfMemory(chunk_bytes_);
  const Chunk chunk{bytes, chunk_bytes_};
  if (chunk_bytes_ < 1024 * 1024) chunk_bytes_ *= 2;
  return chunk;
}

void* ParseMemory::Allocate(size_t size) {
  const size_t size_class = size == 0 ? 1 : (size + kGrain - 1) / kGrain;
  if (FreeBlock* block = free_[size_class]) {
    free_[size_class] = block->next;
    return block;
  }
  const size_t bytes = sizeof(Header) + size_class * kGrain;
  if (static_cast<size_t>(end_ - next_) < bytes) {
    const Chunk chunk = NewChunk();
    chunks_.push_back(chunk);
    next_ = chunk.bytes;
    end_ = chunk.bytes + chunk.size;
  }
  auto* header = reinterpret_cast<Header*>(next_);
  next_ += bytes;
  header->size = size_class;
  header->from = kFromParseMemory;
  return header + 1;
}

void ParseMemory::Release(void* block, size_t size_class) {
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = free_[size_class];
  free_[size_class] = free_block;
}

}  // namespace code
}  // namespace tether
