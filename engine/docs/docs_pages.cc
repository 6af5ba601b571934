#include "engine/docs/docs_pages.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "shared/docs_paths.h"

namespace tether::docs {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The text of the page's first heading ("# ..."), its escapes undone.
std::string TitleOf(const std::string& markdown) {
  if (markdown.rfind("# ", 0) != 0) return "";
  const std::string line = markdown.substr(2, markdown.find('\n') - 2);
  std::string title;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    title += line[i];
  }
  return title;
}

Page ToPage(StoredOutput stored) {
  Page page;
  page.path = stored.output.name.substr(kDocsPages.size());
  page.markdown = std::move(stored.output.content);
  page.title = TitleOf(page.markdown);
  page.updated_at = std::move(stored.updated_at);
  return page;
}

Result<Page> ReadPage(const PagesSource& source, const std::string& site_path) {
  Result<StoredOutput> stored =
      source.storage->GetRepositoryOutput(source.project, source.analyzer_id, std::string(kDocsPages) + site_path);
  if (!stored.ok()) return stored.status();
  return ToPage(std::move(stored).value());
}

}  // namespace

Result<Page> ReadPageFor(const PagesSource& source, const std::string& path) {
  if (!path.empty()) {
    Result<Page> file = ReadPage(source, FilePagePath(path));
    if (file.ok() || file.status().code() != StatusCode::kNotFound) return file;
  }
  return ReadPage(source, IndexPagePath(path));
}

Result<std::vector<Page>> ReadSite(const PagesSource& source) {
  std::vector<Page> pages;
  RepositoryOutputQuery query;
  query.analyzer_id = source.analyzer_id;
  query.prefix = std::string(kDocsPages);
  query.limit = 500;
  query.with_content = true;
  while (true) {
    Result<RepositoryOutputPage> page = source.storage->ListRepositoryOutputs(source.project, query);
    if (!page.ok()) return page.status();
    for (StoredOutput& o : page->outputs) {
      query.after = o.output.name;
      pages.push_back(ToPage(std::move(o)));
    }
    if (!page->more || page->outputs.empty()) break;
  }
  return pages;
}

namespace {

// CommonMark with GitHub's tables and strikethrough (cmark-gfm: the docs
// pages' indexes are tables). Without CMARK_OPT_UNSAFE raw HTML is dropped,
// and so are javascript:, vbscript:, file: and most data: links.
class Markdown {
 public:
  explicit Markdown(std::string_view text) : parser_(NewParser(), cmark_parser_free) {
    cmark_parser_feed(parser_.get(), text.data(), text.size());
    root_.reset(cmark_parser_finish(parser_.get()));
  }

  cmark_node* root() const { return root_.get(); }

  std::string Html() const {
    char* html = cmark_render_html(root_.get(), kOptions, cmark_parser_get_syntax_extensions(parser_.get()));
    std::string out(html == nullptr ? "" : html);
    std::free(html);
    return out;
  }

 private:
  static constexpr int kOptions = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;

  static cmark_parser* NewParser() {
    cmark_gfm_core_extensions_ensure_registered();
    cmark_parser* parser = cmark_parser_new(kOptions);
    for (const char* name : {"table", "strikethrough"}) {
      if (cmark_syntax_extension* extension = cmark_find_syntax_extension(name)) {
        cmark_parser_attach_syntax_extension(parser, extension);
      }
    }
    return parser;
  }

  std::unique_ptr<cmark_parser, void (*)(cmark_parser*)> parser_;
  std::unique_ptr<cmark_node, void (*)(cmark_node*)> root_{nullptr, cmark_node_free};
};

}  // namespace

std::string MarkdownHtml(std::string_view markdown) { return Markdown(markdown).Html(); }

std::string PageHtml(const Page& page) {
  Markdown markdown(page.markdown);
  cmark_node* root = markdown.root();
  // Links between pages: ".md" becomes ".html".
  cmark_iter* iter = cmark_iter_new(root);
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
  const std::string body = markdown.Html();
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
  html += "</title></head><body>\n" + body + "</body></html>\n";
  return html;
}

}  // namespace tether::docs
