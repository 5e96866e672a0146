// Optional authentication of HTTP requests, as InfluxDB 1.x clients send it:
//
//   Authorization: Token <token>         InfluxDB 2.x clients (and 1.8's v2 compatibility API)
//   Authorization: Bearer <token>        generic HTTP clients, Prometheus-style scrapers
//   Authorization: Token <user>:<pass>   1.8's v2 compatibility form of username/password
//   Authorization: Basic base64(u:p)     the influx CLI, Telegraf's influxdb output, Grafana
//   ?u=<user>&p=<pass>                   InfluxDB 1.x query parameters
//
// Credentials are a token, a username with a password, or both. Where a username/password pair is
// expected (Basic, u/p) and a token is configured, a password equal to the token is accepted with
// any username, so that 1.x clients that cannot send a token can still use one (InfluxDB 2.x's
// v1 compatibility does the same).
//
// Secrets are compared in constant time (over their SHA-256 digests, so that neither their bytes
// nor their lengths show in the timing).
//
// Threads: an Authenticator is immutable after construction and safe to share.
#ifndef EDGETSDB_SERVER_AUTH_H_
#define EDGETSDB_SERVER_AUTH_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace edgetsdb::server {

struct AuthConfig {
  std::string token;
  std::string username;
  std::string password;

  bool enabled() const { return !token.empty() || !username.empty(); }
};

// The messages InfluxDB 1.x answers with (401 and {"error":"..."}).
inline constexpr char kMissingCredentials[] = "unable to parse authentication credentials";
inline constexpr char kAuthorizationFailed[] = "authorization failed";

class Authenticator {
 public:
  // config must be valid: a username only with a password and the reverse (server/config.cc
  // checks it).
  explicit Authenticator(const AuthConfig& config);

  bool enabled() const { return enabled_; }

  // OK when authentication is off or the request carries valid credentials. Otherwise
  // Unauthenticated with kMissingCredentials (none found, or an Authorization header that cannot
  // be parsed) or kAuthorizationFailed (credentials that do not match). authorization is the
  // Authorization header ("" when absent); u and p the query parameters ("" when absent).
  absl::Status Check(std::string_view authorization, std::string_view u, std::string_view p) const;

 private:
  using Digest = std::array<uint8_t, 32>;
  static Digest Hash(std::string_view secret);
  static bool Matches(std::string_view candidate, const Digest& expected);

  bool CheckToken(std::string_view token) const;
  bool CheckUserPassword(std::string_view user, std::string_view password) const;

  bool enabled_ = false;
  bool has_token_ = false;
  bool has_user_ = false;
  Digest token_{};
  Digest username_{};
  Digest password_{};
};

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_AUTH_H_
