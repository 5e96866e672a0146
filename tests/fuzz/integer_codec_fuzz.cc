// Fuzzes DecodeIntegers with arbitrary streams, and checks that whatever it accepts, and whatever
// values the input spells, survive a round trip through every encoder.
//
// Input: byte 0 picks the codec (bits 0-1) and signedness (bit 2); bytes 1-2 give the count
// (see ColumnCount); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "compression/codec.h"
#include "compression/coding.h"
#include "compression/integer_codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

constexpr size_t kHeaderBytes = 3;

constexpr c::Codec kCodecs[] = {c::Codec::kIntFrameOfReference, c::Codec::kIntDelta,
                                c::Codec::kIntDeltaOfDelta, c::Codec::kIntRunLength};

// Round trips through each of `codecs`, then the automatic choice.
void CheckRoundTrips(absl::Span<const c::Codec> codecs, const std::vector<uint64_t>& values,
                     bool is_signed) {
  edgetsdb::fuzz::CheckAllRoundTrips(
      codecs,
      [is_signed](c::Codec codec, absl::Span<const uint64_t> v, std::string* out) {
        c::EncodeIntegers(codec, v, is_signed, out);
      },
      [is_signed](absl::Span<const uint64_t> v, std::string* out) {
        return c::EncodeIntegersAuto(v, is_signed, out);
      },
      c::DecodeIntegers, values);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  const c::Codec codec = kCodecs[data[0] % std::size(kCodecs)];
  const bool is_signed = (data[0] & 4) != 0;
  const size_t count = edgetsdb::fuzz::ColumnCount(data);
  const std::string_view stream = edgetsdb::fuzz::AsBytes(data, size).substr(kHeaderBytes);

  std::vector<uint64_t> values;
  if (c::DecodeIntegers(codec, stream, count, &values).ok()) {
    Check(count <= c::kMaxChunkValues && values.size() == count);
    // Only the codec that accepted them and Auto: a full chunk takes milliseconds under ASan.
    CheckRoundTrips({codec}, values, is_signed);
  }

  // The stream bytes read as little-endian uint64 values.
  std::vector<uint64_t> spelled;
  for (size_t i = 0; i + sizeof(uint64_t) <= stream.size(); i += sizeof(uint64_t)) {
    spelled.push_back(c::DecodeFixed64(stream.data() + i));
  }
  CheckRoundTrips(kCodecs, spelled, is_signed);
  return 0;
}
