#include "server/gzip.h"

#include <zlib.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb::server {
namespace {

using ::testing::HasSubstr;

// A gzip member of data, as `gzip` or Go's writer makes one.
std::string Gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(GzipTest, InflatesAMember) {
  const std::string text = "cpu,host=a usage=1.5 1700000000000000000\n";
  absl::StatusOr<std::string> out = GunzipCapped(Gzip(text), 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, text);
}

TEST(GzipTest, InflatesAnEmptyMember) {
  absl::StatusOr<std::string> out = GunzipCapped(Gzip(""), 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "");
}

TEST(GzipTest, InflatesConcatenatedMembers) {
  absl::StatusOr<std::string> out = GunzipCapped(Gzip("m v=1\n") + Gzip("m v=2\n"), 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "m v=1\nm v=2\n");
}

TEST(GzipTest, InflatesLargeBodiesExactlyAtTheCap) {
  std::string text;
  for (int i = 0; text.size() < (3 << 20); ++i) text += "m,host=h" + std::to_string(i) + " v=1\n";
  absl::StatusOr<std::string> out = GunzipCapped(Gzip(text), text.size());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, text);
}

TEST(GzipTest, OutputOverTheCapIsResourceExhausted) {
  // 64 MiB of zeros compress to about 64 KiB: a zip bomb against a 1 MiB cap.
  const std::string bomb = Gzip(std::string(64 << 20, '\0'), Z_BEST_COMPRESSION);
  ASSERT_LT(bomb.size(), 1u << 20);
  absl::StatusOr<std::string> out = GunzipCapped(bomb, 1 << 20);
  EXPECT_TRUE(absl::IsResourceExhausted(out.status())) << out.status();
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("more than 1048576 bytes"));
  // One byte over is over.
  EXPECT_TRUE(absl::IsResourceExhausted(GunzipCapped(Gzip("abcd"), 3).status()));
  EXPECT_TRUE(GunzipCapped(Gzip("abcd"), 4).ok());
}

TEST(GzipTest, DamagedStreamsAreInvalidArgument) {
  const std::string good = Gzip("cpu usage=1 1\ncpu usage=2 2\n");
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // The CRC-32 of the trailer.
  std::string bad_data = good;
  bad_data[12] ^= 0xff;
  const struct {
    const char* name;
    std::string input;
  } cases[] = {
      {"empty", ""},
      {"not gzip", "cpu usage=1 1\n"},
      {"zlib, not gzip", "\x78\x9c\x03\x00\x00\x00\x00\x01"},
      {"truncated", good.substr(0, good.size() - 5)},
      {"header only", good.substr(0, 10)},
      {"bad crc", bad_crc},
      {"bad data", bad_data},
      {"trailing garbage", good + "garbage"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> out = GunzipCapped(c.input, 1 << 20);
    EXPECT_TRUE(absl::IsInvalidArgument(out.status())) << c.name << ": " << out.status();
  }
}

}  // namespace
}  // namespace edgetsdb::server
