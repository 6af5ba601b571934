#include "engine/migrate/migration_classifier.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using tether::StatusCode;
using tether::migrate::ClassifyMigration;
using tether::migrate::ClassifyMigrationSql;
using tether::migrate::FindingSeverity;
using tether::migrate::FindingSeverityName;
using tether::migrate::MigrationClassification;
using tether::migrate::MigrationFacts;
using tether::migrate::MigrationFinding;
using tether::migrate::MigrationRule;
using tether::migrate::MigrationRuleId;
using tether::migrate::ParseAcknowledgeableRule;
using tether::migrate::RefusalStatus;
using tether::migrate::SplitSqlScript;
using tether::migrate::SqlDialect;
using tether::migrate::SqlScript;
using tether::migrate::SqlStatement;
using tether::migrate::TableRef;

using Strings = std::vector<std::string>;

const SqlDialect kSqlite = SqlDialect::kSqlite;
const SqlDialect kPostgres = SqlDialect::kPostgres;
const char* const kFile = "migrations/postgres/0007_cleanup.sql";

MigrationClassification Classify(const std::string& sql, SqlDialect dialect,
                                 const MigrationFacts& facts = {},
                                 const std::string& file = kFile) {
  auto result = ClassifyMigrationSql(sql, dialect, file, facts);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return result.value();
}

// "<severity> <rule> <object> @<line>[ ack]", one per finding, in order.
Strings Summary(const MigrationClassification& c) {
  Strings out;
  for (const MigrationFinding& f : c.findings) {
    out.push_back(std::string(FindingSeverityName(f.severity)) + " " +
                  std::string(MigrationRuleId(f.rule)) + " " + f.object + " @" +
                  std::to_string(f.line) + (f.acknowledged ? " ack" : ""));
  }
  return out;
}

const MigrationFinding& Only(const MigrationClassification& c) {
  REQUIRE(c.findings.size() == 1);
  return c.findings[0];
}

// Facts from maps: table name -> rows? and table name -> columns.
MigrationFacts Facts(std::map<std::string, bool> rows,
                     std::map<std::string, Strings> columns = {}) {
  MigrationFacts facts;
  facts.table_has_rows = [rows](const TableRef& table) -> std::optional<bool> {
    auto it = rows.find(table.name);
    if (it == rows.end()) return std::nullopt;
    return it->second;
  };
  facts.table_columns = [columns](const TableRef& table) -> std::optional<Strings> {
    auto it = columns.find(table.name);
    if (it == columns.end()) return std::nullopt;
    return it->second;
  };
  return facts;
}

// ---------------------------------------------------------------------------
// What passes.

TEST_CASE("postgres: an additive migration has no findings") {
  const std::string sql = R"sql(-- 0002: sync settings and tags.
-- Nothing here may DROP TABLE or TRUNCATE anything; CASCADE is fine in prose.
ALTER TABLE project_syncs ADD COLUMN sync_enabled boolean;
ALTER TABLE project_syncs ADD COLUMN priority integer NOT NULL DEFAULT 0,
                          ADD COLUMN id2 bigserial NOT NULL,
                          ADD COLUMN slug text GENERATED ALWAYS AS (lower(branch)) STORED NOT NULL;
UPDATE project_syncs SET sync_enabled = true;
UPDATE documents SET language = 'c' WHERE path LIKE '%.c';
DELETE FROM events WHERE created_at < '2020-01-01';
CREATE TABLE tags (
  id          bigserial PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE ON UPDATE CASCADE,
  name        text NOT NULL,
  note        text DEFAULT 'DROP TABLE documents CASCADE'
);
CREATE INDEX tags_by_name ON tags (name);
ALTER TABLE tags ADD CONSTRAINT tags_doc FOREIGN KEY (document_id) REFERENCES documents(id) ON DELETE CASCADE;
INSERT INTO tags (document_id, name) SELECT id, 'untagged' FROM documents;
COMMENT ON TABLE tags IS 'TRUNCATE tags CASCADE; DELETE FROM tags';
CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ DELETE FROM tags; DROP TABLE x CASCADE $$;
CREATE PROCEDURE wipe() LANGUAGE sql BEGIN ATOMIC
  DELETE FROM tags;
  UPDATE documents SET embedding = NULL;
  DELETE FROM tags_cascade CASCADE;
END;
/* DROP TABLE documents CASCADE; */
SELECT 1;
)sql";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{});
  CHECK_FALSE(c.refused);
  CHECK(RefusalStatus(c, kFile).ok());
}

TEST_CASE("sqlite: an additive migration has no findings") {
  const std::string sql = R"sql(CREATE TABLE document_tags (
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  tag         TEXT NOT NULL,
  PRIMARY KEY (document_id, tag)
);
CREATE INDEX document_tags_by_tag ON document_tags(tag);
CREATE INDEX documents_by_language ON documents(language);
ALTER TABLE documents ADD COLUMN tag_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN summary TEXT;
UPDATE documents SET summary = substr(content, 1, 80);
CREATE TRIGGER documents_gone AFTER DELETE ON documents BEGIN
  DELETE FROM document_tags;
  UPDATE documents SET tag_count = 0;
END;
DELETE FROM events WHERE type = 'debug';
INSERT OR IGNORE INTO document_tags SELECT id, 'all' FROM documents;
)sql";
  // The index on documents is not a finding on SQLite, populated or not.
  MigrationClassification c = Classify(sql, kSqlite, Facts({{"documents", true}}));
  CHECK(Summary(c) == Strings{});
  CHECK_FALSE(c.refused);
}

// ---------------------------------------------------------------------------
// DROP COLUMN and acknowledgements.

TEST_CASE("postgres: DROP COLUMN is refused with a message that says how to acknowledge it") {
  const std::string sql =
      "-- 0007: the old column is no longer used.\n"
      "ALTER TABLE documents ADD COLUMN kind2 text;\n"
      "ALTER TABLE documents DROP COLUMN legacy_col;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused drop-column documents.legacy_col @3"});
  CHECK(c.refused);
  const MigrationFinding& f = Only(c);
  CHECK(f.rule == MigrationRule::kDropColumn);
  CHECK(f.statement == "ALTER TABLE ... DROP COLUMN");
  CHECK(f.message ==
        "migrations/postgres/0007_cleanup.sql:3: ALTER TABLE ... DROP COLUMN on "
        "documents.legacy_col: drops column documents.legacy_col and every value in it. Refused: "
        "if this is intended, acknowledge it in the file with the line \"-- tether:allow "
        "drop-column documents.legacy_col\".");
  tether::Status status = RefusalStatus(c, kFile);
  CHECK(status.code() == StatusCode::kDataLoss);
  CHECK(status.message() == std::string(kFile) + ": refused\n  " + f.message);
}

TEST_CASE("postgres: an acknowledgement of that rule on that object lets DROP COLUMN through") {
  const std::string sql =
      "-- tether:allow drop-column documents.legacy_col\n"
      "ALTER TABLE documents DROP COLUMN IF EXISTS legacy_col;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused drop-column documents.legacy_col @2 ack"});
  CHECK_FALSE(c.refused);
  CHECK(RefusalStatus(c, kFile).ok());
}

TEST_CASE("an acknowledgement anywhere in the file counts and keywords may be any case") {
  const std::string sql =
      "alter table documents drop legacy_col;\n"
      "SELECT 1; -- tether:allow drop-column DOCUMENTS.Legacy_Col\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused drop-column documents.legacy_col @1 ack"});
  CHECK_FALSE(c.refused);
}

TEST_CASE("an acknowledgement of another object does not count and is reported unused") {
  const std::string sql =
      "-- tether:allow drop-column documents.legacy_column\n"
      "ALTER TABLE documents DROP COLUMN legacy_col;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) ==
        Strings{"warning unused-acknowledgement allow drop-column documents.legacy_column @1",
                "refused drop-column documents.legacy_col @2"});
  CHECK(c.refused);
  CHECK(
      c.findings[0].message ==
      std::string(kFile) +
          ":1: unused acknowledgement \"-- tether:allow drop-column documents.legacy_column\": no "
          "statement of this file does drop-column on that object. Check the rule and the object "
          "for a typo (the object is written as the statement names it: table or table.column), "
          "or remove the line.");
}

TEST_CASE("an acknowledgement of another rule does not count and is reported unused") {
  const std::string sql =
      "-- tether:allow drop-table documents.legacy_col\n"
      "-- tether:allow rename-column documents.legacy_col\n"
      "ALTER TABLE documents DROP COLUMN legacy_col;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) ==
        Strings{"warning unused-acknowledgement allow drop-table documents.legacy_col @1",
                "warning unused-acknowledgement allow rename-column documents.legacy_col @2",
                "refused drop-column documents.legacy_col @3"});
  CHECK(c.refused);
}

TEST_CASE("an acknowledgement of the table does not cover a column of it") {
  const std::string sql =
      "-- tether:allow drop-column documents\n"
      "ALTER TABLE documents DROP COLUMN embedding;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"warning unused-acknowledgement allow drop-column documents @1",
                              "refused drop-column documents.embedding @2"});
  CHECK(c.refused);
}

TEST_CASE("postgres: several actions in one ALTER TABLE are judged one by one") {
  const std::string sql =
      "-- tether:allow drop-column documents.b\n"
      "ALTER TABLE documents\n"
      "  DROP COLUMN a,\n"
      "  DROP b CASCADE,\n"
      "  DROP CONSTRAINT documents_kind_check,\n"
      "  ADD COLUMN c numeric(10, 2) NOT NULL,\n"
      "  ADD COLUMN d text NOT NULL DEFAULT '',\n"
      "  ALTER COLUMN e TYPE bigint USING e::bigint,\n"
      "  ALTER COLUMN f SET NOT NULL,\n"
      "  ALTER f SET DEFAULT 1;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused drop-column documents.a @2",
                              "refused drop-column documents.b @2 ack",
                              "refused cascade documents.b @2",
                              "refused add-not-null-without-default documents.c @2",
                              "refused alter-column-type documents.e @2"});
  CHECK(c.refused);
}

// ---------------------------------------------------------------------------
// Identifiers.

TEST_CASE("postgres: quoted identifiers keep their case and the schema may be left out") {
  const std::string sql =
      "-- tether:allow drop-column \"Documents\".\"LegacyCol\"\n"
      "-- tether:allow drop-column documents.legacycol\n"
      "-- tether:allow drop-table archive.\"Old Docs\"\n"
      "ALTER TABLE ONLY public.\"Documents\" DROP COLUMN \"LegacyCol\";\n"
      "DROP TABLE IF EXISTS archive.\"Old Docs\";\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) ==
        Strings{"warning unused-acknowledgement allow drop-column documents.legacycol @2",
                "refused drop-column public.\"Documents\".\"LegacyCol\" @4 ack",
                "refused drop-table archive.\"Old Docs\" @5 ack"});
  CHECK_FALSE(c.refused);
}

TEST_CASE("an acknowledgement naming a schema the statement did not name does not count") {
  const std::string sql =
      "-- tether:allow drop-table public.documents\n"
      "DROP TABLE documents;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"warning unused-acknowledgement allow drop-table public.documents @1",
                              "refused drop-table documents @2"});
}

TEST_CASE("sqlite: every identifier is case-insensitive whatever its quotes") {
  const std::string sql =
      "-- tether:allow drop-column DOCUMENTS.legacy_col\n"
      "-- tether:allow rename-column main.documents.\"Path\"\n"
      "ALTER TABLE [Documents] DROP COLUMN \"Legacy_Col\";\n"
      "ALTER TABLE main.`documents` RENAME COLUMN path TO file_path;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused drop-column documents.legacy_col @3 ack",
                              "refused rename-column main.documents.path @4 ack"});
  CHECK_FALSE(c.refused);
}

// ---------------------------------------------------------------------------
// DROP of whole objects.

TEST_CASE("postgres: DROP TABLE SCHEMA DATABASE EXTENSION and TYPE are refused") {
  const std::string sql = R"sql(DROP TABLE IF EXISTS old_runs, public.old_events;
DROP SCHEMA IF EXISTS staging;
DROP DATABASE tether_scratch;
DROP EXTENSION IF EXISTS vector;
DROP TYPE document_kind;
DROP VIEW recent_documents;
DROP INDEX documents_by_path;
DROP FUNCTION touch(integer);
)sql";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) ==
        Strings{"refused drop-table old_runs @1", "refused drop-table public.old_events @1",
                "refused drop-schema staging @2", "refused drop-database tether_scratch @3",
                "refused drop-extension vector @4", "refused drop-type document_kind @5"});
  CHECK(c.findings[4].message.find("DROP EXTENSION on vector: drops extension vector") !=
        std::string::npos);
}

TEST_CASE("sqlite: DROP TABLE is refused and acknowledged by table name") {
  const std::string sql =
      "-- tether:allow drop-table sync_runs_old\n"
      "DROP TABLE IF EXISTS main.sync_runs_old;\n"
      "DROP TABLE events;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) ==
        Strings{"refused drop-table main.sync_runs_old @2 ack", "refused drop-table events @3"});
  CHECK(c.refused);
}

// ---------------------------------------------------------------------------
// Renames and type changes.

TEST_CASE("renames of a table and of a column are refused in both dialects") {
  const std::string sql =
      "ALTER TABLE documents RENAME TO files;\n"
      "ALTER TABLE files RENAME COLUMN path TO file_path;\n"
      "ALTER TABLE files RENAME size TO byte_size;\n"
      "ALTER TABLE files RENAME CONSTRAINT a TO b;\n";
  for (SqlDialect dialect : {kSqlite, kPostgres}) {
    MigrationClassification c = Classify(sql, dialect);
    CHECK(Summary(c) == Strings{"refused rename-table documents @1",
                                "refused rename-column files.path @2",
                                "refused rename-column files.size @3"});
    CHECK(c.findings[0].message.find("renames table documents to files") != std::string::npos);
  }
}

TEST_CASE("postgres: a column type change is refused in either spelling") {
  const std::string sql =
      "ALTER TABLE documents ALTER COLUMN path SET DATA TYPE varchar(100);\n"
      "ALTER TABLE IF EXISTS documents ALTER size TYPE bigint USING size::bigint;\n"
      "ALTER TABLE documents ALTER COLUMN path DROP NOT NULL;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused alter-column-type documents.path @1",
                              "refused alter-column-type documents.size @2"});
  CHECK(c.findings[0].message.find("changes the type of column documents.path to varchar(100):") !=
        std::string::npos);
  CHECK(c.findings[1].message.find("to bigint:") != std::string::npos);
}

// ---------------------------------------------------------------------------
// Rows.

TEST_CASE("postgres: TRUNCATE DELETE and UPDATE without WHERE are refused") {
  const std::string sql = R"sql(TRUNCATE TABLE ONLY events, sync_runs RESTART IDENTITY;
DELETE FROM documents;
DELETE FROM ONLY documents d USING projects p;
DELETE FROM documents WHERE id IN (SELECT id FROM documents);
DELETE FROM documents d USING (SELECT id FROM projects WHERE true) p;
UPDATE documents SET embedding = NULL;
UPDATE documents d SET (content, language) = (NULL, NULL) FROM projects p;
UPDATE documents SET embedding = NULL WHERE blob_sha <> updated_commit;
WITH gone AS (DELETE FROM events RETURNING id) SELECT count(*) FROM gone;
)sql";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused truncate events @1", "refused truncate sync_runs @1",
                              "refused delete-without-where documents @2",
                              "refused delete-without-where documents @3",
                              "refused delete-without-where documents @5",
                              "refused update-without-where documents @6",
                              "refused update-without-where documents @7",
                              "refused delete-without-where events @9"});
  CHECK(c.findings[6].message.find(
            "rewrites column(s) content, language in every row of documents") != std::string::npos);
}

TEST_CASE("sqlite: UPDATE OR REPLACE without WHERE is refused and with WHERE passes") {
  const std::string sql =
      "UPDATE OR REPLACE documents SET kind = 'file';\n"
      "UPDATE OR IGNORE documents SET kind = 'file' WHERE kind IS NULL;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused update-without-where documents @1"});
}

TEST_CASE("an UPDATE without WHERE that fills only columns this file added is a backfill") {
  const std::string sql =
      "ALTER TABLE project_syncs ADD COLUMN sync_enabled INTEGER;\n"
      "ALTER TABLE project_syncs ADD COLUMN priority INTEGER;\n"
      "UPDATE project_syncs SET sync_enabled = 1, priority = 0;\n"
      "UPDATE project_syncs SET sync_enabled = 1, status = 'never_synced';\n"
      "UPDATE documents SET sync_enabled = 1;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused update-without-where project_syncs @4",
                              "refused update-without-where documents @5"});
}

// ---------------------------------------------------------------------------
// CASCADE.

TEST_CASE("postgres: CASCADE is refused on its own rule wherever it drops or empties") {
  const std::string sql = R"sql(-- tether:allow drop-table old_runs
DROP TABLE old_runs CASCADE;
TRUNCATE events CASCADE;
DROP VIEW recent CASCADE;
ALTER TABLE documents DROP CONSTRAINT documents_project_fk CASCADE;
REVOKE ALL PRIVILEGES ON TABLE public.documents FROM reader CASCADE;
)sql";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused drop-table old_runs @2 ack", "refused cascade old_runs @2",
                              "refused truncate events @3", "refused cascade events @3",
                              "refused cascade recent @4", "refused cascade documents @5",
                              "refused cascade public.documents @6"});
  CHECK(c.refused);
  CHECK(c.findings[1].statement == "DROP TABLE ... CASCADE");
}

TEST_CASE("CASCADE in a string in a comment or as a foreign key action is not a finding") {
  const std::string sql = R"sql(-- We used to DROP TABLE documents CASCADE here.
/* TRUNCATE documents CASCADE; */
INSERT INTO events (type, payload) VALUES ('note', 'DROP TABLE documents CASCADE');
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  document_id INTEGER REFERENCES documents(id) ON UPDATE CASCADE ON DELETE CASCADE
);
ALTER TABLE notes ADD COLUMN project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE;
)sql";
  for (SqlDialect dialect : {kSqlite, kPostgres}) {
    MigrationClassification c = Classify(sql, dialect);
    CHECK(Summary(c) == Strings{});
  }
}

TEST_CASE("an acknowledged CASCADE names the object it is on") {
  const std::string sql =
      "-- tether:allow drop-column documents.kind\n"
      "-- tether:allow cascade documents.kind\n"
      "ALTER TABLE documents DROP COLUMN kind CASCADE;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused drop-column documents.kind @3 ack",
                              "refused cascade documents.kind @3 ack"});
  CHECK_FALSE(c.refused);
}

// ---------------------------------------------------------------------------
// Tables created by the same file.

TEST_CASE("a table this file creates can be changed and dropped freely") {
  const std::string sql = R"sql(CREATE TABLE scratch (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
ALTER TABLE scratch ADD COLUMN c TEXT NOT NULL;
ALTER TABLE scratch RENAME COLUMN a TO a2;
ALTER TABLE scratch DROP COLUMN b;
DELETE FROM scratch;
UPDATE scratch SET a2 = 'x';
CREATE INDEX scratch_by_c ON scratch (c);
DROP TABLE scratch;
)sql";
  for (SqlDialect dialect : {kSqlite, kPostgres}) {
    MigrationClassification c = Classify(sql, dialect, Facts({{"scratch", true}}));
    CHECK(Summary(c) == Strings{});
  }
}

TEST_CASE("postgres: a table this file creates and fills is indexed without asking the facts") {
  const std::string sql = R"sql(CREATE TABLE documents_copy (id bigint, path text);
INSERT INTO documents_copy SELECT id, path FROM documents;
CREATE INDEX documents_copy_by_path ON documents_copy (path);
ALTER TABLE documents_copy ADD COLUMN checked boolean NOT NULL;
)sql";
  std::vector<std::string> asked;
  MigrationFacts facts;
  facts.table_has_rows = [&asked](const TableRef& t) -> std::optional<bool> {
    asked.push_back(t.name);
    return false;
  };
  MigrationClassification c = Classify(sql, kPostgres, facts);
  CHECK(asked == Strings{});
  // The copy holds rows, so NOT NULL without DEFAULT on it still fails.
  CHECK(Summary(c) == Strings{"refused add-not-null-without-default documents_copy.checked @4"});
}

TEST_CASE("CREATE TABLE IF NOT EXISTS may name a table with data so it keeps every rule") {
  const std::string sql =
      "CREATE TABLE IF NOT EXISTS documents (id INTEGER PRIMARY KEY);\n"
      "DROP TABLE documents;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused drop-table documents @2"});
}

TEST_CASE("CASCADE on a table this file creates is still refused") {
  const std::string sql =
      "CREATE TABLE scratch (id integer);\n"
      "DROP TABLE scratch CASCADE;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) == Strings{"refused cascade scratch @2"});
}

// ---------------------------------------------------------------------------
// NOT NULL without a default.

TEST_CASE("sqlite: ADD COLUMN NOT NULL without DEFAULT is refused") {
  const std::string sql =
      "ALTER TABLE documents ADD COLUMN checksum TEXT NOT NULL;\n"
      "ALTER TABLE documents ADD owner INTEGER REFERENCES projects(id) NOT NULL;\n"
      "ALTER TABLE documents ADD COLUMN size2 INTEGER NOT NULL DEFAULT 0;\n"
      "ALTER TABLE documents ADD COLUMN words INTEGER NOT NULL AS (length(content)) VIRTUAL;\n"
      "ALTER TABLE documents ADD COLUMN note TEXT CHECK (CAST(note AS TEXT) <> '') NOT NULL;\n";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused add-not-null-without-default documents.checksum @1",
                              "refused add-not-null-without-default documents.owner @2",
                              "refused add-not-null-without-default documents.note @5"});
  CHECK(c.findings[0].message.find("SQLite refuses it even on an empty table") !=
        std::string::npos);
}

TEST_CASE("postgres: ADD COLUMN NOT NULL without DEFAULT is refused unless the table is empty") {
  const std::string sql =
      "-- tether:allow add-not-null-without-default tags.weight\n"
      "ALTER TABLE documents ADD COLUMN IF NOT EXISTS checksum text NOT NULL;\n"
      "ALTER TABLE tags ADD COLUMN weight integer NOT NULL;\n"
      "ALTER TABLE projects ADD COLUMN code text PRIMARY KEY;\n";
  SECTION("without facts every one is refused") {
    MigrationClassification c = Classify(sql, kPostgres);
    CHECK(Summary(c) == Strings{"refused add-not-null-without-default documents.checksum @2",
                                "refused add-not-null-without-default tags.weight @3 ack",
                                "refused add-not-null-without-default projects.code @4"});
  }
  SECTION("an empty table takes it and its acknowledgement is not reported unused") {
    MigrationClassification c = Classify(
        sql, kPostgres, Facts({{"documents", true}, {"tags", false}, {"projects", false}}));
    CHECK(Summary(c) == Strings{"refused add-not-null-without-default documents.checksum @2"});
  }
}

// ---------------------------------------------------------------------------
// Indexes on PostgreSQL.

TEST_CASE("postgres: CREATE INDEX CONCURRENTLY inside a transaction is refused") {
  const std::string sql =
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS documents_by_blob ON public.documents (blob_sha);\n"
      "CREATE UNIQUE INDEX CONCURRENTLY ON documents (project_id, path);\n"
      "DROP INDEX CONCURRENTLY IF EXISTS documents_by_path;\n";
  SECTION("in a transaction") {
    MigrationClassification c = Classify(sql, kPostgres);
    CHECK(Summary(c) == Strings{"refused index-concurrently-in-transaction public.documents @1",
                                "refused index-concurrently-in-transaction documents @2",
                                "refused index-concurrently-in-transaction documents_by_path @3"});
    CHECK(c.findings[0].message.find("marked -- tether:no-transaction") != std::string::npos);
    CHECK(c.findings[0].message.find("index documents_by_blob on public.documents") !=
          std::string::npos);
  }
  SECTION("in a file that runs without a transaction") {
    MigrationFacts facts = Facts({{"documents", true}});
    facts.runs_in_transaction = false;
    MigrationClassification c = Classify(sql, kPostgres, facts);
    CHECK(Summary(c) == Strings{});
  }
}

TEST_CASE("postgres: CREATE INDEX without CONCURRENTLY on a populated table is a warning") {
  const std::string sql =
      "CREATE INDEX documents_by_language ON documents (language);\n"
      "CREATE UNIQUE INDEX IF NOT EXISTS projects_by_tenant ON ONLY projects USING btree "
      "(tenant_id, name);\n"
      "CREATE INDEX events_by_type ON events (type);\n";
  SECTION("populated, empty and unknown tables") {
    MigrationClassification c =
        Classify(sql, kPostgres, Facts({{"documents", true}, {"projects", false}}));
    CHECK(Summary(c) == Strings{"warning index-without-concurrently documents @1"});
    CHECK_FALSE(c.refused);
    CHECK(c.findings[0].severity == FindingSeverity::kWarning);
    CHECK(c.findings[0].message.find("Warning: to acknowledge it, add the line \"-- tether:allow "
                                     "index-without-concurrently documents\"") !=
          std::string::npos);
  }
  SECTION("without facts nothing is known and nothing is reported") {
    CHECK(Summary(Classify(sql, kPostgres)) == Strings{});
  }
  SECTION("the table name and schema reach the facts callback") {
    std::vector<std::string> asked;
    MigrationFacts facts;
    facts.table_has_rows = [&asked](const TableRef& t) -> std::optional<bool> {
      asked.push_back(t.schema + "|" + t.name);
      return true;
    };
    MigrationClassification c = Classify(
        "CREATE INDEX i ON archive.\"Docs\" (a);\nCREATE INDEX j ON docs (a);\n", kPostgres, facts);
    CHECK(asked == Strings{"archive|Docs", "|docs"});
    CHECK(Summary(c) == Strings{"warning index-without-concurrently archive.\"Docs\" @1",
                                "warning index-without-concurrently docs @2"});
  }
}

// ---------------------------------------------------------------------------
// Table rebuilds.

const char* const kSqliteRebuild =
    R"sql(-- 0003: make documents.kind NOT NULL (SQLite needs a rebuild).
PRAGMA foreign_keys = OFF;
CREATE TABLE documents_new (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  path       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  content    TEXT,
  embedding  BLOB,
  UNIQUE (project_id, path)
);
INSERT INTO documents_new (id, project_id, path, kind, content, embedding)
  SELECT id, project_id, path, coalesce(kind, 'file'), content, embedding FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_by_path ON documents (path);
PRAGMA foreign_keys = ON;
)sql";

TEST_CASE("sqlite: a table rebuild is one refused finding on the old table") {
  MigrationClassification c = Classify(kSqliteRebuild, kSqlite);
  CHECK(Summary(c) == Strings{"refused table-rebuild documents @14"});
  CHECK(c.refused);
  const MigrationFinding& f = Only(c);
  CHECK(f.message ==
        std::string(kFile) +
            ":14: table rebuild (copy, DROP TABLE, RENAME) on documents: rebuilds table documents: "
            "its rows are copied (line 12), the table is dropped (line 14) and the copy takes its "
            "name (line 15); the classifier cannot tell whether every column and row is carried "
            "over; whatever the copy leaves out is lost. Refused: if this is intended, acknowledge "
            "it in the file with the line \"-- tether:allow table-rebuild documents\".");
}

TEST_CASE("sqlite: acknowledging the rebuild covers its DROP TABLE and RENAME") {
  MigrationClassification c =
      Classify(std::string("-- tether:allow table-rebuild documents\n") + kSqliteRebuild, kSqlite);
  CHECK(Summary(c) == Strings{"refused table-rebuild documents @15 ack"});
  CHECK_FALSE(c.refused);
}

TEST_CASE("sqlite: acknowledging only the DROP TABLE of a rebuild does not let it through") {
  MigrationClassification c =
      Classify(std::string("-- tether:allow drop-table documents\n") + kSqliteRebuild, kSqlite);
  CHECK(Summary(c) == Strings{"refused table-rebuild documents @15"});
  CHECK(c.refused);
}

TEST_CASE("sqlite: a rebuild whose copy leaves a column empty names the column") {
  const std::string sql = R"sql(CREATE TABLE documents_new (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, content TEXT, embedding BLOB);
INSERT INTO documents_new (id, path, content) SELECT id, path, content FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
)sql";
  MigrationClassification c = Classify(sql, kSqlite);
  const MigrationFinding& f = Only(c);
  CHECK(f.rule == MigrationRule::kTableRebuild);
  CHECK(f.object == "documents");
  CHECK(f.message.find(
            "; columns not carried over: embedding; whatever the copy leaves out is lost") !=
        std::string::npos);
}

TEST_CASE("sqlite: a rebuild whose new table lacks a column names it from the live columns") {
  const std::string sql =
      R"sql(CREATE TABLE documents_new (id INTEGER PRIMARY KEY, path TEXT, content TEXT);
INSERT INTO documents_new SELECT id, path, content FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
)sql";
  SECTION("with the old table's columns") {
    MigrationClassification c =
        Classify(sql, kSqlite, Facts({}, {{"documents", {"id", "path", "content", "Embedding"}}}));
    CHECK(Summary(c) == Strings{"refused table-rebuild documents @3"});
    CHECK(c.findings[0].message.find("columns not carried over: embedding;") != std::string::npos);
  }
  SECTION("without them the classifier says it cannot tell") {
    MigrationClassification c = Classify(sql, kSqlite);
    CHECK(Summary(c) == Strings{"refused table-rebuild documents @3"});
    CHECK(c.findings[0].message.find("cannot tell whether every column") != std::string::npos);
  }
}

TEST_CASE("a rebuild that copies a value into a column of another name says so") {
  const std::string sql = R"sql(CREATE TABLE documents_new (id integer, path text, language text);
INSERT INTO documents_new SELECT id, path, embedding FROM documents WHERE id > 0;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
)sql";
  MigrationClassification c = Classify(sql, kPostgres);
  const MigrationFinding& f = Only(c);
  CHECK(f.message.find("values copied into a column of another name: embedding -> language; the "
                       "copy does not read every row (WHERE, LIMIT or a join);") !=
        std::string::npos);
}

TEST_CASE("a rebuild by CREATE TABLE AS SELECT is found too") {
  const std::string sql =
      R"sql(CREATE TABLE documents_new AS SELECT id, path, content AS body FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
)sql";
  MigrationClassification c =
      Classify(sql, kSqlite, Facts({}, {{"documents", {"id", "path", "content", "embedding"}}}));
  CHECK(Summary(c) == Strings{"refused table-rebuild documents @2"});
  CHECK(c.findings[0].message.find("columns not carried over: embedding;") != std::string::npos);
}

TEST_CASE("a rebuild that renames the old table away first is found too") {
  const std::string sql = R"sql(ALTER TABLE documents RENAME TO documents_old;
CREATE TABLE documents (id INTEGER PRIMARY KEY, path TEXT);
INSERT INTO documents (id, path) SELECT id, path FROM documents_old;
DROP TABLE documents_old;
)sql";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused table-rebuild documents @4"});
}

TEST_CASE("a copy into a new table without dropping the old one is not a rebuild") {
  const std::string sql = R"sql(CREATE TABLE documents_archive (id INTEGER, path TEXT);
INSERT INTO documents_archive SELECT id, path FROM documents;
ALTER TABLE documents_archive RENAME TO documents_backup;
)sql";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused rename-table documents_archive @3"});
}

TEST_CASE("a copy dropped and replaced under another name is a DROP TABLE not a rebuild") {
  const std::string sql = R"sql(CREATE TABLE files (id INTEGER, path TEXT);
INSERT INTO files SELECT id, path FROM documents;
DROP TABLE documents;
)sql";
  MigrationClassification c = Classify(sql, kSqlite);
  CHECK(Summary(c) == Strings{"refused drop-table documents @3"});
}

// ---------------------------------------------------------------------------
// Directives.

TEST_CASE("malformed acknowledgements are refused and unknown directives are warnings") {
  const std::string sql =
      "-- tether:allow drop-colum documents.legacy_col\n"
      "-- tether:allow drop-column\n"
      "-- tether:allow drop-column documents.*\n"
      "-- tether:allow drop-column documents.legacy_col because it moved\n"
      "-- tether:allow unused-acknowledgement documents\n"
      "-- tether:allow\n"
      "-- tether:alow drop-column documents.legacy_col\n"
      "-- tether:no-transaction\n"
      "SELECT 1;\n";
  MigrationClassification c = Classify(sql, kPostgres);
  CHECK(Summary(c) ==
        Strings{"refused invalid-acknowledgement allow drop-colum documents.legacy_col @1",
                "refused invalid-acknowledgement allow drop-column @2",
                "refused invalid-acknowledgement allow drop-column documents.* @3",
                "refused invalid-acknowledgement allow drop-column documents.legacy_col because it "
                "moved @4",
                "refused invalid-acknowledgement allow unused-acknowledgement documents @5",
                "refused invalid-acknowledgement allow @6",
                "warning unknown-directive alow drop-column documents.legacy_col @7"});
  CHECK(c.refused);
  CHECK(c.findings[0].message.find(":1: invalid acknowledgement \"-- tether:allow drop-colum "
                                   "documents.legacy_col\": unknown rule \"drop-colum\" (rules: "
                                   "drop-table, drop-schema,") != std::string::npos);
  CHECK(c.findings[2].message.find("wildcards are not accepted") != std::string::npos);
  CHECK(c.findings[3].message.find("more than a rule and one object") != std::string::npos);
}

TEST_CASE("a directive located from the script alone carries the line of the statement below it") {
  const std::string sql =
      "-- tether:allow drop-table documents_old\n"
      "\n"
      "DROP TABLE documents;\n"
      "SELECT 1; -- tether:allow truncate x\n";
  auto script = SplitSqlScript(sql, kPostgres, kFile);
  REQUIRE(script.ok());
  auto result = ClassifyMigration(*script, kPostgres, kFile);
  REQUIRE(result.ok());
  CHECK(Summary(*result) ==
        Strings{"warning unused-acknowledgement allow truncate x @0",
                "refused drop-table documents @3",
                "warning unused-acknowledgement allow drop-table documents_old @3"});
  CHECK(result->findings[0].message.rfind(std::string(kFile) + ": unused acknowledgement", 0) == 0);
  CHECK(result->findings[2].message.rfind(std::string(kFile) + " (above line 3): unused", 0) == 0);
  // With the text, each directive has its own line.
  CHECK(Summary(Classify(sql, kPostgres)) ==
        Strings{"warning unused-acknowledgement allow drop-table documents_old @1",
                "refused drop-table documents @3",
                "warning unused-acknowledgement allow truncate x @4"});
}

// ---------------------------------------------------------------------------
// The API around the rules.

TEST_CASE("every rule id is stable and only the data rules can be acknowledged") {
  const std::vector<std::pair<MigrationRule, std::string>> rules = {
      {MigrationRule::kDropTable, "drop-table"},
      {MigrationRule::kDropSchema, "drop-schema"},
      {MigrationRule::kDropDatabase, "drop-database"},
      {MigrationRule::kDropExtension, "drop-extension"},
      {MigrationRule::kDropType, "drop-type"},
      {MigrationRule::kDropColumn, "drop-column"},
      {MigrationRule::kRenameTable, "rename-table"},
      {MigrationRule::kRenameColumn, "rename-column"},
      {MigrationRule::kAlterColumnType, "alter-column-type"},
      {MigrationRule::kTruncate, "truncate"},
      {MigrationRule::kDeleteWithoutWhere, "delete-without-where"},
      {MigrationRule::kUpdateWithoutWhere, "update-without-where"},
      {MigrationRule::kCascade, "cascade"},
      {MigrationRule::kTableRebuild, "table-rebuild"},
      {MigrationRule::kAddNotNullWithoutDefault, "add-not-null-without-default"},
      {MigrationRule::kIndexConcurrentlyInTransaction, "index-concurrently-in-transaction"},
      {MigrationRule::kIndexWithoutConcurrently, "index-without-concurrently"},
  };
  for (const auto& [rule, id] : rules) {
    CHECK(MigrationRuleId(rule) == id);
    CHECK(ParseAcknowledgeableRule(id) == rule);
  }
  CHECK(MigrationRuleId(MigrationRule::kUnusedAcknowledgement) == "unused-acknowledgement");
  CHECK(MigrationRuleId(MigrationRule::kInvalidAcknowledgement) == "invalid-acknowledgement");
  CHECK(MigrationRuleId(MigrationRule::kUnknownDirective) == "unknown-directive");
  CHECK_FALSE(ParseAcknowledgeableRule("unused-acknowledgement").has_value());
  CHECK_FALSE(ParseAcknowledgeableRule("invalid-acknowledgement").has_value());
  CHECK_FALSE(ParseAcknowledgeableRule("unknown-directive").has_value());
  CHECK_FALSE(ParseAcknowledgeableRule("everything").has_value());
}

TEST_CASE("a statement that does not tokenize is an InvalidArgument naming file and line") {
  SqlScript script;
  SqlStatement statement;
  statement.text = "DROP TABLE 'documents";
  statement.line = 12;
  script.statements.push_back(statement);
  auto result = ClassifyMigration(script, kSqlite, kFile);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  CHECK(result.status().message() ==
        std::string(kFile) + ":12: line 1, column 12: unterminated single-quoted string");
  auto unsplittable = ClassifyMigrationSql("SELECT 'x;\n", kSqlite, kFile);
  REQUIRE_FALSE(unsplittable.ok());
  CHECK(unsplittable.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the refusal lists every unacknowledged refused finding and no warning") {
  const std::string sql =
      "-- tether:allow truncate events\n"
      "TRUNCATE events;\n"
      "DROP TABLE a;\n"
      "DROP TYPE b;\n"
      "CREATE INDEX i ON documents (path);\n";
  MigrationClassification c = Classify(sql, kPostgres, Facts({{"documents", true}}));
  CHECK(Summary(c) == Strings{"refused truncate events @2 ack", "refused drop-table a @3",
                              "refused drop-type b @4",
                              "warning index-without-concurrently documents @5"});
  tether::Status status = RefusalStatus(c, kFile);
  CHECK(status.code() == StatusCode::kDataLoss);
  CHECK(status.message() == std::string(kFile) + ": refused\n  " + c.findings[1].message + "\n  " +
                                c.findings[2].message);
}

}  // namespace
