// The MCP protocol layer without a database: every answer here comes before
// a tool would read anything (a tool's argument checks come first), so the
// context is empty.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include <rapidjson/document.h>

#include "engine/mcp/protocol.h"
#include "engine/mcp/stdio.h"

namespace {

using tether::mcp::Reply;
using tether::mcp::Session;
using tether::mcp::ToolContext;

const ToolContext kNoContext;

std::string Initialize(const std::string& version, int id = 1) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"initialize","params":{"protocolVersion":")" + version +
         R"(","capabilities":{},"clientInfo":{"name":"test","version":"1"}}})";
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

int ErrorCode(const Reply& reply) {
  rapidjson::Document doc = Parse(reply.text);
  REQUIRE(doc.HasMember("error"));
  return doc["error"]["code"].GetInt();
}

// The text of a tools/call's single content block, which must be an error.
std::string ToolError(Session& session, const std::string& tool, const std::string& arguments) {
  Reply reply = session.Handle(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":")" + tool +
                                   R"(","arguments":)" + arguments + "}}",
                               kNoContext);
  rapidjson::Document doc = Parse(reply.text);
  REQUIRE(doc.HasMember("result"));
  CHECK(doc["result"]["isError"].GetBool());
  CHECK_FALSE(doc["result"].HasMember("structuredContent"));
  return doc["result"]["content"][0]["text"].GetString();
}

}  // namespace

TEST_CASE("initialize agrees on the client's version when spoken, else the newest, and only once") {
  for (const std::string version : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
    Session session("1.2.3");
    rapidjson::Document doc = Parse(session.Handle(Initialize(version), kNoContext).text);
    CHECK(std::string(doc["result"]["protocolVersion"].GetString()) == version);
    CHECK(std::string(doc["result"]["serverInfo"]["version"].GetString()) == "1.2.3");
    CHECK(doc["result"]["capabilities"]["tools"].IsObject());
    CHECK(session.protocol_version() == version);
  }
  Session session("1");
  rapidjson::Document doc = Parse(session.Handle(Initialize("1999-12-31"), kNoContext).text);
  CHECK(std::string(doc["result"]["protocolVersion"].GetString()) == "2025-11-25");
  CHECK(ErrorCode(session.Handle(Initialize("2025-11-25", 2), kNoContext)) == -32600);
  CHECK(ErrorCode(Session("1").Handle(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})", kNoContext)) ==
        -32602);
}

TEST_CASE("before initialize only ping is answered, and notifications and responses never are") {
  Session session("1");
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", kNoContext)) == -32600);
  CHECK(session.Handle(R"({"jsonrpc":"2.0","id":"p","method":"ping"})", kNoContext).text ==
        R"({"jsonrpc":"2.0","id":"p","result":{}})");
  CHECK(session.Handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", kNoContext).text.empty());
  CHECK(session.Handle(R"({"jsonrpc":"2.0","id":3,"result":{}})", kNoContext).text.empty());
  CHECK(session.Handle(R"({"jsonrpc":"2.0","method":"no/such/notification"})", kNoContext).text.empty());
}

TEST_CASE("malformed messages get JSON-RPC's errors, with id null when it cannot be read") {
  Session session("1");
  Reply garbage = session.Handle("{\"jsonrpc\":", kNoContext);
  CHECK(garbage.malformed);
  CHECK(ErrorCode(garbage) == -32700);
  CHECK(ErrorCode(session.Handle("\"just a string\"", kNoContext)) == -32600);
  CHECK(ErrorCode(session.Handle("[]", kNoContext)) == -32600);
  CHECK(ErrorCode(session.Handle(std::string(10000, '[') + std::string(10000, ']'), kNoContext)) == -32700);
  CHECK(ErrorCode(session.Handle("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} {}", kNoContext)) == -32700);
  CHECK(ErrorCode(session.Handle("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}", kNoContext)) == -32700);
  Reply null_id = session.Handle(R"({"jsonrpc":"2.0","id":null,"method":"ping"})", kNoContext);
  CHECK(ErrorCode(null_id) == -32600);
  CHECK(Parse(null_id.text)["id"].IsNull());
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", kNoContext)) == -32600);
  CHECK(ErrorCode(session.Handle(R"({"id":1,"method":"ping"})", kNoContext)) == -32600);
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1,"method":7})", kNoContext)) == -32600);
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[]})", kNoContext)) == -32602);
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1})", kNoContext)) == -32600);
}

TEST_CASE("batches are answered as one at 2025-03-26 and refused from 2025-06-18 on") {
  const std::string batch = R"([{"jsonrpc":"2.0","id":1,"method":"ping"},)"
                            R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
                            R"({"jsonrpc":"2.0","id":2,"method":"nope"}, 5])";
  Session old_session("1");
  CHECK(ErrorCode(old_session.Handle(batch, kNoContext)) == -32600);  // not before initialize
  old_session.Handle(Initialize("2025-03-26"), kNoContext);
  rapidjson::Document answers = Parse(old_session.Handle(batch, kNoContext).text);
  REQUIRE(answers.IsArray());
  REQUIRE(answers.Size() == 3);
  CHECK(answers[0]["id"].GetInt() == 1);
  CHECK(answers[1]["error"]["code"].GetInt() == -32601);
  CHECK(answers[2]["error"]["code"].GetInt() == -32600);
  CHECK(old_session.Handle(R"([{"jsonrpc":"2.0","method":"notifications/initialized"}])", kNoContext).text.empty());
  rapidjson::Document init_in_batch = Parse(old_session.Handle("[" + Initialize("2025-03-26") + "]", kNoContext).text);
  CHECK(init_in_batch[0]["error"]["code"].GetInt() == -32600);

  Session session = Session::Stateless("1", "2025-06-18");
  Reply refused = session.Handle(batch, kNoContext);
  CHECK(refused.malformed);
  CHECK(ErrorCode(refused) == -32600);
}

TEST_CASE("tools/list gives schemas that parse, with outputSchema and title from 2025-06-18 on") {
  for (const std::string version : {"2025-03-26", "2025-11-25"}) {
    Session session = Session::Stateless("1", version);
    rapidjson::Document doc = Parse(session.Handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})", kNoContext).text);
    const rapidjson::Value& tools = doc["result"]["tools"];
    REQUIRE(tools.Size() == 6);
    for (const rapidjson::Value& tool : tools.GetArray()) {
      INFO(tool["name"].GetString());
      CHECK(std::string(tool["inputSchema"]["type"].GetString()) == "object");
      CHECK(tool["inputSchema"]["additionalProperties"].IsFalse());
      CHECK(tool.HasMember("outputSchema") == (version == "2025-11-25"));
      CHECK(tool.HasMember("title") == (version == "2025-11-25"));
      CHECK(tool["annotations"]["readOnlyHint"].GetBool());
    }
  }
}

TEST_CASE("tools/call: an unknown tool or bad params is -32602, bad arguments are tool errors naming them") {
  Session session = Session::Stateless("1", "2025-11-25");
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm"}})",
                                 kNoContext)) == -32602);
  CHECK(ErrorCode(session.Handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}})", kNoContext)) ==
        -32602);
  CHECK(ErrorCode(session.Handle(
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":"x"}})",
            kNoContext)) == -32602);

  CHECK_THAT(ToolError(session, "search", "{}"), Catch::Contains("\"project\" is required"));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"abc","limit":"ten"})"),
             Catch::Contains("\"limit\" must be an integer from 1 to 1000, not a string"));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"abc","limit":1e300})"),
             Catch::Contains("\"limit\""));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"abc","limit":18446744073709551615})"),
             Catch::Contains("\"limit\" must be from 1 to 1000, not 18446744073709551615"));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"abc","limit":2.5})"),
             Catch::Contains("whole number"));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"ab"})"), Catch::Contains("\"query\""));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"abc","mode":"fuzzy"})"),
             Catch::Contains("\"mode\" must be text, symbol or semantic"));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"abc","why":1})"),
             Catch::Contains("unknown argument \"why\""));
  CHECK_THAT(ToolError(session, "search", R"({"project":"p","query":"a\u0000bc"})"), Catch::Contains("NUL"));
  CHECK_THAT(ToolError(session, "read_file", R"({"project":"p","path":"../../etc/passwd"})"),
             Catch::Contains("\"..\" segment"));
  CHECK_THAT(ToolError(session, "read_file", R"({"project":"p","path":"/etc/passwd"})"),
             Catch::Contains("absolute"));
  CHECK_THAT(ToolError(session, "read_file", R"({"project":"p","path":"a/./b"})"), Catch::Contains("\".\" segment"));
  CHECK_THAT(ToolError(session, "read_file", R"({"project":"p","path":"a","start_line":0})"),
             Catch::Contains("\"start_line\""));
  CHECK_THAT(ToolError(session, "read_file", R"({"project":"p","path":"a","start_line":5,"end_line":4})"),
             Catch::Contains("\"end_line\""));
  CHECK_THAT(ToolError(session, "list_files", R"({"project":"p","limit":0})"), Catch::Contains("\"limit\""));
  CHECK_THAT(ToolError(session, "list_files", R"({"project":"p","cursor":"zz"})"), Catch::Contains("\"cursor\""));
  CHECK_THAT(ToolError(session, "symbols", R"({"project":"p","file":"a.c","name":"x"})"),
             Catch::Contains("not both"));
  CHECK_THAT(ToolError(session, "docs", R"({"project":"p","path":"a/../b"})"), Catch::Contains("\"path\""));
  CHECK_THAT(ToolError(session, "list_projects", R"({"all":true})"), Catch::Contains("takes none"));
}

TEST_CASE("stdio: a line per message, blank lines skipped, an overlong line refused, answers flushed") {
  std::FILE* in = std::tmpfile();
  std::FILE* out = std::tmpfile();
  REQUIRE(in != nullptr);
  REQUIRE(out != nullptr);
  const std::string input = Initialize("2025-06-18") + "\r\n\n   \n" +
                            R"({"jsonrpc":"2.0","method":"notifications/initialized"})" + "\n" +
                            std::string(tether::mcp::kMaxStdioMessageBytes + 10, 'x') + "\n" +
                            R"({"jsonrpc":"2.0","id":2,"method":"ping"})";  // no final newline
  std::fwrite(input.data(), 1, input.size(), in);
  std::rewind(in);
  Session session("1");
  REQUIRE(tether::mcp::ServeStdio(in, out, &session, kNoContext).ok());
  std::rewind(out);
  std::string written;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), out)) > 0) written.append(buffer, n);
  std::fclose(in);
  std::fclose(out);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < written.size()) {
    const size_t end = written.find('\n', start);
    REQUIRE(end != std::string::npos);  // every answer ends its line
    lines.push_back(written.substr(start, end - start));
    start = end + 1;
  }
  REQUIRE(lines.size() == 3);
  CHECK(std::string(Parse(lines[0])["result"]["protocolVersion"].GetString()) == "2025-06-18");
  CHECK_THAT(lines[1], Catch::Contains("a message of more than"));
  CHECK(lines[2] == R"({"jsonrpc":"2.0","id":2,"result":{}})");
}
