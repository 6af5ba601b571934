// HttpServer: HTTP/1.1 on Boost.Beast and Asio. One io_context run by a few
// threads serves every connection asynchronously (no thread per
// connection); each connection runs on its own strand. Keep-alive is
// honoured; a request's header and body are bounded; a connection that
// sends nothing for `idle_timeout` or takes longer than `read_timeout` to
// send a request, or `write_timeout` to take a response, is closed.
//
// Complete requests go to a RequestHandler, which answers through its
// Responder from any thread (so handlers can run on worker pools and never
// block the event loop).
//
// A response with a StreamSource (Server-Sent Events) is streamed: the
// header goes out without a length and with "Connection: close", then the
// source writes pieces to its StreamSink; each piece is written with its own
// `write_timeout`, the queue is bounded (a full queue closes the stream),
// and the connection is read only to notice the client leaving.
//
// Graceful shutdown (Shutdown, or SIGINT/SIGTERM after HandleSignals): the
// listening socket closes at once; connections waiting for a request close;
// a request already read is answered (with "Connection: close"); streams
// are closed; Run returns when the last connection is gone.
//
// Ownership: the server borrows its handler, which must outlive it.
// Thread safety: Listen, HandleSignals and Run are called once each, in that
// order, from one thread. Shutdown may be called from any thread, any time.
// Errors: Listen returns InvalidArgument for an address it cannot parse and
// Unavailable when it cannot bind or listen.
#ifndef TETHER_ENGINE_HTTP_HTTP_SERVER_H_
#define TETHER_ENGINE_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/http/http_types.h"
#include "tether/status.h"

namespace tether::http {

// One answered request, for the access log: never a header, a body or a
// query string (they may hold a token or a signature).
struct AccessRecord {
  std::string method;  // "-" when the request line could not be read
  // The route template that answered (HttpResponse::route); else the path
  // without its query, at most 200 bytes ("..." when cut); "-" when unknown.
  std::string route;
  int status = 0;
  // From the request's header being read to the response's last byte
  // written; for a stream, to its end.
  double duration_ms = 0;
  uint64_t bytes = 0;  // body bytes written (a stream's, all of them)
  std::string peer;    // "127.0.0.1:54321"
};

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one
  int io_threads = 2;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;  // larger bodies get 413
  // Webhook senders (paths under /webhooks/) carry bigger payloads: GitHub
  // sends up to 25 MB.
  size_t max_webhook_body_bytes = 25u * 1024 * 1024;
  std::chrono::seconds idle_timeout{60};   // keep-alive: waiting for the next request
  std::chrono::seconds read_timeout{30};   // reading one request, once it started
  std::chrono::seconds write_timeout{30};  // writing one response
  // Called once per answered request (also for the transport's own errors:
  // 400, 413, 431), on an event-loop thread, once the response is written
  // or failed to be; must not block. Empty: no access log.
  std::function<void(const AccessRecord&)> access_log;
};

// Splits "HOST:PORT" / "[V6]:PORT" into its parts. InvalidArgument naming
// the problem otherwise (host must be an IP address, port 0..65535).
struct ListenAddress {
  std::string host;
  unsigned short port = 0;
};
Result<ListenAddress> ParseListenAddress(const std::string& text);

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler* handler);
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; returns the bound address as "HOST:PORT" (with the
  // port chosen when the options asked for 0).
  Result<std::string> Listen();

  // On SIGINT or SIGTERM: calls `on_signal` (on an event-loop thread) with
  // the signal number, then Shutdown. Later signals are caught and ignored
  // for as long as the server object lives, so a second SIGTERM cannot cut
  // the shutdown short (SIGKILL still can).
  void HandleSignals(std::function<void(int)> on_signal);

  // Serves until a shutdown has completed. Runs the event loop on
  // `io_threads` threads, the caller's being one of them.
  void Run();

  // Starts a graceful shutdown (see above). Idempotent.
  void Shutdown();

  class Impl;  // in http_server.cc; public so that its connections can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::http

#endif  // TETHER_ENGINE_HTTP_HTTP_SERVER_H_
