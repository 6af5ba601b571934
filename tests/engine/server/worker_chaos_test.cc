// Workers on "separate machines" (one host id each) against one real
// PostgreSQL, while 200 repositories receive commits and workers are killed
// (SIGKILL) or frozen (SIGSTOP, longer than the lease timeout) at random.
// At the end every project is at its branch head; no two runs of one
// project overlap; the succeeded runs of each project form one chain of
// commits (none written twice); every run that lost its lease wrote
// nothing; and each worker's projects were taken over within the lease
// timeout plus a few seconds. A request for a project waits no longer than
// the engine's idle-in-transaction limit, even behind a frozen worker.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "engine/db/database.h"
#include "engine/db/project_store.h"
#include "serve_harness.h"
#include "shared/row_values.h"
#include "support/git_repo.h"

using tether::testing::Eventually;
using tether::testing::GitRepo;
using tether::testing::ServeEnv;
using tether::testing::WorkerProcess;

namespace {

constexpr int kProjects = 200;
constexpr int kLeaseTimeoutSeconds = 3;
constexpr int kSlackSeconds = 5;

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Event {
  std::string worker;  // its id
  double at = 0;       // when it was killed or frozen
  bool frozen = false;
};

}  // namespace

TEST_CASE("chaos: workers killed and frozen at random lose nothing and write nothing twice") {
  ServeEnv env("", "", "",
               "\"lease_timeout_seconds\": " + std::to_string(kLeaseTimeoutSeconds) + ", \"poll_ms\": 200");
  if (!env.cli().postgres()) return;  // registered POSTGRES_ONLY
  tether::db::Database& db = env.cli().db();
  tether::db::ProjectStore projects(&db);
  std::vector<std::unique_ptr<GitRepo>> repos;
  std::vector<int64_t> ids;
  for (int i = 0; i < kProjects; ++i) {
    auto repo = std::make_unique<GitRepo>(env.dir() / "repos" / ("r" + std::to_string(i)));
    repo->Write("README", "project " + std::to_string(i) + "\n");
    repo->Commit("first");
    tether::db::NewProject p;
    p.name = "p" + std::to_string(i);
    p.provider = "local-git";
    p.storage = "sql-storage";
    p.repo_url = repo->path().string();
    p.branch = "main";
    auto added = projects.Add(p);
    REQUIRE(added.ok());
    ids.push_back(added->id);
    REQUIRE(projects.RequestSync(added->id, "api").ok());
    repos.push_back(std::move(repo));
  }

  std::mt19937 random(20261203);
  int next_host = 0;
  auto start_worker = [&] {
    return std::make_unique<WorkerProcess>(
        env.config(), std::vector<std::string>{"--concurrency", "2", "--host-id", "host" + std::to_string(next_host++)});
  };
  std::vector<std::unique_ptr<WorkerProcess>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(start_worker());
  std::vector<std::unique_ptr<WorkerProcess>> gone;  // killed, kept for their logs
  std::vector<Event> events;
  struct Frozen {
    size_t index;
    double until;
  };
  std::vector<Frozen> frozen;

  // At least 30 s and at least kMinFaults faults: one loop makes the commits
  // and the faults, so on a slow machine (a sanitizer build under load:
  // five commits of 40 files can take seconds) time alone would leave too
  // few faults to prove anything. The cap only stops a machine that can
  // inject none.
  constexpr size_t kMinFaults = 5;
  const double chaos_until = NowSeconds() + 30, chaos_cap = NowSeconds() + 240;
  double next_fault = NowSeconds() + 2;
  int commits = 0;
  double longest_request = 0;
  while ((NowSeconds() < chaos_until || events.size() < kMinFaults) && NowSeconds() < chaos_cap) {
    // Commits to five repositories, each asked for at once; each changes
    // 40 files, so that a run spends a while in its write.
    for (int k = 0; k < 5; ++k) {
      const int i = static_cast<int>(random() % kProjects);
      for (int f = 0; f < 40; ++f) {
        repos[i]->Write("dir/file-" + std::to_string(f) + ".txt",
                        std::string(2000, static_cast<char>('a' + commits % 26)) + std::to_string(commits) + "\n");
      }
      repos[i]->Commit("change " + std::to_string(commits++));
      // A worker frozen inside a claim holds the project's row: the
      // request waits until the server ends that idle transaction.
      const double asked = NowSeconds();
      REQUIRE(projects.RequestSync(ids[i], "webhook").ok());
      longest_request = std::max(longest_request, NowSeconds() - asked);
    }
    const double now = NowSeconds();
    for (auto it = frozen.begin(); it != frozen.end();) {
      if (now < it->until) {
        ++it;
        continue;
      }
      workers[it->index]->Signal(SIGCONT);
      it = frozen.erase(it);
    }
    if (now >= next_fault && frozen.empty()) {
      // A worker in the middle of a run, when one is (most faults then cut
      // a run short; the others hit an idle worker).
      size_t victim = random() % workers.size();
      std::string busy;
      Eventually(
          [&] {
            busy = env.cli().Text(
                "SELECT COALESCE(MIN(lease_worker), '') FROM project_syncs WHERE lease_owner IS NOT NULL");
            return !busy.empty();
          },
          1);
      for (size_t k = 0; k < workers.size(); ++k) {
        if (workers[k]->id() == busy) victim = k;
      }
      if (random() % 2 == 0) {
        events.push_back({workers[victim]->id(), NowSeconds(), false});
        workers[victim]->Signal(SIGKILL);
        REQUIRE(workers[victim]->Wait(10) == 128 + SIGKILL);
        gone.push_back(std::move(workers[victim]));
        workers[victim] = start_worker();
      } else {
        events.push_back({workers[victim]->id(), NowSeconds(), true});
        workers[victim]->Signal(SIGSTOP);
        frozen.push_back({victim, NowSeconds() + kLeaseTimeoutSeconds + 3});
      }
      next_fault = NowSeconds() + 2;
    }
    ::usleep(200 * 1000);
  }
  for (const Frozen& f : frozen) workers[f.index]->Signal(SIGCONT);
  // Every project once more, then everything settles.
  for (int64_t id : ids) REQUIRE(projects.RequestSync(id, "api").ok());
  const bool settled = Eventually(
      [&] {
        return env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE sync_requested_at IS NOT NULL"
                               " OR lease_owner IS NOT NULL OR status = 'running'") == 0;
      },
      120);
  for (auto& w : workers) CHECK(w->Stop(SIGTERM, 30) == 0);
  REQUIRE(settled);
  INFO("commits: " << commits << ", faults: " << events.size());
  CHECK(longest_request < tether::db::Database::kIdleInTransactionMs / 1000.0 + kSlackSeconds);

  // 1. Every project at its branch head, with its files.
  for (int i = 0; i < kProjects; ++i) {
    const std::string head = tether::testing::RunCommand("git -C " + repos[i]->path().string() + " rev-parse main");
    const std::string cursor = env.cli().Text("SELECT commit_id FROM storage_cursors WHERE project_id = " +
                                              std::to_string(ids[i]));
    INFO("project p" << i);
    CHECK(head.substr(0, 40) == cursor);
  }
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 0);

  // 2. No two runs of one project overlap; 3. the written commits chain.
  struct Run {
    int64_t id;
    double started, finished;
    std::string outcome, mode, from, to, worker;
  };
  std::map<int64_t, std::vector<Run>> by_project;
  soci::rowset<soci::row> rows =
      (db.session().prepare << "SELECT project_id, id, EXTRACT(EPOCH FROM started_at::timestamptz),"
                               " EXTRACT(EPOCH FROM finished_at::timestamptz), outcome, COALESCE(mode, ''),"
                               " COALESCE(from_commit, ''), COALESCE(to_commit, ''), COALESCE(worker, '')"
                               " FROM sync_runs ORDER BY project_id, started_at, id");
  for (const soci::row& row : rows) {
    by_project[tether::db::RowInt(row, 0)].push_back(
        {tether::db::RowInt(row, 1), row.get<double>(2), row.get<double>(3), tether::db::RowText(row, 4),
         tether::db::RowText(row, 5), tether::db::RowText(row, 6), tether::db::RowText(row, 7),
         tether::db::RowText(row, 8)});
  }
  int interrupted = 0;
  for (const auto& [project, runs] : by_project) {
    INFO("project id " << project);
    std::string cursor;
    for (size_t k = 0; k < runs.size(); ++k) {
      const Run& run = runs[k];
      INFO("run " << run.id << " (" << run.outcome << ", " << run.mode << ")");
      if (k > 0) CHECK(runs[k - 1].finished <= run.started + 0.0005);
      if (run.outcome == "interrupted") ++interrupted;
      if (run.outcome != "succeeded") continue;
      if (run.mode == "noop") {
        CHECK(run.to == cursor);
        continue;
      }
      CHECK(run.from == cursor);  // each write starts where the last one ended
      CHECK(run.to != cursor);
      cursor = run.to;
    }
  }

  // 4. Every run that lost its lease has the record its taker wrote:
  // interrupted, or recovered when its commit had landed.
  std::set<int64_t> fenced;
  for (auto* list : {&workers, &gone}) {
    for (auto& w : *list) {
      const std::string log = w->Stderr();
      // A commit refused by the fence, a finish refused for a lost lease, a
      // run stopped by its lease keeper: "run N of P ...: ..." lines.
      for (const char* needle : {"taken over by", "took the project over"}) {
        for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
          const size_t line = log.rfind('\n', at);
          const size_t run = log.find(" run ", line == std::string::npos ? 0 : line);
          if (run != std::string::npos && run < at) fenced.insert(std::stoll(log.substr(run + 5)));
        }
      }
    }
  }
  // A run frozen after its storage committed and before it recorded its
  // end did write, once (step 3 sees its commit in the chain): its taker
  // recorded it succeeded, from the commit it wrote.
  for (int64_t run : fenced) {
    INFO("fenced run " << run);
    const std::string id = std::to_string(run);
    const std::string outcome = env.cli().Text("SELECT outcome FROM sync_runs WHERE id = " + id);
    if (outcome == "succeeded") {
      CHECK_THAT(env.cli().Text("SELECT error FROM sync_runs WHERE id = " + id),
                 Catch::Contains("stopped after the write committed"));
      continue;
    }
    CHECK(outcome == "interrupted");
  }

  // 5. Each fault's projects were taken over within the lease timeout and a
  // few seconds: the first run after the fault of every project whose run
  // the faulty worker left behind.
  for (const Event& e : events) {
    for (const auto& [project, runs] : by_project) {
      for (size_t k = 0; k + 1 < runs.size(); ++k) {
        const Run& left = runs[k];
        if (left.worker != e.worker || left.outcome != "interrupted" || left.started > e.at) continue;
        INFO("worker " << e.worker << (e.frozen ? " frozen" : " killed") << ", its run " << left.id);
        CHECK(runs[k + 1].started - e.at <= kLeaseTimeoutSeconds + kSlackSeconds);
      }
    }
  }
  long long takeovers = 0, lost = 0;
  for (auto* list : {&workers, &gone}) {
    for (auto& w : *list) {
      const std::string log = w->Stderr();
      for (size_t at = log.find("handed back"); at != std::string::npos; at = log.find("handed back", at + 1)) ++lost;
    }
  }
  takeovers = env.cli().Count("SELECT COALESCE(SUM(takeovers), 0) FROM workers");
  WARN(commits << " commits, " << events.size() << " faults, " << interrupted << " runs interrupted, "
                << fenced.size() << " runs that lost their lease, " << takeovers << " takeovers counted by workers, "
                << env.cli().Count("SELECT COUNT(*) FROM sync_runs") << " runs");
  CHECK(events.size() >= kMinFaults);
  CHECK(interrupted >= 1);
}
