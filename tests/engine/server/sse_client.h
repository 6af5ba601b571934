// A Server-Sent Events client for tests, on a plain socket: sends one GET,
// reads the response header before the constructor returns (so the server
// has registered the stream by then), then, unless told not to read, parses
// events on a thread of its own.
//
// A client that does not read (read = false) models a slow consumer; with
// `receive_buffer` it also asks the kernel for a small receive window.
//
// Errors: the constructor REQUIREs a connection and a response header.
// Thread safety: every method may be called from the test's thread while
// the reader runs.
#ifndef TETHER_TESTS_ENGINE_SERVER_SSE_CLIENT_H_
#define TETHER_TESTS_ENGINE_SERVER_SSE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tether::testing {

struct SseEvent {
  int64_t id = -1;  // -1: the event had no id
  std::string type;
  std::string data;
};

class SseClient {
 public:
  SseClient(const std::string& host, int port, const std::string& target,
            const std::vector<std::pair<std::string, std::string>>& headers, bool read = true,
            int receive_buffer = 0);
  ~SseClient();  // closes the socket, joins the reader

  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  int status() const { return status_; }
  std::string Header(const std::string& lower_name) const;
  // The body of a non-200 response (read to the end).
  const std::string& error_body() const { return error_body_; }

  std::vector<SseEvent> events() const;
  int heartbeats() const;
  bool ended() const;  // the server closed the stream

  // Polls `condition` on the events for up to `seconds`.
  bool WaitFor(const std::function<bool(const std::vector<SseEvent>&)>& condition, int seconds = 30) const;

  // For a client made with read = false: reads (and parses) everything
  // until the server closes the connection or `seconds` pass; true when it
  // closed.
  bool DrainUntilClosed(int seconds);

 private:
  void ReadLoop();
  void Feed(const char* data, size_t size);  // under mutex_

  int fd_ = -1;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string error_body_;
  mutable std::mutex mutex_;
  std::string pending_;  // bytes not yet parsed
  SseEvent current_;
  std::vector<SseEvent> events_;
  int heartbeats_ = 0;
  bool ended_ = false;
  std::thread reader_;
};

}  // namespace tether::testing

#endif  // TETHER_TESTS_ENGINE_SERVER_SSE_CLIENT_H_
