// The MCP stdio transport (`tether mcp`): newline-delimited JSON-RPC
// messages, one per line, read from `in` and answered on `out`, one line per
// answer, flushed at once. Nothing else may be written to `out`: logs go to
// stderr. Lines end with "\n" (a "\r" before it is dropped); blank lines are
// skipped; a line longer than kMaxStdioMessageBytes is skipped whole and
// answered with an error.
//
// Ownership: borrows the streams, the session and the context.
// Thread safety: runs on the calling thread until `in` ends.
#ifndef TETHER_ENGINE_MCP_STDIO_H_
#define TETHER_ENGINE_MCP_STDIO_H_

#include <cstddef>
#include <cstdio>

#include "engine/mcp/protocol.h"
#include "tether/status.h"

namespace tether::mcp {

constexpr size_t kMaxStdioMessageBytes = 4 * 1024 * 1024;

// Returns OK at the end of `in`; Unavailable when `out` cannot be written
// (the client went away).
Status ServeStdio(std::FILE* in, std::FILE* out, Session* session, const ToolContext& context);

}  // namespace tether::mcp

#endif  // TETHER_ENGINE_MCP_STDIO_H_
