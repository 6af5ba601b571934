// sql-storage's vectors (SDK 3.5) driven directly, on both databases: what
// the embeddings step and semantic search rely on.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "engine/cli/cli_harness.h"
#include "support/plugin_library.h"
#include "tether/storage.h"

using tether::Status;
using tether::StatusCode;
using tether::StoredVector;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace {

std::string Hash(char c) { return std::string(64, c); }

struct World {
  TempDir dir;
  TetherCli cli{dir.path()};  // a migrated database
  tether::testing::PluginLibrary library{SQL_STORAGE_PLUGIN, "sql-storage"};
  std::unique_ptr<tether::Plugin> plugin;
  tether::Storage* storage = nullptr;

  World() {
    Status error;
    plugin = library.Create("{}", &error, cli.db_url());
    INFO(error.ToString());
    REQUIRE(plugin != nullptr);
    storage = plugin->AsStorage();
    REQUIRE(storage != nullptr);
  }
};

}  // namespace

TEST_CASE("vectors are stored exactly once per text and space, kept apart by tenant, and bad ones change nothing") {
  World w;
  const float odd[] = {0.1f, -3.5e-20f, 1e30f, std::numeric_limits<float>::denorm_min(), -0.0f};
  StoredVector a{Hash('a'), std::vector<float>(std::begin(odd), std::end(odd))};
  StoredVector b{Hash('b'), {1, 2, 3, 4, 5}};
  REQUIRE(w.storage->PutVectors("t1", "m/x/5", {a, b}).ok());

  auto missing = w.storage->MissingVectors("t1", "m/x/5", {Hash('b'), Hash('c'), Hash('a')});
  REQUIRE(missing.ok());
  CHECK(*missing == std::vector<std::string>{Hash('c')});
  auto got = w.storage->GetVectors("t1", "m/x/5", {Hash('c'), Hash('a'), Hash('b')});
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  CHECK(got->at(0).hash == Hash('a'));
  REQUIRE(got->at(0).values.size() == 5);
  CHECK(std::memcmp(got->at(0).values.data(), odd, sizeof odd) == 0);  // bit for bit
  CHECK(got->at(1).values == b.values);

  // A text's vector never changes: a second put keeps the first.
  REQUIRE(w.storage->PutVectors("t1", "m/x/5", {{Hash('b'), {9, 9, 9, 9, 9}}}).ok());
  CHECK(w.storage->GetVectors("t1", "m/x/5", {Hash('b')})->at(0).values == b.values);

  // Another tenant and another space see none of them.
  CHECK(w.storage->MissingVectors("t2", "m/x/5", {Hash('a')})->size() == 1);
  CHECK(w.storage->GetVectors("t2", "m/x/5", {Hash('a')})->empty());
  CHECK(w.storage->MissingVectors("t1", "m/y/5", {Hash('a')})->size() == 1);

  // Refused, naming what is wrong, with nothing written.
  const long long before = w.cli.Count("SELECT COUNT(*) FROM analysis_vectors");
  auto refused = [&](const Status& s, const std::string& says) {
    INFO(s.ToString());
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(says));
  };
  refused(w.storage->PutVectors("t1", "m/x/5", {{Hash('d'), {1, 2, 3}}}), "5 dimensions");
  refused(w.storage->PutVectors("t1", "m/x/5", {{Hash('d'), {1, 2, 3, 4, 5}}, {Hash('e'), {1}}}), "dimensions");
  refused(w.storage->PutVectors("t1", "m/x/5", {{Hash('d'), {1, std::nanf(""), 3, 4, 5}}}), "not finite");
  refused(w.storage->PutVectors("t1", "m/x/5", {{Hash('d'), {}}}), "values");
  refused(w.storage->PutVectors("t1", "m/x/5", {{"ABC", {1, 2, 3, 4, 5}}}), "not a text hash");
  refused(w.storage->PutVectors("t1", "has space", {b}), "printable ASCII");
  refused(w.storage->PutVectors("t1", "", {b}), "1 to 128 bytes");
  refused(w.storage->MissingVectors("t1", "m/x/5", {"'; DROP TABLE analysis_vectors; --"}).status(), "not a text hash");
  refused(w.storage->GetVectors("t1", std::string(200, 'm'), {Hash('a')}).status(), "1 to 128 bytes");
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_vectors") == before);

  // Many at once, over several statements' worth.
  std::vector<StoredVector> many;
  std::vector<std::string> hashes;
  for (int i = 0; i < 1200; ++i) {
    char hex[65];
    std::snprintf(hex, sizeof hex, "%064x", i);
    many.push_back({hex, {static_cast<float>(i), 0, 0, 0, 1}});
    hashes.push_back(hex);
  }
  REQUIRE(w.storage->PutVectors("t1", "m/x/5", many).ok());
  CHECK(w.storage->MissingVectors("t1", "m/x/5", hashes)->empty());
  auto all = w.storage->GetVectors("t1", "m/x/5", hashes);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1200);
  CHECK(all->at(1199).values[0] == 1199.0f);
}
