-- Text search over synced content (issue 17): sql-storage's index of every
-- document's content by its 3-character sequences (FTS5's trigram
-- tokenizer, in SQLite since 3.34), so that a substring search reads only
-- the documents that hold every trigram of the query instead of every row.
--
-- An external-content table: it keeps no copy of the content, only the
-- index, keyed by documents.id (an INTEGER PRIMARY KEY, so VACUUM never
-- renumbers it). The triggers keep it current with every write to
-- documents, the storage's own and a project removed by its foreign key
-- alike; an update that leaves the content as it was (a rename, a mode
-- change) does not touch it. Case-insensitive: the storage folds case
-- itself, and checks every candidate's content before it answers.
CREATE VIRTUAL TABLE documents_text USING fts5(
  content,
  content = 'documents',
  content_rowid = 'id',
  tokenize = 'trigram'
);

CREATE TRIGGER documents_text_insert AFTER INSERT ON documents WHEN new.content IS NOT NULL
BEGIN
  INSERT INTO documents_text (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER documents_text_delete AFTER DELETE ON documents WHEN old.content IS NOT NULL
BEGIN
  INSERT INTO documents_text (documents_text, rowid, content) VALUES ('delete', old.id, old.content);
END;

CREATE TRIGGER documents_text_update AFTER UPDATE OF content ON documents
  WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO documents_text (documents_text, rowid, content)
    SELECT 'delete', old.id, old.content WHERE old.content IS NOT NULL;
  INSERT INTO documents_text (rowid, content)
    SELECT new.id, new.content WHERE new.content IS NOT NULL;
END;

-- The documents there are now: indexed from their content.
INSERT INTO documents_text (documents_text) VALUES ('rebuild');
