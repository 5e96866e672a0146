// What the libFuzzer targets share: how they fail, how they read their input header, and the
// encode-then-decode round trip they apply to every value sequence they accept or spell.
#ifndef EDGETSDB_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define EDGETSDB_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "compression/codec.h"

namespace edgetsdb::fuzz {

// Crashes, so that libFuzzer records and minimizes the input. Unlike assert, it stays in
// RelWithDebInfo (NDEBUG) builds.
inline void Check(bool condition) {
  if (!condition) __builtin_trap();
}

inline std::string_view AsBytes(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Bit 7 of byte 0 selects counts near the chunk limit. Those iterations cost tens of milliseconds
// under the sanitizers' comparison tracing, so the fuzzer reaches them only on purpose.
inline constexpr uint8_t kLargeCountBit = 0x80;
inline constexpr size_t kMaxSmallCount = 512;

// The count for a column decoder, from bytes 0-2 of an input header. Small: 0..kMaxSmallCount.
// Large: kMaxChunkValues + 1 - n, down from one above the limit (which decoders must refuse).
inline size_t ColumnCount(const uint8_t* data) {
  const size_t n = data[1] | data[2] << 8;
  return (data[0] & kLargeCountBit) ? compression::kMaxChunkValues + 1 - n
                                    : n % (kMaxSmallCount + 1);
}

// Checks that `values` survive encoding with each of `codecs` and with the automatic choice.
// encode, encode_auto and decode have the shapes of one value type's EncodeX, EncodeXAuto and
// DecodeX (compression/*_codec.h); `equal` compares decoded values with the originals.
template <typename T, typename Encode, typename EncodeAuto, typename Decode,
          typename Equal = std::equal_to<std::vector<T>>>
void CheckAllRoundTrips(absl::Span<const compression::Codec> codecs, Encode encode,
                        EncodeAuto encode_auto, Decode decode, const std::vector<T>& values,
                        Equal equal = {}) {
  const auto check_decodes = [&](compression::Codec codec, std::string_view encoded) {
    std::vector<T> decoded;
    Check(decode(codec, encoded, values.size(), &decoded).ok());
    Check(equal(decoded, values));
  };
  for (compression::Codec codec : codecs) {
    std::string encoded;
    encode(codec, values, &encoded);
    check_decodes(codec, encoded);
  }
  std::string encoded;
  const compression::Codec chosen = encode_auto(values, &encoded);
  check_decodes(chosen, encoded);
}

}  // namespace edgetsdb::fuzz

#endif  // EDGETSDB_TESTS_FUZZ_FUZZ_SUPPORT_H_
