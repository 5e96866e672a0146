#include "compression/decimal.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <memory>
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
constexpr uint64_t kIntLimit = uint64_t{1} << 51;  // Integers lie in [-kIntLimit, kIntLimit).

// Which build of the hot loops runs is picked at load time on x86-64 with glibc (ifunc): AVX2 and
// FMA where the processor has them. Elsewhere there is one build, and __builtin_fma may be a
// library call: slower, same results.
#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang_analyzer__)
#define EDGETSDB_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define EDGETSDB_MULTIVERSION
#endif
// Bit-exact results need plain IEEE double arithmetic: no x87 excess precision. (The build also
// keeps -ffp-contract=off, so no multiply-add is fused behind the code's back.)
static_assert(FLT_EVAL_METHOD == 0, "decimal coding needs IEEE double evaluation");

constexpr std::array<double, kMaxExponent + 1> kPow10 = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                         1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                         1e14, 1e15, 1e16, 1e17, 1e18};
constexpr std::array<double, kMaxExponent + 1> kInvPow10 = {
    1e-0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,  1e-8, 1e-9,
    1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18};

// The exception cost the exponent search assumes: a 64-bit value and about two bytes of position.
constexpr int kExceptionBits = 64 + 16;
constexpr size_t kSampleSize = 64;

inline double IntToDouble(int64_t n) {
  return BitsDouble(static_cast<uint64_t>(n) + kMagicBits) - kMagic;
}

// Decoding computes n / 10^e without a division, which would cap it near one value per two
// cycles: the quotient estimate n * 10^-e is corrected once by its exact residual (a fused
// multiply-add). That is the correctly rounded quotient for all but rare inputs, and the encoder
// checks every value with this same function, so those rare ones simply become exceptions.
//
// The loops below are also compiled for x86-64-v3 (AVX2, FMA) and picked at load time where the
// processor has them; elsewhere __builtin_fma may be a library call (slower, same results). They
// take whole arrays so that the formula is inlined into each clone (a helper function would not
// be inlined across the clones' different targets).
//
// Returns false if an integer lies outside [-2^51, 2^51): only a damaged stream holds one, and its
// conversion would be neither exact nor the same on every platform.
EDGETSDB_MULTIVERSION bool ScaleDownAll(const uint64_t* ints, size_t n, uint64_t base, int e,
                                        double* out) {
  const double p = kPow10[e];
  const double inv = kInvPow10[e];
  uint64_t out_of_range = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t v = ints[k] + base;
    out_of_range |= static_cast<uint64_t>(v + kIntLimit >= 2 * kIntLimit);
    const double d = IntToDouble(static_cast<int64_t>(v));
    const double q = d * inv;
    out[k] = __builtin_fma(__builtin_fma(-q, p, d), inv, q);
  }
  return out_of_range == 0;
}

// ints[k] = round(values[k] * 10^e), or 0 where that is out of range (NaN and infinities too).
// A value is encodable exactly when ScaleDownAll brings its integer back to the same bits; returns
// how many are not. Bits, not values, are compared: -0.0 must not pass as +0.0.
EDGETSDB_MULTIVERSION size_t ScaleUpAll(const double* values, size_t n, int e, uint64_t* ints) {
  const double p = kPow10[e];
  const double inv = kInvPow10[e];
  size_t mismatches = 0;
  for (size_t k = 0; k < n; ++k) {
    const double scaled = values[k] * p;
    const uint64_t rounded = DoubleBits(scaled + kMagic) - kMagicBits;
    // Masks rather than conditionals, which the vectorizer would turn into branches. The first
    // test keeps the rounding trick valid; the second keeps its result in [-2^51, 2^51).
    const uint64_t in_range = (0 - static_cast<uint64_t>(__builtin_fabs(scaled) < kMaxScaled)) &
                              (0 - static_cast<uint64_t>(rounded + kIntLimit < 2 * kIntLimit));
    const uint64_t n_k = rounded & in_range;
    ints[k] = n_k;
    const double d = IntToDouble(static_cast<int64_t>(n_k));
    const double q = d * inv;
    const double back = __builtin_fma(__builtin_fma(-q, p, d), inv, q);
    mismatches += DoubleBits(back) != DoubleBits(values[k]);
  }
  return mismatches;
}

// Scales values by 10^e into ints and returns the positions that do not round-trip. Exceptions
// take the integer of their predecessor (or of the first good value), so they widen nothing.
// ints must hold values.size() elements.
void ScaleChunk(absl::Span<const double> values, int e, uint64_t* ints,
                std::vector<uint32_t>* exceptions) {
  const size_t n = values.size();
  exceptions->clear();
  if (ScaleUpAll(values.data(), n, e, ints) == 0) return;

  double decoded[kPackGroup];
  for (size_t i = 0; i < n; i += kPackGroup) {
    const size_t m = std::min(kPackGroup, n - i);
    (void)ScaleDownAll(ints + i, m, 0, e, decoded);  // ScaleUpAll kept them in range.
    for (size_t k = 0; k < m; ++k) {
      if (DoubleBits(decoded[k]) != DoubleBits(values[i + k])) {
        exceptions->push_back(static_cast<uint32_t>(i + k));
      }
    }
  }
  size_t next = 0;  // Index into exceptions.
  uint64_t last = 0;
  bool have_last = false;
  for (size_t i = 0; i < n; ++i) {
    if (next < exceptions->size() && (*exceptions)[next] == i) {
      ++next;
      ints[i] = last;
    } else {
      if (!have_last) std::fill(ints, ints + i, ints[i]);
      have_last = true;
      last = ints[i];
    }
  }
}

// Decodes a group of delta-mode integers: out[k] = ScaleDown(acc + sum(d[0..k] + base)), and
// advances acc. A plain running sum is one serial add per value, which would bound decoding; a full
// group is summed as four independent quarters, each then offset by the sums before it as it is
// scaled (vectorized).
// Returns false if an integer lies outside [-2^51, 2^51), as ScaleDownAll does.
EDGETSDB_MULTIVERSION bool PrefixScaleDown(uint64_t* d, size_t n, uint64_t base, int e,
                                           uint64_t* acc, double* out) {
  if (n != kPackGroup) {
    for (size_t k = 0; k < n; ++k) d[k] = *acc += d[k] + base;
    return ScaleDownAll(d, n, 0, e, out);
  }
  constexpr size_t kQuarter = kPackGroup / 4;
  uint64_t sums[4] = {0, 0, 0, 0};
  for (size_t j = 0; j < kQuarter; ++j) {
    for (size_t q = 0; q < 4; ++q) d[q * kQuarter + j] = sums[q] += d[q * kQuarter + j] + base;
  }
  const double p = kPow10[e];
  const double inv = kInvPow10[e];
  uint64_t offset = *acc;
  uint64_t out_of_range = 0;
  for (size_t q = 0; q < 4; ++q) {
    for (size_t j = 0; j < kQuarter; ++j) {
      const uint64_t n_k = d[q * kQuarter + j] + offset;
      out_of_range |= static_cast<uint64_t>(n_k + kIntLimit >= 2 * kIntLimit);
      const double v = IntToDouble(static_cast<int64_t>(n_k));
      const double quotient = v * inv;
      out[q * kQuarter + j] = __builtin_fma(__builtin_fma(-quotient, p, v), inv, quotient);
    }
    offset += sums[q];
  }
  *acc = offset;
  return out_of_range == 0;
}

struct Ranges {
  int64_t lo, hi;              // Of the integers.
  int64_t lo_delta, hi_delta;  // Of their successive differences (0 when there is one integer).
};

// Integers are below 2^51 in magnitude, so neither range nor delta overflows int64.
EDGETSDB_MULTIVERSION Ranges RangesOf(const uint64_t* ints, size_t n) {
  int64_t lo = static_cast<int64_t>(ints[0]), hi = lo;
  int64_t lo_delta = n > 1 ? INT64_MAX : 0, hi_delta = n > 1 ? INT64_MIN : 0;
  for (size_t i = 1; i < n; ++i) {
    const int64_t v = static_cast<int64_t>(ints[i]);
    const int64_t delta = v - static_cast<int64_t>(ints[i - 1]);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
    lo_delta = delta < lo_delta ? delta : lo_delta;
    hi_delta = delta > hi_delta ? delta : hi_delta;
  }
  return {lo, hi, lo_delta, hi_delta};
}

// Picks the exponent with the smallest estimated size on a sample of the chunk.
int ChooseExponent(absl::Span<const double> values) {
  const size_t sample_size = std::min(values.size(), kSampleSize);
  const size_t stride = values.size() / sample_size;
  double sample[kSampleSize];
  for (size_t k = 0; k < sample_size; ++k) sample[k] = values[k * stride];
  uint64_t ints[kSampleSize];
  std::vector<uint32_t> exceptions;
  int best_exponent = 0;
  uint64_t best_cost = ~uint64_t{0};
  for (int e = 0; e <= kMaxExponent; ++e) {
    ScaleChunk(absl::MakeConstSpan(sample, sample_size), e, ints, &exceptions);
    const auto [lo, hi] = std::minmax_element(ints, ints + sample_size, [](uint64_t a, uint64_t b) {
      return static_cast<int64_t>(a) < static_cast<int64_t>(b);
    });
    const int width = BitWidth(*hi - *lo);
    const uint64_t cost = sample_size * width + exceptions.size() * kExceptionBits;
    if (cost < best_cost) {
      best_cost = cost;
      best_exponent = e;
    }
    // A larger exponent only widens the integers once every sampled value fits.
    if (exceptions.empty()) break;
  }
  return best_exponent;
}

}  // namespace

void EncodeDecimal(absl::Span<const double> values, std::string* out) {
  const size_t count = values.size();
  if (count == 0) return;
  const int e = ChooseExponent(values);
  // Uninitialized on purpose: ScaleChunk writes every element.
  const auto ints = std::make_unique_for_overwrite<uint64_t[]>(count);
  std::vector<uint32_t> exceptions;
  ScaleChunk(values, e, ints.get(), &exceptions);

  auto signed_at = [&](size_t i) { return static_cast<int64_t>(ints[i]); };
  const Ranges ranges = RangesOf(ints.get(), count);
  const int64_t lo = ranges.lo, lo_delta = ranges.lo_delta;
  const int64_t hi = ranges.hi, hi_delta = ranges.hi_delta;
  const int for_width = BitWidth(static_cast<uint64_t>(hi - lo));
  const int delta_width = BitWidth(static_cast<uint64_t>(hi_delta - lo_delta));
  const bool use_delta = count > 1 && PackedSize(count - 1, delta_width) + kMaxVarint64Bytes <
                                          PackedSize(count, for_width);

  out->push_back(static_cast<char>(e));
  out->push_back(static_cast<char>(use_delta ? kDelta : kFrameOfReference));
  if (use_delta) {
    out->push_back(static_cast<char>(delta_width));
    PutVarint64(out, ZigZagEncode(lo_delta));
    PutVarint64(out, ZigZagEncode(signed_at(0)));
    // In place, back to front: ints[i] becomes the offset delta that leads to it.
    for (size_t i = count - 1; i >= 1; --i) {
      ints[i] = ints[i] - ints[i - 1] - static_cast<uint64_t>(lo_delta);
    }
  } else {
    out->push_back(static_cast<char>(for_width));
    PutVarint64(out, ZigZagEncode(lo));
    for (size_t i = 0; i < count; ++i) ints[i] -= static_cast<uint64_t>(lo);
  }
  PutVarint64(out, exceptions.size());
  if (use_delta) {
    PackBits(ints.get() + 1, count - 1, delta_width, out);
  } else {
    PackBits(ints.get(), count, for_width, out);
  }
  uint32_t prev = 0;
  for (uint32_t pos : exceptions) {
    PutVarint64(out, pos - prev);
    prev = pos;
  }
  for (uint32_t pos : exceptions) PutFixed64(out, DoubleBits(values[pos]));
}

absl::Status DecodeDecimal(std::string_view data, size_t count, double* out) {
  if (count == 0) return absl::InvalidArgumentError("decimal: count must be at least 1");
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
  const auto* in = reinterpret_cast<const uint8_t*>(packed.data());
  uint64_t buf[kPackGroup];
  bool in_range = true;
  if (mode == kFrameOfReference) {
    for (size_t i = 0; i < count; i += kPackGroup) {
      const size_t n = std::min(kPackGroup, count - i);
      UnpackBits(in, n, width, buf);
      if (n == kPackGroup) in += 8 * width;
      in_range &= ScaleDownAll(buf, n, static_cast<uint64_t>(base), e, out + i);
    }
  } else {
    uint64_t acc = static_cast<uint64_t>(ZigZagDecode(zigzag_first));
    buf[0] = acc;
    in_range &= ScaleDownAll(buf, 1, 0, e, out);
    for (size_t i = 0; i < packed_count; i += kPackGroup) {
      const size_t n = std::min(kPackGroup, packed_count - i);
      UnpackBits(in, n, width, buf);
      if (n == kPackGroup) in += 8 * width;
      in_range &= PrefixScaleDown(buf, n, static_cast<uint64_t>(base), e, &acc, out + i + 1);
    }
  }
  if (!in_range) return absl::DataLossError("decimal: integer outside [-2^51, 2^51)");

  uint64_t pos = 0;
  std::vector<uint32_t> positions(exception_count);
  for (uint64_t k = 0; k < exception_count; ++k) {
    uint64_t gap = 0;
    if (!reader.ReadVarint64(&gap)) return absl::DataLossError("decimal: exceptions truncated");
    // Checked before adding, so that a huge gap cannot wrap around to an earlier position.
    if (gap >= count - pos || (k > 0 && gap == 0)) {
      return absl::DataLossError("decimal: exception position out of order or range");
    }
    pos += gap;
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
