// The HTTP exchange as the rest of the server sees it: a request that has
// been read completely, a response to send, and the handler interface that
// connects them. Plain values with no Boost types, so that only
// http_server.cc deals with Beast and Asio.
//
// Thread safety: plain values. A Responder may be called from any thread.
#ifndef TETHER_ENGINE_HTTP_HTTP_TYPES_H_
#define TETHER_ENGINE_HTTP_HTTP_TYPES_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::http {

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

// The server's end of a streamed response (Server-Sent Events): bytes
// queued here are written to the client in order, asynchronously, on the
// event loop. The queue is bounded: a Write that finds it full closes the
// stream (the client is too slow) and returns false, so a writer never
// waits for a client.
//
// Ownership: the server owns the connection; holding a sink does not keep
// the connection open. Thread safety: every method, from any thread.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // False when the stream is closed (now, or before).
  virtual bool Write(std::shared_ptr<const std::string> bytes) = 0;
  // Closes the stream (the source's OnClosed follows). Idempotent.
  virtual void Close() = 0;
  // Pieces queued and not yet written.
  virtual size_t queued() const = 0;
  virtual size_t capacity() const = 0;
};

// The handler's end of a streamed response.
//
// Thread safety: Start, OnDrained and OnClosed are called on event-loop
// threads, one at a time, and must not block.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Once the response header is written: the stream is open.
  virtual void Start(std::shared_ptr<StreamSink> sink) = 0;
  // The queue has been written out completely.
  virtual void OnDrained() = 0;
  // The stream is over (client gone, dropped as too slow, server shutting
  // down). Called once, also when Start never was.
  virtual void OnClosed() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no Content-Type (and usually no body)
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  // When set, the response is a stream: the header is sent with
  // "Connection: close" and no length, then `stream` produces the body and
  // `body` is ignored. The connection is not reused.
  std::shared_ptr<StreamSource> stream;
  size_t stream_queue = 1024;  // the stream's queue bound, in pieces
  // The route template that answered ("/api/v1/projects/{name}"), for the
  // access log; empty when none matched (the log shows the path).
  std::string route;
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

}  // namespace tether::http

#endif  // TETHER_ENGINE_HTTP_HTTP_TYPES_H_
