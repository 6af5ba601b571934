#include "sse_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>

namespace tether::testing {

SseClient::SseClient(const std::string& host, int port, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers, bool read,
                     int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::inet_pton(AF_INET, host.c_str(), &address.sin_addr) == 1);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                        "\r\nAccept: text/event-stream\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));

  // The header, byte by byte up to the blank line (the body stays unread).
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
    pollfd p{fd_, POLLIN, 0};
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    if (::poll(&p, 1, 100) <= 0) continue;
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    REQUIRE(n == 1);
    head.push_back(c);
  }
  REQUIRE(head.rfind("HTTP/1.1 ", 0) == 0);
  status_ = std::stoi(head.substr(9, 3));
  size_t line = head.find("\r\n") + 2;
  while (line < head.size() - 2) {
    const size_t end = head.find("\r\n", line);
    const std::string field = head.substr(line, end - line);
    const size_t colon = field.find(':');
    std::string name = field.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = field.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    headers_[name] = value;
    line = end + 2;
  }
  if (status_ != 200) {
    // An error response: read its body whole (it has a length).
    char buffer[4096];
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 2000) > 0) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      error_body_.append(buffer, static_cast<size_t>(n));
      if (headers_.count("content-length") > 0 &&
          error_body_.size() >= std::stoul(headers_["content-length"])) {
        break;
      }
    }
    return;
  }
  if (read) reader_ = std::thread([this] { ReadLoop(); });
}

SseClient::~SseClient() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::string SseClient::Header(const std::string& lower_name) const {
  auto it = headers_.find(lower_name);
  return it == headers_.end() ? std::string() : it->second;
}

std::vector<SseEvent> SseClient::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

int SseClient::heartbeats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeats_;
}

bool SseClient::ended() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ended_;
}

bool SseClient::WaitFor(const std::function<bool(const std::vector<SseEvent>&)>& condition, int seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (true) {
    if (condition(events())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void SseClient::ReadLoop() {
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    std::lock_guard<std::mutex> lock(mutex_);
    if (n <= 0) {
      ended_ = true;
      return;
    }
    Feed(buffer, static_cast<size_t>(n));
  }
}

bool SseClient::DrainUntilClosed(int seconds) {
  char buffer[64 * 1024];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    std::lock_guard<std::mutex> lock(mutex_);
    if (n <= 0) {
      ended_ = true;
      return true;
    }
    Feed(buffer, static_cast<size_t>(n));
  }
  return false;
}

// The event stream format: lines "field: value"; a blank line ends an
// event; lines starting with ':' are comments.
void SseClient::Feed(const char* data, size_t size) {
  pending_.append(data, size);
  size_t start = 0;
  while (true) {
    const size_t end = pending_.find('\n', start);
    if (end == std::string::npos) break;
    const std::string line = pending_.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      if (!current_.type.empty() || !current_.data.empty()) events_.push_back(current_);
      current_ = SseEvent();
      continue;
    }
    if (line[0] == ':') {
      if (line == ": heartbeat") ++heartbeats_;
      continue;
    }
    const size_t colon = line.find(':');
    const std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "id") current_.id = std::stoll(value);
    if (field == "event") current_.type = value;
    if (field == "data") current_.data += value;
  }
  pending_.erase(0, start);
}

}  // namespace tether::testing
