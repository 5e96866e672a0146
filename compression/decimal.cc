#include "compression/decimal.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compression/bit_packing.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

constexpr int kMaxExponent = 18;

enum Mode : uint8_t {
  kFrameOfReference = 0,  // n[i] - min, bit-packed.
  kDelta = 1,             // n[i] - n[i-1] - min_delta, bit-packed; n[0] stored apart.
};

// Scaled integers are kept below 2^51 in magnitude so that the conversions below are exact and
// vectorizable: adding 1.5 * 2^52 places an integer in the low mantissa bits of a double.
constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
constexpr uint64_t kMagicBits = 0x4338000000000000;
constexpr double kMaxScaled = 2251799813685248.0;  // 2^51

constexpr std::array<double, kMaxExponent + 1> kPow10 = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

// The exception cost the exponent search assumes: a 64-bit value and about two bytes of position.
constexpr int kExceptionBits = 64 + 16;
constexpr size_t kSampleSize = 64;

inline double IntToDouble(int64_t n) {
  return BitsDouble(static_cast<uint64_t>(n) + kMagicBits) - kMagic;
}

// The integer n with n / 10^e == v exactly, if there is one within range.
inline bool ToScaledInt(double v, int e, int64_t* n) {
  const double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) < kMaxScaled)) return false;  // Also rejects NaN and infinities.
  const int64_t rounded = static_cast<int64_t>(DoubleBits(scaled + kMagic) - kMagicBits);
  // -0.0 would come back as +0.0: compare bits, not values.
  if (DoubleBits(IntToDouble(rounded) / kPow10[e]) != DoubleBits(v)) return false;
  *n = rounded;
  return true;
}

// Picks the exponent with the smallest estimated size on a sample of the chunk.
int ChooseExponent(absl::Span<const double> values) {
  const size_t sample = std::min(values.size(), kSampleSize);
  const size_t stride = values.size() / sample;
  int best_exponent = 0;
  uint64_t best_cost = ~uint64_t{0};
  for (int e = 0; e <= kMaxExponent; ++e) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint64_t exceptions = 0;
    for (size_t k = 0; k < sample; ++k) {
      int64_t n;
      if (ToScaledInt(values[k * stride], e, &n)) {
        lo = std::min(lo, n);
        hi = std::max(hi, n);
      } else {
        ++exceptions;
      }
    }
    const int width = exceptions == sample ? 0 : BitWidth(static_cast<uint64_t>(hi - lo));
    const uint64_t cost = sample * width + exceptions * kExceptionBits;
    if (cost < best_cost) {
      best_cost = cost;
      best_exponent = e;
    }
    // A larger exponent only widens the integers once every sampled value fits.
    if (exceptions == 0) break;
  }
  return best_exponent;
}

}  // namespace

void EncodeDecimal(absl::Span<const double> values, std::string* out) {
  const size_t count = values.size();
  if (count == 0) return;
  const int e = ChooseExponent(values);

  std::vector<int64_t> ints(count);
  std::vector<uint32_t> exceptions;
  bool have_last = false;
  int64_t last = 0;
  for (size_t i = 0; i < count; ++i) {
    int64_t n;
    if (ToScaledInt(values[i], e, &n)) {
      if (!have_last) {
        // Exceptions before the first encodable value take its integer: they widen nothing.
        std::fill(ints.begin(), ints.begin() + i, n);
        have_last = true;
      }
      last = n;
    } else {
      exceptions.push_back(static_cast<uint32_t>(i));
    }
    ints[i] = last;
  }

  int64_t lo = ints[0], hi = ints[0];
  int64_t lo_delta = 0, hi_delta = 0;
  for (size_t i = 1; i < count; ++i) {
    lo = std::min(lo, ints[i]);
    hi = std::max(hi, ints[i]);
    const int64_t delta = ints[i] - ints[i - 1];
    if (i == 1) lo_delta = hi_delta = delta;
    lo_delta = std::min(lo_delta, delta);
    hi_delta = std::max(hi_delta, delta);
  }
  const int for_width = BitWidth(static_cast<uint64_t>(hi - lo));
  const int delta_width = BitWidth(static_cast<uint64_t>(hi_delta - lo_delta));
  const bool use_delta = count > 1 && PackedSize(count - 1, delta_width) + kMaxVarint64Bytes <
                                          PackedSize(count, for_width);

  out->push_back(static_cast<char>(e));
  out->push_back(static_cast<char>(use_delta ? kDelta : kFrameOfReference));
  std::vector<uint64_t> packed;
  if (use_delta) {
    out->push_back(static_cast<char>(delta_width));
    PutVarint64(out, ZigZagEncode(lo_delta));
    PutVarint64(out, ZigZagEncode(ints[0]));
    packed.resize(count - 1);
    for (size_t i = 1; i < count; ++i) {
      packed[i - 1] = static_cast<uint64_t>(ints[i] - ints[i - 1] - lo_delta);
    }
  } else {
    out->push_back(static_cast<char>(for_width));
    PutVarint64(out, ZigZagEncode(lo));
    packed.resize(count);
    for (size_t i = 0; i < count; ++i) packed[i] = static_cast<uint64_t>(ints[i] - lo);
  }
  PutVarint64(out, exceptions.size());
  PackBits(packed.data(), packed.size(), use_delta ? delta_width : for_width, out);
  uint32_t prev = 0;
  for (uint32_t pos : exceptions) {
    PutVarint64(out, pos - prev);
    prev = pos;
  }
  for (uint32_t pos : exceptions) PutFixed64(out, DoubleBits(values[pos]));
}

absl::Status DecodeDecimal(std::string_view data, size_t count, double* out) {
  ByteReader reader(data);
  uint8_t e = 0, mode = 0, width = 0;
  uint64_t zigzag_base = 0, zigzag_first = 0, exception_count = 0;
  if (!reader.ReadByte(&e) || !reader.ReadByte(&mode) || !reader.ReadByte(&width) ||
      !reader.ReadVarint64(&zigzag_base) ||
      (mode == kDelta && !reader.ReadVarint64(&zigzag_first)) ||
      !reader.ReadVarint64(&exception_count)) {
    return absl::DataLossError("decimal: header truncated");
  }
  if (e > kMaxExponent || width > 64 || (mode != kFrameOfReference && mode != kDelta)) {
    return absl::DataLossError(
        absl::StrCat("decimal: bad header (exponent ", e, ", mode ", mode, ", width ", width, ")"));
  }
  if (exception_count > count) return absl::DataLossError("decimal: more exceptions than values");
  const size_t packed_count = mode == kDelta ? count - 1 : count;
  std::string_view packed;
  if (!reader.ReadBytes(PackedSize(packed_count, width), &packed)) {
    return absl::DataLossError("decimal: packed integers truncated");
  }

  const int64_t base = ZigZagDecode(zigzag_base);
  const double divisor = kPow10[e];
  const auto* in = reinterpret_cast<const uint8_t*>(packed.data());
  uint64_t buf[kPackGroup];
  size_t i = 0;
  if (mode == kFrameOfReference) {
    for (; i < count; i += kPackGroup) {
      const size_t n = std::min(kPackGroup, count - i);
      UnpackBits(in, n, width, buf);
      if (n == kPackGroup) in += 8 * width;
      for (size_t k = 0; k < n; ++k) {
        out[i + k] = IntToDouble(static_cast<int64_t>(buf[k] + static_cast<uint64_t>(base))) /
                     divisor;
      }
    }
  } else {
    uint64_t acc = static_cast<uint64_t>(ZigZagDecode(zigzag_first));
    out[0] = IntToDouble(static_cast<int64_t>(acc)) / divisor;
    for (i = 0; i < packed_count; i += kPackGroup) {
      const size_t n = std::min(kPackGroup, packed_count - i);
      UnpackBits(in, n, width, buf);
      if (n == kPackGroup) in += 8 * width;
      for (size_t k = 0; k < n; ++k) {
        acc += buf[k] + static_cast<uint64_t>(base);
        out[i + k + 1] = IntToDouble(static_cast<int64_t>(acc)) / divisor;
      }
    }
  }

  uint64_t pos = 0;
  std::vector<uint32_t> positions(exception_count);
  for (uint64_t k = 0; k < exception_count; ++k) {
    uint64_t gap = 0;
    if (!reader.ReadVarint64(&gap)) return absl::DataLossError("decimal: exceptions truncated");
    pos += gap;
    if (pos >= count || (k > 0 && gap == 0)) {
      return absl::DataLossError("decimal: exception position out of order or range");
    }
    positions[k] = static_cast<uint32_t>(pos);
  }
  for (uint32_t p : positions) {
    uint64_t bits = 0;
    if (!reader.ReadFixed64(&bits)) return absl::DataLossError("decimal: exceptions truncated");
    out[p] = BitsDouble(bits);
  }
  if (reader.remaining() != 0) return absl::DataLossError("decimal: trailing bytes");
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
