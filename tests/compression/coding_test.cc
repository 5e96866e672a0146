#include "compression/coding.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace edgetsdb::compression {
namespace {

TEST(CodingTest, VarintRoundTripsAcrossTheRange) {
  const uint64_t cases[] = {
      0, 1, 127, 128, 300, uint64_t{1} << 35, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : cases) {
    std::string buf;
    PutVarint64(&buf, v);
    EXPECT_EQ(buf.size(), static_cast<size_t>(VarintLength(v)));
    ByteReader reader(buf);
    uint64_t got = 0;
    ASSERT_TRUE(reader.ReadVarint64(&got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(CodingTest, TruncatedAndOverlongVarintsFail) {
  std::string buf;
  PutVarint64(&buf, std::numeric_limits<uint64_t>::max());
  for (size_t len = 0; len < buf.size(); ++len) {
    ByteReader reader(std::string_view(buf).substr(0, len));
    uint64_t v;
    EXPECT_FALSE(reader.ReadVarint64(&v)) << len;
  }
  const std::string overlong(11, '\x80');
  ByteReader reader(overlong);
  uint64_t v;
  EXPECT_FALSE(reader.ReadVarint64(&v));
  const std::string tenth_too_big = std::string(9, '\xff') + "\x02";
  ByteReader reader2(tenth_too_big);
  EXPECT_FALSE(reader2.ReadVarint64(&v));
}

TEST(CodingTest, ZigZagMapsSmallMagnitudesToSmallCodes) {
  EXPECT_EQ(ZigZagEncode(0), 0u);
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    int64_t{-12345}, int64_t{0}}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
}

TEST(CodingTest, ByteReaderRefusesReadsPastTheEnd) {
  const std::string buf = "abc";
  ByteReader reader(buf);
  std::string_view view;
  EXPECT_FALSE(reader.ReadBytes(4, &view));
  EXPECT_FALSE(reader.ok());
  uint8_t byte;
  EXPECT_FALSE(reader.ReadByte(&byte)) << "a failed cursor stays failed";
}

}  // namespace
}  // namespace edgetsdb::compression
