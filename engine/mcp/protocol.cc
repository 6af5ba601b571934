#include "engine/mcp/protocol.h"

#include <algorithm>

#include "tether/json_depth.h"

namespace tether::mcp {
namespace {

// JSON-RPC's error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;

constexpr char kInstructions[] =
    "Tether keeps a synced, analysed copy of git projects. Start with list_projects; then search (text, symbol "
    "or semantic), symbols, read_file, list_files and docs read a project as its last sync left it. Every "
    "result names the project, the branch it follows and the commit it was read at.";

// Versions from 2025-06-18 on describe results (outputSchema,
// structuredContent) and give tools a title; batches went away with it.
bool DescribesOutput(const std::string& version) { return version >= "2025-06-18"; }
bool TakesBatches(const std::string& version) { return !version.empty() && version <= "2025-03-26"; }

std::string Shorter(std::string_view text) {
  return std::string(text.substr(0, 100)) + (text.size() > 100 ? "..." : "");
}

// A valid request id: a string or an integer.
bool IsId(const rapidjson::Value& id) { return id.IsString() || id.IsInt64() || id.IsUint64(); }

void BeginResponse(CompactJsonWriter& out, const rapidjson::Value* id) {
  out.Begin().Str("jsonrpc", "2.0");
  out.writer().Key("id");
  if (id != nullptr && IsId(*id)) id->Accept(out.writer());
  else out.writer().Null();
}

void WriteError(CompactJsonWriter& out, const rapidjson::Value* id, int code, const std::string& message) {
  BeginResponse(out, id);
  out.BeginObject("error").Int("code", code).Str("message", message).End();
  out.End();
}

std::string ErrorText(int code, const std::string& message) {
  CompactJsonWriter out;
  WriteError(out, nullptr, code, message);
  return out.Text();
}

}  // namespace

const std::vector<std::string>& SupportedVersions() {
  static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
  return versions;
}

bool IsSupportedVersion(std::string_view version) {
  const std::vector<std::string>& all = SupportedVersions();
  return std::find(all.begin(), all.end(), version) != all.end();
}

Session::Session(std::string server_version) : server_version_(std::move(server_version)) {}

Session Session::Stateless(std::string server_version, std::string protocol_version) {
  Session session(std::move(server_version));
  session.version_ = std::move(protocol_version);
  session.stateless_ = true;
  return session;
}

Reply Session::Handle(std::string_view text, const ToolContext& context) {
  Reply reply;
  if (JsonDepthExceededAt(text) != std::string_view::npos) {
    reply.malformed = true;
    reply.text = ErrorText(kParseError, "Parse error: the message nests deeper than " +
                                            std::to_string(kMaxJsonDepth) + " levels");
    return reply;
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    reply.malformed = true;
    reply.text = ErrorText(kParseError, "Parse error: not a JSON text (at byte " +
                                            std::to_string(doc.GetErrorOffset()) + ")");
    return reply;
  }
  try {
    CompactJsonWriter out;
    if (!doc.IsArray()) {
      if (!doc.IsObject()) {
        reply.malformed = true;
        reply.text = ErrorText(kInvalidRequest, "Invalid Request: a message is a JSON object");
        return reply;
      }
      if (Answer(doc, false, context, out)) reply.text = out.Text();
      return reply;
    }
    if (doc.Empty()) {
      reply.malformed = true;
      reply.text = ErrorText(kInvalidRequest, "Invalid Request: an empty batch");
      return reply;
    }
    if (!TakesBatches(version_)) {
      reply.malformed = true;
      reply.text = ErrorText(kInvalidRequest,
                             version_.empty()
                                 ? std::string("Invalid Request: a batch before initialize (send initialize alone)")
                                 : "Invalid Request: protocol version " + version_ +
                                       " has no batches; send one message at a time");
      return reply;
    }
    out.writer().StartArray();
    int answered = 0;
    for (const rapidjson::Value& message : doc.GetArray()) answered += Answer(message, true, context, out) ? 1 : 0;
    out.writer().EndArray();
    if (answered > 0) reply.text = out.Text();
    return reply;
  } catch (...) {
    // Nothing is expected to throw here (tools catch their own); answer
    // rather than end the conversation.
    reply.text = ErrorText(kInternalError, "Internal error");
    return reply;
  }
}

bool Session::Answer(const rapidjson::Value& message, bool in_batch, const ToolContext& context,
                     CompactJsonWriter& out) {
  if (!message.IsObject()) {
    WriteError(out, nullptr, kInvalidRequest, "Invalid Request: a message is a JSON object");
    return true;
  }
  auto id_member = message.FindMember("id");
  const rapidjson::Value* id = id_member == message.MemberEnd() ? nullptr : &id_member->value;
  auto method = message.FindMember("method");
  if (method == message.MemberEnd()) {
    // A response: this server sends no requests, so nothing waits for one.
    if (id != nullptr && (message.HasMember("result") || message.HasMember("error"))) return false;
    WriteError(out, id, kInvalidRequest, "Invalid Request: no method");
    return true;
  }
  auto jsonrpc = message.FindMember("jsonrpc");
  const bool versioned = jsonrpc != message.MemberEnd() && jsonrpc->value.IsString() &&
                         std::string_view(jsonrpc->value.GetString(), jsonrpc->value.GetStringLength()) == "2.0";
  if (id == nullptr) return false;  // a notification: nothing to answer, whatever it says
  if (!IsId(*id)) {
    WriteError(out, nullptr, kInvalidRequest, "Invalid Request: an id is a string or an integer");
    return true;
  }
  if (!versioned) {
    WriteError(out, id, kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
    return true;
  }
  if (!method->value.IsString()) {
    WriteError(out, id, kInvalidRequest, "Invalid Request: the method is a string");
    return true;
  }
  static const rapidjson::Value kNoParams(rapidjson::kObjectType);
  auto params = message.FindMember("params");
  if (params != message.MemberEnd() && !params->value.IsObject()) {
    WriteError(out, id, kInvalidParams, "Invalid params: params is an object");
    return true;
  }
  Respond(message, params == message.MemberEnd() ? kNoParams : params->value, context, out, in_batch);
  return true;
}

void Session::Respond(const rapidjson::Value& request, const rapidjson::Value& params, const ToolContext& context,
                     CompactJsonWriter& out, bool in_batch) {
  const rapidjson::Value* id = &request["id"];
  const std::string_view method(request["method"].GetString(), request["method"].GetStringLength());
  if (method == "initialize") {
    if (in_batch) return WriteError(out, id, kInvalidRequest, "Invalid Request: initialize cannot be part of a batch");
    if (!stateless_ && !version_.empty()) {
      return WriteError(out, id, kInvalidRequest, "Invalid Request: the session is initialized already");
    }
    auto asked = params.FindMember("protocolVersion");
    if (asked == params.MemberEnd() || !asked->value.IsString()) {
      return WriteError(out, id, kInvalidParams, "Invalid params: protocolVersion (a string) is required");
    }
    const std::string wanted(asked->value.GetString(), asked->value.GetStringLength());
    // The client's version when this server speaks it, else the newest.
    const std::string agreed = IsSupportedVersion(wanted) ? wanted : SupportedVersions().front();
    if (!stateless_) version_ = agreed;
    BeginResponse(out, id);
    out.BeginObject("result").Str("protocolVersion", agreed);
    out.BeginObject("capabilities").BeginObject("tools").Bool("listChanged", false).End().End();
    out.BeginObject("serverInfo").Str("name", "tether");
    if (DescribesOutput(agreed)) out.Str("title", "Tether");
    out.Str("version", server_version_).End();
    out.Str("instructions", kInstructions).End();
    out.End();
    return;
  }
  if (method == "ping") {
    BeginResponse(out, id);
    out.BeginObject("result").End().End();
    return;
  }
  if (version_.empty()) {
    return WriteError(out, id, kInvalidRequest, "Invalid Request: send initialize first");
  }
  if (method == "tools/list") {
    BeginResponse(out, id);
    out.BeginObject("result");
    out.writer().Key("tools");
    out.writer().StartArray();
    WriteTools(out, DescribesOutput(version_));
    out.writer().EndArray();
    out.End().End();
    return;
  }
  if (method == "tools/call") {
    auto name = params.FindMember("name");
    if (name == params.MemberEnd() || !name->value.IsString()) {
      return WriteError(out, id, kInvalidParams, "Invalid params: name (the tool's, a string) is required");
    }
    const std::string_view tool(name->value.GetString(), name->value.GetStringLength());
    if (!IsTool(tool)) {
      return WriteError(out, id, kInvalidParams, "Unknown tool: " + Shorter(tool) + " (tools/list names them)");
    }
    static const rapidjson::Value kNoArguments(rapidjson::kObjectType);
    auto arguments = params.FindMember("arguments");
    if (arguments != params.MemberEnd() && !arguments->value.IsObject()) {
      return WriteError(out, id, kInvalidParams, "Invalid params: arguments is an object");
    }
    ToolResult result;
    try {
      result = CallTool(tool, arguments == params.MemberEnd() ? kNoArguments : arguments->value, context);
    } catch (...) {
      result = ToolResult();
      result.is_error = true;
      result.message = db::StatusFromCurrentException("the tool failed").message();
    }
    BeginResponse(out, id);
    out.BeginObject("result");
    out.writer().Key("content");
    out.writer().StartArray();
    out.Begin().Str("type", "text").Str("text", result.is_error ? result.message : result.structured).End();
    out.writer().EndArray();
    if (!result.is_error && DescribesOutput(version_)) {
      out.writer().Key("structuredContent");
      out.writer().RawValue(result.structured.data(), result.structured.size(), rapidjson::kObjectType);
    }
    out.Bool("isError", result.is_error).End().End();
    return;
  }
  WriteError(out, id, kMethodNotFound, "Method not found: " + Shorter(method));
}

}  // namespace tether::mcp
