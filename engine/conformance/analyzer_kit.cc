#include "engine/conformance/analyzer_kit.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <iterator>
#include <system_error>
#include <thread>

#include "engine/analyze/analysis_sink.h"
#include "engine/analyze/analyze_project.h"
#include "engine/common/sha256.h"
#include "engine/common/utf8.h"
#include "engine/conformance/step_kit.h"
#include "engine/sync/content_rules.h"

namespace tether::conformance {

namespace {

namespace fs = std::filesystem;

constexpr char kKey[] = "key";
constexpr char kSink[] = "sink";
constexpr char kDeterministic[] = "deterministic";
constexpr char kPath[] = "path-independent";
constexpr char kOrder[] = "order-independent";
constexpr char kThreads[] = "threads";
constexpr char kTimeLimit[] = "time-limit";
constexpr const char* kNoThrow = kNoThrowContract;

constexpr int64_t kTimeLimitMs = 100;
constexpr int64_t kTimeGraceMs = 2000;     // what a call may take past its limit
constexpr int64_t kGenerousLimitMs = 60000;  // the limit of every other call

struct Input {
  std::string name;  // what the report calls it
  std::string language;
  std::string content;
};

// What one call gave: its status, or the host sink's refusal, and the result.
struct Outcome {
  StatusCode code = StatusCode::kOk;
  std::string message;
  std::string data;
  std::vector<Symbol> symbols;

  bool operator==(const Outcome& o) const {
    if (code != o.code || message != o.message || data != o.data || symbols.size() != o.symbols.size()) return false;
    for (size_t i = 0; i < symbols.size(); ++i) {
      const Symbol& a = symbols[i];
      const Symbol& b = o.symbols[i];
      if (a.name != b.name || a.kind != b.kind || a.start_line != b.start_line || a.end_line != b.end_line ||
          a.signature != b.signature || a.parent != b.parent || a.doc != b.doc) {
        return false;
      }
    }
    return true;
  }
  std::string Summary() const {
    if (code != StatusCode::kOk) return std::string(StatusCodeName(code)) + ": " + message;
    return std::to_string(data.size()) + " bytes of data and " + std::to_string(symbols.size()) + " symbols";
  }
};

std::string Cut(const std::string& text) { return text.size() <= 160 ? text : text.substr(0, 160) + "..."; }

std::string SymbolText(const Symbol& s) {
  return s.kind + " " + s.name + " lines " + std::to_string(s.start_line) + "-" + std::to_string(s.end_line);
}

// How `b` differs from `a`, for a report: "{...} then {...}".
std::string Difference(const Outcome& a, const Outcome& b) {
  if (a.code != b.code || a.message != b.message) return a.Summary() + ", then " + b.Summary();
  if (a.data != b.data) return "data " + Cut(a.data) + ", then " + Cut(b.data);
  if (a.symbols.size() != b.symbols.size()) {
    return std::to_string(a.symbols.size()) + " symbols, then " + std::to_string(b.symbols.size());
  }
  for (size_t i = 0; i < a.symbols.size(); ++i) {
    Outcome one;
    Outcome other;
    one.symbols = {a.symbols[i]};
    other.symbols = {b.symbols[i]};
    if (!(one == other)) {
      return "symbol " + std::to_string(i + 1) + " " + Cut(SymbolText(a.symbols[i])) + ", then " +
             Cut(SymbolText(b.symbols[i])) + " (or its signature, parent or doc)";
    }
  }
  return "the same";
}

// Forwards to the host's sink and remembers the first thing it refused.
class CheckingSink : public AnalysisSink {
 public:
  Status SetData(std::string_view json) override { return Note("SetData", host_.SetData(json)); }
  Status AddSymbol(const Symbol& symbol) override { return Note("AddSymbol(" + symbol.name + ")", host_.AddSymbol(symbol)); }
  AnalysisResult Take() { return host_.Take(); }
  const std::string& refused() const { return refused_; }

 private:
  Status Note(const std::string& call, Status status) {
    if (!status.ok() && refused_.empty()) refused_ = call + " was refused: " + status.message();
    return status;
  }
  analyze::ResultSink host_;
  std::string refused_;
};

std::string Repeat(const std::string& unit, size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (size_t i = 0; i < times; ++i) out += unit;
  return out;
}

std::vector<Input> Corpus() {
  std::vector<Input> corpus = {
      {"a C file", "c",
       "#include <stdio.h>\n\n/* Adds two numbers. */\nstatic int add(int a, int b) { return a + b; }\n\n"
       "struct point { int x, y; };\n\nint main(void) {\n  printf(\"%d\\n\", add(1, 2));  // TODO: more\n"
       "  return 0;\n}\n"},
      {"a C++ file", "cpp",
       "namespace geo {\n// A shape.\nclass Shape {\n public:\n  virtual ~Shape() = default;\n"
       "  virtual double Area() const = 0;\n};\n\nclass Square : public Shape {\n public:\n"
       "  explicit Square(double side) : side_(side) {}\n  double Area() const override { return side_ * side_; }\n\n"
       " private:\n  double side_;\n};\n}  // namespace geo\n"},
      {"a Python file", "python",
       "\"\"\"A module.\"\"\"\n\n\nclass Stack:\n    \"\"\"A stack.\"\"\"\n\n    def __init__(self):\n"
       "        self.items = []\n\n    def push(self, item):\n        self.items.append(item)\n\n\n"
       "def main():\n    s = Stack()\n    s.push(1)  # FIXME: more\n\n\nif __name__ == \"__main__\":\n    main()\n"},
      {"a JavaScript file", "javascript",
       "export function greet(name) {\n  return `hello ${name}`;\n}\n\nexport class Counter {\n  constructor() {\n"
       "    this.n = 0;\n  }\n  increment() {\n    return ++this.n;\n  }\n}\n"},
      {"a Go file", "go",
       "package main\n\nimport \"fmt\"\n\n// Point is a point.\ntype Point struct{ X, Y int }\n\n"
       "func (p Point) Sum() int { return p.X + p.Y }\n\nfunc main() { fmt.Println(Point{1, 2}.Sum()) }\n"},
      {"a Rust file", "rust",
       "/// A point.\npub struct Point { x: i32, y: i32 }\n\nimpl Point {\n    pub fn sum(&self) -> i32 { self.x + self.y }\n}\n\n"
       "fn main() { println!(\"{}\", Point { x: 1, y: 2 }.sum()); }\n"},
      {"a Java file", "java",
       "package demo;\n\n/** A greeter. */\npublic class Greeter {\n  private final String name;\n\n"
       "  public Greeter(String name) { this.name = name; }\n\n  public String greet() { return \"hello \" + name; }\n}\n"},
      {"a Markdown file", "markdown",
       "# Title\n\nSome text.\n\n## Section\n\n- a list\n- TODO: an item\n\n```c\nint x;\n```\n"},
      {"a text file of no known language", "", "plain text\nwith two lines\n"},
      {"an empty blob", "cpp", ""},
      {"CRLF line ends", "c", "int a;\r\nint b;\r\n/* TODO */\r\nint f(void) { return a; }\r\n"},
      {"multibyte text", "c", "int \xc3\xa9t\xc3\xa9 = 1; /* \xe2\x9c\x93 \xf0\x9f\x98\x80 */\nint x;\n"},
      {"20,000 short lines", "javascript", Repeat("var a = 1;\n", 20000)},
      {"5,000 nested brackets", "python", "x = " + Repeat("(\n", 5000) + Repeat(")\n", 5000)},
      {"an unclosed comment and string", "cpp", "int main() {\n  /* never closed\n  const char* s = \"also never\n"},
  };
  return corpus;
}

// A large, valid program for the time limit: about 2 MiB of C.
Input LargeInput() {
  std::string content;
  for (int i = 0; content.size() < (size_t{2} << 20); ++i) {
    const std::string n = std::to_string(i);
    content += "/* function " + n + ": TODO */\nstatic int f" + n + "(int a, int b) {\n  if (a > b) { return a - b; }\n"
               "  for (int i = 0; i < a; ++i) { b += i * " + n + "; }\n  return a + b;\n}\n\n";
  }
  return {"2 MiB of C", "c", std::move(content)};
}

bool KeyFieldOk(const std::string& field, bool may_be_empty) {
  if (field.empty()) return may_be_empty;
  return field.size() <= 64 &&
         std::all_of(field.begin(), field.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

class AnalyzerKit {
 public:
  AnalyzerKit(Analyzer* analyzer, const AnalyzerKitOptions& options, ContractLog* log)
      : analyzer_(analyzer), options_(options), log_(log) {}

  Status Run();

 private:
  // One call of Analyze: an exception breaks "no-throw", what the sink
  // refused breaks "sink".
  Outcome Analyze(const Input& input, const std::string& path, int64_t time_limit_ms);
  Status ReadAuthorInputs(std::vector<Input>* corpus) const;
  void CheckKey();
  void CheckThreads(const std::vector<Input>& corpus, const std::vector<Outcome>& first);
  void CheckTimeLimit();
  void CheckRepositoryStep();

  Analyzer* analyzer_;
  const AnalyzerKitOptions& options_;
  ContractLog* log_;
};

Outcome AnalyzerKit::Analyze(const Input& input, const std::string& path, int64_t time_limit_ms) {
  const std::string blob_id = "sha256:" + Sha256Hex(input.content);
  AnalysisInput in;
  in.blob_id = blob_id;
  in.content = input.content;
  in.language = input.language;
  in.path = path;
  in.time_limit_ms = time_limit_ms;
  CheckingSink sink;
  Outcome outcome;
  const Status status = Guarded(log_, "Analyze of " + input.name, [&] { return analyzer_->Analyze(in, &sink); });
  if (!sink.refused().empty()) {
    log_->Broken(kSink, "Analyze of " + input.name + " (" + (input.language.empty() ? "no language" : input.language) +
                            "): " + sink.refused());
  } else {
    log_->Held(kSink);
  }
  outcome.code = status.code();
  outcome.message = status.message();
  if (status.ok()) {
    AnalysisResult result = sink.Take();
    outcome.data = std::move(result.data);
    outcome.symbols = std::move(result.symbols);
  }
  return outcome;
}

void AnalyzerKit::CheckKey() {
  AnalyzerKey first;
  AnalyzerKey second;
  try {
    first = analyzer_->Key();
    second = analyzer_->Key();
    log_->Held(kNoThrow);
  } catch (const std::exception& e) {
    log_->Broken(kNoThrow, std::string("Key() threw an exception: ") + e.what());
    return;
  }
  const std::string shown = "{\"" + first.id + "\", \"" + first.version + "\", \"" + first.settings_hash + "\"}";
  if (!KeyFieldOk(first.id, false) || !KeyFieldOk(first.version, false) || !KeyFieldOk(first.settings_hash, true)) {
    log_->Broken(kKey, "Key() gave " + shown +
                           "; each field is printable ASCII without spaces, 1 to 64 bytes (settings_hash may be empty)");
  } else if (first.id != second.id || first.version != second.version || first.settings_hash != second.settings_hash) {
    log_->Broken(kKey, "Key() gave " + shown + ", then {\"" + second.id + "\", \"" + second.version + "\", \"" +
                           second.settings_hash + "\"}; a key is the same for the life of the object");
  } else {
    log_->Held(kKey);
  }
}

void AnalyzerKit::CheckThreads(const std::vector<Input>& corpus, const std::vector<Outcome>& first) {
  const int threads = std::max(2, options_.threads);
  std::vector<std::string> failures(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int round = 0; round < 2 && failures[t].empty(); ++round) {
        for (size_t i = 0; i < corpus.size(); ++i) {
          const size_t at = (i * (t + 1) + static_cast<size_t>(round)) % corpus.size();
          const Outcome outcome = Analyze(corpus[at], "src/first/file", kGenerousLimitMs);
          if (!(outcome == first[at])) {
            failures[t] = "Analyze of " + corpus[at].name + " alone, then on thread " + std::to_string(t) +
                          " with others at once, gave " + Difference(first[at], outcome);
            return;
          }
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (const std::string& failure : failures) {
    if (!failure.empty()) {
      log_->Broken(kThreads, failure + " (" + std::to_string(threads) + " threads at once, each in another order)");
      return;
    }
  }
  log_->Held(kThreads);
}

void AnalyzerKit::CheckTimeLimit() {
  const Input large = LargeInput();
  const auto start = std::chrono::steady_clock::now();
  const Outcome outcome = Analyze(large, "src/large.c", kTimeLimitMs);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (took.count() > kTimeLimitMs + kTimeGraceMs) {
    log_->Broken(kTimeLimit, "Analyze of " + large.name + " with time_limit_ms " + std::to_string(kTimeLimitMs) +
                                 " returned after " + std::to_string(took.count()) + " ms (" + outcome.Summary() +
                                 "); past its limit it returns Unavailable");
  } else {
    log_->Held(kTimeLimit);
  }
}

Status AnalyzerKit::ReadAuthorInputs(std::vector<Input>* corpus) const {
  if (options_.inputs.empty()) return Status::Ok();
  std::error_code error;
  if (!fs::is_directory(options_.inputs, error)) {
    return Status::InvalidArgument("--inputs " + options_.inputs.string() + " is not a folder");
  }
  size_t added = 0;
  for (fs::recursive_directory_iterator it(options_.inputs, error), end; !error && it != end; it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    const std::string path = it->path().lexically_relative(options_.inputs).generic_string();
    std::ifstream in(it->path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The engine would not pass it either: binary, or over its default limit.
    const bool binary = !IsValidUtf8(content) || content.find('\0') != std::string::npos;
    if (binary || content.size() > analyze::AnalyzeOptions().max_bytes) {
      continue;
    }
    corpus->push_back({"the author's " + ShownPath(path), sync::DetectLanguage(path), std::move(content)});
    ++added;
  }
  if (error) return Status::InvalidArgument("cannot list --inputs " + options_.inputs.string() + ": " + error.message());
  if (added == 0) return Status::InvalidArgument("--inputs " + options_.inputs.string() + " has no text file");
  return Status::Ok();
}

void AnalyzerKit::CheckRepositoryStep() {
  if (!options_.knows_steps) {
    SkipStep(log_, "the analyzer is built for an SDK before 3.3, without repository steps");
    return;
  }
  RepositoryStep* step = nullptr;
  const Status asked = Guarded(log_, "Repository", [&]() -> Status {
    step = analyzer_->Repository();
    return Status::Ok();
  });
  if (!asked.ok() || step == nullptr) {
    SkipStep(log_, asked.ok() ? "the analyzer has no repository step" : "Repository() failed");
    return;
  }
  StepKitOptions step_options;
  step_options.needed = options_.needed;
  CheckStep(step, step_options, log_);
}

Status AnalyzerKit::Run() {
  CheckKey();
  bool blobs = true;
  if (options_.knows_steps) {
    try {
      blobs = analyzer_->AnalysesBlobs();
    } catch (const std::exception& e) {
      log_->Broken(kNoThrow, std::string("AnalysesBlobs() threw an exception: ") + e.what());
    }
  }
  CheckRepositoryStep();
  if (!blobs) {
    for (const char* id : {kSink, kDeterministic, kPath, kOrder, kThreads, kTimeLimit}) {
      log_->Skip(id, "the analyzer is a repository step alone (AnalysesBlobs is false)");
    }
    return Status::Ok();
  }
  std::vector<Input> corpus = Corpus();
  TETHER_RETURN_IF_ERROR(ReadAuthorInputs(&corpus));

  // Each input alone, then again, and under another path.
  std::vector<Outcome> first;
  for (const Input& input : corpus) {
    first.push_back(Analyze(input, "src/first/file", kGenerousLimitMs));
    const Outcome again = Analyze(input, "src/first/file", kGenerousLimitMs);
    if (!(again == first.back())) {
      log_->Broken(kDeterministic, "Analyze of " + input.name + " twice gave " + Difference(first.back(), again));
    } else {
      log_->Held(kDeterministic);
    }
    const Outcome elsewhere = Analyze(input, "another/place/" + std::to_string(first.size()) + ".txt", kGenerousLimitMs);
    if (!(elsewhere == first.back())) {
      log_->Broken(kPath, "Analyze of " + input.name + " at one path, then another, gave " +
                              Difference(first.back(), elsewhere));
    } else {
      log_->Held(kPath);
    }
  }
  // The corpus backwards: nothing carries from one call to the next.
  for (size_t i = corpus.size(); i-- > 0;) {
    const Outcome outcome = Analyze(corpus[i], "src/first/file", kGenerousLimitMs);
    if (!(outcome == first[i])) {
      log_->Broken(kOrder, "Analyze of " + corpus[i].name + " in the first order, then after " +
                               (i + 1 < corpus.size() ? corpus[i + 1].name : std::string("the whole corpus")) +
                               ", gave " + Difference(first[i], outcome));
    } else {
      log_->Held(kOrder);
    }
  }
  CheckThreads(corpus, first);
  CheckTimeLimit();
  return Status::Ok();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& AnalyzerContracts() {
  static const std::vector<std::pair<std::string, std::string>> kContracts = {
      {kKey, "Key() is printable ASCII without spaces, 1 to 64 bytes a field, and never changes"},
      {kSink, "What Analyze puts is what the host's sink accepts: one JSON object of at most 1 MiB, symbols "
              "with a name, a kind and lines in order"},
      {kDeterministic, "The same bytes and language give the same output"},
      {kPath, "The output does not depend on the path"},
      {kOrder, "The output does not depend on what was analysed before"},
      {kThreads, "Calls on several threads at once give what each gives alone"},
      {kTimeLimit, "A call returns soon after its time limit (Unavailable when it ran out)"},
      {kNoThrow, "No exception crosses the plugin boundary: every call returns"},
  };
  static const std::vector<std::pair<std::string, std::string>> kWithSteps = [] {
    std::vector<std::pair<std::string, std::string>> all(kContracts.begin(), kContracts.end() - 1);
    all.insert(all.end(), StepContracts().begin(), StepContracts().end());
    all.push_back(kContracts.back());  // no-throw last
    return all;
  }();
  return kWithSteps;
}

Status CheckAnalyzer(Analyzer* analyzer, const AnalyzerKitOptions& options, Report* report) {
  ContractLog log(AnalyzerContracts());
  AnalyzerKit kit(analyzer, options, &log);
  const Status status = kit.Run();
  *report = log.Finish();
  return status;
}

}  // namespace tether::conformance
