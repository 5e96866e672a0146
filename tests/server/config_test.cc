#include "server/config.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb::server {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kSecondNs = 1'000'000'000;

// Builds the argument list of `serve` as the command line would, and loads it.
absl::StatusOr<ServerConfig> Load(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  absl::StatusOr<cli::CommandArgs> parsed = cli::ParseCommandArgs(argv, ServeFlagNames());
  if (!parsed.ok()) return parsed.status();
  return LoadServerConfig(*parsed);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "config_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(std::string_view toml) {
    const fs::path path = dir_ / "edgetsdb.toml";
    std::ofstream(path) << toml;
    return path.string();
  }

  fs::path dir_;
};

TEST(ConfigTest, DefaultsAreTheDocumentedOnes) {
  absl::StatusOr<ServerConfig> config = Load({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, "./data");
  EXPECT_EQ(config->http.addr, "127.0.0.1:8086");
  EXPECT_EQ(config->http.threads, 0);
  EXPECT_EQ(config->http.max_body_bytes, 25u << 20);
  EXPECT_EQ(config->storage.durability, Durability::kSync);
  EXPECT_FALSE(config->auth.enabled());
  EXPECT_TRUE(config->http.tls_cert.empty());
  EXPECT_EQ(config->log_level, LogLevel::kInfo);
}

TEST(ConfigTest, EveryFlagAppliedWithItsDocumentedDefaultChangesNothing) {
  // The help text's defaults are the structs' defaults: applying each one to a fresh config
  // leaves it as it was.
  const std::string help = DescribeSettings();
  const ServerConfig defaults;
  for (std::string_view flag : ServeFlagNames()) {
    if (flag == "config") continue;
    const std::string marker = "--" + std::string(flag) + " (";
    const size_t at = help.find(marker);
    ASSERT_NE(at, std::string::npos) << flag;
    const size_t start = help.find("default ", at) + 8;
    const size_t end = help.find(")\n", start);
    const std::string value = help.substr(start, end - start);
    if (value == "none") continue;  // Empty strings: nothing to apply.
    ServerConfig config;
    ASSERT_TRUE(ApplyFlag(flag, value, &config).ok()) << flag << " " << value;
    EXPECT_EQ(config.data_dir, defaults.data_dir) << flag;
    EXPECT_EQ(config.http.addr, defaults.http.addr) << flag;
    EXPECT_EQ(config.http.threads, defaults.http.threads) << flag;
    EXPECT_EQ(config.http.max_body_bytes, defaults.http.max_body_bytes) << flag;
    EXPECT_EQ(config.http.max_header_bytes, defaults.http.max_header_bytes) << flag;
    EXPECT_EQ(config.http.max_concurrent_requests, defaults.http.max_concurrent_requests) << flag;
    EXPECT_EQ(config.http.header_timeout, defaults.http.header_timeout) << flag;
    EXPECT_EQ(config.http.body_timeout, defaults.http.body_timeout) << flag;
    EXPECT_EQ(config.http.idle_timeout, defaults.http.idle_timeout) << flag;
    EXPECT_EQ(config.http.write_timeout, defaults.http.write_timeout) << flag;
    EXPECT_EQ(config.storage.durability, defaults.storage.durability) << flag;
    EXPECT_EQ(config.storage.sync_interval_ms, defaults.storage.sync_interval_ms) << flag;
    EXPECT_EQ(config.storage.max_disk_bytes, defaults.storage.max_disk_bytes) << flag;
    EXPECT_EQ(config.storage.min_free_bytes, defaults.storage.min_free_bytes) << flag;
    EXPECT_EQ(config.storage.max_head_bytes, defaults.storage.max_head_bytes) << flag;
    EXPECT_EQ(config.storage.wal_segment_bytes, defaults.storage.wal_segment_bytes) << flag;
    EXPECT_EQ(config.storage.default_retention_ns, defaults.storage.default_retention_ns) << flag;
    EXPECT_EQ(config.storage.partition_duration_ns, defaults.storage.partition_duration_ns) << flag;
    EXPECT_EQ(config.storage.compaction_levels_ns, defaults.storage.compaction_levels_ns) << flag;
    EXPECT_EQ(config.storage.max_chunk_values, defaults.storage.max_chunk_values) << flag;
    EXPECT_EQ(config.query.timeout, defaults.query.timeout) << flag;
    EXPECT_EQ(config.query.max_series, defaults.query.max_series) << flag;
    EXPECT_EQ(config.query.max_rows, defaults.query.max_rows) << flag;
    EXPECT_EQ(config.query.max_buckets, defaults.query.max_buckets) << flag;
    EXPECT_EQ(config.log_level, defaults.log_level) << flag;
  }
}

TEST(ConfigTest, DocsListEveryKeyAndFlag) {
  // The source tree, from this file's path (tests/server/config_test.cc).
  const fs::path root = fs::path(__FILE__).parent_path().parent_path().parent_path();
  std::ifstream in(root / "docs" / "configuration.md");
  ASSERT_TRUE(in.good());
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (std::string_view flag : ServeFlagNames()) {
    EXPECT_THAT(doc, HasSubstr("--" + std::string(flag))) << flag;
  }
}

TEST_F(ConfigFileTest, FileSetsEverySectionAndFlagsOverrideIt) {
  const std::string path = Write(R"(
data_dir = "/var/lib/edgetsdb"
log_level = "debug"

[http]
addr = "0.0.0.0:9999"
threads = 3
max_body_bytes = "1MiB"
max_header_bytes = 16384
max_concurrent_requests = 7
header_timeout = "5s"
body_timeout = "1m"
idle_timeout = "90s"
write_timeout = "2m"
tls_cert = "/etc/cert.pem"
tls_key = "/etc/key.pem"

[auth]
token = "secret-token"
username = "admin"
password = "pw"

[storage]
durability = "interval"
sync_interval = "250ms"
max_disk_bytes = "10GB"
min_free_bytes = "128MiB"
max_head_bytes = "16MiB"
wal_segment_bytes = "4MiB"
default_retention = "30d"
partition_duration = "1h"
compaction_levels = ["12h", "24h"]
max_chunk_values = 512

[query]
timeout = "30s"
max_series = 10
max_rows = 1000
max_buckets = 100
)");
  absl::StatusOr<ServerConfig> config =
      Load({"--config", path, "--http-addr", "127.0.0.1:0", "--durability=none"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->data_dir, "/var/lib/edgetsdb");
  EXPECT_EQ(config->log_level, LogLevel::kDebug);
  EXPECT_EQ(config->http.addr, "127.0.0.1:0");  // The flag wins.
  EXPECT_EQ(config->http.threads, 3);
  EXPECT_EQ(config->http.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->http.max_header_bytes, 16384u);
  EXPECT_EQ(config->http.max_concurrent_requests, 7);
  EXPECT_EQ(config->http.header_timeout, absl::Seconds(5));
  EXPECT_EQ(config->http.body_timeout, absl::Minutes(1));
  EXPECT_EQ(config->http.idle_timeout, absl::Seconds(90));
  EXPECT_EQ(config->http.write_timeout, absl::Minutes(2));
  EXPECT_EQ(config->http.tls_cert, "/etc/cert.pem");
  EXPECT_EQ(config->http.tls_key, "/etc/key.pem");
  EXPECT_EQ(config->auth.token, "secret-token");
  EXPECT_EQ(config->auth.username, "admin");
  EXPECT_EQ(config->auth.password, "pw");
  EXPECT_EQ(config->storage.durability, Durability::kNone);  // The flag wins.
  EXPECT_EQ(config->storage.sync_interval_ms, 250);
  EXPECT_EQ(config->storage.max_disk_bytes, 10'000'000'000u);
  EXPECT_EQ(config->storage.min_free_bytes, 128u << 20);
  EXPECT_EQ(config->storage.max_head_bytes, 16u << 20);
  EXPECT_EQ(config->storage.wal_segment_bytes, 4u << 20);
  EXPECT_EQ(config->storage.default_retention_ns, 30 * 24 * 3600 * kSecondNs);
  EXPECT_EQ(config->storage.partition_duration_ns, 3600 * kSecondNs);
  EXPECT_EQ(config->storage.compaction_levels_ns,
            (std::vector<int64_t>{12 * 3600 * kSecondNs, 24 * 3600 * kSecondNs}));
  EXPECT_EQ(config->storage.max_chunk_values, 512u);
  EXPECT_EQ(config->query.timeout, absl::Seconds(30));
  EXPECT_EQ(config->query.max_series, 10);
  EXPECT_EQ(config->query.max_rows, 1000);
  EXPECT_EQ(config->query.max_buckets, 100);
}

TEST_F(ConfigFileTest, UnknownKeyIsAnErrorNamingIt) {
  const std::string path = Write("[http]\naddr = \"127.0.0.1:1\"\nmax_bodysize = 5\n");
  absl::StatusOr<ServerConfig> config = Load({"--config", path});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(
      std::string(config.status().message()),
      AllOf(HasSubstr(path), HasSubstr(":3:"), HasSubstr("unknown key 'http.max_bodysize'")));
}

TEST_F(ConfigFileTest, UnknownSectionIsAnError) {
  const std::string path = Write("[mqtt]\n");
  absl::StatusOr<ServerConfig> config = Load({"--config", path});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("unknown section [mqtt]"));
}

TEST_F(ConfigFileTest, WrongTypesAndBadValuesNameTheKey) {
  const struct {
    std::string toml;
    std::string expected;
  } cases[] = {
      {"[http]\nthreads = \"four\"\n", "http.threads: expected an integer, got a string"},
      {"[http]\nmax_body_bytes = \"lots\"\n", "http.max_body_bytes: not a size: 'lots'"},
      {"[http]\nmax_body_bytes = -1\n", "http.max_body_bytes: must not be negative"},
      {"[http]\nmax_body_bytes = 0\n", "http.max_body_bytes: must be at least 1 bytes"},
      {"[http]\nheader_timeout = 10\n", "http.header_timeout: expected a string with units"},
      {"[http]\nheader_timeout = \"10 parsecs\"\n", "http.header_timeout: not a duration"},
      {"[http]\nheader_timeout = \"0\"\n", "http.header_timeout: must be positive"},
      {"[http]\naddr = \"localhost\"\n", "http.addr: want HOST:PORT"},
      {"[http]\naddr = \"localhost:99999\"\n", "http.addr: bad port"},
      {"[http]\nmax_concurrent_requests = 0\n", "http.max_concurrent_requests: 0 is out of range"},
      {"[storage]\ndurability = \"always\"\n", "storage.durability: unknown durability 'always'"},
      {"[storage]\ncompaction_levels = \"24h\"\n", "storage.compaction_levels: expected an array"},
      {"[storage]\ncompaction_levels = [24]\n", "expected an array of duration strings"},
      {"log_level = \"loud\"\n", "log_level: unknown log level 'loud'"},
      {"data_dir = true\n", "data_dir: expected a string, got a boolean"},
      {"[http\n", "config "},  // TOML syntax error, with line and column.
  };
  for (const auto& c : cases) {
    const std::string path = Write(c.toml);
    absl::StatusOr<ServerConfig> config = Load({"--config", path});
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.expected)) << c.toml;
  }
}

TEST(ConfigTest, BadFlagValuesNameTheFlag) {
  const struct {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{"--http-threads", "-1"}, "--http-threads: -1 is out of range"},
      {{"--max-body-bytes", "12XB"}, "--max-body-bytes: not a size"},
      {{"--retention", "forever"}, "--retention: not a duration"},
      {{"--durability", "fsync"}, "--durability: unknown durability"},
      {{"--compaction-levels", "24h,banana"}, "--compaction-levels: not a duration: 'banana'"},
      {{"--sync-interval", "10us"}, "--sync-interval: must be at least 1ms"},
      {{"--nope", "1"}, "unknown flag --nope"},
      {{"--auth-username", "admin"}, "go together"},
      {{"--tls-cert", "/c.pem"}, "go together"},
      {{"--config", "/nonexistent/edgetsdb.toml"}, "cannot read config file"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<ServerConfig> config = Load(c.args);
    ASSERT_FALSE(config.ok()) << c.args[0];
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.expected)) << c.args[0];
  }
}

TEST(ConfigTest, SizesTakeBinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("123"), 123u);
  EXPECT_EQ(*ParseByteSize("123B"), 123u);
  EXPECT_EQ(*ParseByteSize("64KiB"), 64u << 10);
  EXPECT_EQ(*ParseByteSize("25MiB"), 25u << 20);
  EXPECT_EQ(*ParseByteSize("25 mib"), 25u << 20);
  EXPECT_EQ(*ParseByteSize("2GiB"), 2ull << 30);
  EXPECT_EQ(*ParseByteSize("1TiB"), 1ull << 40);
  EXPECT_EQ(*ParseByteSize("5KB"), 5'000u);
  EXPECT_EQ(*ParseByteSize("5MB"), 5'000'000u);
  EXPECT_EQ(*ParseByteSize("5GB"), 5'000'000'000u);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("MiB").ok());
  EXPECT_FALSE(ParseByteSize("1.5MiB").ok());
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999").ok());
  EXPECT_FALSE(ParseByteSize("20000000TiB").ok());  // Overflows uint64.
}

TEST(ConfigTest, DurationsTakeGoStyleUnitsAndDaysAndWeeks) {
  EXPECT_EQ(*ParseDurationText("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseDurationText("100ms"), absl::Milliseconds(100));
  EXPECT_EQ(*ParseDurationText("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationText("1.5h"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationText("30d"), absl::Hours(24 * 30));
  EXPECT_EQ(*ParseDurationText("2w"), absl::Hours(24 * 14));
  EXPECT_EQ(*ParseDurationText("10us"), absl::Microseconds(10));
  EXPECT_EQ(*ParseDurationText("10\xC2\xB5s"), absl::Microseconds(10));
  EXPECT_EQ(*ParseDurationText("5ns"), absl::Nanoseconds(5));
  EXPECT_FALSE(ParseDurationText("").ok());
  EXPECT_FALSE(ParseDurationText("10").ok());  // A unit is required (but for "0").
  EXPECT_FALSE(ParseDurationText("-5s").ok());
  EXPECT_FALSE(ParseDurationText("5y").ok());
  EXPECT_FALSE(ParseDurationText("s").ok());
  EXPECT_FALSE(ParseDurationText("100000w").ok());  // Too long.
}

}  // namespace
}  // namespace edgetsdb::server
