#include "engine/docs/docs_site.h"

#include <cmark.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <rapidjson/document.h>

#include "engine/docs/repo_map.h"
#include "shared/percent_encoding.h"

namespace tether::docs {
namespace {

// ---- names -----------------------------------------------------------------

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string SiteDirectory(std::string_view dir) {
  std::string out;
  size_t start = 0;
  while (start < dir.size()) {
    size_t slash = dir.find('/', start);
    if (slash == std::string_view::npos) slash = dir.size();
    std::string component(dir.substr(start, slash - start));
    if (EndsWith(component, ".md") || EndsWith(component, "_")) component += "_";
    out += component + "/";
    start = slash + 1;
  }
  return out;  // "" or "a/b/"
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

// ---- what a file shows -------------------------------------------------------

struct FileFacts {
  std::string path;
  std::string language;
  bool analysed = false;
  std::string outcome;  // when not analysed: skipped, failed, poison, or "pending"
  std::string reason;
  int64_t code = -1, comment = -1, blank = -1;
  std::vector<std::string> imports;
  std::vector<Symbol> symbols;

  int64_t Lines() const { return code < 0 ? -1 : code + comment + blank; }
  // The first line of the first documented symbol's doc.
  std::string Summary() const {
    for (const Symbol& s : symbols) {
      if (!s.doc.empty()) return FirstLine(s.doc);
    }
    return "";
  }
};

FileFacts FactsOf(const std::string& path, const std::string& language, const Result<AnalysisResult>& result) {
  FileFacts f;
  f.path = path;
  f.language = language;
  if (!result.ok()) {
    f.outcome = "pending";
    return f;
  }
  if (!result->language.empty()) f.language = result->language;
  if (result->outcome != AnalysisOutcome::kAnalyzed) {
    f.outcome = AnalysisOutcomeName(result->outcome);
    f.reason = result->reason;
    return f;
  }
  f.analysed = true;
  f.symbols = result->symbols;
  rapidjson::Document data;
  data.Parse(result->data.c_str(), result->data.size());
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

Page FilePage(const FileFacts& f, const PathIndex& paths) {
  Page page;
  page.path = FilePagePath(f.path);
  page.title = f.path;
  std::string& md = page.markdown;
  const auto [dir, name] = SplitPath(f.path);
  md += "# " + Text(f.path) + "\n\n";
  md += "[Index of " + Text(dir.empty() ? "the project" : dir + "/") + "](" +
        Link(page.path, IndexPagePath(dir)) + ")\n\n";
  std::string facts = f.language.empty() ? "Language unknown" : Text(f.language);
  if (f.Lines() >= 0) {
    facts += " · " + std::to_string(f.Lines()) + " lines (" + std::to_string(f.code) + " code, " +
             std::to_string(f.comment) + " comment, " + std::to_string(f.blank) + " blank)";
  }
  if (!f.analysed) {
    md += facts + "\n\nNot analysed: " + Text(f.outcome) + (f.reason.empty() ? "" : " (" + Text(f.reason) + ")") + ".\n";
    return page;
  }
  md += facts + " · " + std::to_string(f.symbols.size()) + (f.symbols.size() == 1 ? " symbol" : " symbols") + "\n\n";
  if (!f.imports.empty()) {
    md += "## Imports\n\n";
    const std::vector<std::vector<std::string>> resolved =
        ResolveImports(FileImports{f.path, f.language, f.imports}, paths);
    for (size_t i = 0; i < f.imports.size(); ++i) {
      md += "- " + Text(f.imports[i]);
      for (size_t j = 0; j < resolved[i].size(); ++j) {
        md += (j == 0 ? ": " : ", ") + std::string("[") + Text(resolved[i][j]) + "](" +
              Link(page.path, FilePagePath(resolved[i][j])) + ")";
      }
      md += "\n";
    }
    md += "\n";
  }
  if (f.symbols.empty()) return page;
  md += "## Symbols\n\n";
  for (const Symbol& s : f.symbols) {
    md += "### " + Text(s.name) + "\n\n";
    md += Text(s.kind) + (s.parent.empty() ? "" : " in " + Text(s.parent)) + ", " + LineRange(s) + "\n\n";
    if (!s.signature.empty()) md += Fenced(s.signature, f.language) + "\n";
    if (!s.doc.empty()) md += Quote(s.doc) + "\n";
  }
  return page;
}

// ---- directories ----------------------------------------------------------------

struct DirectoryNode {
  std::map<std::string, DirectoryNode> children;  // by name
  std::vector<const FileFacts*> files;             // direct files, by path
  int64_t file_count = 0;                          // all files under it
};

void AddFile(DirectoryNode* root, const FileFacts& f) {
  DirectoryNode* node = root;
  ++node->file_count;
  const std::string dir = SplitPath(f.path).first;
  size_t start = 0;
  while (start < dir.size()) {
    size_t slash = dir.find('/', start);
    if (slash == std::string::npos) slash = dir.size();
    node = &node->children[dir.substr(start, slash - start)];
    ++node->file_count;
    start = slash + 1;
  }
  node->files.push_back(&f);
}

// The symbols a map shows of a file: its functions and types, not their
// members.
bool MapWorthy(const Symbol& s) {
  static const std::set<std::string> kKinds = {"function", "class", "struct", "interface", "trait",
                                               "enum", "type", "union", "record"};
  return kKinds.count(s.kind) != 0;
}

// The files the rest of the project imports most, with their main symbols.
std::string RepositoryMap(const std::vector<FileFacts>& files, const PathIndex& paths, const std::string& from) {
  constexpr size_t kFiles = 15, kSymbols = 8;
  std::vector<FileImports> imports;
  std::map<std::string, const FileFacts*> by_path;
  for (const FileFacts& f : files) {
    imports.push_back({f.path, f.language, f.imports});
    by_path[f.path] = &f;
  }
  std::vector<RankedFile> ranked = RankByImporters(imports, paths, kFiles);
  if (ranked.empty()) return "";
  std::string md = "## Repository map\n\nThe files the rest of the project imports most, with their main symbols.\n\n";
  for (const RankedFile& r : ranked) {
    md += "- [" + Text(r.path) + "](" + Link(from, FilePagePath(r.path)) + "), imported by " +
          std::to_string(r.importers) + (r.importers == 1 ? " file" : " files") + "\n";
    auto it = by_path.find(r.path);
    if (it == by_path.end()) continue;
    size_t shown = 0;
    for (const Symbol& s : it->second->symbols) {
      if (!MapWorthy(s) || shown == kSymbols) continue;
      md += "  - " + Text(s.kind) + " " + Text(s.name) + (s.signature.empty() ? "" : ": " + Text(Clip(s.signature, 120))) + "\n";
      ++shown;
    }
  }
  return md + "\n";
}

Page IndexPage(const std::string& dir, const DirectoryNode& node, const std::string& project_name,
               const std::string& readme, const std::string& map) {
  Page page;
  page.path = IndexPagePath(dir);
  page.title = dir.empty() ? project_name : dir + "/";
  std::string& md = page.markdown;
  if (dir.empty()) {
    md += "# " + Text(project_name) + "\n\n";
    md += std::to_string(node.file_count) + (node.file_count == 1 ? " file" : " files") + ".\n\n";
  } else {
    const std::string parent = SplitPath(dir).first;
    md += "# " + Text(dir + "/") + "\n\n";
    md += "[Up to " + Text(parent.empty() ? "the project" : parent + "/") + "](" +
          Link(page.path, IndexPagePath(parent)) + ") · " + std::to_string(node.file_count) +
          (node.file_count == 1 ? " file" : " files") + "\n\n";
  }
  if (!node.children.empty()) {
    md += "## Directories\n\n| Directory | Files |\n|---|---|\n";
    for (const auto& [name, child] : node.children) {
      const std::string child_dir = dir.empty() ? name : dir + "/" + name;
      md += "| [" + Text(name + "/") + "](" + Link(page.path, IndexPagePath(child_dir)) + ") | " +
            std::to_string(child.file_count) + " |\n";
    }
    md += "\n";
  }
  if (!node.files.empty()) {
    md += "## Files\n\n| File | Language | Lines | Symbols | Summary |\n|---|---|---|---|---|\n";
    for (const FileFacts* f : node.files) {
      const std::string name = SplitPath(f->path).second;
      md += "| [" + Text(name) + "](" + Link(page.path, FilePagePath(f->path)) + ") | " + Text(f->language) + " | " +
            (f->Lines() >= 0 ? std::to_string(f->Lines()) : "") + " | " +
            (f->analysed ? std::to_string(f->symbols.size()) : Text(f->outcome)) + " | " +
            Text(Clip(f->Summary(), 160)) + " |\n";
    }
    md += "\n";
  }
  md += map;
  if (!readme.empty()) md += "## README\n\n" + readme + (EndsWith(readme, "\n") ? "" : "\n");
  return page;
}

// Every current document of the project under `prefix` ("" for all), with
// what the analyzer stored for it. Symlinks and submodules have no page.
Result<std::vector<FileFacts>> ReadFiles(const SiteSource& source, const std::string& prefix) {
  std::vector<FileFacts> files;
  DocumentQuery query;
  query.path_prefix = prefix;
  query.limit = 1000;
  while (true) {
    Result<DocumentPage> page = source.storage->ListDocuments(source.project, query);
    if (!page.ok()) return page.status();
    for (const StoredDocument& d : page->documents) {
      if (!SameContentKind(d.entry.kind, EntryKind::kFile)) continue;
      Result<AnalysisResult> result = source.storage->GetAnalysis(source.project, source.key, d.entry.path);
      if (!result.ok() && result.status().code() != StatusCode::kNotFound) return result.status();
      files.push_back(FactsOf(d.entry.path, d.language, result));
    }
    if (!page->more || page->documents.empty()) break;
    query.after = page->documents.back().entry.path;
  }
  return files;
}

// The project's README at the root, if it has one with text.
std::string ReadmeOf(const SiteSource& source) {
  for (const char* name : {"README.md", "README", "readme.md", "Readme.md", "README.markdown", "README.txt"}) {
    Result<StoredDocument> readme = source.storage->GetDocument(source.project, name);
    if (readme.ok() && readme->has_content) return readme->content;
  }
  return "";
}

PathIndex IndexOf(const std::vector<FileFacts>& files) {
  std::vector<std::string> paths;
  for (const FileFacts& f : files) paths.push_back(f.path);
  return PathIndex(std::move(paths));
}

// Every file path of the project (metadata only), for resolving imports.
Result<std::vector<std::string>> FilePaths(const SiteSource& source) {
  std::vector<std::string> paths;
  DocumentQuery query;
  query.limit = 1000;
  while (true) {
    Result<DocumentPage> page = source.storage->ListDocuments(source.project, query);
    if (!page.ok()) return page.status();
    for (const StoredDocument& d : page->documents) {
      if (SameContentKind(d.entry.kind, EntryKind::kFile)) paths.push_back(d.entry.path);
    }
    if (!page->more || page->documents.empty()) break;
    query.after = page->documents.back().entry.path;
  }
  return paths;
}

}  // namespace

std::string FilePagePath(std::string_view repository_path) {
  const auto [dir, name] = SplitPath(repository_path);
  return SiteDirectory(dir) + (name.rfind('_', 0) == 0 ? "_" : "") + name + ".md";
}

std::string IndexPagePath(std::string_view repository_dir) { return SiteDirectory(repository_dir) + "_index.md"; }

Result<std::vector<Page>> BuildSite(const SiteSource& source) {
  Result<std::vector<FileFacts>> files = ReadFiles(source, "");
  if (!files.ok()) return files.status();
  const PathIndex paths = IndexOf(*files);
  DirectoryNode root;
  std::vector<Page> pages;
  for (const FileFacts& f : *files) {
    AddFile(&root, f);
    pages.push_back(FilePage(f, paths));
  }
  const std::string readme = ReadmeOf(source);
  const std::string map = RepositoryMap(*files, paths, IndexPagePath(""));
  // Every directory's index, depth first.
  std::vector<std::pair<std::string, const DirectoryNode*>> stack = {{"", &root}};
  while (!stack.empty()) {
    auto [dir, node] = stack.back();
    stack.pop_back();
    pages.push_back(IndexPage(dir, *node, source.project_name, dir.empty() ? readme : "", dir.empty() ? map : ""));
    for (const auto& [name, child] : node->children) stack.emplace_back(dir.empty() ? name : dir + "/" + name, &child);
  }
  return pages;
}

Result<Page> BuildFilePage(const SiteSource& source, const std::string& path) {
  Result<StoredDocument> document = source.storage->GetDocument(source.project, path);
  if (!document.ok()) return document.status();
  Result<AnalysisResult> result = source.storage->GetAnalysis(source.project, source.key, path);
  if (!result.ok() && result.status().code() != StatusCode::kNotFound) return result.status();
  Result<std::vector<std::string>> all = FilePaths(source);
  if (!all.ok()) return all.status();
  return FilePage(FactsOf(path, document->language, result), PathIndex(std::move(all).value()));
}

Result<Page> BuildIndexPage(const SiteSource& source, const std::string& dir) {
  Result<std::vector<FileFacts>> files = ReadFiles(source, dir.empty() ? "" : dir + "/");
  if (!files.ok()) return files.status();
  if (files->empty() && !dir.empty()) return Status::NotFound("no file of this project is under \"" + dir + "/\"");
  DirectoryNode root;
  for (const FileFacts& f : *files) AddFile(&root, f);
  const DirectoryNode* node = &root;
  size_t start = 0;
  while (start < dir.size()) {
    size_t slash = dir.find('/', start);
    if (slash == std::string::npos) slash = dir.size();
    auto it = node->children.find(dir.substr(start, slash - start));
    if (it == node->children.end()) return Status::NotFound("no file of this project is under \"" + dir + "/\"");
    node = &it->second;
    start = slash + 1;
  }
  if (!dir.empty()) return IndexPage(dir, *node, source.project_name, "", "");
  return IndexPage(dir, *node, source.project_name, ReadmeOf(source), RepositoryMap(*files, IndexOf(*files), IndexPagePath("")));
}

std::string MarkdownHtml(std::string_view markdown) {
  // cmark's default drops raw HTML and javascript:, vbscript:, file: and
  // most data: links.
  char* html = cmark_markdown_to_html(markdown.data(), markdown.size(), CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
  std::string out(html == nullptr ? "" : html);
  std::free(html);
  return out;
}

std::string PageHtml(const Page& page) {
  std::unique_ptr<cmark_node, void (*)(cmark_node*)> root(
      cmark_parse_document(page.markdown.data(), page.markdown.size(), CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8),
      cmark_node_free);
  // Links between pages: ".md" becomes ".html".
  cmark_iter* iter = cmark_iter_new(root.get());
  for (cmark_event_type ev = cmark_iter_next(iter); ev != CMARK_EVENT_DONE; ev = cmark_iter_next(iter)) {
    cmark_node* node = cmark_iter_get_node(iter);
    if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_LINK) continue;
    const char* url = cmark_node_get_url(node);
    std::string target = url == nullptr ? "" : url;
    if (target.find("://") == std::string::npos && EndsWith(target, ".md")) {
      target.replace(target.size() - 3, 3, ".html");
      cmark_node_set_url(node, target.c_str());
    }
  }
  cmark_iter_free(iter);
  char* body = cmark_render_html(root.get(), CMARK_OPT_DEFAULT);
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>";
  for (char c : page.title) {
    switch (c) {
      case '<': html += "&lt;"; break;
      case '>': html += "&gt;"; break;
      case '&': html += "&amp;"; break;
      case '"': html += "&quot;"; break;
      default: html += c;
    }
  }
  html += "</title></head><body>\n" + std::string(body == nullptr ? "" : body) + "</body></html>\n";
  std::free(body);
  return html;
}

}  // namespace tether::docs
