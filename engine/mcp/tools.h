// The tools the MCP server offers an agent (engine/mcp/protocol.h calls
// them; the transports never do): read-only views of the index of one
// tenant's projects, each result naming the project, the branch it follows
// and the commit its storage holds (the synced commit; null before the
// first sync).
//
//   list_projects  the tenant's projects
//   search         search.h's use case: text, symbol or semantic
//   symbols        a file's outline, or symbols by name
//   read_file      a file or a line range of it, at most kReadMaxBytes
//   list_files     the files under a folder, a page at a time (a cursor)
//   docs           the docs analyzer's page of a file or folder
//
// Arguments are checked here, by name: a bad one is a tool error
// (ToolResult::is_error) whose message names it, never a crash.
//
// Thread safety: pure functions of their arguments; a call uses the
// context's database and the storages from the calling thread.
#ifndef TETHER_ENGINE_MCP_TOOLS_H_
#define TETHER_ENGINE_MCP_TOOLS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "engine/common/json_writer.h"
#include "engine/db/database.h"
#include "engine/plugin_host/plugin_host.h"
#include "engine/search/search.h"

namespace tether::mcp {

// What a tool call reads with; borrowed for the call.
struct ToolContext {
  const plugin_host::PluginHost* plugins = nullptr;
  db::Database* db = nullptr;  // bound to `tenant` where the database binds tenants
  std::string tenant;          // the only tenant whose projects are seen
  // `tether serve`'s cache of semantic indexes (thread safe), or null: each
  // semantic search reads the project's vectors (`tether mcp`).
  search::SemanticIndexCache* semantic_cache = nullptr;
};

// The most read_file returns in one call; a longer file or range ends at
// the last whole line that fits and says where to go on.
constexpr size_t kReadMaxBytes = 256 * 1024;
constexpr int kDefaultListLimit = 200;
constexpr int kMaxListLimit = 1000;

struct ToolResult {
  bool is_error = false;
  std::string message;     // is_error: what is wrong, naming the argument
  std::string structured;  // otherwise: one compact JSON object
};

// Whether `name` is one of the tools.
bool IsTool(std::string_view name);

// Writes every tool as an element of the array `out` is in: name,
// description, inputSchema, annotations; with `with_output` (protocol
// 2025-06-18 and later) also title and outputSchema.
void WriteTools(CompactJsonWriter& out, bool with_output);

// Calls the tool `name` (IsTool) with `arguments` (an object).
ToolResult CallTool(std::string_view name, const rapidjson::Value& arguments, const ToolContext& context);

}  // namespace tether::mcp

#endif  // TETHER_ENGINE_MCP_TOOLS_H_
