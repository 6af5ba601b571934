#include "shared/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <mutex>

namespace tether {
namespace {

std::string Trim(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

struct Transfer {
  HttpResponse* response;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  Transfer* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->response->body.size() + bytes > HttpClient::kMaxBodyBytes) {
    transfer->too_large = true;
    return 0;  // makes curl fail the transfer
  }
  transfer->response->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  Transfer* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const std::string line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response->headers.clear();  // a new (final or interim) response
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return bytes;
  std::string name = Trim(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  transfer->response->headers.emplace_back(std::move(name), Trim(line.substr(colon + 1)));
  return bytes;
}

// $no_proxy (or $NO_PROXY) plus the loopback names.
const std::string& NoProxyList() {
  static const std::string list = [] {
    const char* env = std::getenv("no_proxy");
    if (env == nullptr || env[0] == '\0') env = std::getenv("NO_PROXY");
    std::string value = env != nullptr ? env : "";
    if (!value.empty()) value += ",";
    return value + "localhost,127.0.0.1,::1";
  }();
  return list;
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string HttpResponse::Header(const std::string& lower_name) const {
  for (const auto& header : headers) {
    if (header.first == lower_name) return header.second;
  }
  return "";
}

bool HttpResponse::HasHeader(const std::string& lower_name) const {
  for (const auto& header : headers) {
    if (header.first == lower_name) return true;
  }
  return false;
}

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(int64_t connect_timeout_ms, int64_t request_timeout_ms)
    : handle_(new Handle), connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms) {
  InitCurl();
  handle_->curl = curl_easy_init();
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const std::string what = request.method + " " + request.url;
  CURL* curl = handle_->curl;
  if (curl == nullptr) return Status::Internal(what + ": cannot create a curl handle");
  curl_easy_reset(curl);  // keeps the connection cache, forgets last request's options

  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const std::string& header : request.headers) {
    curl_slist* appended = curl_slist_append(headers.get(), header.c_str());
    if (appended == nullptr) return Status::Internal(what + ": out of memory");
    headers.release();
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip for POST bodies.
  curl_slist* appended = curl_slist_append(headers.get(), "Expect:");
  if (appended == nullptr) return Status::Internal(what + ": out of memory");
  headers.release();
  headers.reset(appended);

  HttpResponse response;
  Transfer transfer{&response};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ms_));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request_timeout_ms_));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  // A proxy from the environment is used as curl does, but never for a
  // loopback server (curl 7.88 would send 127.0.0.1 through it).
  curl_easy_setopt(curl, CURLOPT_NOPROXY, NoProxyList().c_str());
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  // The header list and error buffer live on this stack frame: make sure
  // the handle no longer points at them.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (transfer.too_large) {
    return Status::Unavailable(what + ": the answer is larger than " +
                               std::to_string(kMaxBodyBytes >> 20) + " MiB");
  }
  if (code != CURLE_OK) {
    std::string reason = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    return Status::Unavailable(what + ": " + reason);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace tether
