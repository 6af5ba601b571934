-- sql-storage's writer names a new document's content in
-- documents_text_pending itself (issue 15), instead of a trigger on every
-- insert. A statement with a trigger needs a statement journal: SQLite
-- copied every page the insert touched before touching it, which cost a
-- first sync of 100,000 files more than its own inserts did. Changed and
-- removed documents keep their triggers (0017): those writes are few.
-- Nothing starts pending or stops being pending here.
DROP TRIGGER documents_text_insert;
