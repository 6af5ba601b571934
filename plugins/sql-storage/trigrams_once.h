// TrigramsOnce: SQLite's text index (documents_text, FTS5's trigram
// tokenizer) looks each distinct trigram of a document up once.
//
// The index keeps rowids only (migration 0020, detail=none): for each
// trigram, which documents hold it. A document's repeats of a trigram add
// nothing to it, but FTS5 looks every one of them up in its pending terms,
// a hash table of a few MB, and source code repeats most of its trigrams:
// git.git's 45.5 million trigrams are 5.4 million distinct ones per
// document. So this session's "trigram" tokenizer is the built-in one with
// a filter: when FTS5 tokenizes a document (to add it to the index or take
// it out), a trigram the document gave before is passed on as the
// document's first trigram, whose entry FTS5 has at hand, rather than as
// itself. Queries get every trigram as they come.
//
// The index changes exactly as with the built-in tokenizer. With
// detail=none FTS5 records a (trigram, document) pair once however often it
// comes, and it still counts every token (the document's size, and the
// totals, which its own check compares with the content). So a connection
// without the filter (the sqlite3 shell, another tool) reads and writes the
// same index, and FTS5's 'integrity-check' agrees. A table that keeps
// positions would not: the filter is installed only when documents_text
// and every other FTS5 table that may use the trigram tokenizer are
// detail=none.
//
// Thread safety: as the session's (one thread at a time). The tokenizer
// belongs to the connection and goes with it.
#ifndef TETHER_PLUGINS_SQL_STORAGE_TRIGRAMS_ONCE_H_
#define TETHER_PLUGINS_SQL_STORAGE_TRIGRAMS_ONCE_H_

#include <soci/soci.h>

#include "tether/status.h"

namespace tether::sql_storage {

// On a SQLite session whose documents_text keeps rowids only, as every
// other trigram table of its database does, replaces the connection's
// "trigram" tokenizer with the filtered one and sets *installed (when not
// null); on any other session (PostgreSQL, no such table yet, a trigram
// table with positions) does nothing but clear *installed. Call it before the session first uses documents_text: FTS5
// takes its tokenizer when a statement first opens the table. Internal,
// saying what failed, when SQLite refuses the tokenizer (the session is
// then as it was).
Status UseTrigramsOnce(soci::session& session, bool* installed = nullptr);

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_TRIGRAMS_ONCE_H_
