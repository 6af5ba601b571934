#include "engine/migrate/migration_classifier.h"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tether::migrate {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// ---------------------------------------------------------------------------
// Rules.

struct RuleInfo {
  MigrationRule rule;
  std::string_view id;
  FindingSeverity severity;
  bool acknowledgeable;
};

constexpr RuleInfo kRules[] = {
    {MigrationRule::kDropTable, "drop-table", FindingSeverity::kRefused, true},
    {MigrationRule::kDropSchema, "drop-schema", FindingSeverity::kRefused, true},
    {MigrationRule::kDropDatabase, "drop-database", FindingSeverity::kRefused, true},
    {MigrationRule::kDropExtension, "drop-extension", FindingSeverity::kRefused, true},
    {MigrationRule::kDropType, "drop-type", FindingSeverity::kRefused, true},
    {MigrationRule::kDropColumn, "drop-column", FindingSeverity::kRefused, true},
    {MigrationRule::kRenameTable, "rename-table", FindingSeverity::kRefused, true},
    {MigrationRule::kRenameColumn, "rename-column", FindingSeverity::kRefused, true},
    {MigrationRule::kAlterColumnType, "alter-column-type", FindingSeverity::kRefused, true},
    {MigrationRule::kTruncate, "truncate", FindingSeverity::kRefused, true},
    {MigrationRule::kDeleteWithoutWhere, "delete-without-where", FindingSeverity::kRefused, true},
    {MigrationRule::kUpdateWithoutWhere, "update-without-where", FindingSeverity::kRefused, true},
    {MigrationRule::kCascade, "cascade", FindingSeverity::kRefused, true},
    {MigrationRule::kTableRebuild, "table-rebuild", FindingSeverity::kRefused, true},
    {MigrationRule::kAddNotNullWithoutDefault, "add-not-null-without-default",
     FindingSeverity::kRefused, true},
    {MigrationRule::kIndexConcurrentlyInTransaction, "index-concurrently-in-transaction",
     FindingSeverity::kRefused, true},
    {MigrationRule::kIndexWithoutConcurrently, "index-without-concurrently",
     FindingSeverity::kWarning, true},
    {MigrationRule::kProtectedChange, "protected-change", FindingSeverity::kRefused, true},
    {MigrationRule::kUnusedAcknowledgement, "unused-acknowledgement", FindingSeverity::kWarning,
     false},
    {MigrationRule::kInvalidAcknowledgement, "invalid-acknowledgement", FindingSeverity::kRefused,
     false},
    {MigrationRule::kUnknownDirective, "unknown-directive", FindingSeverity::kWarning, false},
};

const RuleInfo& InfoOf(MigrationRule rule) {
  for (const RuleInfo& info : kRules) {
    if (info.rule == rule) return info;
  }
  return kRules[0];  // unreachable: every enumerator is listed
}

std::string AcknowledgeableRuleList() {
  std::string out;
  for (const RuleInfo& info : kRules) {
    if (!info.acknowledgeable) continue;
    if (!out.empty()) out += ", ";
    out += info.id;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Text helpers.

char ToLowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// An identifier part as an acknowledgement writes it: bare when it is a
// plain lower-case identifier, double-quoted otherwise.
std::string QuoteIfNeeded(const std::string& part) {
  bool plain = !part.empty() && !(part[0] >= '0' && part[0] <= '9');
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              static_cast<unsigned char>(c) >= 0x80;
    if (!ok) plain = false;
  }
  if (plain) return part;
  std::string out = "\"";
  for (char c : part) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------
// Names.

// A possibly qualified name, each part normalized (see Normalize).
struct Name {
  std::vector<std::string> parts;

  bool empty() const { return parts.empty(); }
  const std::string& last() const { return parts.back(); }
  std::string ToString() const {
    std::vector<std::string> quoted;
    for (const std::string& part : parts) quoted.push_back(QuoteIfNeeded(part));
    return Join(quoted, ".");
  }
};

Name WithPart(Name name, std::string part) {
  name.parts.push_back(std::move(part));
  return name;
}

bool IsIdentifier(const SqlToken& token) {
  return token.kind == SqlToken::Kind::kWord || token.kind == SqlToken::Kind::kQuotedIdentifier;
}

// Unquoted identifiers fold to lower case; a quoted one keeps its case on
// PostgreSQL. SQLite compares every identifier case-insensitively.
std::string Normalize(const SqlToken& token, SqlDialect dialect) {
  if (token.kind == SqlToken::Kind::kQuotedIdentifier && dialect == SqlDialect::kPostgres) {
    return token.text;
  }
  return ToLowerAscii(token.text);
}

TableRef ToTableRef(const Name& table) {
  TableRef ref;
  ref.name = table.last();
  if (table.parts.size() >= 2) ref.schema = table.parts[table.parts.size() - 2];
  return ref;
}

// ---------------------------------------------------------------------------
// Token navigation.

using Tokens = std::vector<SqlToken>;

bool IsWord(const SqlToken& token, std::string_view word) {
  return token.kind == SqlToken::Kind::kWord && EqualsIgnoreCase(token.text, word);
}

bool IsSymbol(const SqlToken& token, std::string_view symbol) {
  return token.kind == SqlToken::Kind::kSymbol && token.text == symbol;
}

// The index of the ')' matching the '(' at `open`, or `end`.
size_t MatchParen(const Tokens& tokens, size_t open, size_t end) {
  int depth = 0;
  for (size_t i = open; i < end; ++i) {
    if (IsSymbol(tokens[i], "(")) ++depth;
    if (IsSymbol(tokens[i], ")") && --depth == 0) return i;
  }
  return end;
}

// The first index in [begin, end) outside parentheses where `match` holds,
// or kNone.
template <typename Match>
size_t FindTopLevel(const Tokens& tokens, size_t begin, size_t end, Match match) {
  int depth = 0;
  for (size_t i = begin; i < end; ++i) {
    if (IsSymbol(tokens[i], "(")) ++depth;
    if (IsSymbol(tokens[i], ")")) --depth;
    if (depth == 0 && match(tokens[i])) return i;
  }
  return kNone;
}

size_t FindTopLevelWord(const Tokens& tokens, size_t begin, size_t end, std::string_view word) {
  return FindTopLevel(tokens, begin, end, [&](const SqlToken& t) { return IsWord(t, word); });
}

struct Range {
  size_t begin = 0;
  size_t end = 0;
  bool empty() const { return begin >= end; }
};

// [begin, end) cut at the commas outside parentheses.
std::vector<Range> SplitTopLevelCommas(const Tokens& tokens, size_t begin, size_t end) {
  std::vector<Range> parts;
  size_t start = begin;
  while (start <= end) {
    size_t comma =
        FindTopLevel(tokens, start, end, [](const SqlToken& t) { return IsSymbol(t, ","); });
    if (comma == kNone) comma = end;
    parts.push_back({start, comma});
    start = comma + 1;
  }
  return parts;
}

// The tokens of [begin, end) as text for a message: "varchar(100)".
std::string TokensText(const Tokens& tokens, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    const SqlToken& t = tokens[i];
    bool glue = i == begin || IsSymbol(t, "(") || IsSymbol(t, ")") || IsSymbol(t, ",") ||
                IsSymbol(t, ".") || IsSymbol(t, "::") || IsSymbol(tokens[i - 1], "(") ||
                IsSymbol(tokens[i - 1], ".") || IsSymbol(tokens[i - 1], "::");
    if (!glue) out += ' ';
    out += t.text;
  }
  return out;
}

// A cursor over [begin, end) of one statement's tokens.
class Cursor {
 public:
  Cursor(const Tokens& tokens, SqlDialect dialect, size_t begin, size_t end)
      : tokens_(tokens), dialect_(dialect), pos_(begin), end_(end) {}

  bool AtEnd() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  void Skip(size_t n = 1) { pos_ = std::min(pos_ + n, end_); }

  bool PeekWord(std::string_view word, size_t ahead = 0) const {
    return pos_ + ahead < end_ && IsWord(tokens_[pos_ + ahead], word);
  }
  bool PeekSymbol(std::string_view symbol) const {
    return !AtEnd() && IsSymbol(tokens_[pos_], symbol);
  }
  bool AcceptWord(std::string_view word) {
    if (!PeekWord(word)) return false;
    ++pos_;
    return true;
  }
  // All of `words` in a row, or nothing.
  bool AcceptWords(std::initializer_list<std::string_view> words) {
    size_t i = 0;
    for (std::string_view word : words) {
      if (!PeekWord(word, i++)) return false;
    }
    pos_ += words.size();
    return true;
  }
  bool AcceptSymbol(std::string_view symbol) {
    if (!PeekSymbol(symbol)) return false;
    ++pos_;
    return true;
  }
  // Skips a parenthesized group if one starts here.
  void SkipParens() {
    if (PeekSymbol("(")) pos_ = std::min(MatchParen(tokens_, pos_, end_) + 1, end_);
  }
  // identifier ('.' identifier)*; empty when no identifier starts here.
  Name AcceptName() {
    Name name;
    if (AtEnd() || !IsIdentifier(tokens_[pos_])) return name;
    name.parts.push_back(Normalize(tokens_[pos_++], dialect_));
    while (pos_ + 1 < end_ && IsSymbol(tokens_[pos_], ".") && IsIdentifier(tokens_[pos_ + 1])) {
      name.parts.push_back(Normalize(tokens_[pos_ + 1], dialect_));
      pos_ += 2;
    }
    return name;
  }

 private:
  const Tokens& tokens_;
  SqlDialect dialect_;
  size_t pos_;
  size_t end_;
};

// ON DELETE CASCADE / ON UPDATE CASCADE: a foreign key action.
bool IsForeignKeyAction(const Tokens& tokens, size_t cascade) {
  return cascade >= 2 &&
         (IsWord(tokens[cascade - 1], "DELETE") || IsWord(tokens[cascade - 1], "UPDATE")) &&
         IsWord(tokens[cascade - 2], "ON");
}

// The first CASCADE in [begin, end) outside parentheses that is not a
// foreign key action, or kNone.
size_t FindCascade(const Tokens& tokens, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (IsWord(tokens[i], "CASCADE") && !IsForeignKeyAction(tokens, i)) return i;
  }
  return kNone;
}

// ---------------------------------------------------------------------------
// SELECT lists, for the table rebuild.

struct SelectItem {
  bool star = false;
  std::string output;                // the column name it yields; empty if unknown
  std::set<std::string> referenced;  // every identifier in it
};

struct SelectInfo {
  bool valid = false;
  std::vector<SelectItem> items;
  Name from;              // the first table after FROM; empty if none
  bool filtered = false;  // WHERE, LIMIT or a join: maybe not every row
  bool HasStar() const {
    return std::any_of(items.begin(), items.end(), [](const SelectItem& i) { return i.star; });
  }
};

bool IsValueKeyword(const SqlToken& token) {
  static const std::string_view kWords[] = {"NULL",         "TRUE",        "FALSE",
                                            "DEFAULT",      "END",         "CURRENT_TIMESTAMP",
                                            "CURRENT_DATE", "CURRENT_TIME"};
  for (std::string_view word : kWords) {
    if (IsWord(token, word)) return true;
  }
  return false;
}

SelectItem AnalyzeSelectItem(const Tokens& tokens, SqlDialect dialect, Range r) {
  SelectItem item;
  size_t n = r.end - r.begin;
  for (size_t i = r.begin; i < r.end; ++i) {
    if (IsIdentifier(tokens[i]) && !IsValueKeyword(tokens[i])) {
      item.referenced.insert(Normalize(tokens[i], dialect));
    }
  }
  const SqlToken& last = tokens[r.end - 1];
  if (IsSymbol(last, "*")) {
    item.star = n == 1 || IsSymbol(tokens[r.end - 2], ".");
    return item;
  }
  if (!IsIdentifier(last) || IsValueKeyword(last)) return item;
  if (n >= 2 && IsWord(tokens[r.end - 2], "AS")) {
    item.output = Normalize(last, dialect);
    return item;
  }
  Cursor name(tokens, dialect, r.begin, r.end);
  if (!name.AcceptName().empty() && name.AtEnd()) {
    item.output = Normalize(last, dialect);
    return item;
  }
  // "expr alias": an alias right after a value or a closing parenthesis.
  const SqlToken& before = tokens[r.end - 2];
  bool value_before = IsSymbol(before, ")") || before.kind == SqlToken::Kind::kString ||
                      before.kind == SqlToken::Kind::kNumber ||
                      (IsIdentifier(before) && !IsValueKeyword(before));
  if (value_before) item.output = Normalize(last, dialect);
  return item;
}

// Parses SELECT ... FROM table ... in [begin, end); `begin` is at SELECT.
SelectInfo ParseSelect(const Tokens& tokens, SqlDialect dialect, size_t begin, size_t end) {
  SelectInfo info;
  Cursor c(tokens, dialect, begin, end);
  if (!c.AcceptWord("SELECT")) return info;
  if (c.AcceptWord("DISTINCT")) {
    if (c.AcceptWord("ON")) c.SkipParens();
  }
  c.AcceptWord("ALL");
  size_t from = FindTopLevelWord(tokens, c.pos(), end, "FROM");
  size_t list_end = from == kNone ? end : from;
  if (list_end <= c.pos()) return info;
  for (Range r : SplitTopLevelCommas(tokens, c.pos(), list_end)) {
    if (r.empty()) return info;
    info.items.push_back(AnalyzeSelectItem(tokens, dialect, r));
  }
  info.valid = true;
  if (from == kNone) return info;
  Cursor f(tokens, dialect, from + 1, end);
  f.AcceptWord("ONLY");
  info.from = f.AcceptName();
  for (std::string_view word : {"WHERE", "LIMIT", "JOIN", "UNION", "EXCEPT", "INTERSECT"}) {
    if (FindTopLevelWord(tokens, from, end, word) != kNone) info.filtered = true;
  }
  return info;
}

// ---------------------------------------------------------------------------
// What happens to tables across the statements of one file.

struct Fill {
  size_t source = kNone;  // identity the rows come from
  int line = 0;
  SelectInfo select;
  std::vector<std::string> insert_columns;  // INSERT INTO t (a, b): a, b
};

// One table through the file, whatever it is called at the moment.
struct TableIdentity {
  Name original;  // its name when the file starts; empty if created here
  Name current;
  bool created_here = false;  // CREATE TABLE without IF NOT EXISTS
  bool columns_known = false;
  std::vector<std::string> columns;     // from its CREATE TABLE
  std::set<std::string> added_columns;  // ALTER TABLE ... ADD COLUMN in this file
  std::vector<Fill> fills;              // INSERT ... SELECT / CREATE TABLE AS into it
  bool dropped = false;
  int drop_line = 0;
  int create_line = 0;
  int rename_line = 0;                     // last RENAME TO of it
  std::vector<size_t> covered_by_rebuild;  // its DROP TABLE / RENAME TO candidates

  // Created by this file and not filled from another table: nothing in it
  // can be lost.
  bool fresh() const { return created_here && fills.empty(); }
};

class TableTracker {
 public:
  explicit TableTracker(SqlDialect dialect) : dialect_(dialect) {}

  // The identity `name` refers to now; a table from before the file when
  // the file has not mentioned it.
  size_t Resolve(const Name& name) {
    auto it = by_key_.find(Key(name));
    if (it != by_key_.end()) return it->second;
    TableIdentity identity;
    identity.original = name;
    identity.current = name;
    return Add(std::move(identity));
  }

  size_t Create(const Name& name, bool if_not_exists, int line) {
    if (if_not_exists) return Resolve(name);
    TableIdentity identity;
    identity.current = name;
    identity.created_here = true;
    identity.create_line = line;
    return Add(std::move(identity));
  }

  void Drop(size_t id, int line) {
    TableIdentity& identity = ids_[id];
    identity.dropped = true;
    identity.drop_line = line;
    by_key_.erase(Key(identity.current));
  }

  void Rename(size_t id, const Name& to, int line) {
    TableIdentity& identity = ids_[id];
    by_key_.erase(Key(identity.current));
    identity.current = to;
    identity.rename_line = line;
    by_key_[Key(to)] = id;
  }

  TableIdentity& at(size_t id) { return ids_[id]; }
  const std::vector<TableIdentity>& identities() const { return ids_; }

  // Same table: equal names, ignoring the default schema (main, public).
  std::string Key(const Name& name) const {
    std::vector<std::string> parts = name.parts;
    std::string_view default_schema = dialect_ == SqlDialect::kSqlite ? "main" : "public";
    if (parts.size() == 2 && parts[0] == default_schema) parts.erase(parts.begin());
    return Join(parts, "\x1f");
  }

 private:
  size_t Add(TableIdentity identity) {
    ids_.push_back(std::move(identity));
    by_key_[Key(ids_.back().current)] = ids_.size() - 1;
    return ids_.size() - 1;
  }

  SqlDialect dialect_;
  std::vector<TableIdentity> ids_;
  std::map<std::string, size_t> by_key_;
};

// ---------------------------------------------------------------------------
// Findings before acknowledgement.

struct Candidate {
  MigrationRule rule = MigrationRule::kDropTable;
  Name object;
  size_t qualifiers = 0;  // leading parts of `object` that are a schema
  int line = 0;
  std::string statement;
  std::string consequence;
  // False for a potential finding the facts say is harmless now (an index on
  // an empty table): not reported, but an acknowledgement of it is used.
  bool emit = true;
  bool covered = false;  // by a table-rebuild finding
};

// Schema parts of a table name, and of a column of it.
size_t TableQualifiers(const Name& table) { return table.parts.size() - 1; }

// ---------------------------------------------------------------------------
// One statement.

class StatementClassifier {
 public:
  StatementClassifier(const Tokens& tokens, const SqlStatement& statement, SqlDialect dialect,
                      const MigrationFacts& facts, TableTracker* tables,
                      std::vector<Candidate>* out)
      : t_(tokens),
        line_(statement.line),
        dialect_(dialect),
        facts_(facts),
        tables_(tables),
        out_(out) {}

  void Run() {
    if (t_.empty()) return;
    ClassifyRange(0, t_.size());
    ReportUnclaimedCascade();
  }

 private:
  bool IsPostgres() const { return dialect_ == SqlDialect::kPostgres; }

  Cursor At(size_t begin, size_t end) const { return Cursor(t_, dialect_, begin, end); }

  size_t Add(MigrationRule rule, const Name& object, size_t qualifiers, std::string statement,
             std::string consequence) {
    Candidate c;
    c.rule = rule;
    c.object = object;
    c.qualifiers = qualifiers;
    c.line = line_;
    c.statement = std::move(statement);
    c.consequence = std::move(consequence);
    out_->push_back(std::move(c));
    if (rule == MigrationRule::kCascade) cascade_claimed_ = true;
    return out_->size() - 1;
  }

  void AddCascade(const Name& object, size_t qualifiers, const std::string& statement) {
    Add(MigrationRule::kCascade, object, qualifiers, statement + " ... CASCADE",
        "CASCADE also drops or empties whatever depends on " + object.ToString() +
            " (views, foreign keys, columns, rows in other tables), none of which this file names");
  }

  bool Fresh(const Name& table) { return tables_->at(tables_->Resolve(table)).fresh(); }

  // Created by this file, filled or not: no other session sees it yet.
  bool CreatedHere(const Name& table) { return tables_->at(tables_->Resolve(table)).created_here; }

  void ClassifyRange(size_t begin, size_t end) {
    Cursor c = At(begin, end);
    if (c.PeekWord("WITH")) return ClassifyWith(begin, end);
    if (c.PeekWord("DROP")) return ClassifyDrop(begin, end);
    if (c.PeekWord("ALTER") && c.PeekWord("TABLE", 1)) return ClassifyAlterTable(begin, end);
    if (c.PeekWord("TRUNCATE")) return ClassifyTruncate(begin, end);
    if (c.PeekWord("DELETE")) return ClassifyDelete(begin, end);
    if (c.PeekWord("UPDATE")) return ClassifyUpdate(begin, end);
    if (c.PeekWord("INSERT") || c.PeekWord("REPLACE")) return ClassifyInsert(begin, end);
    if (c.PeekWord("CREATE")) return ClassifyCreate(begin, end);
  }

  // CASCADE that no rule claimed (REVOKE ... CASCADE, ALTER DOMAIN ... DROP
  // CONSTRAINT ... CASCADE): a cascade finding on the first object named.
  void ReportUnclaimedCascade() {
    if (cascade_claimed_ || IsWord(t_[0], "CREATE")) return;  // CREATE: only bodies
    if (FindCascade(t_, 0, t_.size()) == kNone) return;
    static const std::set<std::string> kLeading = {
        "ALTER",      "DROP",       "REVOKE",   "GRANT",        "OPTION",   "FOR",
        "ALL",        "PRIVILEGES", "ON",       "TABLE",        "TABLES",   "IN",
        "SCHEMA",     "SELECT",     "INSERT",   "UPDATE",       "DELETE",   "TRUNCATE",
        "REFERENCES", "TRIGGER",    "USAGE",    "EXECUTE",      "CREATE",   "CONNECT",
        "TEMPORARY",  "TEMP",       "DOMAIN",   "TYPE",         "SEQUENCE", "FUNCTION",
        "PROCEDURE",  "ROUTINE",    "VIEW",     "MATERIALIZED", "FOREIGN",  "DATA",
        "WRAPPER",    "SERVER",     "LANGUAGE", "LARGE",        "OBJECT",   "DATABASE",
        "TABLESPACE", "IF",         "EXISTS",   "ONLY",         "MAINTAIN"};
    size_t i = 0;
    while (i < t_.size() &&
           ((t_[i].kind == SqlToken::Kind::kWord && kLeading.count(Upper(t_[i].text)) > 0) ||
            IsSymbol(t_[i], ","))) {
      ++i;
    }
    Cursor c = At(i, t_.size());
    Name object = c.AcceptName();
    if (object.empty()) object.parts.push_back(ToLowerAscii(t_[0].text));
    AddCascade(object, TableQualifiers(object), Upper(t_[0].text));
  }

  // WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (body) [, ...] main
  // Each body and the main statement are classified on their own.
  void ClassifyWith(size_t begin, size_t end) {
    Cursor c = At(begin + 1, end);
    c.AcceptWord("RECURSIVE");
    while (!c.AtEnd()) {
      if (c.AcceptName().empty()) return;
      c.SkipParens();
      if (!c.AcceptWord("AS")) return;
      c.AcceptWord("NOT");
      c.AcceptWord("MATERIALIZED");
      if (!c.PeekSymbol("(")) return;
      size_t close = MatchParen(t_, c.pos(), end);
      ClassifyRange(c.pos() + 1, close);
      c.Skip(close - c.pos() + 1);
      if (!c.AcceptSymbol(",")) break;
    }
    ClassifyRange(c.pos(), end);
  }

  // DROP <kind> [CONCURRENTLY] [IF EXISTS] name [, name ...] [CASCADE|RESTRICT]
  void ClassifyDrop(size_t begin, size_t end) {
    static const std::set<std::string> kKindWords = {
        "TABLE",       "SCHEMA",       "DATABASE",   "EXTENSION", "TYPE",       "INDEX",
        "VIEW",        "MATERIALIZED", "SEQUENCE",   "FUNCTION",  "PROCEDURE",  "ROUTINE",
        "AGGREGATE",   "DOMAIN",       "TRIGGER",    "RULE",      "POLICY",     "FOREIGN",
        "SERVER",      "COLLATION",    "CONVERSION", "OPERATOR",  "CLASS",      "FAMILY",
        "PUBLICATION", "SUBSCRIPTION", "STATISTICS", "TEXT",      "SEARCH",     "CONFIGURATION",
        "DICTIONARY",  "PARSER",       "TEMPLATE",   "EVENT",     "LANGUAGE",   "PROCEDURAL",
        "TRANSFORM",   "CAST",         "ACCESS",     "METHOD",    "TABLESPACE", "DATA",
        "WRAPPER",     "TEMPORARY",    "TEMP",       "UNLOGGED"};
    Cursor c = At(begin + 1, end);
    std::vector<std::string> kind_words;
    while (!c.AtEnd() && t_[c.pos()].kind == SqlToken::Kind::kWord &&
           kKindWords.count(Upper(t_[c.pos()].text)) > 0) {
      kind_words.push_back(Upper(t_[c.pos()].text));
      c.Skip();
    }
    if (kind_words.empty()) return;
    std::string kind = Join(kind_words, " ");
    bool concurrently = c.AcceptWord("CONCURRENTLY");
    c.AcceptWords({"IF", "EXISTS"});
    std::vector<Name> names;
    while (!c.AtEnd()) {
      Name name = c.AcceptName();
      if (name.empty()) break;
      names.push_back(name);
      c.SkipParens();  // DROP FUNCTION f(int)
      if (!c.AcceptSymbol(",")) break;
    }
    bool cascade = FindCascade(t_, c.pos(), end) != kNone;
    std::string statement = "DROP " + kind;
    for (const Name& name : names) {
      ClassifyDropOf(kind, name, concurrently);
      if (cascade) AddCascade(name, TableQualifiers(name), statement);
    }
  }

  void ClassifyDropOf(const std::string& kind, const Name& name, bool concurrently) {
    std::string object = name.ToString();
    if (kind == "TABLE") return ClassifyDropTable(name);
    if (kind == "SCHEMA") {
      Add(MigrationRule::kDropSchema, name, 0, "DROP SCHEMA",
          "drops schema " + object + " with the tables and data in it");
      return;
    }
    if (kind == "DATABASE") {
      Add(MigrationRule::kDropDatabase, name, 0, "DROP DATABASE",
          "drops database " + object + " and everything in it");
      return;
    }
    if (kind == "EXTENSION") {
      Add(MigrationRule::kDropExtension, name, 0, "DROP EXTENSION",
          "drops extension " + object +
              " and the types, functions and operators it provides; columns and indexes that use "
              "them break or go with it");
      return;
    }
    if (kind == "TYPE") {
      Add(MigrationRule::kDropType, name, TableQualifiers(name), "DROP TYPE",
          "drops type " + object + "; columns of that type cannot keep their values");
      return;
    }
    if (kind == "INDEX" && concurrently && IsPostgres() && facts_.runs_in_transaction) {
      Add(MigrationRule::kIndexConcurrentlyInTransaction, name, TableQualifiers(name),
          "DROP INDEX CONCURRENTLY",
          "PostgreSQL cannot drop index " + object +
              " CONCURRENTLY inside a transaction, and this file runs in one; move the statement "
              "to a file of its own marked -- tether:no-transaction");
    }
  }

  void ClassifyDropTable(const Name& name) {
    size_t id = tables_->Resolve(name);
    TableIdentity& table = tables_->at(id);
    bool fresh = table.fresh();
    tables_->Drop(id, line_);
    if (fresh) return;
    size_t index = Add(MigrationRule::kDropTable, name, TableQualifiers(name), "DROP TABLE",
                       "drops table " + name.ToString() + " and every row in it");
    tables_->at(id).covered_by_rebuild.push_back(index);
  }

  // TRUNCATE [TABLE] [ONLY] name [*] [, ...] [RESTART|CONTINUE IDENTITY] [CASCADE]
  void ClassifyTruncate(size_t begin, size_t end) {
    Cursor c = At(begin + 1, end);
    c.AcceptWord("TABLE");
    std::vector<Name> names;
    while (!c.AtEnd()) {
      c.AcceptWord("ONLY");
      Name name = c.AcceptName();
      if (name.empty()) break;
      names.push_back(name);
      c.AcceptSymbol("*");
      if (!c.AcceptSymbol(",")) break;
    }
    bool cascade = FindCascade(t_, c.pos(), end) != kNone;
    for (const Name& name : names) {
      if (!Fresh(name)) {
        Add(MigrationRule::kTruncate, name, TableQualifiers(name), "TRUNCATE",
            "removes every row of " + name.ToString());
      }
      if (cascade) AddCascade(name, TableQualifiers(name), "TRUNCATE");
    }
  }

  // DELETE FROM [ONLY] name ... without a WHERE outside parentheses.
  void ClassifyDelete(size_t begin, size_t end) {
    Cursor c = At(begin + 1, end);
    if (!c.AcceptWord("FROM")) return;
    c.AcceptWord("ONLY");
    Name table = c.AcceptName();
    if (table.empty() || FindTopLevelWord(t_, c.pos(), end, "WHERE") != kNone) return;
    if (Fresh(table)) return;
    Add(MigrationRule::kDeleteWithoutWhere, table, TableQualifiers(table), "DELETE without WHERE",
        "deletes every row of " + table.ToString() + " (the statement has no WHERE clause)");
  }

  // UPDATE [OR x] [ONLY] name ... SET ... without a WHERE outside parentheses.
  void ClassifyUpdate(size_t begin, size_t end) {
    Cursor c = At(begin + 1, end);
    if (c.AcceptWord("OR")) c.Skip();
    c.AcceptWord("ONLY");
    Name table = c.AcceptName();
    size_t set = FindTopLevelWord(t_, c.pos(), end, "SET");
    if (table.empty() || set == kNone) return;
    if (FindTopLevelWord(t_, set, end, "WHERE") != kNone) return;
    size_t id = tables_->Resolve(table);
    const TableIdentity& identity = tables_->at(id);
    if (identity.fresh()) return;
    std::vector<std::string> targets = UpdateTargets(set + 1, end);
    bool only_new_columns = !targets.empty();
    for (const std::string& column : targets) {
      if (identity.added_columns.count(column) == 0) only_new_columns = false;
    }
    if (only_new_columns) return;  // a backfill of columns this file added
    Add(MigrationRule::kUpdateWithoutWhere, table, TableQualifiers(table), "UPDATE without WHERE",
        "rewrites " +
            (targets.empty() ? std::string("columns") : "column(s) " + Join(targets, ", ")) +
            " in every row of " + table.ToString() + " (the statement has no WHERE clause)");
  }

  // The columns of SET a = 1, (b, c) = (...) up to FROM / WHERE / RETURNING.
  std::vector<std::string> UpdateTargets(size_t begin, size_t end) {
    size_t stop = FindTopLevel(t_, begin, end, [](const SqlToken& t) {
      return IsWord(t, "FROM") || IsWord(t, "WHERE") || IsWord(t, "RETURNING") ||
             IsWord(t, "ORDER") || IsWord(t, "LIMIT");
    });
    if (stop == kNone) stop = end;
    std::vector<std::string> targets;
    for (Range r : SplitTopLevelCommas(t_, begin, stop)) {
      if (r.empty()) continue;
      size_t first = r.begin, last = r.begin + 1;
      if (IsSymbol(t_[first], "(")) {
        last = MatchParen(t_, first, r.end);
        ++first;
      }
      for (size_t i = first; i < last; ++i) {
        if (IsIdentifier(t_[i])) targets.push_back(Normalize(t_[i], dialect_));
      }
    }
    return targets;
  }

  // INSERT [OR x] INTO name [AS alias] [(cols)] SELECT ...: a fill.
  void ClassifyInsert(size_t begin, size_t end) {
    Cursor c = At(begin + 1, end);
    if (c.AcceptWord("OR")) c.Skip();
    if (!c.AcceptWord("INTO")) return;
    Name target = c.AcceptName();
    if (target.empty()) return;
    if (c.AcceptWord("AS")) c.AcceptName();
    Fill fill;
    if (c.PeekSymbol("(") && !c.PeekWord("SELECT", 1)) {
      size_t close = MatchParen(t_, c.pos(), end);
      for (size_t i = c.pos() + 1; i < close; ++i) {
        if (IsIdentifier(t_[i])) fill.insert_columns.push_back(Normalize(t_[i], dialect_));
      }
      c.Skip(close - c.pos() + 1);
    }
    if (c.AcceptWord("OVERRIDING")) c.Skip(2);
    if (!c.PeekWord("SELECT")) return;
    fill.select = ParseSelect(t_, dialect_, c.pos(), end);
    AddFill(target, std::move(fill));
  }

  void AddFill(const Name& target, Fill fill) {
    if (!fill.select.valid || fill.select.from.empty()) return;
    fill.source = tables_->Resolve(fill.select.from);
    fill.line = line_;
    size_t id = tables_->Resolve(target);
    if (id == fill.source) return;
    tables_->at(id).fills.push_back(std::move(fill));
  }

  // CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE ... and
  // CREATE [UNIQUE] INDEX ...
  void ClassifyCreate(size_t begin, size_t end) {
    Cursor c = At(begin + 1, end);
    for (std::string_view word : {"GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED"}) {
      c.AcceptWord(word);
    }
    if (c.AcceptWord("TABLE")) return ClassifyCreateTable(c, end);
    c.AcceptWord("UNIQUE");
    if (c.AcceptWord("INDEX")) return ClassifyCreateIndex(c);
  }

  void ClassifyCreateTable(Cursor c, size_t end) {
    bool if_not_exists = c.AcceptWords({"IF", "NOT", "EXISTS"});
    Name name = c.AcceptName();
    if (name.empty()) return;
    size_t id = tables_->Create(name, if_not_exists, line_);
    std::vector<std::string> columns;
    bool has_list = c.PeekSymbol("(");
    if (has_list) {
      size_t close = MatchParen(t_, c.pos(), end);
      columns = ColumnDefinitions(c.pos() + 1, close);
      c.Skip(close - c.pos() + 1);
    }
    size_t as = FindTopLevelWord(t_, c.pos(), end, "AS");
    if (as == kNone) {
      TableIdentity& table = tables_->at(id);
      table.columns_known = has_list;
      table.columns = columns;
      return;
    }
    // CREATE TABLE name [(a, b)] AS [(] SELECT ...
    size_t select = as + 1;
    while (select < end && IsSymbol(t_[select], "(")) ++select;
    Fill fill;
    fill.select = ParseSelect(t_, dialect_, select, end);
    fill.insert_columns = columns;
    AddFill(name, std::move(fill));
  }

  // The column names of a CREATE TABLE's list; table constraints skipped.
  std::vector<std::string> ColumnDefinitions(size_t begin, size_t end) {
    static const std::string_view kConstraintWords[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK",
                                                        "FOREIGN",    "EXCLUDE", "LIKE"};
    std::vector<std::string> columns;
    for (Range r : SplitTopLevelCommas(t_, begin, end)) {
      if (r.empty() || !IsIdentifier(t_[r.begin])) continue;
      bool constraint = false;
      for (std::string_view word : kConstraintWords) constraint |= IsWord(t_[r.begin], word);
      if (!constraint) columns.push_back(Normalize(t_[r.begin], dialect_));
    }
    return columns;
  }

  // [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table ...
  void ClassifyCreateIndex(Cursor c) {
    bool concurrently = c.AcceptWord("CONCURRENTLY");
    Name index;
    if (!c.PeekWord("ON")) {
      c.AcceptWords({"IF", "NOT", "EXISTS"});
      index = c.AcceptName();
    }
    if (!c.AcceptWord("ON")) return;
    c.AcceptWord("ONLY");
    Name table = c.AcceptName();
    if (table.empty() || !IsPostgres()) return;
    std::string what = index.empty() ? "an index" : "index " + index.ToString();
    if (concurrently) {
      if (!facts_.runs_in_transaction) return;
      Add(MigrationRule::kIndexConcurrentlyInTransaction, table, TableQualifiers(table),
          "CREATE INDEX CONCURRENTLY",
          "PostgreSQL cannot build " + what + " on " + table.ToString() +
              " CONCURRENTLY inside a transaction, and this file runs in one; move the statement "
              "to a file of its own marked -- tether:no-transaction");
      return;
    }
    if (CreatedHere(table)) return;
    std::optional<bool> populated;
    if (facts_.table_has_rows) populated = facts_.table_has_rows(ToTableRef(table));
    size_t i =
        Add(MigrationRule::kIndexWithoutConcurrently, table, TableQualifiers(table), "CREATE INDEX",
            "builds " + what + " on " + table.ToString() +
                ", which has rows, without CONCURRENTLY: writes to " + table.ToString() +
                " wait until the build finishes; prefer CREATE INDEX CONCURRENTLY in a "
                "file of its own marked -- tether:no-transaction");
    (*out_)[i].emit = populated.value_or(false);
  }

  // ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, action ...]
  void ClassifyAlterTable(size_t begin, size_t end) {
    Cursor c = At(begin + 2, end);
    c.AcceptWords({"IF", "EXISTS"});
    c.AcceptWord("ONLY");
    Name table = c.AcceptName();
    if (table.empty()) return;
    c.AcceptSymbol("*");
    for (Range action : SplitTopLevelCommas(t_, c.pos(), end)) {
      if (!action.empty()) ClassifyAlterAction(table, action);
    }
  }

  void ClassifyAlterAction(const Name& table, Range r) {
    Cursor c = At(r.begin, r.end);
    Name object = table;
    if (c.AcceptWord("DROP")) {
      object = ClassifyDropColumn(table, c);
    } else if (c.AcceptWord("ALTER")) {
      object = ClassifyAlterColumn(table, c);
    } else if (c.AcceptWord("ADD")) {
      ClassifyAddColumn(table, c);
    } else if (c.AcceptWord("RENAME")) {
      ClassifyRename(table, c);
    }
    if (FindCascade(t_, r.begin, r.end) != kNone) {
      size_t qualifiers = TableQualifiers(table);
      AddCascade(object, qualifiers, "ALTER TABLE");
    }
  }

  // After DROP: [COLUMN] [IF EXISTS] c, or CONSTRAINT ... Returns the
  // object for a CASCADE: the column, or the table.
  Name ClassifyDropColumn(const Name& table, Cursor& c) {
    if (c.PeekWord("CONSTRAINT")) return table;
    c.AcceptWord("COLUMN");
    c.AcceptWords({"IF", "EXISTS"});
    Name column = c.AcceptName();
    if (column.empty()) return table;
    Name object = WithPart(table, column.last());
    if (Fresh(table)) return object;
    Add(MigrationRule::kDropColumn, object, TableQualifiers(table), "ALTER TABLE ... DROP COLUMN",
        "drops column " + object.ToString() + " and every value in it");
    return object;
  }

  // After ALTER: [COLUMN] c [SET DATA] TYPE t ...
  Name ClassifyAlterColumn(const Name& table, Cursor& c) {
    if (c.PeekWord("CONSTRAINT")) return table;
    c.AcceptWord("COLUMN");
    Name column = c.AcceptName();
    if (column.empty()) return table;
    Name object = WithPart(table, column.last());
    c.AcceptWords({"SET", "DATA"});
    if (!c.AcceptWord("TYPE")) return object;
    size_t type_end = FindTopLevel(t_, c.pos(), c.end(), [](const SqlToken& t) {
      return IsWord(t, "USING") || IsWord(t, "COLLATE");
    });
    if (type_end == kNone) type_end = c.end();
    if (Fresh(table)) return object;
    Add(MigrationRule::kAlterColumnType, object, TableQualifiers(table),
        "ALTER TABLE ... ALTER COLUMN ... TYPE",
        "changes the type of column " + object.ToString() + " to " +
            TokensText(t_, c.pos(), type_end) +
            ": every value is converted (and may be truncated or rejected) while the table is "
            "rewritten under an exclusive lock");
    return object;
  }

  // After ADD: [COLUMN] [IF NOT EXISTS] c type constraints, or a table
  // constraint.
  void ClassifyAddColumn(const Name& table, Cursor& c) {
    static const std::string_view kConstraintWords[] = {"CONSTRAINT", "PRIMARY", "UNIQUE",
                                                        "CHECK",      "FOREIGN", "EXCLUDE"};
    bool column_keyword = c.AcceptWord("COLUMN");
    for (std::string_view word : kConstraintWords) {
      if (!column_keyword && c.PeekWord(word)) return;
    }
    c.AcceptWords({"IF", "NOT", "EXISTS"});
    Name column = c.AcceptName();
    if (column.empty()) return;
    size_t id = tables_->Resolve(table);
    tables_->at(id).added_columns.insert(column.last());
    if (tables_->at(id).fresh() || !NotNullWithoutDefault(c.pos(), c.end())) return;
    Name object = WithPart(table, column.last());
    size_t i =
        Add(MigrationRule::kAddNotNullWithoutDefault, object, TableQualifiers(table),
            "ALTER TABLE ... ADD COLUMN ... NOT NULL without DEFAULT",
            "adds column " + object.ToString() +
                " NOT NULL without a DEFAULT: it fails on a table with rows" +
                std::string(IsPostgres() ? "" : " (SQLite refuses it even on an empty table)") +
                "; give it a DEFAULT, or add it nullable, fill it, then make it NOT NULL");
    if (!IsPostgres() || !facts_.table_has_rows || tables_->at(id).created_here) return;
    std::optional<bool> populated = facts_.table_has_rows(ToTableRef(table));
    if (populated.has_value() && !*populated) (*out_)[i].emit = false;
  }

  // A column definition (after the name) that is NOT NULL or PRIMARY KEY
  // and gets no value from DEFAULT, GENERATED, AS (...) or a serial type.
  bool NotNullWithoutDefault(size_t begin, size_t end) {
    static const std::string_view kSerials[] = {"SERIAL",  "BIGSERIAL", "SMALLSERIAL",
                                                "SERIAL2", "SERIAL4",   "SERIAL8"};
    if (begin < end) {
      for (std::string_view serial : kSerials) {
        if (IsWord(t_[begin], serial)) return false;
      }
    }
    bool not_null = false;
    int depth = 0;
    for (size_t i = begin; i < end; ++i) {
      if (IsSymbol(t_[i], "(")) ++depth;
      if (IsSymbol(t_[i], ")")) --depth;
      if (depth != 0) continue;
      if (IsWord(t_[i], "DEFAULT") || IsWord(t_[i], "GENERATED") || IsWord(t_[i], "AS")) {
        return false;
      }
      if (i + 1 < end && ((IsWord(t_[i], "NOT") && IsWord(t_[i + 1], "NULL")) ||
                          (IsWord(t_[i], "PRIMARY") && IsWord(t_[i + 1], "KEY")))) {
        not_null = true;
      }
    }
    return not_null;
  }

  // After RENAME: TO new | [COLUMN] a TO b | CONSTRAINT a TO b
  void ClassifyRename(const Name& table, Cursor& c) {
    if (c.PeekWord("CONSTRAINT")) return;
    if (c.AcceptWord("TO")) return ClassifyRenameTable(table, c.AcceptName());
    c.AcceptWord("COLUMN");
    Name column = c.AcceptName();
    if (column.empty() || !c.AcceptWord("TO")) return;
    Name to = c.AcceptName();
    if (Fresh(table)) return;
    Name object = WithPart(table, column.last());
    Add(MigrationRule::kRenameColumn, object, TableQualifiers(table),
        "ALTER TABLE ... RENAME COLUMN",
        "renames column " + object.ToString() + " to " + (to.empty() ? "?" : to.ToString()) +
            "; code and queries that still use the old name break, and the old name's data is "
            "no longer where they look");
  }

  void ClassifyRenameTable(const Name& table, Name to) {
    if (to.empty()) return;
    if (to.parts.size() == 1 && table.parts.size() > 1) {
      Name qualified = table;  // RENAME TO keeps the schema
      qualified.parts.back() = to.last();
      to = qualified;
    }
    size_t id = tables_->Resolve(table);
    bool fresh = tables_->at(id).fresh();
    tables_->Rename(id, to, line_);
    if (fresh) return;
    size_t index =
        Add(MigrationRule::kRenameTable, table, TableQualifiers(table), "ALTER TABLE ... RENAME TO",
            "renames table " + table.ToString() + " to " + to.ToString() +
                "; code and queries that still use the old name break");
    tables_->at(id).covered_by_rebuild.push_back(index);
  }

  const Tokens& t_;
  int line_;
  SqlDialect dialect_;
  const MigrationFacts& facts_;
  TableTracker* tables_;
  std::vector<Candidate>* out_;
  bool cascade_claimed_ = false;
};

// ---------------------------------------------------------------------------
// The table rebuild, found after all statements.

bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// What a rebuild leaves behind, as far as the file and the facts tell.
std::string RebuildLosses(const TableIdentity& copy, const Fill& fill, const Name& old_name,
                          SqlDialect dialect, const MigrationFacts& facts) {
  const SelectInfo& select = fill.select;
  std::vector<std::string> targets =
      !fill.insert_columns.empty() ? fill.insert_columns : copy.columns;
  std::vector<std::string> lost;
  // Columns of the new table the copy does not fill.
  if (copy.columns_known && (!fill.insert_columns.empty() || !select.HasStar())) {
    size_t filled = fill.insert_columns.empty() ? select.items.size() : 0;
    for (size_t i = filled; i < copy.columns.size(); ++i) {
      if (!Contains(fill.insert_columns, copy.columns[i])) lost.push_back(copy.columns[i]);
    }
  }
  // Columns of the old table the copy does not read (the facts know them).
  std::optional<std::vector<std::string>> old_columns;
  if (facts.table_columns) old_columns = facts.table_columns(ToTableRef(old_name));
  for (const std::string& raw : old_columns.value_or(std::vector<std::string>{})) {
    std::string column = dialect == SqlDialect::kSqlite ? ToLowerAscii(raw) : raw;
    bool read = false;
    for (const SelectItem& item : select.items) {
      read |= item.referenced.count(column) > 0;
      if (item.star) read |= !copy.columns_known || Contains(copy.columns, column);
    }
    if (!read && !Contains(lost, column)) lost.push_back(column);
  }
  // Values that land in a column of another name.
  std::vector<std::string> moved;
  for (size_t i = 0; i < select.items.size() && i < targets.size(); ++i) {
    const std::string& from = select.items[i].output;
    if (!from.empty() && !select.items[i].star && from != targets[i]) {
      moved.push_back(QuoteIfNeeded(from) + " -> " + QuoteIfNeeded(targets[i]));
    }
  }
  std::string out;
  if (!lost.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& column : lost) quoted.push_back(QuoteIfNeeded(column));
    out += "columns not carried over: " + Join(quoted, ", ") + "; ";
  }
  if (!moved.empty())
    out += "values copied into a column of another name: " + Join(moved, ", ") + "; ";
  if (select.filtered) out += "the copy does not read every row (WHERE, LIMIT or a join); ";
  if (out.empty()) {
    out = "the classifier cannot tell whether every column and row is carried over; ";
  }
  return out;
}

void FindRebuilds(const TableTracker& tables, SqlDialect dialect, const MigrationFacts& facts,
                  std::vector<Candidate>* candidates) {
  const std::vector<TableIdentity>& ids = tables.identities();
  for (size_t old_id = 0; old_id < ids.size(); ++old_id) {
    const TableIdentity& old_table = ids[old_id];
    if (old_table.original.empty() || !old_table.dropped) continue;
    for (const TableIdentity& copy : ids) {
      if (copy.dropped || tables.Key(copy.current) != tables.Key(old_table.original)) continue;
      auto fill = std::find_if(copy.fills.begin(), copy.fills.end(),
                               [&](const Fill& f) { return f.source == old_id; });
      if (fill == copy.fills.end()) continue;
      for (size_t index : old_table.covered_by_rebuild) (*candidates)[index].covered = true;
      for (size_t index : copy.covered_by_rebuild) (*candidates)[index].covered = true;
      const Name& name = old_table.original;
      Candidate c;
      c.rule = MigrationRule::kTableRebuild;
      c.object = name;
      c.qualifiers = TableQualifiers(name);
      c.line = old_table.drop_line;
      c.statement = "table rebuild (copy, DROP TABLE, RENAME)";
      c.consequence = "rebuilds table " + name.ToString() + ": its rows are copied (line " +
                      std::to_string(fill->line) + "), the table is dropped (line " +
                      std::to_string(old_table.drop_line) + ") and the copy takes its name (line " +
                      std::to_string(copy.rename_line != 0 ? copy.rename_line : copy.create_line) +
                      "); " + RebuildLosses(copy, *fill, name, dialect, facts) +
                      "whatever the copy leaves out is lost";
      candidates->push_back(std::move(c));
    }
  }
}

// ---------------------------------------------------------------------------
// Acknowledgements.

// Where a directive is: its exact line, or the statement it sits above.
struct DirectiveLocation {
  int line = 0;
  bool exact = false;
};

std::string Where(const std::string& file, const DirectiveLocation& at) {
  if (at.line == 0) return file;
  if (at.exact) return file + ":" + std::to_string(at.line);
  return file + " (above line " + std::to_string(at.line) + ")";
}

struct Acknowledgement {
  MigrationRule rule = MigrationRule::kDropTable;
  std::vector<std::string> object;
  std::string text;  // "allow drop-column documents.x"
  DirectiveLocation at;
  bool used = false;
};

// Parses the object of an acknowledgement: a name and nothing else. Returns
// the problem, or "" on success.
std::string ParseAckObject(std::string_view text, SqlDialect dialect,
                           std::vector<std::string>* parts) {
  if (text.empty()) return "it names no object";
  if (text.find('*') != std::string_view::npos)
    return "wildcards are not accepted; name one object";
  Result<Tokens> tokens = TokenizeSql(text, dialect);
  if (!tokens.ok() || tokens->empty()) return "its object is not a name";
  Cursor c(*tokens, dialect, 0, tokens->size());
  Name name = c.AcceptName();
  if (name.empty()) return "its object is not a name";
  if (!c.AtEnd()) return "it has more than a rule and one object";
  *parts = name.parts;
  return "";
}

// True when `ack` names `c`: the same parts, or the same without the schema
// the statement named.
bool Matches(const Acknowledgement& ack, const Candidate& c) {
  if (ack.rule != c.rule) return false;
  const std::vector<std::string>& parts = c.object.parts;
  for (size_t skip = 0; skip <= c.qualifiers && skip < parts.size(); ++skip) {
    if (std::equal(parts.begin() + static_cast<std::ptrdiff_t>(skip), parts.end(),
                   ack.object.begin(), ack.object.end())) {
      return true;
    }
  }
  return false;
}

MigrationFinding DirectiveFinding(MigrationRule rule, const std::string& directive,
                                  const DirectiveLocation& at, std::string message) {
  MigrationFinding f;
  f.rule = rule;
  f.severity = InfoOf(rule).severity;
  f.object = directive.substr(std::string_view("tether:").size());
  f.line = at.line;
  f.statement = "-- " + directive;
  f.message = std::move(message);
  return f;
}

bool IsRunnerDirective(std::string_view word) {
  for (std::string_view known : kRunnerDirectives) {
    if (word == known) return true;
  }
  return false;
}

// Reads every directive: acknowledgements into `acks`, problems into `out`.
void ReadDirectives(const std::vector<std::string>& directives,
                    const std::vector<DirectiveLocation>& locations, SqlDialect dialect,
                    const std::string& file, std::vector<Acknowledgement>* acks,
                    std::vector<MigrationFinding>* out) {
  for (size_t i = 0; i < directives.size(); ++i) {
    const std::string& directive = directives[i];
    const DirectiveLocation& at = locations[i];
    std::string_view body = std::string_view(directive).substr(std::string_view("tether:").size());
    size_t space = body.find_first_of(" \t");
    std::string_view word = body.substr(0, space);
    std::string_view rest = space == std::string_view::npos ? "" : body.substr(space);
    if (word != "allow") {
      if (IsRunnerDirective(word)) continue;
      std::string known = "tether:allow";
      for (std::string_view d : kRunnerDirectives) known += ", tether:" + std::string(d);
      out->push_back(DirectiveFinding(MigrationRule::kUnknownDirective, directive, at,
                                      Where(file, at) + ": unknown directive \"-- " + directive +
                                          "\" (known: " + known +
                                          "); it is ignored. Check it for a typo."));
      continue;
    }
    auto invalid = [&](const std::string& why) {
      out->push_back(DirectiveFinding(
          MigrationRule::kInvalidAcknowledgement, directive, at,
          Where(file, at) + ": invalid acknowledgement \"-- " + directive + "\": " + why +
              ". Write it as -- tether:allow <rule> <object>, e.g. -- tether:allow drop-column "
              "documents.legacy_col. Refused until it is fixed or removed."));
    };
    size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
      invalid("it names no rule");
      continue;
    }
    rest = rest.substr(start);
    size_t rule_end = rest.find_first_of(" \t");
    std::string rule_id(rest.substr(0, rule_end));
    std::string_view object = rule_end == std::string_view::npos ? "" : rest.substr(rule_end);
    object.remove_prefix(std::min(object.size(), object.find_first_not_of(" \t")));
    std::optional<MigrationRule> rule = ParseAcknowledgeableRule(ToLowerAscii(rule_id));
    if (!rule) {
      invalid("unknown rule \"" + rule_id + "\" (rules: " + AcknowledgeableRuleList() + ")");
      continue;
    }
    Acknowledgement ack;
    ack.rule = *rule;
    ack.text = directive;
    ack.at = at;
    std::string problem = ParseAckObject(object, dialect, &ack.object);
    if (!problem.empty()) {
      invalid(problem);
      continue;
    }
    acks->push_back(std::move(ack));
  }
}

std::string Directive(MigrationRule rule, const std::string& object) {
  return "-- tether:allow " + std::string(MigrationRuleId(rule)) + " " + object;
}

MigrationFinding ToFinding(const Candidate& c, const std::string& file) {
  MigrationFinding f;
  f.rule = c.rule;
  f.severity = InfoOf(c.rule).severity;
  f.object = c.object.ToString();
  f.line = c.line;
  f.statement = c.statement;
  std::string head = file + ":" + std::to_string(c.line) + ": " + c.statement + " on " + f.object +
                     ": " + c.consequence + ". ";
  if (f.severity == FindingSeverity::kRefused) {
    f.message = head + "Refused: if this is intended, acknowledge it in the file with the line \"" +
                Directive(c.rule, f.object) + "\".";
  } else {
    f.message =
        head + "Warning: to acknowledge it, add the line \"" + Directive(c.rule, f.object) + "\".";
  }
  return f;
}

// ---------------------------------------------------------------------------
// Directive lines.

// From the script alone: a directive on its own line right above a
// statement is located "above" that statement.
std::vector<DirectiveLocation> LocateFromStatements(const SqlScript& script) {
  std::vector<DirectiveLocation> out(script.file_directives.size());
  size_t k = 0;
  for (const SqlStatement& statement : script.statements) {
    for (const std::string& directive : statement.directives) {
      size_t found = k;
      while (found < script.file_directives.size() && script.file_directives[found] != directive) {
        ++found;
      }
      if (found == script.file_directives.size()) break;
      out[found] = DirectiveLocation{statement.line, false};
      k = found + 1;
    }
  }
  return out;
}

// From the text: the line of each "--" comment whose text is the directive,
// in order (file_directives is in file order).
std::vector<DirectiveLocation> LocateInText(std::string_view sql,
                                            const std::vector<std::string>& directives) {
  std::vector<DirectiveLocation> out(directives.size());
  size_t k = 0;
  int line = 1;
  size_t begin = 0;
  while (begin <= sql.size() && k < directives.size()) {
    size_t newline = sql.find('\n', begin);
    std::string_view text =
        sql.substr(begin, newline == std::string_view::npos ? sql.npos : newline - begin);
    for (size_t dash = text.find("--"); dash != std::string_view::npos && k < directives.size();
         dash = text.find("--", dash + 2)) {
      std::string_view comment = text.substr(dash + 2);
      comment.remove_prefix(std::min(comment.size(), comment.find_first_not_of(" \t")));
      while (!comment.empty() &&
             (comment.back() == ' ' || comment.back() == '\t' || comment.back() == '\r' ||
              comment.back() == '\f' || comment.back() == '\v')) {
        comment.remove_suffix(1);
      }
      if (comment == directives[k]) {
        out[k++] = DirectiveLocation{line, true};
        break;
      }
    }
    if (newline == std::string_view::npos) break;
    begin = newline + 1;
    ++line;
  }
  return out;
}

tether::Result<MigrationClassification> Classify(const SqlScript& script, SqlDialect dialect,
                                                 const std::string& file,
                                                 const MigrationFacts& facts,
                                                 const std::vector<DirectiveLocation>& locations) {
  std::vector<Candidate> candidates;
  TableTracker tables(dialect);
  for (const SqlStatement& statement : script.statements) {
    Result<Tokens> tokens = TokenizeSql(statement.text, dialect);
    if (!tokens.ok()) {
      return Status::InvalidArgument(file + ":" + std::to_string(statement.line) + ": " +
                                     tokens.status().message());
    }
    StatementClassifier(*tokens, statement, dialect, facts, &tables, &candidates).Run();
  }
  FindRebuilds(tables, dialect, facts, &candidates);

  MigrationClassification result;
  std::vector<Acknowledgement> acks;
  ReadDirectives(script.file_directives, locations, dialect, file, &acks, &result.findings);
  for (const Candidate& c : candidates) {
    bool acknowledged = false;
    for (Acknowledgement& ack : acks) {
      if (!Matches(ack, c)) continue;
      ack.used = true;
      acknowledged = true;
    }
    if (!c.emit || c.covered) continue;
    MigrationFinding f = ToFinding(c, file);
    f.acknowledged = acknowledged;
    result.findings.push_back(std::move(f));
  }
  for (const Acknowledgement& ack : acks) {
    // protected-change is the runner's to check (see protected_columns.h).
    if (ack.used || ack.rule == MigrationRule::kProtectedChange) continue;
    result.findings.push_back(DirectiveFinding(
        MigrationRule::kUnusedAcknowledgement, ack.text, ack.at,
        Where(file, ack.at) + ": unused acknowledgement \"-- " + ack.text +
            "\": no statement of this file does " + std::string(MigrationRuleId(ack.rule)) +
            " on that object. Check the rule and the object for a typo (the object is written as "
            "the statement names it: table or table.column), or remove the line."));
  }
  std::stable_sort(
      result.findings.begin(), result.findings.end(),
      [](const MigrationFinding& a, const MigrationFinding& b) { return a.line < b.line; });
  for (const MigrationFinding& f : result.findings) {
    if (f.severity == FindingSeverity::kRefused && !f.acknowledged) result.refused = true;
  }
  return result;
}

}  // namespace

std::string_view MigrationRuleId(MigrationRule rule) { return InfoOf(rule).id; }

std::optional<MigrationRule> ParseAcknowledgeableRule(std::string_view id) {
  for (const RuleInfo& info : kRules) {
    if (info.acknowledgeable && info.id == id) return info.rule;
  }
  return std::nullopt;
}

std::string_view FindingSeverityName(FindingSeverity severity) {
  return severity == FindingSeverity::kRefused ? "refused" : "warning";
}

tether::Result<MigrationClassification> ClassifyMigration(const SqlScript& script,
                                                          SqlDialect dialect,
                                                          const std::string& file_name,
                                                          const MigrationFacts& facts) {
  return Classify(script, dialect, file_name, facts, LocateFromStatements(script));
}

tether::Result<MigrationClassification> ClassifyMigrationSql(std::string_view sql,
                                                             SqlDialect dialect,
                                                             const std::string& file_name,
                                                             const MigrationFacts& facts) {
  Result<SqlScript> script = SplitSqlScript(sql, dialect, file_name);
  if (!script.ok()) return script.status();
  return Classify(*script, dialect, file_name, facts, LocateInText(sql, script->file_directives));
}

tether::Status RefusalStatus(const MigrationClassification& classification,
                             const std::string& file_name) {
  if (!classification.refused) return Status::Ok();
  std::string message = file_name + ": refused";
  for (const MigrationFinding& f : classification.findings) {
    if (f.severity != FindingSeverity::kRefused || f.acknowledged) continue;
    message += "\n  " + f.message;
  }
  return Status::DataLoss(message);
}

}  // namespace tether::migrate
