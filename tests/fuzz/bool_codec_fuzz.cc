// Fuzzes DecodeBools with arbitrary streams, and checks that whatever it accepts, and whatever
// values the input spells, survive a round trip through every encoder.
//
// Input: byte 0 picks the codec (bit 0); bytes 1-2 give the count (see ColumnCount); the rest is
// the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/bool_codec.h"
#include "compression/codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

constexpr size_t kHeaderBytes = 3;

constexpr c::Codec kCodecs[] = {c::Codec::kBoolBitmap, c::Codec::kBoolRunLength};

// values must be 0 or 1 (decoders only produce those; encoders map nonzero to 1).
void CheckAllRoundTrips(const std::vector<uint8_t>& values) {
  edgetsdb::fuzz::CheckAllRoundTrips(kCodecs, c::EncodeBools, c::EncodeBoolsAuto, c::DecodeBools,
                                     values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const size_t count = edgetsdb::fuzz::ColumnCount(data);
  const std::string_view stream = edgetsdb::fuzz::AsBytes(data, size).substr(kHeaderBytes);

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
