#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <soci/soci.h>

namespace tether::testing {

TetherCli::TetherCli(const std::filesystem::path& dir, const std::string& defaults_json)
    : dir_(dir), config_(dir / "tether.json"), database_(dir) {
  std::ofstream(config_) << "{\n  \"database\": \"" << database_.url() << "\",\n"
                            "  \"plugins\": [{\"name\": \"local-git\", \"kind\": \"provider\"},"
                            " {\"name\": \"sql-storage\", \"kind\": \"storage\"}]"
                         << (defaults_json.empty() ? "" : ",\n  \"defaults\": {" + defaults_json + "}")
                         << "\n}\n";
  CliResult migrated = Run("migrate apply");
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
}

CliResult TetherCli::Run(const std::string& args) const {
  std::filesystem::path err_file = dir_ / "stderr.txt";
  std::string command = ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config_.string()) + " " + args +
                        " 2>" + ShellQuote(err_file.string()) + " </dev/null";
  CliResult result;
  result.out = RunCommand(command, &result.exit_code);
  std::ifstream in(err_file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  result.err = buffer.str();
  return result;
}

rapidjson::Document TetherCli::Json(const std::string& args, int* exit_code) const {
  CliResult result = Run("--json " + args);
  if (exit_code != nullptr) *exit_code = result.exit_code;
  rapidjson::Document doc;
  doc.Parse(result.out.c_str());
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

db::Database& TetherCli::db() {
  if (!db_) {
    auto opened = db::Database::Open(db_url());
    REQUIRE(opened.ok());
    db_ = std::move(opened).value();
  }
  return *db_;
}

long long TetherCli::Count(const std::string& sql) {
  long long value = 0;
  soci::indicator ind;
  db().session() << sql, soci::into(value, ind);
  return ind == soci::i_null ? 0 : value;
}

std::string TetherCli::Text(const std::string& sql) {
  std::string value;
  soci::indicator ind;
  db().session() << sql, soci::into(value, ind);
  return ind == soci::i_null ? std::string() : value;
}

}  // namespace tether::testing
