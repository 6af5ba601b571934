#include "engine/migrate/sql_script.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using tether::StatusCode;
using tether::migrate::SplitSqlScript;
using tether::migrate::SqlDialect;
using tether::migrate::SqlScript;
using tether::migrate::SqlToken;
using tether::migrate::TokenizeSql;

SqlScript MustSplit(const std::string& sql, SqlDialect dialect) {
  auto result = SplitSqlScript(sql, dialect, "test.sql");
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return result.value();
}

std::vector<std::string> Texts(const SqlScript& script) {
  std::vector<std::string> out;
  for (const auto& statement : script.statements) out.push_back(statement.text);
  return out;
}

std::vector<int> Lines(const SqlScript& script) {
  std::vector<int> out;
  for (const auto& statement : script.statements) out.push_back(statement.line);
  return out;
}

// The error message of splitting `sql`, which must fail with InvalidArgument.
std::string SplitError(const std::string& sql, SqlDialect dialect,
                       const std::string& source = "migrations/0002_bad.sql") {
  auto result = SplitSqlScript(sql, dialect, source);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  return result.status().message();
}

using Strings = std::vector<std::string>;
using Ints = std::vector<int>;

// ---------------------------------------------------------------------------
// SQLite

TEST_CASE("sqlite: a plain migration splits into its statements with their lines") {
  const std::string sql = R"sql(-- 0002: tags for documents.
-- Tags are free text; one row per (document, tag).

CREATE TABLE tags (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE document_tags (
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (document_id, tag_id)
);

CREATE INDEX document_tags_by_tag ON document_tags(tag_id);   -- lookups by tag
ALTER TABLE documents ADD COLUMN tag_count INTEGER NOT NULL DEFAULT 0;
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  CHECK(Texts(script) ==
        Strings{"CREATE TABLE tags (\n  id   INTEGER PRIMARY KEY,\n  name TEXT NOT NULL UNIQUE\n)",
                "CREATE TABLE document_tags (\n"
                "  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,\n"
                "  tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,\n"
                "  PRIMARY KEY (document_id, tag_id)\n)",
                "CREATE INDEX document_tags_by_tag ON document_tags(tag_id)",
                "ALTER TABLE documents ADD COLUMN tag_count INTEGER NOT NULL DEFAULT 0"});
  CHECK(Lines(script) == Ints{4, 8, 14, 15});
  CHECK(script.file_directives.empty());
  for (const auto& statement : script.statements) CHECK(statement.directives.empty());
}

TEST_CASE("sqlite: semicolons and quotes inside strings do not split") {
  const std::string sql =
      "INSERT INTO settings(key, value) VALUES ('greeting', 'hello; world');\n"
      "INSERT INTO settings(key, value) VALUES ('quote', 'it''s; fine'), ('empty', '');\n"
      "UPDATE settings SET value = ''';' WHERE key = 'semi';\n"
      "SELECT X'3B00' AS blob; SELECT 'back\\'; SELECT 3\n";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  CHECK(Texts(script) ==
        Strings{"INSERT INTO settings(key, value) VALUES ('greeting', 'hello; world')",
                "INSERT INTO settings(key, value) VALUES ('quote', 'it''s; fine'), ('empty', '')",
                "UPDATE settings SET value = ''';' WHERE key = 'semi'",
                "SELECT X'3B00' AS blob",
                // SQLite: a backslash is an ordinary character in a string.
                "SELECT 'back\\'", "SELECT 3"});
  CHECK(Lines(script) == Ints{1, 2, 3, 4, 4, 4});
}

TEST_CASE("sqlite: comments with semicolons and quotes are kept inside and dropped outside") {
  const std::string sql = R"sql(/* Header: don't split here; "really" */
-- it's a comment; with 'quotes' and "more"
CREATE TABLE notes (
  id INTEGER PRIMARY KEY, -- the key; don't touch
  /* body text; can't be null */ body TEXT NOT NULL
) /* trailing; */ ;
-- only a comment; nothing else
;
/* a block; alone */;
SELECT 1 -- the end; really
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  CHECK(Texts(script) == Strings{"CREATE TABLE notes (\n"
                                 "  id INTEGER PRIMARY KEY, -- the key; don't touch\n"
                                 "  /* body text; can't be null */ body TEXT NOT NULL\n)",
                                 "SELECT 1"});
  CHECK(Lines(script) == Ints{3, 10});
}

TEST_CASE("sqlite: quoted identifiers of every kind may contain semicolons and quotes") {
  const std::string sql =
      "CREATE TABLE \"odd;name\" (\"col\"\"; x\" TEXT, [br;acket] TEXT, `back;tick` TEXT, "
      "`it``s` TEXT);\n"
      "SELECT [it's] FROM \"odd;name\";\n";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  CHECK(Texts(script) ==
        Strings{"CREATE TABLE \"odd;name\" (\"col\"\"; x\" TEXT, [br;acket] TEXT, "
                "`back;tick` TEXT, `it``s` TEXT)",
                "SELECT [it's] FROM \"odd;name\""});
}

TEST_CASE("sqlite: a trigger body with several statements is one statement") {
  const std::string sql = R"sql(-- Keep the tag count of a document in step.
CREATE TRIGGER document_tags_count_insert
AFTER INSERT ON document_tags
BEGIN
  UPDATE documents SET tag_count = tag_count + 1 WHERE id = NEW.document_id;
  INSERT INTO events(project_id, type, payload, created_at)
    VALUES (NULL, 'tag_added', '{"tag": 1; "x": 2}', datetime('now'));
END;

CREATE TRIGGER document_tags_count_delete AFTER DELETE ON document_tags BEGIN
  UPDATE documents SET tag_count = tag_count - 1 WHERE id = OLD.document_id;
END;
CREATE INDEX after_triggers ON documents(tag_count);
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  REQUIRE(script.statements.size() == 3);
  CHECK(script.statements[0].text ==
        "CREATE TRIGGER document_tags_count_insert\n"
        "AFTER INSERT ON document_tags\n"
        "BEGIN\n"
        "  UPDATE documents SET tag_count = tag_count + 1 WHERE id = NEW.document_id;\n"
        "  INSERT INTO events(project_id, type, payload, created_at)\n"
        "    VALUES (NULL, 'tag_added', '{\"tag\": 1; \"x\": 2}', datetime('now'));\n"
        "END");
  CHECK(script.statements[1].text ==
        "CREATE TRIGGER document_tags_count_delete AFTER DELETE ON document_tags BEGIN\n"
        "  UPDATE documents SET tag_count = tag_count - 1 WHERE id = OLD.document_id;\n"
        "END");
  CHECK(script.statements[2].text == "CREATE INDEX after_triggers ON documents(tag_count)");
  CHECK(Lines(script) == Ints{2, 10, 13});
}

TEST_CASE("sqlite: CASE ... END inside a trigger does not close the trigger") {
  const std::string sql = R"sql(create temp trigger if not exists runs_outcome
after update of outcome on sync_runs
when case new.outcome when 'ok' then 1 else 0 end = 1
begin
  update project_syncs
     set status = case new.outcome
                    when 'ok' then 'synced'
                    when 'failed' then case when new.error is null then 'failed' else 'error' end
                    else status
                  end;
  insert into events(type, payload, created_at) values ('status', 'end;', 'now');
end;
CREATE TEMPORARY TRIGGER t2 BEFORE DELETE ON projects BEGIN SELECT RAISE(ABORT, 'no; deletes'); END;
BEGIN TRANSACTION;
DELETE FROM events WHERE id < 10;
END TRANSACTION;
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  REQUIRE(script.statements.size() == 5);
  CHECK(script.statements[0].text.substr(0, 51) ==
        "create temp trigger if not exists runs_outcome\nafte");
  CHECK(script.statements[0].text.size() == sql.find("end;\nCREATE TEMPORARY") + 3);
  CHECK(script.statements[1].text ==
        "CREATE TEMPORARY TRIGGER t2 BEFORE DELETE ON projects BEGIN SELECT RAISE(ABORT, "
        "'no; deletes'); END");
  // Outside a trigger, BEGIN and END are ordinary statements.
  CHECK(script.statements[2].text == "BEGIN TRANSACTION");
  CHECK(script.statements[3].text == "DELETE FROM events WHERE id < 10");
  CHECK(script.statements[4].text == "END TRANSACTION");
  CHECK(Lines(script) == Ints{1, 13, 14, 15, 16});
}

TEST_CASE("sqlite: a trigger may be the last statement without a semicolon") {
  SqlScript script = MustSplit(
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; END", SqlDialect::kSqlite);
  CHECK(Texts(script) == Strings{"CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; END"});
}

TEST_CASE("sqlite: block comments do not nest") {
  // In SQLite the comment ends at the first "*/"; in PostgreSQL the same
  // text would leave the outer comment open.
  SqlScript script = MustSplit("/* outer /* inner */ SELECT 1; SELECT 2;", SqlDialect::kSqlite);
  CHECK(Texts(script) == Strings{"SELECT 1", "SELECT 2"});
}

TEST_CASE("sqlite: a script with nothing but comments and blanks has no statements") {
  SqlScript script = MustSplit("\n  -- nothing here;\n/* nor; here */\n;;\n  ;\n", SqlDialect::kSqlite);
  CHECK(script.statements.empty());
  CHECK(MustSplit("", SqlDialect::kSqlite).statements.empty());
}

TEST_CASE("line numbers count from 1 across CRLF and block comments and a byte order mark") {
  const std::string sql =
      "\xEF\xBB\xBF" "CREATE TABLE a (x INTEGER);\r\n"
      "/* two\r\n lines */\r\n"
      "\r\n"
      "  CREATE TABLE b (\r\n y TEXT\r\n);\r\n"
      "SELECT 'multi\nline'; SELECT 2;\n"
      "SELECT 3";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  CHECK(Texts(script) == Strings{"CREATE TABLE a (x INTEGER)", "CREATE TABLE b (\r\n y TEXT\r\n)",
                                 "SELECT 'multi\nline'", "SELECT 2", "SELECT 3"});
  CHECK(Lines(script) == Ints{1, 5, 8, 9, 10});
}

// ---------------------------------------------------------------------------
// PostgreSQL

TEST_CASE("postgres: function bodies in dollar quotes with and without a tag keep their semicolons") {
  const std::string sql = R"sql(-- 0003: keep documents.updated_at current.
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now()::text;  -- "now"; as text
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER documents_touch BEFORE UPDATE ON documents
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION count_tags(doc bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $body$
DECLARE
  n bigint;
  note text := $$it's; $$ || 'x;';
BEGIN
  SELECT count(*) INTO n FROM document_tags WHERE document_id = $1;
  RETURN n;
END
$body$;
SELECT count_tags(1);
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kPostgres);
  REQUIRE(script.statements.size() == 4);
  CHECK(script.statements[0].text ==
        "CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger AS $$\n"
        "BEGIN\n"
        "  NEW.updated_at := now()::text;  -- \"now\"; as text\n"
        "  RETURN NEW;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql");
  CHECK(script.statements[1].text ==
        "CREATE TRIGGER documents_touch BEFORE UPDATE ON documents\n"
        "  FOR EACH ROW EXECUTE FUNCTION touch_updated_at()");
  CHECK(script.statements[2].text.substr(0, 53) ==
        "CREATE FUNCTION count_tags(doc bigint) RETURNS bigint");
  CHECK(script.statements[2].text.size() > 200);
  CHECK(script.statements[2].text.substr(script.statements[2].text.size() - 10) ==
        "END\n$body$");
  CHECK(script.statements[3].text == "SELECT count_tags(1)");
  CHECK(Lines(script) == Ints{2, 9, 12, 22});
}

TEST_CASE("postgres: a positional parameter is not a dollar quote") {
  SqlScript script = MustSplit(
      "PREPARE q(int) AS SELECT $1; SELECT $1$; SELECT 'x$1'; SELECT tag$ FROM t$x; SELECT 5",
      SqlDialect::kPostgres);
  CHECK(Texts(script) ==
        Strings{"PREPARE q(int) AS SELECT $1", "SELECT $1$", "SELECT 'x$1'",
                "SELECT tag$ FROM t$x", "SELECT 5"});
}

TEST_CASE("postgres: block comments nest") {
  const std::string sql = R"sql(/* Migration notes.
   /* Older note: we tried ';' here; it failed. */
   Still inside the outer comment; "quotes" and 'quotes'.
*/
ALTER TABLE documents /* nested /* twice; */ ; */ ADD COLUMN summary text;
SELECT 2;
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kPostgres);
  CHECK(Texts(script) ==
        Strings{"ALTER TABLE documents /* nested /* twice; */ ; */ ADD COLUMN summary text",
                "SELECT 2"});
  CHECK(Lines(script) == Ints{5, 6});
}

TEST_CASE("postgres: only escape strings have backslash escapes") {
  const std::string sql =
      "INSERT INTO settings VALUES (E'it\\'s; a \\\\ path; ''x''', 'plain\\');\n"
      "SELECT e'\\';', U&'d\\0061t;a', B'1010', X'1F', N'n;';\n"
      "SELECT 'C:\\'; SELECT 2;";
  SqlScript script = MustSplit(sql, SqlDialect::kPostgres);
  CHECK(Texts(script) ==
        Strings{"INSERT INTO settings VALUES (E'it\\'s; a \\\\ path; ''x''', 'plain\\')",
                "SELECT e'\\';', U&'d\\0061t;a', B'1010', X'1F', N'n;'",
                "SELECT 'C:\\'", "SELECT 2"});
}

TEST_CASE("postgres: brackets and backticks are not quotes") {
  // In SQLite "[x; y]" and `x; y` are identifiers; in PostgreSQL '[', ']'
  // and '`' are symbols, so a ';' between them splits.
  SqlScript script = MustSplit("SELECT a[1]; SELECT `; SELECT ]", SqlDialect::kPostgres);
  CHECK(Texts(script) == Strings{"SELECT a[1]", "SELECT `", "SELECT ]"});
  SqlScript sqlite = MustSplit("SELECT [a; b]; SELECT `c; d`", SqlDialect::kSqlite);
  CHECK(Texts(sqlite) == Strings{"SELECT [a; b]", "SELECT `c; d`"});
}

TEST_CASE("postgres: a BEGIN ATOMIC routine body is one statement") {
  const std::string sql = R"sql(CREATE OR REPLACE PROCEDURE archive_run(run bigint)
LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO runs_archive SELECT * FROM sync_runs WHERE id = run;
  UPDATE sync_runs SET outcome = CASE WHEN outcome = 'running' THEN 'aborted' ELSE outcome END
   WHERE id = run;
  DELETE FROM sync_runs WHERE id = run;
END;
CREATE FUNCTION f(begin int, "end" int) RETURNS int LANGUAGE sql RETURN 1;
BEGIN;
COMMIT;
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kPostgres);
  REQUIRE(script.statements.size() == 4);
  CHECK(script.statements[0].text == sql.substr(0, sql.find("END;") + 3));
  CHECK(script.statements[1].text ==
        "CREATE FUNCTION f(begin int, \"end\" int) RETURNS int LANGUAGE sql RETURN 1");
  CHECK(script.statements[2].text == "BEGIN");
  CHECK(script.statements[3].text == "COMMIT");
  CHECK(Lines(script) == Ints{1, 9, 10, 11});
}

TEST_CASE("postgres: CREATE TRIGGER has no body and ends at its semicolon") {
  SqlScript script = MustSplit(
      "CREATE TRIGGER t BEFORE UPDATE ON d FOR EACH ROW EXECUTE FUNCTION f(); SELECT 1;",
      SqlDialect::kPostgres);
  CHECK(Texts(script) ==
        Strings{"CREATE TRIGGER t BEFORE UPDATE ON d FOR EACH ROW EXECUTE FUNCTION f()",
                "SELECT 1"});
}

// ---------------------------------------------------------------------------
// Directives

TEST_CASE("directives: collected per statement and for the whole file") {
  const std::string sql = R"sql(-- tether:migration-note first file directive
-- Drop the old embedding column: we recompute it.

-- tether:allow drop-column documents.embedding
--tether:allow rewrite documents
ALTER TABLE documents DROP COLUMN embedding;   -- tether:trailing same line
CREATE TABLE x (
  -- tether:inside the statement
  id INTEGER
);
-- tether:before an empty statement
;
  -- tether:allow drop-table legacy   
DROP TABLE legacy;
-- not a directive: tether:nope
/* -- tether:in a block comment */
SELECT '-- tether:in a string';
-- tether:at the end
)sql";
  SqlScript script = MustSplit(sql, SqlDialect::kSqlite);
  REQUIRE(script.statements.size() == 4);
  CHECK(script.statements[0].directives ==
        Strings{"tether:migration-note first file directive",
                "tether:allow drop-column documents.embedding", "tether:allow rewrite documents"});
  CHECK(script.statements[0].text == "ALTER TABLE documents DROP COLUMN embedding");
  CHECK(script.statements[1].directives.empty());
  CHECK(script.statements[2].directives ==
        Strings{"tether:before an empty statement", "tether:allow drop-table legacy"});
  CHECK(script.statements[2].text == "DROP TABLE legacy");
  CHECK(script.statements[3].directives.empty());
  CHECK(script.file_directives ==
        Strings{"tether:migration-note first file directive",
                "tether:allow drop-column documents.embedding", "tether:allow rewrite documents",
                "tether:trailing same line", "tether:inside the statement",
                "tether:before an empty statement", "tether:allow drop-table legacy",
                "tether:at the end"});
  CHECK(Lines(script) == Ints{6, 7, 14, 17});
}

TEST_CASE("directives: postgres directives inside a dollar quote are not directives") {
  const std::string sql =
      "-- tether:allow rewrite documents\r\n"
      "CREATE FUNCTION g() RETURNS int AS $$\n-- tether:not me\nSELECT 1;\n$$ LANGUAGE sql;\n";
  SqlScript script = MustSplit(sql, SqlDialect::kPostgres);
  REQUIRE(script.statements.size() == 1);
  CHECK(script.statements[0].directives == Strings{"tether:allow rewrite documents"});
  CHECK(script.file_directives == Strings{"tether:allow rewrite documents"});
}

// ---------------------------------------------------------------------------
// Unterminated input

TEST_CASE("unterminated: every construct names the source and line and column and what") {
  const std::string src = "migrations/0002_bad.sql";
  SECTION("single-quoted string") {
    CHECK(SplitError("SELECT 1;\nINSERT INTO t VALUES ('ok', 'oops;\nSELECT 2;\n",
                     SqlDialect::kSqlite) ==
          src + ": line 2, column 29: unterminated single-quoted string");
  }
  SECTION("string ending in a doubled quote") {
    CHECK(SplitError("SELECT 'it''", SqlDialect::kPostgres) ==
          src + ": line 1, column 8: unterminated single-quoted string");
  }
  SECTION("double-quoted identifier") {
    CHECK(SplitError("\n\n  CREATE TABLE \"docs (id int);", SqlDialect::kPostgres) ==
          src + ": line 3, column 16: unterminated double-quoted identifier");
  }
  SECTION("bracket-quoted identifier") {
    CHECK(SplitError("SELECT [a;\nSELECT 1;", SqlDialect::kSqlite) ==
          src + ": line 1, column 8: unterminated bracket-quoted identifier");
  }
  SECTION("backtick-quoted identifier") {
    CHECK(SplitError("SELECT 1;\n\tSELECT `a``;", SqlDialect::kSqlite) ==
          src + ": line 2, column 9: unterminated backtick-quoted identifier");
  }
  SECTION("block comment in sqlite") {
    CHECK(SplitError("SELECT 1; /* never\nclosed;", SqlDialect::kSqlite) ==
          src + ": line 1, column 11: unterminated block comment");
  }
  SECTION("nested block comment in postgres") {
    // Closed once, but the outer comment is still open.
    CHECK(SplitError("SELECT 1;\n/* outer /* inner */ still open;\nSELECT 2;",
                     SqlDialect::kPostgres) ==
          src + ": line 2, column 1: unterminated block comment");
  }
  SECTION("dollar quote") {
    CHECK(SplitError("CREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n$$ LANGUAGE sql;",
                     SqlDialect::kPostgres) ==
          src + ": line 1, column 36: unterminated dollar-quoted string $body$");
  }
  SECTION("escape string") {
    CHECK(SplitError("SELECT E'it\\';", SqlDialect::kPostgres) ==
          src + ": line 1, column 8: unterminated escape string (E'...')");
  }
  SECTION("trigger body") {
    CHECK(SplitError("SELECT 1;\n\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
                     "  SELECT CASE WHEN 1 THEN 2 END;\nSELECT 3;\n",
                     SqlDialect::kSqlite) ==
          src + ": line 3, column 1: unterminated trigger body "
                "(CREATE TRIGGER without an END matching its BEGIN)");
  }
  SECTION("trigger without any BEGIN") {
    CHECK(SplitError("  CREATE TRIGGER t AFTER INSERT ON a;", SqlDialect::kSqlite) ==
          src + ": line 1, column 3: unterminated trigger body "
                "(CREATE TRIGGER without an END matching its BEGIN)");
  }
  SECTION("BEGIN ATOMIC routine body") {
    CHECK(SplitError("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1;",
                     SqlDialect::kPostgres) ==
          src + ": line 1, column 1: unterminated routine body "
                "(BEGIN ATOMIC without a matching END)");
  }
  SECTION("columns count UTF-8 characters, not bytes") {
    CHECK(SplitError("SELECT 'é', 'ü", SqlDialect::kSqlite, "x.sql") ==
          "x.sql: line 1, column 13: unterminated single-quoted string");
  }
}

TEST_CASE("unterminated constructs of one dialect are fine in the other") {
  // '$$' is not a quote in SQLite, and '[' not one in PostgreSQL.
  CHECK(MustSplit("SELECT $$; SELECT 2", SqlDialect::kSqlite).statements.size() == 2);
  CHECK(MustSplit("SELECT a[1; SELECT 2", SqlDialect::kPostgres).statements.size() == 2);
  CHECK(MustSplit("SELECT `a; SELECT 2", SqlDialect::kPostgres).statements.size() == 2);
}

// ---------------------------------------------------------------------------
// Tokenizer

std::vector<SqlToken::Kind> Kinds(const std::vector<SqlToken>& tokens) {
  std::vector<SqlToken::Kind> out;
  for (const auto& token : tokens) out.push_back(token.kind);
  return out;
}

Strings TokenTexts(const std::vector<SqlToken>& tokens) {
  Strings out;
  for (const auto& token : tokens) out.push_back(token.text);
  return out;
}

std::vector<SqlToken> MustTokenize(const std::string& sql, SqlDialect dialect) {
  auto result = TokenizeSql(sql, dialect);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return result.value();
}

using K = SqlToken::Kind;

TEST_CASE("tokenizer: kinds and texts and positions with comments skipped") {
  auto tokens = MustTokenize(
      "ALTER TABLE \"My \"\"Docs\"\" \" -- note\n  DROP /* c */ COLUMN x;", SqlDialect::kPostgres);
  CHECK(TokenTexts(tokens) ==
        Strings{"ALTER", "TABLE", "My \"Docs\" ", "DROP", "COLUMN", "x", ";"});
  CHECK(Kinds(tokens) == std::vector<K>{K::kWord, K::kWord, K::kQuotedIdentifier, K::kWord,
                                        K::kWord, K::kWord, K::kSymbol});
  REQUIRE(tokens.size() == 7);
  CHECK(tokens[2].line == 1);
  CHECK(tokens[2].column == 13);
  CHECK(tokens[3].line == 2);
  CHECK(tokens[3].column == 3);
  CHECK(tokens[4].column == 16);
}

TEST_CASE("tokenizer: sqlite identifiers are unquoted") {
  auto tokens = MustTokenize("SELECT [a b], `c``d`, \"e\", 'f''g' FROM t", SqlDialect::kSqlite);
  CHECK(TokenTexts(tokens) ==
        Strings{"SELECT", "a b", ",", "c`d", ",", "e", ",", "'f''g'", "FROM", "t"});
  CHECK(Kinds(tokens) == std::vector<K>{K::kWord, K::kQuotedIdentifier, K::kSymbol,
                                        K::kQuotedIdentifier, K::kSymbol, K::kQuotedIdentifier,
                                        K::kSymbol, K::kString, K::kWord, K::kWord});
}

TEST_CASE("tokenizer: postgres strings and numbers and parameters and operators") {
  auto tokens = MustTokenize(
      "SELECT E'a\\'b', $t$x;$t$, $1, 3.5e-2, .5, 0xFF, a::text, j->>'k', arr[2] <= 4, "
      "U&\"d\\0061t\", x$y",
      SqlDialect::kPostgres);
  CHECK(TokenTexts(tokens) ==
        Strings{"SELECT", "E'a\\'b'", ",", "$t$x;$t$", ",", "$1",     ",",  "3.5e-2",
                ",",      ".5",       ",", "0xFF",     ",", "a",      "::", "text",
                ",",      "j",        "->>", "'k'",    ",", "arr",    "[",  "2",
                "]",      "<=",       "4", ",",        "d\\0061t",    ",",  "x$y"});
  CHECK(Kinds(tokens) ==
        std::vector<K>{K::kWord,   K::kString, K::kSymbol, K::kString, K::kSymbol, K::kSymbol,
                       K::kSymbol, K::kNumber, K::kSymbol, K::kNumber, K::kSymbol, K::kNumber,
                       K::kSymbol, K::kWord,   K::kSymbol, K::kWord,   K::kSymbol, K::kWord,
                       K::kSymbol, K::kString, K::kSymbol, K::kWord,   K::kSymbol, K::kNumber,
                       K::kSymbol, K::kSymbol, K::kNumber, K::kSymbol, K::kQuotedIdentifier,
                       K::kSymbol, K::kWord});
}

TEST_CASE("tokenizer: sqlite parameters") {
  auto tokens = MustTokenize("SELECT ?, ?2, :name, @id, $v WHERE a == b", SqlDialect::kSqlite);
  CHECK(TokenTexts(tokens) == Strings{"SELECT", "?", ",", "?2", ",", ":name", ",", "@id", ",",
                                      "$v", "WHERE", "a", "==", "b"});
  for (size_t i : {1u, 3u, 5u, 7u, 9u}) {
    REQUIRE(i < tokens.size());
    CHECK(tokens[i].kind == K::kSymbol);
  }
}

TEST_CASE("tokenizer: columns count UTF-8 characters") {
  auto tokens = MustTokenize("SELECT 'héllo', naïve, x", SqlDialect::kPostgres);
  REQUIRE(tokens.size() == 6);
  CHECK(tokens[3].text == "naïve");
  CHECK(tokens[3].kind == K::kWord);
  CHECK(tokens[3].column == 17);
  CHECK(tokens[5].column == 24);
}

TEST_CASE("tokenizer: unterminated input is an error with line and column") {
  auto result = TokenizeSql("SELECT 1,\n  \"abc", SqlDialect::kSqlite);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  CHECK(result.status().message() == "line 2, column 3: unterminated double-quoted identifier");
  auto dollar = TokenizeSql("SELECT $$abc", SqlDialect::kPostgres);
  REQUIRE_FALSE(dollar.ok());
  CHECK(dollar.status().message() == "line 1, column 8: unterminated dollar-quoted string $$");
}

// ---------------------------------------------------------------------------
// The project's own migrations

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST_CASE("every migration file of the project splits") {
  const std::filesystem::path root = std::filesystem::path(TETHER_SOURCE_DIR) / "migrations";
  for (auto [folder, dialect] : {std::pair{"sqlite", SqlDialect::kSqlite},
                                 std::pair{"postgres", SqlDialect::kPostgres}}) {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(root / folder)) {
      if (entry.path().extension() != ".sql") continue;
      ++files;
      INFO(entry.path().string());
      const std::string sql = ReadFile(entry.path());
      auto result = SplitSqlScript(sql, dialect, entry.path().string());
      INFO(result.status().ToString());
      REQUIRE(result.ok());
      CHECK_FALSE(result->statements.empty());
      for (const auto& statement : result->statements) {
        CHECK(statement.line >= 1);
        CHECK(statement.text.back() != ';');
      }
    }
    CHECK(files > 0);
  }
}

}  // namespace
