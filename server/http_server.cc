#include "server/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgetsdb::server {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

// Bytes asked of the socket while waiting for a kept-alive connection's next request.
constexpr size_t kIdleReadBytes = 4096;
// Reads of a refused body that is dropped.
constexpr size_t kDrainReadBytes = 64 << 10;
// After an accept error (out of file descriptors, mostly), the listener waits this long before
// accepting again instead of spinning.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  return address.is_v6() ? absl::StrCat("[", address.to_string(), "]:", endpoint.port())
                         : absl::StrCat(address.to_string(), ":", endpoint.port());
}

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Called from any thread when the server stops.
  virtual void OnServerStopping() = 0;
};

// What the listener and every session share.
struct ServerState {
  ServerState(const HttpConfig& config, HttpHandlers* handlers, ServerMetrics* metrics,
              Logger* logger, net::thread_pool* workers)
      : config(config), handlers(handlers), metrics(metrics), logger(logger), workers(workers) {}

  const HttpConfig& config;
  HttpHandlers* handlers;
  ServerMetrics* metrics;
  Logger* logger;
  net::thread_pool* workers;
  std::atomic<bool> stopping{false};

  std::mutex mu;  // Guards sessions and next_session_id.
  std::map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  uint64_t next_session_id = 0;

  uint64_t Register(std::weak_ptr<SessionBase> session) {
    std::lock_guard<std::mutex> lock(mu);
    const uint64_t id = next_session_id++;
    sessions.emplace(id, std::move(session));
    return id;
  }
  void Unregister(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(id);
  }
  std::vector<std::shared_ptr<SessionBase>> Live() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::shared_ptr<SessionBase>> live;
    for (const auto& entry : sessions) {
      if (auto session = entry.second.lock()) live.push_back(std::move(session));
    }
    return live;
  }
};

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>. Every
// member is touched only on the connection's strand, except request_, which a worker thread uses
// while the session waits for it with no operation pending.
template <class Stream>
class HttpSession : public SessionBase, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... StreamArgs>
  explicit HttpSession(ServerState* state, StreamArgs&&... args)
      : stream_(std::forward<StreamArgs>(args)...), state_(state) {
    state_->metrics->open_connections.Add(1);
  }

  ~HttpSession() override {
    if (registered_) state_->Unregister(id_);
    state_->metrics->open_connections.Add(-1);
  }

  void Start() {
    id_ = state_->Register(this->weak_from_this());
    registered_ = true;
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void OnServerStopping() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      // Idle: between requests, or in the middle of a header. Busy sessions close after their
      // response (Send sees stopping).
      if (self->idle_ && !self->closed_) {
        self->closed_ = true;
        self->Lowest().close();
      }
    });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const HttpConfig& config() const { return state_->config; }

  void Begin() {
    if (state_->stopping.load()) {  // Accepted just as the server stopped.
      Close();
      return;
    }
    if constexpr (kTls) {
      Lowest().expires_after(ToChrono(config().header_timeout));
      stream_.async_handshake(
          ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) {
              self->state_->logger->Debug("tls handshake failed", {{"error", ec.message()}});
              return;
            }
            self->ReadHeader();
          });
    } else {
      ReadHeader();
    }
  }

  // A kept-alive connection: waits up to idle_timeout for the next request's first bytes, then
  // gives its header header_timeout.
  void AwaitRequest() {
    if (state_->stopping.load()) {
      Close();
      return;
    }
    idle_ = true;
    if (buffer_.size() > 0) {  // Pipelined: the next request is already here.
      ReadHeader();
      return;
    }
    Lowest().expires_after(ToChrono(config().idle_timeout));
    stream_.async_read_some(buffer_.prepare(kIdleReadBytes),
                            [self = this->shared_from_this()](beast::error_code ec, size_t bytes) {
                              if (self->closed_) return;
                              self->buffer_.commit(bytes);
                              if (ec) {
                                self->Close();
                                return;
                              }
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    idle_ = true;
    parser_.emplace();
    parser_->header_limit(
        static_cast<uint32_t>(std::min<uint64_t>(config().max_header_bytes, UINT32_MAX)));
    // No body limit yet: a declared Content-Length over it is HttpHandlers::Screen's to refuse,
    // after authentication, with a 413 that names the limit. (Not boost::none: Beast 1.74
    // compares a Content-Length with an empty optional as greater, a body_limit error.)
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    Lowest().expires_after(ToChrono(config().header_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (closed_) return;
    idle_ = false;
    request_id_ = HttpHandlers::NewRequestId();
    endpoint_ = Endpoint::kUnknown;
    head_ = false;
    body_unread_ = false;
    if (ec == http::error::header_limit) {
      SendError(http::status::request_header_fields_too_large,
                absl::StrCat("request header over ", config().max_header_bytes, " bytes"));
      return;
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      SendError(http::status::bad_request, absl::StrCat("malformed request: ", ec.message()));
      return;
    }
    if (ec) {  // The client went away, or the header did not arrive in time.
      if (ec != http::error::end_of_stream && ec != net::error::eof &&
          ec != net::error::operation_aborted) {
        state_->logger->Debug("connection closed", {{"reason", ec.message()}});
      }
      Close();
      return;
    }
    const Request& header = parser_->get();
    const std::string_view target = StdView(header.target());
    endpoint_ = RouteOf(target.substr(0, target.find('?')));
    head_ = header.method() == http::verb::head;
    if (std::optional<Response> refusal = state_->handlers->Screen(header, endpoint_, &slot_)) {
      // The body stays unread: the connection can carry on only if there is none.
      body_unread_ = !parser_->is_done();
      Send(std::move(*refusal), !body_unread_ && header.keep_alive());
      return;
    }
    if (!parser_->is_done() && beast::iequals(header[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, header.version());
      Lowest().expires_after(ToChrono(config().write_timeout));
      http::async_write(stream_, *continue_,
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          self->continue_.reset();
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) {
      OnBody({});
      return;
    }
    // Enforced on chunked bodies as they arrive (Screen checked a declared Content-Length).
    parser_->body_limit(config().max_body_bytes);
    Lowest().expires_after(ToChrono(config().body_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) {
      body_unread_ = true;
      SendError(http::status::payload_too_large,
                absl::StrCat("request body over the limit of ", config().max_body_bytes, " bytes"));
      return;
    }
    if (ec) {
      state_->logger->Debug("request body not received",
                            {{"request_id", request_id_}, {"reason", ec.message()}});
      Close();
      return;
    }
    request_ = parser_->release();
    parser_.reset();
    keep_alive_ = request_.keep_alive();
    if (HttpHandlers::RunsInline(endpoint_)) {
      Send(state_->handlers->Handle(endpoint_, request_), keep_alive_);
      return;
    }
    // The work guard keeps the io_context running (Run from returning) while a worker holds the
    // request.
    net::post(*state_->workers, [self = this->shared_from_this(),
                                 guard = net::make_work_guard(stream_.get_executor())] {
      std::optional<Response> response;
      try {
        response.emplace(self->state_->handlers->Handle(self->endpoint_, self->request_));
      } catch (const std::exception& e) {
        self->state_->logger->Error("request failed",
                                    {{"request_id", self->request_id_}, {"error", e.what()}});
        response.emplace(HttpHandlers::ErrorResponse(http::status::internal_server_error,
                                                     "internal error", self->request_.version()));
      }
      net::post(self->stream_.get_executor(), [self, response = std::move(*response)]() mutable {
        self->Send(std::move(response), self->keep_alive_);
      });
    });
  }

  void SendError(http::status status, std::string_view message) {
    Send(HttpHandlers::ErrorResponse(status, message), /*keep_alive=*/false);
  }

  void Send(Response response, bool keep_alive) {
    keep_alive = keep_alive && !state_->stopping.load();
    HttpHandlers::Finish(response, request_id_, keep_alive);
    if (head_) response.body().clear();  // Content-Length stays that of the GET.
    const unsigned code = response.result_int();
    state_->metrics->http_requests.Add({std::string(EndpointName(endpoint_)), absl::StrCat(code)});
    if (state_->logger->Enabled(LogLevel::kDebug)) {
      state_->logger->Debug(
          "request",
          {{"request_id", request_id_}, {"endpoint", EndpointName(endpoint_)}, {"status", code}});
    }
    // Before the write: a client that has read its answer finds the slot free.
    slot_.Release();
    request_ = {};
    response_.emplace(std::move(response));
    Lowest().expires_after(ToChrono(config().write_timeout));
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        self->response_.reset();
                        if (ec || !keep_alive) {
                          self->Close(/*drain=*/!ec && self->body_unread_);
                          return;
                        }
                        self->AwaitRequest();
                      });
  }

  // Ends the connection after a last response, or when the client has gone. drain: a request
  // body was refused unread; closing a socket with unread bytes sends a reset, which can destroy
  // the response before the client reads it, so the rest of the body is read and dropped (up to
  // twice the body limit, within header_timeout) until the client closes.
  void Close(bool drain = false) {
    if (closed_) return;
    closed_ = true;
    slot_.Release();  // A request abandoned mid-body gives its place back now.
    if constexpr (kTls) {
      Lowest().expires_after(ToChrono(config().header_timeout));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Lowest().close(); });
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (drain) {
        Lowest().expires_after(ToChrono(config().header_timeout));
        Drain(0);
      }
    }
  }

  void Drain(uint64_t drained) {
    buffer_.clear();
    stream_.async_read_some(
        buffer_.prepare(kDrainReadBytes),
        [self = this->shared_from_this(), drained](beast::error_code ec, size_t bytes) {
          if (!ec && drained + bytes <= 2 * self->config().max_body_bytes) {
            self->Drain(drained + bytes);
          }
        });
  }

  Stream stream_;
  ServerState* const state_;
  uint64_t id_ = 0;
  bool registered_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  std::optional<Response> response_;
  std::optional<http::response<http::empty_body>> continue_;
  InFlightSlot slot_;
  std::string request_id_;
  Endpoint endpoint_ = Endpoint::kUnknown;
  bool head_ = false;
  bool body_unread_ = false;
  bool keep_alive_ = false;
  bool idle_ = true;
  bool closed_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, ServerState* state, ssl::context* tls)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_(acceptor_.get_executor()),
        state_(state),
        tls_(tls) {}

  absl::Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", FormatEndpoint(endpoint), ": ", ec.message()));
    }
    return absl::OkStatus();
  }

  tcp::endpoint local_endpoint() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec);
  }

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == net::error::operation_aborted) return;
    if (ec) {
      state_->logger->Warn("accept failed", {{"error", ec.message()}});
      retry_.expires_after(kAcceptRetryDelay);
      retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->Accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls_ != nullptr) {
      std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(state_, std::move(socket),
                                                                          *tls_)
          ->Start();
    } else {
      std::make_shared<HttpSession<beast::tcp_stream>>(state_, std::move(socket))->Start();
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  ServerState* const state_;
  ssl::context* const tls_;
};

// HOST:PORT, [IPv6]:PORT or :PORT (every IPv4 interface). Names are resolved once, here.
absl::StatusOr<tcp::endpoint> ResolveAddress(net::io_context& ioc, std::string_view addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("want HOST:PORT, got '", std::string(addr), "'"));
  }
  std::string host(addr.substr(0, colon));
  const std::string port(addr.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve '", std::string(addr), "': ", ec.message()));
  }
  return results.begin()->endpoint();
}

}  // namespace

struct HttpServer::Impl {
  Impl(const HttpConfig& config, HttpHandlers* handlers, ServerMetrics* metrics, Logger* logger)
      : config(config),
        logger(logger),
        workers(static_cast<size_t>(std::max(1, config.max_concurrent_requests))),
        state(config, handlers, metrics, logger, &workers) {}

  const HttpConfig& config;
  Logger* const logger;
  net::io_context ioc;
  net::thread_pool workers;
  ServerState state;
  std::optional<ssl::context> tls;
  std::shared_ptr<Listener> listener;
  std::optional<net::signal_set> signals;
  std::string bound;
};

HttpServer::HttpServer(const HttpConfig& config, HttpHandlers* handlers, ServerMetrics* metrics,
                       Logger* logger)
    : impl_(std::make_unique<Impl>(config, handlers, metrics, logger)) {}

HttpServer::~HttpServer() {
  impl_->workers.stop();
  impl_->workers.join();
}

absl::Status HttpServer::Start() {
  Impl& impl = *impl_;
  const bool use_tls = !impl.config.tls_cert.empty();
  if (use_tls) {
    impl.tls.emplace(ssl::context::tls_server);
    beast::error_code ec;
    impl.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                              ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                              ssl::context::no_tlsv1_1,
                          ec);
    if (!ec) impl.tls->use_certificate_chain_file(impl.config.tls_cert, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("cannot load the TLS certificate ",
                                                     impl.config.tls_cert, ": ", ec.message()));
    }
    impl.tls->use_private_key_file(impl.config.tls_key, ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the TLS key ", impl.config.tls_key, ": ", ec.message()));
    }
  }
  absl::StatusOr<tcp::endpoint> endpoint = ResolveAddress(impl.ioc, impl.config.addr);
  if (!endpoint.ok()) return endpoint.status();
  impl.listener = std::make_shared<Listener>(impl.ioc, &impl.state, use_tls ? &*impl.tls : nullptr);
  if (absl::Status s = impl.listener->Listen(*endpoint); !s.ok()) return s;
  impl.bound = FormatEndpoint(impl.listener->local_endpoint());
  impl.listener->Accept();
  impl.logger->Info("listening", {{"http_addr", impl.bound}, {"tls", use_tls}});
  return absl::OkStatus();
}

std::string HttpServer::bound_address() const { return impl_->bound; }

void HttpServer::StopOnSignals() {
  impl_->signals.emplace(impl_->ioc, SIGINT, SIGTERM);
  impl_->signals->async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    impl_->logger->Info("signal received", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    Stop();
  });
}

void HttpServer::Run() {
  Impl& impl = *impl_;
  const int threads = impl.config.threads > 0
                          ? impl.config.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  auto run = [&impl] {
    for (;;) {
      try {
        impl.ioc.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw (it should not): log and keep serving.
        impl.logger->Error("unexpected exception in the I/O loop", {{"error", e.what()}});
      }
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(run);
  run();
  for (std::thread& thread : pool) thread.join();
  impl.workers.join();
}

void HttpServer::Stop() {
  Impl& impl = *impl_;
  if (impl.state.stopping.exchange(true)) return;
  impl.logger->Info("stopping",
                    {{"open_connections", impl.state.metrics->open_connections.value()},
                     {"requests_in_flight", impl.state.metrics->requests_in_flight.value()}});
  net::post(impl.ioc, [&impl] {
    if (impl.listener != nullptr) impl.listener->Stop();
    if (impl.signals.has_value()) {
      beast::error_code ignored;
      impl.signals->cancel(ignored);
    }
    for (const std::shared_ptr<SessionBase>& session : impl.state.Live()) {
      session->OnServerStopping();
    }
  });
}

}  // namespace edgetsdb::server
