// Analyzer: computes derived data (code facts, symbols) from one blob's
// content. Results are keyed by content, never by path or project:
// (blob id, analyzer id, analyzer version, settings hash, language). A blob
// is analysed once, wherever and however often it appears; a rename, a
// branch switched back, a second project on the same repository cost
// nothing. The engine keeps the results through the project's Storage.
//
// The contract that makes that keying right: Analyze is a pure function of
// the blob's bytes, its language and the analyzer's settings. It must not
// read files, the network or the clock, and must give the same output for
// the same input. Whenever its output for the same input may change (a new
// grammar, a fixed bug), the analyzer's version changes; whenever a setting
// that shapes the output changes, its settings hash changes. Either makes
// every stored result of the old key stale: the engine analyses again.
//
// Thread safety: Key is called from any thread. Analyze is called from
// several threads at once, on different blobs; an analyzer that keeps state
// (a parser per thread) manages it itself.
//
// Errors from Analyze: InvalidArgument when the content cannot be analysed
// (the engine records the blob as failed with the message and does not
// retry it until the key changes); Unavailable when the time limit ran out
// or a resource was short (recorded as failed and retried on a later run);
// anything else is recorded as failed and retried. Nothing an analyzer
// returns fails a sync. A crash is not an error: the engine marks each blob
// before it calls Analyze, and a blob that was being analysed in two
// processes that died is never given to the analyzer again ("poison").
#ifndef TETHER_ANALYZER_H_
#define TETHER_ANALYZER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tether/plugin.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {

class RepositoryStep;  // repository_step.h

// Turns texts into vectors (ABI 3.5): a model behind a service, or one
// computed in process. Thread safety: Space is called from any thread;
// Embed from several threads at once.
class Embedder {
 public:
  virtual ~Embedder() = default;

  // The vector space this embedder's vectors live in: the model and the
  // number of dimensions, as one printable ASCII word of 1 to 128 bytes
  // (e.g. "openai/text-embedding-3-small/1536"). Vectors of two spaces are
  // never compared; the same for the life of the object.
  virtual std::string Space() const = 0;

  // One vector per text, in order, each with the space's dimensions, but
  // an empty one for a text the model refused for good (too long for it):
  // the others are kept. Unavailable when the service could not be reached
  // or kept failing (a later call may work); Unauthenticated or
  // PermissionDenied when it refused the credentials. Messages never hold a
  // credential.
  virtual Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) = 0;
};

// Which results an analyzer can reuse. Each field is printable ASCII without
// spaces, 1 to 64 bytes (settings_hash may be empty: no settings).
struct AnalyzerKey {
  std::string id;             // e.g. "code"; usually the plugin's name
  std::string version;        // e.g. "1.0.0"; see the contract above
  std::string settings_hash;  // a digest of the settings that shape the output
};

// One blob to analyse. The views are valid only during the call.
struct AnalysisInput {
  std::string_view blob_id;
  // The whole blob: valid UTF-8 text. The engine never passes a binary
  // blob, one over its size limit, or one it recognises as generated or
  // minified (it records those as skipped, naming the rule).
  std::string_view content;
  // The engine's language for the path it saw the blob at ("cpp",
  // "python"; empty when unknown). Part of the key: the same bytes under
  // another language are another input.
  std::string_view language;
  // One path the blob is at, for messages only: the output must not
  // depend on it.
  std::string_view path;
  // How long the call may take. Past it, return Unavailable (a parser's own
  // timeout is the way); the engine discards a late result.
  int64_t time_limit_ms = 0;
};

// One named thing in a blob, as symbol search and documentation show it.
struct Symbol {
  std::string name;       // e.g. "jv_parse_sized"
  std::string kind;       // "function", "method", "class", "struct", "enum",
                          // "interface", "type", "constant", "variable",
                          // "module", "macro", "heading", ...
  int32_t start_line = 0; // 1-based, inclusive
  int32_t end_line = 0;   // 1-based, inclusive, >= start_line
  std::string signature;  // the declaration as written, on one line; may be empty
  std::string parent;     // the enclosing symbol's name; empty at top level
  std::string doc;        // the doc comment attached to it, without comment
                          // markers; may be empty
};

// Where Analyze puts its output. Owned by the engine, used by one call only.
class AnalysisSink {
 public:
  virtual ~AnalysisSink() = default;
  // The blob's facts as one JSON object, in the analyzer's own schema
  // (stored and served as is). At most once; InvalidArgument for text
  // that is not a JSON object or is over 1 MiB.
  virtual Status SetData(std::string_view json_object) = 0;
  // One symbol. InvalidArgument for an empty name, lines out of order, or
  // more than 100,000 symbols for one blob.
  virtual Status AddSymbol(const Symbol& symbol) = 0;
};

// What became of one (blob, language) under one key, as the storage keeps
// it and repository steps read it.
enum class AnalysisOutcome : int {
  kAnalyzed = 0,  // the analyzer ran; data and symbols are its output
  kFailed = 1,    // the analyzer returned an error (reason)
  kSkipped = 2,   // not given to the analyzer, by a rule (reason names it)
  kPoison = 3,    // never given again: attempts died with their process
};

// A final result for one (blob, language) under one key.
struct AnalysisResult {
  BlobId blob_id;
  std::string language;
  AnalysisOutcome outcome = AnalysisOutcome::kAnalyzed;
  std::string reason;             // why it failed or was skipped; "" when analyzed
  bool retry = false;             // kFailed: may be tried again on a later run
  std::string data;               // kAnalyzed: the analyzer's JSON object
  std::vector<Symbol> symbols;    // kAnalyzed
};

inline const char* AnalysisOutcomeName(AnalysisOutcome outcome) {
  switch (outcome) {
    case AnalysisOutcome::kAnalyzed: return "analyzed";
    case AnalysisOutcome::kFailed: return "failed";
    case AnalysisOutcome::kSkipped: return "skipped";
    case AnalysisOutcome::kPoison: return "poison";
  }
  return "unknown";
}

class Analyzer : public Plugin {
 public:
  // The host reaches an analyzer through the descriptor's kind
  // (TETHER_PLUGIN_ANALYZER): the object tether_plugin_create returns for
  // that kind must be an Analyzer.

  // This analyzer's key for its settings; the same value for the life of
  // the object.
  virtual AnalyzerKey Key() const = 0;

  // Analyses one blob into `sink`. See the contract and errors above.
  virtual Status Analyze(const AnalysisInput& input, AnalysisSink* sink) = 0;

  // ---- ABI 3.3 (the host calls these only on analyzers built for 3.3 or
  // later; older ones analyse blobs and have no repository step) ----

  // Whether Analyze has work: an analyzer made of a repository step alone
  // says false, and the engine never calls its Analyze.
  virtual bool AnalysesBlobs() const { return true; }

  // The analyzer's repository step (repository_step.h), owned by the
  // analyzer and living as long as it; nullptr when it has none.
  virtual RepositoryStep* Repository() { return nullptr; }

  // ---- ABI 3.5 (the host calls this only on analyzers built for 3.5 or
  // later) ----

  // The model an analyzer that stores vectors (an embeddings analyzer)
  // embeds with, so that a search embeds its query the same way; owned by
  // the analyzer and living as long as it; nullptr when it has none.
  virtual Embedder* Embeddings() { return nullptr; }

  // ---- ABI 3.6 (the host calls this only on analyzers built for 3.6 or
  // later) ----

  // An embedder for `space`, another space this analyzer's vectors were
  // made in that it can still embed a query in (the same service, another
  // model or number of dimensions): after a model change, search keeps
  // using a project's vectors of the old space until those of the new one
  // cover it. Owned by the analyzer and living as long as it; nullptr when
  // it cannot. Called from any thread.
  virtual Embedder* EmbeddingsIn(const std::string& space) {
    (void)space;
    return nullptr;
  }
};

}  // namespace tether

#endif  // TETHER_ANALYZER_H_
