#include "compression/chimp.h"

#include <algorithm>
#include <array>
#include <vector>

#include "compression/bit_packing.h"
#include "compression/bit_stream.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

constexpr int kWindowBits = 7;
constexpr size_t kWindow = size_t{1} << kWindowBits;  // 128 previous values.
// Matches are found through a table indexed by the low mantissa bits. Chimp uses 14 bits; the
// encoder alone uses the table (the stream carries explicit indices), so it is sized to the input
// to keep short chunks from paying for clearing 16K entries.
constexpr int kMaxHashBits = 14;
constexpr int kMinHashBits = 8;
// A match in the window pays for its index only when it saves more bits than that costs.
constexpr int kTrailingThreshold = 6 + kWindowBits;

constexpr std::array<int, 8> kLeadingValues = {0, 8, 12, 16, 18, 20, 22, 24};

constexpr std::array<uint8_t, 65> MakeLeadingCode() {
  std::array<uint8_t, 65> code{};
  for (int lz = 0; lz <= 64; ++lz) {
    uint8_t c = 0;
    for (uint8_t k = 0; k < kLeadingValues.size(); ++k) {
      if (kLeadingValues[k] <= lz) c = k;
    }
    code[lz] = c;
  }
  return code;
}
constexpr std::array<uint8_t, 65> kLeadingCode = MakeLeadingCode();

constexpr int kNoLeading = 65;  // "No previous leading count": forces the '11' form.

}  // namespace

void EncodeChimp128(absl::Span<const double> values, std::string* out) {
  if (values.empty()) return;
  BitWriter writer(out);
  std::array<uint64_t, kWindow> window{};
  const int hash_bits = std::clamp(BitWidth(values.size()) + 1, kMinHashBits, kMaxHashBits);
  const uint64_t hash_mask = (uint64_t{1} << hash_bits) - 1;
  // Position + 1 of the last value with each hash (0: none); positions are global indices.
  std::vector<uint32_t> last_with_hash(size_t{1} << hash_bits, 0);

  uint64_t first = DoubleBits(values[0]);
  writer.Write(first, 64);
  window[0] = first;
  last_with_hash[first & hash_mask] = 1;
  int stored_leading = kNoLeading;

  for (size_t i = 1; i < values.size(); ++i) {
    const uint64_t cur = DoubleBits(values[i]);
    const uint64_t key = cur & hash_mask;
    size_t ref = i - 1;
    uint64_t x = window[ref % kWindow] ^ cur;
    const uint32_t candidate = last_with_hash[key];
    if (candidate != 0 && i - (candidate - 1) <= kWindow) {
      const size_t pos = candidate - 1;
      const uint64_t candidate_xor = window[pos % kWindow] ^ cur;
      if (candidate_xor == 0 || __builtin_ctzll(candidate_xor) > kTrailingThreshold) {
        ref = pos;
        x = candidate_xor;
      }
    }

    if (x == 0) {
      writer.Write(0b00, 2);
      writer.Write(ref % kWindow, kWindowBits);
      stored_leading = kNoLeading;
    } else {
      const uint8_t code = kLeadingCode[__builtin_clzll(x)];
      const int leading = kLeadingValues[code];
      const int trailing = __builtin_ctzll(x);
      if (trailing > kTrailingThreshold) {
        const int significant = 64 - leading - trailing;
        writer.Write(0b01, 2);
        writer.Write(ref % kWindow, kWindowBits);
        writer.Write(code, 3);
        writer.Write(static_cast<uint64_t>(significant), 6);
        writer.Write(x >> trailing, significant);
        stored_leading = kNoLeading;
      } else {
        // Here ref is the previous value: a window match is taken only with many trailing zeros.
        if (leading == stored_leading) {
          writer.Write(0b10, 2);
        } else {
          writer.Write(0b11, 2);
          writer.Write(code, 3);
          stored_leading = leading;
        }
        writer.Write(x, 64 - leading);
      }
    }
    window[i % kWindow] = cur;
    last_with_hash[key] = static_cast<uint32_t>(i + 1);
  }
  writer.Finish();
}

absl::Status DecodeChimp128(std::string_view data, size_t count, double* out) {
  if (count == 0) return absl::InvalidArgumentError("chimp128: count must be at least 1");
  BitReader reader(data);
  std::array<uint64_t, kWindow> window{};
  uint64_t prev = reader.Read(64);
  window[0] = prev;
  out[0] = BitsDouble(prev);
  int stored_leading = kNoLeading;
  for (size_t i = 1; i < count; ++i) {
    const uint64_t control = reader.Read(2);
    uint64_t cur = 0;
    if (control <= 0b01) {
      const size_t slot = reader.Read(kWindowBits);
      if (slot >= i) return absl::DataLossError("chimp128: reference to a value not yet decoded");
      cur = window[slot];
      if (control == 0b01) {
        const int leading = kLeadingValues[reader.Read(3)];
        const int significant = static_cast<int>(reader.Read(6));
        const int trailing = 64 - leading - significant;
        if (significant == 0 || trailing <= 0) {
          return absl::DataLossError("chimp128: bad significant-bit count");
        }
        cur ^= reader.Read(significant) << trailing;
      }
      stored_leading = kNoLeading;
    } else {
      if (control == 0b11) {
        stored_leading = kLeadingValues[reader.Read(3)];
      } else if (stored_leading == kNoLeading) {
        return absl::DataLossError("chimp128: leading count used before set");
      }
      cur = prev ^ reader.Read(64 - stored_leading);
    }
    window[i % kWindow] = cur;
    prev = cur;
    out[i] = BitsDouble(cur);
  }
  if (!reader.AtPaddedEnd()) {
    return absl::DataLossError("chimp128: stream does not match its count");
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
