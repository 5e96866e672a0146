// `edgetsdb serve` as users run it: the built binary in a child process on a free loopback port
// (--http-addr 127.0.0.1:0, the port read from its "listening" log line), driven with real
// clients: curl, the influx 1.x CLI, and raw sockets where a test must control the bytes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace edgetsdb {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Generous: on a loaded CI machine the server may take a while to start; no test waits for a
// deadline to pass, only for events that come well before it.
constexpr auto kDeadline = std::chrono::seconds(60);

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const fs::path& path, std::string_view contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

// Runs argv to completion with stdout and stderr to files; returns its exit code (-1 if it did
// not exit normally).
int RunProcess(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& arg : copy) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << args[0] << ": " << std::strerror(spawned);
    return -1;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// The server process. Its stderr (the log) is read by a thread, so that tests wait for log lines
// as they come.
class Server {
 public:
  Server(const std::string& data_dir, std::vector<std::string> flags) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    std::vector<std::string> args = {EDGETSDB_BINARY, "serve", "--data-dir", data_dir};
    if (std::find(flags.begin(), flags.end(), "--http-addr") == flags.end()) {
      args.push_back("--http-addr");
      args.push_back("127.0.0.1:0");
    }
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int spawned =
        posix_spawn(&pid_, EDGETSDB_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run " << EDGETSDB_BINARY << ": " << std::strerror(spawned);
      close(pipe_fds[0]);
      pid_ = 0;
      return;
    }
    reader_ = std::thread([this, fd = pipe_fds[0]] {
      char buf[4096];
      for (;;) {
        const ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        std::lock_guard<std::mutex> lock(mu_);
        if (n <= 0) {
          eof_ = true;
          cv_.notify_all();
          break;
        }
        log_.append(buf, n);
        cv_.notify_all();
      }
      close(fd);
    });
  }

  ~Server() {
    if (pid_ > 0 && exit_code_ == kRunning) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (reader_.joinable()) reader_.join();
  }

  // Waits for the log line that gives the bound port; 0 when the server never listened.
  int WaitForPort() {
    std::smatch match;
    const std::regex listening(R"(msg="listening" http_addr=127\.0\.0\.1:(\d+))");
    if (!WaitForLogMatching(
            [&](const std::string& log) { return std::regex_search(log, match, listening); })) {
      ADD_FAILURE() << "the server did not start; its log:\n" << log();
      return 0;
    }
    return std::stoi(match[1]);
  }

  bool WaitForLog(std::string_view text) {
    return WaitForLogMatching(
        [text](const std::string& log) { return log.find(text) != log.npos; });
  }

  template <typename Predicate>
  bool WaitForLogMatching(Predicate predicate) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return predicate(log_) || eof_; }) &&
           predicate(log_);
  }

  std::string log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

  void Signal(int signal) { kill(pid_, signal); }

  // Waits for the process to exit; its exit code, or -1 when a signal ended it.
  int Wait() {
    if (exit_code_ != kRunning) return exit_code_;
    int status = 0;
    exit_code_ = waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (reader_.joinable()) reader_.join();  // The log is complete.
    return exit_code_;
  }

 private:
  static constexpr int kRunning = -2;
  pid_t pid_ = 0;
  int exit_code_ = kRunning;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string log_;
  bool eof_ = false;
};

struct CurlResult {
  int exit_code = -1;
  int status = 0;       // HTTP status; 0 when there was no response.
  std::string headers;  // As received, lower-cased names not guaranteed.
  std::string body;

  bool HasHeader(std::string_view line_start) const {
    std::istringstream lines(headers);
    for (std::string line; std::getline(lines, line);) {
      if (strncasecmp(line.c_str(), line_start.data(), line_start.size()) == 0) return true;
    }
    return false;
  }
};

// A raw HTTP/1.1 client connection, for requests curl cannot stall halfway.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
  }
  ~RawClient() { close(fd_); }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        ADD_FAILURE() << "send: " << std::strerror(errno);
        return;
      }
      bytes.remove_prefix(n);
    }
  }

  // Reads until text has arrived, the connection ends, or the deadline passes; returns all that
  // was received.
  std::string ReadUntil(std::string_view text) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (text.empty() || received_.find(text) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      received_.append(buf, n);
    }
    return received_;
  }

  // Reads until the server closes the connection.
  std::string ReadToEnd() { return ReadUntil(""); }

 private:
  int fd_ = -1;
  std::string received_;
};

// curl's --data-binary argument for a file's contents.
std::string DataFile(const fs::path& path) {
  std::string arg = "@";
  arg += path.string();
  return arg;
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  EXPECT_EQ(
      deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

class HttpIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "http_integration_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    data_dir_ = (dir_ / "data").string();
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // Starts the server and learns its port.
  void Start(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<Server>(data_dir_, std::move(flags));
    port_ = server_->WaitForPort();
    ASSERT_NE(port_, 0);
  }

  std::string Url(std::string_view path_and_query, bool tls = false) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
           std::string(path_and_query);
  }

  // curl with args (before the URL), then the URL.
  CurlResult Curl(std::vector<std::string> args, const std::string& url) {
    const fs::path headers = dir_ / "curl.headers", body = dir_ / "curl.body",
                   out = dir_ / "curl.out", err = dir_ / "curl.err";
    std::vector<std::string> argv = {"curl", "-sS",         "-D", headers.string(),
                                     "-o",   body.string(), "-w", "%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    CurlResult result;
    result.exit_code = RunProcess(argv, out, err);
    result.status = std::atoi(ReadFile(out).c_str());
    result.headers = ReadFile(headers);
    result.body = ReadFile(body);
    fs::remove(headers);
    fs::remove(body);
    return result;
  }

  CurlResult Write(std::string_view lines, std::string_view query = "db=edge") {
    const fs::path file = dir_ / "lines.lp";
    WriteFile(file, lines);
    return Curl({"-XPOST", "--data-binary", DataFile(file)}, Url("/write?" + std::string(query)));
  }

  CurlResult Query(std::string_view q, std::string_view extra = "",
                   std::vector<std::string> args = {}) {
    args.insert(args.end(), {"-G", "--data-urlencode", "q=" + std::string(q)});
    return Curl(args, Url("/query?" + std::string(extra)));
  }

  fs::path dir_;
  std::string data_dir_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(HttpIntegrationTest, PingAndHealth) {
  Start();
  const CurlResult ping = Curl({}, Url("/ping"));
  EXPECT_EQ(ping.status, 204);
  EXPECT_TRUE(ping.HasHeader("X-Influxdb-Version: 1.8.10-edgetsdb-")) << ping.headers;
  EXPECT_TRUE(ping.HasHeader("X-Influxdb-Build: OSS"));
  EXPECT_TRUE(ping.HasHeader("X-Request-Id: "));
  const CurlResult head = Curl({"-I"}, Url("/ping"));
  EXPECT_EQ(head.status, 204);
  const CurlResult health = Curl({}, Url("/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(health.HasHeader("Content-Type: application/json"));
  EXPECT_THAT(health.body, AllOf(HasSubstr("\"name\":\"edgetsdb\""),
                                 HasSubstr("\"message\":\"ready for queries and writes\""),
                                 HasSubstr("\"status\":\"pass\""), HasSubstr("\"version\":\"")));
  const CurlResult missing = Curl({}, Url("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "{\"error\":\"not found\"}\n");
}

TEST_F(HttpIntegrationTest, WriteThenQuery) {
  Start();
  const CurlResult written =
      Write("cpu,host=a usage=1.5 1700000000000000000\ncpu,host=b usage=2.5 1700000001000000000\n");
  EXPECT_EQ(written.status, 204) << written.body;
  const CurlResult v2 = Curl({"-XPOST", "--data-binary", "cpu,host=c usage=3 1700000002", "-H",
                              "Authorization: Token ignored-when-auth-is-off"},
                             Url("/api/v2/write?org=x&bucket=edge/autogen&precision=s"));
  EXPECT_EQ(v2.status, 204) << v2.body;

  const CurlResult result = Query("SELECT usage FROM cpu GROUP BY host", "db=edge&epoch=s");
  ASSERT_NE(result.status, 501) << "the query engine is not implemented";
  EXPECT_EQ(result.status, 200) << result.body;
  EXPECT_TRUE(result.HasHeader("Content-Type: application/json"));
  EXPECT_EQ(result.body,
            "{\"results\":[{\"statement_id\":0,\"series\":["
            "{\"name\":\"cpu\",\"tags\":{\"host\":\"a\"},\"columns\":[\"time\",\"usage\"],"
            "\"values\":[[1700000000,1.5]]},"
            "{\"name\":\"cpu\",\"tags\":{\"host\":\"b\"},\"columns\":[\"time\",\"usage\"],"
            "\"values\":[[1700000001,2.5]]},"
            "{\"name\":\"cpu\",\"tags\":{\"host\":\"c\"},\"columns\":[\"time\",\"usage\"],"
            "\"values\":[[1700000002,3]]}]}]}\n");

  // q in a form body, as Grafana and the influx CLI send it; CSV on request; chunks.
  const CurlResult form = Curl({"-XPOST", "--data-urlencode", "q=SHOW DATABASES"}, Url("/query"));
  EXPECT_EQ(form.status, 200);
  EXPECT_THAT(form.body, HasSubstr("[\"edge\"]"));
  const CurlResult csv =
      Query("SELECT usage FROM cpu", "db=edge", {"-H", "Accept: application/csv"});
  EXPECT_EQ(csv.status, 200);
  EXPECT_TRUE(csv.HasHeader("Content-Type: text/csv"));
  EXPECT_THAT(csv.body, StartsWith("name,tags,time,usage\n"));
  const CurlResult chunked = Query("SELECT usage FROM cpu", "db=edge&chunked=true&chunk_size=1");
  EXPECT_EQ(chunked.status, 200);
  EXPECT_TRUE(chunked.HasHeader("Transfer-Encoding: chunked"));
  EXPECT_EQ(std::count(chunked.body.begin(), chunked.body.end(), '\n'), 3);

  const CurlResult parse_error = Query("SELEC");
  EXPECT_EQ(parse_error.status, 400);
  EXPECT_THAT(parse_error.body, StartsWith("{\"error\":\"error parsing query: "));
}

TEST_F(HttpIntegrationTest, PartialWriteListsTheBadLines) {
  Start();
  const CurlResult response = Write(
      "m v=1 1\n"
      "m v= 2\n"
      "m,t= v=3 3\n"
      "m v=4 4\n");
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(response.HasHeader("Content-Type: application/json"));
  EXPECT_EQ(response.body,
            "{\"error\":\"partial write: line 2: unable to parse 'm v= 2': missing field "
            "value\\nline 3: unable to parse 'm,t= v=3 3': missing tag value dropped=0\"}\n");
  const CurlResult count = Query("SELECT count(v) FROM m", "db=edge");
  EXPECT_THAT(count.body, HasSubstr("[[\"1970-01-01T00:00:00Z\",2]]"));
  const CurlResult no_db = Curl({"-XPOST", "--data-binary", "m v=1"}, Url("/write"));
  EXPECT_EQ(no_db.status, 400);
  EXPECT_EQ(no_db.body, "{\"error\":\"database is required\"}\n");
}

TEST_F(HttpIntegrationTest, GzipBodiesAndTheBodyLimit) {
  Start({"--max-body-bytes", "64KiB"});
  std::string lines;
  for (int i = 0; lines.size() < (32 << 10); ++i) {
    lines += "m,i=" + std::to_string(i % 10) + " v=" + std::to_string(i) + " " +
             std::to_string(i + 1) + "\n";
  }
  const fs::path gz = dir_ / "lines.lp.gz";
  WriteFile(gz, Gzip(lines));
  const CurlResult gzipped =
      Curl({"-XPOST", "-H", "Content-Encoding: gzip", "--data-binary", DataFile(gz)},
           Url("/write?db=edge"));
  EXPECT_EQ(gzipped.status, 204) << gzipped.body;

  // Over the limit as sent, and over it once inflated.
  const CurlResult too_large = Write(std::string(100 << 10, 'x'));
  EXPECT_EQ(too_large.status, 413);
  EXPECT_THAT(too_large.body, StartsWith("{\"error\":\""));
  std::string big;
  while (big.size() <= (64 << 10)) big += "m v=1 1\n";
  WriteFile(gz, Gzip(big));
  const CurlResult bomb =
      Curl({"-XPOST", "-H", "Content-Encoding: gzip", "--data-binary", DataFile(gz)},
           Url("/write?db=edge"));
  EXPECT_EQ(bomb.status, 413);
  const CurlResult corrupt =
      Curl({"-XPOST", "-H", "Content-Encoding: gzip", "--data-binary", "not gzip"},
           Url("/write?db=edge"));
  EXPECT_EQ(corrupt.status, 400);
}

TEST_F(HttpIntegrationTest, AuthWhenConfigured) {
  Start({"--auth-token", "t0ken", "--auth-username", "admin", "--auth-password", "pw"});
  EXPECT_EQ(Curl({}, Url("/ping")).status, 204);
  EXPECT_EQ(Curl({}, Url("/health")).status, 200);
  const CurlResult anonymous = Query("SHOW DATABASES");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body, "{\"error\":\"unable to parse authentication credentials\"}\n");
  const CurlResult wrong = Query("SHOW DATABASES", "", {"-u", "admin:wrong"});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, "{\"error\":\"authorization failed\"}\n");
  EXPECT_EQ(Query("SHOW DATABASES", "", {"-u", "admin:pw"}).status, 200);
  EXPECT_EQ(Query("SHOW DATABASES", "u=admin&p=pw").status, 200);
  EXPECT_EQ(Query("SHOW DATABASES", "", {"-H", "Authorization: Token t0ken"}).status, 200);
  EXPECT_EQ(Curl({"-H", "Authorization: Bearer t0ken"}, Url("/metrics")).status, 200);
  EXPECT_EQ(Curl({}, Url("/metrics")).status, 401);
  EXPECT_EQ(Write("m v=1 1").status, 401);
  EXPECT_EQ(Curl({"-XPOST", "-H", "Authorization: Token t0ken", "--data-binary", "m v=1 1"},
                 Url("/write?db=edge"))
                .status,
            204);
}

TEST_F(HttpIntegrationTest, AuthOffAcceptsAnonymousRequests) {
  Start();
  EXPECT_EQ(Write("m v=1 1").status, 204);
  EXPECT_EQ(Query("SHOW DATABASES").status, 200);
  EXPECT_EQ(Curl({}, Url("/metrics")).status, 200);
}

TEST_F(HttpIntegrationTest, ConcurrencyLimitAnswers429WhileAnUploadStalls) {
  Start({"--max-concurrent-requests", "1"});
  RawClient stalled(port_);
  stalled.Send(
      "POST /write?db=edge HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n"
      "Expect: 100-continue\r\n\r\n");
  // Its header was accepted: it holds the only slot while its body is awaited.
  ASSERT_THAT(stalled.ReadUntil("\r\n\r\n"), HasSubstr("HTTP/1.1 100 Continue"));
  const CurlResult refused = Write("m v=2 2");
  EXPECT_EQ(refused.status, 429);
  EXPECT_TRUE(refused.HasHeader("Retry-After: 1")) << refused.headers;
  EXPECT_THAT(refused.body, HasSubstr("too many requests"));
  EXPECT_EQ(Curl({}, Url("/ping")).status, 204);  // Not limited.

  stalled.Send("m v=1 1\n");
  EXPECT_THAT(stalled.ReadUntil("HTTP/1.1 204"), HasSubstr("HTTP/1.1 204 No Content"));
  EXPECT_EQ(Write("m v=3 3").status, 204);
  const CurlResult metrics = Curl({}, Url("/metrics"));
  EXPECT_THAT(metrics.body,
              HasSubstr("edgetsdb_http_requests_total{endpoint=\"write\",code=\"429\"} 1\n"));
}

TEST_F(HttpIntegrationTest, SigtermFinishesTheRequestInFlightFlushesAndExitsZero) {
  Start();
  ASSERT_EQ(Write("m v=1 1000000000\n").status, 204);
  RawClient in_flight(port_);
  in_flight.Send(
      "POST /write?db=edge HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n"
      "Expect: 100-continue\r\n\r\n");
  ASSERT_THAT(in_flight.ReadUntil("\r\n\r\n"), HasSubstr("100 Continue"));

  server_->Signal(SIGTERM);
  ASSERT_TRUE(server_->WaitForLog("msg=\"stopping\""));
  in_flight.Send("m v=2 2000000000\n");
  // The response comes, then the server closes the connection.
  const std::string response = in_flight.ReadToEnd();
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 204 No Content"));
  EXPECT_THAT(response, HasSubstr("Connection: close"));
  EXPECT_EQ(server_->Wait(), 0) << server_->log();
  EXPECT_THAT(server_->log(), AllOf(HasSubstr("msg=\"flushed\""), HasSubstr("msg=\"stopped\"")));

  // Restarted on the same directory: both points are there.
  Start();
  const CurlResult result = Query("SELECT v FROM m", "db=edge&epoch=s");
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(result.body, HasSubstr("\"values\":[[1,1],[2,2]]"));
  server_->Signal(SIGINT);
  EXPECT_EQ(server_->Wait(), 0);
}

TEST_F(HttpIntegrationTest, Tls) {
  const std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
  ASSERT_EQ(RunProcess({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"},
                       dir_ / "openssl.out", dir_ / "openssl.err"),
            0)
      << ReadFile(dir_ / "openssl.err");
  Start({"--tls-cert", cert, "--tls-key", key});
  EXPECT_THAT(server_->log(), HasSubstr("tls=true"));
  EXPECT_EQ(Curl({"-k"}, Url("/ping", /*tls=*/true)).status, 204);
  const CurlResult written =
      Curl({"-k", "-XPOST", "--data-binary", "m v=1 1"}, Url("/write?db=edge", /*tls=*/true));
  EXPECT_EQ(written.status, 204) << written.body;
  const CurlResult queried =
      Curl({"-k", "-G", "--data-urlencode", "q=SELECT v FROM m", "--data-urlencode", "db=edge"},
           Url("/query", /*tls=*/true));
  EXPECT_EQ(queried.status, 200);
  EXPECT_THAT(queried.body, HasSubstr("\"values\":[["));
  // Plain HTTP to the TLS port gets no HTTP answer.
  const CurlResult plain = Curl({}, Url("/ping"));
  EXPECT_NE(plain.status, 204);
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0);
}

TEST_F(HttpIntegrationTest, InfluxCliShowDatabases) {
  Start();
  ASSERT_EQ(Write("m v=1 1", "db=plant").status, 204);
  const CurlResult probe = Query("SHOW DATABASES");
  if (probe.status == 501) {
    // The query engine is not implemented yet (501 Unimplemented): the CLI can only fail.
    GTEST_SKIP() << "the query engine answers 501";
  }
  const fs::path out = dir_ / "influx.out", err = dir_ / "influx.err";
  const int exit_code = RunProcess({"influx", "-host", "127.0.0.1", "-port", std::to_string(port_),
                                    "-execute", "SHOW DATABASES"},
                                   out, err);
  EXPECT_EQ(exit_code, 0) << ReadFile(err);
  EXPECT_THAT(ReadFile(out), AllOf(HasSubstr("name: databases"), HasSubstr("plant")));
  // And a write and a read through it.
  EXPECT_EQ(RunProcess({"influx", "-host", "127.0.0.1", "-port", std::to_string(port_), "-database",
                        "plant", "-execute", "INSERT m v=2 2"},
                       out, err),
            0)
      << ReadFile(err);
  EXPECT_EQ(RunProcess({"influx", "-host", "127.0.0.1", "-port", std::to_string(port_), "-database",
                        "plant", "-precision", "ns", "-execute", "SELECT v FROM m"},
                       out, err),
            0)
      << ReadFile(err);
  EXPECT_THAT(ReadFile(out), AllOf(HasSubstr("name: m"), HasSubstr("\n1 "), HasSubstr("\n2 ")));
}

TEST_F(HttpIntegrationTest, MetricsCountWritesAndRejections) {
  Start();
  ASSERT_EQ(Write("m v=1 1\nm v=2 2\n").status, 204);
  ASSERT_EQ(Write("m v=\n").status, 400);
  const CurlResult metrics = Curl({}, Url("/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(metrics.HasHeader("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(metrics.body,
              AllOf(HasSubstr("\nedgetsdb_points_written_total 2\n"),
                    HasSubstr("\nedgetsdb_points_rejected_total{reason=\"parse\"} 1\n"),
                    HasSubstr("edgetsdb_http_requests_total{endpoint=\"write\",code=\"204\"} 1\n"),
                    HasSubstr("edgetsdb_http_requests_total{endpoint=\"write\",code=\"400\"} 1\n"),
                    HasSubstr("\nedgetsdb_wal_syncs_total "),
                    HasSubstr("edgetsdb_database_disk_bytes{database=\"edge\"}"),
                    HasSubstr("edgetsdb_query_duration_seconds_bucket{le=\"+Inf\"}"),
                    HasSubstr("\nedgetsdb_http_open_connections "),
                    HasSubstr("\nedgetsdb_http_requests_in_flight 0\n")));
  EXPECT_EQ(Curl({"-XPOST"}, Url("/admin/compact")).status, 204);
}

TEST_F(HttpIntegrationTest, BadConfigurationExitsTwo) {
  const fs::path config = dir_ / "edgetsdb.toml";
  WriteFile(config, "[http]\naddr = \"127.0.0.1:0\"\nmax_body = 5\n");
  Server from_file(data_dir_, {"--config", config.string()});
  EXPECT_EQ(from_file.Wait(), 2);
  EXPECT_THAT(from_file.log(), HasSubstr("unknown key 'http.max_body'"));
  EXPECT_FALSE(fs::exists(data_dir_));  // Nothing was opened.

  Server from_flag(data_dir_, {"--http-threads", "many"});
  EXPECT_EQ(from_flag.Wait(), 2);
  EXPECT_THAT(from_flag.log(), HasSubstr("--http-threads: not an integer: 'many'"));
}

TEST_F(HttpIntegrationTest, AddressInUseExitsOne) {
  Start();
  Server second((dir_ / "other").string(), {"--http-addr", "127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(second.Wait(), 1);
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port_)));
}

}  // namespace
}  // namespace edgetsdb
