#include "http_client.h"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tether::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string Lower(beast::string_view text) {
  std::string out(text.data(), text.size());
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

HttpReply ReadReply(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  stream.expires_after(std::chrono::seconds(60));
  http::read(stream, buffer, parser);
  http::response<http::string_body> response = parser.release();
  HttpReply reply;
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) reply.headers[Lower(field.name_string())] = std::string(field.value());
  reply.body = response.body();
  reply.keep_alive = response.keep_alive();
  return reply;
}

void Connect(beast::tcp_stream& stream, net::io_context& ioc, const std::string& host, int port) {
  tcp::resolver resolver(ioc);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(resolver.resolve(host, std::to_string(port)));
}

}  // namespace

rapidjson::Document HttpReply::Json() const {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError()) {
    doc.SetObject();
    doc.AddMember("unparsable", rapidjson::Value(body.c_str(), doc.GetAllocator()), doc.GetAllocator());
  }
  return doc;
}

std::string HttpReply::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpReply HttpClient::Send(const std::string& method, const std::string& target, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) const {
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    Connect(stream, ioc, host_, port_);
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, host_ + ":" + std::to_string(port_));
    bool has_type = false;
    for (const auto& [name, value] : headers) {
      request.set(name, value);
      has_type = has_type || Lower(name) == "content-type";
    }
    if (!body.empty() && !has_type) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    request.keep_alive(false);
    http::write(stream, request);
    beast::flat_buffer buffer;
    return ReadReply(stream, buffer);
  } catch (const std::exception& e) {
    throw std::runtime_error(method + " " + target + ": " + e.what());
  }
}

HttpReply HttpClient::SendRaw(const std::string& raw) const {
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    Connect(stream, ioc, host_, port_);
    net::write(stream, net::buffer(raw));
    beast::flat_buffer buffer;
    return ReadReply(stream, buffer);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("raw request: ") + e.what());
  }
}

std::vector<HttpReply> HttpClient::SendPipelined(
    const std::vector<std::pair<std::string, std::string>>& methods_and_targets, const std::string& bearer) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  Connect(stream, ioc, host_, port_);
  beast::flat_buffer buffer;
  std::vector<HttpReply> replies;
  for (const auto& [method, target] : methods_and_targets) {
    http::request<http::empty_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, host_);
    request.set(http::field::authorization, "Bearer " + bearer);
    request.keep_alive(true);
    http::write(stream, request);
    replies.push_back(ReadReply(stream, buffer));
  }
  return replies;
}

}  // namespace tether::testing
