// The HTTP exchange as the rest of the server sees it: a request that has
// been read completely, a response to send, and the handler interface that
// connects them. Plain values with no Boost types, so that only
// http_server.cc deals with Beast and Asio.
//
// Thread safety: plain values. A Responder may be called from any thread.
#ifndef TETHER_ENGINE_SERVER_HTTP_TYPES_H_
#define TETHER_ENGINE_SERVER_HTTP_TYPES_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/projects?limit=5"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // target after '?', still percent-encoded; "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string peer;        // "127.0.0.1:54321", "[::1]:54321"
  bool peer_is_loopback = false;

  // The value of the first header called `lower_name`; nullptr when absent.
  const std::string* Header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return &value;
    }
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no Content-Type (and usually no body)
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// Sends the response to a request. Must be called exactly once per request,
// from any thread; the connection waits until it is.
using Responder = std::function<void(HttpResponse)>;

// What the server hands each complete request to. Handle is called on an
// event-loop thread and must not block: long work goes to a worker, which
// calls `respond` when done.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_HTTP_TYPES_H_
