-- The text index is built after the write (issue 15): a write no longer
-- indexes the content it stores in its own transaction, where FTS5's
-- trigram index cost many times the write itself (a first sync of 705
-- files: 0.2 s of copy, 1 s with the index; of 100,000 synthetic files,
-- minutes). Each document whose content the index does not hold yet is
-- named in documents_text_pending; sql-storage's IndexText (SDK 3.8), which
-- the analyze phase calls after the write, indexes them in batches of
-- their own, and SearchText reads their content directly meanwhile.
--
-- The triggers keep the index exact: a document removed or changed has
-- its old content taken out of the index only when the index holds it,
-- and new content is always pending. Every document there is now is
-- indexed (0014 rebuilt the index and its triggers kept it), so nothing
-- starts pending.
CREATE TABLE documents_text_pending (
  id INTEGER PRIMARY KEY,         -- documents.id
  project_id INTEGER NOT NULL     -- documents.project_id, for a project's batches and searches
);
CREATE INDEX documents_text_pending_project ON documents_text_pending (project_id, id);

DROP TRIGGER documents_text_insert;
DROP TRIGGER documents_text_delete;
DROP TRIGGER documents_text_update;

CREATE TRIGGER documents_text_insert AFTER INSERT ON documents WHEN new.content IS NOT NULL
BEGIN
  INSERT INTO documents_text_pending (id, project_id) VALUES (new.id, new.project_id);
END;

CREATE TRIGGER documents_text_delete AFTER DELETE ON documents WHEN old.content IS NOT NULL
BEGIN
  INSERT INTO documents_text (documents_text, rowid, content)
    SELECT 'delete', old.id, old.content WHERE NOT EXISTS (SELECT 1 FROM documents_text_pending WHERE id = old.id);
  DELETE FROM documents_text_pending WHERE id = old.id;
END;

CREATE TRIGGER documents_text_update AFTER UPDATE OF content ON documents
  WHEN old.content IS NOT new.content
BEGIN
  INSERT INTO documents_text (documents_text, rowid, content)
    SELECT 'delete', old.id, old.content
    WHERE old.content IS NOT NULL AND NOT EXISTS (SELECT 1 FROM documents_text_pending WHERE id = old.id);
  DELETE FROM documents_text_pending WHERE id = old.id;
  INSERT INTO documents_text_pending (id, project_id) SELECT new.id, new.project_id WHERE new.content IS NOT NULL;
END;
