// plugins/sql-storage/trigrams_once.h: the trigram filter passes each
// distinct trigram of a document once, and the index it builds is, entry
// for entry, the one SQLite's own trigram tokenizer builds: through
// repeats, case folding, every UTF-8 length, invalid bytes, documents with
// more distinct trigrams than the filter records, and content taken out
// again. It is installed only where the text index keeps rowids only.
#include <catch2/catch.hpp>
#include <soci/soci.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shared/sql_connect.h"
#include "support/git_repo.h"
#include "trigrams_once.h"

using tether::testing::TempDir;

namespace {

constexpr const char* kDocuments = "CREATE TABLE documents (id INTEGER PRIMARY KEY, content TEXT)";
constexpr const char* kTextIndex =
    "CREATE VIRTUAL TABLE documents_text USING fts5(content, content = 'documents', content_rowid = 'id',"
    " tokenize = 'trigram', detail = none)";

std::unique_ptr<soci::session> Open(const std::filesystem::path& file) {
  auto session = tether::db::OpenSociSession("sqlite:" + file.string(), 1000);
  REQUIRE(session.ok());
  return std::move(session).value();
}

// A session on `file` with the filter asked for; *installed says whether
// it was put in.
std::unique_ptr<soci::session> OpenFiltered(const std::filesystem::path& file, bool* installed) {
  std::unique_ptr<soci::session> session = Open(file);
  tether::Status status = tether::sql_storage::UseTrigramsOnce(*session, installed);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return session;
}

// How often FTS5 is told of "bca" when it tokenizes "abcabcabc" as a
// document on this session (a scratch table that keeps positions, which
// count every one): 2 through the built-in tokenizer, 1 through the filter
// (which passes the repeat on as the document's first trigram).
long long BcaTimesSeen(soci::session& session) {
  session << "CREATE VIRTUAL TABLE temp.probe USING fts5(t, tokenize = 'trigram')";
  session << "CREATE VIRTUAL TABLE temp.probe_terms USING fts5vocab(temp, probe, row)";
  session << "INSERT INTO temp.probe (t) VALUES ('abcabcabc')";
  long long count = 0;
  session << "SELECT cnt FROM temp.probe_terms WHERE term = 'bca'", soci::into(count);
  session << "DROP TABLE temp.probe_terms";
  session << "DROP TABLE temp.probe";
  return count;
}

// Deterministic pseudo-random numbers.
struct Lcg {
  uint64_t state;
  uint32_t Next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  }
};

std::string Utf8(uint32_t code) {
  std::string out;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
  return out;
}

std::string Repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// The documents: source-like repeats in mixed case, every UTF-8 length
// with case pairs, invalid bytes, control characters, trigrams that differ
// in their last bytes only, a NUL, tiny ones, and two
// wide ones: 100,000 random CJK characters (more distinct trigrams than the
// filter records, 65,536) and 200,000 random printable ASCII bytes.
std::vector<std::string> Corpus() {
  std::vector<std::string> docs;
  docs.push_back(Repeat("int Foo = FOO + foo; // foo\n", 200));
  docs.push_back(Repeat("\xC3\x84rger \xC3\xA4rger \xC3\x84RGER stra\xC3\x9F" "e STRASSE \xE2\x82\xAC \xE4\xB8\xAD\xE6\x96\x87"
                        "\xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80\xF0\x9F\x98\x80 \xCE\xA3\xCF\x83\xCF\x82 \xC3\xA9\xC3\x89\n",
                        50));
  docs.push_back(Repeat("a\xC3(\xA9\xFF" "abc\xE2\x82 \xF0\x9F\x98 xyz\xC0\x80", 30));
  docs.push_back(Repeat("\t\r\x01\x02\x7F~~~", 40));
  // Trigrams alike but for their last character: 12-byte ones (emoji) and
  // 9-byte ones (CJK).
  std::string alike;
  for (uint32_t i = 0; i < 64; ++i) alike += Utf8(0x1F600) + Utf8(0x1F600) + Utf8(0x1F600 + i) + " ";
  for (uint32_t i = 0; i < 64; ++i) alike += Utf8(0x4E00) + Utf8(0x4E00) + Utf8(0x4E00 + i) + " ";
  docs.push_back(alike);
  docs.push_back(std::string("ABC abc\0abcdef ABC", 19));  // FTS5 reads up to the NUL
  docs.push_back("ab");
  docs.push_back("abc");
  docs.push_back("");
  Lcg random{42};
  std::string cjk;
  for (int i = 0; i < 100000; ++i) cjk += Utf8(0x4E00 + random.Next() % 20992);
  docs.push_back(cjk);
  std::string ascii;
  for (int i = 0; i < 200000; ++i) ascii += static_cast<char>(32 + random.Next() % 95);
  docs.push_back(ascii);
  std::string mixed;
  for (int i = 0; i < 30000; ++i) {
    const uint32_t pick = random.Next() % 4;
    mixed += Utf8(pick == 0 ? 0x41 + random.Next() % 26 : pick == 1 ? 0xC0 + random.Next() % 0x180
                                                      : pick == 2 ? 0x391 + random.Next() % 0x40
                                                                  : 0x1F600 + random.Next() % 0x50);
  }
  docs.push_back(mixed);
  return docs;
}

// An FTS5 query for the documents holding every trigram of `text`, as the
// text search asks the index (detail=none has no phrases).
std::string AllTrigramsOf(const std::string& text) {
  std::vector<std::string> chars;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80 && !chars.empty()) {
      chars.back() += c;
    } else {
      chars.emplace_back(1, c);
    }
  }
  std::string query;
  for (size_t i = 0; i + 3 <= chars.size(); ++i) {
    std::string trigram = chars[i] + chars[i + 1] + chars[i + 2];
    if (!query.empty()) query += " AND ";
    query += '"';
    for (char c : trigram) query += c == '"' ? std::string("\"\"") : std::string(1, c);
    query += '"';
  }
  return query;
}

void CreateTables(soci::session& session) {
  session << kDocuments;
  session << kTextIndex;
}

void Store(soci::session& session, const std::vector<std::string>& docs) {
  session << "BEGIN";
  for (size_t i = 0; i < docs.size(); ++i) {
    long long id = static_cast<long long>(i) + 1;
    session << "INSERT INTO documents (id, content) VALUES (:i, :c)", soci::use(id), soci::use(docs[i]);
  }
  session << "INSERT INTO documents_text (rowid, content) SELECT id, content FROM documents";
  session << "COMMIT";
}

// Every other document's content replaced: the old taken out of the index
// as IndexText does (FTS5's 'delete' with the content it indexed), the new
// put in.
void ReplaceEveryOther(soci::session& session, const std::vector<std::string>& docs) {
  session << "BEGIN";
  for (size_t i = 0; i < docs.size(); i += 2) {
    long long id = static_cast<long long>(i) + 1;
    const std::string now = docs[i].substr(docs[i].size() / 3) + "Zz\xC3\x9F" + docs[(i + 1) % docs.size()];
    session << "INSERT INTO documents_text (documents_text, rowid, content) VALUES ('delete', :i, :c)",
        soci::use(id), soci::use(docs[i]);
    session << "UPDATE documents SET content = :c WHERE id = :i", soci::use(now), soci::use(id);
    session << "INSERT INTO documents_text (rowid, content) VALUES (:i, :c)", soci::use(id), soci::use(now);
  }
  session << "COMMIT";
}

// The index's terms: each trigram with the number of documents holding it.
std::vector<std::pair<std::string, long long>> Terms(const std::filesystem::path& file) {
  std::unique_ptr<soci::session> session = Open(file);
  *session << "CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, documents_text, row)";
  std::vector<std::pair<std::string, long long>> terms;
  soci::rowset<soci::row> rows = (session->prepare << "SELECT term, CAST(doc AS TEXT) FROM temp.terms ORDER BY term");
  for (const soci::row& row : rows) terms.emplace_back(row.get<std::string>(0), std::stoll(row.get<std::string>(1)));
  return terms;
}

// FTS5's own check, on a session without the filter: the index holds
// exactly what the built-in tokenizer makes of every document's content.
bool AgreesWithBuiltIn(const std::filesystem::path& file) {
  std::unique_ptr<soci::session> session = Open(file);
  try {
    *session << "INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)";
    return true;
  } catch (const soci::soci_error& e) {
    UNSCOPED_INFO(e.what());
    return false;
  }
}

}  // namespace

TEST_CASE("the trigram filter goes in only where every trigram table keeps rowids only") {
  TempDir dir;
  bool installed = false;

  const auto db = [&](const std::string& name, const std::vector<std::string>& schema) {
    const std::filesystem::path file = dir.path() / name;
    std::unique_ptr<soci::session> session = Open(file);
    for (const std::string& statement : schema) *session << statement;
    return file;
  };

  SECTION("documents_text with detail=none: filtered") {
    auto session = OpenFiltered(db("rowids.db", {kDocuments, kTextIndex}), &installed);
    CHECK(installed);
    CHECK(BcaTimesSeen(*session) == 1);
  }
  SECTION("without the filter, the built-in tokenizer tells every occurrence") {
    auto session = Open(db("plain.db", {kDocuments, kTextIndex}));
    CHECK(BcaTimesSeen(*session) == 2);
  }
  SECTION("documents_text with positions (migration 0014's): as it was") {
    auto session = OpenFiltered(
        db("positions.db", {kDocuments, "CREATE VIRTUAL TABLE documents_text USING fts5(content, content = 'documents',"
                                        " content_rowid = 'id', tokenize = 'trigram')"}),
        &installed);
    CHECK_FALSE(installed);
    CHECK(BcaTimesSeen(*session) == 2);
  }
  SECTION("another trigram table with positions beside it: as it was") {
    auto session = OpenFiltered(
        db("other.db", {kDocuments, kTextIndex, "CREATE VIRTUAL TABLE notes USING fts5(body, tokenize = \"trigram\")"}),
        &installed);
    CHECK_FALSE(installed);
    CHECK(BcaTimesSeen(*session) == 2);
  }
  SECTION("no text index yet: as it was") {
    auto session = OpenFiltered(db("empty.db", {kDocuments}), &installed);
    CHECK_FALSE(installed);
    CHECK(BcaTimesSeen(*session) == 2);
  }
}

TEST_CASE("an index built through the trigram filter is the one SQLite's own tokenizer builds, entry for entry") {
  TempDir dir;
  const std::vector<std::string> docs = Corpus();
  const std::filesystem::path filtered_file = dir.path() / "filtered.db";
  const std::filesystem::path plain_file = dir.path() / "plain.db";
  {
    auto schema = Open(filtered_file);
    CreateTables(*schema);
  }
  bool installed = false;
  auto filtered = OpenFiltered(filtered_file, &installed);
  REQUIRE(installed);
  auto plain = Open(plain_file);
  CreateTables(*plain);

  Store(*filtered, docs);
  Store(*plain, docs);
  const auto terms = Terms(plain_file);
  // The wide documents alone hold over 65,536 distinct trigrams each.
  CHECK(terms.size() > 150000);
  CHECK(Terms(filtered_file) == terms);
  CHECK(AgreesWithBuiltIn(plain_file));
  CHECK(AgreesWithBuiltIn(filtered_file));

  // Content taken out through the filter leaves nothing behind.
  ReplaceEveryOther(*filtered, docs);
  ReplaceEveryOther(*plain, docs);
  const auto replaced = Terms(plain_file);
  CHECK(replaced != terms);
  CHECK(Terms(filtered_file) == replaced);
  CHECK(AgreesWithBuiltIn(filtered_file));

  // And a search through the filtered session finds what the plain one does.
  const std::vector<std::string> queries = {"foo = foo", "\xC3\xA4rger", "STRASSE", "\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD",
                                            docs[9].substr(3 * 99990, 12), docs[10].substr(150000, 5), "zz\xC3\x9F"};
  for (const std::string& query : queries) {
    INFO(query);
    const std::string match = AllTrigramsOf(query);
    const std::string sql = "SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH :m";
    long long through_filter = -1, through_built_in = -1;
    *filtered << sql, soci::use(match), soci::into(through_filter);
    *plain << sql, soci::use(match), soci::into(through_built_in);
    CHECK(through_filter == through_built_in);
    CHECK(through_filter > 0);
  }
}
