// iot_bench: the HTTP macro benchmark's client. It loads the IoT workload (bench/iot_workload.h)
// into an InfluxDB 1.x compatible server over /write on several keep-alive connections, optionally
// asks edgetsdb to compact, and times four typical InfluxQL queries over /query, checking every
// answer. It runs against edgetsdb and InfluxDB alike; bench/iot_side_by_side.sh runs it against
// both and adds what only the server's process shows (resident memory, bytes on disk).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/iot_workload.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "nlohmann/json.hpp"

namespace edgetsdb::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr char kProgram[] = "iot_bench";
constexpr char kUsage[] = R"(usage: iot_bench [options]

Loads a deterministic IoT workload (TSBS-like: devices with tags site, fleet, model and device, 12
fields a line, readings every 10 s with jitter, some late) into an InfluxDB 1.x compatible server
over HTTP, then times four InfluxQL queries. Every write must be answered 204 and every query
must return the expected number of series and rows; otherwise the exit status is 1.

  --target HOST:PORT     the server (default 127.0.0.1:8086)
  --db NAME              database (default iot_bench); created first (CREATE DATABASE) unless
                         --no-create-db
  --phases LIST          comma-separated, run in this order: generate (the bodies only, for
                         --write-line-protocol or to see the workload; load generates them too),
                         load, compact (POST /admin/compact: edgetsdb only), query (default
                         load,query)
  --connections K        load connections, one thread each (default 4)
  --devices N            devices, 1..10000 (default 1000)
  --devices-per-site N   (default 50)
  --duration D           simulated time, e.g. 24h, 30m (default 24h)
  --start T              first slot, RFC 3339 (2024-01-01T00:00:00Z) or nanoseconds since the
                         epoch; default: the data ends at the last whole hour before now. Give the
                         same start to every phase and server that must see the same data.
  --late-fraction F      readings sent late, 0..1 (default 0.01), by 10 s to 30 min
  --seed S               (default 1)
  --lines-per-body N     lines per POST (default 5000)
  --query-runs N         timed runs of each query (default 20), after --query-warmup N (default 2)
  --lenient              report queries whose answers have unexpected counts, but do not fail
  --csv FILE             also write every figure as key,value lines to FILE
  --write-line-protocol FILE  also write the generated bodies to FILE
  --help                 this text

A point is one field value: points/s = lines x 12 / the load's wall time, from the first request
to the last answer. The bodies are generated in memory before the load (about 220 bytes a line).
)";

struct Args {
  std::string host = "127.0.0.1";
  std::string port = "8086";
  std::string db = "iot_bench";
  bool create_db = true;
  bool generate = false, load = true, compact = false, query = true;
  int connections = 4;
  IotWorkloadOptions workload;
  bool start_given = false;
  int query_runs = 20;
  int query_warmup = 2;
  bool lenient = false;
  std::string csv_file;
  std::string line_protocol_file;
};

// ---------------------------------------------------------------------------------------------
// HTTP.

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", u);
    }
  }
  return out;
}

struct HttpReply {
  int status = 0;
  std::string body;
};

// One keep-alive HTTP/1.1 connection, used by one thread. It connects on first use and again
// after a transport error or a "Connection: close".
class HttpConnection {
 public:
  HttpConnection(std::string host, std::string port)
      : host_(std::move(host)), port_(std::move(port)) {}

  absl::Status Connect() {
    if (socket_.is_open()) return absl::OkStatus();
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(host_, port_, ec);
    if (ec) return Unavailable("resolve", ec);
    asio::connect(socket_, endpoints, ec);
    if (ec) return Unavailable("connect", ec);
    // Requests go out whole, and a query's latency must not wait for a delayed ACK.
    socket_.set_option(tcp::no_delay(true), ec);
    buffer_.clear();
    return absl::OkStatus();
  }

  // Sends the request and reads the whole answer; a transport error is Unavailable.
  absl::StatusOr<HttpReply> Send(http::verb verb, const std::string& target,
                                 std::string_view body) {
    if (absl::Status s = Connect(); !s.ok()) return s;
    // span_body sends the caller's bytes without copying them into the request.
    http::request<http::span_body<const char>> request{verb, target, 11};
    request.set(http::field::host, host_ + ":" + port_);
    request.set(http::field::user_agent, kProgram);
    if (!body.empty()) request.set(http::field::content_type, "text/plain; charset=utf-8");
    request.body() = boost::beast::span<const char>(body.data(), body.size());
    request.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, request, ec);
    if (ec) return Fail("write", ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(uint64_t{1} << 32);  // A query may answer with many rows.
    http::read(socket_, buffer_, parser, ec);
    if (ec) return Fail("read", ec);
    HttpReply reply;
    reply.status = parser.get().result_int();
    const bool keep_alive = parser.get().keep_alive();
    reply.body = std::move(parser.get().body());
    if (!keep_alive) Close();
    return reply;
  }

 private:
  absl::Status Unavailable(std::string_view what, const boost::system::error_code& ec) const {
    return absl::UnavailableError(
        absl::StrCat(std::string(what), " ", host_, ":", port_, ": ", ec.message()));
  }
  absl::Status Fail(std::string_view what, const boost::system::error_code& ec) {
    Close();
    return Unavailable(what, ec);
  }
  void Close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::string host_, port_;
  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
};

std::string Excerpt(std::string_view body) {
  constexpr size_t kMax = 300;
  std::string text(body.substr(0, kMax));
  if (body.size() > kMax) text += "...";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// ---------------------------------------------------------------------------------------------
// Figures.

struct Figures {
  std::vector<std::pair<std::string, std::string>> values;  // In order of measurement.
  void Add(std::string key, std::string value) { values.emplace_back(std::move(key), value); }
  void Add(std::string key, double value) { Add(std::move(key), absl::StrFormat("%.6g", value)); }
  void Add(std::string key, uint64_t value) { Add(std::move(key), absl::StrCat(value)); }
};

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// ---------------------------------------------------------------------------------------------
// Phases.

absl::Status CheckQueryAnswer(const HttpReply& reply, const std::string& what) {
  if (reply.status != 200) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " answered HTTP ", reply.status, ": ", Excerpt(reply.body)));
  }
  const nlohmann::json json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " answered with no JSON object: ", Excerpt(reply.body)));
  }
  if (const auto error = json.find("error"); error != json.end()) {
    return absl::FailedPreconditionError(absl::StrCat(what, " failed: ", error->dump()));
  }
  const auto results = json.find("results");
  if (results == json.end() || !results->is_array()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " answered without results: ", Excerpt(reply.body)));
  }
  for (const nlohmann::json& result : *results) {
    if (const auto error = result.find("error"); error != result.end()) {
      return absl::FailedPreconditionError(absl::StrCat(what, " failed: ", error->dump()));
    }
  }
  return absl::OkStatus();
}

absl::Status CreateDatabase(const Args& args) {
  HttpConnection connection(args.host, args.port);
  const std::string statement = absl::StrCat("CREATE DATABASE \"", args.db, "\"");
  absl::StatusOr<HttpReply> reply =
      connection.Send(http::verb::post, "/query?q=" + UrlEncode(statement), "");
  if (!reply.ok()) return reply.status();
  return CheckQueryAnswer(*reply, statement);
}

// The whole workload in memory, so that the load measures the server rather than the generator.
absl::StatusOr<std::vector<std::string>> Generate(const Args& args, Figures* figures) {
  absl::StatusOr<std::unique_ptr<IotWorkload>> workload = IotWorkload::Create(args.workload);
  if (!workload.ok()) return workload.status();
  const Clock::time_point generate_start = Clock::now();
  std::vector<std::string> bodies;
  uint64_t body_bytes = 0;
  for (std::string body; (*workload)->NextBody(&body);) {
    body_bytes += body.size();
    bodies.push_back(std::move(body));
    body = std::string();
  }
  const double generate_s = Millis(Clock::now() - generate_start) / 1e3;
  const uint64_t lines = (*workload)->lines_produced();
  const uint64_t late = (*workload)->late_lines_produced();
  absl::PrintF(
      "workload: %d devices in %d sites, %s of readings every %s from %s; %d lines x %d fields "
      "= %d points, %d late (%.2f%%); %d bodies of up to %d lines, %.1f MB (%.0f bytes a line), "
      "generated in %.1f s\n",
      args.workload.devices, (*workload)->sites(),
      absl::FormatDuration(absl::Nanoseconds(args.workload.duration_ns)),
      absl::FormatDuration(absl::Nanoseconds(args.workload.interval_ns)),
      absl::FormatTime(absl::RFC3339_full, absl::FromUnixNanos(args.workload.start_ns),
                       absl::UTCTimeZone()),
      lines, kIotFieldsPerLine, lines * kIotFieldsPerLine, late,
      100.0 * static_cast<double>(late) / lines, bodies.size(), args.workload.lines_per_body,
      body_bytes / 1e6, static_cast<double>(body_bytes) / lines, generate_s);
  figures->Add("lines", lines);
  figures->Add("points", lines * kIotFieldsPerLine);
  figures->Add("late_lines", late);
  figures->Add("body_bytes", body_bytes);
  if (!args.line_protocol_file.empty()) {
    std::FILE* file = std::fopen(args.line_protocol_file.c_str(), "w");
    if (file == nullptr) {
      return absl::PermissionDeniedError("cannot write " + args.line_protocol_file);
    }
    bool ok = true;
    for (const std::string& body : bodies) {
      ok = ok && std::fwrite(body.data(), 1, body.size(), file) == body.size();
    }
    ok = std::fclose(file) == 0 && ok;
    if (!ok) return absl::InternalError("writing " + args.line_protocol_file + " failed");
  }
  return bodies;
}

absl::Status Load(const Args& args, const std::vector<std::string>& bodies, Figures* figures) {
  uint64_t body_bytes = 0, lines = 0;
  for (const std::string& body : bodies) {
    body_bytes += body.size();
    lines += std::count(body.begin(), body.end(), '\n');
  }
  const uint64_t points = lines * kIotFieldsPerLine;
  const std::string target = "/write?db=" + UrlEncode(args.db);
  std::atomic<size_t> next_body{0};
  std::atomic<uint64_t> failed{0};
  std::mutex mutex;  // Guards first_failure and latencies.
  std::string first_failure;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(bodies.size());
  std::latch ready(args.connections + 1);
  const auto load = [&] {
    HttpConnection connection(args.host, args.port);
    absl::Status connected = connection.Connect();
    ready.arrive_and_wait();
    if (!connected.ok()) {
      std::lock_guard lock(mutex);
      if (first_failure.empty()) first_failure = connected.ToString();
    }
    std::vector<double> mine;
    for (size_t i; (i = next_body.fetch_add(1)) < bodies.size();) {
      const Clock::time_point start = Clock::now();
      absl::StatusOr<HttpReply> reply = connection.Send(http::verb::post, target, bodies[i]);
      mine.push_back(Millis(Clock::now() - start));
      if (reply.ok() && reply->status == 204) continue;
      failed.fetch_add(1);
      std::lock_guard lock(mutex);
      if (first_failure.empty()) {
        first_failure = reply.ok()
                            ? absl::StrCat("HTTP ", reply->status, ": ", Excerpt(reply->body))
                            : reply.status().ToString();
      }
    }
    std::lock_guard lock(mutex);
    latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < args.connections; ++i) threads.emplace_back(load);
  ready.arrive_and_wait();
  const Clock::time_point start = Clock::now();
  for (std::thread& thread : threads) thread.join();
  const double seconds = Millis(Clock::now() - start) / 1e3;
  std::sort(latencies_ms.begin(), latencies_ms.end());

  const double points_per_s = static_cast<double>(points) / seconds;
  absl::PrintF(
      "load: %d connections, %.2f s: %.3f M points/s (%.0f lines/s, %.1f MB/s); POST /write "
      "latency median %.1f ms, p99 %.1f ms; %d of %d requests failed\n",
      args.connections, seconds, points_per_s / 1e6, static_cast<double>(lines) / seconds,
      static_cast<double>(body_bytes) / seconds / 1e6, Percentile(latencies_ms, 0.5),
      Percentile(latencies_ms, 0.99), failed.load(), bodies.size());
  figures->Add("load_connections", static_cast<uint64_t>(args.connections));
  figures->Add("load_seconds", seconds);
  figures->Add("load_points_per_s", points_per_s);
  figures->Add("load_failed_requests", failed.load());
  figures->Add("write_latency_p50_ms", Percentile(latencies_ms, 0.5));
  figures->Add("write_latency_p99_ms", Percentile(latencies_ms, 0.99));
  if (failed.load() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        failed.load(), " of ", bodies.size(), " writes failed; the first: ", first_failure));
  }
  return absl::OkStatus();
}

absl::Status Compact(const Args& args, Figures* figures) {
  HttpConnection connection(args.host, args.port);
  const Clock::time_point start = Clock::now();
  absl::StatusOr<HttpReply> reply = connection.Send(http::verb::post, "/admin/compact", "");
  const double seconds = Millis(Clock::now() - start) / 1e3;
  if (!reply.ok()) return reply.status();
  if (reply->status != 200 && reply->status != 204) {
    return absl::FailedPreconditionError(absl::StrCat("POST /admin/compact answered HTTP ",
                                                      reply->status, ": ", Excerpt(reply->body)));
  }
  absl::PrintF("compact: POST /admin/compact answered %d after %.2f s\n", reply->status, seconds);
  figures->Add("compact_seconds", seconds);
  return absl::OkStatus();
}

struct QueryAnswer {
  size_t series = 0;
  size_t rows = 0;
  size_t columns = 0;    // Of the first series.
  double value_sum = 0;  // Of every number in the columns after time: a fingerprint.
};

absl::StatusOr<QueryAnswer> ReadQueryAnswer(const HttpReply& reply, const std::string& what) {
  if (absl::Status s = CheckQueryAnswer(reply, what); !s.ok()) return s;
  const nlohmann::json json = nlohmann::json::parse(reply.body, nullptr, false);
  QueryAnswer answer;
  for (const nlohmann::json& result : json["results"]) {
    const auto series = result.find("series");
    if (series == result.end()) continue;
    if (!series->is_array()) return absl::FailedPreconditionError(what + ": series not an array");
    for (const nlohmann::json& one : *series) {
      const auto values = one.find("values");
      const auto columns = one.find("columns");
      if (values == one.end() || !values->is_array() || columns == one.end() ||
          !columns->is_array() || columns->empty() || *columns->begin() != "time") {
        return absl::FailedPreconditionError(
            absl::StrCat(what, ": a series without time and values: ", Excerpt(one.dump())));
      }
      if (answer.series == 0) answer.columns = columns->size();
      ++answer.series;
      answer.rows += values->size();
      for (const nlohmann::json& row : *values) {
        if (!row.is_array() || row.size() != columns->size() || !row[0].is_number_integer()) {
          return absl::FailedPreconditionError(absl::StrCat(
              what, ": a row that does not match its columns (epoch=ns times are integers): ",
              Excerpt(row.dump())));
        }
        for (size_t c = 1; c < row.size(); ++c) {
          if (row[c].is_number()) answer.value_sum += row[c].get<double>();
        }
      }
    }
  }
  return answer;
}

absl::Status RunQueries(const Args& args, Figures* figures) {
  HttpConnection connection(args.host, args.port);
  absl::PrintF("%-44s %5s %10s %10s %7s %7s\n", "query", "runs", "median ms", "p90 ms", "series",
               "rows");
  int unexpected = 0;
  for (const IotQuery& query : IotQueries(args.workload)) {
    const std::string target =
        absl::StrCat("/query?db=", UrlEncode(args.db), "&epoch=ns&q=", UrlEncode(query.influxql));
    std::vector<double> latencies_ms;
    std::optional<QueryAnswer> first;
    for (int run = 0; run < args.query_warmup + args.query_runs; ++run) {
      const Clock::time_point start = Clock::now();
      absl::StatusOr<HttpReply> reply = connection.Send(http::verb::get, target, "");
      const double ms = Millis(Clock::now() - start);
      if (!reply.ok()) return reply.status();
      absl::StatusOr<QueryAnswer> answer = ReadQueryAnswer(*reply, query.influxql);
      if (!answer.ok()) return answer.status();
      if (!first) {
        first = *answer;
      } else if (answer->rows != first->rows || answer->series != first->series) {
        return absl::FailedPreconditionError(
            absl::StrCat(query.influxql, ": answers differ between runs"));
      }
      if (run >= args.query_warmup) latencies_ms.push_back(ms);
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    const double median = Percentile(latencies_ms, 0.5), p90 = Percentile(latencies_ms, 0.9);
    absl::PrintF("%-44s %5d %10.2f %10.2f %7d %7d\n", query.description, args.query_runs, median,
                 p90, first->series, first->rows);
    figures->Add("query_" + query.name + "_median_ms", median);
    figures->Add("query_" + query.name + "_p90_ms", p90);
    figures->Add("query_" + query.name + "_series", static_cast<uint64_t>(first->series));
    figures->Add("query_" + query.name + "_rows", static_cast<uint64_t>(first->rows));
    figures->Add("query_" + query.name + "_columns", static_cast<uint64_t>(first->columns));
    // Enough digits for bench/iot_side_by_side.sh to compare two servers' answers.
    figures->Add("query_" + query.name + "_value_sum", absl::StrFormat("%.15g", first->value_sum));
    if (first->series != query.expected_series || first->rows != query.expected_rows) {
      absl::FPrintF(stderr, "%s: %s: %d series and %d rows, expected %d and %d\n", kProgram,
                    query.influxql, first->series, first->rows, query.expected_series,
                    query.expected_rows);
      ++unexpected;
    }
  }
  for (const IotQuery& query : IotQueries(args.workload)) {
    absl::PrintF("  %s: %s\n", query.name, query.influxql);
  }
  if (unexpected > 0 && !args.lenient) {
    return absl::FailedPreconditionError(
        absl::StrCat(unexpected, " queries answered with unexpected counts (see above)"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Command line.

// Debian's Abseil has its own string_view, not std::string_view.
absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

template <typename T>
bool ParseNumber(std::string_view text, T min, T max, T* out) {
  T value{};
  if constexpr (std::is_floating_point_v<T>) {
    if (!absl::SimpleAtod(AbslView(text), &value)) return false;
  } else {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  }
  if (!(value >= min && value <= max)) return false;
  *out = value;
  return true;
}

// Returns 0 to go on, or the exit status to stop with (-1: stop with 0).
int ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    }
    if (arg == "--no-create-db") {
      args->create_db = false;
      continue;
    }
    if (arg == "--lenient") {
      args->lenient = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (!value) {
      if (i + 1 >= argc) {
        absl::FPrintF(stderr, "%s: %s needs a value (or is unknown)\n%s", kProgram, name, kUsage);
        return 2;
      }
      value = argv[++i];
    }
    const auto bad = [&](std::string_view what) {
      absl::FPrintF(stderr, "%s: %s must be %s, got '%s'\n", kProgram, name, what, *value);
      return 2;
    };
    IotWorkloadOptions& w = args->workload;
    if (name == "--target") {
      const size_t colon = value->rfind(':');
      if (colon == std::string_view::npos || colon == 0 || colon + 1 == value->size()) {
        return bad("HOST:PORT");
      }
      args->host = std::string(value->substr(0, colon));
      args->port = std::string(value->substr(colon + 1));
    } else if (name == "--db") {
      if (value->empty() || value->find('"') != std::string_view::npos) return bad("a name");
      args->db = std::string(*value);
    } else if (name == "--phases") {
      args->generate = args->load = args->compact = args->query = false;
      for (const absl::string_view phase : absl::StrSplit(AbslView(*value), ',')) {
        if (phase == "generate") {
          args->generate = true;
        } else if (phase == "load") {
          args->load = true;
        } else if (phase == "compact") {
          args->compact = true;
        } else if (phase == "query") {
          args->query = true;
        } else {
          return bad("a list of generate, load, compact, query");
        }
      }
    } else if (name == "--connections") {
      if (!ParseNumber(*value, 1, 64, &args->connections)) return bad("1..64");
    } else if (name == "--devices") {
      if (!ParseNumber(*value, 1, kMaxFleetDevices, &w.devices)) return bad("1..10000");
    } else if (name == "--devices-per-site") {
      if (!ParseNumber(*value, 1, kMaxFleetDevices, &w.devices_per_site)) return bad("1..10000");
    } else if (name == "--duration") {
      absl::Duration duration;
      if (!absl::ParseDuration(AbslView(*value), &duration) || duration <= absl::ZeroDuration()) {
        return bad("a duration such as 24h or 30m");
      }
      w.duration_ns = absl::ToInt64Nanoseconds(duration);
    } else if (name == "--start") {
      absl::Time time;
      std::string error;
      if (!ParseNumber<int64_t>(*value, 0, INT64_MAX, &w.start_ns)) {
        if (!absl::ParseTime(absl::RFC3339_full, AbslView(*value), &time, &error)) {
          return bad("RFC 3339 or nanoseconds since the epoch");
        }
        w.start_ns = absl::ToUnixNanos(time);
      }
      args->start_given = true;
    } else if (name == "--late-fraction") {
      if (!ParseNumber(*value, 0.0, 1.0, &w.late_fraction)) return bad("0..1");
    } else if (name == "--seed") {
      if (!ParseNumber<uint64_t>(*value, 0, UINT64_MAX, &w.seed)) return bad("an integer");
    } else if (name == "--lines-per-body") {
      if (!ParseNumber<size_t>(*value, 1, 10'000'000, &w.lines_per_body)) {
        return bad("1..10000000");
      }
    } else if (name == "--query-runs") {
      if (!ParseNumber(*value, 1, 100'000, &args->query_runs)) return bad("1..100000");
    } else if (name == "--query-warmup") {
      if (!ParseNumber(*value, 0, 100'000, &args->query_warmup)) return bad("0..100000");
    } else if (name == "--write-line-protocol") {
      args->line_protocol_file = std::string(*value);
    } else if (name == "--csv") {
      args->csv_file = std::string(*value);
    } else {
      absl::FPrintF(stderr, "%s: unknown option %s\n%s", kProgram, arg, kUsage);
      return 2;
    }
  }
  if (!args->start_given) {
    // Live data, as a gateway sends it: the last slot ends at the last whole hour.
    const int64_t now_ns = absl::ToUnixNanos(absl::Now());
    args->workload.start_ns = now_ns / kNanosPerHour * kNanosPerHour - args->workload.duration_ns;
  }
  if (absl::Status s = ValidateIotWorkloadOptions(args->workload); !s.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kProgram, s.message());
    return 2;
  }
  return 0;
}

int Main(int argc, char** argv) {
  Args args;
  if (const int status = ParseArgs(argc, argv, &args); status != 0) {
    return status < 0 ? 0 : status;
  }
  Figures figures;
  figures.Add("target", args.host + ":" + args.port);
  figures.Add("devices", static_cast<uint64_t>(args.workload.devices));
  figures.Add("start_ns", absl::StrCat(args.workload.start_ns));
  figures.Add("duration_ns", absl::StrCat(args.workload.duration_ns));
  absl::Status status;
  std::vector<std::string> bodies;
  if (args.generate || args.load) {
    absl::StatusOr<std::vector<std::string>> generated = Generate(args, &figures);
    status = generated.status();
    if (generated.ok()) bodies = std::move(*generated);
  }
  if (status.ok() && args.create_db && (args.load || args.query)) status = CreateDatabase(args);
  if (status.ok() && args.load) status = Load(args, bodies, &figures);
  bodies = std::vector<std::string>();  // The queries' timings need no gigabytes of swap-bait.
  if (status.ok() && args.compact) status = Compact(args, &figures);
  if (status.ok() && args.query) status = RunQueries(args, &figures);
  if (!args.csv_file.empty()) {
    std::FILE* file = std::fopen(args.csv_file.c_str(), "w");
    if (file == nullptr) {
      absl::FPrintF(stderr, "%s: cannot write %s\n", kProgram, args.csv_file);
      return 1;
    }
    absl::FPrintF(file, "key,value\n");
    for (const auto& [key, value] : figures.values) absl::FPrintF(file, "%s,%s\n", key, value);
    absl::FPrintF(file, "ok,%d\n", status.ok() ? 1 : 0);
    std::fclose(file);
  }
  if (!status.ok()) {
    absl::FPrintF(stderr, "%s: %s\n", kProgram, status.message());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace edgetsdb::bench

int main(int argc, char** argv) { return edgetsdb::bench::Main(argc, argv); }
