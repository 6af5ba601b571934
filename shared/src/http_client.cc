#include "shared/http_client.h"

// The functions are called through pointers (libcurl is loaded at the first
// request): curl's type-checking macros would stand in their way.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>

#include <cctype>
#include <cstdlib>
#include <mutex>

#ifndef TETHER_LIBCURL_SONAME
#error "TETHER_LIBCURL_SONAME names the libcurl to load (shared/CMakeLists.txt)"
#endif

namespace tether {
namespace {

// libcurl's functions that Tether calls.
struct Curl {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
};

template <typename Fn>
void Resolve(void* library, const char* name, Fn* fn, std::string* missing) {
  *fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (*fn == nullptr) *missing += std::string(missing->empty() ? "" : ", ") + name;
}

struct LoadedCurl {
  Curl functions{};
  Status status;
};

LoadedCurl Load() {
  LoadedCurl loaded;
  // Never closed: handles may live until the process ends.
  void* library = dlopen(TETHER_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    loaded.status = Status::Unavailable(std::string("cannot load libcurl (" TETHER_LIBCURL_SONAME "): ") +
                                        (why != nullptr ? why : "not found"));
    return loaded;
  }
  Curl& f = loaded.functions;
  std::string missing;
  Resolve(library, "curl_global_init", &f.global_init, &missing);
  Resolve(library, "curl_easy_init", &f.easy_init, &missing);
  Resolve(library, "curl_easy_cleanup", &f.easy_cleanup, &missing);
  Resolve(library, "curl_easy_reset", &f.easy_reset, &missing);
  Resolve(library, "curl_easy_setopt", &f.easy_setopt, &missing);
  Resolve(library, "curl_easy_perform", &f.easy_perform, &missing);
  Resolve(library, "curl_easy_getinfo", &f.easy_getinfo, &missing);
  Resolve(library, "curl_easy_strerror", &f.easy_strerror, &missing);
  Resolve(library, "curl_slist_append", &f.slist_append, &missing);
  Resolve(library, "curl_slist_free_all", &f.slist_free_all, &missing);
  if (!missing.empty()) {
    loaded.status = Status::Unavailable("libcurl (" TETHER_LIBCURL_SONAME ") lacks " + missing);
    return loaded;
  }
  const CURLcode init = f.global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    loaded.status = Status::Unavailable(std::string("libcurl's global initialisation failed: ") +
                                        f.easy_strerror(init));
  }
  return loaded;
}

// libcurl, loaded and initialised at the first call (once per copy of this
// code: the github provider's and the embeddings analyzer's each load it
// when they first send).
Result<const Curl*> LoadCurl() {
  static const LoadedCurl loaded = Load();
  if (!loaded.status.ok()) return loaded.status;
  return &loaded.functions;
}

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
  const Curl* curl;
  void operator()(curl_slist* list) const { curl->slist_free_all(list); }
};

}  // namespace

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
  const Curl* functions = nullptr;
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) functions->easy_cleanup(curl);
  }
};

HttpClient::HttpClient(int64_t connect_timeout_ms, int64_t request_timeout_ms)
    : handle_(new Handle), connect_timeout_ms_(connect_timeout_ms),
      request_timeout_ms_(request_timeout_ms) {}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const std::string what = request.method + " " + request.url;
  if (handle_->curl == nullptr) {
    Result<const Curl*> loaded = LoadCurl();
    if (!loaded.ok()) return loaded.status().WithContext(what);
    handle_->functions = *loaded;
    handle_->curl = handle_->functions->easy_init();
    if (handle_->curl == nullptr) return Status::Internal(what + ": cannot create a curl handle");
  }
  const Curl& f = *handle_->functions;
  CURL* curl = handle_->curl;
  f.easy_reset(curl);  // keeps the connection cache, forgets last request's options

  std::unique_ptr<curl_slist, SlistFree> headers(nullptr, SlistFree{&f});
  for (const std::string& header : request.headers) {
    curl_slist* appended = f.slist_append(headers.get(), header.c_str());
    if (appended == nullptr) return Status::Internal(what + ": out of memory");
    headers.release();
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip for POST bodies.
  curl_slist* appended = f.slist_append(headers.get(), "Expect:");
  if (appended == nullptr) return Status::Internal(what + ": out of memory");
  headers.release();
  headers.reset(appended);

  HttpResponse response;
  Transfer transfer{&response};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  f.easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  f.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  f.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  f.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  f.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ms_));
  f.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request_timeout_ms_));
  f.easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever curl can decode
  f.easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  f.easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  f.easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  f.easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  f.easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  f.easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  // A proxy from the environment is used as curl does, but never for a
  // loopback server (curl 7.88 would send 127.0.0.1 through it).
  f.easy_setopt(curl, CURLOPT_NOPROXY, NoProxyList().c_str());
  if (request.method == "GET") {
    f.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    f.easy_setopt(curl, CURLOPT_POST, 1L);
    f.easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    f.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    f.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = f.easy_perform(curl);
  // The header list and error buffer live on this stack frame: make sure
  // the handle no longer points at them.
  f.easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  f.easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (transfer.too_large) {
    return Status::Unavailable(what + ": the answer is larger than " +
                               std::to_string(kMaxBodyBytes >> 20) + " MiB");
  }
  if (code != CURLE_OK) {
    std::string reason = error_buffer[0] != '\0' ? error_buffer : f.easy_strerror(code);
    return Status::Unavailable(what + ": " + reason);
  }
  f.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace tether
