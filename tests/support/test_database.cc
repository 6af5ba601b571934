#include "test_database.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include <soci/soci.h>

namespace tether::testing {
namespace {

std::string AdminUrl() {
  const char* dir = std::getenv("TETHER_TEST_PG_DIR");
  if (dir == nullptr) throw std::runtime_error("TETHER_TEST_PG_DIR is not set");
  std::ifstream in(std::filesystem::path(dir) / "url");
  std::string url;
  std::getline(in, url);
  if (url.empty()) throw std::runtime_error(std::string("no PostgreSQL test cluster at ") + dir);
  return url;
}

void RunAdmin(const std::string& sql) {
  auto session = db::OpenSociSession(AdminUrl(), 30000);
  if (!session.ok()) throw std::runtime_error(session.status().ToString());
  **session << sql;
}

std::string UniqueName() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return "t_" + std::to_string(random() % 1000000000) + "_" + std::to_string(++counter);
}

}  // namespace

bool TestingPostgres() {
  const char* dir = std::getenv("TETHER_TEST_PG_DIR");
  return dir != nullptr && dir[0] != '\0';
}

TestDatabase::TestDatabase(const std::filesystem::path& dir) {
  if (!TestingPostgres()) {
    url_ = "sqlite:" + (dir / "tether.db").string();
    return;
  }
  pg_name_ = UniqueName();
  RunAdmin("CREATE DATABASE " + pg_name_);
  std::string admin = AdminUrl();
  url_ = admin.substr(0, admin.rfind('/') + 1) + pg_name_;
}

TestDatabase::~TestDatabase() {
  if (pg_name_.empty()) return;
  try {
    RunAdmin("DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
  } catch (...) {
    // The cluster goes away at the end of the run anyway.
  }
}

std::string CountIndexedSql(const std::string& text) {
  std::string match;
  for (size_t i = 0; i + 3 <= text.size(); ++i) match += (match.empty() ? "\"" : " AND \"") + text.substr(i, 3) + "\"";
  return "SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH '" + match + "'";
}

}  // namespace tether::testing
