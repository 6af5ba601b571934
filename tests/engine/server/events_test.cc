// The event stream (GET /api/v1/events, Server-Sent Events) and the metrics
// (GET /metrics) over real HTTP: the tether binary on loopback, on SQLite
// and PostgreSQL.
#include <catch2/catch.hpp>


#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "serve_harness.h"
#include "sse_client.h"

namespace fs = std::filesystem;
using tether::testing::Eventually;
using tether::testing::GitRepo;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::SseClient;
using tether::testing::SseEvent;

namespace {

// Small heartbeats so that a test sees them; events of other processes
// polled as usual (every second).
constexpr char kFastHeartbeat[] = R"("sse_heartbeat_ms": 100)";

struct Served {
  explicit Served(const std::string& server_json = kFastHeartbeat)
      : env(server_json), token(env.Token("ci")), server(env.config()) {}

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& as = "") {
    return server.client().Send(method, target, body, {{"Authorization", "Bearer " + (as.empty() ? token : as)}});
  }
  std::unique_ptr<SseClient> Stream(const std::string& target = "/api/v1/events", const std::string& as = "",
                                    std::vector<std::pair<std::string, std::string>> headers = {}, bool read = true,
                                    int receive_buffer = 0) {
    headers.emplace_back("Authorization", "Bearer " + (as.empty() ? token : as));
    return std::make_unique<SseClient>(server.host(), server.port(), target, headers, read, receive_buffer);
  }
  // Adds a project on a git repository with 5 files; returns nothing.
  void AddGitProject(const std::string& name, const std::string& as = "") {
    repos.push_back(std::make_unique<GitRepo>(env.dir() / ("repo-" + name)));
    GitRepo& git = *repos.back();
    for (int i = 0; i < 5; ++i) git.Write("src/file" + std::to_string(i) + ".txt", "content " + std::to_string(i) + "\n");
    git.Commit("first");
    HttpReply added = Call("POST", "/api/v1/projects",
                           "{\"name\": \"" + name + "\", \"repo\": \"" + git.path().string() + "\"}", as);
    INFO(added.body);
    REQUIRE(added.status == 201);
  }
  fs::path AddGatedProject(const std::string& name) {
    fs::path gate = env.GateDir("gate-" + name, 20);
    HttpReply added = Call("POST", "/api/v1/projects",
                           "{\"name\": \"" + name + "\", \"repo\": \"" + gate.string() +
                               "\", \"provider\": \"gated-provider\"}");
    INFO(added.body);
    REQUIRE(added.status == 201);
    return gate;
  }
  int64_t Sync(const std::string& name, const std::string& as = "") {
    HttpReply accepted = Call("POST", "/api/v1/projects/" + name + "/sync", "", as);
    INFO(accepted.body);
    REQUIRE(accepted.status == 202);
    return accepted.Json()["run_id"].GetInt64();
  }
  std::string Outcome(int64_t run_id) {
    return env.cli().Text("SELECT outcome FROM sync_runs WHERE id = " + std::to_string(run_id));
  }
  // The ids the events table holds for `where`, in order.
  std::vector<int64_t> Ids(const std::string& where) {
    std::vector<int64_t> ids;
    soci::rowset<long long> rows = (env.cli().db().session().prepare << "SELECT id FROM events WHERE " + where +
                                                                            " ORDER BY id");
    for (long long id : rows) ids.push_back(id);
    return ids;
  }
  int64_t ProjectId(const std::string& name) {
    return env.cli().Count("SELECT id FROM projects WHERE name = '" + name + "'");
  }
  std::string Metrics() {
    HttpReply reply = server.client().Send("GET", "/metrics");
    REQUIRE(reply.status == 200);
    return reply.body;
  }
  // The value of one metrics line ("name{labels}"), -1 when absent.
  double Metric(const std::string& series) {
    const std::string text = Metrics();
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }

  ServeEnv env;
  std::string token;
  ServeProcess server;
  std::vector<std::unique_ptr<GitRepo>> repos;
};

// The events that came with an id: previews (events sent before they were
// written, see "a write's progress reaches the stream ...") come only in
// addition, and may come whenever writing events lags.
std::vector<SseEvent> Written(const std::vector<SseEvent>& events) {
  std::vector<SseEvent> written;
  for (const SseEvent& e : events) {
    if (e.id >= 0) written.push_back(e);
  }
  return written;
}

std::vector<int64_t> IdsOf(const std::vector<SseEvent>& events) {
  std::vector<int64_t> ids;
  for (const SseEvent& e : Written(events)) ids.push_back(e.id);
  return ids;
}

// Whether an event of `type` came with its id.
bool HasType(const std::vector<SseEvent>& events, const std::string& type) {
  for (const SseEvent& e : Written(events)) {
    if (e.type == type) return true;
  }
  return false;
}

// The written events of one run, in the order received.
std::vector<SseEvent> OfRun(const std::vector<SseEvent>& events, int64_t run_id) {
  std::vector<SseEvent> out;
  const std::string tag = "\"run_id\":" + std::to_string(run_id) + ",";
  for (const SseEvent& e : Written(events)) {
    if (e.data.find(tag) != std::string::npos) out.push_back(e);
  }
  return out;
}

bool Increasing(const std::vector<int64_t>& ids) {
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] <= ids[i - 1]) return false;
  }
  return true;
}

void InsertEvents(ServeEnv& env, int64_t project_id, int count, const std::string& created_at, size_t payload_bytes) {
  tether::db::Database& db = env.cli().db();
  const std::string payload = "{\"blob\": \"" + std::string(payload_bytes, 'x') + "\"}";
  long long project = project_id;
  std::string type = "test.flood";
  tether::Status status = db.InTransaction([&]() -> tether::Status {
    for (int i = 0; i < count; ++i) {
      db.session() << "INSERT INTO events (project_id, run_id, type, payload, created_at) VALUES (:p, NULL, :t, :j, :c)",
          soci::use(project), soci::use(type), soci::use(payload), soci::use(created_at);
    }
    return tether::Status::Ok();
  });
  REQUIRE(status.ok());
}

}  // namespace

TEST_CASE("the event stream shows a sync from run.started to run.finished with the table's ids") {
  Served s;
  s.AddGitProject("web");
  auto stream = s.Stream("/api/v1/events?project=web");
  REQUIRE(stream->status() == 200);
  CHECK(stream->Header("content-type") == "text/event-stream");
  CHECK(stream->Header("cache-control") == "no-cache");
  const int64_t run = s.Sync("web");
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));

  const std::vector<SseEvent> events = Written(stream->events());
  REQUIRE(events.size() >= 4);
  CHECK(events.front().type == "run.started");
  CHECK(events.back().type == "run.finished");
  // A run without an error says null, as the API's runs do.
  CHECK(events.back().data.find("\"error\":null") != std::string::npos);
  CHECK(Increasing(IdsOf(events)));
  // Exactly the run's rows of the events table, with their ids.
  CHECK(IdsOf(events) == s.Ids("run_id = " + std::to_string(run)));
  for (const SseEvent& e : events) {
    INFO(e.data);
    CHECK(e.data.find("\"project\":\"web\"") != std::string::npos);
    CHECK(e.data.find("\"run_id\":" + std::to_string(run) + ",") != std::string::npos);
    CHECK(e.data.find("\"created_at\":\"") != std::string::npos);
  }
  // Progress reaches its total.
  bool complete = false;
  const std::regex progress("\"done\":([0-9]+),\"total\":([0-9]+)");
  for (const SseEvent& e : events) {
    std::smatch m;
    if (e.type == "phase.progress" && std::regex_search(e.data, m, progress)) {
      complete = complete || (m[1] == m[2] && m[2] == "5");
    }
  }
  CHECK(complete);
  CHECK(HasType(events, "phase.started"));
  CHECK(HasType(events, "phase.finished"));
  CHECK(events.back().data.find("\"outcome\":\"succeeded\"") != std::string::npos);
}

TEST_CASE("events of a sync run by the CLI against the same database reach the stream") {
  Served s;
  s.AddGitProject("web");
  auto stream = s.Stream("/api/v1/events?project=web");
  tether::testing::CliResult synced = s.env.cli().Run("sync web");
  INFO(synced.err);
  REQUIRE(synced.exit_code == 0);
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  const std::vector<SseEvent> events = stream->events();
  CHECK(events.front().type == "run.started");
  CHECK(IdsOf(events) == s.Ids("project_id = " + std::to_string(s.ProjectId("web"))));
  CHECK(events.back().data.find("\"trigger\"") == std::string::npos);  // run.finished has no trigger
  CHECK(events.front().data.find("\"trigger\":\"cli\"") != std::string::npos);
}

TEST_CASE("an event of another process committed after later ids were written still comes first") {
  Served s;
  s.AddGitProject("web");
  const int64_t project = s.ProjectId("web");
  auto stream = s.Stream("/api/v1/events?project=web");
  // Another process takes an id and holds its transaction open while the
  // server's sync writes later ids (on PostgreSQL; on SQLite the server's
  // writer waits for the lock instead).
  soci::session& other = s.env.cli().db().session();
  other.begin();
  long long pid = project;
  other << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
           " VALUES (:p, NULL, 'test.early', '{}', '2999-01-01T00:00:00.000Z')",
      soci::use(pid);
  // (On SQLite the request itself waits for the lock: it runs aside.)
  auto accepted = std::async(std::launch::async, [&] { return s.Call("POST", "/api/v1/projects/web/sync"); });
  ::usleep(700 * 1000);
  other.commit();
  const HttpReply reply = accepted.get();
  INFO(reply.body);
  REQUIRE(reply.status == 202);
  const int64_t run = reply.Json()["run_id"].GetInt64();
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));
  const std::vector<SseEvent> events = Written(stream->events());
  CHECK(IdsOf(events) == s.Ids("project_id = " + std::to_string(project)));
  CHECK(events.front().type == "test.early");
}

TEST_CASE("a stream goes on after a project is deleted with the newest events") {
  Served s;
  s.AddGitProject("first");
  auto stream = s.Stream();
  const int64_t first = s.Sync("first");
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(Eventually([&] { return s.Outcome(first) == "succeeded"; }));
  REQUIRE(s.Call("DELETE", "/api/v1/projects/first").status == 204);
  const size_t seen = stream->events().size();
  // The next events get new ids (AUTOINCREMENT): never the deleted ones'.
  s.AddGitProject("second");
  const int64_t second = s.Sync("second");
  REQUIRE(Eventually([&] { return s.Outcome(second) == "succeeded"; }));
  CHECK(stream->WaitFor(
      [&](const std::vector<SseEvent>& events) { return events.size() > seen && events.back().type == "run.finished"; },
      10));
  const std::vector<SseEvent> all = stream->events();
  const std::vector<SseEvent> of_second(all.begin() + static_cast<std::ptrdiff_t>(std::min(seen, all.size())), all.end());
  CHECK(IdsOf(of_second) == s.Ids("run_id = " + std::to_string(second)));
  CHECK(!of_second.empty());
  // A new client replaying everything gets the second run, once.
  auto replay = s.Stream("/api/v1/events?last_event_id=0");
  CHECK(replay->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }, 10));
  CHECK(IdsOf(replay->events()) == s.Ids("run_id = " + std::to_string(second)));
}

TEST_CASE("Last-Event-ID in the middle of a sync resumes with no gap and no duplicate") {
  Served s;
  fs::path gate = s.AddGatedProject("held");
  // Held in its discover phase (no transaction open, so that on SQLite the
  // events are written as they come).
  std::ofstream(gate / "hold-discover") << "1";
  auto first = s.Stream("/api/v1/events?project=held");
  const int64_t run = s.Sync("held");
  REQUIRE(Eventually([&] { return fs::exists(gate / "in-discover"); }));
  REQUIRE(first->WaitFor([](const std::vector<SseEvent>& events) { return Written(events).size() >= 2; }));
  const std::vector<SseEvent> before = Written(first->events());
  first.reset();  // the client goes away in the middle of the run
  REQUIRE(before.size() == 2);
  CHECK(before[0].type == "run.started");
  CHECK(before[1].type == "phase.started");
  const int64_t last = before.back().id;

  // One client resumes by the header, one (as a browser could not) by the parameter,
  // from an earlier point: it gets the replay and then the live rest.
  auto resumed = s.Stream("/api/v1/events?project=held", "", {{"Last-Event-ID", std::to_string(last)}});
  auto by_query = s.Stream("/api/v1/events?project=held&last_event_id=" + std::to_string(before[0].id));
  REQUIRE(resumed->status() == 200);
  REQUIRE(by_query->status() == 200);
  fs::remove(gate / "hold-discover");
  REQUIRE(resumed->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(by_query->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));

  const std::vector<int64_t> all = s.Ids("run_id = " + std::to_string(run));
  std::vector<int64_t> joined = IdsOf(before);
  for (int64_t id : IdsOf(resumed->events())) joined.push_back(id);
  CHECK(joined == all);  // no gap, no duplicate
  CHECK(Written(resumed->events()).front().id > last);
  std::vector<int64_t> expected_query(all.begin() + 1, all.end());
  CHECK(IdsOf(by_query->events()) == expected_query);
}

TEST_CASE("a write's progress reaches the stream while its transaction is still open") {
  Served s;
  fs::path gate = s.AddGatedProject("held");
  // Held in the write phase, inside the storage's transaction: on SQLite it
  // holds the only write lock, so the events it emits cannot be written yet.
  std::ofstream(gate / "hold-write") << "1";
  auto stream = s.Stream("/api/v1/events?project=held");
  const int64_t run = s.Sync("held");
  REQUIRE(Eventually([&] { return fs::exists(gate / "in-write"); }));
  const std::string zero_of_20 = "\"phase\":\"write\",\"done\":0,\"total\":20";
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) {
    for (const SseEvent& e : events) {
      if (e.type == "phase.progress" && e.data.find(zero_of_20) != std::string::npos) return true;
    }
    return false;
  }, 10));
  // Still held: nothing is committed and the run still runs.
  HttpReply documents = s.Call("GET", "/api/v1/projects/held/documents");
  REQUIRE(documents.status == 200);
  CHECK(documents.Json()["documents"].Size() == 0);
  CHECK(std::string(s.Call("GET", "/api/v1/projects/held").Json()["status"].GetString()) == "running");
  CHECK(fs::exists(gate / "in-write"));

  fs::remove(gate / "hold-write");
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));

  // Every event came with its id, as the table has them; a preview (no id,
  // "preview": true last) only came in addition, before its copy with an id.
  const std::vector<SseEvent> events = stream->events();
  std::vector<int64_t> ids;
  std::vector<std::string> previews;
  for (size_t i = 0; i < events.size(); ++i) {
    const SseEvent& e = events[i];
    if (e.id >= 0) {
      CHECK(e.data.find("\"preview\"") == std::string::npos);
      ids.push_back(e.id);
      continue;
    }
    INFO(e.data);
    const std::string suffix = ",\"preview\":true}";
    REQUIRE(e.data.size() > suffix.size());
    REQUIRE(e.data.compare(e.data.size() - suffix.size(), suffix.size(), suffix) == 0);
    const std::string copy = e.data.substr(0, e.data.size() - suffix.size()) + "}";
    bool followed = false;
    for (size_t j = i + 1; j < events.size() && !followed; ++j) {
      followed = events[j].id >= 0 && events[j].type == e.type && events[j].data == copy;
    }
    CHECK(followed);
    previews.push_back(e.type);
  }
  CHECK(ids == s.Ids("run_id = " + std::to_string(run)));
  if (!s.env.cli().postgres()) {
    // On SQLite the progress was a preview; on PostgreSQL it was written
    // at once and came with its id.
    CHECK(std::count(previews.begin(), previews.end(), "phase.progress") >= 1);
  }
}

TEST_CASE("a slow diff reports how far it got, so that the stream is never silent for long") {
  Served s;
  fs::path gate = s.AddGatedProject("slow");
  std::ofstream(gate / "diff-delay-ms") << "30";  // 20 changes: about 600 ms of diff
  auto stream = s.Stream("/api/v1/events?project=slow");
  const int64_t run = s.Sync("slow");
  REQUIRE(stream->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }, 20));
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));
  std::vector<int64_t> done;
  for (const SseEvent& e : stream->events()) {
    if (e.type != "phase.progress" || e.id < 0 || e.data.find("\"phase\":\"diff\"") == std::string::npos) continue;
    INFO(e.data);
    CHECK(e.data.find("\"total\":0") != std::string::npos);  // a diff does not know its total
    const size_t at = e.data.find("\"done\":");
    REQUIRE(at != std::string::npos);
    done.push_back(std::stoll(e.data.substr(at + 7)));
  }
  // At most one every 100 ms, so a few; each further than the last.
  REQUIRE(done.size() >= 2);
  CHECK(done.size() <= 7);
  CHECK(std::is_sorted(done.begin(), done.end()));
  CHECK(done.back() <= 20);
}

TEST_CASE("a slow event client is dropped while a sync completes and another client gets every event") {
  Served s(R"("sse_heartbeat_ms": 100, "sse_client_queue": 1024)");
  s.AddGitProject("web");
  const int64_t project = s.ProjectId("web");
  auto slow = s.Stream("/api/v1/events?project=web", "", {}, /*read=*/false, /*receive_buffer=*/4096);
  auto fast = s.Stream("/api/v1/events?project=web");
  REQUIRE(slow->status() == 200);
  REQUIRE(Eventually([&] { return s.Metric("tether_sse_clients") == 2; }));

  // Another process writes events to the same database (found by the
  // server's poll), in rounds the fast client keeps up with; 20 MB in all,
  // more than the slow client's socket buffers and queue can hold.
  int64_t run = 0;
  size_t expected = 0;
  for (int round = 0; round < 10; ++round) {
    InsertEvents(s.env, project, 500, "2999-01-01T00:00:00.000Z", 4000);
    expected += 500;
    if (round == 3) run = s.Sync("web");
    INFO("round " << round);
    REQUIRE(fast->WaitFor([&](const std::vector<SseEvent>& events) {
      size_t floods = 0;
      for (const SseEvent& e : events) floods += e.type == "test.flood";
      return floods == expected;
    }));
  }
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));
  REQUIRE(fast->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  // The fast client got every event of the project, in order, once.
  CHECK(IdsOf(fast->events()) == s.Ids("project_id = " + std::to_string(project)));
  CHECK(!fast->ended());
  // The slow one was cut off because its queue filled (well before the
  // 30 s write timeout could have ended it): its connection ends before it
  // got them all.
  CHECK(Eventually([&] { return s.Metric("tether_sse_clients") == 1; }, 5));
  REQUIRE(slow->DrainUntilClosed(60));
  CHECK(slow->events().size() < fast->events().size());
}

TEST_CASE("event streams get a heartbeat comment") {
  Served s;
  auto stream = s.Stream();
  REQUIRE(stream->status() == 200);
  CHECK(Eventually([&] { return stream->heartbeats() >= 3; }, 10));
  CHECK(stream->events().empty());
}

TEST_CASE("the default heartbeat is not sent within a second") {
  Served s("");
  auto stream = s.Stream();
  REQUIRE(stream->status() == 200);
  ::usleep(1000 * 1000);
  CHECK(stream->heartbeats() == 0);
}

TEST_CASE("a token of another tenant sees none of the events") {
  Served s;
  const std::string other = s.env.Token("other", "acme");
  s.AddGitProject("web");
  auto mine = s.Stream();
  auto theirs = s.Stream("/api/v1/events", other);
  auto theirs_replay = s.Stream("/api/v1/events?last_event_id=0", other);
  const int64_t run = s.Sync("web");
  REQUIRE(mine->WaitFor([&](const std::vector<SseEvent>& events) { return HasType(events, "run.finished"); }));
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));
  // A later stream of the other tenant replaying everything sees nothing either.
  auto theirs_late = s.Stream("/api/v1/events?last_event_id=0", other);
  CHECK(Eventually([&] { return theirs_late->heartbeats() >= 2 && theirs->heartbeats() >= 2; }, 10));
  CHECK(OfRun(mine->events(), run).size() == s.Ids("run_id = " + std::to_string(run)).size());
  CHECK(theirs->events().empty());
  CHECK(theirs_replay->events().empty());
  CHECK(theirs_late->events().empty());
  // Another tenant's project is not found, as an unknown one.
  auto foreign = s.Stream("/api/v1/events?project=web", other);
  CHECK(foreign->status() == 404);
  CHECK(foreign->Header("content-type") == "application/problem+json");
  auto unknown = s.Stream("/api/v1/events?project=nope");
  CHECK(unknown->status() == 404);
}

TEST_CASE("the event stream refuses bad requests") {
  Served s;
  HttpReply anonymous = s.server.client().Send("GET", "/api/v1/events");
  CHECK(anonymous.status == 401);
  auto bad_header = s.Stream("/api/v1/events", "", {{"Last-Event-ID", "x1"}});
  CHECK(bad_header->status() == 400);
  auto bad_query = s.Stream("/api/v1/events?last_event_id=-4");
  CHECK(bad_query->status() == 400);
  INFO(bad_query->error_body());
  CHECK(bad_query->error_body().find("urn:tether:problem:invalid-parameter") != std::string::npos);
  CHECK(bad_query->error_body().find("\"last_event_id\"") != std::string::npos);
  auto unknown = s.Stream("/api/v1/events?since=3");
  CHECK(unknown->status() == 400);
}

TEST_CASE("metrics count the sync and the connected event streams") {
  Served s;
  s.AddGitProject("web");
  HttpReply metrics = s.server.client().Send("GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.Header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.body.find("# TYPE tether_sync_duration_seconds histogram") != std::string::npos);
  CHECK(s.Metric("tether_sse_clients") == 0);
  CHECK(s.Metric("tether_syncs_total{outcome=\"succeeded\"}") == 0);

  auto one = s.Stream();
  auto two = s.Stream("/api/v1/events?project=web");
  CHECK(Eventually([&] { return s.Metric("tether_sse_clients") == 2; }));
  two.reset();
  CHECK(Eventually([&] { return s.Metric("tether_sse_clients") == 1; }));

  const int64_t run = s.Sync("web");
  REQUIRE(Eventually([&] { return s.Outcome(run) == "succeeded"; }));
  REQUIRE(Eventually([&] { return s.Metric("tether_syncs_total{outcome=\"succeeded\"}") == 1; }));
  CHECK(s.Metric("tether_files_written_total{kind=\"added\"}") == 5);
  CHECK(s.Metric("tether_files_written_total{kind=\"deleted\"}") == 0);
  CHECK(s.Metric("tether_sync_duration_seconds_count") == 1);
  CHECK(s.Metric("tether_sync_duration_seconds_bucket{le=\"+Inf\"}") == 1);
  CHECK(s.Metric("tether_sync_duration_seconds_bucket{le=\"60\"}") == 1);
  CHECK(s.Metric("tether_sync_duration_seconds_bucket{le=\"0.05\"}") >= 0);
  CHECK(s.Metric("tether_provider_requests_total") >= 5 + 4);  // 5 blobs, and branches, resolve, diff
  CHECK(s.Metric("tether_rate_limit_waits_total") == 0);
  CHECK(s.Metric("tether_http_requests_total{route=\"/api/v1/projects/{name}/sync\",status=\"202\"}") == 1);
  CHECK(s.Metric("tether_http_requests_total{route=\"/api/v1/projects\",status=\"201\"}") == 1);
  s.Call("GET", "/api/v1/projects/nope");
  CHECK(s.Metric("tether_http_requests_total{route=\"/api/v1/projects/{name}\",status=\"404\"}") == 1);
  s.Call("GET", "/no/such/path");
  CHECK(s.Metric("tether_http_requests_total{route=\"unmatched\",status=\"404\"}") == 1);
  one.reset();
  CHECK(Eventually([&] { return s.Metric("tether_sse_clients") == 0; }));
}

TEST_CASE("retention deletes old events at start and periodically") {
  ServeEnv env(R"("events_retention_days": 1, "events_prune_seconds": 1)");
  const std::string token = env.Token("ci");
  env.cli().db().session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                              " VALUES (NULL, NULL, 'old', '{}', '2000-01-01T00:00:00.000Z')";
  env.cli().db().session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                              " VALUES (NULL, NULL, 'recent', '{}', '2999-01-01T00:00:00.000Z')";
  ServeProcess server(env.config());
  CHECK(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM events WHERE type = 'old'") == 0; }, 10));
  env.cli().db().session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                              " VALUES (NULL, NULL, 'old', '{}', '2001-01-01T00:00:00.000Z')";
  env.cli().db().session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                              " VALUES (NULL, NULL, 'recent', '{}', '2999-01-01T00:00:00.000Z')";
  CHECK(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM events WHERE type = 'old'") == 0; }, 10));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM events WHERE type = 'recent'") == 2);
}

TEST_CASE("retention keeps the newest event even when it is old so that ids never start again") {
  ServeEnv env(R"("events_retention_days": 1, "events_prune_seconds": 1)");
  for (int i = 0; i < 3; ++i) {
    env.cli().db().session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                                " VALUES (NULL, NULL, 'old', '{}', '2000-01-01T00:00:00.000Z')";
  }
  const long long newest = env.cli().Count("SELECT MAX(id) FROM events");
  ServeProcess server(env.config());
  CHECK(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM events") == 1; }, 10));
  CHECK(env.cli().Count("SELECT MIN(id) FROM events") == newest);
}

TEST_CASE("retention keeps at most events_max_rows events, the newest") {
  ServeEnv env(R"("events_retention_days": 0, "events_max_rows": 10, "events_prune_seconds": 1)");
  for (int i = 0; i < 25; ++i) {
    env.cli().db().session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                                " VALUES (NULL, NULL, 'e', '{}', '2000-01-01T00:00:00.000Z')";
  }
  const long long newest = env.cli().Count("SELECT MAX(id) FROM events");
  ServeProcess server(env.config());
  CHECK(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM events") == 10; }, 10));
  CHECK(env.cli().Count("SELECT MIN(id) FROM events") == newest - 9);
}

TEST_CASE("event streams close on a graceful shutdown") {
  Served s;
  auto stream = s.Stream();
  REQUIRE(stream->status() == 200);
  CHECK(s.server.Stop(SIGTERM, 30) == 0);
  CHECK(Eventually([&] { return stream->ended(); }, 10));
}
