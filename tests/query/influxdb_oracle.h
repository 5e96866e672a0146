// InfluxDB 1.x as a test oracle: a private influxd (Debian's 1.6.7) in a temporary directory on
// free loopback ports, spoken to over HTTP. The differential tests write the same points to it and
// to edgetsdb, ask both the same InfluxQL, and compare the answers.
//
//   auto oracle = InfluxdbOracle::Start();
//   if (absl::IsNotFound(oracle.status())) GTEST_SKIP() << oracle.status();
//   (*oracle)->Query("", "CREATE DATABASE db");
//   (*oracle)->Write("db", "cpu,host=a usage=1 1709942400000000000\n");
//   auto reply = (*oracle)->Query("db", "SELECT * FROM cpu");   // reply->body is JSON
//
// The server runs with reporting, the _internal monitor database, the query and HTTP logs, the
// retention enforcer, continuous queries and subscriptions off, and the WAL written without delay.
// It is stopped (SIGTERM, then SIGKILL if it lingers) and its directory removed on destruction.
// Where util-linux's setpriv exists, influxd is started under it with a parent-death signal, so
// that a test that crashes does not leave a server behind.
//
// Not thread-safe: one test thread talks to one oracle.
#ifndef EDGETSDB_TESTS_QUERY_INFLUXDB_ORACLE_H_
#define EDGETSDB_TESTS_QUERY_INFLUXDB_ORACLE_H_

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgetsdb::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};

class InfluxdbOracle {
 public:
  // NotFound when influxd is not on the PATH (callers skip); Unavailable when it does not answer
  // /ping with 204 in time or exits first (the message carries the end of its log).
  static absl::StatusOr<std::unique_ptr<InfluxdbOracle>> Start();

  ~InfluxdbOracle();
  InfluxdbOracle(const InfluxdbOracle&) = delete;
  InfluxdbOracle& operator=(const InfluxdbOracle&) = delete;

  // POST /write?db=database&precision=ns. OK only when influxd answers 204 (every point written).
  absl::Status Write(std::string_view database, std::string_view line_protocol);

  // POST /query with q, db and epoch=ns as a form (POST, so that CREATE and DROP are allowed too).
  // The reply as influxd sends it, whatever its status: a query error is a 400 or a 200 with an
  // "error" in the JSON body, not a failure here. Unavailable when the exchange itself fails.
  absl::StatusOr<HttpReply> Query(std::string_view database, std::string_view text);

  int http_port() const { return http_port_; }

 private:
  InfluxdbOracle(std::filesystem::path dir, pid_t pid, int http_port)
      : dir_(std::move(dir)), pid_(pid), http_port_(http_port) {}

  std::filesystem::path dir_;
  pid_t pid_;
  int http_port_;
};

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_QUERY_INFLUXDB_ORACLE_H_
