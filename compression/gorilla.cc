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
  BitReader reader(data);
  uint64_t prev = reader.Read(64);
  out[0] = BitsDouble(prev);
  // The window as (trailing zeros, length); length 0 until the first '11' sets it.
  int window_trailing = 0;
  int window_length = 0;
  for (size_t i = 1; i < count; ++i) {
    // '0' -> 0, '10' -> 1, '11' -> 2. Control codes are hard to predict on real data, so the value
    // bits are read without branching on the control: a zero XOR reads zero bits.
    const int control = reader.ReadUnary(2);
    if (control == 2) {
      const int header = static_cast<int>(reader.Read(kLeadingBits + kLengthBits));
      const int leading = header >> kLengthBits;
      window_length = header & ((1 << kLengthBits) - 1);
      if (window_length == 0) window_length = 64;
      window_trailing = 64 - leading - window_length;
      if (window_trailing < 0) return absl::DataLossError("gorilla: window wider than 64 bits");
    } else if (control == 1 && window_length == 0) {
      return absl::DataLossError("gorilla: window used before set");
    }
    const int length = control == 0 ? 0 : window_length;
    prev ^= reader.ReadVariable(length) << window_trailing;
    out[i] = BitsDouble(prev);
  }
  if (reader.overrun() || data.size() != (reader.bit_position() + 7) / 8) {
    return absl::DataLossError("gorilla: stream does not match its count");
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
