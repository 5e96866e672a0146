// Fuzzes DecodeStrings with arbitrary streams, and checks that whatever it accepts, and whatever
// values the input spells, survive a round trip through every encoder.
//
// Input: byte 0 picks the codec (bit 0); bytes 1-2 give the count (see Count); the rest is
// the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/codec.h"
#include "compression/string_codec.h"

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

constexpr c::Codec kCodecs[] = {c::Codec::kStringDictionary, c::Codec::kStringLz4};
// Splits the input into values for the encoder-side round trip.
constexpr char kValueSeparator = '\n';

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckAllRoundTrips(const std::vector<std::string>& values) {
  for (c::Codec codec : kCodecs) {
    std::string encoded;
    c::EncodeStrings(codec, values, &encoded);
    std::vector<std::string> decoded;
    Check(c::DecodeStrings(codec, encoded, values.size(), &decoded).ok());
    Check(decoded == values);
  }
  std::string encoded;
  const c::Codec chosen = c::EncodeStringsAuto(values, &encoded);
  std::vector<std::string> decoded;
  Check(c::DecodeStrings(chosen, encoded, values.size(), &decoded).ok());
  Check(decoded == values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const size_t count = Count(data);
  const std::string_view stream(reinterpret_cast<const char*>(data) + kHeaderBytes,
                                size - kHeaderBytes);

  std::vector<std::string> values;
  if (c::DecodeStrings(codec, stream, count, &values).ok()) {
    Check(count <= c::kMaxChunkValues && values.size() == count);
    size_t total = 0;
    for (const std::string& v : values) total += v.size();
    Check(total <= c::kMaxStringChunkBytes);
    CheckAllRoundTrips(values);
  }

  std::vector<std::string> spelled;
  for (size_t start = 0; start < stream.size();) {
    size_t end = stream.find(kValueSeparator, start);
    if (end == std::string_view::npos) end = stream.size();
    spelled.emplace_back(stream.substr(start, end - start));
    start = end + 1;
  }
  CheckAllRoundTrips(spelled);
  return 0;
}
