// Fuzzes DecodeFloats (Gorilla, Chimp128, decimal) with arbitrary streams, and checks that whatever
// it accepts, and whatever doubles the input spells, survive a bit-exact round trip through every
// encoder and the automatic choice.
//
// Input: byte 0 picks the codec; bytes 1-2 give the count (little-endian, modulo 4097 so that
// iterations stay cheap; count 0 reaches the refusal); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "compression/coding.h"
#include "compression/float_codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

constexpr size_t kHeaderBytes = 3;
constexpr size_t kMaxFuzzCount = 4096;
constexpr c::Codec kCodecs[] = {c::Codec::kFloatGorilla, c::Codec::kFloatChimp128,
                                c::Codec::kFloatDecimal};

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void CheckAllRoundTrips(const std::vector<double>& values) {
  if (values.empty()) return;
  edgetsdb::fuzz::CheckAllRoundTrips(kCodecs, c::EncodeFloats, c::EncodeFloatsAuto, c::DecodeFloats,
                                     values, SameBits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const size_t count = (data[1] | data[2] << 8) % (kMaxFuzzCount + 1);
  const std::string_view stream = edgetsdb::fuzz::AsBytes(data, size).substr(kHeaderBytes);

  std::vector<double> values;
  if (c::DecodeFloats(codec, stream, count, &values).ok()) {
    Check(values.size() == count);
    CheckAllRoundTrips(values);
  }

  // The stream bytes read as doubles: NaN payloads, subnormals and all.
  std::vector<double> spelled(stream.size() / sizeof(double));
  if (!spelled.empty()) std::memcpy(spelled.data(), stream.data(), spelled.size() * sizeof(double));
  CheckAllRoundTrips(spelled);

  // The stream bytes as small decimals, the decimal codec's home ground.
  std::vector<double> decimals;
  for (size_t i = 0; i + 1 < stream.size(); i += 2) {
    const int16_t n = static_cast<int16_t>(static_cast<uint8_t>(stream[i]) |
                                           static_cast<uint8_t>(stream[i + 1]) << 8);
    decimals.push_back(n / 100.0);
  }
  CheckAllRoundTrips(decimals);
  return 0;
}
