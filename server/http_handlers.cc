#include "server/http_handlers.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "db/line_protocol.h"
#include "db/storage_layout.h"
#include "query/result_format.h"
#include "server/gzip.h"

#ifndef EDGETSDB_VERSION
#define EDGETSDB_VERSION "unknown"
#endif

namespace edgetsdb::server {
namespace {

// Debian's Abseil has its own string_view, distinct from std's.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string Message(const absl::Status& status) { return std::string(status.message()); }

constexpr char kJson[] = "application/json";
// InfluxDB 1.x answers Accept: application/csv (or text/csv) with this Content-Type.
constexpr char kCsv[] = "text/csv";
// A write body is parsed and written in pieces of about this many bytes of whole lines: one
// batch per piece keeps every log record far under the log's record limit (16 MiB) and the
// memory of a batch bounded, whatever the body limit.
constexpr size_t kWritePieceBytes = 4 << 20;
// Headers cannot carry a newline, and a long one helps nobody.
constexpr size_t kMaxErrorHeaderBytes = 1024;

std::string_view QueryPart(std::string_view target) {
  const size_t question = target.find('?');
  return question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view HeaderValue(const Request& request, http::field field) {
  const auto it = request.find(field);
  if (it == request.end()) return {};
  return StdView(it->value());
}

// The first media type of an Accept or Content-Type header, lower-cased, without parameters.
std::string MediaType(std::string_view header) {
  header = header.substr(0, header.find(','));
  header = header.substr(0, header.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(AbslView(header)));
}

// The engine refused the points themselves (db.h): InvalidArgument for a field type conflict or
// a batch too large for one log record, OutOfRange for points older than the retention. Any
// other error concerns the whole write.
bool RefusesPoints(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsOutOfRange(status);
}

// The line protocol of one request written through the engine, InfluxDB's partial write: every
// good line is stored, and every bad one reported with its number and reason.
//
// The body is written in pieces (kWritePieceBytes); each is one batch, durable when Db::Write
// returns. A batch is all or nothing in the engine, so when the engine refuses one for some of
// its points (a field type conflict, points older than the retention) the piece is split in two
// at a line boundary and each half written again, down to the single lines it refuses: k bad
// lines among n cost about 2k·log2(n) writes instead of n.
class BodyWriter {
 public:
  BodyWriter(Db* db, std::string_view database, Precision precision, int64_t now_ns,
             ServerMetrics* metrics)
      : db_(db), database_(database), precision_(precision), now_ns_(now_ns), metrics_(metrics) {}

  // An error when the whole write failed (the disk budget, a stopped engine); lines written
  // before it stay written.
  absl::Status Write(std::string_view body) {
    size_t first_line = 1;
    for (size_t pos = 0; pos < body.size();) {
      size_t end = pos + kWritePieceBytes;
      if (end >= body.size()) {
        end = body.size();
      } else {
        const size_t newline = body.find('\n', end);
        end = newline == std::string_view::npos ? body.size() : newline + 1;
      }
      const std::string_view piece = body.substr(pos, end - pos);
      if (absl::Status s = WriteLines(piece, first_line, /*report_parse_errors=*/true); !s.ok()) {
        return s;
      }
      first_line += std::count(piece.begin(), piece.end(), '\n');
      pos = end;
    }
    return absl::OkStatus();
  }

  bool partial() const { return bad_lines_ > 0; }
  size_t dropped() const { return dropped_; }

  // InfluxDB's message: "partial write: <each bad line and why, one a line> dropped=N", where N
  // counts the points the engine refused (lines that do not parse are not points).
  std::string PartialWriteMessage() const {
    std::string message = absl::StrCat("partial write: ", absl::StrJoin(errors_, "\n"));
    if (bad_lines_ > errors_.size()) {
      absl::StrAppend(&message, "\n(and ", bad_lines_ - errors_.size(), " more bad lines)");
    }
    absl::StrAppend(&message, " dropped=", dropped_);
    return message;
  }

 private:
  absl::Status WriteLines(std::string_view text, size_t first_line, bool report_parse_errors) {
    batch_.Clear();
    const ParseResult parse = ParseLineProtocol(text, precision_, now_ns_, &batch_);
    if (report_parse_errors) RecordParseErrors(parse, first_line);
    if (batch_.empty()) return absl::OkStatus();
    const absl::Status written = db_->Write(database_, batch_);
    if (written.ok()) return absl::OkStatus();
    const size_t points = batch_.point_count();
    if (!RefusesPoints(written)) {
      metrics_->points_rejected.Add(
          {absl::IsResourceExhausted(written) ? kRejectSpace : kRejectError}, points);
      return written;
    }
    const size_t middle = MiddleNewline(text);
    if (middle == std::string_view::npos) {
      // One line, refused on its own.
      const bool too_old = absl::IsOutOfRange(written);
      metrics_->points_rejected.Add({too_old ? kRejectRetention : kRejectInvalid}, points);
      dropped_ += points;
      Report(absl::StrCat("line ", first_line, ": ",
                          too_old ? std::string("points beyond retention policy")
                                  : std::string(written.message())));
      return absl::OkStatus();
    }
    const std::string_view head = text.substr(0, middle + 1);
    if (absl::Status s = WriteLines(head, first_line, false); !s.ok()) return s;
    return WriteLines(text.substr(middle + 1),
                      first_line + std::count(head.begin(), head.end(), '\n'), false);
  }

  // A newline near the middle of text that has a line on both sides of it, or npos when text is
  // one line (with or without its newline).
  static size_t MiddleNewline(std::string_view text) {
    std::string_view lines = text;
    while (!lines.empty() && (lines.back() == '\n' || lines.back() == '\r')) {
      lines.remove_suffix(1);
    }
    size_t at = lines.find('\n', lines.size() / 2);
    if (at == std::string_view::npos) at = lines.rfind('\n', lines.size() / 2);
    return at;
  }

  void RecordParseErrors(const ParseResult& parse, size_t first_line) {
    if (parse.error_count == 0) return;
    metrics_->points_rejected.Add({kRejectParse}, parse.error_count);
    for (const LineError& error : parse.errors) {
      // The parser numbers lines from the start of the piece, in its reason too.
      std::string_view reason = error.reason;
      if (const std::string prefix = absl::StrCat("line ", error.line, ": ");
          absl::StartsWith(AbslView(reason), prefix)) {
        reason.remove_prefix(prefix.size());
      }
      Report(absl::StrCat("line ", first_line + error.line - 1, ": ", std::string(reason)));
    }
    bad_lines_ += parse.error_count - parse.errors.size();  // Counted, not listed.
  }

  void Report(std::string message) {
    ++bad_lines_;
    if (errors_.size() < kMaxReportedErrors) errors_.push_back(std::move(message));
  }

  Db* const db_;
  const std::string_view database_;
  const Precision precision_;
  const int64_t now_ns_;
  ServerMetrics* const metrics_;
  WriteBatch batch_;
  std::vector<std::string> errors_;
  size_t bad_lines_ = 0;
  size_t dropped_ = 0;
};

std::string RfcDate() {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(), absl::UTCTimeZone());
}

bool CountsAgainstLimit(Endpoint endpoint) {
  return endpoint == Endpoint::kWrite || endpoint == Endpoint::kWriteV2 ||
         endpoint == Endpoint::kQuery || endpoint == Endpoint::kCompact;
}

}  // namespace

Endpoint RouteOf(std::string_view path) {
  if (path == "/ping") return Endpoint::kPing;
  if (path == "/health") return Endpoint::kHealth;
  if (path == "/metrics") return Endpoint::kMetrics;
  if (path == "/write") return Endpoint::kWrite;
  if (path == "/api/v2/write") return Endpoint::kWriteV2;
  if (path == "/query") return Endpoint::kQuery;
  if (path == "/admin/compact") return Endpoint::kCompact;
  return Endpoint::kUnknown;
}

std::string_view EndpointName(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kPing:
      return "ping";
    case Endpoint::kHealth:
      return "health";
    case Endpoint::kMetrics:
      return "metrics";
    case Endpoint::kWrite:
      return "write";
    case Endpoint::kWriteV2:
      return "write_v2";
    case Endpoint::kQuery:
      return "query";
    case Endpoint::kCompact:
      return "compact";
    case Endpoint::kUnknown:
      break;
  }
  return "other";
}

http::status HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return http::status::ok;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return http::status::bad_request;
    case absl::StatusCode::kUnauthenticated:
      return http::status::unauthorized;
    case absl::StatusCode::kPermissionDenied:
      return http::status::forbidden;
    case absl::StatusCode::kNotFound:
      return http::status::not_found;
    case absl::StatusCode::kResourceExhausted:
      return http::status::insufficient_storage;
    case absl::StatusCode::kUnimplemented:
      return http::status::not_implemented;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return http::status::service_unavailable;
    default:
      return http::status::internal_server_error;
  }
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Params ParseQueryString(std::string_view query) {
  Params params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      params.emplace_back(UrlDecode(pair), "");
    } else {
      params.emplace_back(UrlDecode(pair.substr(0, equals)), UrlDecode(pair.substr(equals + 1)));
    }
  }
  return params;
}

std::string ParamValue(const Params& params, std::string_view key) {
  for (const auto& [name, value] : params) {
    if (name == key) return value;
  }
  return "";
}

InFlightSlot& InFlightSlot::operator=(InFlightSlot&& other) noexcept {
  if (this != &other) {
    Release();
    count_ = std::exchange(other.count_, nullptr);
    gauge_ = std::exchange(other.gauge_, nullptr);
  }
  return *this;
}

void InFlightSlot::Release() {
  if (count_ == nullptr) return;
  count_->fetch_sub(1, std::memory_order_acq_rel);
  gauge_->Add(-1);
  count_ = nullptr;
  gauge_ = nullptr;
}

HttpHandlers::HttpHandlers(Db* db, query::QueryEngine* engine, const Authenticator* auth,
                           ServerMetrics* metrics, Logger* logger, HandlerOptions options)
    : db_(db),
      engine_(engine),
      auth_(auth),
      metrics_(metrics),
      logger_(logger),
      options_(options) {}

std::string HttpHandlers::InfluxVersion() { return "1.8.10-edgetsdb-" EDGETSDB_VERSION; }

std::string HttpHandlers::NewRequestId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  const uint64_t high = (random() & ~uint64_t{0xf000}) | 0x4000;                 // Version 4.
  const uint64_t low = (random() & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);  // RFC 4122.
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32, (high >> 16) & 0xffff,
                         high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

Response HttpHandlers::ErrorResponse(http::status status, std::string_view message,
                                     unsigned version) {
  Response response(status, version);
  response.set(http::field::content_type, kJson);
  std::string header(message.substr(0, kMaxErrorHeaderBytes));
  std::replace_if(
      header.begin(), header.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  response.set("X-Influxdb-Error", header);
  response.body() = query::FormatJsonError(message);
  return response;
}

void HttpHandlers::Finish(Response& response, std::string_view request_id, bool keep_alive) {
  response.set("X-Request-Id", BeastView(request_id));
  response.set("Request-Id", BeastView(request_id));
  response.set("X-Influxdb-Version", InfluxVersion());
  response.set("X-Influxdb-Build", "OSS");
  response.set(http::field::date, RfcDate());
  if (response.find(http::field::content_type) == response.end()) {
    response.set(http::field::content_type, kJson);
  }
  response.keep_alive(keep_alive);
  const unsigned code = response.result_int();
  if (code == 204 || code == 304 || code < 200) {
    response.body().clear();
    response.erase(http::field::content_length);
  } else if (!response.chunked()) {
    response.content_length(response.body().size());
  }
}

std::optional<Response> HttpHandlers::Screen(const Request& header, Endpoint endpoint,
                                             InFlightSlot* slot) {
  const unsigned version = header.version();
  if (endpoint == Endpoint::kUnknown) {
    return ErrorResponse(http::status::not_found, "not found", version);
  }
  const http::verb method = header.method();
  const bool get = method == http::verb::get, head = method == http::verb::head,
             post = method == http::verb::post;
  std::string_view allow;
  switch (endpoint) {
    case Endpoint::kPing:
    case Endpoint::kHealth:
    case Endpoint::kMetrics:
      if (!get && !head) allow = "GET, HEAD";
      break;
    case Endpoint::kQuery:
      if (!get && !post) allow = "GET, POST";
      break;
    default:
      if (!post) allow = "POST";
  }
  if (!allow.empty()) {
    Response response =
        ErrorResponse(http::status::method_not_allowed,
                      absl::StrCat("method not allowed (", std::string(allow), ")"), version);
    response.set(http::field::allow, BeastView(allow));
    return response;
  }
  if (endpoint != Endpoint::kPing && endpoint != Endpoint::kHealth && auth_->enabled()) {
    const Params params = ParseQueryString(QueryPart(StdView(header.target())));
    const absl::Status auth = auth_->Check(HeaderValue(header, http::field::authorization),
                                           ParamValue(params, "u"), ParamValue(params, "p"));
    if (!auth.ok()) {
      Response response = ErrorResponse(http::status::unauthorized, Message(auth), version);
      response.set(http::field::www_authenticate, "Basic realm=\"edgetsdb\"");
      return response;
    }
  }
  if (const std::string_view length = HeaderValue(header, http::field::content_length);
      !length.empty()) {
    uint64_t bytes = 0;
    if (absl::SimpleAtoi(AbslView(length), &bytes) && bytes > options_.max_body_bytes) {
      return ErrorResponse(http::status::payload_too_large,
                           absl::StrCat("request body of ", bytes, " bytes is over the limit of ",
                                        options_.max_body_bytes, " bytes"),
                           version);
    }
  }
  if (CountsAgainstLimit(endpoint)) {
    if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= options_.max_concurrent_requests) {
      in_flight_.fetch_sub(1, std::memory_order_acq_rel);
      Response response =
          ErrorResponse(http::status::too_many_requests,
                        absl::StrCat("too many requests in flight (the limit is ",
                                     options_.max_concurrent_requests, "); retry later"),
                        version);
      response.set(http::field::retry_after, "1");
      return response;
    }
    slot->Release();
    slot->count_ = &in_flight_;
    slot->gauge_ = &metrics_->requests_in_flight;
    metrics_->requests_in_flight.Add(1);
  }
  return std::nullopt;
}

Response HttpHandlers::Handle(Endpoint endpoint, Request& request) {
  switch (endpoint) {
    case Endpoint::kPing:
      return Ping(request);
    case Endpoint::kHealth:
      return Health(request);
    case Endpoint::kMetrics:
      return Metrics(request);
    case Endpoint::kWrite:
      return Write(request, /*v2=*/false);
    case Endpoint::kWriteV2:
      return Write(request, /*v2=*/true);
    case Endpoint::kQuery:
      return Query(request);
    case Endpoint::kCompact:
      return Compact(request);
    case Endpoint::kUnknown:
      break;
  }
  return ErrorResponse(http::status::not_found, "not found", request.version());
}

Response HttpHandlers::Ping(const Request& request) {
  const Params params = ParseQueryString(QueryPart(StdView(request.target())));
  if (ParamValue(params, "verbose") == "true") {
    Response response(http::status::ok, request.version());
    response.set(http::field::content_type, kJson);
    std::string body = "{\"version\":";
    query::AppendJsonString(InfluxVersion(), &body);
    body.append("}\n");
    response.body() = std::move(body);
    return response;
  }
  return Response(http::status::no_content, request.version());
}

Response HttpHandlers::Health(const Request& request) {
  Response response(http::status::ok, request.version());
  response.set(http::field::content_type, kJson);
  std::string body =
      "{\"name\":\"edgetsdb\",\"message\":\"ready for queries and writes\",\"status\":\"pass\","
      "\"checks\":[],\"version\":";
  query::AppendJsonString(EDGETSDB_VERSION, &body);
  body.append("}\n");
  response.body() = std::move(body);
  return response;
}

Response HttpHandlers::Metrics(const Request& request) {
  Response response(http::status::ok, request.version());
  response.set(http::field::content_type, kMetricsContentType);
  response.body() =
      RenderMetrics(*metrics_, db_->GetStats(), db_->DescribeStorage(), EDGETSDB_VERSION);
  return response;
}

Response HttpHandlers::Write(Request& request, bool v2) {
  const unsigned version = request.version();
  const Params params = ParseQueryString(QueryPart(StdView(request.target())));
  std::string database;
  if (v2) {
    // bucket=db or bucket=db/rp; edgetsdb has one retention policy per database.
    const std::string bucket = ParamValue(params, "bucket");
    database = bucket.substr(0, bucket.find('/'));
    if (database.empty()) {
      return ErrorResponse(http::status::bad_request, "bucket is required", version);
    }
  } else {
    database = ParamValue(params, "db");
    if (database.empty()) {
      return ErrorResponse(http::status::bad_request, "database is required", version);
    }
  }
  if (absl::Status s = CheckDatabaseName(database); !s.ok()) {
    return ErrorResponse(http::status::bad_request, Message(s), version);
  }
  const std::string precision_param = ParamValue(params, "precision");
  // µ, as InfluxDB 1.x accepts it.
  const absl::StatusOr<Precision> precision = ParsePrecision(
      precision_param == "\xC2\xB5" ? std::string_view("u") : std::string_view(precision_param));
  if (!precision.ok()) {
    return ErrorResponse(http::status::bad_request, Message(precision.status()), version);
  }

  std::string body = std::move(request.body());
  const std::string encoding = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(AbslView(HeaderValue(request, http::field::content_encoding))));
  if (encoding == "gzip") {
    absl::StatusOr<std::string> inflated = GunzipCapped(body, options_.max_body_bytes);
    if (!inflated.ok()) {
      return ErrorResponse(absl::IsResourceExhausted(inflated.status())
                               ? http::status::payload_too_large
                               : http::status::bad_request,
                           Message(inflated.status()), version);
    }
    body = std::move(*inflated);
  } else if (!encoding.empty() && encoding != "identity") {
    return ErrorResponse(http::status::unsupported_media_type,
                         absl::StrCat("unsupported Content-Encoding '", encoding, "' (want gzip)"),
                         version);
  }

  BodyWriter writer(db_, database, *precision, absl::GetCurrentTimeNanos(), metrics_);
  if (const absl::Status s = writer.Write(body); !s.ok()) {
    const http::status status = HttpStatusFor(s);
    if (status == http::status::internal_server_error) {
      logger_->Error("write failed", {{"db", database}, {"error", s.message()}});
    }
    return ErrorResponse(status, Message(s), version);
  }
  if (writer.partial()) {
    return ErrorResponse(http::status::bad_request, writer.PartialWriteMessage(), version);
  }
  return Response(http::status::no_content, version);
}

Response HttpHandlers::Query(Request& request) {
  const unsigned version = request.version();
  // Form fields come first, as Go's Request.FormValue prefers them to the URL's.
  Params params;
  if (request.method() == http::verb::post &&
      MediaType(HeaderValue(request, http::field::content_type)) ==
          "application/x-www-form-urlencoded") {
    params = ParseQueryString(request.body());
  }
  for (auto& param : ParseQueryString(QueryPart(StdView(request.target())))) {
    params.push_back(std::move(param));
  }
  const std::string text = ParamValue(params, "q");
  if (text.empty()) {
    return ErrorResponse(http::status::bad_request, "missing required parameter \"q\"", version);
  }
  const absl::StatusOr<query::Epoch> epoch = query::ParseEpoch(ParamValue(params, "epoch"));
  if (!epoch.ok()) {
    return ErrorResponse(http::status::bad_request, Message(epoch.status()), version);
  }
  query::FormatOptions format;
  format.epoch = *epoch;
  format.pretty = ParamValue(params, "pretty") == "true";
  const bool chunked = ParamValue(params, "chunked") == "true";
  int64_t chunk_size = 0;  // The formatter's default (InfluxDB's 10,000) when absent or bad.
  if (!absl::SimpleAtoi(ParamValue(params, "chunk_size"), &chunk_size)) chunk_size = 0;
  const std::string accept = MediaType(HeaderValue(request, http::field::accept));
  const bool csv = accept == "application/csv" || accept == "text/csv";

  query::QueryRequest query_request;
  query_request.text = text;
  query_request.database = ParamValue(params, "db");
  query_request.retention_policy = ParamValue(params, "rp");
  query_request.now_ns = absl::GetCurrentTimeNanos();

  const auto started = std::chrono::steady_clock::now();
  auto observe = [this, started]() {
    metrics_->query_duration_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  absl::StatusOr<std::vector<query::StatementResult>> results = engine_->Execute(query_request);
  if (!results.ok()) {
    observe();
    const absl::Status& s = results.status();
    std::string message(s.message());
    if (absl::IsInvalidArgument(s) && !absl::StartsWith(message, "error parsing query")) {
      // Whole-query failures of InvalidArgument are parse errors (query/engine.h).
      message = absl::StrCat("error parsing query: ", message);
    }
    return ErrorResponse(HttpStatusFor(s), message, version);
  }

  // The results are formatted here, by query/result_format.h.
  Response response(http::status::ok, version);
  if (csv) {
    response.set(http::field::content_type, kCsv);
    response.body() = query::FormatCsv(*results, format);
  } else if (chunked) {
    response.set(http::field::content_type, kJson);
    // Each chunk is a whole JSON document ending in a newline. They are formatted at once (the
    // engine returns whole results) and sent with chunked transfer encoding, as InfluxDB does.
    // TODO(lead): write each chunk as it is produced once Execute can hand results over
    // incrementally; the server's memory per query would then be one chunk.
    std::string body;
    for (const std::string& chunk : query::FormatJsonChunks(*results, format, chunk_size)) {
      body.append(chunk);
    }
    response.body() = std::move(body);
  } else {
    response.set(http::field::content_type, kJson);
    response.body() = query::FormatJson(*results, format);
  }
  if (chunked) response.chunked(true);
  observe();
  return response;
}

Response HttpHandlers::Compact(const Request& request) {
  absl::Status s = db_->Flush();
  if (s.ok()) s = db_->Compact();
  if (!s.ok()) {
    logger_->Error("compaction failed", {{"error", s.message()}});
    return ErrorResponse(HttpStatusFor(s), Message(s), request.version());
  }
  return Response(http::status::no_content, request.version());
}

}  // namespace edgetsdb::server
