// Fuzzes DecodeIntegers with arbitrary streams, and checks that whatever it accepts, and whatever
// values the input spells, survive a round trip through every encoder.
//
// Input: byte 0 picks the codec (bits 0-1) and signedness (bit 2); bytes 1-2 give the count
// (see Count); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/codec.h"
#include "compression/coding.h"
#include "compression/integer_codec.h"

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

constexpr c::Codec kCodecs[] = {c::Codec::kIntFrameOfReference, c::Codec::kIntDelta,
                                c::Codec::kIntDeltaOfDelta, c::Codec::kIntRunLength};

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckRoundTrip(c::Codec codec, const std::vector<uint64_t>& values, bool is_signed) {
  std::string encoded;
  c::EncodeIntegers(codec, values, is_signed, &encoded);
  std::vector<uint64_t> decoded;
  Check(c::DecodeIntegers(codec, encoded, values.size(), &decoded).ok());
  Check(decoded == values);
}

void CheckAutoRoundTrip(const std::vector<uint64_t>& values, bool is_signed) {
  std::string encoded;
  const c::Codec chosen = c::EncodeIntegersAuto(values, is_signed, &encoded);
  std::vector<uint64_t> decoded;
  Check(c::DecodeIntegers(chosen, encoded, values.size(), &decoded).ok());
  Check(decoded == values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const bool is_signed = (data[0] & 4) != 0;
  const size_t count = Count(data);
  const std::string_view stream(reinterpret_cast<const char*>(data) + kHeaderBytes,
                                size - kHeaderBytes);

  std::vector<uint64_t> values;
  if (c::DecodeIntegers(codec, stream, count, &values).ok()) {
    Check(count <= c::kMaxChunkValues && values.size() == count);
    // Only the codec that accepted them and Auto: a full chunk takes milliseconds under ASan.
    CheckRoundTrip(codec, values, is_signed);
    CheckAutoRoundTrip(values, is_signed);
  }

  // The stream bytes read as little-endian uint64 values.
  std::vector<uint64_t> spelled;
  for (size_t i = 0; i + sizeof(uint64_t) <= stream.size(); i += sizeof(uint64_t)) {
    spelled.push_back(c::DecodeFixed64(stream.data() + i));
  }
  for (c::Codec each : kCodecs) CheckRoundTrip(each, spelled, is_signed);
  CheckAutoRoundTrip(spelled, is_signed);
  return 0;
}
