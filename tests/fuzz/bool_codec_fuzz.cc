// Fuzzes DecodeBools with arbitrary streams, and checks that whatever it accepts, and whatever
// values the input spells, survive a round trip through every encoder.
//
// Input: byte 0 picks the codec (bit 0); bytes 1-2 give the count (see Count); the rest is
// the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/bool_codec.h"
#include "compression/codec.h"

namespace {

namespace c = edgetsdb::compression;

constexpr size_t kHeaderBytes = 3;
// Bit 7 of byte 0 selects counts near the chunk limit. Those iterations cost tens of milliseconds
// under the sanitizers' comparison tracing, so the fuzzer reaches them only on purpose.
constexpr uint8_t kLargeCountBit = 0x80;
constexpr size_t kMaxSmallCount = 512;

// Small: 0..kMaxSmallCount. Large: kMaxChunkValues + 1 - n, down from one above the limit (which
// decoders must refuse).
size_t Count(const uint8_t* data) {
  const size_t n = data[1] | data[2] << 8;
  return (data[0] & kLargeCountBit) ? c::kMaxChunkValues + 1 - n : n % (kMaxSmallCount + 1);
}

constexpr c::Codec kCodecs[] = {c::Codec::kBoolBitmap, c::Codec::kBoolRunLength};

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// values must be 0 or 1 (decoders only produce those; encoders map nonzero to 1).
void CheckAllRoundTrips(const std::vector<uint8_t>& values) {
  for (c::Codec codec : kCodecs) {
    std::string encoded;
    c::EncodeBools(codec, values, &encoded);
    std::vector<uint8_t> decoded;
    Check(c::DecodeBools(codec, encoded, values.size(), &decoded).ok());
    Check(decoded == values);
  }
  std::string encoded;
  const c::Codec chosen = c::EncodeBoolsAuto(values, &encoded);
  std::vector<uint8_t> decoded;
  Check(c::DecodeBools(chosen, encoded, values.size(), &decoded).ok());
  Check(decoded == values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const size_t count = Count(data);
  const std::string_view stream(reinterpret_cast<const char*>(data) + kHeaderBytes,
                                size - kHeaderBytes);

  std::vector<uint8_t> values;
  if (c::DecodeBools(codec, stream, count, &values).ok()) {
    Check(count <= c::kMaxChunkValues && values.size() == count);
    for (uint8_t v : values) Check(v <= 1);
    CheckAllRoundTrips(values);
  }

  // The stream's bits as values, least significant first.
  std::vector<uint8_t> spelled;
  for (char byte : stream) {
    for (int bit = 0; bit < 8; ++bit) spelled.push_back((static_cast<uint8_t>(byte) >> bit) & 1);
  }
  CheckAllRoundTrips(spelled);
  return 0;
}
