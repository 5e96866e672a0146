#include "compression/gorilla.h"

#include "compression/bit_stream.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

constexpr int kLeadingBits = 5;  // So at most 31 leading zeros are recorded; more are kept as data.
constexpr int kMaxLeading = (1 << kLeadingBits) - 1;
constexpr int kLengthBits = 6;  // 1..64, with 64 written as 0.

}  // namespace

void EncodeGorilla(absl::Span<const double> values, std::string* out) {
  if (values.empty()) return;
  BitWriter writer(out);
  uint64_t prev = DoubleBits(values[0]);
  writer.Write(prev, 64);
  // No window yet: 64 leading zeros can never be inside it.
  int window_leading = 64;
  int window_trailing = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    const uint64_t cur = DoubleBits(values[i]);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      writer.WriteBit(false);
      continue;
    }
    int leading = __builtin_clzll(x);
    const int trailing = __builtin_ctzll(x);
    if (leading > kMaxLeading) leading = kMaxLeading;
    if (leading >= window_leading && trailing >= window_trailing) {
      writer.Write(0b10, 2);
      writer.Write(x >> window_trailing, 64 - window_leading - window_trailing);
    } else {
      const int length = 64 - leading - trailing;
      writer.Write(0b11, 2);
      writer.Write(static_cast<uint64_t>(leading), kLeadingBits);
      writer.Write(static_cast<uint64_t>(length & 63), kLengthBits);
      writer.Write(x >> trailing, length);
      window_leading = leading;
      window_trailing = trailing;
    }
  }
  writer.Finish();
}

absl::Status DecodeGorilla(std::string_view data, size_t count, double* out) {
  if (count == 0) return absl::InvalidArgumentError("gorilla: count must be at least 1");
  BitReader reader(data);
  uint64_t prev = reader.Read(64);
  out[0] = BitsDouble(prev);
  // The window as (trailing zeros, length); length 0 until the first '11' sets it.
  int window_trailing = 0;
  int window_length = 0;
  bool damaged = false;
  for (size_t i = 1; i < count; ++i) {
    // Control codes are unpredictable on real data, so rather than branch on them every field is
    // computed from one peek and selected: the loop's critical path is then the bit position alone.
    //   '0'  -> no bits follow;  '10' -> window_length bits;
    //   '11' -> 5 + 6 header bits set a new window, then its bits.
    const uint64_t peek = reader.PeekWord();
    const bool nonzero = (peek >> 63) != 0;
    const bool new_window = (peek >> 62) == 0b11;
    const int header = static_cast<int>(peek >> (62 - kLeadingBits - kLengthBits)) &
                       ((1 << (kLeadingBits + kLengthBits)) - 1);
    const int new_leading = header >> kLengthBits;
    const int new_length = ((header - 1) & 63) + 1;  // 0 means 64.
    window_length = new_window ? new_length : window_length;
    window_trailing = new_window ? 64 - new_leading - new_length : window_trailing;
    // A '10' before any window, or a window wider than 64 bits, can only come from damage.
    damaged |= (nonzero && window_length == 0) || window_trailing < 0;
    reader.Skip(new_window ? 2 + kLeadingBits + kLengthBits : (nonzero ? 2 : 1));
    const uint64_t bits = reader.ReadVariable(nonzero ? window_length : 0);
    prev ^= bits << (window_trailing & 63);
    out[i] = BitsDouble(prev);
  }
  if (damaged) return absl::DataLossError("gorilla: invalid control sequence");
  if (!reader.AtPaddedEnd()) {
    return absl::DataLossError("gorilla: stream does not match its count");
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
