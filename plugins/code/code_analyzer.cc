#include "code_analyzer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "analysis.h"
#include "text.h"

namespace tether {
namespace code {
namespace {

// The imports' share of the data object (the sink takes 1 MiB at most).
constexpr size_t kMaxImportsJsonBytes = 256 * 1024;

// The grammar for an engine language name; "" when none parses it.
std::string GrammarFor(const std::string& language) {
  if (language == "shell") return "bash";
  if (language == "c" || language == "cpp" || language == "python" || language == "javascript" ||
      language == "typescript" || language == "go" || language == "rust" || language == "java" ||
      language == "markdown") {
    return language;
  }
  return "";
}

// A second grammar worth trying when the first finds errors, and the
// language that choosing it means.
std::pair<std::string, std::string> Alternative(const std::string& grammar) {
  if (grammar == "cpp") return {"c", "c"};
  if (grammar == "typescript") return {"tsx", "typescript"};
  return {"", ""};
}

template <typename Writer>
void WriteLines(Writer* writer, const LineCounts& lines) {
  writer->Key("lines");
  writer->StartObject();
  writer->Key("code");
  writer->Int64(lines.code);
  writer->Key("comment");
  writer->Int64(lines.comment);
  writer->Key("blank");
  writer->Int64(lines.blank);
  writer->EndObject();
}

}  // namespace

Result<std::unique_ptr<CodeAnalyzer>> CodeAnalyzer::Create(const std::string& plugin_name,
                                                           const std::string& settings_json) {
  Result<CodeSettings> settings = ParseSettings(plugin_name, settings_json);
  if (!settings.ok()) return settings.status();
  std::unique_ptr<CodeAnalyzer> analyzer(new CodeAnalyzer(settings.value()));
  for (const std::string& name : GrammarNames()) analyzer->grammars_[name] = std::make_unique<LazyGrammar>();
  return analyzer;
}

AnalyzerKey CodeAnalyzer::Key() const { return AnalyzerKey{"code", kCodeAnalyzerVersion, SettingsHash(settings_)}; }

Result<const CompiledLanguage*> CodeAnalyzer::Grammar(const std::string& name) const {
  auto it = grammars_.find(name);
  if (it == grammars_.end()) return Status::NotFound("no grammar \"" + name + "\"");
  LazyGrammar& lazy = *it->second;
  std::call_once(lazy.once, [&] {
    Result<std::unique_ptr<CompiledLanguage>> compiled = Compile(FindGrammar(name));
    if (compiled.ok()) lazy.compiled = std::move(compiled).value();
    else lazy.error = compiled.status();
  });
  if (!lazy.compiled) return lazy.error;
  return static_cast<const CompiledLanguage*>(lazy.compiled.get());
}

Status CodeAnalyzer::Analyze(const AnalysisInput& input, AnalysisSink* sink) {
  std::string language(input.language);
  if (language.empty()) language = LanguageFromShebang(input.content);
  const std::string what = input.path.empty() ? "blob " + std::string(input.blob_id) : std::string(input.path);

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();

  std::string grammar = GrammarFor(language);
  const CompiledLanguage* compiled = nullptr;
  if (!grammar.empty()) {
    Result<const CompiledLanguage*> found = Grammar(grammar);
    if (!found.ok() && found.status().code() != StatusCode::kNotFound) return found.status();
    if (found.ok()) compiled = *found;
  }
  if (compiled == nullptr) {
    // A language without a grammar: blank and non-blank lines only.
    writer.Key("language");
    writer.String(language.c_str(), static_cast<rapidjson::SizeType>(language.size()));
    WriteLines(&writer, CountLines(input.content, {}));
    writer.EndObject();
    return sink->SetData(std::string_view(buffer.GetString(), buffer.GetSize()));
  }

  // A C file (a header, mostly) that says it is C++ in its code is parsed
  // as C++ first, and as C only when that finds errors; any other C file is
  // C. Trying both grammars on every C file with an error (a macro the
  // grammar cannot place is enough) would parse most of a C project twice.
  bool c_as_cpp = false;
  if (grammar == "c" && LooksLikeCpp(input.content)) {
    grammar = "cpp";
    language = "cpp";
    Result<const CompiledLanguage*> cpp = Grammar(grammar);
    if (!cpp.ok()) return cpp.status();
    compiled = *cpp;
    c_as_cpp = true;
  }
  const Deadline deadline(input.time_limit_ms);
  Analysis analysis;
  TETHER_RETURN_IF_ERROR(AnalyzeWithGrammar(*compiled, input.content, deadline, what, &analysis));
  const auto [other_grammar, other_language] = Alternative(grammar);
  if (analysis.parse_errors > 0 && !other_grammar.empty() && (grammar != "cpp" || c_as_cpp)) {
    Analysis other;
    Result<const CompiledLanguage*> alternative = Grammar(other_grammar);
    if (!alternative.ok()) return alternative.status();
    TETHER_RETURN_IF_ERROR(AnalyzeWithGrammar(**alternative, input.content, deadline, what, &other));
    // C keeps a tie: C++ must find fewer errors to be chosen.
    if (c_as_cpp ? other.parse_errors <= analysis.parse_errors : other.parse_errors < analysis.parse_errors) {
      analysis = std::move(other);
      grammar = other_grammar;
      language = other_language;
    }
  }

  bool symbols_truncated = false;
  size_t added = 0;
  for (const Symbol& symbol : analysis.symbols) {
    if (added == kMaxSymbols) {
      symbols_truncated = true;
      break;
    }
    TETHER_RETURN_IF_ERROR(sink->AddSymbol(symbol));
    ++added;
  }

  writer.Key("language");
  writer.String(language.c_str(), static_cast<rapidjson::SizeType>(language.size()));
  writer.Key("grammar");
  writer.String(grammar.c_str(), static_cast<rapidjson::SizeType>(grammar.size()));
  WriteLines(&writer, analysis.lines);
  writer.Key("imports");
  writer.StartArray();
  size_t import_bytes = 0;
  bool imports_truncated = analysis.imports_truncated;
  for (const std::string& import : analysis.imports) {
    import_bytes += import.size() + 8;
    if (import_bytes > kMaxImportsJsonBytes) {
      imports_truncated = true;
      break;
    }
    writer.String(import.c_str(), static_cast<rapidjson::SizeType>(import.size()));
  }
  writer.EndArray();
  if (imports_truncated) {
    writer.Key("imports_truncated");
    writer.Bool(true);
  }
  writer.Key("symbols");
  writer.Uint64(added);
  if (symbols_truncated) {
    writer.Key("symbols_truncated");
    writer.Bool(true);
    writer.Key("symbols_found");
    writer.Uint64(analysis.symbols.size());
  }
  if (!analysis.symbols_skipped.empty()) {
    writer.Key("symbols_skipped");
    writer.String(analysis.symbols_skipped.c_str(),
                  static_cast<rapidjson::SizeType>(analysis.symbols_skipped.size()));
  }
  writer.Key("parse_errors");
  writer.Int64(analysis.parse_errors);
  writer.EndObject();
  return sink->SetData(std::string_view(buffer.GetString(), buffer.GetSize()));
}

namespace {

Result<std::unique_ptr<Plugin>> CreateCodeAnalyzer(const PluginContext& context) {
  Result<std::unique_ptr<CodeAnalyzer>> analyzer = CodeAnalyzer::Create(context.name, context.settings_json);
  if (!analyzer.ok()) return analyzer.status();
  return std::unique_ptr<Plugin>(std::move(analyzer).value().release());
}

}  // namespace

}  // namespace code
}  // namespace tether

TETHER_PLUGIN(TETHER_PLUGIN_ANALYZER, "code", tether::code::kCodeAnalyzerVersion,
              "Symbols, imports and line counts of source code (tree-sitter: c, cpp, python, javascript, "
              "typescript, go, rust, java, shell, markdown)",
              tether::code::CreateCodeAnalyzer)
