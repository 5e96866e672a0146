// Fuzzes DecodeTimestamps with arbitrary streams, and checks that whatever it accepts, and whatever
// int64 sequence the input spells, survives a round trip.
//
// Input: bytes 0-1 give the count (little-endian, modulo 4097); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "compression/timestamp_codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

constexpr size_t kHeaderBytes = 2;
constexpr size_t kMaxFuzzCount = 4096;

void CheckRoundTrip(const std::vector<int64_t>& ts) {
  if (ts.empty()) return;
  std::string encoded;
  c::EncodeTimestamps(ts, &encoded);
  std::vector<int64_t> decoded;
  Check(c::DecodeTimestamps(encoded, ts.size(), &decoded).ok());
  Check(decoded == ts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const size_t count = (data[0] | data[1] << 8) % (kMaxFuzzCount + 1);
  const std::string_view stream = edgetsdb::fuzz::AsBytes(data, size).substr(kHeaderBytes);

  std::vector<int64_t> ts;
  if (c::DecodeTimestamps(stream, count, &ts).ok()) {
    Check(ts.size() == count);
    CheckRoundTrip(ts);
  }

  std::vector<int64_t> spelled(stream.size() / sizeof(int64_t));
  if (!spelled.empty())
    std::memcpy(spelled.data(), stream.data(), spelled.size() * sizeof(int64_t));
  CheckRoundTrip(spelled);

  // Small steps from a realistic start: the narrow buckets and the common-scale path.
  std::vector<int64_t> steps;
  int64_t t = 1'764'000'000'000'000'000;
  for (char ch : stream) {
    t += static_cast<int64_t>(static_cast<int8_t>(ch)) * 1'000'000;
    steps.push_back(t);
  }
  CheckRoundTrip(steps);
  return 0;
}
