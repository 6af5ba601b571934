// Splitting a SQL migration file into statements, and tokenizing one
// statement, for SQLite and PostgreSQL.
//
// Why: SOCI runs only the first statement of a multi-statement string on
// SQLite, so the migrations runner executes a file one statement at a time.
// A naive split on ';' breaks on semicolons inside strings, comments,
// PostgreSQL function bodies and SQLite trigger bodies; this splitter knows
// where a ';' ends a statement in each dialect. The tokenizer is the same
// lexer the splitter uses, exposed for the migration classifier (which
// refuses DROP COLUMN and friends) so that both agree on what is code.
//
// Thread safety: every function here is pure; it reads only its arguments
// and may be called from any thread concurrently.
// Ownership: results own their strings; nothing refers back into the input.
// Errors: malformed input (anything unterminated) is an InvalidArgument
// Status; no function here throws except std::bad_alloc.
#ifndef TETHER_ENGINE_MIGRATE_SQL_SCRIPT_H_
#define TETHER_ENGINE_MIGRATE_SQL_SCRIPT_H_

#include <string>
#include <string_view>
#include <vector>

#include "tether/status.h"

namespace tether::migrate {

// The SQL dialect decides the lexical rules:
//   both:      '...' strings ('' escapes), "..." identifiers ("" escapes),
//              -- line comments, /* */ block comments.
//   kSqlite:   [bracket] and `backtick` identifiers, X'..' blobs, and
//              CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN ... END bodies.
//   kPostgres: nested block comments, $$...$$ and $tag$...$tag$ dollar
//              quotes ($1 is a parameter, not a quote), E'...' strings with
//              backslash escapes, B'', X'', N'', U&'' strings, U&"" identifiers,
//              and CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ...
//              END bodies (SQL-standard routine bodies, PostgreSQL 14+).
// PostgreSQL is assumed to run with standard_conforming_strings=on (the
// default since 9.1): a backslash is an escape only inside E'...'.
enum class SqlDialect { kSqlite, kPostgres };

// One statement of a script.
struct SqlStatement {
  // The statement from its first token to its last one: no trailing ';', no
  // leading or trailing whitespace or comments. Comments between its first
  // and last token are kept as written.
  std::string text;
  // 1-based line of the statement's first token in the script.
  int line = 0;
  // The `-- tether:...` directives on comment lines of their own between the
  // previous statement and this one, in order, each as the comment text
  // after "--" and the spaces after it, without trailing whitespace:
  // "tether:allow drop-column documents.x". A directive after code on the
  // same line, or inside the statement, is not listed here (it would be
  // ambiguous which statement it belongs to); it is still in
  // SqlScript::file_directives.
  std::vector<std::string> directives;
};

struct SqlScript {
  // In file order. Statements that are empty or only comments are dropped.
  std::vector<SqlStatement> statements;
  // Every `-- tether:` line comment anywhere in the file (outside strings),
  // in file order, formatted as SqlStatement::directives.
  std::vector<std::string> file_directives;
};

// Splits `sql` (the contents of one migration file) into statements.
//
// A ';' ends a statement only outside strings, quoted identifiers, comments,
// dollar quotes, and routine or trigger bodies: a SQLite CREATE TRIGGER ends
// at the ';' after the END that matches its BEGIN (CASE ... END inside the
// body nests), a PostgreSQL BEGIN ATOMIC body at the ';' after its END. The
// last statement may omit its ';'. A UTF-8 byte order mark is ignored.
//
// Errors: InvalidArgument when a string, quoted identifier, block comment,
// dollar quote or trigger/routine body is unterminated. The message is
// "<source_name>: line L, column C: unterminated <what>", where L:C is where
// the unterminated construct started (columns count UTF-8 characters from
// 1). `source_name` is used only for messages.
tether::Result<SqlScript> SplitSqlScript(std::string_view sql, SqlDialect dialect,
                                         const std::string& source_name);

// One lexical token of a statement.
struct SqlToken {
  enum class Kind {
    kWord,              // keyword or unquoted identifier, as written (case kept)
    kQuotedIdentifier,  // "x", `x`, [x], U&"x"; text is unquoted, escapes undone
    kString,            // any string literal, as written with quotes and prefix:
                        // 'a''b', E'a\'b', X'00', $tag$...$tag$
    kNumber,            // 42, 3.14, .5, 1e-3, 0xFF
    kSymbol,            // punctuation and operators ( ) , ; . :: <= || ...
                        // and parameters ($1, ?1, :name, @name, $name)
  };
  Kind kind = Kind::kSymbol;
  std::string text;
  int line = 0;    // 1-based, relative to the tokenized text
  int column = 0;  // 1-based, in UTF-8 characters
};

// Tokenizes `statement` (typically SqlStatement::text) with the lexical rules
// of `dialect`, skipping whitespace and comments. To place a token in the
// file, its line there is SqlStatement::line + token.line - 1.
//
// Errors: InvalidArgument "line L, column C: unterminated <what>" for an
// unterminated string, quoted identifier, block comment or dollar quote.
tether::Result<std::vector<SqlToken>> TokenizeSql(std::string_view statement,
                                                  SqlDialect dialect);

}  // namespace tether::migrate

#endif  // TETHER_ENGINE_MIGRATE_SQL_SCRIPT_H_
