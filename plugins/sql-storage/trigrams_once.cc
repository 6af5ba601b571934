#include "trigrams_once.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <soci/sqlite3/soci-sqlite3.h>

namespace tether::sql_storage {
namespace {

using sqlite_api::fts5_api;
using sqlite_api::fts5_tokenizer;
using sqlite_api::Fts5Tokenizer;
using TokenCallback = int (*)(void* context, int flags, const char* token, int size, int start, int end);

// The distinct tokens of one document so far. Source code is mostly ASCII,
// and an ASCII trigram is 21 bits: those are bits of a 256 KB bitmap,
// cleared at the next document from the list of those set (or whole, once
// the list is full). Other tokens go to an open-addressing table kept from
// one document to the next, whose slots belong to the current document
// when their stamp is its stamp (so starting a document costs nothing
// there). Tokens over 12 bytes (a trigram is three characters of up to 4
// bytes each) are never filtered. The table grows up to kMaxSlots: past
// half of that (or when memory runs out), new tokens pass unrecorded, and
// repeats of them pass as themselves, as the built-in tokenizer passes
// them. Nothing here throws once Allocate succeeded.
class SeenTokens {
 public:
  // Whether the memory for documents is there, allocating it the first
  // time (about 300 KB); false when it could not be had.
  bool Allocate() noexcept {
    if (!ascii_bits_.empty()) return true;
    try {
      ascii_set_.reserve(kMaxListed);
      slots_.assign(kMinSlots, Slot{});
      ascii_bits_.assign(kAsciiWords, 0);
      return true;
    } catch (const std::bad_alloc&) {
      ascii_bits_.clear();
      return false;
    }
  }

  // Starts a new document (after Allocate).
  void Start() noexcept {
    if (ascii_set_.size() >= kMaxListed) {
      std::fill(ascii_bits_.begin(), ascii_bits_.end(), 0);
    } else {
      for (uint32_t bit : ascii_set_) ascii_bits_[bit >> 6] &= ~(uint64_t{1} << (bit & 63));
    }
    ascii_set_.clear();
    stamp_ = (stamp_ + 1) & kStampMask;
    if (stamp_ == 0) {  // 2^28 documents later: stamps would repeat
      std::fill(slots_.begin(), slots_.end(), Slot{});
      stamp_ = 1;
    }
    count_ = 0;
  }

  // True when `token` came before in this document; records it otherwise.
  bool SeenBefore(const unsigned char* token, size_t size) noexcept {
    if (size == 3 && ((token[0] | token[1] | token[2]) & 0x80) == 0) {
      const uint32_t bit = uint32_t{token[0]} | uint32_t{token[1]} << 7 | uint32_t{token[2]} << 14;
      uint64_t& word = ascii_bits_[bit >> 6];
      const uint64_t mask = uint64_t{1} << (bit & 63);
      if ((word & mask) != 0) return true;
      word |= mask;
      if (ascii_set_.size() < kMaxListed) ascii_set_.push_back(bit);  // reserved; once full, Start clears all
      return false;
    }
    if (size > kMaxBytes) return false;
    Slot key;
    for (size_t i = 0; i < size && i < 8; ++i) key.low |= uint64_t{token[i]} << (8 * i);
    for (size_t i = 8; i < size; ++i) key.high |= uint32_t{token[i]} << (8 * (i - 8));
    key.tag = stamp_ << 4 | static_cast<uint32_t>(size);
    for (;;) {
      const size_t mask = slots_.size() - 1;
      for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
        Slot& slot = slots_[i];
        if (slot.tag >> 4 != stamp_) {
          if (count_ * 2 < slots_.size()) {
            slot = key;
            ++count_;
            return false;
          }
          break;  // half full: grow, then look again
        }
        if (slot.tag == key.tag && slot.low == key.low && slot.high == key.high) return true;
      }
      if (slots_.size() >= kMaxSlots || !Grow()) return false;
    }
  }

 private:
  static constexpr size_t kMaxBytes = 12;
  static constexpr size_t kAsciiWords = (size_t{1} << 21) / 64;
  static constexpr size_t kMaxListed = kAsciiWords / 4;  // bits listed to clear one by one
  struct Slot {
    uint64_t low = 0;   // the token's bytes 0-7
    uint32_t high = 0;  // and 8-11
    uint32_t tag = 0;   // the document's stamp << 4 | the token's size; stamp 0: empty
  };
  static_assert(sizeof(Slot) == 16);
  static constexpr uint32_t kStampMask = (uint32_t{1} << 28) - 1;
  static constexpr size_t kMinSlots = 1024;
  static constexpr size_t kMaxSlots = size_t{1} << 17;  // 2 MB

  static size_t Hash(const Slot& slot) {
    uint64_t h = slot.low * 0x9E3779B97F4A7C15ULL + (uint64_t{slot.high} << 4 | (slot.tag & 15));
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ULL;
    return static_cast<size_t>(h ^ (h >> 32));
  }

  // Doubles the table, keeping this document's tokens; false (the table as
  // it was) when memory ran out.
  bool Grow() noexcept {
    std::vector<Slot> old;
    try {
      old.assign(slots_.size() * 2, Slot{});
    } catch (const std::bad_alloc&) {
      return false;
    }
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.tag >> 4 != stamp_) continue;
      size_t i = Hash(slot) & mask;
      while (slots_[i].tag >> 4 == stamp_) i = (i + 1) & mask;
      slots_[i] = slot;
    }
    return true;
  }

  std::vector<uint64_t> ascii_bits_;  // bit (b0 | b1 << 7 | b2 << 14): ASCII trigram b0 b1 b2 seen
  std::vector<uint32_t> ascii_set_;   // the bits set
  std::vector<Slot> slots_;
  uint32_t stamp_ = 0;
  size_t count_ = 0;
};

// What xCreateTokenizer is given: the built-in trigram tokenizer. Owned by
// the connection's FTS5, which deletes it with Forget when the connection
// closes.
struct BuiltIn {
  void* context = nullptr;
  fts5_tokenizer methods{};
};

// One tokenizer instance (one per FTS5 table the connection opens).
struct Instance {
  BuiltIn* built_in = nullptr;
  Fts5Tokenizer* inner = nullptr;
  SeenTokens seen;
};

// What the built-in tokenizer's callback needs while it tokenizes one
// document.
struct Filter {
  SeenTokens* seen;
  void* context;     // FTS5's, for `pass`
  TokenCallback pass;  // FTS5's callback
  // The document's first token, the stand-in for its repeats (the built-in
  // tokenizer's are at most 12 bytes; a longer one never stands in).
  char first[16];
  int first_size = -1;
};

// A repeat is passed on as the document's first token: FTS5 counts every
// token (the document's size, and the totals, that its own check compares
// with the content), but records nothing for a token the document already
// gave it, and the first one's entry is the one always at hand.
int PassRepeatAsFirst(void* context, int flags, const char* token, int size, int start, int end) {
  auto* filter = static_cast<Filter*>(context);
  if (filter->first_size < 0) {
    if (size <= 0 || size > static_cast<int>(sizeof(filter->first))) {
      return filter->pass(filter->context, flags, token, size, start, end);
    }
    std::memcpy(filter->first, token, static_cast<size_t>(size));
    filter->first_size = size;
  }
  if (size > 0 && filter->seen->SeenBefore(reinterpret_cast<const unsigned char*>(token), static_cast<size_t>(size))) {
    return filter->pass(filter->context, flags, filter->first, filter->first_size, start, end);
  }
  return filter->pass(filter->context, flags, token, size, start, end);
}

int Create(void* context, const char** args, int count, Fts5Tokenizer** out) {
  auto* built_in = static_cast<BuiltIn*>(context);
  std::unique_ptr<Instance> instance(new (std::nothrow) Instance);
  if (instance == nullptr) return SQLITE_NOMEM;
  instance->built_in = built_in;
  const int rc = built_in->methods.xCreate(built_in->context, args, count, &instance->inner);
  if (rc != SQLITE_OK) return rc;
  *out = reinterpret_cast<Fts5Tokenizer*>(instance.release());
  return SQLITE_OK;
}

void Delete(Fts5Tokenizer* tokenizer) {
  std::unique_ptr<Instance> instance(reinterpret_cast<Instance*>(tokenizer));
  instance->built_in->methods.xDelete(instance->inner);
}

int Tokenize(Fts5Tokenizer* tokenizer, void* context, int flags, const char* text, int size, TokenCallback pass) {
  auto* instance = reinterpret_cast<Instance*>(tokenizer);
  const fts5_tokenizer& methods = instance->built_in->methods;
  // Queries and auxiliary functions need every token, in order; without
  // memory for the filter, so does a document.
  if (flags != FTS5_TOKENIZE_DOCUMENT || !instance->seen.Allocate()) {
    return methods.xTokenize(instance->inner, context, flags, text, size, pass);
  }
  instance->seen.Start();
  Filter filter{&instance->seen, context, pass, {}, -1};
  return methods.xTokenize(instance->inner, &filter, flags, text, size, &PassRepeatAsFirst);
}

void Forget(void* context) { delete static_cast<BuiltIn*>(context); }

std::string SqliteError(sqlite_api::sqlite3* db) { return sqlite_api::sqlite3_errmsg(db); }

// `sql` in lower case without white space.
std::string Bare(const std::string& sql) {
  std::string bare;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) bare += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return bare;
}

bool KeepsRowidsOnly(const std::string& bare) {
  return bare.find("detail=none") != std::string::npos || bare.find("detail='none'") != std::string::npos ||
         bare.find("detail=\"none\"") != std::string::npos;
}

// Whether documents_text exists, and it and every other FTS5 table that
// may use the trigram tokenizer keep rowids only (detail=none): the filter
// applies to every such table the connection opens.
bool TrigramTablesKeepRowidsOnly(soci::session& session) {
  bool text_index = false;
  // (LIKE folds ASCII case: what could be an FTS5 table, and only that.)
  soci::rowset<soci::row> tables =
      (session.prepare << "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%fts5%'");
  for (const soci::row& table : tables) {
    const std::string bare = Bare(table.get<std::string>(1));
    if (bare.find("usingfts5") == std::string::npos) continue;
    if (bare.find("trigram") != std::string::npos && !KeepsRowidsOnly(bare)) return false;
    if (table.get<std::string>(0) == "documents_text") text_index = KeepsRowidsOnly(bare);
  }
  return text_index;
}

}  // namespace

Status UseTrigramsOnce(soci::session& session, bool* installed) {
  if (installed != nullptr) *installed = false;
  if (session.get_backend_name() != "sqlite3") return Status::Ok();
  if (!TrigramTablesKeepRowidsOnly(session)) return Status::Ok();
  sqlite_api::sqlite3* db = static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
  // FTS5 hands out its API through a pointer bound to "SELECT fts5(?)".
  fts5_api* api = nullptr;
  sqlite_api::sqlite3_stmt* statement = nullptr;
  if (sqlite_api::sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, nullptr) != SQLITE_OK) {
    return Status::Internal("SQLite's FTS5 is not available: " + SqliteError(db));
  }
  sqlite_api::sqlite3_bind_pointer(statement, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite_api::sqlite3_step(statement);
  sqlite_api::sqlite3_finalize(statement);
  if (api == nullptr || api->iVersion < 1) return Status::Internal("SQLite's FTS5 gave no API");
  auto built_in = std::make_unique<BuiltIn>();
  if (api->xFindTokenizer(api, "trigram", &built_in->context, &built_in->methods) != SQLITE_OK) {
    return Status::Internal("SQLite's FTS5 has no trigram tokenizer");
  }
  // FTS5 takes the newest tokenizer of a name, and owns `built_in` once it
  // took it.
  fts5_tokenizer filtered{&Create, &Delete, &Tokenize};
  if (api->xCreateTokenizer(api, "trigram", built_in.get(), &filtered, &Forget) != SQLITE_OK) {
    return Status::Internal("SQLite's FTS5 refused the trigram filter: " + SqliteError(db));
  }
  built_in.release();
  if (installed != nullptr) *installed = true;
  return Status::Ok();
}

}  // namespace tether::sql_storage
