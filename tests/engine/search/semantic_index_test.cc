// The semantic index (engine/search/semantic_index.h) over a real project:
// the tether binary syncs a git repository with the code and embeddings
// analyzers (the built-in embedder), and the index is built from the
// sql-storage plugin on the same database. Its answers are checked against
// cosines computed here from the stored vectors, and an index rebuilt from
// its predecessor after each sync (sharing rows, or compacting them) must
// answer exactly as one built from nothing. Both databases.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/cli/cli_harness.h"
#include "engine/search/semantic_index.h"
#include "shared/embedding_outputs.h"
#include "support/plugin_library.h"
#include "tether/storage.h"

using tether::ProjectRef;
using tether::Status;
using tether::search::NearChunk;
using tether::search::SemanticIndex;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace {

constexpr char kSpace[] = "hashing/v1/256";

std::string Module(int n) {
  std::string text;
  for (int f = 0; f < 6; ++f) {
    text += "def module_" + std::to_string(n) + "_step_" + std::to_string(f) + "(value):\n";
    for (int k = 0; k < 4 + f; ++k) {
      text += "    value = value * " + std::to_string(k + n) + " + len(str(value)) # word" + std::to_string(n * 7 + f) +
              "\n";
    }
    text += "    return value\n\n";
  }
  return text;
}

struct World {
  TempDir dir;
  GitRepo repo{dir.path() / "repo"};
  TetherCli cli{dir.path(), "",
                ",{\"name\": \"code\", \"kind\": \"analyzer\"}, {\"name\": \"embeddings\", \"kind\": \"analyzer\","
                " \"settings\": {\"provider\": \"hashing\", \"max_chunk_chars\": 300}}"};
  tether::testing::PluginLibrary library{SQL_STORAGE_PLUGIN, "sql-storage"};
  std::unique_ptr<tether::Plugin> plugin;
  tether::Storage* storage = nullptr;
  ProjectRef project;

  World() {
    for (int n = 0; n < 12; ++n) repo.Write("src/m" + std::to_string(n) + ".py", Module(n));
    repo.Commit("first");
    REQUIRE(cli.Run("project add app --repo " + ShellQuote(repo.url())).exit_code == 0);
    Sync();
    Status error;
    plugin = library.Create("{}", &error, cli.db_url());
    INFO(error.ToString());
    REQUIRE(plugin != nullptr);
    storage = plugin->AsStorage();
    REQUIRE(storage != nullptr);
    project.id = cli.Count("SELECT id FROM projects WHERE name = 'app'");
    project.tenant = "default";
  }

  void Sync() {
    tether::testing::CliResult r = cli.Run("sync app");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }

  std::unique_ptr<SemanticIndex> Build(const SemanticIndex* previous = nullptr) {
    tether::Result<std::unique_ptr<SemanticIndex>> built = SemanticIndex::Build(storage, project, kSpace, previous);
    INFO(built.status().ToString());
    REQUIRE(built.ok());
    return std::move(*built);
  }

  // Every current chunk's cosine with `query`, computed here: (path, start
  // line) -> score.
  std::map<std::pair<std::string, int>, double> Cosines(const std::vector<float>& query) {
    struct Files : tether::EntrySink {
      std::map<std::string, std::string> blobs;  // path -> blob
      Status OnEntry(const tether::Entry& entry) override {
        if (entry.kind == tether::EntryKind::kFile) blobs[entry.path] = entry.blob_id;
        return Status::Ok();
      }
    } files;
    REQUIRE(storage->ListEntries(project, &files).ok());
    const std::map<std::string, std::string>& current = files.blobs;
    std::map<std::pair<std::string, int>, double> cosines;
    for (const auto& [path, blob] : current) {
      tether::Result<tether::StoredOutput> list =
          storage->GetRepositoryOutput(project, "embeddings", "chunks/" + path);
      if (!list.ok() || list->output.key != blob) continue;
      std::vector<tether::embeddings::ChunkLine> lines;
      REQUIRE(tether::embeddings::ParseChunkList(list->output.content, &lines));
      for (const auto& line : lines) {
        tether::Result<std::vector<tether::StoredVector>> v = storage->GetVectors(project.tenant, kSpace, {line.hash});
        REQUIRE(v.ok());
        if (v->empty() || v->front().values.empty()) continue;
        double dot = 0, a = 0, b = 0;
        for (size_t i = 0; i < query.size(); ++i) {
          dot += double{query[i]} * v->front().values[i];
          a += double{query[i]} * query[i];
          b += double{v->front().values[i]} * v->front().values[i];
        }
        cosines[{path, line.start_line}] = dot / std::sqrt(a * b);
      }
    }
    return cosines;
  }

};

std::vector<float> Query(size_t dimensions, int seed) {
  std::vector<float> q(dimensions);
  for (size_t i = 0; i < dimensions; ++i) q[i] = static_cast<float>(std::sin(double(i * 7 + seed)) + 0.3);
  return q;
}

// What Nearest answers, as (path, start line, score).
std::vector<std::tuple<std::string, int, double>> Answer(const SemanticIndex& index, const std::vector<float>& q,
                                                         const std::string& prefix, size_t limit) {
  int64_t compared = 0;
  std::vector<std::tuple<std::string, int, double>> out;
  for (const NearChunk& n : index.Nearest(q, prefix, limit, &compared)) {
    out.emplace_back(index.paths()[n.chunk->path], n.chunk->start_line, n.score);
  }
  return out;
}

void CheckSame(const SemanticIndex& a, const SemanticIndex& b, int seed) {
  const std::vector<float> q = Query(a.dimensions(), seed);
  for (const std::string& prefix : {std::string(), std::string("src/m1"), std::string("src/m10.py")}) {
    auto x = Answer(a, q, prefix, 1000), y = Answer(b, q, prefix, 1000);
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      CHECK(std::get<0>(x[i]) == std::get<0>(y[i]));
      CHECK(std::get<1>(x[i]) == std::get<1>(y[i]));
      CHECK(std::get<2>(x[i]) == Approx(std::get<2>(y[i])).margin(1e-6));
    }
  }
}

}  // namespace

TEST_CASE("the semantic index answers with every current chunk's exact cosine, best first, under a path") {
  World w;
  std::unique_ptr<SemanticIndex> index = w.Build();
  REQUIRE(index->dimensions() == 256);
  const std::vector<float> q = Query(256, 1);
  const auto cosines = w.Cosines(q);
  REQUIRE(cosines.size() >= 24);
  CHECK(index->chunks().size() == cosines.size());

  auto all = Answer(*index, q, "", 1000);
  REQUIRE(all.size() == cosines.size());
  for (size_t i = 0; i < all.size(); ++i) {
    INFO(std::get<0>(all[i]) << ":" << std::get<1>(all[i]));
    CHECK(std::get<2>(all[i]) == Approx(cosines.at({std::get<0>(all[i]), std::get<1>(all[i])})).margin(1e-5));
    if (i > 0) CHECK(std::get<2>(all[i - 1]) >= std::get<2>(all[i]));
  }
  auto top = Answer(*index, q, "", 5);
  REQUIRE(top.size() == 5);
  for (size_t i = 0; i < 5; ++i) CHECK(top[i] == all[i]);

  auto under = Answer(*index, q, "src/m1", 1000);  // m1, m10, m11
  std::set<std::string> paths;
  for (const auto& hit : under) paths.insert(std::get<0>(hit));
  CHECK(paths == std::set<std::string>{"src/m1.py", "src/m10.py", "src/m11.py"});
  int64_t compared = -1;
  CHECK(index->Nearest(q, "nothing/", 10, &compared).empty());
  CHECK(compared == 0);
  CHECK(index->Nearest(std::vector<float>(3, 1.0f), "", 10, &compared).empty());  // another length
}

TEST_CASE("an index rebuilt from its predecessor after a sync answers as one built from nothing") {
  World w;
  std::unique_ptr<SemanticIndex> first = w.Build();

  // A small change: most rows are the predecessor's, shared.
  w.repo.Write("src/m3.py", Module(3) + "def added_step(value):\n    return value + 1\n");
  w.repo.Write("src/new.py", Module(40));
  w.repo.Commit("small");
  w.Sync();
  std::unique_ptr<SemanticIndex> second = w.Build(first.get());
  first.reset();  // the rows it shares stay with the new index
  CheckSame(*second, *w.Build(), 2);
  CHECK(second->chunks().size() == w.Cosines(Query(256, 2)).size());

  // Most files replaced: the live rows are copied into one block.
  for (int n = 0; n < 12; ++n) w.repo.Remove("src/m" + std::to_string(n) + ".py");
  for (int n = 50; n < 54; ++n) w.repo.Write("lib/x" + std::to_string(n) + ".py", Module(n));
  w.repo.Commit("big");
  w.Sync();
  std::unique_ptr<SemanticIndex> third = w.Build(second.get());
  CheckSame(*third, *w.Build(), 3);
  std::set<std::string> paths(third->paths().begin(), third->paths().end());
  CHECK(paths.count("src/m3.py") == 0);
  CHECK(paths.count("src/new.py") == 1);
  CHECK(third->Bytes() < second->Bytes() + 4096);
}
