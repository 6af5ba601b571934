// The database as the workers' queue and the storage's fence, on SQLite and
// PostgreSQL: which project a worker claims next (requests first, tenants
// in turn, the limits), leases taken over once expired with a new epoch,
// and a write begun under an older epoch refused at its commit.
#include <catch2/catch.hpp>

#include <soci/soci.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "engine/app/runtime.h"
#include "engine/cli/cli_harness.h"
#include "engine/db/project_store.h"
#include "support/git_repo.h"
#include "support/status_checks.h"
#include "tether/storage.h"

using tether::db::ProjectStore;
using tether::db::WorkFilter;
using tether::testing::GitRepo;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace {

struct World {
  World() : cli(dir.path()), repo(dir.path() / "repo") {
    repo.Write("a.txt", "one\n");
    repo.Commit("first");
  }
  // Adds a project on the test repository, in `tenant`; returns its id.
  int64_t Add(const std::string& name, const std::string& tenant = "default", const std::string& schedule = "") {
    std::string args = "--tenant " + tenant + " project add " + name + " --repo " + repo.path().string();
    if (!schedule.empty()) args += " --every " + schedule;
    tether::testing::CliResult added = cli.Run(args);
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    return cli.Count("SELECT p.id FROM projects p WHERE p.name = '" + name + "' AND p.tenant_id = '" + tenant + "'");
  }
  std::unique_ptr<tether::db::Database> Connect() {
    auto opened = tether::db::Database::Open(cli.db_url());
    REQUIRE(opened.ok());
    return std::move(opened).value();
  }

  TempDir dir;
  TetherCli cli;
  GitRepo repo;
};

WorkFilter Now() {
  WorkFilter filter;
  filter.now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  return filter;
}

// Picks and leases up to `limit` projects and takes their requests, as a
// worker does, with the owner `owner` (in a batch, `owner` and its place);
// their ids in the order picked.
std::vector<int64_t> ClaimBatch(tether::db::Database* db, const WorkFilter& filter, const std::string& owner,
                                int limit) {
  std::vector<int64_t> ids;
  REQUIRE_OK(db->InTransaction([&]() -> tether::Status {
    ProjectStore projects(db);
    auto next = projects.LockWork(filter, limit);
    if (!next.ok()) return next.status();
    for (const tether::db::NextWork& work : *next) {
      auto grant = projects.LeaseWork(work, limit == 1 ? owner : owner + std::to_string(ids.size()), "w", 60, true);
      if (!grant.ok()) return grant.status();
      if (grant->acquired) ids.push_back(work.project.id);
    }
    return tether::Status::Ok();
  }));
  return ids;
}

// The next project claimed as ClaimBatch does; 0 when none.
int64_t ClaimNext(tether::db::Database* db, const WorkFilter& filter, const std::string& owner) {
  std::vector<int64_t> ids = ClaimBatch(db, filter, owner, 1);
  REQUIRE(ids.size() <= 1);
  return ids.empty() ? 0 : ids.front();
}

}  // namespace

TEST_CASE("work queue: a requested sync goes before a due schedule, and nothing else waits") {
  World w;
  const int64_t scheduled = w.Add("scheduled", "default", "5m");
  const int64_t asked = w.Add("asked");
  w.Add("idle");  // no schedule, no request: never claimed
  auto db = w.Connect();
  ProjectStore projects(db.get());
  REQUIRE_OK(projects.RequestSync(asked, "api"));
  WorkFilter filter = Now();
  auto waiting = projects.CountWaiting(filter);
  REQUIRE(waiting.ok());
  CHECK(*waiting == 2);
  CHECK(ClaimNext(db.get(), filter, "o1") == asked);
  CHECK(ClaimNext(db.get(), filter, "o2") == scheduled);
  CHECK(ClaimNext(db.get(), filter, "o3") == 0);
}

TEST_CASE("work queue: tenants take turns, and the limits hold") {
  World w;
  const int64_t a1 = w.Add("a1", "acme"), a2 = w.Add("a2", "acme"), a3 = w.Add("a3", "acme");
  const int64_t b1 = w.Add("b1", "beta");
  auto db = w.Connect();
  ProjectStore projects(db.get());
  for (int64_t id : {a1, a2, a3, b1}) REQUIRE_OK(projects.RequestSync(id, "api"));
  WorkFilter filter = Now();
  // acme's requests are older, but once acme runs one, beta goes next.
  CHECK(ClaimNext(db.get(), filter, "o1") == a1);
  CHECK(ClaimNext(db.get(), filter, "o2") == b1);
  SECTION("a global limit") {
    filter.max_running = 2;
    CHECK(ClaimNext(db.get(), filter, "o3") == 0);
    // a1's run ends.
    tether::db::RunEnd end;
    end.status = "synced";
    end.synced = true;
    REQUIRE_OK(projects.EndRun(a1, "o1", end));
    CHECK(ClaimNext(db.get(), filter, "o3") == a2);
  }
  SECTION("a provider limit") {
    filter.provider_limits = {{"local-git", 2}};
    CHECK(ClaimNext(db.get(), filter, "o3") == 0);
    filter.provider_limits = {{"local-git", 3}, {"github", 1}};
    CHECK(ClaimNext(db.get(), filter, "o3") == a2);
  }
  SECTION("a batch stays within the limits") {
    filter.max_running = 3;
    CHECK(ClaimBatch(db.get(), filter, "o3-", 4) == std::vector<int64_t>{a2});
    filter.max_running = 0;
    filter.provider_limits = {{"local-git", 4}};
    CHECK(ClaimBatch(db.get(), filter, "o4-", 4) == std::vector<int64_t>{a3});
  }
}

TEST_CASE("work queue: one claim for several places takes tenants in turn, as claims one by one would") {
  World w;
  const int64_t a1 = w.Add("a1", "acme"), a2 = w.Add("a2", "acme"), a3 = w.Add("a3", "acme");
  const int64_t b1 = w.Add("b1", "beta"), b2 = w.Add("b2", "beta");
  const int64_t c1 = w.Add("c1", "core", "5m");  // due by its schedule: after every request
  auto db = w.Connect();
  ProjectStore projects(db.get());
  for (int64_t id : {a1, a2, a3, b1, b2}) REQUIRE_OK(projects.RequestSync(id, "api"));
  WorkFilter filter = Now();
  // beta already runs one (a lease of a run by hand): acme goes first, then
  // they alternate, oldest request first within each.
  REQUIRE(projects.AcquireLease(b2, "by-hand", "", 60)->acquired);
  CHECK(ClaimBatch(db.get(), filter, "o", 3) == std::vector<int64_t>{a1, a2, b1});
  CHECK(ClaimBatch(db.get(), filter, "p", 5) == std::vector<int64_t>{a3, c1});
  CHECK(ClaimBatch(db.get(), filter, "q", 5).empty());
  // Each claimed request was taken with its lease; b2's stays for its next run.
  CHECK(w.cli.Count("SELECT COUNT(*) FROM project_syncs WHERE sync_requested_at IS NOT NULL") == 1);
}

TEST_CASE("work queue: a live lease is passed by, an expired one taken over with a newer epoch") {
  World w;
  const int64_t id = w.Add("p");
  auto db = w.Connect();
  ProjectStore projects(db.get());
  auto first = projects.AcquireLease(id, "first", "w1", 60);
  REQUIRE(first.ok());
  REQUIRE(first->acquired);
  CHECK(first->taken_from.empty());
  auto refused = projects.AcquireLease(id, "second", "w2", 60);
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->acquired);
  // Expired: not renewed in time.
  REQUIRE_OK(db->Execute("UPDATE project_syncs SET lease_expires_at = 1 WHERE project_id = " + std::to_string(id),
                         "expire"));
  auto renewed = projects.RenewLease(id, "first", 60);
  REQUIRE(renewed.ok());
  CHECK(*renewed);  // its holder may still renew while nobody took it
  REQUIRE_OK(db->Execute("UPDATE project_syncs SET lease_expires_at = 1 WHERE project_id = " + std::to_string(id),
                         "expire"));
  auto taken = projects.AcquireLease(id, "second", "w2", 60);
  REQUIRE(taken.ok());
  REQUIRE(taken->acquired);
  CHECK(taken->epoch == first->epoch + 1);
  CHECK(taken->taken_from == "first");
  renewed = projects.RenewLease(id, "first", 60);
  REQUIRE(renewed.ok());
  CHECK_FALSE(*renewed);  // the old holder learns it lost the lease
}

TEST_CASE("work queue: on PostgreSQL a row another worker is claiming is skipped, not waited for") {
  World w;
  if (!w.cli.postgres()) return;  // SQLite has one writer: the claim waits for the write lock instead
  const int64_t first = w.Add("first"), second = w.Add("second");
  auto db1 = w.Connect();
  auto db2 = w.Connect();
  REQUIRE_OK(ProjectStore(db1.get()).RequestSync(first, "api"));
  REQUIRE_OK(ProjectStore(db1.get()).RequestSync(second, "api"));
  WorkFilter filter = Now();
  // Worker 1 has picked `first` and not committed yet.
  REQUIRE_OK(db1->Execute("BEGIN", "begin"));
  auto picked = ProjectStore(db1.get()).LockWork(filter, 1);
  REQUIRE(picked.ok());
  REQUIRE(picked->size() == 1);
  CHECK(picked->front().project.id == first);
  // Worker 2 gets the next one at once.
  auto other = std::async(std::launch::async, [&] { return ClaimNext(db2.get(), filter, "o2"); });
  REQUIRE(other.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(other.get() == second);
  REQUIRE_OK(db1->Execute("ROLLBACK", "rollback"));
}

TEST_CASE("fence: a write begun under an older lease epoch is refused at its commit, and changes nothing") {
  World w;
  const int64_t id = w.Add("p");
  REQUIRE(w.cli.Run("sync p").exit_code == 0);
  const long long documents = w.cli.Count("SELECT COUNT(*) FROM documents");
  const std::string cursor = w.cli.Text("SELECT commit_id FROM storage_cursors");
  auto runtime = tether::app::Runtime::Load(w.cli.config());
  REQUIRE(runtime.ok());
  auto storage = (*runtime)->plugins().FindStorage("sql-storage");
  REQUIRE(storage.ok());
  REQUIRE((*runtime)->plugins().StorageFences("sql-storage"));
  const tether::ProjectRef ref{id, "default"};
  tether::Change change;
  change.kind = tether::ChangeKind::kAdded;
  change.entry.path = "stale.txt";
  change.entry.blob_id = std::string(40, 'a');
  change.entry.mode = 0100644;
  tether::Document document;
  document.size = 5;
  document.has_content = true;
  document.content = "stale";

  auto writer = (*storage)->BeginFencedWrite(ref, cursor, 1);
  REQUIRE(writer.ok());
  REQUIRE_OK((*writer)->Apply(change, &document, std::string(40, 'b')));
  if (w.cli.postgres()) {
    // Fenced while the write is open: the fence does not wait for it.
    auto fenced = std::async(std::launch::async, [&] { return (*storage)->Fence(ref, 2); });
    REQUIRE(fenced.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    REQUIRE_OK(fenced.get());
    tether::Status committed = (*writer)->Commit(std::string(40, 'b'));
    CHECK(committed.code() == tether::StatusCode::kConflict);
    CHECK_THAT(committed.message(), Catch::Contains("taken over by a newer run"));
  } else {
    // SQLite's one writer: the fence comes between two writes.
    writer->reset();
    REQUIRE_OK((*storage)->Fence(ref, 2));
    auto stale = (*storage)->BeginFencedWrite(ref, cursor, 1);
    REQUIRE(stale.ok());
    REQUIRE_OK((*stale)->Apply(change, &document, std::string(40, 'b')));
    CHECK((*stale)->Commit(std::string(40, 'b')).code() == tether::StatusCode::kConflict);
  }
  writer->reset();
  CHECK(w.cli.Count("SELECT COUNT(*) FROM documents") == documents);
  CHECK(w.cli.Text("SELECT commit_id FROM storage_cursors") == cursor);
  // An older fence changes nothing; the newer epoch writes.
  REQUIRE_OK((*storage)->Fence(ref, 1));
  auto current = (*storage)->BeginFencedWrite(ref, cursor, 2);
  REQUIRE(current.ok());
  REQUIRE_OK((*current)->Apply(change, &document, std::string(40, 'b')));
  REQUIRE_OK((*current)->Commit(std::string(40, 'b')));
  CHECK(w.cli.Count("SELECT COUNT(*) FROM documents") == documents + 1);
}

TEST_CASE("work queue: a rate-limited project waits for its retry time, even when asked for") {
  World w;
  const int64_t id = w.Add("limited");
  auto db = w.Connect();
  ProjectStore projects(db.get());
  WorkFilter filter = Now();
  // Its last run was rate limited until a minute from now.
  REQUIRE_OK(projects.SetStatus(id, "rate_limited", "rate limited until later"));
  REQUIRE_OK(projects.SetNextSync(id, filter.now + 60, std::nullopt));
  REQUIRE_OK(projects.RequestSync(id, "api"));
  CHECK(ClaimNext(db.get(), filter, "o1") == 0);
  auto waiting = projects.CountWaiting(filter);
  REQUIRE(waiting.ok());
  CHECK(*waiting == 0);
  // Once the retry time has come, any worker takes it.
  filter.now += 61;
  CHECK(ClaimNext(db.get(), filter, "o1") == id);
}
