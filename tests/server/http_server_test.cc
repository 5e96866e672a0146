// The listener and its connections, in-process: a server on a free loopback port over a real Db,
// driven by raw sockets so that tests control every byte (keep-alive, pipelining, stalls, limits,
// a stop with a request in flight).
#include "server/http_server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "edgetsdb/db.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/engine.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/http_handlers.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace edgetsdb::server {
namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using ::testing::HasSubstr;

// A blocking client connection. Reads give up after kReadTimeout so that a server that never
// answers fails the test instead of hanging it; no test waits for it to run out.
class Client {
 public:
  static constexpr int kReadTimeoutSeconds = 20;

  explicit Client(uint16_t port) : socket_(ioc_) {
    beast::error_code ec;
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    EXPECT_FALSE(ec) << ec.message();
    timeval timeout{kReadTimeoutSeconds, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }

  void Send(std::string_view bytes) {
    beast::error_code ec;
    net::write(socket_, net::buffer(bytes.data(), bytes.size()), ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  // The next response; an empty optional when the connection ended first.
  std::optional<http::response<http::string_body>> Read(bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head_request);
    parser.body_limit(64 << 20);
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    if (ec) return std::nullopt;
    return parser.release();
  }

  // True when the server closed the connection (read returns end of file) before sending
  // anything more.
  bool ClosedByServer() {
    if (buffer_.size() > 0) return false;
    char byte;
    beast::error_code ec;
    const size_t n = socket_.read_some(net::buffer(&byte, 1), ec);
    return n == 0 && (ec == net::error::eof || ec == net::error::connection_reset);
  }

  // Reads raw bytes until `marker` has arrived (or the connection ends); returns them.
  std::string ReadUntil(std::string_view marker) {
    std::string got;
    char chunk[512];
    while (got.find(marker) == std::string::npos) {
      beast::error_code ec;
      const size_t n = socket_.read_some(net::buffer(chunk), ec);
      if (ec) break;
      got.append(chunk, n);
    }
    return got;
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "http_server_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.addr = "127.0.0.1:0";
    config_.threads = 2;
    config_.max_body_bytes = 1 << 20;
    config_.max_header_bytes = 4096;
  }

  void TearDown() override {
    StopServer();
    fs::remove_all(dir_);
  }

  void StartServer() {
    auto db = Db::Open(Options(), (dir_ / "data").string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    engine_ = std::make_unique<query::QueryEngine>(db_.get(), query::QueryLimits());
    auth_ = std::make_unique<Authenticator>(AuthConfig());
    HandlerOptions options;
    options.max_body_bytes = config_.max_body_bytes;
    options.max_concurrent_requests = config_.max_concurrent_requests;
    handlers_ = std::make_unique<HttpHandlers>(db_.get(), engine_.get(), auth_.get(), &metrics_,
                                               &logger_, options);
    server_ = std::make_unique<HttpServer>(config_, handlers_.get(), &metrics_, &logger_);
    ASSERT_TRUE(server_->Start().ok());
    const std::string bound = server_->bound_address();
    port_ = static_cast<uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1)));
    ASSERT_NE(port_, 0);
    runner_ = std::thread([this] { server_->Run(); });
  }

  void StopServer() {
    if (server_ == nullptr) return;
    server_->Stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
  }

  HttpConfig config_;
  fs::path dir_;
  std::ostringstream log_stream_;
  Logger logger_{log_stream_, LogLevel::kError};
  ServerMetrics metrics_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<HttpHandlers> handlers_;
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
  uint16_t port_ = 0;
};

// Polls a condition that another thread makes true soon; false if it never does.
template <typename Predicate>
bool Eventually(Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

constexpr char kPing[] = "GET /ping HTTP/1.1\r\nHost: t\r\n\r\n";

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Client client(port_);
  for (int i = 0; i < 3; ++i) {
    client.Send(kPing);
    auto response = client.Read();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->result(), http::status::no_content);
    EXPECT_TRUE(response->keep_alive());
    EXPECT_EQ(response->count("X-Request-Id"), 1u);
  }
  client.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\nm v=1 1\n");
  auto written = client.Read();
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->result(), http::status::no_content);
  client.Send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto last = client.Read();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->result(), http::status::ok);
  EXPECT_FALSE(last->keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client client(port_);
  client.Send(std::string(kPing) + "GET /health HTTP/1.1\r\nHost: t\r\n\r\n" + kPing);
  auto first = client.Read(), second = client.Read(), third = client.Read();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->result(), http::status::no_content);
  EXPECT_EQ(second->result(), http::status::ok);
  EXPECT_EQ(third->result(), http::status::no_content);
}

TEST_F(HttpServerTest, HeadGetsTheHeadersWithoutTheBody) {
  StartServer();
  Client client(port_);
  client.Send("HEAD /health HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = client.Read(/*head_request=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->result(), http::status::ok);
  EXPECT_NE(head->at(http::field::content_length), "0");
  EXPECT_TRUE(head->body().empty());
  client.Send(kPing);  // The connection is still in step.
  auto ping = client.Read();
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(ping->result(), http::status::no_content);
}

TEST_F(HttpServerTest, OversizedHeaderIs431AndCloses) {
  StartServer();
  Client client(port_);
  client.Send("GET /ping HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(8192, 'x') + "\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  StartServer();
  Client client(port_);
  client.Send("GET /ping HTTP/1.1\r\nBad Header Line\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::bad_request);
  EXPECT_THAT(response->body(), HasSubstr("{\"error\":\"malformed request"));
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, DeclaredOversizedBodyIsRefusedBeforeItIsSent) {
  StartServer();
  Client client(port_);
  // Only the header goes out: the answer must not wait for the body.
  client.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::payload_too_large);
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, RefusedBodySentAnywayIsDrainedSoTheAnswerArrives) {
  StartServer();
  Client client(port_);
  // The whole body goes out at once, as clients that do not wait for 100 Continue send it. The
  // server answers 413 on the header and reads the rest away: closing with unread bytes would
  // send a reset that could destroy the answer.
  const size_t size = config_.max_body_bytes * 3 / 2;
  client.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(size) +
              "\r\n\r\n" + std::string(size, 'x'));
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::payload_too_large);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  StartServer();
  Client client(port_);
  client.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(256 << 10, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk.size());
  for (int i = 0; i < 5; ++i) client.Send(std::string(size_line) + chunk + "\r\n");
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::payload_too_large);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredAfterTheHeaderIsAccepted) {
  StartServer();
  Client client(port_);
  client.Send(
      "POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_THAT(client.ReadUntil("\r\n\r\n"), HasSubstr("HTTP/1.1 100 Continue\r\n"));
  client.Send("m v=1 1\n");
  auto response = client.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::no_content);
}

TEST_F(HttpServerTest, ConcurrencyLimitRefusesASecondRequestWhileTheFirstUploads) {
  config_.max_concurrent_requests = 1;
  StartServer();
  Client slow(port_);
  slow.Send(
      "POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n"
      "Expect: 100-continue\r\n\r\n");
  // 100 Continue: the first request holds the only slot and its body is awaited.
  ASSERT_THAT(slow.ReadUntil("\r\n\r\n"), HasSubstr("100 Continue"));
  Client second(port_);
  second.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\nm v=2 2\n");
  auto refused = second.Read();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result(), http::status::too_many_requests);
  EXPECT_EQ(refused->at(http::field::retry_after), "1");
  // Health checks are not limited.
  Client health(port_);
  health.Send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
  auto healthy = health.Read();
  ASSERT_TRUE(healthy.has_value());
  EXPECT_EQ(healthy->result(), http::status::ok);
  // Once the first finishes, the slot is free again.
  slow.Send("m v=1 1\n");
  auto first = slow.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->result(), http::status::no_content);
  Client third(port_);
  third.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\nm v=3 3\n");
  auto accepted = third.Read();
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->result(), http::status::no_content);
}

TEST_F(HttpServerTest, HeaderTimeoutClosesTheConnection) {
  config_.header_timeout = absl::Milliseconds(100);
  StartServer();
  Client client(port_);
  client.Send("GET /ping HTTP/1.1\r\nHost: t\r\n");  // Never finished.
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, BodyTimeoutClosesTheConnection) {
  config_.body_timeout = absl::Milliseconds(100);
  StartServer();
  Client client(port_);
  client.Send("POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nm v=1");
  EXPECT_TRUE(client.ClosedByServer());
  // Its slot is given back (the stream closes the socket on the timeout, just before the
  // session's handler runs and releases the slot).
  EXPECT_TRUE(Eventually([this] { return metrics_.requests_in_flight.value() == 0; }));
}

TEST_F(HttpServerTest, StopFinishesTheRequestInFlightAndClosesIdleConnections) {
  StartServer();
  Client idle(port_);
  idle.Send(kPing);
  ASSERT_TRUE(idle.Read().has_value());  // Now idle between requests.
  Client busy(port_);
  busy.Send(
      "POST /write?db=edge HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n"
      "Expect: 100-continue\r\n\r\n");
  ASSERT_THAT(busy.ReadUntil("\r\n\r\n"), HasSubstr("100 Continue"));

  server_->Stop();
  EXPECT_TRUE(idle.ClosedByServer());
  busy.Send("m v=1 1\n");
  auto response = busy.Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), http::status::no_content);
  EXPECT_FALSE(response->keep_alive());
  runner_.join();  // Run returns once every connection is gone.
  SeriesSelector selector;
  selector.database = "edge";
  selector.measurement = "m";
  auto series = db_->Query(selector);
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0].timestamps, (std::vector<int64_t>{1}));
}

TEST_F(HttpServerTest, StartFailsOnAnAddressInUse) {
  StartServer();
  HttpConfig taken = config_;
  taken.addr = "127.0.0.1:" + std::to_string(port_);
  HttpServer second(taken, handlers_.get(), &metrics_, &logger_);
  const absl::Status s = second.Start();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

TEST_F(HttpServerTest, StartFailsOnMissingTlsFiles) {
  config_.tls_cert = (dir_ / "missing-cert.pem").string();
  config_.tls_key = (dir_ / "missing-key.pem").string();
  auto db = Db::Open(Options(), (dir_ / "data").string());
  ASSERT_TRUE(db.ok());
  const Authenticator auth{AuthConfig()};
  HttpHandlers handlers(db->get(), nullptr, &auth, &metrics_, &logger_, HandlerOptions());
  HttpServer server(config_, &handlers, &metrics_, &logger_);
  const absl::Status s = server.Start();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("TLS certificate"));
}

}  // namespace
}  // namespace edgetsdb::server
