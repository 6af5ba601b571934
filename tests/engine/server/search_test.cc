// Search over synced code (issue 17), end to end on SQLite and PostgreSQL:
// `tether search` and GET /api/v1/search find a known string at its path
// and line, only in the project's current documents (never a file's old
// text, never another branch's), take hostile queries literally or refuse
// them naming the parameter, and keep tenants apart.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "serve_harness.h"
#include "support/test_database.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;

namespace {

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "<absent>";
  return v[key].GetString();
}

// Percent-encodes a query parameter's value, every byte but letters and
// digits.
std::string Encoded(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A served environment with the code analyzer, one token of the default
// tenant, and the project "web" on a git repository.
struct Searched {
  Searched()
      : env("", "", R"({"name": "code", "kind": "analyzer"})"), token(env.Token("ci")), repo(env.dir() / "repo") {
    repo.Write("src/main.cc", "int main() {\n  return Tether_Answer(42);\n}\n");
    repo.Write("docs/notes.md", "# Notes\nthe tether_answer is 42, and tether_answer again\n");
    repo.Write("old.txt", "an obsolete marker line\n");
    head = repo.Commit("first");
    CliResult added = env.cli().Run("project add web --repo " + ShellQuote(repo.path().string()));
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    Sync();
  }

  void Sync() {
    CliResult synced = env.cli().Run("sync web");
    INFO(synced.out << synced.err);
    REQUIRE(synced.exit_code == 0);
  }

  // GET /api/v1/search?project=web&q=<query><more>, as `as` (the default
  // tenant's token when empty).
  HttpReply Search(const std::string& query, const std::string& more = "", const std::string& as = "") {
    return server->client().Send("GET", "/api/v1/search?project=web&q=" + Encoded(query) + more, "",
                                 {{"Authorization", "Bearer " + (as.empty() ? token : as)}});
  }
  // The hits' "path:start_line-end_line" in order; REQUIREs a 200.
  std::vector<std::string> Places(const std::string& query, const std::string& more = "") {
    HttpReply reply = Search(query, more);
    INFO(query << more << ": " << reply.body);
    REQUIRE(reply.status == 200);
    std::vector<std::string> places;
    rapidjson::Document body = reply.Json();
    for (const auto& hit : body["hits"].GetArray()) {
      places.push_back(Str(hit, "path") + ":" + std::to_string(hit["start_line"].GetInt64()) + "-" +
                       std::to_string(hit["end_line"].GetInt64()));
    }
    return places;
  }

  ServeEnv env;
  std::string token;
  GitRepo repo;
  std::string head;
  std::unique_ptr<ServeProcess> server;
};

using Places = std::vector<std::string>;

}  // namespace

TEST_CASE("text search finds a known string at its path and line, only in the project's current documents") {
  Searched s;
  s.server = std::make_unique<ServeProcess>(s.env.config());

  HttpReply found = s.Search("tether_answer");
  INFO(found.body);
  REQUIRE(found.status == 200);
  rapidjson::Document body = found.Json();
  CHECK(Str(body, "project") == "web");
  CHECK(Str(body, "mode") == "text");
  CHECK(Str(body, "commit") == s.head);
  CHECK(body["more"].IsFalse());
  REQUIRE(body["hits"].Size() == 2);
  // In path order; case folded; two on one line make one hit of score 2.
  const rapidjson::Value& notes = body["hits"][0];
  CHECK(Str(notes, "path") == "docs/notes.md");
  CHECK(notes["start_line"].GetInt() == 2);
  CHECK(notes["end_line"].GetInt() == 2);
  CHECK(notes["score"].GetDouble() == 2.0);
  CHECK(Str(notes, "snippet") == "the tether_answer is 42, and tether_answer again");
  // The web page's address of the file at the hit's lines.
  CHECK(Str(notes, "link") == "/#/p/web/file/docs/notes.md?L=2");
  const rapidjson::Value& main_cc = body["hits"][1];
  CHECK(Str(main_cc, "path") == "src/main.cc");
  CHECK(main_cc["start_line"].GetInt() == 2);
  CHECK(Str(main_cc, "snippet") == "  return Tether_Answer(42);");
  CHECK(Str(main_cc, "language") == "cpp");

  // Case sensitivity, the path filter, the limit and "more".
  CHECK(s.Places("Tether_Answer", "&case_sensitive=true") == Places{"src/main.cc:2-2"});
  CHECK(s.Places("TETHER_ANSWER", "&case_sensitive=true").empty());
  CHECK(s.Places("tether_answer", "&path=docs/") == Places{"docs/notes.md:2-2"});
  CHECK(s.Places("tether_answer", "&path=nowhere/").empty());
  HttpReply one = s.Search("tether_answer", "&limit=1");
  REQUIRE(one.status == 200);
  CHECK(one.Json()["hits"].Size() == 1);
  CHECK(one.Json()["more"].IsTrue());
  // A query across a line end spans both lines.
  CHECK(s.Places("{\n  return") == Places{"src/main.cc:1-2"});

  // The CLI: grep's shape, --json the API's.
  CliResult cli = s.env.cli().Run("search web tether_answer --path src/");
  INFO(cli.err);
  CHECK(cli.exit_code == 0);
  CHECK(cli.out == "src/main.cc:2:   return Tether_Answer(42);\n");
  rapidjson::Document json = s.env.cli().Json("search web Tether_Answer --case-sensitive --limit 5");
  REQUIRE(json["hits"].Size() == 1);
  CHECK(Str(json["hits"][0], "path") == "src/main.cc");
  CHECK(s.env.cli().Run("search web no-such-text-anywhere").exit_code == 1);

  // Symbol mode: the same shape, the signature as the snippet.
  HttpReply symbol = s.Search("main", "&mode=symbol");
  INFO(symbol.body);
  REQUIRE(symbol.status == 200);
  rapidjson::Document symbols = symbol.Json();
  REQUIRE(symbols["hits"].Size() >= 1);
  CHECK(Str(symbols["hits"][0], "symbol") == "main");
  CHECK(Str(symbols["hits"][0], "path") == "src/main.cc");
  CHECK(symbols["hits"][0]["start_line"].GetInt() == 1);
  CHECK_THAT(Str(symbols["hits"][0], "snippet"), Catch::Contains("main"));
  CHECK(Str(symbols["hits"][0], "link") ==
        "/#/p/web/file/src/main.cc?L=1-" + std::to_string(symbols["hits"][0]["end_line"].GetInt()));

  // A file changed, one deleted: their old text is never found again.
  s.repo.Write("src/main.cc", "int main() {\n  return Other_Name(42);\n}\n");
  s.repo.Remove("old.txt");
  const std::string second = s.repo.Commit("second");
  s.Sync();
  CHECK(s.Places("Tether_Answer", "&case_sensitive=true").empty());
  CHECK(s.Places("obsolete marker").empty());
  CHECK(s.Places("other_name") == Places{"src/main.cc:2-2"});
  CHECK(Str(s.Search("other_name").Json(), "commit") == second);

  // Another branch: found while selected, never after it was switched away.
  s.repo.Git("checkout -q -b feature");
  s.repo.Write("feature.txt", "only on the feature branch\n");
  s.repo.Commit("feature");
  s.repo.Git("checkout -q -");
  REQUIRE(s.env.cli().Run("project select-branch web feature").exit_code == 0);
  s.Sync();
  CHECK(s.Places("feature branch") == Places{"feature.txt:1-1"});
  REQUIRE(s.env.cli().Run("project select-branch web main").exit_code == 0);
  s.Sync();
  CHECK(s.Places("feature branch").empty());
  CHECK(s.Places("other_name") == Places{"src/main.cc:2-2"});
}

TEST_CASE("text search answers alike before the text index holds a write's content and after") {
  // A sync without its analyze phase leaves the text index behind the
  // documents: search reads those documents' content instead, and finds
  // what it finds once `tether analyze` has indexed them, through edits,
  // renames and deletes.
  Searched s;
  s.server = std::make_unique<ServeProcess>(s.env.config());
  auto pending = [&] {
    return s.env.cli().Count(s.env.cli().postgres() ? "SELECT COUNT(*) FROM documents WHERE NOT text_indexed"
                                                      " AND content IS NOT NULL"
                                                    : "SELECT COUNT(*) FROM documents_text_pending");
  };
  const std::vector<std::string> queries = {"tether_answer", "return", "obsolete marker", "other_name",
                                            "moved text", "brand new"};
  auto answers = [&] {
    std::vector<Places> all;
    for (const std::string& q : queries) all.push_back(s.Places(q));
    all.push_back(s.Places("tether_answer", "&path=docs/"));
    all.push_back(s.Places("Tether_Answer", "&case_sensitive=true"));
    return all;
  };
  REQUIRE(pending() == 0);  // the fixture's sync analysed, and indexed
  const std::vector<Places> indexed_before = answers();
  CHECK(indexed_before[0] == Places{"docs/notes.md:2-2", "src/main.cc:2-2"});

  // Indexed documents changed, renamed and deleted, new ones added, all
  // without the analyze phase.
  s.repo.Write("src/main.cc", "int main() {\n  return Other_Name(42);\n}\n");
  s.repo.Remove("old.txt");
  s.repo.Git("mv docs/notes.md docs/moved.md");
  s.repo.Write("docs/moved.md", "# Notes\nthe tether_answer is 42, and moved text\n");
  s.repo.Write("new/a.txt", "a brand new file, return of the tether_answer\n");
  s.repo.Commit("second");
  CliResult synced = s.env.cli().Run("sync web --no-analyze");
  INFO(synced.err);
  REQUIRE(synced.exit_code == 0);
  // main.cc, moved.md, a.txt (the rename moved the row, and its flag, on
  // PostgreSQL; its content changed too)
  CHECK(pending() == 3);
  const std::vector<Places> unindexed = answers();
  CHECK(unindexed[0] == Places{"docs/moved.md:2-2", "new/a.txt:1-1"});
  CHECK(unindexed[1] == Places{"new/a.txt:1-1", "src/main.cc:2-2"});
  CHECK(unindexed[2].empty());  // old.txt is gone
  CHECK(unindexed[3] == Places{"src/main.cc:2-2"});
  CHECK(unindexed[4] == Places{"docs/moved.md:2-2"});

  // A pending document deleted and another changed before the index took
  // them: nothing of theirs is left behind.
  s.repo.Remove("new/a.txt");
  s.repo.Write("src/main.cc", "int main() {\n  return Other_Name(43);\n}\n");
  s.repo.Commit("third");
  synced = s.env.cli().Run("sync web --no-analyze");
  REQUIRE(synced.exit_code == 0);
  CHECK(pending() == 2);  // main.cc, moved.md
  const std::vector<Places> before_index = answers();
  CHECK(before_index[5].empty());  // "brand new"

  CliResult analysed = s.env.cli().Run("analyze web");
  INFO(analysed.err);
  REQUIRE(analysed.exit_code == 0);
  CHECK(pending() == 0);
  CHECK(answers() == before_index);
  // The index holds the current documents' text and nothing of what was
  // removed or replaced.
  if (!s.env.cli().postgres()) {
    CHECK(s.env.cli().Count(tether::testing::CountIndexedSql("obsolete")) == 0);
    CHECK(s.env.cli().Count(tether::testing::CountIndexedSql("brand new")) == 0);
    CHECK(s.env.cli().Count(tether::testing::CountIndexedSql("(43)")) == 1);
    CHECK(s.env.cli().Count(tether::testing::CountIndexedSql("(42)")) == 0);
  } else {
    // The index holds the rows flagged indexed: every row with content now.
    CHECK(s.env.cli().Count("SELECT COUNT(*) FROM documents WHERE text_indexed AND content LIKE '%(43)%'") == 1);
    CHECK(s.env.cli().Count("SELECT COUNT(*) FROM documents WHERE content IS NOT NULL AND NOT text_indexed") == 0);
  }
}

TEST_CASE("the text index a sync builds is the one SQLite's own trigram tokenizer builds, through changes and deletes") {
  // sql-storage looks a document's repeated trigrams up once
  // (trigrams_once.h); FTS5's own check, run here on a connection without
  // that filter, compares the index with every document's content as the
  // built-in tokenizer reads it.
  Searched s;
  s.server = std::make_unique<ServeProcess>(s.env.config());
  std::string wide;  // 40,000 CJK characters, nearly every trigram distinct
  uint64_t state = 7;
  for (int i = 0; i < 40000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint32_t code = 0x4E00 + static_cast<uint32_t>(state >> 33) % 20992;
    wide += static_cast<char>(0xE0 | (code >> 12));
    wide += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    wide += static_cast<char>(0x80 | (code & 0x3F));
    if (i % 100 == 99) wide += '\n';
  }
  std::string repeats;
  for (int i = 0; i < 300; ++i) repeats += "Stra\xC3\x9F" "e STRASSE stra\xC3\x9F" "e \xF0\x9F\x98\x80\xF0\x9F\x98\x80 int x = X;\n";
  s.repo.Write("wide.txt", wide);
  s.repo.Write("repeats.txt", repeats + "the last line\n");
  s.repo.Commit("wide and repetitive");
  s.Sync();
  const auto exact = [&](const std::string& when) {
    if (s.env.cli().postgres()) return;
    INFO(when);
    REQUIRE(s.env.cli().Count("SELECT COUNT(*) FROM documents_text_pending") == 0);
    tether::Status checked = s.env.cli().db().Execute(
        "INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)", "the index's check");
    INFO(checked.ToString());
    CHECK(checked.ok());
  };
  exact("after the first sync");
  // The wide file's last line, found through the index.
  const std::string last_line = wide.substr(wide.rfind('\n', wide.size() - 2) + 1, 300);
  CHECK(s.Places(last_line.substr(150, 12)) == Places{"wide.txt:400-400"});
  CHECK(s.Places("the last line") == Places{"repeats.txt:301-301"});

  // Changed and deleted: the old content leaves the index as it came in.
  s.repo.Write("repeats.txt", repeats + "a new last line\n");
  s.repo.Remove("wide.txt");
  s.repo.Commit("changed and deleted");
  s.Sync();
  exact("after a change and a delete");
  CHECK(s.Places(last_line.substr(150, 12)).empty());
  CHECK(s.Places("the last line").empty());
  CHECK(s.Places("a new last line") == Places{"repeats.txt:301-301"});
}

TEST_CASE("hostile search queries are taken literally or refused naming the parameter, and tenants stay apart") {
  Searched s;
  s.repo.Write("hostile.txt",
               "say \"quoted\" NEAR(a b) * 100% done_now \\back\\slash x'); DROP TABLE documents; --\n"
               "second line\n");
  s.repo.Commit("hostile");
  s.Sync();
  s.server = std::make_unique<ServeProcess>(s.env.config());
  const long long documents = s.env.cli().Count("SELECT COUNT(*) FROM documents");

  // FTS and LIKE operators, quotes and backslashes mean themselves.
  for (const std::string& literal : {std::string("\"quoted\""), std::string("NEAR(a"), std::string("100% d"),
                                     std::string("done_now"), std::string("\\back\\"), std::string("* 100"),
                                     std::string("x'); DROP TABLE documents; --"), std::string("\" NEAR(")}) {
    INFO(literal);
    CHECK(s.Places(literal) == Places{"hostile.txt:1-1"});
  }
  for (const std::string& absent : {std::string("%%%"), std::string("___"), std::string("done%now"),
                                    std::string("d_ne_now"), std::string("\"\"\""), std::string("quoted OR second"),
                                    std::string("NEAR(quoted second)"), std::string("* *")}) {
    INFO(absent);
    CHECK(s.Places(absent).empty());
  }
  CHECK(s.env.cli().Count("SELECT COUNT(*) FROM documents") == documents);

  // Refused, naming the parameter, with nothing searched.
  const auto refused = [&](const std::string& target, const std::string& parameter, const std::string& says) {
    HttpReply reply = s.server->client().Send("GET", target, "", {{"Authorization", "Bearer " + s.token}});
    INFO(target << ": " << reply.body);
    CHECK(reply.status == 400);
    CHECK(Str(reply.Json(), "parameter") == parameter);
    CHECK_THAT(Str(reply.Json(), "detail"), Catch::Contains(says));
  };
  refused("/api/v1/search?project=web&q=ab", "q", "at least 3 characters");
  refused("/api/v1/search?project=web&q=%2A", "q", "at least 3 characters");
  // A NUL is refused by the URL's decoding already, naming the parameter.
  HttpReply nul = s.server->client().Send("GET", "/api/v1/search?project=web&q=ab%00cd", "",
                                          {{"Authorization", "Bearer " + s.token}});
  CHECK(nul.status == 400);
  CHECK_THAT(Str(nul.Json(), "detail"), Catch::Contains("\"q\""));
  refused("/api/v1/search?project=web&q=%FF%FE%FD", "q", "UTF-8");
  refused("/api/v1/search?project=web&q=" + std::string(10000, 'a'), "q", "at most 1024");
  refused("/api/v1/search?project=web", "q", "search for");
  refused("/api/v1/search?q=abc", "project", "required");
  // Semantic search without the embeddings analyzer configured: refused,
  // saying what to configure.
  HttpReply semantic_reply = s.server->client().Send("GET", "/api/v1/search?project=web&q=abc&mode=semantic", "",
                                                     {{"Authorization", "Bearer " + s.token}});
  CHECK(semantic_reply.status == 400);
  CHECK_THAT(Str(semantic_reply.Json(), "detail"), Catch::Contains("embeddings analyzer"));
  refused("/api/v1/search?project=web&q=abc&mode=fuzzy", "mode", "text, symbol or semantic");
  refused("/api/v1/search?project=web&q=abc&case_sensitive=maybe", "case_sensitive", "true or false");
  refused("/api/v1/search?project=web&q=abc&limit=0", "limit", "");
  refused("/api/v1/search?project=web&q=abc&limit=1001", "limit", "");
  refused("/api/v1/search?project=web&q=abc&path=%FF", "path", "UTF-8");
  refused("/api/v1/search?project=web&q=abc&color=red", "color", "unknown");

  // The CLI says the same, with its exit code for bad input.
  CliResult short_query = s.env.cli().Run("search web ab");
  CHECK(short_query.exit_code == 2);
  CHECK_THAT(short_query.err, Catch::Contains("at least 3 characters"));
  CliResult semantic = s.env.cli().Run("search web abc --mode semantic");
  CHECK(semantic.exit_code == 2);
  CHECK_THAT(semantic.err, Catch::Contains("semantic search needs the embeddings analyzer"));
  CHECK(s.env.cli().Run("search web abc --mode fuzzy").exit_code == 2);
  CHECK(s.env.cli().Run("search nowhere abc").exit_code == 2);

  // No token, an unknown project, another tenant's project.
  CHECK(s.server->client().Send("GET", "/api/v1/search?project=web&q=quoted").status == 401);
  CHECK(s.server->client()
            .Send("GET", "/api/v1/search?project=nowhere&q=quoted", "", {{"Authorization", "Bearer " + s.token}})
            .status == 404);
  const std::string beta = s.env.Token("beta-token", "beta");
  CHECK(s.Search("quoted", "", beta).status == 404);
  REQUIRE(s.server->client()
              .Send("POST", "/api/v1/projects",
                    "{\"name\": \"web\", \"repo\": \"" + s.repo.path().string() + "\"}",
                    {{"Authorization", "Bearer " + beta}})
              .status == 201);
  // Beta's "web" never synced: nothing of the default tenant's shows.
  HttpReply empty = s.Search("quoted", "", beta);
  INFO(empty.body);
  REQUIRE(empty.status == 200);
  CHECK(empty.Json()["hits"].Size() == 0);
  CHECK(empty.Json()["commit"].IsNull());
}
