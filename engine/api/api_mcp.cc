// Api: POST /mcp, the Model Context Protocol's Streamable HTTP transport
// (engine/mcp: the protocol and the tools, the same as `tether mcp`).
//
// Stateless: no Mcp-Session-Id is issued, each POST is answered on its own
// at the version of its MCP-Protocol-Version header (2025-03-26 without
// one), so any `tether serve` process behind a balancer can answer any
// request. Answers are application/json, never a stream: 200 with the
// response (an array for a batch), 202 when the body held only
// notifications or responses. GET and DELETE /mcp are 405 (no stream to
// open, no session to end).
//
// The same bearer tokens as /api/v1 (the route table checks them): a
// token's tenant is the only one whose projects the tools see. Against DNS
// rebinding, a request whose Origin header is neither this server's own
// origin nor a loopback one is refused (403), and a server listening on a
// loopback address refuses Host headers that do not name a loopback host.
#include "engine/api/api.h"
#include "engine/common/json_writer.h"
#include "engine/mcp/protocol.h"

namespace tether::api {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The host of "HOST[:PORT]" or "[V6][:PORT]", in lower case.
std::string HostOf(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t end = host_port.find(']');
    return Lower(host_port.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  }
  return Lower(host_port.substr(0, host_port.find(':')));
}

bool IsLoopbackName(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

// "HOST[:PORT]" of an Origin ("scheme://host[:port]"); empty when it has
// none (the opaque origin "null").
std::string OriginAuthority(const std::string& origin) {
  const size_t scheme = origin.find("://");
  if (scheme == std::string::npos) return std::string();
  return Lower(std::string_view(origin).substr(scheme + 3));
}

HttpResponse RpcError(int status, const std::string& message) {
  CompactJsonWriter json;
  json.Begin().Str("jsonrpc", "2.0").Null("id").BeginObject("error").Int("code", -32000).Str("message", message)
      .End().End();
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = json.Text();
  return response;
}

// Whether the media type list `accept` takes application/json.
bool AcceptsJson(const std::string& accept) {
  const std::string lower = Lower(accept);
  return lower.find("application/json") != std::string::npos || lower.find("application/*") != std::string::npos ||
         lower.find("*/*") != std::string::npos;
}

}  // namespace

void Api::SetListenHost(const std::string& host) { mcp_loopback_only_ = IsLoopbackName(HostOf(host)); }

HttpResponse Api::Mcp(Call& call) {
  const HttpRequest& request = call.request;
  const std::string* host = request.Header("host");
  const std::string authority = host == nullptr ? std::string() : Lower(*host);
  if (const std::string* origin = request.Header("origin")) {
    const std::string from = OriginAuthority(*origin);
    if (from.empty() || (from != authority && !IsLoopbackName(HostOf(from)))) {
      return RpcError(403, "Forbidden: requests from origin " + origin->substr(0, 200) +
                               " are not allowed (only this server's own origin and loopback ones are)");
    }
  }
  if (mcp_loopback_only_ && !IsLoopbackName(HostOf(authority))) {
    return RpcError(403, "Forbidden: this server listens on loopback and answers only Host localhost, 127.0.0.1 "
                         "or [::1]");
  }
  const std::string* type = request.Header("content-type");
  std::string media = type == nullptr ? std::string() : Lower(type->substr(0, type->find(';')));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  if (media != "application/json") {
    return RpcError(415, "Unsupported Media Type: send the message as Content-Type: application/json");
  }
  const std::string* accept = request.Header("accept");
  if (accept != nullptr && !AcceptsJson(*accept)) {
    return RpcError(406, "Not Acceptable: this server answers application/json only");
  }
  std::string version = mcp::kUnannouncedHttpVersion;
  if (const std::string* announced = request.Header("mcp-protocol-version")) {
    if (!mcp::IsSupportedVersion(*announced)) {
      std::string supported;
      for (const std::string& v : mcp::SupportedVersions()) supported += (supported.empty() ? "" : ", ") + v;
      return RpcError(400, "Bad Request: unsupported MCP-Protocol-Version \"" + announced->substr(0, 64) +
                               "\"; this server speaks " + supported);
    }
    version = *announced;
  }
  mcp::ToolContext context;
  context.plugins = plugins_;
  context.db = call.db;
  context.tenant = call.token.tenant_id;
  context.semantic_cache = &semantic_cache_;
  mcp::Session session = mcp::Session::Stateless(TETHER_VERSION, version);
  mcp::Reply reply = session.Handle(request.body, context);
  HttpResponse response;
  if (reply.text.empty()) {
    response.status = 202;
    return response;
  }
  response.status = reply.malformed ? 400 : 200;
  response.content_type = "application/json";
  response.body = std::move(reply.text);
  return response;
}

}  // namespace tether::api
