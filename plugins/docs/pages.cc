#include "pages.h"

#include <algorithm>
#include <set>
#include <utility>

#include <rapidjson/document.h>

#include "shared/docs_paths.h"
#include "shared/percent_encoding.h"

namespace tether::docs {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::pair<std::string, std::string> SplitPath(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash + 1))};
}

// A relative link from the page at `from` to the page at `to` (both site
// paths), percent-encoded.
std::string Link(const std::string& from, const std::string& to) {
  size_t depth = static_cast<size_t>(std::count(from.begin(), from.end(), '/'));
  std::string up;
  for (size_t i = 0; i < depth; ++i) up += "../";
  return up + PercentEncode(to, "/");
}

// ---- Markdown text -------------------------------------------------------------

// `text` as literal Markdown inline text: the characters that could start
// emphasis, code, links, HTML, entities, tables or headings escaped; line
// breaks as spaces. Text always follows a prefix of ours ("# ", "| ",
// "> "), so line-start constructs need no more.
std::string Text(std::string_view text) {
  static constexpr std::string_view kSpecial = "\\`*_[]<>|~!&#";
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (kSpecial.find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

// `code` in a fenced block whose fence no line of it can close.
std::string Fenced(std::string_view code, std::string_view language) {
  size_t longest = 0, run = 0;
  for (char c : code) {
    run = c == '~' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<size_t>(3, longest + 1), '~');
  std::string info;
  for (char c : language) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-') info += c;
  }
  return fence + info + "\n" + std::string(code) + "\n" + fence + "\n";
}

// A doc comment as a quote, line by line.
std::string Quote(std::string_view doc) {
  std::string out;
  size_t start = 0;
  while (start <= doc.size()) {
    size_t end = doc.find('\n', start);
    if (end == std::string_view::npos) end = doc.size();
    std::string_view line = doc.substr(start, end - start);
    out += line.empty() ? ">\n" : "> " + Text(line) + "  \n";
    start = end + 1;
  }
  return out;
}

std::string LineRange(const Symbol& s) {
  return s.start_line == s.end_line ? "line " + std::to_string(s.start_line)
                                    : "lines " + std::to_string(s.start_line) + "–" + std::to_string(s.end_line);
}

std::string FirstLine(std::string_view text) { return std::string(text.substr(0, text.find('\n'))); }

// At most `max` bytes of `text`, cut before a UTF-8 character, with "…"
// when cut.
std::string Clip(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

// The symbols a map shows of a file: its functions and types, not their
// members.
bool MapWorthy(const Symbol& s) {
  static const std::set<std::string> kKinds = {"function", "class", "struct", "interface", "trait",
                                               "enum", "type", "union", "record"};
  return kKinds.count(s.kind) != 0;
}

}  // namespace

FileFacts FactsOf(const RepositoryFile& file, const AnalysisResult& result) {
  FileFacts f;
  f.path = file.path;
  f.language = file.language;
  if (!result.language.empty()) f.language = result.language;
  if (result.outcome != AnalysisOutcome::kAnalyzed) {
    f.outcome = AnalysisOutcomeName(result.outcome);
    f.reason = result.reason;
    return f;
  }
  f.analysed = true;
  f.symbols = result.symbols;
  f.symbol_count = static_cast<int64_t>(f.symbols.size());
  for (const Symbol& s : f.symbols) {
    if (s.doc.empty()) continue;
    f.summary = Clip(FirstLine(s.doc), 160);
    break;
  }
  rapidjson::Document data;
  data.Parse(result.data.c_str(), result.data.size());
  if (data.HasParseError() || !data.IsObject()) return f;
  if (data.HasMember("language") && data["language"].IsString()) f.language = data["language"].GetString();
  if (data.HasMember("lines") && data["lines"].IsObject()) {
    const rapidjson::Value& lines = data["lines"];
    auto count = [&](const char* key) -> int64_t {
      return lines.HasMember(key) && lines[key].IsInt64() ? lines[key].GetInt64() : 0;
    };
    f.code = count("code");
    f.comment = count("comment");
    f.blank = count("blank");
  }
  if (data.HasMember("imports") && data["imports"].IsArray()) {
    for (const rapidjson::Value& i : data["imports"].GetArray()) {
      if (i.IsString()) f.imports.emplace_back(i.GetString(), i.GetStringLength());
    }
  }
  return f;
}


std::string FilePage(const FileFacts& f, const std::vector<std::vector<std::string>>& resolved) {
  const std::string site = FilePagePath(f.path);
  std::string md;
  const auto [dir, name] = SplitPath(f.path);
  md += "# " + Text(f.path) + "\n\n";
  md += "[Index of " + Text(dir.empty() ? "the project" : dir + "/") + "](" +
        Link(site, IndexPagePath(dir)) + ")\n\n";
  std::string facts = f.language.empty() ? "Language unknown" : Text(f.language);
  if (f.Lines() >= 0) {
    facts += " · " + std::to_string(f.Lines()) + " lines (" + std::to_string(f.code) + " code, " +
             std::to_string(f.comment) + " comment, " + std::to_string(f.blank) + " blank)";
  }
  if (!f.analysed) {
    md += facts + "\n\nNot analysed: " + Text(f.outcome) + (f.reason.empty() ? "" : " (" + Text(f.reason) + ")") + ".\n";
    return md;
  }
  md += facts + " · " + std::to_string(f.symbols.size()) + (f.symbols.size() == 1 ? " symbol" : " symbols") + "\n\n";
  if (!f.imports.empty()) {
    md += "## Imports\n\n";
    for (size_t i = 0; i < f.imports.size(); ++i) {
      md += "- " + Text(f.imports[i]);
      const std::vector<std::string> none;
      const std::vector<std::string>& targets = i < resolved.size() ? resolved[i] : none;
      for (size_t j = 0; j < targets.size(); ++j) {
        md += (j == 0 ? ": " : ", ") + std::string("[") + Text(targets[j]) + "](" +
              Link(site, FilePagePath(targets[j])) + ")";
      }
      md += "\n";
    }
    md += "\n";
  }
  if (f.symbols.empty()) return md;
  md += "## Symbols\n\n";
  for (const Symbol& s : f.symbols) {
    md += "### " + Text(s.name) + "\n\n";
    md += Text(s.kind) + (s.parent.empty() ? "" : " in " + Text(s.parent)) + ", " + LineRange(s) + "\n\n";
    if (!s.signature.empty()) md += Fenced(s.signature, f.language) + "\n";
    if (!s.doc.empty()) md += Quote(s.doc) + "\n";
  }
  return md;
}

std::string IndexPage(const std::string& dir, int64_t file_count, const std::vector<ChildDirectory>& dirs,
                      const std::vector<FileFacts>& files, const std::string& project_name, const std::string& map,
                      const std::string& readme) {
  const std::string site = IndexPagePath(dir);
  std::string md;
  const std::string count = std::to_string(file_count) + (file_count == 1 ? " file" : " files");
  if (dir.empty()) {
    md += "# " + Text(project_name) + "\n\n" + count + ".\n\n";
  } else {
    const std::string parent = SplitPath(dir).first;
    md += "# " + Text(dir + "/") + "\n\n";
    md += "[Up to " + Text(parent.empty() ? "the project" : parent + "/") + "](" + Link(site, IndexPagePath(parent)) +
          ") · " + count + "\n\n";
  }
  if (!dirs.empty()) {
    md += "## Directories\n\n| Directory | Files |\n|---|---|\n";
    for (const ChildDirectory& child : dirs) {
      const std::string child_dir = dir.empty() ? child.name : dir + "/" + child.name;
      md += "| [" + Text(child.name + "/") + "](" + Link(site, IndexPagePath(child_dir)) + ") | " +
            std::to_string(child.files) + " |\n";
    }
    md += "\n";
  }
  if (!files.empty()) {
    md += "## Files\n\n| File | Language | Lines | Symbols | Summary |\n|---|---|---|---|---|\n";
    for (const FileFacts& f : files) {
      const std::string name = SplitPath(f.path).second;
      md += "| [" + Text(name) + "](" + Link(site, FilePagePath(f.path)) + ") | " + Text(f.language) + " | " +
            (f.Lines() >= 0 ? std::to_string(f.Lines()) : "") + " | " +
            (f.analysed ? std::to_string(f.symbol_count) : Text(f.outcome)) + " | " + Text(f.summary) + " |\n";
    }
    md += "\n";
  }
  if (!dir.empty()) return md;
  md += map;
  if (!readme.empty()) md += "## README\n\n" + readme + (EndsWith(readme, "\n") ? "" : "\n");
  return md;
}

std::string RepositoryMap(const std::vector<MapEntry>& entries) {
  constexpr size_t kSymbols = 8;
  if (entries.empty()) return "";
  const std::string from = IndexPagePath("");
  std::string md = "## Repository map\n\nThe files the rest of the project imports most, with their main symbols.\n\n";
  for (const MapEntry& e : entries) {
    md += "- [" + Text(e.path) + "](" + Link(from, FilePagePath(e.path)) + "), imported by " +
          std::to_string(e.importers) + (e.importers == 1 ? " file" : " files") + "\n";
    size_t shown = 0;
    for (const Symbol& s : e.symbols) {
      if (!MapWorthy(s) || shown == kSymbols) continue;
      md += "  - " + Text(s.kind) + " " + Text(s.name) + (s.signature.empty() ? "" : ": " + Text(Clip(s.signature, 120))) + "\n";
      ++shown;
    }
  }
  return md + "\n";
}

}  // namespace tether::docs
