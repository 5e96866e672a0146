// The settings of `edgetsdb serve`: built-in defaults, then a TOML file (--config FILE), then
// command-line flags, each overriding the one before. Every setting has a key in the file and a
// flag (docs/configuration.md lists them; kSettings in config.cc is the one table of both):
//
//   data_dir = "/var/lib/edgetsdb"          # --data-dir
//   [http]
//   addr = "127.0.0.1:8086"                 # --http-addr
//   max_body_bytes = "25MiB"                # --max-body-bytes
//   [storage]
//   durability = "sync"                     # --durability
//
// Sizes are integers (bytes) or strings with a unit ("64KiB", "25MiB", "1GB"). Durations are
// strings with units ("100ms", "10s", "1h30m", "30d"; "0" where zero is allowed). An unknown key,
// a value of the wrong type or out of range is an error that names the key (or flag) and the
// value; `serve` then exits with status 2.
#ifndef EDGETSDB_SERVER_CONFIG_H_
#define EDGETSDB_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edgetsdb/options.h"
#include "query/engine.h"
#include "server/auth.h"
#include "server/flags.h"
#include "server/logging.h"

namespace edgetsdb::server {

struct HttpConfig {
  // HOST:PORT, [IPv6]:PORT or :PORT (every interface). Port 0 picks a free port (for tests); the
  // bound address is logged ("listening").
  std::string addr = "127.0.0.1:8086";
  int threads = 0;  // I/O threads; 0 = one per core.
  uint64_t max_body_bytes = 25ull << 20;
  uint64_t max_header_bytes = 64ull << 10;
  // Writes, queries and compactions served at once; more are refused with 429 after their
  // header, before their body is read. Also the number of worker threads that run them.
  int max_concurrent_requests = 32;
  // From the first byte of a request (or the connection) to the end of its header.
  absl::Duration header_timeout = absl::Seconds(10);
  // To receive a whole body.
  absl::Duration body_timeout = absl::Seconds(60);
  // A kept-alive connection waiting for its next request.
  absl::Duration idle_timeout = absl::Seconds(120);
  // To send a whole response.
  absl::Duration write_timeout = absl::Seconds(60);
  // TLS when both are set (PEM files: the certificate chain and its private key).
  std::string tls_cert;
  std::string tls_key;
};

struct ServerConfig {
  std::string data_dir = "./data";
  LogLevel log_level = LogLevel::kInfo;
  HttpConfig http;
  AuthConfig auth;
  Options storage;  // The engine's options (env stays nullptr: the default).
  query::QueryLimits query;
};

// Every flag `serve` takes, "config" included, without dashes.
const std::vector<std::string_view>& ServeFlagNames();

// The settings' keys, flags, defaults and meaning, for `edgetsdb help serve`.
std::string DescribeSettings();

// Applies a TOML document's settings to *config. source names it in error messages (the path).
absl::Status ApplyConfigToml(std::string_view toml, std::string_view source, ServerConfig* config);

// Applies one flag (its name without dashes, "config" excluded) to *config.
absl::Status ApplyFlag(std::string_view flag, std::string_view value, ServerConfig* config);

// Checks what no single setting can: a username without a password, a TLS certificate without
// its key.
absl::Status ValidateConfig(const ServerConfig& config);

// Defaults, then the file named by --config (if any), then the other flags, then ValidateConfig.
absl::StatusOr<ServerConfig> LoadServerConfig(const cli::CommandArgs& args);

// Units as the configuration accepts them; exposed for tests.
absl::StatusOr<uint64_t> ParseByteSize(std::string_view text);
absl::StatusOr<absl::Duration> ParseDurationText(std::string_view text);

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_CONFIG_H_
