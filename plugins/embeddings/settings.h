// The embeddings analyzer's settings: which model makes the vectors and how
// its service is reached.
//
//   {"provider": "openai" | "ollama" | "tei" | "hashing",
//    "url": "http://host:port",  // the service; not for "hashing"
//    "model": "...",              // openai and ollama; tei serves one model
//    "api_key_env": "NAME",       // the variable holding a bearer token
//    "dimensions": N,             // the model's; "hashing": 256 unless set
//    "batch_size": N,             // texts per request (the provider's limit
//                                 // unless smaller: openai 2048, tei 32)
//    "max_chunk_chars": N,        // about how long a chunk is (1500)
//    "max_tries": N,              // per request, on 429, 5xx and
//                                 // transport errors (5)
//    "timeout_seconds": N}        // per request (60)
#ifndef TETHER_PLUGINS_EMBEDDINGS_SETTINGS_H_
#define TETHER_PLUGINS_EMBEDDINGS_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "tether/status.h"

namespace tether::embeddings {

enum class ProviderKind { kOpenAi, kOllama, kTei, kHashing };

const char* ProviderName(ProviderKind kind);

struct Settings {
  ProviderKind provider = ProviderKind::kHashing;
  std::string url;
  std::string model;
  std::string api_key_env;
  std::string api_key;  // read from api_key_env when the plugin is made; never shown
  int dimensions = 0;
  int batch_size = 0;
  int max_chunk_chars = 1500;
  int max_tries = 5;
  int timeout_seconds = 60;
};

// InvalidArgument naming the plugin, the key and what is wrong; a missing
// or empty api_key_env variable is named, never its value.
Result<Settings> ParseSettings(const std::string& plugin_name, const std::string& json);

// The vector space of `settings`: provider, model and dimensions.
std::string SpaceOf(const Settings& settings);

// The settings that embed in `space`, another space of the same provider
// (and so the same service and key): `current` with the model and the
// dimensions `space` names. nullopt when `space` is not of that provider or
// not a space at all.
std::optional<Settings> SettingsForSpace(const Settings& current, const std::string& space);

// A digest of what shapes the stored outputs (the space, the chunk size).
std::string SettingsHash(const Settings& settings);

}  // namespace tether::embeddings

#endif  // TETHER_PLUGINS_EMBEDDINGS_SETTINGS_H_
