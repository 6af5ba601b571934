// JsonOut: builds one JSON document for --json output and prints it on
// stdout when done.
#ifndef TETHER_ENGINE_CLI_JSON_OUT_H_
#define TETHER_ENGINE_CLI_JSON_OUT_H_

#include <cstdio>

#include "engine/common/json_writer.h"

namespace tether::cli {

// The CLI's --json document: a JsonWriter that prints itself.
class JsonOut : public BasicJsonWriter<JsonOut> {
 public:
  void Print() { std::printf("%s\n", Text().c_str()); }
};

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_JSON_OUT_H_
