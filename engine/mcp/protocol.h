// The Model Context Protocol server, once for every transport: JSON-RPC 2.0
// messages read and answered, the lifecycle (initialize,
// notifications/initialized, ping), the protocol version agreed, batches
// where that version has them (2024-11-05 and 2025-03-26; later ones
// refuse them), and tools/list and tools/call handed to the tools
// (tools.h). A transport hands a Session the text of each message it
// receives and sends back what Handle returns:
//
//   stdio (stdio.h, `tether mcp`)  one Session for the conversation: it
//       begins with initialize, which fixes the version;
//   HTTP (engine/api/api_mcp.cc, POST /mcp)  stateless: a Session per
//       request, at the version of its MCP-Protocol-Version header.
//
// Errors follow JSON-RPC: -32700 text that is not JSON, -32600 a message
// that is not a request (or a batch the version refuses), -32601 an unknown
// method, -32602 bad params or an unknown tool; a tool's own failure (a bad
// argument, an unknown project) is a result with isError, for the agent to
// read. Nothing thrown below escapes: it becomes -32603.
//
// Thread safety: a Session is used by one thread at a time.
#ifndef TETHER_ENGINE_MCP_PROTOCOL_H_
#define TETHER_ENGINE_MCP_PROTOCOL_H_

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "engine/common/json_writer.h"
#include "engine/mcp/tools.h"

namespace tether::mcp {

// The protocol versions this server speaks, newest first.
const std::vector<std::string>& SupportedVersions();
bool IsSupportedVersion(std::string_view version);
// What an HTTP request without an MCP-Protocol-Version header speaks (the
// transport's rule).
constexpr char kUnannouncedHttpVersion[] = "2025-03-26";

// What to send back for one incoming text.
struct Reply {
  std::string text;        // one JSON message or an array of them; empty: nothing to send
  bool malformed = false;  // the text was no JSON-RPC message at all (HTTP: 400)
};

class Session {
 public:
  // A conversation that starts with initialize. `server_version` is
  // tether's, for serverInfo.
  explicit Session(std::string server_version);

  // One request of a stateless transport: initialized already, at
  // `protocol_version` (one of SupportedVersions()).
  static Session Stateless(std::string server_version, std::string protocol_version);

  // Answers `text`: a message or a batch. Requests get responses;
  // notifications and responses get nothing.
  Reply Handle(std::string_view text, const ToolContext& context);

  // The version agreed by initialize (or given); empty before.
  const std::string& protocol_version() const { return version_; }

 private:
  // Writes the response to `message` as an element of the array `out` is
  // in (or as the document); false when `message` wants none.
  bool Answer(const rapidjson::Value& message, bool in_batch, const ToolContext& context, CompactJsonWriter& out);
  void Respond(const rapidjson::Value& request, const rapidjson::Value& params, const ToolContext& context,
              CompactJsonWriter& out, bool in_batch);

  std::string server_version_;
  std::string version_;
  bool stateless_ = false;
};

}  // namespace tether::mcp

#endif  // TETHER_ENGINE_MCP_PROTOCOL_H_
