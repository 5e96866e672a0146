// Black-box crash test of `edgetsdb serve`, the HTTP counterpart of tests/db/crash_test.cc. The
// built binary runs as a child process with sync durability; writer threads here POST batches of
// line protocol to /write over kept-alive connections and count a batch as acknowledged only when
// its 204 has arrived whole. The test SIGKILLs the server at random moments (after a random number
// of new acknowledgements, with a request body half sent, with a compaction running), restarts it
// on the same data directory and reads every point back through /query:
//   - every point of an acknowledged batch is there, with its exact values;
//   - a batch that was sent but not acknowledged is there whole or not at all (the server writes a
//     body under 4 MiB as one engine batch), and stays as the first restart found it;
//   - nothing else is there: no point that was never sent, no second copy of one.
// The page cache survives a kill, so this tests process crashes, not power loss.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

extern char** environ;

namespace edgetsdb::testing {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using Json = nlohmann::json;
using Response = http::response<http::string_body>;

// The default seed; --gtest_random_seed=N picks another (for soak runs).
constexpr uint64_t kSeed = 20'251'127;
// Kills cycle through the RoundKinds. 14 kills and some 2,000 acknowledged batches (560,000 points,
// 4.5 million checked over the restarts) take about 15 s on two cores, half of it reading back.
#if defined(__SANITIZE_ADDRESS__)
// The sanitizer build is a Debug build where the server formats and the test parses hundreds of
// thousands of rows many times slower: one cycle of the round kinds, with fewer points, still
// runs every path under the sanitizers. The optimized suite does the full run.
constexpr int kKills = 4;
constexpr uint64_t kMaxAcksPerRound = 40;
#else
constexpr int kKills = 14;
constexpr uint64_t kMaxAcksPerRound = 200;
#endif
constexpr int kWriters = 2;
// After the compaction request of a kCompactInFlight round, so that the kill often lands in it.
constexpr uint64_t kMaxAcksAfterCompaction = 20;
constexpr uint64_t kMinLines = 50;
constexpr uint64_t kMaxLines = 500;
// Point seq of writer w is at kFirstTimestamp + seq seconds: a few hundred thousand points span
// days, so flushes write blocks of many 2 h partitions and compaction has levels to merge.
constexpr int64_t kFirstTimestamp = int64_t{1'700'000'000} * 1'000'000'000;
constexpr int64_t kTimestampStep = 1'000'000'000;
// Small, so that the head is flushed to blocks and the log rolls while the writers run.
constexpr char kMaxHeadBytes[] = "1MiB";
constexpr char kWalSegmentBytes[] = "256KiB";
// A stuck server fails the test instead of hanging it; a socket read or write gives up after
// kIoTimeoutSeconds. Neither is waited out when all goes well.
constexpr auto kDeadline = std::chrono::seconds(60);
constexpr int kIoTimeoutSeconds = 60;

enum class RoundKind {
  kPlain,            // Killed after a random number of acknowledgements.
  kCompactBetween,   // A flush and compaction (204) halfway, the writers still writing.
  kHalfBody,         // Killed when a writer has sent a header and part of its body.
  kCompactInFlight,  // Killed a few acknowledgements after a compaction request was sent.
};
constexpr RoundKind kRoundKinds[] = {RoundKind::kPlain, RoundKind::kCompactBetween,
                                     RoundKind::kHalfBody, RoundKind::kCompactInFlight};

const char* KindName(RoundKind kind) {
  switch (kind) {
    case RoundKind::kPlain:
      return "killed after acknowledgements";
    case RoundKind::kCompactBetween:
      return "compaction between";
    case RoundKind::kHalfBody:
      return "killed mid-body";
    case RoundKind::kCompactInFlight:
      return "killed with a compaction in flight";
  }
  return "?";
}

int64_t TimestampOf(uint64_t seq) {
  return kFirstTimestamp + static_cast<int64_t>(seq) * kTimestampStep;
}

// Sixteenths: binary fractions, so the shortest decimal form is exact both ways; negative too.
double ValueOf(int writer, uint64_t seq) {
  const uint64_t mixed =
      (seq * 2'654'435'761u + static_cast<uint64_t>(writer) * 40'503u) % 1'000'003;
  return static_cast<double>(static_cast<int64_t>(mixed) - 500'000) / 16;
}

std::string Shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string RequestText(std::string_view method, std::string_view target, std::string_view body) {
  return absl::StrCat(std::string(method), " ", std::string(target),
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "Content-Length: ",
                      body.size(), "\r\n\r\n", std::string(body));
}

std::string Describe(const std::optional<Response>& response) {
  if (!response) return "no response (connection failed or cut short)";
  return absl::StrCat(response->result_int(), " ", response->body());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// A blocking HTTP/1.1 client connection over a plain socket, kept alive; Beast parses responses.
// Every failure (refused, reset, a timeout, a response cut short) is nullopt or false: to the
// writers they all mean "not acknowledged".
class Connection {
 public:
  explicit Connection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    // Plain recv and send honour these (Asio's blocking reads would poll past them).
    const timeval timeout{kIoTimeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool Send(std::string_view bytes) {
    while (fd_ >= 0 && !bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return fd_ >= 0;
  }

  std::optional<Response> Read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(uint64_t{1} << 32);
    while (fd_ >= 0) {
      size_t used = 0;
      if (!pending_.empty()) {
        beast::error_code ec;
        used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != http::error::need_more) return std::nullopt;
        if (parser.is_done()) return parser.release();
      }
      if (used == 0) {
        char chunk[64 << 10];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        pending_.append(chunk, static_cast<size_t>(n));
      }
    }
    return std::nullopt;
  }

  std::optional<Response> RoundTrip(std::string_view request) {
    if (!Send(request)) return std::nullopt;
    return Read();
  }

 private:
  int fd_ = -1;
  std::string pending_;  // Received, not yet parsed.
};

// What happened to a batch a writer sent (or started to send).
enum class Fate {
  kAcknowledged,  // 204 received: must be stored, forever.
  kInFlight,      // No 204; not yet looked for after a restart.
  kFoundWhole,    // Not acknowledged, found whole at the first restart after it: must stay.
  kFoundAbsent,   // Not acknowledged, absent at the first restart after it: must stay absent.
};

struct Batch {
  uint64_t first_seq = 0;
  uint64_t lines = 0;
  int round = 0;
  Fate fate = Fate::kInFlight;
};

// One writer's history across every round: its points are m,w=<id> with seq 0, 1, 2, ..., each
// sent once, in batches of consecutive seqs.
struct Writer {
  Writer(int writer_id, uint64_t seed) : id(writer_id), random(seed + 1 + writer_id) {}
  int id;
  std::mt19937_64 random;
  uint64_t next_seq = 0;
  std::vector<Batch> batches;
};

// Shared by the test thread and the writers of one round.
struct RoundControl {
  std::mutex mu;
  std::condition_variable changed;
  uint64_t acks = 0;  // Acknowledged batches, all writers, this round.
  // kHalfBody rounds: the first writer to start a request at or after half_body_at_acks clears
  // half_body (so that it is the only one), sends part of the request, sets half_sent, and waits
  // for killed.
  bool half_body = false;
  uint64_t half_body_at_acks = 0;
  bool half_sent = false;
  bool killing = false;  // From here on a failed request is expected; writers start no new one.
  bool killed = false;   // The server has been reaped.
  int writers_stopped = 0;
  std::string failure;  // The first unexpected failure.
};

uint64_t AcksNow(RoundControl& control) {
  std::lock_guard lock(control.mu);
  return control.acks;
}

std::string WriteBody(const Writer& writer, const Batch& batch) {
  std::string body;
  for (uint64_t seq = batch.first_seq; seq < batch.first_seq + batch.lines; ++seq) {
    absl::StrAppend(&body, "m,w=", writer.id, " seq=", seq,
                    "i,v=", Shortest(ValueOf(writer.id, seq)), " ", TimestampOf(seq), "\n");
  }
  return body;
}

void RunWriter(uint16_t port, int round, Writer* writer, RoundControl* control) {
  Connection connection(port);
  std::string failure;
  if (!connection.connected()) failure = absl::StrCat("writer ", writer->id, ": cannot connect");
  while (failure.empty()) {
    Batch batch;
    batch.first_seq = writer->next_seq;
    batch.lines = kMinLines + writer->random() % (kMaxLines - kMinLines + 1);
    batch.round = round;
    bool half = false;
    {
      std::lock_guard lock(control->mu);
      if (control->killing) break;
      half = control->half_body && control->acks >= control->half_body_at_acks;
      if (half) control->half_body = false;
    }
    const std::string body = WriteBody(*writer, batch);
    const std::string request = RequestText("POST", "/write?db=crash", body);
    // From here on its points may be stored.
    writer->next_seq += batch.lines;
    writer->batches.push_back(batch);
    std::optional<Response> response;
    if (half) {
      const size_t header_bytes = request.size() - body.size();
      const size_t cut = header_bytes + 1 + writer->random() % (body.size() - 1);
      const bool sent = connection.Send(std::string_view(request).substr(0, cut));
      std::unique_lock lock(control->mu);
      control->half_sent = true;
      control->changed.notify_all();
      control->changed.wait(lock, [control] { return control->killed; });
      lock.unlock();
      if (sent && connection.Send(std::string_view(request).substr(cut))) {
        response = connection.Read();
      }
    } else {
      response = connection.RoundTrip(request);
    }
    if (response && response->result_int() == 204) {
      writer->batches.back().fate = Fate::kAcknowledged;
      std::lock_guard lock(control->mu);
      ++control->acks;
      control->changed.notify_all();
      continue;
    }
    failure = absl::StrCat("writer ", writer->id, ", seq ", batch.first_seq, "..",
                           batch.first_seq + batch.lines - 1, ": ", Describe(response));
  }
  std::lock_guard lock(control->mu);
  if (!control->killing && control->failure.empty()) control->failure = failure;
  ++control->writers_stopped;
  control->changed.notify_all();
}

struct Totals {
  uint64_t points_checked = 0;   // Acknowledged points found, summed over every restart.
  uint64_t found_whole = 0;      // Unacknowledged batches found stored.
  uint64_t found_absent = 0;     // Unacknowledged batches found absent.
  uint64_t torn_tail_bytes = 0;  // Truncated at the restarts, as /metrics reports them.
};

class HttpCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = absl::StrCat(::testing::TempDir(), "edgetsdb_http_crash_test_", ::getpid());
    std::filesystem::remove_all(work_);
    std::filesystem::create_directories(work_);
    data_dir_ = work_ + "/data";
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (HasFailure()) {
      std::cout << "kept for inspection: " << work_ << "\n";
    } else {
      std::filesystem::remove_all(work_);
    }
  }

  // Starts `edgetsdb serve` on the data directory, its output to a fresh log, and waits until the
  // log says where it listens: port_ then holds the port (0 after a failure).
  void StartServer() {
    log_ = absl::StrCat(work_, "/server.", starts_++, ".log");
    const char* argv[] = {
        EDGETSDB_BINARY,       "serve",          "--data-dir", data_dir_.c_str(),  "--http-addr",
        "127.0.0.1:0",         "--durability",   "sync",       "--max-head-bytes", kMaxHeadBytes,
        "--wal-segment-bytes", kWalSegmentBytes, nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int error =
        posix_spawn(&pid_, argv[0], &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    port_ = 0;
    if (error != 0) {
      pid_ = -1;
      ADD_FAILURE() << argv[0] << ": " << std::strerror(error);
      return;
    }
    port_ = WaitForListening();
  }

  // The port of the log's msg="listening" line, once it is there whole; 0, with a test failure,
  // when the server exits or the deadline passes first. Wakes on every change in the work
  // directory and on the server's exit; never sleeps.
  uint16_t WaitForListening() {
    const int changes = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    // Glibc 2.36's <sys/pidfd.h> lacks extern "C", so the system call is made directly.
    const int child = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    EXPECT_GE(changes, 0) << std::strerror(errno);
    EXPECT_GE(child, 0) << std::strerror(errno);
    uint16_t port = 0;
    if (changes >= 0 && child >= 0 &&
        inotify_add_watch(changes, work_.c_str(), IN_MODIFY | IN_CREATE) >= 0) {
      const auto deadline = std::chrono::steady_clock::now() + kDeadline;
      while ((port = ListeningPort(ReadFile(log_))) == 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd fds[] = {{changes, POLLIN, 0}, {child, POLLIN, 0}};
        if (left.count() <= 0 || ::poll(fds, 2, static_cast<int>(left.count())) == 0) {
          ADD_FAILURE() << "the server did not listen within " << kDeadline.count() << " s:\n"
                        << ReadFile(log_);
          break;
        }
        if (fds[1].revents != 0) {
          port = ListeningPort(ReadFile(log_));
          if (port == 0) ADD_FAILURE() << "the server exited:\n" << ReadFile(log_);
          break;
        }
        char events[4096];
        while (::read(changes, events, sizeof events) > 0) {
        }
      }
    }
    if (changes >= 0) ::close(changes);
    if (child >= 0) ::close(child);
    return port;
  }

  static uint16_t ListeningPort(std::string_view log) {
    const size_t line = log.find("msg=\"listening\"");
    if (line == std::string_view::npos) return 0;
    const size_t end = log.find('\n', line);
    const size_t addr = log.find(" http_addr=", line);
    if (end == std::string_view::npos || addr == std::string_view::npos || addr > end) return 0;
    const std::string_view value = log.substr(addr, log.find(' ', addr + 1) - addr);
    uint32_t port = 0;
    if (!absl::SimpleAtoi(std::string(value.substr(value.rfind(':') + 1)), &port) || port > 65535) {
      return 0;
    }
    return static_cast<uint16_t>(port);
  }

  // Kills the server (SIGKILL) and reaps it; a failure unless the kill is what ended it.
  void KillServer() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    EXPECT_TRUE(reaped > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the server exited by itself (status " << status << "):\n"
        << ReadFile(log_);
  }

  // Stops the server as an operator would (SIGTERM); it must flush and exit 0.
  void StopServer() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    EXPECT_TRUE(reaped > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << ":\n"
        << ReadFile(log_);
  }

  std::optional<Response> Get(const std::string& target) {
    Connection connection(port_);
    return connection.RoundTrip(RequestText("GET", target, ""));
  }

  // A gauge from /metrics; the engine's counts from the open.
  uint64_t MetricValue(std::string_view name) {
    const std::optional<Response> metrics = Get("/metrics");
    EXPECT_TRUE(metrics && metrics->result_int() == 200) << Describe(metrics);
    if (!metrics) return 0;
    const std::string& text = metrics->body();
    const std::string prefix = absl::StrCat("\n", std::string(name), " ");
    const size_t at = text.find(prefix);
    EXPECT_NE(at, std::string::npos) << name << " is not in /metrics";
    if (at == std::string::npos) return 0;
    const size_t start = at + prefix.size();
    uint64_t value = 0;
    EXPECT_TRUE(absl::SimpleAtoi(text.substr(start, text.find('\n', start) - start), &value));
    return value;
  }

  // One round of writing into a started server, ended by a kill; nonfatal failures only, so that
  // the writers are always joined.
  void WriteAndKill(int round, RoundKind kind, std::mt19937_64& random,
                    std::vector<Writer>& writers) {
    RoundControl control;
    const uint64_t first_target = 1 + random() % kMaxAcksPerRound;
    control.half_body = kind == RoundKind::kHalfBody;
    control.half_body_at_acks = first_target;
    std::vector<std::thread> threads;
    for (Writer& writer : writers) {
      threads.emplace_back(RunWriter, port_, round, &writer, &control);
    }
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    // Until done() or an unexpected failure; false, with a test failure, for the latter.
    auto wait = [&](const std::function<bool()>& done) {
      std::unique_lock lock(control.mu);
      const bool reached = control.changed.wait_until(lock, deadline, [&] {
        return done() || !control.failure.empty() || control.writers_stopped == kWriters;
      });
      if (done()) return true;
      ADD_FAILURE() << (!reached                  ? "no progress from the writers in time"
                        : control.failure.empty() ? "the writers stopped"
                                                  : control.failure)
                    << "\nserver log:\n"
                    << ReadFile(log_);
      return false;
    };

    std::optional<Connection> compaction;
    switch (kind) {
      case RoundKind::kPlain:
        wait([&] { return control.acks >= first_target; });
        break;
      case RoundKind::kHalfBody:
        wait([&] { return control.half_sent; });
        break;
      case RoundKind::kCompactBetween:
        if (wait([&] { return control.acks >= first_target; })) {
          const std::optional<Response> compacted =
              Connection(port_).RoundTrip(RequestText("POST", "/admin/compact", ""));
          EXPECT_TRUE(compacted && compacted->result_int() == 204) << Describe(compacted);
          ++compactions_;
          const uint64_t target = AcksNow(control) + 1 + random() % kMaxAcksPerRound;
          wait([&] { return control.acks >= target; });
        }
        break;
      case RoundKind::kCompactInFlight:
        if (wait([&] { return control.acks >= first_target; })) {
          compaction.emplace(port_);
          EXPECT_TRUE(compaction->Send(RequestText("POST", "/admin/compact", "")));
          ++compactions_in_flight_;
          const uint64_t target = AcksNow(control) + 1 + random() % kMaxAcksAfterCompaction;
          wait([&] { return control.acks >= target; });
        }
        break;
    }
    {
      std::lock_guard lock(control.mu);
      control.killing = true;
    }
    KillServer();
    ++kills_;
    {
      std::lock_guard lock(control.mu);
      control.killed = true;
      control.changed.notify_all();
    }
    for (std::thread& thread : threads) thread.join();
    if (compaction) {
      const std::optional<Response> answer = compaction->Read();
      if (answer) compacted_before_kill_ += answer->result_int() == 204;
    }
  }

  // Reads every point of m back through /query and checks it against what the writers sent
  // (the header comment's three rules); settles the fate of the batches in flight at the kill.
  void CheckStoredPoints(std::vector<Writer>& writers, Totals* totals) {
    bool any_sent = false;
    for (const Writer& writer : writers) any_sent |= !writer.batches.empty();
    const std::optional<Response> response =
        Get("/query?db=crash&epoch=ns&q=" + UrlEncode("SELECT seq, v FROM m GROUP BY w"));
    ASSERT_TRUE(response && response->result_int() == 200) << Describe(response);
    const Json answer = Json::parse(response->body(), nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(answer.is_discarded()) << response->body().substr(0, 1000);
    const Json& result = answer.at("results").at(0);
    std::vector<std::vector<bool>> stored(writers.size());
    for (size_t w = 0; w < writers.size(); ++w) stored[w].assign(writers[w].next_seq, false);
    uint64_t rows = 0;
    if (result.contains("error")) {
      // The database exists from the first write that reaches the log.
      ASSERT_EQ(result["error"], "database not found: crash");
      for (const Writer& writer : writers) {
        for (const Batch& batch : writer.batches) {
          ASSERT_NE(batch.fate, Fate::kAcknowledged) << "the database is gone";
        }
      }
    }
    ASSERT_TRUE(any_sent || !result.contains("series")) << "points stored before any was sent";
    for (const Json& series : result.value("series", Json::array())) {
      const std::string tag = series.at("tags").at("w");
      int w = -1;
      ASSERT_TRUE(absl::SimpleAtoi(tag, &w) && w >= 0 && w < kWriters)
          << "a series no writer wrote: w=" << tag;
      ASSERT_EQ(series.at("columns"), Json::array({"time", "seq", "v"}));
      int64_t previous_time = INT64_MIN;
      for (const Json& row : series.at("values")) {
        ASSERT_TRUE(row.at(0).is_number_integer() && row.at(1).is_number_integer()) << row;
        const int64_t time = row[0].get<int64_t>();
        const uint64_t seq = row[1].get<uint64_t>();
        ASSERT_GT(time, previous_time) << "times out of order or repeated, w=" << w;
        previous_time = time;
        ASSERT_LT(seq, writers[w].next_seq) << "a point never sent: w=" << w << " " << row;
        ASSERT_EQ(time, TimestampOf(seq)) << "w=" << w << " " << row;
        ASSERT_TRUE(row.at(2).is_number() && row[2].get<double>() == ValueOf(w, seq))
            << "w=" << w << " " << row << ": v should be " << Shortest(ValueOf(w, seq));
        stored[w][seq] = true;
        ++rows;
      }
    }

    const std::optional<Response> count =
        Get("/query?db=crash&epoch=ns&q=" + UrlEncode("SELECT count(seq), count(v) FROM m"));
    ASSERT_TRUE(count && count->result_int() == 200) << Describe(count);
    if (rows > 0) {
      const Json counted = Json::parse(count->body(), nullptr, false);
      ASSERT_FALSE(counted.is_discarded()) << count->body();
      const Json& values = counted.at("results").at(0).at("series").at(0).at("values").at(0);
      EXPECT_EQ(values.at(1), rows) << count->body();
      EXPECT_EQ(values.at(2), rows) << count->body();
    }

    for (Writer& writer : writers) {
      const std::vector<bool>& present = stored[writer.id];
      for (Batch& batch : writer.batches) {
        const auto begin = present.begin() + static_cast<ptrdiff_t>(batch.first_seq);
        const auto end = begin + static_cast<ptrdiff_t>(batch.lines);
        const uint64_t found = static_cast<uint64_t>(std::count(begin, end, true));
        const std::string what =
            absl::StrCat("writer ", writer.id, " batch of seq ", batch.first_seq, "..",
                         batch.first_seq + batch.lines - 1, " (round ", batch.round, ")");
        switch (batch.fate) {
          case Fate::kAcknowledged:
            ASSERT_EQ(found, batch.lines)
                << what << ", acknowledged: seq "
                << batch.first_seq + static_cast<uint64_t>(std::find(begin, end, false) - begin)
                << " is missing after the restart";
            totals->points_checked += found;
            break;
          case Fate::kInFlight:
            ASSERT_TRUE(found == 0 || found == batch.lines)
                << what << ", not acknowledged, is torn: " << found << " of " << batch.lines
                << " points stored";
            batch.fate = found == 0 ? Fate::kFoundAbsent : Fate::kFoundWhole;
            ++(found == 0 ? totals->found_absent : totals->found_whole);
            break;
          case Fate::kFoundWhole:
            ASSERT_EQ(found, batch.lines) << what << " was stored whole after an earlier restart";
            break;
          case Fate::kFoundAbsent:
            ASSERT_EQ(found, 0u) << what << " was absent after an earlier restart";
            break;
        }
      }
    }
    EXPECT_EQ(MetricValue("edgetsdb_damaged_files"), 0u)
        << "a killed server leaves at most a torn log tail:\n"
        << ReadFile(log_);
    totals->torn_tail_bytes += MetricValue("edgetsdb_torn_tail_bytes_truncated");
  }

  std::string work_, data_dir_, log_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int starts_ = 0;
  int kills_ = 0;
  int compactions_ = 0;
  int compactions_in_flight_ = 0;
  int compacted_before_kill_ = 0;
};

TEST_F(HttpCrashTest, EveryAcknowledgedWriteSurvivesSigkillAtRandomMoments) {
  const auto started = std::chrono::steady_clock::now();
  const uint64_t seed = GTEST_FLAG_GET(random_seed) != 0 ? GTEST_FLAG_GET(random_seed) : kSeed;
  std::mt19937_64 random(seed);
  std::vector<Writer> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(w, seed);
  Totals totals;
  double check_seconds = 0;

  for (int round = 0; round < kKills; ++round) {
    const RoundKind kind = kRoundKinds[round % std::size(kRoundKinds)];
    SCOPED_TRACE(absl::StrCat("round ", round, ", ", KindName(kind)));
    StartServer();
    ASSERT_NE(port_, 0);
    const auto check_start = std::chrono::steady_clock::now();
    ASSERT_NO_FATAL_FAILURE(CheckStoredPoints(writers, &totals));
    check_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - check_start).count();
    WriteAndKill(round, kind, random, writers);
    ASSERT_FALSE(HasFailure());
  }
  // After the last kill, and again after a clean stop, which flushes the head to blocks.
  for (const char* stage : {"after the last kill", "after a clean stop"}) {
    SCOPED_TRACE(stage);
    StartServer();
    ASSERT_NE(port_, 0);
    ASSERT_NO_FATAL_FAILURE(CheckStoredPoints(writers, &totals));
    StopServer();
  }

  uint64_t acknowledged_batches = 0, acknowledged_points = 0;
  for (const Writer& writer : writers) {
    for (const Batch& batch : writer.batches) {
      if (batch.fate != Fate::kAcknowledged) continue;
      ++acknowledged_batches;
      acknowledged_points += batch.lines;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  RecordProperty("kills", kills_);
  RecordProperty("acknowledged_batches", static_cast<int>(acknowledged_batches));
  RecordProperty("points_checked", static_cast<int>(totals.points_checked));
  std::cout << "http crash test (seed " << seed << "): " << kills_ << " kills, "
            << acknowledged_batches << " acknowledged batches (" << acknowledged_points
            << " points), " << totals.points_checked << " points checked over " << starts_
            << " restarts; unacknowledged batches: " << totals.found_whole << " found stored, "
            << totals.found_absent << " absent; " << compactions_ << " compactions between, "
            << compacted_before_kill_ << " of " << compactions_in_flight_
            << " in-flight compactions answered before the kill; " << totals.torn_tail_bytes
            << " torn-tail bytes truncated; " << seconds << " s, " << check_seconds
            << " s checking\n";
}

}  // namespace
}  // namespace edgetsdb::testing
