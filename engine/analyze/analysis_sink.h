// ResultSink: the engine's AnalysisSink (analyzer.h). It checks what an
// analyzer hands it against the SDK's limits and keeps it as the blob's
// AnalysisResult. One per Analyze call; not thread safe.
#ifndef TETHER_ENGINE_ANALYZE_ANALYSIS_SINK_H_
#define TETHER_ENGINE_ANALYZE_ANALYSIS_SINK_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "tether/analyzer.h"
#include "tether/storage.h"

namespace tether::analyze {

class ResultSink : public AnalysisSink {
 public:
  // The SDK's limits (analyzer.h) and the engine's on each symbol's texts.
  static constexpr size_t kMaxDataBytes = 1 << 20;
  static constexpr size_t kMaxSymbols = 100000;
  static constexpr size_t kMaxNameBytes = 1024;
  static constexpr size_t kMaxKindBytes = 64;
  static constexpr size_t kMaxSignatureBytes = 4096;
  static constexpr size_t kMaxDocBytes = 65536;

  Status SetData(std::string_view json_object) override;
  Status AddSymbol(const Symbol& symbol) override;

  // What was put, as an analyzed result (data "{}" when SetData was not
  // called). The sink is empty afterwards.
  AnalysisResult Take();

 private:
  bool data_set_ = false;
  AnalysisResult result_;
};

}  // namespace tether::analyze

#endif  // TETHER_ENGINE_ANALYZE_ANALYSIS_SINK_H_
