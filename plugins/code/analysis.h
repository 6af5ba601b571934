// One blob's analysis with one grammar: parse, line counts, symbols, imports.
//
// Thread safety: AnalyzeWithGrammar may run on many threads at once; each
// call has its own parser, tree and tree cursors, and only reads the
// CompiledLanguage it is given.
#ifndef TETHER_PLUGINS_CODE_ANALYSIS_H_
#define TETHER_PLUGINS_CODE_ANALYSIS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "languages.h"
#include "tether/analyzer.h"
#include "tether/status.h"

namespace tether {
namespace code {

// When a call has to give up. Reading the clock changes only whether the
// call fails, never what a successful call returns.
class Deadline {
 public:
  explicit Deadline(int64_t limit_ms);
  bool Passed() const;
  // The microseconds left for a parser (at least 1); 0 means no limit.
  uint64_t RemainingMicros() const;
  int64_t limit_ms() const { return limit_ms_; }

 private:
  int64_t limit_ms_;
  std::chrono::steady_clock::time_point end_;
};

struct LineCounts {
  int64_t code = 0;
  int64_t comment = 0;
  int64_t blank = 0;
};

// Lines of `content` ('\n' ends one; a last line without it counts): blank
// when only whitespace, comment when every other byte is inside one of
// `comments` (sorted, disjoint byte ranges), code otherwise.
LineCounts CountLines(std::string_view content,
                      const std::vector<std::pair<uint32_t, uint32_t>>& comments);

struct Analysis {
  LineCounts lines;
  std::vector<std::string> imports;      // as written, first occurrence order
  bool imports_truncated = false;
  std::vector<Symbol> symbols;           // in source order
  int64_t parse_errors = 0;              // ERROR and MISSING nodes
  std::string symbols_skipped;           // why no symbols were looked for; "" when they were
};

// Parses `content` with `language` and fills `out`. Unavailable when the
// deadline passes (the message names `what` and the limit).
Status AnalyzeWithGrammar(const CompiledLanguage& language, std::string_view content,
                          const Deadline& deadline, std::string_view what, Analysis* out);

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_ANALYSIS_H_
