#include "tests/query/influxdb_oracle.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace edgetsdb::testing {
namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

// influxd 1.6 answers /ping within a second of starting on the development machine; the bound is
// generous for a loaded CI runner. Polls, not a fixed sleep: the wait ends at the first 204.
constexpr int kStartPolls = 600;
constexpr auto kPollInterval = std::chrono::milliseconds(50);
// SIGTERM makes influxd close its shards; SIGKILL after this many polls.
constexpr int kStopPolls = 200;
// One query of the differential tests takes milliseconds; a stuck server must not hang CI.
constexpr auto kExchangeTimeout = std::chrono::seconds(60);
constexpr auto kPingTimeout = std::chrono::seconds(2);
// Result bodies of the tests are at most a few MB; Beast's default limit for a response is 8 MB.
constexpr uint64_t kMaxBodyBytes = uint64_t{1} << 30;

// The executable's path when `name` is on the PATH, else empty.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Loopback ports nothing listens on: the kernel's choice for a bind to port 0. Both sockets are
// held until both ports are known so that they differ. Another program may take a port before
// influxd binds it; influxd then exits, and Start says so.
absl::StatusOr<std::array<int, 2>> FreeLoopbackPorts() {
  std::array<int, 2> fds = {-1, -1};
  std::array<int, 2> ports = {0, 0};
  absl::Status status;
  for (size_t i = 0; i < fds.size() && status.ok(); ++i) {
    fds[i] = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (fds[i] < 0 || ::bind(fds[i], reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fds[i], reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      status =
          absl::UnavailableError(absl::StrCat("no free loopback port: ", std::strerror(errno)));
    } else {
      ports[i] = ntohs(address.sin_port);
    }
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  if (!status.ok()) return status;
  return ports;
}

std::string ReadTail(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string text = contents.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

std::string Config(const fs::path& dir, int http_port, int rpc_port) {
  const std::string d = dir.string();
  return absl::StrCat("reporting-disabled = true\n",                               //
                      "bind-address = \"127.0.0.1:", rpc_port, "\"\n",             //
                      "[meta]\n  dir = \"", d, "/meta\"\n",                        //
                      "[data]\n  dir = \"", d, "/data\"\n",                        //
                      "  wal-dir = \"", d, "/wal\"\n",                             //
                      "  wal-fsync-delay = \"0s\"\n",                              //
                      "  query-log-enabled = false\n",                             //
                      "[monitor]\n  store-enabled = false\n",                      //
                      "[http]\n  bind-address = \"127.0.0.1:", http_port, "\"\n",  //
                      "  log-enabled = false\n",                                   //
                      "  pprof-enabled = false\n",                                 //
                      "[logging]\n  level = \"error\"\n  suppress-logo = true\n",  //
                      "[continuous_queries]\n  enabled = false\n",                 //
                      "[subscriber]\n  enabled = false\n",                         //
                      "[retention]\n  enabled = false\n");
}

// RFC 3986 unreserved bytes pass; everything else is %XX (what a form body and a query string
// both accept).
std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// One request on a fresh connection to 127.0.0.1:port. Asynchronous under the hood only so that
// the stream's deadline bounds every step; the call itself blocks.
absl::StatusOr<HttpReply> Exchange(int port, http::verb verb, std::string target,
                                   std::string_view content_type, std::string body,
                                   std::chrono::steady_clock::duration timeout) {
  net::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> request(verb, target, 11);
  request.set(http::field::host, absl::StrCat("127.0.0.1:", port));
  if (!content_type.empty()) {
    request.set(http::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
  }
  request.body() = std::move(body);
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  beast::error_code failure;
  const net::ip::tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"),
                                        static_cast<unsigned short>(port));
  stream.expires_after(timeout);
  stream.async_connect(endpoint, [&](beast::error_code ec) {
    if (ec) {
      failure = ec;
      return;
    }
    http::async_write(stream, request, [&](beast::error_code ec, size_t) {
      if (ec) {
        failure = ec;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) { failure = ec; });
    });
  });
  io.run();
  if (failure) {
    return absl::UnavailableError(absl::StrCat("HTTP ", std::string(http::to_string(verb)), " ",
                                               target, ": ", failure.message()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  HttpReply reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = std::move(parser.get().body());
  return reply;
}

// Stops pid: SIGTERM, then SIGKILL when it has not exited after kStopPolls polls. Reaps it.
void Stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int poll = 0; poll < kStopPolls; ++poll) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(kPollInterval);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<InfluxdbOracle>> InfluxdbOracle::Start() {
  const std::string influxd = FindOnPath("influxd");
  if (influxd.empty()) {
    return absl::NotFoundError("influxd (InfluxDB 1.x, Debian package influxdb) is not installed");
  }
  absl::StatusOr<std::array<int, 2>> ports = FreeLoopbackPorts();
  if (!ports.ok()) return ports.status();
  const int http_port = (*ports)[0];
  const int rpc_port = (*ports)[1];

  std::string pattern = (fs::temp_directory_path() / "edgetsdb-influxd.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  const fs::path dir = pattern;
  const fs::path config = dir / "influxdb.conf";
  const fs::path log = dir / "influxd.log";
  {
    std::ofstream out(config);
    out << Config(dir, http_port, rpc_port);
    if (!out) {
      fs::remove_all(dir);
      return absl::InternalError(absl::StrCat("cannot write ", config.string()));
    }
  }

  std::vector<std::string> args;
  const std::string setpriv = FindOnPath("setpriv");
  if (!setpriv.empty()) args = {setpriv, "--pdeathsig", "TERM", "--"};
  args.insert(args.end(), {influxd, "-config", config.string()});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    fs::remove_all(dir);
    return absl::UnavailableError(
        absl::StrCat("cannot run ", args[0], ": ", std::strerror(spawned)));
  }
  // From here on the destructor stops the server and removes the directory.
  std::unique_ptr<InfluxdbOracle> oracle(new InfluxdbOracle(dir, pid, http_port));

  for (int poll = 0; poll < kStartPolls; ++poll) {
    int wait_status = 0;
    if (::waitpid(pid, &wait_status, WNOHANG) == pid) {
      oracle->pid_ = -1;  // Reaped: nothing to stop.
      return absl::UnavailableError(absl::StrCat("influxd exited (status ", wait_status,
                                                 ") before answering /ping; its log ends with:\n",
                                                 ReadTail(log, 2000)));
    }
    absl::StatusOr<HttpReply> ping =
        Exchange(http_port, http::verb::get, "/ping", "", "", kPingTimeout);
    if (ping.ok() && ping->status == 204) return oracle;
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::UnavailableError(absl::StrCat("influxd did not answer /ping with 204 on port ",
                                             http_port, "; its log ends with:\n",
                                             ReadTail(log, 2000)));
}

InfluxdbOracle::~InfluxdbOracle() {
  if (pid_ > 0) Stop(pid_);
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

absl::Status InfluxdbOracle::Write(std::string_view database, std::string_view line_protocol) {
  absl::StatusOr<HttpReply> reply =
      Exchange(http_port_, http::verb::post,
               absl::StrCat("/write?db=", PercentEncode(database), "&precision=ns"), "text/plain",
               std::string(line_protocol), kExchangeTimeout);
  if (!reply.ok()) return reply.status();
  if (reply->status != 204) {
    return absl::InternalError(
        absl::StrCat("influxd /write answered ", reply->status, ": ", reply->body));
  }
  return absl::OkStatus();
}

absl::StatusOr<HttpReply> InfluxdbOracle::Query(std::string_view database, std::string_view text) {
  std::string form = absl::StrCat("q=", PercentEncode(text), "&epoch=ns");
  if (!database.empty()) absl::StrAppend(&form, "&db=", PercentEncode(database));
  return Exchange(http_port_, http::verb::post, "/query", "application/x-www-form-urlencoded",
                  std::move(form), kExchangeTimeout);
}

}  // namespace edgetsdb::testing
