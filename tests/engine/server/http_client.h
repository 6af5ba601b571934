// A small blocking HTTP/1.1 client for tests, on Boost.Beast: one
// connection per request (or raw bytes for malformed requests), the
// response read whole.
//
// Errors: throws std::runtime_error when it cannot connect, send or read a
// response (Catch2 reports it as a failure).
// Thread safety: separate clients may be used from separate threads.
#ifndef TETHER_TESTS_ENGINE_SERVER_HTTP_CLIENT_H_
#define TETHER_TESTS_ENGINE_SERVER_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace tether::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = false;

  // The body parsed as JSON; an object with "unparsable" when it is not.
  rapidjson::Document Json() const;
  // The header's value, "" when absent.
  std::string Header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  HttpClient(std::string host, int port) : host_(std::move(host)), port_(port) {}

  // `headers` are sent as given; Host, Content-Length and (with a body)
  // Content-Type: application/json are added unless present.
  HttpReply Send(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

  // Sends `raw` bytes as they are and reads one response.
  HttpReply SendRaw(const std::string& raw) const;

  // Several requests on one keep-alive connection, in order.
  std::vector<HttpReply> SendPipelined(const std::vector<std::pair<std::string, std::string>>& methods_and_targets,
                                       const std::string& bearer) const;

 private:
  std::string host_;
  int port_;
};

}  // namespace tether::testing

#endif  // TETHER_TESTS_ENGINE_SERVER_HTTP_CLIENT_H_
