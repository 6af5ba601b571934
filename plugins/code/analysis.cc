#include "analysis.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "text.h"

namespace tether {
namespace code {
namespace {

constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxSignatureBytes = 300;
constexpr size_t kMaxDocBytes = 4096;
constexpr size_t kMaxImportBytes = 512;
constexpr size_t kMaxImports = 5000;
// An ERROR node wider than this (a flat run of tokens the grammar could not
// place, as in 100,000 '(') makes tree-sitter's query cursor quadratic and
// deaf to any deadline: such a tree gets line counts, not symbols.
constexpr uint32_t kMaxErrorChildren = 8192;

struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};
struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
};
struct QueryCursorDeleter {
  void operator()(TSQueryCursor* cursor) const { ts_query_cursor_delete(cursor); }
};

// A range of the source with the rows (0-based) it starts and ends on.
struct Span {
  uint32_t start = 0;
  uint32_t end = 0;
  uint32_t start_row = 0;
  uint32_t end_row = 0;  // the row of its last byte
};

// The row of a node's last byte: a node ending at column 0 ends on the row
// before (a line comment or section that takes its newline).
uint32_t LastRow(TSNode node) {
  const TSPoint start = ts_node_start_point(node);
  const TSPoint end = ts_node_end_point(node);
  if (end.column == 0 && end.row > start.row) return end.row - 1;
  return end.row;
}

Span SpanOf(TSNode node) {
  return Span{ts_node_start_byte(node), ts_node_end_byte(node), ts_node_start_point(node).row, LastRow(node)};
}

bool Contains(const std::vector<std::string_view>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Where a wrapper (decorators, template<...>, export) starts before the
// definition it wraps.
struct Outer {
  uint32_t start = 0;
  uint32_t row = 0;
};

struct Candidate {
  TSNode node;
  uint32_t start = 0;
  uint32_t end = 0;
  uint32_t pattern = 0;
  bool scope = false;
  std::string kind;
  TSNode name{};
  TSNode parent{};
};

// What a walk over the whole tree collects.
struct TreeFacts {
  std::vector<Span> comments;            // in source order
  std::vector<Span> attributes;          // in source order
  std::unordered_map<uint32_t, Outer> doc_outer;        // definition start -> wrapper
  std::unordered_map<uint32_t, Outer> signature_outer;  // the same, for signatures
  std::vector<TSNode> headings;          // Markdown
  int64_t errors = 0;
  uint32_t widest_error = 0;             // the most children of one ERROR node
};

class Extractor {
 public:
  Extractor(const CompiledLanguage& language, std::string_view content, const Deadline& deadline,
            std::string_view what)
      : language_(language), spec_(language.spec()), content_(content), deadline_(deadline), what_(what) {}

  Status Run(TSNode root, Analysis* out);

 private:
  std::string_view Text(TSNode node) const {
    const uint32_t start = std::min<uint32_t>(ts_node_start_byte(node), content_.size());
    const uint32_t end = std::min<uint32_t>(ts_node_end_byte(node), content_.size());
    return content_.substr(start, end > start ? end - start : 0);
  }
  Status TimedOut() const {
    return Status::Unavailable("analysing " + std::string(what_) + " as " + spec_.grammar +
                               " took longer than " + std::to_string(deadline_.limit_ms()) + " ms");
  }

  Status Walk(TSNode root);
  Status CountErrors(TSNode root);
  bool Opaque(TSNode node) const;
  void NoteWrapper(TSNode wrapper);
  Status Match(TSNode root, std::vector<Candidate>* candidates, std::vector<TSNode>* wrappers, Analysis* out);
  void FinishFacts(std::vector<TSNode>* wrappers);
  void AddImport(TSNode node, Analysis* out);
  bool ResolveDeclarator(const Candidate& candidate, std::string* name, std::string* kind,
                         std::string* parent) const;
  std::string Doc(const Candidate& candidate, Outer outer) const;
  std::string Signature(TSNode node, uint32_t start) const;
  std::string PythonDocstring(TSNode node) const;
  void Headings(Analysis* out) const;

  const CompiledLanguage& language_;
  const LanguageSpec& spec_;
  std::string_view content_;
  const Deadline& deadline_;
  std::string_view what_;
  TreeFacts facts_;
  std::unordered_set<std::string> seen_imports_;
};

Status Extractor::Walk(TSNode root) {
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  struct CursorGuard {
    TSTreeCursor* cursor;
    ~CursorGuard() { ts_tree_cursor_delete(cursor); }
  } guard{&cursor};
  const bool markdown = std::string_view(spec_.grammar) == "markdown";
  uint64_t visited = 0;
  while (true) {
    if (++visited % 4096 == 0 && deadline_.Passed()) return TimedOut();
    const TSNode node = ts_tree_cursor_current_node(&cursor);
    bool descend = true;
    if (ts_node_is_error(node)) {
      ++facts_.errors;
      facts_.widest_error = std::max(facts_.widest_error, ts_node_child_count(node));
    } else if (ts_node_is_missing(node)) {
      ++facts_.errors;
    }
    if (ts_node_is_named(node)) {
      const std::string_view type = ts_node_type(node);
      if (language_.IsComment(type)) {
        facts_.comments.push_back(SpanOf(node));
        descend = false;
      } else if (Contains(spec_.attribute_types, type)) {
        facts_.attributes.push_back(SpanOf(node));
        descend = false;
      } else if (Contains(spec_.wrapper_types, type)) {
        NoteWrapper(node);
      } else if (markdown && (type == "atx_heading" || type == "setext_heading")) {
        facts_.headings.push_back(node);
        descend = false;
      }
    }
    if (descend && ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) return Status::Ok();
    }
  }
}

// A node Walk does not look inside: a comment, an attribute, a heading.
bool Extractor::Opaque(TSNode node) const {
  if (!ts_node_is_named(node)) return false;
  const std::string_view type = ts_node_type(node);
  return language_.IsComment(type) || Contains(spec_.attribute_types, type) ||
         (std::string_view(spec_.grammar) == "markdown" && (type == "atx_heading" || type == "setext_heading"));
}

// The ERROR and MISSING nodes Walk would count, and the widest ERROR node,
// visiting only the subtrees that hold one (none, in a file that parsed).
Status Extractor::CountErrors(TSNode root) {
  if (!ts_node_has_error(root)) return Status::Ok();
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  struct CursorGuard {
    TSTreeCursor* cursor;
    ~CursorGuard() { ts_tree_cursor_delete(cursor); }
  } guard{&cursor};
  uint64_t visited = 0;
  while (true) {
    if (++visited % 4096 == 0 && deadline_.Passed()) return TimedOut();
    const TSNode node = ts_tree_cursor_current_node(&cursor);
    if (ts_node_is_error(node)) {
      ++facts_.errors;
      facts_.widest_error = std::max(facts_.widest_error, ts_node_child_count(node));
    } else if (ts_node_is_missing(node)) {
      ++facts_.errors;
    }
    if (ts_node_has_error(node) && !Opaque(node) && ts_tree_cursor_goto_first_child(&cursor)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      if (!ts_tree_cursor_goto_parent(&cursor)) return Status::Ok();
    }
  }
}

// The facts the query captured, as Walk would have collected them: in
// source order, without comments inside an attribute, wrappers outermost
// first.
void Extractor::FinishFacts(std::vector<TSNode>* wrappers) {
  auto by_start = [](const Span& a, const Span& b) { return a.start != b.start ? a.start < b.start : a.end > b.end; };
  std::sort(facts_.comments.begin(), facts_.comments.end(), by_start);
  std::sort(facts_.attributes.begin(), facts_.attributes.end(), by_start);
  if (!facts_.attributes.empty()) {
    const std::vector<Span>& attributes = facts_.attributes;
    auto inside_attribute = [&attributes](const Span& comment) {
      auto after = std::upper_bound(attributes.begin(), attributes.end(), comment.start,
                                    [](uint32_t start, const Span& span) { return start < span.start; });
      for (auto it = attributes.begin(); it != after; ++it) {
        if (it->end >= comment.end) return true;
      }
      return false;
    };
    facts_.comments.erase(std::remove_if(facts_.comments.begin(), facts_.comments.end(), inside_attribute),
                          facts_.comments.end());
  }
  std::sort(facts_.headings.begin(), facts_.headings.end(),
            [](TSNode a, TSNode b) { return ts_node_start_byte(a) < ts_node_start_byte(b); });
  std::sort(wrappers->begin(), wrappers->end(), [](TSNode a, TSNode b) {
    const uint32_t a_start = ts_node_start_byte(a), b_start = ts_node_start_byte(b);
    return a_start != b_start ? a_start < b_start : ts_node_end_byte(a) > ts_node_end_byte(b);
  });
  for (const TSNode& wrapper : *wrappers) NoteWrapper(wrapper);
}

void Extractor::NoteWrapper(TSNode wrapper) {
  // The wrapped definition: the last named child that is no comment.
  TSNode wrapped{};
  bool found = false;
  int others = 0;
  const uint32_t count = ts_node_named_child_count(wrapper);
  for (uint32_t i = count; i > 0; --i) {
    const TSNode child = ts_node_named_child(wrapper, i - 1);
    if (language_.IsComment(ts_node_type(child))) continue;
    if (!found) {
      wrapped = child;
      found = true;
    } else {
      ++others;
      break;
    }
  }
  if (!found || (spec_.wrappers_are_groups && others > 0)) return;
  const uint32_t child_start = ts_node_start_byte(wrapped);
  Outer outer{ts_node_start_byte(wrapper), ts_node_start_point(wrapper).row};
  // A wrapper inside a wrapper (export of a decorated class): the outermost.
  auto known = facts_.doc_outer.find(outer.start);
  if (known != facts_.doc_outer.end()) outer = known->second;
  facts_.doc_outer[child_start] = outer;
  if (Contains(spec_.signature_wrapper_types, ts_node_type(wrapper))) {
    Outer signature{ts_node_start_byte(wrapper), ts_node_start_point(wrapper).row};
    auto known_signature = facts_.signature_outer.find(signature.start);
    if (known_signature != facts_.signature_outer.end()) signature = known_signature->second;
    facts_.signature_outer[child_start] = signature;
  }
}

void Extractor::AddImport(TSNode node, Analysis* out) {
  std::string_view text = Text(node);
  std::string value;
  if (std::string_view(ts_node_type(node)) == "import_declaration") {
    // Java: the declaration without "import" and ";".
    std::string line = OneLine(text, kMaxImportBytes + 16);
    if (line.rfind("import", 0) == 0) line.erase(0, 6);
    while (!line.empty() && (line.back() == ';' || line.back() == ' ')) line.pop_back();
    value = OneLine(line, kMaxImportBytes);
  } else {
    value = OneLine(Unquote(text), kMaxImportBytes);
  }
  if (value.empty() || !seen_imports_.insert(value).second) return;
  if (out->imports.size() >= kMaxImports) {
    out->imports_truncated = true;
    return;
  }
  out->imports.push_back(std::move(value));
}

Status Extractor::Match(TSNode root, std::vector<Candidate>* candidates, std::vector<TSNode>* wrappers,
                        Analysis* out) {
  const TSQuery* query = language_.query();
  if (ts_query_pattern_count(query) == 0) return Status::Ok();
  std::unique_ptr<TSQueryCursor, QueryCursorDeleter> cursor(ts_query_cursor_new());
  ts_query_cursor_exec(cursor.get(), query, root);
  TSQueryMatch match;
  uint64_t matches = 0;
  while (ts_query_cursor_next_match(cursor.get(), &match)) {
    if (++matches % 1024 == 0 && deadline_.Passed()) return TimedOut();
    Candidate candidate;
    bool definition = false;
    TSNode import{};
    TSNode import_call{};
    for (uint16_t i = 0; i < match.capture_count; ++i) {
      const TSQueryCapture& capture = match.captures[i];
      switch (language_.role(capture.index)) {
        case CompiledLanguage::Role::kDefinition:
          definition = true;
          candidate.node = capture.node;
          candidate.kind = language_.kind(capture.index);
          break;
        case CompiledLanguage::Role::kScope:
          definition = true;
          candidate.scope = true;
          candidate.node = capture.node;
          break;
        case CompiledLanguage::Role::kName:
        case CompiledLanguage::Role::kScopeName:
          candidate.name = capture.node;
          break;
        case CompiledLanguage::Role::kParent:
          candidate.parent = capture.node;
          break;
        case CompiledLanguage::Role::kImport:
          import = capture.node;
          break;
        case CompiledLanguage::Role::kImportCall:
          import_call = capture.node;
          break;
        case CompiledLanguage::Role::kComment:
          facts_.comments.push_back(SpanOf(capture.node));
          break;
        case CompiledLanguage::Role::kAttribute:
          facts_.attributes.push_back(SpanOf(capture.node));
          break;
        case CompiledLanguage::Role::kWrapper:
          wrappers->push_back(capture.node);
          break;
        case CompiledLanguage::Role::kHeading:
          facts_.headings.push_back(capture.node);
          break;
        case CompiledLanguage::Role::kOther:
          break;
      }
    }
    if (!ts_node_is_null(import)) {
      if (ts_node_is_null(import_call) || Contains(spec_.import_callees, Text(import_call))) {
        AddImport(import, out);
      }
    }
    if (definition) {
      candidate.start = ts_node_start_byte(candidate.node);
      candidate.end = ts_node_end_byte(candidate.node);
      candidate.pattern = match.pattern_index;
      candidates->push_back(std::move(candidate));
    }
  }
  return Status::Ok();
}

// C and C++: the name at the end of a declarator chain, whether it declares
// a function, and the class a qualified name (Queue::Pop) names.
bool Extractor::ResolveDeclarator(const Candidate& candidate, std::string* name, std::string* kind,
                                  std::string* parent) const {
  const std::string_view type = ts_node_type(candidate.node);
  TSNode node = ts_node_child_by_field_name(candidate.node, "declarator", 10);
  if (ts_node_is_null(node)) return false;
  bool function = false;
  for (int depth = 0; depth < 64; ++depth) {
    if (std::string_view(ts_node_type(node)) == "function_declarator") function = true;
    const TSNode next = ts_node_child_by_field_name(node, "declarator", 10);
    if (ts_node_is_null(next)) break;
    node = next;
  }
  bool qualified = false;
  for (int depth = 0; depth < 16 && std::string_view(ts_node_type(node)) == "qualified_identifier"; ++depth) {
    const TSNode scope = ts_node_child_by_field_name(node, "scope", 5);
    const TSNode inner = ts_node_child_by_field_name(node, "name", 4);
    if (ts_node_is_null(inner)) break;
    if (!ts_node_is_null(scope)) *parent = OneLine(Text(scope), kMaxNameBytes);
    qualified = true;
    node = inner;
  }
  *name = OneLine(Text(node), kMaxNameBytes);
  if (name->empty()) return false;
  if (type == "type_definition") {
    *kind = "type";
  } else if (function) {
    *kind = qualified ? "method" : "function";
  } else if (type == "function_definition") {
    return false;  // a macro call that looked like a definition
  } else {
    *kind = type == "field_declaration" ? "field" : "variable";
  }
  return true;
}

std::string Extractor::Doc(const Candidate& candidate, Outer outer) const {
  const auto& comments = facts_.comments;
  const auto& attributes = facts_.attributes;
  uint32_t position = outer.start;
  uint32_t row = outer.row;
  // The comments (and attributes) that end before `position`.
  auto before = [position_ref = &position](const std::vector<Span>& spans) {
    auto it = std::upper_bound(spans.begin(), spans.end(), *position_ref,
                               [](uint32_t value, const Span& span) { return value < span.end; });
    return static_cast<size_t>(it - spans.begin());  // spans[0, n) end at or before
  };
  auto only_space = [this](uint32_t from, uint32_t to) {
    return from <= to && IsBlank(content_.substr(from, to - from));
  };
  std::vector<const Span*> block;
  for (int steps = 0; steps < 10000; ++steps) {
    const size_t attribute_count = before(attributes);
    if (attribute_count > 0) {
      const Span& attribute = attributes[attribute_count - 1];
      if (only_space(attribute.end, position) && row - attribute.end_row <= 1) {
        position = attribute.start;
        row = attribute.start_row;
        continue;
      }
    }
    const size_t comment_count = before(comments);
    if (comment_count == 0) break;
    const Span& comment = comments[comment_count - 1];
    if (!only_space(comment.end, position) || row - comment.end_row > 1) break;
    // A comment after code on its line belongs to that code.
    const size_t line_start = content_.rfind('\n', comment.start == 0 ? 0 : comment.start - 1);
    const uint32_t from = line_start == std::string_view::npos || comment.start == 0
                              ? 0 : static_cast<uint32_t>(line_start + 1);
    if (!only_space(from, comment.start)) break;
    if (comment.start == 0 && content_.substr(0, 2) == "#!") break;  // a shebang
    block.push_back(&comment);
    position = comment.start;
    row = comment.start_row;
  }
  std::string doc;
  for (auto it = block.rbegin(); it != block.rend(); ++it) {
    const std::string text = StripCommentMarkers(
        content_.substr((*it)->start, (*it)->end - (*it)->start));
    if (!doc.empty()) doc += '\n';
    doc += text;
    if (doc.size() > kMaxDocBytes) break;
  }
  if (std::string_view(spec_.grammar) == "python") {
    std::string docstring = PythonDocstring(candidate.node);
    if (!docstring.empty()) doc = std::move(docstring);
  }
  return std::string(CutUtf8(doc, kMaxDocBytes));
}

std::string Extractor::PythonDocstring(TSNode node) const {
  const TSNode body = ts_node_child_by_field_name(node, "body", 4);
  if (ts_node_is_null(body)) return "";
  const uint32_t count = ts_node_named_child_count(body);
  for (uint32_t i = 0; i < count && i < 64; ++i) {
    const TSNode statement = ts_node_named_child(body, i);
    const std::string_view type = ts_node_type(statement);
    if (language_.IsComment(type)) continue;
    if (type != "expression_statement" || ts_node_named_child_count(statement) != 1) return "";
    const TSNode string = ts_node_named_child(statement, 0);
    if (std::string_view(ts_node_type(string)) != "string") return "";
    return CleanDocstring(CutUtf8(Text(string), 4 * kMaxDocBytes));
  }
  return "";
}

std::string Extractor::Signature(TSNode node, uint32_t start) const {
  // The body: the "body" field, else the first body-like node a few levels down.
  TSNode body = ts_node_child_by_field_name(node, "body", 4);
  if (ts_node_is_null(body) || !Contains(spec_.body_types, ts_node_type(body))) {
    body = TSNode{};
    std::vector<TSNode> level{node};
    for (int depth = 0; depth < 3 && ts_node_is_null(body) && !level.empty(); ++depth) {
      std::vector<TSNode> next;
      for (const TSNode& parent : level) {
        TSTreeCursor cursor = ts_tree_cursor_new(parent);
        int seen = 0;
        if (ts_tree_cursor_goto_first_child(&cursor)) {
          do {
            const TSNode child = ts_tree_cursor_current_node(&cursor);
            if (Contains(spec_.body_types, ts_node_type(child))) {
              body = child;
              break;
            }
            if (ts_node_child_count(child) > 0) next.push_back(child);
          } while (++seen < 64 && ts_tree_cursor_goto_next_sibling(&cursor));
        }
        ts_tree_cursor_delete(&cursor);
        if (!ts_node_is_null(body)) break;
      }
      level = std::move(next);
    }
  }
  uint32_t end = ts_node_is_null(body) ? ts_node_end_byte(node) : ts_node_start_byte(body);
  // A comment before the body (def f():  # note) is not part of it.
  auto comment = std::lower_bound(facts_.comments.begin(), facts_.comments.end(), start,
                                  [](const Span& span, uint32_t value) { return span.start < value; });
  if (comment != facts_.comments.end() && comment->start < end) end = comment->start;
  end = std::min<uint32_t>(end, static_cast<uint32_t>(content_.size()));
  std::string signature = OneLine(content_.substr(start, end > start ? end - start : 0), kMaxSignatureBytes);
  const bool python = std::string_view(spec_.grammar) == "python";
  while (!signature.empty() &&
         (signature.back() == '{' || signature.back() == ';' || (python && signature.back() == ':') ||
          signature.back() == ' ')) {
    signature.pop_back();
  }
  return signature;
}

void Extractor::Headings(Analysis* out) const {
  // The last row that is not blank: where the last section ends.
  int32_t last_line = 0;
  {
    size_t end = content_.size();
    while (end > 0 && (content_[end - 1] == '\n' || content_[end - 1] == '\r' || content_[end - 1] == ' ' ||
                       content_[end - 1] == '\t')) {
      --end;
    }
    last_line = static_cast<int32_t>(std::count(content_.begin(), content_.begin() + end, '\n')) + 1;
  }
  struct Open {
    int level;
    size_t index;
  };
  std::vector<Open> open;
  for (const TSNode& heading : facts_.headings) {
    int level = 0;
    TSNode content{};
    const uint32_t count = ts_node_child_count(heading);
    for (uint32_t i = 0; i < count; ++i) {
      const TSNode child = ts_node_child(heading, i);
      const std::string_view type = ts_node_type(child);
      if (type.size() == 13 && type.substr(0, 5) == "atx_h" && type.substr(6) == "_marker") {
        level = type[5] - '0';
      } else if (type == "setext_h1_underline") {
        level = 1;
      } else if (type == "setext_h2_underline") {
        level = 2;
      }
    }
    content = ts_node_child_by_field_name(heading, "heading_content", 15);
    if (level < 1 || level > 6 || ts_node_is_null(content)) continue;
    Symbol symbol;
    symbol.name = OneLine(Text(content), kMaxNameBytes);
    while (!symbol.name.empty() && (symbol.name.back() == '#' || symbol.name.back() == ' ')) {
      symbol.name.pop_back();  // a closing sequence: "## Title ##"
    }
    if (symbol.name.empty()) continue;
    symbol.kind = "heading";
    symbol.start_line = static_cast<int32_t>(ts_node_start_point(heading).row) + 1;
    symbol.end_line = std::max(last_line, symbol.start_line);
    symbol.signature = std::string(static_cast<size_t>(level), '#') + " " + symbol.name;
    // Close the sections this heading ends.
    while (!open.empty() && open.back().level >= level) {
      Symbol& closed = out->symbols[open.back().index];
      closed.end_line = std::max(closed.start_line, symbol.start_line - 1);
      open.pop_back();
    }
    if (!open.empty()) symbol.parent = out->symbols[open.back().index].name;
    open.push_back(Open{level, out->symbols.size()});
    out->symbols.push_back(std::move(symbol));
  }
}

Status Extractor::Run(TSNode root, Analysis* out) {
  // One pass of the query finds the definitions, the imports and the facts
  // (comments, attributes, wrappers, headings); only a tree too broken for
  // the query is walked instead.
  TETHER_RETURN_IF_ERROR(CountErrors(root));
  const bool query = facts_.widest_error <= kMaxErrorChildren;
  std::vector<Candidate> candidates;
  if (query) {
    std::vector<TSNode> wrappers;
    TETHER_RETURN_IF_ERROR(Match(root, &candidates, &wrappers, out));
    FinishFacts(&wrappers);
  } else {
    facts_ = TreeFacts();
    TETHER_RETURN_IF_ERROR(Walk(root));
  }
  out->parse_errors = facts_.errors;
  std::vector<std::pair<uint32_t, uint32_t>> comment_ranges;
  comment_ranges.reserve(facts_.comments.size());
  for (const Span& span : facts_.comments) comment_ranges.emplace_back(span.start, span.end);
  out->lines = CountLines(content_, comment_ranges);
  if (!facts_.headings.empty()) {
    out->imports.clear();
    out->imports_truncated = false;
    Headings(out);
    return Status::Ok();
  }

  if (!query) {
    out->symbols_skipped = "a parse error of " + std::to_string(facts_.widest_error) +
                           " tokens in a row: no symbols or imports";
    return Status::Ok();
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.end != b.end) return a.end > b.end;
    return a.pattern < b.pattern;
  });

  // Parents by containment: a stack of the definitions (and scopes) open at
  // the current position.
  struct OpenDefinition {
    uint32_t end;
    std::string name;
    std::string kind;
  };
  std::vector<OpenDefinition> open;
  const bool python = std::string_view(spec_.grammar) == "python";
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i % 1024 == 0 && deadline_.Passed()) return TimedOut();
    const Candidate& candidate = candidates[i];
    if (i > 0 && candidates[i - 1].start == candidate.start && candidates[i - 1].end == candidate.end &&
        ts_node_symbol(candidates[i - 1].node) == ts_node_symbol(candidate.node)) {
      continue;  // the same node matched by a later pattern
    }
    while (!open.empty() && (open.back().end <= candidate.start || open.back().end < candidate.end)) {
      open.pop_back();
    }
    std::string name;
    std::string kind = candidate.kind;
    std::string parent;
    if (candidate.scope || kind != "declarator") {
      if (ts_node_is_null(candidate.name)) continue;
      name = OneLine(Text(candidate.name), kMaxNameBytes);
    } else if (!ResolveDeclarator(candidate, &name, &kind, &parent)) {
      continue;
    }
    if (name.empty()) continue;
    if (candidate.scope) {
      open.push_back(OpenDefinition{candidate.end, name, "scope"});
      continue;
    }
    if (!ts_node_is_null(candidate.parent)) parent = OneLine(Text(candidate.parent), kMaxNameBytes);
    if (parent.empty() && !open.empty()) {
      parent = open.back().name;
      const std::string& container = open.back().kind;
      if (kind == "function" && (container == "class" || container == "struct" || container == "union" ||
                                 container == "interface" || container == "trait" || container == "scope" ||
                                 container == "enum")) {
        kind = "method";
      }
    }
    if (kind == "variable") {
      if (python && std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
          }) && std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        kind = "constant";
      }
      if (std::string_view(ts_node_type(candidate.node)) == "lexical_declaration" &&
          ts_node_child_count(candidate.node) > 0 &&
          std::string_view(ts_node_type(ts_node_child(candidate.node, 0))) == "const") {
        kind = "constant";
      }
    }

    Outer outer{candidate.start, ts_node_start_point(candidate.node).row};
    auto wrapped = facts_.doc_outer.find(candidate.start);
    if (wrapped != facts_.doc_outer.end()) outer = wrapped->second;
    uint32_t signature_start = candidate.start;
    auto signature_wrapped = facts_.signature_outer.find(candidate.start);
    if (signature_wrapped != facts_.signature_outer.end()) signature_start = signature_wrapped->second.start;

    Symbol symbol;
    symbol.name = name;
    symbol.kind = kind;
    symbol.start_line = static_cast<int32_t>(outer.row) + 1;
    symbol.end_line = std::max(symbol.start_line, static_cast<int32_t>(LastRow(candidate.node)) + 1);
    symbol.signature = Signature(candidate.node, signature_start);
    symbol.parent = parent;
    symbol.doc = Doc(candidate, outer);
    out->symbols.push_back(std::move(symbol));
    open.push_back(OpenDefinition{candidate.end, std::move(name), std::move(kind)});
  }
  return Status::Ok();
}

}  // namespace

Deadline::Deadline(int64_t limit_ms)
    : limit_ms_(limit_ms), end_(std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms)) {}

bool Deadline::Passed() const { return limit_ms_ > 0 && std::chrono::steady_clock::now() >= end_; }

uint64_t Deadline::RemainingMicros() const {
  if (limit_ms_ <= 0) return 0;
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(end_ - std::chrono::steady_clock::now());
  return left.count() > 1 ? static_cast<uint64_t>(left.count()) : 1;
}

LineCounts CountLines(std::string_view content, const std::vector<std::pair<uint32_t, uint32_t>>& comments) {
  LineCounts counts;
  size_t next_comment = 0;
  size_t line_start = 0;
  while (line_start < content.size()) {
    size_t line_end = content.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = content.size();
    bool code = false;
    bool comment = false;
    size_t p = line_start;
    while (p < line_end) {
      while (next_comment < comments.size() && comments[next_comment].second <= p) ++next_comment;
      if (next_comment < comments.size() && comments[next_comment].first <= p) {
        const size_t stop = std::min<size_t>(comments[next_comment].second, line_end);
        if (!comment) {
          for (size_t q = p; q < stop; ++q) {
            const char c = content[q];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') {
              comment = true;
              break;
            }
          }
        }
        p = stop;
        continue;
      }
      const char c = content[p];
      if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') {
        code = true;
        break;
      }
      ++p;
    }
    if (code) {
      ++counts.code;
    } else if (comment) {
      ++counts.comment;
    } else {
      ++counts.blank;
    }
    line_start = line_end + 1;
  }
  return counts;
}

Status AnalyzeWithGrammar(const CompiledLanguage& language, std::string_view content, const Deadline& deadline,
                          std::string_view what, Analysis* out) {
  if (content.size() > UINT32_MAX / 2) {
    return Status::InvalidArgument(std::string(what) + " is too large to parse (" +
                                   std::to_string(content.size()) + " bytes)");
  }
  std::unique_ptr<TSParser, ParserDeleter> parser(ts_parser_new());
  if (!ts_parser_set_language(parser.get(), language.language())) {
    return Status::Internal(std::string("the tree-sitter runtime refused the ") + language.spec().grammar +
                            " grammar");
  }
  ts_parser_set_timeout_micros(parser.get(), deadline.RemainingMicros());
  std::unique_ptr<TSTree, TreeDeleter> tree(
      ts_parser_parse_string(parser.get(), nullptr, content.data(), static_cast<uint32_t>(content.size())));
  if (tree == nullptr) {
    return Status::Unavailable("parsing " + std::string(what) + " as " + language.spec().grammar +
                               " took longer than " + std::to_string(deadline.limit_ms()) + " ms");
  }
  Extractor extractor(language, content, deadline, what);
  return extractor.Run(ts_tree_root_node(tree.get()), out);
}

}  // namespace code
}  // namespace tether
