// tether search: a project's synced code searched by text or by symbol name
// (engine/search, the same use case as GET /api/v1/search).
#include <cstdio>

#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/common/json_writer.h"
#include "engine/search/search.h"

namespace tether::cli {
namespace {

// The option a request's field came from, for an error message.
std::string OptionOf(const std::string& field) {
  if (field == "query") return "the query";
  if (field == "case_sensitive") return "--case-sensitive";
  return "--" + field;
}

// A line of code for the terminal: what Shown escapes (control characters
// that could drive it), but tabs and backslashes as they are.
std::string ShownCode(std::string_view line) {
  std::string out, run;
  for (char c : line) {
    if (c != '\t' && c != '\\') {
      run += c;
      continue;
    }
    out += Shown(run) + c;
    run.clear();
  }
  return out + Shown(run);
}

}  // namespace

int RunSearch(const Invocation& inv, const SearchOptions& options) {
  std::optional<search::SearchMode> mode = search::ParseSearchMode(options.mode);
  if (!mode) {
    return ReportError(inv, Status::InvalidArgument("--mode \"" + options.mode + "\": give text, symbol or semantic"));
  }
  search::SearchRequest request;
  request.project = options.project;
  request.query = options.query;
  request.mode = *mode;
  request.limit = options.limit;
  request.path_prefix = options.path;
  request.case_sensitive = options.case_sensitive;
  request.analyzer = options.analyzer;
  if (std::optional<search::SearchInputError> bad = search::CheckSearchRequest(request)) {
    return ReportError(inv, Status::InvalidArgument(OptionOf(bad->field) + ": " + bad->message));
  }
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());
  Result<std::string> tenant = TenantOf(inv, *db);
  if (!tenant.ok()) return ReportError(inv, tenant.status());
  Result<search::SearchResults> results = search::Search((*runtime)->plugins(), *db, *tenant, request);
  if (!results.ok()) return ReportError(inv, results.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin();
    search::WriteSearchResults(out, *results);
    PrintJson(out.End());
    return kExitOk;
  }
  if (results->hits.empty()) {
    std::fprintf(stderr, "tether: nothing matches \"%s\" in %s (%s search)\n", Shown(options.query).c_str(),
                 Shown(options.project).c_str(), search::SearchModeName(*mode));
    return kExitFailed;
  }
  // grep's shape: path:line: the snippet, its further lines indented.
  for (const search::SearchHit& hit : results->hits) {
    std::string where = Shown(hit.path) + ":" + std::to_string(hit.start_line);
    if (hit.end_line > hit.start_line) where += "-" + std::to_string(hit.end_line);
    std::string snippet = hit.snippet;
    if (*mode == search::SearchMode::kSymbol) snippet = hit.symbol_kind + " " + hit.symbol + ": " + snippet;
    std::string shown;
    size_t start = 0;
    while (true) {
      const size_t end = snippet.find('\n', start);
      shown += (start == 0 ? "" : "\n    ") +
               ShownCode(std::string_view(snippet).substr(start, end == std::string::npos ? end : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    std::printf("%s: %s\n", where.c_str(), shown.c_str());
  }
  if (results->more) std::printf("(more matches: narrow the search with --path, or raise --limit)\n");
  return kExitOk;
}

}  // namespace tether::cli
