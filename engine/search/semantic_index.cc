#include "engine/search/semantic_index.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "shared/embedding_outputs.h"

namespace tether::search {
namespace {

constexpr char kAnalyzer[] = "embeddings";
constexpr size_t kVectorsPerRead = 2000;

class CurrentFiles : public EntrySink {
 public:
  Status OnEntry(const Entry& entry) override {
    if (SameContentKind(entry.kind, EntryKind::kFile)) blobs_[entry.path] = entry.blob_id;
    return Status::Ok();
  }
  const std::unordered_map<std::string, BlobId>& blobs() const { return blobs_; }

 private:
  std::unordered_map<std::string, BlobId> blobs_;
};

// Eight sums side by side, so the compiler may keep them in vector
// registers: a float reduction is not reordered otherwise.
float DotPortable(const float* a, const float* b, size_t n) {
  float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t j = 0; j < 8; ++j) sums[j] += a[i + j] * b[i + j];
  }
  float total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

#if defined(__x86_64__)
// The same with AVX2 and FMA, eight floats an instruction, for the
// processors that have them (checked at run time: the build targets any
// x86-64).
__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, size_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  s0 = _mm256_add_ps(s0, s1);
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  sum = _mm_hadd_ps(sum, sum);
  sum = _mm_hadd_ps(sum, sum);
  float total = _mm_cvtss_f32(sum);
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}
#endif

using DotFn = float (*)(const float*, const float*, size_t);

DotFn PickDot() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &DotAvx2;
#endif
  return &DotPortable;
}

float Dot(const float* a, const float* b, size_t n) {
  static const DotFn dot = PickDot();
  return dot(a, b, n);
}

// `values` scaled to norm 1 (all zeros stay zeros).
void Normalise(std::vector<float>* values) {
  double sum = 0;
  for (float f : *values) sum += static_cast<double>(f) * f;
  if (sum <= 0) return;
  const double scale = 1.0 / std::sqrt(sum);
  for (float& f : *values) f = static_cast<float>(f * scale);
}

Result<StoredOutput> ReadSpace(Storage* storage, const ProjectRef& project) {
  Result<StoredOutput> space = storage->GetRepositoryOutput(project, kAnalyzer, std::string(embeddings::kSpaceOutput));
  if (space.ok() || space.status().code() != StatusCode::kNotFound) return space;
  return Status::NotFound("the project has no vectors yet: the embeddings analyzer makes them when the project's "
                          "files are analysed (tether sync, or tether analyze)");
}

Status CheckSpace(const std::string& stored, const std::string& wanted) {
  if (stored == wanted) return Status::Ok();
  return Status::Unavailable("the project's vectors are in space " + stored + ", the embeddings analyzer's now " +
                             wanted + ": the next analysis of the project builds them");
}

}  // namespace

Result<std::unique_ptr<SemanticIndex>> SemanticIndex::Build(Storage* storage, const ProjectRef& project,
                                                            const std::string& space, const SemanticIndex* previous) {
  Result<StoredOutput> stored_space = ReadSpace(storage, project);
  if (!stored_space.ok()) return stored_space.status();
  TETHER_RETURN_IF_ERROR(CheckSpace(stored_space->output.content, space));

  CurrentFiles current;
  TETHER_RETURN_IF_ERROR(storage->ListEntries(project, &current));

  // The current files' chunks, each with its text's hash, in path order
  // (outputs come in byte order of their names, so of their paths).
  struct Pending {
    IndexedChunk chunk;
    std::string hash;
  };
  std::unique_ptr<SemanticIndex> index(new SemanticIndex());
  index->space_ = space;
  std::vector<Pending> pending;
  RepositoryOutputQuery outputs;
  outputs.analyzer_id = kAnalyzer;
  outputs.prefix = std::string(embeddings::kChunksPrefix);
  outputs.limit = 500;
  outputs.with_content = true;
  std::vector<embeddings::ChunkLine> lines;
  while (true) {
    Result<RepositoryOutputPage> listed = storage->ListRepositoryOutputs(project, outputs);
    if (!listed.ok()) return listed.status();
    for (const StoredOutput& o : listed->outputs) {
      std::string path = o.output.name.substr(embeddings::kChunksPrefix.size());
      auto blob = current.blobs().find(path);
      if (blob == current.blobs().end() || blob->second != o.output.key) continue;  // not the current file
      if (!embeddings::ParseChunkList(o.output.content, &lines)) {
        return Status::Internal("the chunk list of \"" + path + "\" is damaged");
      }
      const auto path_index = static_cast<uint32_t>(index->paths_.size());
      index->paths_.push_back(std::move(path));
      for (embeddings::ChunkLine& l : lines) {
        pending.push_back({IndexedChunk{path_index, l.start_line, l.end_line, 0}, std::move(l.hash)});
      }
    }
    if (!listed->more || listed->outputs.empty()) break;
    outputs.after = listed->outputs.back().output.name;
  }

  // Each distinct text's vector once, as a row: the previous index's when
  // it had the text (a text's vector never changes), shared with it; read
  // otherwise, into a block of this build's own.
  std::unordered_map<std::string, uint32_t>& rows = index->row_of_;
  for (const Pending& p : pending) rows.emplace(p.hash, UINT32_MAX);  // no vector yet
  std::vector<std::string> hashes;
  const bool reuse = previous != nullptr && previous->space_ == space && previous->dimensions_ > 0;
  size_t kept = 0;
  if (reuse) {
    for (auto& [hash, row] : rows) {
      auto known = previous->row_of_.find(hash);
      if (known == previous->row_of_.end()) continue;
      row = known->second;
      ++kept;
    }
  }
  const bool share = reuse && previous->blocks_.size() < 4 && kept * 3 >= size_t{previous->row_count_} * 2;
  if (share) {
    index->dimensions_ = previous->dimensions_;
    index->blocks_ = previous->blocks_;
    index->block_first_ = previous->block_first_;
    index->row_count_ = previous->row_count_;
  }
  auto fresh = std::make_shared<Block>();
  const uint32_t fresh_first = index->row_count_;
  uint32_t next_row = fresh_first;
  for (auto& [hash, row] : rows) {
    if (row == UINT32_MAX) {
      hashes.push_back(hash);
    } else if (!share) {  // compacting: the live rows of the previous index, copied
      if (fresh->empty()) {
        index->dimensions_ = previous->dimensions_;
        fresh->reserve(rows.size() * index->dimensions_);
      }
      const float* values = previous->Row(row);
      fresh->insert(fresh->end(), values, values + index->dimensions_);
      row = next_row++;
    }
  }
  for (size_t first = 0; first < hashes.size(); first += kVectorsPerRead) {
    std::vector<std::string> some(hashes.begin() + static_cast<long>(first),
                                  hashes.begin() + static_cast<long>(std::min(hashes.size(), first + kVectorsPerRead)));
    Result<std::vector<StoredVector>> vectors = storage->GetVectors(project.tenant, space, some);
    if (!vectors.ok()) return vectors.status();
    for (StoredVector& v : *vectors) {
      if (v.values.empty()) continue;  // the model refused this text
      if (index->dimensions_ == 0) index->dimensions_ = v.values.size();
      if (v.values.size() != index->dimensions_) continue;
      if (fresh->empty()) fresh->reserve((hashes.size() - first) * index->dimensions_);
      Normalise(&v.values);
      fresh->insert(fresh->end(), v.values.begin(), v.values.end());
      rows[v.hash] = next_row++;
    }
  }
  for (auto it = rows.begin(); it != rows.end();) it = it->second == UINT32_MAX ? rows.erase(it) : std::next(it);
  if (!fresh->empty()) {
    fresh->shrink_to_fit();
    index->blocks_.push_back(std::move(fresh));
    index->block_first_.push_back(fresh_first);
    index->row_count_ = next_row;
  }
  index->chunks_.reserve(pending.size());
  for (Pending& p : pending) {
    auto row = rows.find(p.hash);
    if (row == rows.end()) continue;  // no vector: the model refused the text, or it is still pending
    p.chunk.row = row->second;
    index->chunks_.push_back(p.chunk);
  }
  std::stable_sort(index->chunks_.begin(), index->chunks_.end(), [](const IndexedChunk& a, const IndexedChunk& b) {
    if (a.path != b.path) return a.path < b.path;
    return a.start_line < b.start_line;
  });
  return index;
}

const float* SemanticIndex::Row(uint32_t row) const {
  size_t block = blocks_.size() - 1;
  while (block > 0 && block_first_[block] > row) --block;
  return blocks_[block]->data() + size_t{row - block_first_[block]} * dimensions_;
}

size_t SemanticIndex::Bytes() const {
  size_t bytes = sizeof(*this) + chunks_.capacity() * sizeof(IndexedChunk);
  for (const auto& block : blocks_) bytes += block->capacity() * sizeof(float);
  for (const std::string& p : paths_) bytes += sizeof(std::string) + p.capacity();
  // A hash table node: the key, the row, the next pointer and the bucket.
  bytes += row_of_.size() * (sizeof(std::string) + 64 + sizeof(uint32_t) + 2 * sizeof(void*));
  return bytes;
}

std::vector<NearChunk> SemanticIndex::Nearest(const std::vector<float>& query, const std::string& path_prefix,
                                              size_t limit, int64_t* compared) const {
  *compared = 0;
  if (query.size() != dimensions_ || chunks_.empty() || limit == 0) return {};
  std::vector<float> q = query;
  Normalise(&q);

  // The chunks under the prefix: paths are sorted, so theirs are a range.
  size_t first = 0, last = chunks_.size();
  if (!path_prefix.empty()) {
    const auto begin = std::lower_bound(paths_.begin(), paths_.end(), path_prefix);
    auto end = begin;
    while (end != paths_.end() && end->compare(0, path_prefix.size(), path_prefix) == 0) ++end;
    const auto p0 = static_cast<uint32_t>(begin - paths_.begin()), p1 = static_cast<uint32_t>(end - paths_.begin());
    auto by_path = [](const IndexedChunk& c, uint32_t p) { return c.path < p; };
    first = static_cast<size_t>(std::lower_bound(chunks_.begin(), chunks_.end(), p0, by_path) - chunks_.begin());
    last = static_cast<size_t>(std::lower_bound(chunks_.begin(), chunks_.end(), p1, by_path) - chunks_.begin());
  }
  const size_t count = last - first;
  *compared = static_cast<int64_t>(count);
  if (count == 0) return {};

  // Every row once when the whole project is searched (a text may be in
  // several chunks); each chunk's own row under a prefix.
  std::vector<float> scores(count);
  if (count == chunks_.size()) {
    std::vector<float> row_scores(row_count_);
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const float* values = blocks_[b]->data();
      const size_t in_block = blocks_[b]->size() / dimensions_;
      for (size_t r = 0; r < in_block; ++r) {
        row_scores[block_first_[b] + r] = Dot(q.data(), values + r * dimensions_, dimensions_);
      }
    }
    for (size_t i = 0; i < count; ++i) scores[i] = row_scores[chunks_[i].row];
  } else {
    for (size_t i = 0; i < count; ++i) {
      scores[i] = Dot(q.data(), Row(chunks_[first + i].row), dimensions_);
    }
  }

  // Best first; ties in chunk order, which is (path, start line).
  std::vector<uint32_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = static_cast<uint32_t>(i);
  auto better = [&](uint32_t a, uint32_t b) {
    if (scores[a] != scores[b]) return scores[a] > scores[b];
    return a < b;
  };
  const size_t keep = std::min(limit, count);
  if (keep < count) std::nth_element(order.begin(), order.begin() + static_cast<long>(keep), order.end(), better);
  std::sort(order.begin(), order.begin() + static_cast<long>(keep), better);
  std::vector<NearChunk> near;
  near.reserve(keep);
  for (size_t k = 0; k < keep; ++k) {
    const uint32_t i = order[k];
    near.push_back({&chunks_[first + i], std::clamp(static_cast<double>(scores[i]), -1.0, 1.0)});
  }
  return near;
}

Result<std::shared_ptr<const SemanticIndex>> SemanticIndexCache::Get(Storage* storage, const ProjectRef& project,
                                                                     const std::string& space) {
  // What the index depends on: the documents (the cursor moves with every
  // sync that wrote) and the step's outputs (every completed run puts the
  // space again, with the time to the millisecond).
  Result<CommitId> cursor = storage->ReadCursor(project);
  if (!cursor.ok()) return cursor.status();
  Result<StoredOutput> stored_space = ReadSpace(storage, project);
  if (!stored_space.ok()) return stored_space.status();
  TETHER_RETURN_IF_ERROR(CheckSpace(stored_space->output.content, space));
  const std::string version = *cursor + "\n" + stored_space->output.content + "\n" + stored_space->updated_at;
  auto same_project = [&](const Entry& e) { return e.tenant == project.tenant && e.project_id == project.id; };
  std::shared_ptr<const SemanticIndex> previous;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = std::find_if(entries_.begin(), entries_.end(), same_project);
    if (found != entries_.end() && found->version == version && found->index->space() == space) {
      entries_.splice(entries_.begin(), entries_, found);
      return entries_.front().index;
    }
    if (found != entries_.end()) previous = found->index;
  }
  Result<std::unique_ptr<SemanticIndex>> built = SemanticIndex::Build(storage, project, space, previous.get());
  if (!built.ok()) return built.status();
  std::shared_ptr<const SemanticIndex> index(std::move(*built));
  std::lock_guard<std::mutex> lock(mu_);
  ++builds_;
  auto old = std::find_if(entries_.begin(), entries_.end(), same_project);
  if (old != entries_.end()) {
    bytes_ -= old->index->Bytes();
    entries_.erase(old);
  }
  if (index->Bytes() > budget_bytes_) return index;
  entries_.push_front({project.tenant, project.id, version, index});
  bytes_ += index->Bytes();
  while (bytes_ > budget_bytes_ && entries_.size() > 1) {
    bytes_ -= entries_.back().index->Bytes();
    entries_.pop_back();
  }
  return index;
}

int64_t SemanticIndexCache::builds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return builds_;
}

size_t SemanticIndexCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace tether::search
