// The HTTP listener and its connections, on Boost.Beast: plain TCP, or TLS when a certificate
// and key are configured (then every connection is TLS).
//
// Threads. I/O runs on `threads` threads sharing one io_context (one per core by default); each
// connection is a session on its own strand. Engine calls block (a write waits for its fsync, a
// query can run for seconds), so sessions hand the requests that reach the engine to a separate
// pool of worker threads, as many as the concurrency limit: a slow query then never delays the
// I/O of other connections (/ping and /health answer even while every worker is busy), and every
// admitted request finds a worker at once, so that concurrent writers reach the engine together
// and share its group-commit fsyncs.
//
// A request, step by step (server/http_handlers.h has the endpoints):
//   1. Its header, within header_timeout (a kept-alive connection first waits idle_timeout for
//      the next request's first byte) and max_header_bytes (431 beyond).
//   2. HttpHandlers::Screen: route, method, auth, declared length and the concurrency limit are
//      decided before a byte of the body is read; a refusal closes the connection when a body
//      would follow. Expect: 100-continue is answered only after this.
//   3. The body, within body_timeout and max_body_bytes (413). A timeout closes the connection.
//   4. The handler, then the response within write_timeout; keep-alive as the client asks.
//
// Stopping (Stop, or SIGINT/SIGTERM after StopOnSignals): the listener closes, connections idle
// between requests close, requests in flight finish and get their response (with Connection:
// close), then Run returns.
#ifndef EDGETSDB_SERVER_HTTP_SERVER_H_
#define EDGETSDB_SERVER_HTTP_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "server/config.h"
#include "server/http_handlers.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace edgetsdb::server {

class HttpServer {
 public:
  // Everything must outlive the server.
  HttpServer(const HttpConfig& config, HttpHandlers* handlers, ServerMetrics* metrics,
             Logger* logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS certificate (if any), binds and listens, and logs the bound address:
  //   msg="listening" http_addr=127.0.0.1:8086 tls=false
  // InvalidArgument for a bad address or TLS files; Unavailable when the address cannot be bound.
  absl::Status Start();

  // HOST:PORT actually bound (the port chosen for port 0), after Start.
  std::string bound_address() const;

  // SIGINT and SIGTERM start a graceful Stop. Call after Start, before Run.
  void StopOnSignals();

  // Serves until stopped and every connection is closed, on the configured number of threads
  // (this one included); then waits for the worker threads.
  void Run();

  // Starts a graceful stop. Thread-safe; later calls do nothing.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_HTTP_SERVER_H_
