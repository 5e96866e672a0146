#include "server/auth.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace edgetsdb::server {
namespace {

std::string Basic(const std::string& user_password) {
  return "Basic " + absl::Base64Escape(user_password);
}

AuthConfig Config(std::string token, std::string username = "", std::string password = "") {
  AuthConfig config;
  config.token = std::move(token);
  config.username = std::move(username);
  config.password = std::move(password);
  return config;
}

bool IsMissing(const absl::Status& s) {
  return absl::IsUnauthenticated(s) && s.message() == kMissingCredentials;
}
bool IsFailed(const absl::Status& s) {
  return absl::IsUnauthenticated(s) && s.message() == kAuthorizationFailed;
}

TEST(AuthTest, DisabledAcceptsEverything) {
  const Authenticator auth(AuthConfig{});
  EXPECT_FALSE(auth.enabled());
  EXPECT_TRUE(auth.Check("", "", "").ok());
  EXPECT_TRUE(auth.Check("Token nonsense", "x", "y").ok());
}

TEST(AuthTest, TokenSchemes) {
  const Authenticator auth(Config("s3cret"));
  ASSERT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Check("Token s3cret", "", "").ok());
  EXPECT_TRUE(auth.Check("Bearer s3cret", "", "").ok());
  EXPECT_TRUE(auth.Check("token s3cret", "", "").ok());  // Schemes are case-insensitive.
  EXPECT_TRUE(auth.Check("Bearer   s3cret  ", "", "").ok());
  EXPECT_TRUE(IsFailed(auth.Check("Token s3cre", "", "")));
  EXPECT_TRUE(IsFailed(auth.Check("Token s3cret2", "", "")));
  EXPECT_TRUE(IsFailed(auth.Check("Bearer S3CRET", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("Token", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("Bearer ", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("Digest abc", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("Tokens3cret", "", "")));
}

TEST(AuthTest, OneXClientsMaySendTheTokenAsPassword) {
  const Authenticator auth(Config("s3cret"));
  EXPECT_TRUE(auth.Check(Basic("anyone:s3cret"), "", "").ok());
  EXPECT_TRUE(auth.Check("", "anyone", "s3cret").ok());
  EXPECT_TRUE(IsFailed(auth.Check(Basic("anyone:wrong"), "", "")));
  EXPECT_TRUE(IsFailed(auth.Check("", "anyone", "wrong")));
}

TEST(AuthTest, UsernameAndPasswordSchemes) {
  const Authenticator auth(Config("", "admin", "pa:ss"));
  ASSERT_TRUE(auth.enabled());
  EXPECT_TRUE(auth.Check(Basic("admin:pa:ss"), "", "").ok());  // The password may hold ':'.
  EXPECT_TRUE(auth.Check("basic " + absl::Base64Escape("admin:pa:ss"), "", "").ok());
  EXPECT_TRUE(auth.Check("", "admin", "pa:ss").ok());
  EXPECT_TRUE(auth.Check("Token admin:pa:ss", "", "").ok());  // InfluxDB 1.8's v2 form.
  EXPECT_TRUE(IsFailed(auth.Check(Basic("admin:pass"), "", "")));
  EXPECT_TRUE(IsFailed(auth.Check(Basic("root:pa:ss"), "", "")));
  EXPECT_TRUE(IsFailed(auth.Check("", "admin", "")));
  EXPECT_TRUE(IsFailed(auth.Check("", "", "pa:ss")));
  EXPECT_TRUE(IsFailed(auth.Check("Token pa:ss", "", "")));
  EXPECT_TRUE(IsFailed(auth.Check("Bearer admin", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("Basic !!!not-base64!!!", "", "")));
  EXPECT_TRUE(IsMissing(auth.Check(Basic("no-colon"), "", "")));
  EXPECT_TRUE(IsMissing(auth.Check("", "", "")));
}

TEST(AuthTest, HeaderIsPreferredToQueryParameters) {
  const Authenticator auth(Config("", "admin", "pw"));
  // A wrong header fails even with good u/p, as InfluxDB looks at the header first.
  EXPECT_TRUE(IsFailed(auth.Check(Basic("admin:bad"), "admin", "pw")));
  EXPECT_TRUE(auth.Check(Basic("admin:pw"), "admin", "bad").ok());
}

TEST(AuthTest, TokenAndPasswordTogether) {
  const Authenticator auth(Config("t0k", "admin", "pw"));
  EXPECT_TRUE(auth.Check("Token t0k", "", "").ok());
  EXPECT_TRUE(auth.Check(Basic("admin:pw"), "", "").ok());
  EXPECT_TRUE(auth.Check("", "admin", "pw").ok());
  EXPECT_TRUE(IsFailed(auth.Check("Token pw", "", "")));
  EXPECT_TRUE(IsFailed(auth.Check("", "admin", "t0kk")));
}

}  // namespace
}  // namespace edgetsdb::server
