#include "analysis.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "parse_memory.h"
#include "text.h"
#include "tree_walk.h"

namespace tether {
namespace code {
namespace {

constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxSignatureBytes = 300;
constexpr size_t kMaxDocBytes = 4096;
constexpr size_t kMaxImportBytes = 512;
constexpr size_t kMaxImports = 5000;
// An ERROR node wider than this (a flat run of tokens the grammar could not
// place, as in 100,000 '(') made tree-sitter's query cursor, which the
// patterns once ran on, quadratic and deaf to any deadline: such a tree
// gets line counts, not symbols (kept: the output does not change).
constexpr uint32_t kMaxErrorChildren = 8192;

struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};
struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
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

// A pattern's match, with where tree-sitter's query cursor would have
// reported it: when entering the node of its last step (`finish_*`, in the
// order of a walk over the tree), then by the depth of its root, outermost
// first, then by pattern.
struct Found {
  uint32_t finish_start = 0;
  uint32_t finish_depth = 0;
  uint32_t root_depth = 0;
  uint32_t pattern = 0;
  bool definition = false;
  Candidate candidate;
  TSNode import{};
  TSNode import_call{};
};

// A visible child of a node, as a pattern step looks at it.
struct Child {
  TSNode node;
  TSSymbol symbol;
  TSFieldId field;
  bool named;
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
  // Pattern matching (Match's walk calls MatchPattern at each node a pattern
  // starts with): the steps left to match at a level once the children of
  // the node a step matched are matched.
  struct Pending {
    const std::vector<CompiledStep>* steps;
    size_t next_step;
    const std::vector<Child>* children;
    size_t next_child;
    uint32_t depth;
    const Pending* up;
  };
  void MatchPattern(uint32_t index, TSNode root, uint32_t depth);
  void MatchSteps(const std::vector<CompiledStep>& steps, size_t i, const std::vector<Child>& children, size_t from,
                  uint32_t depth, const Pending* up);
  void Enter(const CompiledStep& step, const CompiledStep& type, const Child& child, uint32_t depth,
             const Pending& then);
  void Emit();
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

  // Match's state.
  TSTreeCursor children_cursor_{};
  bool children_cursor_made_ = false;
  std::deque<std::vector<Child>> child_lists_;  // by depth of Enter calls
  size_t entered_ = 0;
  std::vector<std::pair<const CompiledStep*, TSNode>> captured_;
  std::vector<std::pair<TSNode, uint32_t>> path_;  // the nodes matched so far, with their depths
  uint32_t pattern_ = 0;
  uint32_t root_depth_ = 0;
  std::vector<Found> found_;
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

// The facts Match collected, as Walk would have collected them: in
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

// The symbol of ERROR nodes (the runtime's ts_builtin_sym_error, which its
// public header does not declare).
constexpr TSSymbol kErrorSymbol = static_cast<TSSymbol>(-1);

// Whether `child` is the node `step` asks for, its children aside.
bool Fits(const CompiledStep& step, const Child& child) {
  if (step.symbol == 0) return child.named && child.symbol != kErrorSymbol;  // (_)
  return child.symbol == step.symbol;
}

void Extractor::Emit() {
  Found found;
  found.finish_start = ts_node_start_byte(path_.back().first);
  found.finish_depth = path_.back().second;
  found.root_depth = root_depth_;
  found.pattern = pattern_;
  Candidate& candidate = found.candidate;
  for (const auto& [step, node] : captured_) {
    for (const Capture capture : step->captures) {
      switch (capture) {
        case Capture::kDefinition:
          found.definition = true;
          candidate.node = node;
          candidate.kind = step->kind;
          break;
        case Capture::kScope:
          found.definition = true;
          candidate.scope = true;
          candidate.node = node;
          break;
        case Capture::kName:
        case Capture::kScopeName:
          candidate.name = node;
          break;
        case Capture::kParent:
          candidate.parent = node;
          break;
        case Capture::kImport:
          found.import = node;
          break;
        case Capture::kImportCall:
          found.import_call = node;
          break;
      }
    }
  }
  found_.push_back(std::move(found));
}

// `child` matched `type` (`step` itself, or one of its alternatives): its
// captures, then the children `type` asks for, then what `then` says is left.
void Extractor::Enter(const CompiledStep& step, const CompiledStep& type, const Child& child, uint32_t depth,
                      const Pending& then) {
  const size_t captured = captured_.size();
  if (!step.captures.empty()) captured_.emplace_back(&step, child.node);
  if (&type != &step && !type.captures.empty()) captured_.emplace_back(&type, child.node);
  path_.emplace_back(child.node, depth);
  if (type.children.empty()) {
    MatchSteps(*then.steps, then.next_step, *then.children, then.next_child, then.depth, then.up);
  } else {
    if (child_lists_.size() <= entered_) child_lists_.emplace_back();
    std::vector<Child>& children = child_lists_[entered_];
    children.clear();
    ts_tree_cursor_reset(&children_cursor_, child.node);
    if (ts_tree_cursor_goto_first_child(&children_cursor_)) {
      do {
        const TSNode node = ts_tree_cursor_current_node(&children_cursor_);
        children.push_back(Child{node, ts_node_symbol(node), ts_tree_cursor_current_field_id(&children_cursor_),
                                 ts_node_is_named(node)});
      } while (ts_tree_cursor_goto_next_sibling(&children_cursor_));
    }
    ++entered_;
    MatchSteps(type.children, 0, children, 0, depth + 1, &then);
    --entered_;
  }
  path_.pop_back();
  captured_.resize(captured);
}

// Matches steps[i...] to children[from...] in order, each step to a later
// child than the one before, as the query cursor does: a step that splits
// tries every child that fits, one that does not only the first; an
// anchored step only the first named child.
void Extractor::MatchSteps(const std::vector<CompiledStep>& steps, size_t i, const std::vector<Child>& children,
                           size_t from, uint32_t depth, const Pending* up) {
  if (i == steps.size()) {
    if (up == nullptr) {
      Emit();
    } else {
      MatchSteps(*up->steps, up->next_step, *up->children, up->next_child, up->depth, up->up);
    }
    return;
  }
  const CompiledStep& step = steps[i];
  for (size_t p = from; p < children.size(); ++p) {
    const Child& child = children[p];
    bool matched = false;
    if (step.field == 0 || child.field == step.field) {
      const Pending then{&steps, i + 1, &children, p + 1, depth, up};
      if (step.alternatives.empty()) {
        if (Fits(step, child)) {
          matched = true;
          Enter(step, step, child, depth, then);
        }
      } else {
        for (const CompiledStep& alternative : step.alternatives) {
          if (!Fits(alternative, child)) continue;
          matched = true;
          Enter(step, alternative, child, depth, then);
        }
      }
    }
    if (step.anchored ? child.named : (matched && !step.splits)) break;
  }
}

void Extractor::MatchPattern(uint32_t index, TSNode root, uint32_t depth) {
  const CompiledStep& pattern = language_.patterns()[index];
  pattern_ = index;
  root_depth_ = depth;
  if (!children_cursor_made_) {
    children_cursor_ = ts_tree_cursor_new(root);
    children_cursor_made_ = true;
  }
  // The root as the only child of nothing: Enter matches its children and
  // then, with no steps left above it, emits.
  const std::vector<Child> none;
  const std::vector<CompiledStep> no_steps;
  const Pending done{&no_steps, 0, &none, 0, depth, nullptr};
  const Child child{root, ts_node_symbol(root), 0, true};
  Enter(pattern, pattern, child, depth, done);
}

// One walk over the tree: the facts (comments, attributes, wrappers,
// headings) and every pattern's matches, reported in the order of
// tree-sitter's query cursor over the same query.
Status Extractor::Match(TSNode root, std::vector<Candidate>* candidates, std::vector<TSNode>* wrappers,
                        Analysis* out) {
  struct ChildrenCursorGuard {
    Extractor* self;
    ~ChildrenCursorGuard() {
      if (self->children_cursor_made_) ts_tree_cursor_delete(&self->children_cursor_);
      self->children_cursor_made_ = false;
    }
  } children_guard{this};
  struct Walk {
    Extractor* self;
    std::vector<TSNode>* wrappers;
  } walk{this, wrappers};
  auto visit = [](void* context, TSNode node, TSSymbol symbol, uint32_t depth) {
    Walk& walk = *static_cast<Walk*>(context);
    Extractor& self = *walk.self;
    const uint8_t flags = self.language_.flags(symbol);
    if (flags & CompiledLanguage::kCommentNode) self.facts_.comments.push_back(SpanOf(node));
    if (flags & CompiledLanguage::kAttributeNode) self.facts_.attributes.push_back(SpanOf(node));
    if (flags & CompiledLanguage::kWrapperNode) walk.wrappers->push_back(node);
    if (flags & CompiledLanguage::kHeadingNode) self.facts_.headings.push_back(node);
    if (flags & CompiledLanguage::kPatternRoot) {
      for (const uint16_t index : self.language_.patterns_at(symbol)) self.MatchPattern(index, node, depth);
    }
  };
  auto go_on = [](void* context) { return !static_cast<Walk*>(context)->self->deadline_.Passed(); };
  const std::vector<uint8_t>& wanted = language_.node_flags();
  if (!tether_walk_tree(root, wanted.data(), static_cast<uint32_t>(wanted.size()), visit, go_on, &walk)) {
    return TimedOut();
  }
  std::stable_sort(found_.begin(), found_.end(), [](const Found& a, const Found& b) {
    if (a.finish_start != b.finish_start) return a.finish_start < b.finish_start;
    if (a.finish_depth != b.finish_depth) return a.finish_depth < b.finish_depth;
    if (a.root_depth != b.root_depth) return a.root_depth < b.root_depth;
    return a.pattern < b.pattern;
  });
  for (size_t i = 0; i < found_.size(); ++i) {
    if (i % 1024 == 1023 && deadline_.Passed()) return TimedOut();
    Found& found = found_[i];
    if (!ts_node_is_null(found.import)) {
      if (ts_node_is_null(found.import_call) || Contains(spec_.import_callees, Text(found.import_call))) {
        AddImport(found.import, out);
      }
    }
    if (found.definition) {
      Candidate& candidate = found.candidate;
      candidate.start = ts_node_start_byte(candidate.node);
      candidate.end = ts_node_end_byte(candidate.node);
      candidate.pattern = found.pattern;
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
  // One walk matching the patterns finds the definitions, the imports and
  // the facts (comments, attributes, wrappers, headings); a tree too broken
  // for symbols is walked for the facts only.
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
  // The runtime's memory for this call: it goes after everything below.
  ParseMemory memory;
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
