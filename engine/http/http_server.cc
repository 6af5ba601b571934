#include "engine/http/http_server.h"

#include <algorithm>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "engine/http/problem.h"

namespace tether::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// How long a connection answered with an early error keeps reading (and
// dropping) what its client still sends.
constexpr std::chrono::seconds kLinger{2};

bool IsLoopback(const net::ip::address& address) {
  if (address.is_loopback()) return true;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return false;
}

std::string EndpointText(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_version).category();
}

std::string Lower(beast::string_view text) {
  std::string out(text.data(), text.size());
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Status::InvalidArgument("listen address \"" + text + "\" must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      return Status::InvalidArgument("listen address \"" + text + "\": the port must be a number from 0 to 65535");
    }
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) {
    return Status::InvalidArgument("listen address \"" + text + "\": the port must be a number from 0 to 65535");
  }
  beast::error_code ec;
  net::ip::make_address(host, ec);
  if (ec) {
    return Status::InvalidArgument("listen address \"" + text + "\": \"" + host +
                                   "\" is not an IP address (use 127.0.0.1, ::1 or 0.0.0.0)");
  }
  return ListenAddress{host, static_cast<unsigned short>(port)};
}

class Session;

// The queue of a streamed response (see StreamSink). Writes come from any
// thread; the session takes what is queued on its strand and writes it.
class StreamChannel : public StreamSink {
 public:
  StreamChannel(std::weak_ptr<Session> session, size_t capacity)
      : session_(std::move(session)), capacity_(capacity == 0 ? 1 : capacity) {}

  bool Write(std::shared_ptr<const std::string> bytes) override;
  void Close() override;
  size_t queued() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }
  size_t capacity() const override { return capacity_; }

  // The session's side, on its strand. Moves up to `max` queued pieces into
  // `out`; when there are none, returns false and stops writing until the
  // next Write.
  bool Take(size_t max, std::vector<std::shared_ptr<const std::string>>* out) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty() || closed_) {
      writing_ = false;
      return false;
    }
    while (!queue_.empty() && out->size() < max) {
      out->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return true;
  }
  void MarkClosed() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    queue_.clear();
  }

 private:
  const std::weak_ptr<Session> session_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool writing_ = false;  // the session has a write going, or one posted
  bool closed_ = false;
};

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, RequestHandler* handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(options_.io_threads),
        acceptor_(net::make_strand(ioc_)),
        signals_(ioc_) {}

  Result<std::string> Listen();
  void HandleSignals(std::function<void(int)> on_signal);
  void Run();
  void Shutdown();

  // Sessions register themselves so that a shutdown can reach them.
  void Register(const std::shared_ptr<Session>& session);
  void Unregister(Session* session);

  const HttpServerOptions& options() const { return options_; }
  RequestHandler* handler() const { return handler_; }
  net::io_context& ioc() { return ioc_; }
  bool stopping() const { return stopping_.load(); }

 private:
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void OnSignal(const beast::error_code& ec, int signal_number);

  const HttpServerOptions options_;
  RequestHandler* const handler_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  std::function<void(int)> on_signal_;
  std::atomic<bool> stopping_{false};
  std::mutex sessions_mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

// One connection. Asynchronous operations keep it alive through the
// shared_ptr their handlers hold (the usual Asio idiom: a session's lifetime
// is that of its pending operations), so it is a shared_ptr, not owned by
// the server.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      peer_ = EndpointText(remote);
      peer_is_loopback_ = IsLoopback(remote.address());
    }
  }
  ~Session() { server_->Unregister(this); }

  friend class StreamChannel;

  void Start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Closes the connection if it waits for a request; otherwise it closes
  // after the response it is working on.
  void Drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->draining_ = true;
      if (self->streaming_) return self->Close();
      if (!self->busy_) self->Close();
    });
  }

 private:
  const HttpServerOptions& options() const { return server_->options(); }

  void ReadHeader() {
    if (draining_) return Close();
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    // Beast checks Content-Length against this while it parses the header,
    // before the path is known: the largest limit here, the path's own in
    // OnHeader.
    // A Content-Length over it fails the header read itself: the message
    // then names this largest limit (it was "larger than 0 bytes").
    body_limit_ = std::max(options().max_body_bytes, options().max_webhook_body_bytes);
    parser_->body_limit(body_limit_);
    stream_.expires_after(options().idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    const auto& header = parser_->get();
    StartAccess(std::string(header.method_string()), std::string(header.target()));
    const bool webhook = header.target().substr(0, 10) == "/webhooks/";
    const size_t limit = webhook ? options().max_webhook_body_bytes : options().max_body_bytes;
    body_limit_ = limit;
    parser_->body_limit(limit);
    const boost::optional<std::uint64_t> length = parser_->content_length();
    if (length && *length > limit) {
      return SendProblem(ProblemType::kPayloadTooLarge, "the request body is " + std::to_string(*length) +
                                                            " bytes; at most " + std::to_string(limit) +
                                                            " are accepted");
    }
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto proceed = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
      stream_.expires_after(options().write_timeout);
      http::async_write(stream_, *proceed,
                        [self = shared_from_this(), proceed](beast::error_code write_ec, std::size_t) {
                          if (write_ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnBody({}, 0);
    stream_.expires_after(options().read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnReadError(const beast::error_code& ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout) {
      return Close();
    }
    if (!access_) StartAccess("-", "");
    if (ec == http::error::body_limit) {
      busy_ = true;
      return SendProblem(ProblemType::kPayloadTooLarge,
                         "the request body is larger than " + std::to_string(body_limit_) + " bytes");
    }
    if (ec == http::error::header_limit) {
      busy_ = true;
      return SendProblem(ProblemType::kHeaderTooLarge, "the request header is larger than " +
                                                           std::to_string(options().max_header_bytes) + " bytes");
    }
    if (IsHttpParseError(ec)) {
      busy_ = true;
      return SendProblem(ProblemType::kMalformedRequest, "cannot parse the HTTP request: " + ec.message());
    }
    Close();
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();

    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : message) request.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
    request.body = std::move(message.body());
    request.peer = peer_;
    request.peer_is_loopback = peer_is_loopback_;

    // The responder keeps the session and the io_context's work alive until
    // it is called, so that Run does not return while a worker answers.
    auto self = shared_from_this();
    auto work = net::prefer(server_->ioc().get_executor(), net::execution::outstanding_work.tracked);
    Responder respond = [self, work](HttpResponse response) {
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Send(std::move(response), /*force_close=*/false);
      });
    };
    server_->handler()->Handle(std::move(request), std::move(respond));
  }

  // An error before the request was read whole: answer, then close without
  // cutting off a client still sending its body (it would see a reset
  // instead of the answer).
  void SendProblem(ProblemType type, std::string detail) {
    Problem problem;
    problem.type = type;
    problem.detail = std::move(detail);
    linger_ = true;
    Send(ProblemResponse(problem), /*force_close=*/true);
  }

  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLinger);
    Discard();
  }

  void Discard() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      self->Discard();
    });
  }

  // Streamed responses (StreamChannel, a friend, calls these two).
  void PostStreamWrite() {
    net::post(stream_.get_executor(), beast::bind_front_handler(&Session::WriteStream, shared_from_this()));
  }
  void PostClose() { net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); }); }

  void StartStream(HttpResponse response) {
    streaming_ = true;
    source_ = std::move(response.stream);
    NoteResponse(response);
    if (draining_ || server_->stopping()) {
      Close();
      return EndStream();
    }
    auto head = std::make_shared<std::string>("HTTP/1.1 " + std::to_string(response.status) + " " +
                                              std::string(http::obsolete_reason(static_cast<http::status>(response.status))) +
                                              "\r\nServer: tether\r\n");
    if (!response.content_type.empty()) *head += "Content-Type: " + response.content_type + "\r\n";
    for (const auto& [name, value] : response.headers) *head += name + ": " + value + "\r\n";
    *head += "Connection: close\r\n\r\n";
    channel_ = std::make_shared<StreamChannel>(weak_from_this(), response.stream_queue);
    stream_.expires_after(options().write_timeout);
    net::async_write(stream_, net::buffer(*head), [self = shared_from_this(), head](beast::error_code ec, std::size_t) {
      if (ec) {
        self->Close();
        return self->EndStream();
      }
      // Reading on finds the client gone (or the socket closed by a drop or
      // a shutdown); writes set their own deadline.
      self->stream_.expires_never();
      self->ReadStream();
      self->source_->Start(self->channel_);
    });
  }

  void ReadStream() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) return self->ReadStream();  // a client has nothing to say on a stream; dropped
      self->Close();
      self->EndStream();
    });
  }

  void WriteStream() {
    if (stream_ended_) return;
    auto batch = std::make_shared<std::vector<std::shared_ptr<const std::string>>>();
    if (!channel_->Take(kStreamBatch, batch.get())) {
      if (source_) source_->OnDrained();
      return;
    }
    std::vector<net::const_buffer> buffers;
    for (const auto& piece : *batch) buffers.push_back(net::buffer(*piece));
    stream_.expires_after(options().write_timeout);
    net::async_write(stream_, buffers, [self = shared_from_this(), batch](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();  // the pending read ends the stream
      if (self->access_) {
        for (const auto& piece : *batch) self->access_->bytes += piece->size();
      }
      self->WriteStream();
    });
  }

  void EndStream() {
    if (stream_ended_) return;
    stream_ended_ = true;
    if (channel_) channel_->MarkClosed();
    if (source_) source_->OnClosed();
    source_.reset();
    FinishAccess();
  }

  // Pieces gathered into one write.
  static constexpr size_t kStreamBatch = 64;

  void Send(HttpResponse response, bool force_close) {
    if (response.stream) return StartStream(std::move(response));
    NoteResponse(response);
    if (access_) access_->bytes = response.body.size();
    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version_ == 0 ? 11 : version_);
    message->set(http::field::server, "tether");
    if (!response.content_type.empty()) message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    const bool close = force_close || !keep_alive_ || draining_ || server_->stopping();
    message->keep_alive(!close);
    message->prepare_payload();
    stream_.expires_after(options().write_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, close](beast::error_code ec, std::size_t) {
                        self->FinishAccess();
                        if (!ec && close && self->linger_) return self->Linger();
                        if (ec || close) return self->Close();
                        self->ReadHeader();
                      });
  }

  // The access log's record of the request being answered: begun when its
  // header is read, completed by the response, written once it is sent.
  void StartAccess(std::string method, const std::string& target) {
    if (!options().access_log) return;
    access_.emplace();
    access_->method = std::move(method);
    std::string path = target.substr(0, target.find('?'));  // a query string may hold a token
    constexpr size_t kMaxPath = 200;
    if (path.size() > kMaxPath) path = path.substr(0, kMaxPath) + "...";
    access_->route = path.empty() ? "-" : path;
    access_->peer = peer_;
    access_started_ = std::chrono::steady_clock::now();
  }
  void NoteResponse(const HttpResponse& response) {
    if (!access_) return;
    access_->status = response.status;
    if (!response.route.empty()) access_->route = response.route;
  }
  void FinishAccess() {
    if (!access_) return;
    access_->duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - access_started_).count();
    options().access_log(*access_);
    access_.reset();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string peer_;
  bool peer_is_loopback_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool busy_ = false;      // a request has started and is not answered yet
  bool draining_ = false;  // close as soon as not busy
  bool linger_ = false;    // read and drop what the client still sends before closing
  std::array<char, 16 * 1024> discard_;
  size_t body_limit_ = 0;  // of the request being read
  bool streaming_ = false;     // the response is a stream (see StartStream)
  bool stream_ended_ = false;  // OnClosed was called
  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<StreamChannel> channel_;
  std::optional<AccessRecord> access_;  // the request being answered, when access_log is set
  std::chrono::steady_clock::time_point access_started_;
};

bool StreamChannel::Write(std::shared_ptr<const std::string> bytes) {
  std::shared_ptr<Session> session = session_.lock();
  if (!session) return false;
  bool start = false;
  bool dropped = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    if (queue_.size() >= capacity_) {
      // Too slow: the client is dropped, never waited for.
      closed_ = true;
      dropped = true;
      queue_.clear();
    } else {
      queue_.push_back(std::move(bytes));
      start = !writing_;
      writing_ = true;
    }
  }
  if (dropped) {
    session->PostClose();
    return false;
  }
  if (start) session->PostStreamWrite();
  return true;
}

void StreamChannel::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    queue_.clear();
  }
  if (std::shared_ptr<Session> session = session_.lock()) session->PostClose();
}

Result<std::string> HttpServer::Impl::Listen() {
  Result<ListenAddress> parsed = ParseListenAddress(options_.listen);
  if (!parsed.ok()) return parsed.status();
  beast::error_code ec;
  const tcp::endpoint endpoint(net::ip::make_address(parsed->host), parsed->port);
  const std::string where = " " + options_.listen + ": ";
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return Status::Unavailable("cannot open a socket for" + where + ec.message());
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return Status::Unavailable("cannot listen on" + where + ec.message());
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on" + where + ec.message());
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return Status::Unavailable("cannot read the bound address of" + where + ec.message());
  Accept();
  return EndpointText(bound);
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Impl::OnAccept, this));
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping_) return;  // the socket closes with it
  if (!ec) {
    auto session = std::make_shared<Session>(std::move(socket), this);
    Register(session);
    session->Start();
  }
  // Accept errors (too many open files, a peer that reset) are transient.
  Accept();
}

void HttpServer::Impl::Register(const std::shared_ptr<Session>& session) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  sessions_.emplace(session.get(), session);
  if (stopping_) session->Drain();
}

void HttpServer::Impl::Unregister(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  sessions_.erase(session);
}

void HttpServer::Impl::HandleSignals(std::function<void(int)> on_signal) {
  on_signal_ = std::move(on_signal);
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.async_wait([this](const beast::error_code& ec, int signal_number) { OnSignal(ec, signal_number); });
}

void HttpServer::Impl::OnSignal(const beast::error_code& ec, int signal_number) {
  if (ec) return;
  if (on_signal_) on_signal_(signal_number);
  // Not waiting again: the signals stay caught (and ignored) while the
  // shutdown runs, and the io_context can run out of work.
  Shutdown();
}

void HttpServer::Impl::Shutdown() {
  if (stopping_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  net::post(ioc_, [this] {
    beast::error_code ec;
    signals_.cancel(ec);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    for (auto& [raw, weak] : sessions_) {
      if (std::shared_ptr<Session> session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (const std::shared_ptr<Session>& session : live) session->Drain();
}

void HttpServer::Impl::Run() {
  std::vector<std::thread> threads;
  for (int i = 1; i < options_.io_threads; ++i) threads.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (std::thread& thread : threads) thread.join();
}

HttpServer::HttpServer(HttpServerOptions options, RequestHandler* handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() = default;

Result<std::string> HttpServer::Listen() { return impl_->Listen(); }
void HttpServer::HandleSignals(std::function<void(int)> on_signal) { impl_->HandleSignals(std::move(on_signal)); }
void HttpServer::Run() { impl_->Run(); }
void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace tether::http
