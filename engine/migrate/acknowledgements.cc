#include "engine/migrate/acknowledgements.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>

#include "engine/migrate/sql_tokens.h"

namespace tether::migrate::classifier {
namespace {

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

bool IsRunnerDirective(std::string_view word) {
  for (std::string_view known : kRunnerDirectives) {
    if (word == known) return true;
  }
  return false;
}

}  // namespace

std::string Where(const std::string& file, const DirectiveLocation& at) {
  if (at.line == 0) return file;
  if (at.exact) return file + ":" + std::to_string(at.line);
  return file + " (above line " + std::to_string(at.line) + ")";
}

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

// ---------------------------------------------------------------------------
// Directive lines.

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

}  // namespace tether::migrate::classifier
