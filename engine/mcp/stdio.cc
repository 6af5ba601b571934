#include "engine/mcp/stdio.h"

#include <string>

namespace tether::mcp {
namespace {

// Writes `text` and a newline, then flushes.
bool WriteLine(std::FILE* out, const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fputc('\n', out) != EOF &&
         std::fflush(out) == 0;
}

}  // namespace

Status ServeStdio(std::FILE* in, std::FILE* out, Session* session, const ToolContext& context) {
  std::string line;
  bool too_long = false;
  while (true) {
    // A character at a time: a line may hold any byte, NUL included.
    const int c = getc_unlocked(in);
    if (c != EOF && c != '\n') {
      if (too_long) continue;
      line.push_back(static_cast<char>(c));
      if (line.size() > kMaxStdioMessageBytes) {
        too_long = true;
        line.clear();
        line.shrink_to_fit();
      }
      continue;
    }
    if (too_long) {
      too_long = false;
      const std::string error = R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: )"
                                R"(a message of more than )" +
                                std::to_string(kMaxStdioMessageBytes) + R"( bytes"}})";
      if (!WriteLine(out, error)) return Status::Unavailable("cannot write to the client (stdout)");
    } else {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) {
        Reply reply = session->Handle(line, context);
        if (!reply.text.empty() && !WriteLine(out, reply.text)) {
          return Status::Unavailable("cannot write to the client (stdout)");
        }
      }
    }
    line.clear();
    if (c == EOF) return Status::Ok();
  }
}

}  // namespace tether::mcp
