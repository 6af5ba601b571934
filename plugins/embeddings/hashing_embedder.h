// The built-in, offline embedder ("provider": "hashing"): not a neural
// model but a lexical one, so that search works with no service at all.
// A text's features are its words and identifiers, lower-cased, and the
// sub-tokens of each identifier (split at '_', '-', digits and lower-to-
// upper case changes: "jv_parse_sized" gives "jv", "parse", "sized";
// "parseJson" gives "parse", "json"). Each feature is hashed (FNV-1a, 64
// bits) to one of the dimensions with a sign from the hash, weighted
// 1 + ln(count), and the vector is scaled to length 1. Texts sharing words
// point the same way: "parse a json document" finds parseJson.
//
// Thread safety: Embed may be called from several threads at once.
#ifndef TETHER_PLUGINS_EMBEDDINGS_HASHING_EMBEDDER_H_
#define TETHER_PLUGINS_EMBEDDINGS_HASHING_EMBEDDER_H_

#include <string>
#include <vector>

#include "tether/analyzer.h"

namespace tether::embeddings {

class HashingEmbedder : public Embedder {
 public:
  HashingEmbedder(std::string space, int dimensions) : space_(std::move(space)), dimensions_(dimensions) {}

  std::string Space() const override { return space_; }
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override;

  std::vector<float> EmbedOne(const std::string& text) const;

 private:
  std::string space_;
  int dimensions_;
};

}  // namespace tether::embeddings

#endif  // TETHER_PLUGINS_EMBEDDINGS_HASHING_EMBEDDER_H_
