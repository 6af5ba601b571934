// engine/webhooks/github_webhook: POST /webhooks/github on a real SQLite
// database (temporary, migrated once per process) with four followed
// projects, one of a provider that cannot be asked. The target signs each
// body with the configured secret, so the fuzzer gets past the HMAC check
// to the payload. An input may start with a line "X-GitHub-Event: NAME" to
// choose the event (push otherwise). Providers are stood in for by a
// matcher that checks what RepositoryMention promises them.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "engine/db/database.h"
#include "engine/migrate/migrations.h"
#include "engine/db/project_store.h"
#include "engine/webhooks/github_webhook.h"
#include "fuzz_check.h"

namespace {

using tether::webhooks::GithubWebhookHandler;

constexpr char kSecret[] = "fuzz-secret";

class NullQueue : public tether::webhooks::SyncQueue {
 public:
  tether::Status Enqueue(const tether::db::Project&, const std::string&) override { return tether::Status::Ok(); }
  void StartClaimed() override {}
};

// Matches a github project whose URL is the full name, in any case; a
// provider called "broken" cannot be asked. Checks the mention is what
// providers are promised (provider.h).
class NameMatcher : public tether::webhooks::ProjectMatcher {
 public:
  tether::Result<bool> Matches(const tether::db::Project& project,
                               const tether::RepositoryMention& mention) override {
    const std::string& name = mention.full_name;
    FUZZ_CHECK(mention.forge == "github");
    FUZZ_CHECK(std::count(name.begin(), name.end(), '/') == 1 && name.size() <= 201);
    for (const std::string* text : {&name, &mention.html_url, &mention.clone_url, &mention.ssh_url,
                                    &mention.git_url, &mention.svn_url}) {
      FUZZ_CHECK(text->size() <= 2048);
      for (unsigned char c : *text) FUZZ_CHECK(c > 0x20 && c < 0x7f);
    }
    if (project.provider == "broken") return tether::Status::Unavailable("plugin \"broken\" is broken");
    return project.repo_url.size() == name.size() &&
           std::equal(name.begin(), name.end(), project.repo_url.begin(),
                      [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
  }
};

#define SETUP_CHECK(expr)                                                         \
  do {                                                                            \
    auto&& _s = (expr);                                                           \
    if (!_s.ok()) {                                                               \
      std::fprintf(stderr, "setup failed: %s\n", _s.status().message().c_str());  \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<tether::db::Database> db;
  NullQueue queue;
  NameMatcher matcher;
  std::unique_ptr<GithubWebhookHandler> handler;
  uint64_t deliveries = 0;

  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tether-fuzz-webhook-XXXXXX").string();
    FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    auto opened = tether::db::Database::Open("sqlite:" + (dir / "tether.db").string());
    SETUP_CHECK(opened);
    db = std::move(*opened);
    FUZZ_CHECK(db->Execute("PRAGMA synchronous=OFF", "fuzz").ok());
    auto migrations = tether::migrate::LoadMigrations({std::filesystem::path(TETHER_SOURCE_DIR) / "migrations"},
                                                 tether::db::Dialect::kSqlite);
    SETUP_CHECK(migrations);
    tether::migrate::Migrator migrator(db.get(), *migrations);
    SETUP_CHECK(migrator.Apply());
    tether::db::ProjectStore projects(db.get());
    const char* rows[][4] = {{"hello", "github", "Codertocat/Hello-World", "master"},
                             {"hello-dev", "github", "codertocat/hello-world", "dev"},
                             {"other", "github", "someone/else", "main"},
                             {"unaskable", "broken", "Codertocat/Hello-World", "master"}};
    for (const auto& row : rows) {
      tether::db::NewProject p;
      p.name = row[0];
      p.provider = row[1];
      p.storage = "sql-storage";
      p.repo_url = row[2];
      p.branch = row[3];
      SETUP_CHECK(projects.Add(p));
    }
    handler = std::make_unique<GithubWebhookHandler>(db.get(), &queue, &matcher,
                                                     tether::webhooks::GithubWebhookOptions{kSecret, 1u << 20});
  }
  ~Fixture() {
    handler.reset();
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  std::string body(tether::fuzz::AsText(data, size));
  std::string event = "push";
  const std::string prefix = "X-GitHub-Event: ";
  if (body.rfind(prefix, 0) == 0) {
    const size_t eol = body.find('\n');
    event = body.substr(prefix.size(), eol == std::string::npos ? std::string::npos : eol - prefix.size());
    body = eol == std::string::npos ? "" : body.substr(eol + 1);
  }
  tether::webhooks::WebhookRequest request;
  request.event = event;
  request.delivery_id = "fuzz-" + std::to_string(++fixture.deliveries);
  request.signature = tether::webhooks::GithubSignature(kSecret, body);
  request.body = body;
  const auto response = fixture.handler->Handle(request);
  FUZZ_CHECK(response.status >= 200 && response.status < 600);
  FUZZ_CHECK(response.status != 401);  // the signature is right
  FUZZ_CHECK(response.status != 500);  // an internal error is a bug (503 is a busy database)
  FUZZ_CHECK(!response.json.empty() && response.json.front() == '{');
  FUZZ_CHECK(response.json.find(kSecret) == std::string::npos);
  // The same delivery again acts at most once: never an error it did not give the first time.
  if (response.status < 300) {
    const auto again = fixture.handler->Handle(request);
    FUZZ_CHECK(again.status < 300);
  }
  return 0;
}
