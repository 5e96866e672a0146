#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace edgetsdb::server {
namespace {

// Debian's Abseil has its own string_view, distinct from std's.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view StdView(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// The credentials after "Scheme " in an Authorization header; the scheme is case-insensitive
// (RFC 7235) and may be followed by several spaces.
bool StripScheme(std::string_view header, std::string_view scheme, std::string_view* rest) {
  if (header.size() <= scheme.size() ||
      !absl::StartsWithIgnoreCase(AbslView(header), AbslView(scheme)) ||
      header[scheme.size()] != ' ') {
    return false;
  }
  *rest = StdView(absl::StripLeadingAsciiWhitespace(AbslView(header.substr(scheme.size()))));
  return true;
}

}  // namespace

Authenticator::Authenticator(const AuthConfig& config)
    : enabled_(config.enabled()),
      has_token_(!config.token.empty()),
      has_user_(!config.username.empty()) {
  if (has_token_) token_ = Hash(config.token);
  if (has_user_) {
    username_ = Hash(config.username);
    password_ = Hash(config.password);
  }
}

Authenticator::Digest Authenticator::Hash(std::string_view secret) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest.data());
  return digest;
}

bool Authenticator::Matches(std::string_view candidate, const Digest& expected) {
  const Digest digest = Hash(candidate);
  return CRYPTO_memcmp(digest.data(), expected.data(), digest.size()) == 0;
}

bool Authenticator::CheckToken(std::string_view token) const {
  if (has_token_ && Matches(token, token_)) return true;
  // "Token user:pass", InfluxDB 1.8's form of a username and password for its v2 API.
  const size_t colon = token.find(':');
  return colon != std::string_view::npos &&
         CheckUserPassword(token.substr(0, colon), token.substr(colon + 1));
}

bool Authenticator::CheckUserPassword(std::string_view user, std::string_view password) const {
  // Both comparisons always run: which one failed does not show in the timing.
  if (has_user_) {
    const bool user_ok = Matches(user, username_);
    const bool password_ok = Matches(password, password_);
    if (user_ok && password_ok) return true;
  }
  return has_token_ && Matches(password, token_);
}

absl::Status Authenticator::Check(std::string_view authorization, std::string_view u,
                                  std::string_view p) const {
  if (!enabled_) return absl::OkStatus();
  authorization = StdView(absl::StripAsciiWhitespace(AbslView(authorization)));
  std::string_view credentials;
  if (!authorization.empty()) {
    if (StripScheme(authorization, "Token", &credentials) ||
        StripScheme(authorization, "Bearer", &credentials)) {
      if (credentials.empty()) return absl::UnauthenticatedError(kMissingCredentials);
      return CheckToken(credentials) ? absl::OkStatus()
                                     : absl::UnauthenticatedError(kAuthorizationFailed);
    }
    if (StripScheme(authorization, "Basic", &credentials)) {
      std::string decoded;
      if (!absl::Base64Unescape(AbslView(credentials), &decoded)) {
        return absl::UnauthenticatedError(kMissingCredentials);
      }
      const size_t colon = decoded.find(':');
      if (colon == std::string::npos) return absl::UnauthenticatedError(kMissingCredentials);
      const std::string_view pair = decoded;
      return CheckUserPassword(pair.substr(0, colon), pair.substr(colon + 1))
                 ? absl::OkStatus()
                 : absl::UnauthenticatedError(kAuthorizationFailed);
    }
    return absl::UnauthenticatedError(kMissingCredentials);
  }
  if (u.empty() && p.empty()) return absl::UnauthenticatedError(kMissingCredentials);
  return CheckUserPassword(u, p) ? absl::OkStatus()
                                 : absl::UnauthenticatedError(kAuthorizationFailed);
}

}  // namespace edgetsdb::server
