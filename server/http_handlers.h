// The HTTP API's endpoints (docs/http_api.md), independent of sockets: server/http_server.cc reads
// a request's header, asks Screen whether to go on, reads the body, then calls Handle (on a worker
// thread for the endpoints that block on the engine) and writes what it returns.
//
//   GET|HEAD /ping              204 (InfluxDB 1.x's version headers; ?verbose=true: 200 JSON)
//   GET      /health            200 {"name":"edgetsdb",...,"status":"pass"}
//   GET      /metrics           Prometheus text format 0.0.4
//   POST     /write             line protocol, InfluxDB 1.x (?db=&rp=&precision=)
//   POST     /api/v2/write      line protocol, InfluxDB 2.x (?bucket=db[/rp]&org=&precision=)
//   GET|POST /query             InfluxQL (?db=&q=&epoch=&pretty=&chunked=&chunk_size=; q may be
//                               in an application/x-www-form-urlencoded body)
//   POST     /admin/compact     flush then compact; 204
//
// Every response carries X-Request-Id (and InfluxDB's Request-Id), X-Influxdb-Version,
// X-Influxdb-Build and a Content-Type; every error body is {"error":"..."}. Authentication, when
// configured, guards everything but /ping and /health.
//
// Threads: HttpHandlers is shared by every connection; all its methods are thread-safe.
#ifndef EDGETSDB_SERVER_HTTP_HANDLERS_H_
#define EDGETSDB_SERVER_HTTP_HANDLERS_H_

#include <atomic>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "edgetsdb/db.h"
#include "query/engine.h"
#include "server/auth.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace edgetsdb::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Boost 1.74's Beast uses boost::string_view, which does not convert to or from std's.
inline std::string_view StdView(boost::beast::string_view s) { return {s.data(), s.size()}; }
inline boost::beast::string_view BeastView(std::string_view s) { return {s.data(), s.size()}; }

enum class Endpoint { kPing, kHealth, kMetrics, kWrite, kWriteV2, kQuery, kCompact, kUnknown };

// The endpoint a request path names (the part of the target before '?').
Endpoint RouteOf(std::string_view path);
// As the metrics label it: "ping", "write", "write_v2", "query", ..., "other".
std::string_view EndpointName(Endpoint endpoint);

// The one table from engine and query errors (absl::Status codes) to HTTP statuses:
//   InvalidArgument, OutOfRange 400 · Unauthenticated 401 · PermissionDenied 403 · NotFound 404
//   ResourceExhausted 507 (the disk budget or free-space reserve) · Unimplemented 501
//   Unavailable, DeadlineExceeded 503 · FailedPrecondition (writes stopped after a failed fsync),
//   DataLoss, Internal and the rest 500.
http::status HttpStatusFor(const absl::Status& status);

// URL query strings and form bodies.
using Params = std::vector<std::pair<std::string, std::string>>;
// %XX decoding ('+' as a space, as in query strings and forms); a '%' not followed by two hex
// digits stays as it is.
std::string UrlDecode(std::string_view text);
Params ParseQueryString(std::string_view query);
// The first value of key, or "".
std::string ParamValue(const Params& params, std::string_view key);

// A slot under the concurrency limit, held from a request's header to its response; released on
// destruction. Move-only.
class InFlightSlot {
 public:
  InFlightSlot() = default;
  InFlightSlot(InFlightSlot&& other) noexcept { *this = std::move(other); }
  InFlightSlot& operator=(InFlightSlot&& other) noexcept;
  ~InFlightSlot() { Release(); }
  bool held() const { return count_ != nullptr; }
  void Release();

 private:
  friend class HttpHandlers;
  std::atomic<int>* count_ = nullptr;
  Gauge* gauge_ = nullptr;
};

struct HandlerOptions {
  uint64_t max_body_bytes = 25ull << 20;
  int max_concurrent_requests = 32;
};

class HttpHandlers {
 public:
  // db and engine may be null in tests of the endpoints that do not use them; everything must
  // outlive the handlers.
  HttpHandlers(Db* db, query::QueryEngine* engine, const Authenticator* auth,
               ServerMetrics* metrics, Logger* logger, HandlerOptions options);

  // Decides from the header alone, before the body is read: an unknown path (404), a method the
  // endpoint does not take (405), missing or wrong credentials (401), a declared Content-Length
  // over the body limit (413), the concurrency limit reached (429 with Retry-After). nullopt: go
  // on, and *slot holds the request's place under the limit when the endpoint counts.
  std::optional<Response> Screen(const Request& header, Endpoint endpoint, InFlightSlot* slot);

  // Endpoints cheap enough to run on an I/O thread (they never touch the engine).
  static bool RunsInline(Endpoint endpoint) {
    return endpoint == Endpoint::kPing || endpoint == Endpoint::kHealth ||
           endpoint == Endpoint::kUnknown;
  }

  // Serves a request whose body has been read. Blocks on the engine for writes, queries,
  // compactions and metrics.
  Response Handle(Endpoint endpoint, Request& request);

  // {"error":"..."} with status.
  static Response ErrorResponse(http::status status, std::string_view message,
                                unsigned version = 11);

  // The headers every response carries; sets keep-alive and the Content-Length (none for 204 and
  // 304, and for a chunked body).
  static void Finish(Response& response, std::string_view request_id, bool keep_alive);

  // A fresh random UUID (v4), as InfluxDB's request ids look.
  static std::string NewRequestId();

  // "1.8.10-edgetsdb-<version>": InfluxDB 1.x clients read the major version from it.
  static std::string InfluxVersion();

 private:
  Response Ping(const Request& request);
  Response Health(const Request& request);
  Response Metrics(const Request& request);
  Response Write(Request& request, bool v2);
  Response Query(Request& request);
  Response Compact(const Request& request);

  Db* const db_;
  query::QueryEngine* const engine_;
  const Authenticator* const auth_;
  ServerMetrics* const metrics_;
  Logger* const logger_;
  const HandlerOptions options_;
  std::atomic<int> in_flight_{0};
};

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_HTTP_HANDLERS_H_
