// The embeddings analyzer end to end: the tether binary syncs real git
// repositories with the code and embeddings analyzers, against the fake
// embedding service (tests/fake_embeddings), which counts every text it
// embeds. What a rename, an edit, a branch switch, faults and a killed run
// cost is read off those counts. Both databases.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include <rapidjson/document.h>

#include "engine/cli/cli_harness.h"
#include "engine/server/serve_harness.h"
#include "shared/http_client.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;
using tether::testing::TetherProcess;

namespace {

constexpr char kKey[] = "sk-fake-8d1f3a9c0b7e";
constexpr char kKeyEnv[] = "TETHER_TEST_EMBEDDINGS_KEY";

// The fake service as a child process, and its control endpoints.
class FakeService {
 public:
  FakeService() {
    const std::string command = "exec python3 " + ShellQuote(FAKE_EMBEDDINGS) + " --dimensions 8 --parent-pid " +
                                std::to_string(getpid());
    out_ = popen(command.c_str(), "r");
    REQUIRE(out_ != nullptr);
    char line[64] = {0};
    REQUIRE(fgets(line, sizeof line, out_) != nullptr);
    REQUIRE(std::string(line).rfind("READY ", 0) == 0);
    port_ = std::atoi(line + 6);
  }
  ~FakeService() {
    tether::HttpClient client(2000, 5000);
    (void)client.Send({"POST", url() + "/_fake/exit", {}, ""});
    pclose(out_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  rapidjson::Document Counts() const {
    tether::HttpClient client(2000, 5000);
    tether::Result<tether::HttpResponse> answer = client.Send({"GET", url() + "/_fake/counts", {}, ""});
    REQUIRE(answer.ok());
    rapidjson::Document doc;
    doc.Parse(answer->body.c_str());
    REQUIRE(doc.IsObject());
    return doc;
  }
  int64_t Inputs() const { return Counts()["inputs"].GetInt64(); }

  void Faults(const std::string& json) const {
    tether::HttpClient client(2000, 5000);
    tether::Result<tether::HttpResponse> answer =
        client.Send({"POST", url() + "/_fake/faults", {"Content-Type: application/json"}, json});
    REQUIRE(answer.ok());
    REQUIRE(answer->status == 200);
  }

 private:
  FILE* out_ = nullptr;
  int port_ = 0;
};

// A Python file of `count` functions, function `edited` with one more line.
std::string Functions(int count, int edited = -1) {
  std::string text = "import os\n\n";
  for (int i = 0; i < count; ++i) {
    text += "# step " + std::to_string(i) + " of the pipeline\n";
    text += "def step_" + std::to_string(i) + "(value):\n";
    for (int k = 0; k < 2 + (i * 5) % 12; ++k) {
      text += "    value = value * " + std::to_string(k + 3 * i) + " + len(os.sep)\n";
    }
    if (i == edited) text += "    value -= 7\n";
    text += "    return value\n\n";
  }
  return text;
}

struct World {
  TempDir dir;
  GitRepo repo{dir.path() / "repo"};
  FakeService fake;
  TetherCli cli;

  explicit World(const std::string& provider = "openai", const std::string& extra = "")
      : cli(dir.path(), "",
            ",{\"name\": \"code\", \"kind\": \"analyzer\"}, {\"name\": \"embeddings\", \"kind\": \"analyzer\","
            " \"settings\": {\"provider\": \"" + provider + "\", \"url\": \"" + fake.url() +
                "\", \"model\": \"fake-model\", \"dimensions\": 8, \"batch_size\": 4" + extra + "}}") {}

  void Sync(const std::string& project = "app") {
    CliResult r = cli.Run("sync " + project);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find(kKey) == std::string::npos);
    CHECK(r.out.find(kKey) == std::string::npos);
  }

  // Every chunk of the project's current files has a vector, and no text
  // was embedded twice.
  void CheckEveryChunkOnce() {
    const long long vectors = cli.Count("SELECT COUNT(*) FROM analysis_vectors");
    CHECK(vectors > 0);
    rapidjson::Document counts = fake.Counts();
    CHECK(counts["inputs"].GetInt64() == vectors);
    for (auto it = counts["by_text"].MemberBegin(); it != counts["by_text"].MemberEnd(); ++it) {
      CHECK(it->value.GetInt() == 1);
    }
  }
};

}  // namespace

TEST_CASE("each text is embedded once: a rename sends nothing, an edited function at most two, a branch and back nothing") {
  setenv(kKeyEnv, kKey, 1);
  World w("openai", std::string(", \"api_key_env\": \"") + kKeyEnv + "\"");
  w.fake.Faults(std::string("{\"key\": \"") + kKey + "\"}");
  w.repo.Write("app.py", Functions(50));
  w.repo.Write("util.py", "def helper(x):\n    return x + 1\n");
  w.repo.Write("README.md", "# App\n\nSteps of a pipeline.\n");
  w.repo.Commit("first");
  REQUIRE(w.cli.Run("project add app --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  w.Sync();
  w.CheckEveryChunkOnce();
  const int64_t first = w.fake.Inputs();
  CHECK(first >= 20);  // fifty functions, merged where small
  CHECK(w.fake.Counts()["authorization"][0].GetString() == std::string("Bearer ") + kKey);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM events WHERE payload LIKE '%" + std::string(kKey) + "%'") == 0);
  CHECK(w.cli.Text("SELECT content FROM analysis_outputs WHERE analyzer = 'embeddings' AND name = 'space'") ==
        "openai/fake-model/8");

  w.repo.Move("util.py", "lib/util.py");
  w.repo.Commit("rename");
  w.Sync();
  CHECK(w.fake.Inputs() == first);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_outputs WHERE name = 'chunks/lib/util.py'") == 1);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_outputs WHERE name = 'chunks/util.py'") == 0);

  w.repo.Write("app.py", Functions(50, 31));
  w.repo.Commit("edit one function");
  w.Sync();
  const int64_t edited = w.fake.Inputs() - first;
  CHECK(edited >= 1);
  CHECK(edited <= 2);

  w.repo.Git("checkout -q -b other");
  w.repo.Write("app.py", Functions(50, 12));
  w.repo.Write("extra.py", "def extra():\n    return 'only on the other branch'\n");
  w.repo.Commit("other branch");
  w.repo.Git("checkout -q main");
  REQUIRE(w.cli.Run("project select-branch app other").exit_code == 0);
  w.Sync();
  const int64_t on_other = w.fake.Inputs();
  CHECK(on_other > first + edited);
  REQUIRE(w.cli.Run("project select-branch app main").exit_code == 0);
  w.Sync();
  CHECK(w.fake.Inputs() == on_other);  // back on main: every text has its vector
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_outputs WHERE name = 'chunks/extra.py'") == 0);
  w.CheckEveryChunkOnce();
}

TEST_CASE("rate limits and server errors are waited out, a batch too large is split, a refused text leaves its file pending") {
  World w;
  w.repo.Write("app.py", Functions(12));
  w.repo.Write("notes.py", "def note():\n    return 'REFUSE_ME'\n");
  w.repo.Commit("first");
  REQUIRE(w.cli.Run("project add app --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  w.fake.Faults(R"({"status": 429, "times": 2, "retry_after": 1, "max_batch": 2, "refuse": "REFUSE_ME"})");
  w.Sync();
  rapidjson::Document counts = w.fake.Counts();
  CHECK(counts["statuses"]["429"].GetInt() == 2);
  CHECK(counts["statuses"]["413"].GetInt() >= 1);
  for (const auto& size : counts["batches"].GetArray()) CHECK(size.GetInt() <= 2);
  CHECK(w.cli.Text("SELECT content FROM analysis_outputs WHERE analyzer = 'embeddings' AND name = 'pending'") ==
        "[\"notes.py\"]");
  const long long before = w.cli.Count("SELECT COUNT(*) FROM analysis_vectors");
  CHECK(before == counts["inputs"].GetInt64());

  // The service takes it now; the next run that analyses tries it again.
  w.fake.Faults(R"({"refuse": "", "status": 500, "times": 2})");
  w.repo.Write("more.py", "def more():\n    return 2\n");
  w.repo.Commit("more");
  w.Sync();
  CHECK(w.fake.Counts()["statuses"]["500"].GetInt() == 2);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_outputs WHERE analyzer = 'embeddings' AND name = 'pending'") == 0);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_vectors") == before + 2);
}

TEST_CASE("a run killed while embedding keeps its stored batches: the next run sends each text once more at most one batch") {
  World w;
  w.repo.Write("app.py", Functions(40));
  w.repo.Commit("first");
  REQUIRE(w.cli.Run("project add app --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  w.fake.Faults(R"({"hang_after": 8})");
  TetherProcess sync(w.cli, "sync app");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (w.fake.Counts()["requests"].GetInt() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(w.fake.Counts()["requests"].GetInt() >= 3);  // two batches stored, the third in flight
  sync.Signal(SIGKILL);
  sync.Wait();
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_vectors") == 8);
  w.fake.Faults(R"({"hang_after": null})");
  w.Sync();
  rapidjson::Document counts = w.fake.Counts();
  int twice = 0;
  for (auto it = counts["by_text"].MemberBegin(); it != counts["by_text"].MemberEnd(); ++it) {
    CHECK(it->value.GetInt() <= 2);
    twice += it->value.GetInt() == 2 ? 1 : 0;
  }
  CHECK(twice <= 4);  // the batch in flight
  CHECK(counts["inputs"].GetInt64() - twice == w.cli.Count("SELECT COUNT(*) FROM analysis_vectors"));
}

TEST_CASE("Ollama and text-embeddings-inference are spoken too") {
  for (const char* provider : {"ollama", "tei"}) {
    World w(provider);
    w.repo.Write("app.py", Functions(6));
    w.repo.Commit("first");
    REQUIRE(w.cli.Run("project add app --repo " + ShellQuote(w.repo.url())).exit_code == 0);
    w.Sync();
    INFO(provider);
    w.CheckEveryChunkOnce();
    CHECK(w.cli.Text("SELECT content FROM analysis_outputs WHERE analyzer = 'embeddings' AND name = 'space'") ==
          std::string(provider) + (std::string(provider) == "tei" ? "/fake-model/8" : "/fake-model/8"));
  }
}

TEST_CASE("semantic search with the built-in embedder finds a function from its words, never from another branch") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  const std::string plugins =
      ",{\"name\": \"code\", \"kind\": \"analyzer\"}, {\"name\": \"embeddings\", \"kind\": \"analyzer\","
      " \"settings\": {\"provider\": \"hashing\"}}";
  TetherCli cli(dir.path(), "", plugins);
  repo.Write("src/json_reader.py",
             "def parse_json_document(text):\n    \"\"\"Parse a JSON document into objects.\"\"\"\n"
             "    return json_decoder.decode(text)\n\n\n"
             "def render_window(screen):\n    screen.blit(screen.pixels)\n    return screen\n");
  repo.Write("src/network.py", "def open_socket(host, port):\n    return socket.connect(host, port)\n");
  repo.Commit("first");
  REQUIRE(cli.Run("project add app --repo " + ShellQuote(repo.url())).exit_code == 0);
  REQUIRE(cli.Run("sync app").exit_code == 0);

  int code = -1;
  rapidjson::Document found = cli.Json("search app 'parse a json document' --mode semantic --limit 3", &code);
  REQUIRE(code == 0);
  REQUIRE(found["hits"].Size() >= 1);
  const rapidjson::Value& best = found["hits"][0];
  CHECK(std::string(best["path"].GetString()) == "src/json_reader.py");
  CHECK(best["start_line"].GetInt() == 1);
  CHECK_THAT(best["snippet"].GetString(), Catch::Contains("def parse_json_document"));
  CHECK(best["score"].GetDouble() > 0.3);
  CHECK(std::string(found["mode"].GetString()) == "semantic");
  CHECK(std::string(found["commit"].GetString()).size() == 40);
  rapidjson::Document sockets = cli.Json("search app 'connect a socket to a host' --mode semantic --limit 1");
  REQUIRE(sockets["hits"].Size() == 1);
  CHECK(std::string(sockets["hits"][0]["path"].GetString()) == "src/network.py");

  // Another branch without the reader: never found there, found again back.
  repo.Git("checkout -q -b slim");
  repo.Remove("src/json_reader.py");
  repo.Commit("no reader");
  repo.Git("checkout -q main");
  REQUIRE(cli.Run("project select-branch app slim").exit_code == 0);
  REQUIRE(cli.Run("sync app").exit_code == 0);
  rapidjson::Document slim = cli.Json("search app 'parse a json document' --mode semantic --limit 10");
  for (const auto& hit : slim["hits"].GetArray()) CHECK(std::string(hit["path"].GetString()) != "src/json_reader.py");
  REQUIRE(cli.Run("project select-branch app main").exit_code == 0);
  REQUIRE(cli.Run("sync app").exit_code == 0);
  rapidjson::Document back = cli.Json("search app 'parse a json document' --mode semantic --limit 1");
  REQUIRE(back["hits"].Size() == 1);
  CHECK(std::string(back["hits"][0]["path"].GetString()) == "src/json_reader.py");

  // Another model (here: other dimensions) builds its vectors beside the
  // old ones; until it has, search keeps using the old ones; then the new.
  const long long old_vectors = cli.Count("SELECT COUNT(*) FROM analysis_vectors");
  CHECK(std::string(back["space"].GetString()) == "hashing/v1/256");
  cli.Reconfigure("", ",{\"name\": \"code\", \"kind\": \"analyzer\"}, {\"name\": \"embeddings\", \"kind\": \"analyzer\","
                      " \"settings\": {\"provider\": \"hashing\", \"dimensions\": 64}}");
  int waiting_code = -1;
  rapidjson::Document waiting = cli.Json("search app 'parse a json document' --mode semantic --limit 1", &waiting_code);
  REQUIRE(waiting_code == 0);
  CHECK(std::string(waiting["space"].GetString()) == "hashing/v1/256");
  REQUIRE(waiting["hits"].Size() == 1);
  CHECK(std::string(waiting["hits"][0]["path"].GetString()) == "src/json_reader.py");
  REQUIRE(cli.Run("analyze app").exit_code == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM analysis_vectors WHERE space = 'hashing/v1/256'") == old_vectors);
  CHECK(cli.Count("SELECT COUNT(*) FROM analysis_vectors WHERE space = 'hashing/v1/64'") > 0);
  rapidjson::Document moved = cli.Json("search app 'parse a json document' --mode semantic --limit 1");
  CHECK(std::string(moved["space"].GetString()) == "hashing/v1/64");
  REQUIRE(moved["hits"].Size() == 1);
  CHECK(std::string(moved["hits"][0]["path"].GetString()) == "src/json_reader.py");

  // Without the analyzer: a clear refusal, exit 2.
  cli.Reconfigure("", "");
  CliResult unconfigured = cli.Run("search app 'parse' --mode semantic");
  CHECK(unconfigured.exit_code == 2);
  CHECK_THAT(unconfigured.err, Catch::Contains("embeddings analyzer"));
}

namespace {

// GET /api/v1/search in semantic mode: the paths of every hit.
std::set<std::string> SemanticPaths(const tether::testing::ServeProcess& server, const std::string& token) {
  tether::testing::HttpReply reply = server.client().Send(
      "GET", "/api/v1/search?project=app&q=step%20value&mode=semantic&limit=1000", "",
      {{"Authorization", "Bearer " + token}});
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  rapidjson::Document body = reply.Json();
  std::set<std::string> paths;
  for (const auto& hit : body["hits"].GetArray()) paths.insert(hit["path"].GetString());
  return paths;
}

int64_t MetricValue(const tether::testing::ServeProcess& server, const std::string& name) {
  tether::testing::HttpReply reply = server.client().Send("GET", "/metrics");
  REQUIRE(reply.status == 200);
  const size_t at = reply.body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::atoll(reply.body.c_str() + at + name.size() + 2);
}

}  // namespace

TEST_CASE("the server's semantic search reads a project's vectors once, and again after a run changed them") {
  World w("openai", ", \"max_tries\": 1");
  w.repo.Write("app.py", Functions(6));
  w.repo.Commit("first");
  REQUIRE(w.cli.Run("project add app --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  w.Sync();
  CliResult made = w.cli.Run("token create --name search");
  REQUIRE(made.exit_code == 0);
  const std::string token = made.out.substr(0, made.out.find_last_not_of("\r\n") + 1);
  tether::testing::ServeProcess server(w.cli.config(), "127.0.0.1:0", {}, {"--workers", "0"});

  // Searched twice, read once.
  CHECK(SemanticPaths(server, token) == std::set<std::string>{"app.py"});
  CHECK(SemanticPaths(server, token) == std::set<std::string>{"app.py"});
  CHECK(MetricValue(server, "tether_semantic_index_builds_total") == 1);
  CHECK(MetricValue(server, "tether_semantic_index_bytes") > 0);

  // A sync by another process: the next search sees its file.
  w.repo.Write("more.py", Functions(3));
  w.repo.Commit("more");
  w.Sync();
  CHECK(SemanticPaths(server, token) == std::set<std::string>{"app.py", "more.py"});
  CHECK(MetricValue(server, "tether_semantic_index_builds_total") == 2);

  // A sync whose embedding fails stores the file but no vectors for it:
  // search leaves it out (and still finds the rest) until a later run
  // makes them.
  w.fake.Faults(R"({"status": 500, "times": 1000})");
  w.repo.Write("late.py", Functions(4));
  w.repo.Commit("late");
  (void)w.cli.Run("sync app");
  w.fake.Faults(R"({"status": null, "times": 0})");
  CHECK(w.cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'late.py'") == 1);
  CHECK(SemanticPaths(server, token) == std::set<std::string>{"app.py", "more.py"});
  // The next sync has no new commit, and still finishes the embedding.
  CliResult resynced = w.cli.Run("sync app");
  INFO(resynced.out << resynced.err);
  REQUIRE(resynced.exit_code == 0);
  CHECK(SemanticPaths(server, token) == std::set<std::string>{"app.py", "more.py", "late.py"});
  const int64_t builds = MetricValue(server, "tether_semantic_index_builds_total");
  CHECK(SemanticPaths(server, token).size() == 3);
  CHECK(MetricValue(server, "tether_semantic_index_builds_total") == builds);
}

TEST_CASE("after a change of model, search embeds its query with the old model until the new one's vectors cover the project") {
  World w;
  w.repo.Write("app.py", Functions(8));
  w.repo.Commit("first");
  REQUIRE(w.cli.Run("project add app --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  w.Sync();
  auto plugins = [&](const std::string& settings) {
    return ",{\"name\": \"code\", \"kind\": \"analyzer\"}, {\"name\": \"embeddings\", \"kind\": \"analyzer\","
           " \"settings\": " + settings + "}";
  };
  auto by_model = [&](const char* model) -> int64_t {
    rapidjson::Document counts = w.fake.Counts();
    return counts["by_model"].HasMember(model) ? counts["by_model"][model].GetInt64() : 0;
  };
  const int64_t texts = by_model("fake-model");
  REQUIRE(texts > 0);

  // The same service with another model: the project's vectors are still
  // the old model's, and so is the query's.
  w.cli.Reconfigure("", plugins("{\"provider\": \"openai\", \"url\": \"" + w.fake.url() +
                                "\", \"model\": \"next-model\", \"dimensions\": 8, \"batch_size\": 4}"));
  int code = -1;
  rapidjson::Document before = w.cli.Json("search app 'step value' --mode semantic --limit 3", &code);
  REQUIRE(code == 0);
  CHECK(std::string(before["space"].GetString()) == "openai/fake-model/8");
  CHECK(before["hits"].Size() == 3);
  CHECK(by_model("fake-model") == texts + 1);
  CHECK(by_model("next-model") == 0);

  // A model the analyzer cannot reach any more (another provider): refused,
  // naming both spaces.
  w.cli.Reconfigure("", plugins("{\"provider\": \"hashing\"}"));
  CliResult refused = w.cli.Run("search app 'step value' --mode semantic");
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("openai/fake-model/8") && Catch::Contains("hashing/v1/256"));

  // Once the new model's vectors cover the project, search moves to them.
  w.cli.Reconfigure("", plugins("{\"provider\": \"openai\", \"url\": \"" + w.fake.url() +
                                "\", \"model\": \"next-model\", \"dimensions\": 8, \"batch_size\": 4}"));
  w.Sync();
  CHECK(by_model("next-model") == texts);
  rapidjson::Document after = w.cli.Json("search app 'step value' --mode semantic --limit 3");
  CHECK(std::string(after["space"].GetString()) == "openai/next-model/8");
  CHECK(by_model("next-model") == texts + 1);
  CHECK(by_model("fake-model") == texts + 1);
}
