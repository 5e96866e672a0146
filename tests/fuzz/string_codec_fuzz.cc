// Fuzzes DecodeStrings with arbitrary streams, and checks that whatever it accepts, and whatever
// values the input spells, survive a round trip through every encoder.
//
// Input: byte 0 picks the codec (bit 0); bytes 1-2 give the count (see ColumnCount); the rest is
// the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/codec.h"
#include "compression/string_codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

constexpr size_t kHeaderBytes = 3;

constexpr c::Codec kCodecs[] = {c::Codec::kStringDictionary, c::Codec::kStringLz4};
// Splits the input into values for the encoder-side round trip.
constexpr char kValueSeparator = '\n';

void CheckAllRoundTrips(const std::vector<std::string>& values) {
  edgetsdb::fuzz::CheckAllRoundTrips(kCodecs, c::EncodeStrings, c::EncodeStringsAuto,
                                     c::DecodeStrings, values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const size_t count = edgetsdb::fuzz::ColumnCount(data);
  const std::string_view stream = edgetsdb::fuzz::AsBytes(data, size).substr(kHeaderBytes);

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
