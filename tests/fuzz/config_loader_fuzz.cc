// engine/config: the config file (JSON, schema, ${VAR} expansion, paths).
// The environment is a fixed map, so that runs are reproducible. Property:
// an accepted config has a database URL and uniquely named plugins, and no
// error message contains the value of a variable (they may be secrets).
#include <map>
#include <set>

#include "engine/config/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<std::string, std::string> kEnv = {
      {"PGPASSWORD", "s3cr3t-pg-Password"}, {"GITHUB_TOKEN", "ghp_s3cr3tT0ken"}, {"EMPTY", ""}, {"HOME", "/root"}};
  auto env = [](const std::string& name) -> std::optional<std::string> {
    auto it = kEnv.find(name);
    if (it == kEnv.end()) return std::nullopt;
    return it->second;
  };
  const std::string text(tether::fuzz::AsText(data, size));
  auto config = tether::config::ParseConfig(text, "fuzz.json", "/etc/tether", env);
  if (!config.ok()) {
    const std::string message = config.status().message();
    FUZZ_CHECK(message.rfind("fuzz.json", 0) == 0);
    // A secret may only appear in the message where the input itself has it.
    for (const char* secret : {"s3cr3t-pg-Password", "ghp_s3cr3tT0ken"}) {
      if (text.find(secret) == std::string::npos) FUZZ_CHECK(message.find(secret) == std::string::npos);
    }
    return 0;
  }
  FUZZ_CHECK(!config->database_url.empty());
  std::set<std::string> names;
  for (const auto& plugin : config->plugins) FUZZ_CHECK(names.insert(plugin.name).second);
  return 0;
}
