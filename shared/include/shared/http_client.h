// HttpClient: one HTTP request at a time through a libcurl easy handle,
// reused so that consecutive requests (the pages of a listing, batches of
// embeddings) share a keep-alive connection. The github provider's REST
// layer and the embeddings analyzer's model clients use it.
//
// It sends exactly what it is given and never follows redirects: the
// caller decides what a 301 means and where a credential may go.
//
// libcurl is loaded at the first request any client sends (dlopen, by the
// soname the build found, listed in share/tether/runtime-libraries.txt): a
// process that never sends loads neither it nor its twenty-odd libraries.
//
// Ownership: owns its curl handle. Thread safety: one thread at a time;
// separate clients may be used concurrently.
//
// Errors: a request that got an HTTP answer succeeds whatever its status;
// transport failures (refused connection, timeout, reset, a body over the
// size limit) are Unavailable naming the method and URL and curl's reason,
// as is a libcurl that cannot be loaded.
// URLs handed to Send never carry credentials, so messages never do either.
#ifndef TETHER_SHARED_HTTP_CLIENT_H_
#define TETHER_SHARED_HTTP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tether/status.h"

namespace tether {

struct HttpResponse {
  long status = 0;
  // Header names in lower case, in arrival order (of the final response
  // only, when there were interim 1xx ones).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first value of header `lower_name`, or "" when absent.
  std::string Header(const std::string& lower_name) const;
  bool HasHeader(const std::string& lower_name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for POST
};

class HttpClient {
 public:
  HttpClient(int64_t connect_timeout_ms, int64_t request_timeout_ms);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request);

  // Largest response body accepted; larger ones fail as Unavailable.
  static constexpr size_t kMaxBodyBytes = 64u << 20;

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  const int64_t connect_timeout_ms_;
  const int64_t request_timeout_ms_;
};

}  // namespace tether

#endif  // TETHER_SHARED_HTTP_CLIENT_H_
