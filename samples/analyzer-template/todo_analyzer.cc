// todo-analyzer: the smallest useful analyzer. For each text blob it records
// how many lines carry a TODO or FIXME marker, and each such line as a
// symbol of kind "todo", so `tether symbols NAME fix --analyzer
// todo-analyzer` finds them. Start your own analyzer from here.
//
// The contract an analyzer keeps (tether/analyzer.h): its output depends on
// the blob's bytes and language only (never on the path, the order or the
// time), the same bytes give the same output, and nothing it does throws
// across the boundary: errors are Status values.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "tether/analyzer.h"

namespace {

// Bump when the output for the same bytes changes: every blob is analysed
// again under the new key.
const char kVersion[] = "0.1.0";

class TodoAnalyzer : public tether::Analyzer {
 public:
  tether::AnalyzerKey Key() const override { return {"todo-analyzer", kVersion, ""}; }

  tether::Status Analyze(const tether::AnalysisInput& input, tether::AnalysisSink* sink) override {
    int64_t marked = 0;
    int32_t line = 1;
    size_t at = 0;
    while (at <= input.content.size()) {
      size_t end = input.content.find('\n', at);
      if (end == std::string_view::npos) end = input.content.size();
      const std::string_view text = input.content.substr(at, end - at);
      const size_t marker = Marker(text);
      if (marker != std::string_view::npos) {
        ++marked;
        tether::Symbol symbol;
        symbol.name = Name(text.substr(marker));
        symbol.kind = "todo";
        symbol.start_line = line;
        symbol.end_line = line;
        tether::Status added = sink->AddSymbol(symbol);
        if (!added.ok()) return added;
      }
      if (end == input.content.size()) break;
      at = end + 1;
      ++line;
    }
    char data[64];
    std::snprintf(data, sizeof data, "{\"todo_lines\": %lld}", static_cast<long long>(marked));
    return sink->SetData(data);
  }

 private:
  // Where "TODO" or "FIXME" starts in `line`, or npos.
  static size_t Marker(std::string_view line) {
    const size_t todo = line.find("TODO"), fixme = line.find("FIXME");
    return todo < fixme ? todo : fixme;
  }

  // The marker and what follows on its line, at most 80 bytes, never
  // cutting a UTF-8 character in two (a symbol's name must be text; the
  // content always is).
  static std::string Name(std::string_view from_marker) {
    size_t end = from_marker.size() < 80 ? from_marker.size() : 80;
    while (end < from_marker.size() && end > 0 && (static_cast<unsigned char>(from_marker[end]) & 0xC0) == 0x80) {
      --end;
    }
    std::string_view name = from_marker.substr(0, end);
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.remove_suffix(1);
    return std::string(name);
  }
};

tether::Result<std::unique_ptr<tether::Plugin>> CreateTodoAnalyzer(const tether::PluginContext&) {
  return std::unique_ptr<tether::Plugin>(std::make_unique<TodoAnalyzer>());
}

}  // namespace

TETHER_PLUGIN(TETHER_PLUGIN_ANALYZER, "todo-analyzer", "0.1.0",
              "A template analyzer: lines marked TODO or FIXME, as symbols", CreateTodoAnalyzer)
