CREATE TABLE documents_new (id INTEGER PRIMARY KEY, path TEXT NOT NULL);
INSERT INTO documents_new (id, path) SELECT id, path FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE TABLE t2 AS SELECT * FROM runs;
CREATE TABLE fresh (a int);
ALTER TABLE fresh DROP COLUMN a;
CREATE TABLE child (id int REFERENCES parent(id) ON DELETE CASCADE ON UPDATE CASCADE);
