#include "engine/analyze/analysis_sink.h"

#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "engine/common/utf8.h"

namespace tether::analyze {
namespace {

// OK when `text` is valid UTF-8 of at most `max` bytes; names `what` otherwise.
Status CheckText(std::string_view what, std::string_view text, size_t max) {
  if (text.size() > max) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(text.size()) +
                                   " bytes, over the limit of " + std::to_string(max));
  }
  if (!IsValidUtf8(text)) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
  return Status::Ok();
}

bool TextFits(std::string_view text, size_t max) { return text.size() <= max && IsValidUtf8(text); }

}  // namespace

Status ResultSink::SetData(std::string_view json_object) {
  if (data_set_) return Status::InvalidArgument("the blob's data was already set");
  if (json_object.size() > kMaxDataBytes) {
    return Status::InvalidArgument("the blob's data is " + std::to_string(json_object.size()) +
                                   " bytes, over the limit of " + std::to_string(kMaxDataBytes));
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json_object.data(), json_object.size());
  if (doc.HasParseError()) {
    return Status::InvalidArgument(std::string("the blob's data is not JSON: ") +
                                   rapidjson::GetParseError_En(doc.GetParseError()) + " at byte " +
                                   std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return Status::InvalidArgument("the blob's data is JSON but not an object");
  result_.data.assign(json_object.data(), json_object.size());
  data_set_ = true;
  return Status::Ok();
}

Status ResultSink::AddSymbol(const Symbol& symbol) {
  if (result_.symbols.size() >= kMaxSymbols) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxSymbols) + " symbols in one blob");
  }
  if (symbol.name.empty()) return Status::InvalidArgument("a symbol without a name");
  // What a field is called in an error, built only for an error.
  auto of = [&symbol](const char* field) { return std::string(field) + " \"" + symbol.name + "\""; };
  TETHER_RETURN_IF_ERROR(CheckText("symbol name", symbol.name, kMaxNameBytes));
  if (!TextFits(symbol.kind, kMaxKindBytes)) return CheckText(of("kind of symbol"), symbol.kind, kMaxKindBytes);
  if (symbol.kind.empty()) return Status::InvalidArgument("symbol \"" + symbol.name + "\" has no kind");
  if (!TextFits(symbol.signature, kMaxSignatureBytes)) {
    return CheckText(of("signature of"), symbol.signature, kMaxSignatureBytes);
  }
  if (!TextFits(symbol.parent, kMaxNameBytes)) return CheckText(of("parent of"), symbol.parent, kMaxNameBytes);
  if (!TextFits(symbol.doc, kMaxDocBytes)) return CheckText(of("doc of"), symbol.doc, kMaxDocBytes);
  if (symbol.start_line < 1 || symbol.end_line < symbol.start_line) {
    return Status::InvalidArgument("symbol \"" + symbol.name + "\" has lines " + std::to_string(symbol.start_line) +
                                   " to " + std::to_string(symbol.end_line) +
                                   " (1-based, the end not before the start)");
  }
  result_.symbols.push_back(symbol);
  return Status::Ok();
}

AnalysisResult ResultSink::Take() {
  AnalysisResult out = std::move(result_);
  out.outcome = AnalysisOutcome::kAnalyzed;
  if (!data_set_) out.data = "{}";
  result_ = AnalysisResult();
  data_set_ = false;
  return out;
}

}  // namespace tether::analyze
