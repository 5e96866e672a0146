#include "compression/timestamp_codec.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compression/bit_packing.h"
#include "compression/bit_stream.h"
#include "compression/codec.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

enum Mode : uint8_t {
  // A bit stream of delta-of-deltas in unary-prefixed buckets (Gorilla's scheme): about one bit
  // per timestamp for regular series with occasional gaps.
  kModeDeltaOfDelta = 0,
  // Every delta is the same: stored once.
  kModeConstantDelta = 1,
  // Deltas as a frame of reference, bit-packed: cheaper than delta-of-deltas when every timestamp
  // jitters (a dod spans twice the jitter), and decoded without a branch per value.
  kModePackedDelta = 2,
};

// Delta-of-delta buckets, selected by a unary prefix: '0' is a zero dod, '10' carries 7 bits,
// '110' 9 bits, and so on. The narrow buckets fit regular series with jitter of a few units of
// their precision; the 64-bit bucket makes the code total.
constexpr int kBucketBits[] = {0, 7, 9, 12, 20, 32, 64};
constexpr int kBuckets = sizeof(kBucketBits) / sizeof(kBucketBits[0]);
constexpr int kWidestBucket = kBuckets - 1;
static_assert(kBucketBits[kWidestBucket - 1] + kWidestBucket <= 57,
              "all buckets but the widest decode from one 57-bit peek");

constexpr int kMaxScaleExponent = 18;

bool FitsSigned(int64_t v, int bits) {
  if (bits >= 64) return true;
  const int64_t limit = int64_t{1} << (bits - 1);
  return v >= -limit && v < limit;
}

int BucketOf(int64_t dod) {
  if (dod == 0) return 0;
  int bucket = 1;
  while (!FitsSigned(dod, kBucketBits[bucket])) ++bucket;
  return bucket;
}

// Prefix: `bucket` ones then a zero, except for the widest bucket, which needs no terminator.
int PrefixLength(int bucket) { return bucket < kWidestBucket ? bucket + 1 : bucket; }

int64_t Wrapping(uint64_t v) { return static_cast<int64_t>(v); }

// The greatest common divisor of all deltas, so that series stored in nanoseconds but written
// with coarser precision cost what they would in their own unit. Deltas are taken modulo 2^64 and
// read as signed, which keeps delta / scale exact; scales above 2^62 are not worth the edge cases.
uint64_t DeltaScale(absl::Span<const int64_t> ts) {
  uint64_t g = 0;
  for (size_t i = 1; i < ts.size(); ++i) {
    const int64_t delta = Wrapping(static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[i - 1]));
    const uint64_t magnitude = delta < 0 ? 0 - static_cast<uint64_t>(delta) : delta;
    // Most deltas are multiples of the divisor so far; a remainder is cheaper than a gcd.
    if (magnitude != g && (g == 0 || magnitude % g != 0)) g = std::gcd(g, magnitude);
    if (g == 1) return 1;
  }
  return (g == 0 || g > (uint64_t{1} << 62)) ? 1 : g;
}

void WriteDeltaOfDeltas(absl::Span<const int64_t> deltas, std::string* out) {
  BitWriter writer(out);
  int64_t prev_delta = 0;
  for (int64_t delta : deltas) {
    const int64_t dod = Wrapping(static_cast<uint64_t>(delta) - static_cast<uint64_t>(prev_delta));
    prev_delta = delta;
    const int bucket = BucketOf(dod);
    const int prefix_len = PrefixLength(bucket);
    const uint64_t ones = (uint64_t{1} << bucket) - 1;
    writer.Write(bucket < kWidestBucket ? ones << 1 : ones, prefix_len);
    writer.Write(static_cast<uint64_t>(dod), kBucketBits[bucket]);
  }
  writer.Finish();
}

absl::Status ReadDeltaOfDeltas(std::string_view bits, uint64_t first, uint64_t scale, size_t count,
                               int64_t* out) {
  BitReader reader(bits);
  uint64_t t = first;
  uint64_t delta = 0;  // In units of scale, modulo 2^64.
  for (size_t i = 1; i < count; ++i) {
    // Bucket and payload come from one peek, without branching on the bucket, which jittered
    // series make unpredictable. Only the 64-bit bucket needs a second read.
    const uint64_t peek = reader.PeekWord();
    const int bucket = __builtin_clzll(~peek | (uint64_t{1} << (63 - kWidestBucket)));
    uint64_t dod;
    if (bucket == kWidestBucket) [[unlikely]] {
      reader.Skip(kWidestBucket);
      dod = reader.Read(64);
    } else {
      const int width = kBucketBits[bucket];
      const int prefix = bucket + 1;
      const uint64_t payload = ((peek << prefix) >> 1) >> (63 - width);
      const uint64_t sign = (uint64_t{1} << width) >> 1;  // 0 for the empty payload.
      dod = (payload ^ sign) - sign;
      reader.Skip(prefix + width);
    }
    delta += dod;
    t += delta * scale;
    out[i] = Wrapping(t);
  }
  // The writer pads the last byte with zeros; anything more is damage.
  if (!reader.AtPaddedEnd()) {
    return absl::DataLossError("timestamp bit stream does not match its count");
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeTimestamps(absl::Span<const int64_t> ts, std::string* out) {
  if (ts.empty()) return;
  if (ts.size() == 1) {
    out->push_back(static_cast<char>(kModeConstantDelta));
    PutFixed64(out, static_cast<uint64_t>(ts[0]));
    return;
  }
  const uint64_t scale = DeltaScale(ts);
  // Deltas in units of scale.
  std::vector<int64_t> deltas(ts.size() - 1);
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  size_t dod_bits = 0;
  int64_t prev_delta = 0;
  for (size_t i = 1; i < ts.size(); ++i) {
    const int64_t delta = Wrapping(static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[i - 1]));
    const int64_t scaled = scale == 1 ? delta : delta / static_cast<int64_t>(scale);
    deltas[i - 1] = scaled;
    lo = std::min(lo, scaled);
    hi = std::max(hi, scaled);
    const int bucket =
        BucketOf(Wrapping(static_cast<uint64_t>(scaled) - static_cast<uint64_t>(prev_delta)));
    dod_bits += PrefixLength(bucket) + kBucketBits[bucket];
    prev_delta = scaled;
  }
  const int width = BitWidth(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo));
  const size_t packed_bytes = VarintLength(ZigZagEncode(lo)) + 1 + PackedSize(deltas.size(), width);
  const Mode mode = lo == hi                             ? kModeConstantDelta
                    : packed_bytes <= (dod_bits + 7) / 8 ? kModePackedDelta
                                                         : kModeDeltaOfDelta;

  out->push_back(static_cast<char>(mode));
  PutFixed64(out, static_cast<uint64_t>(ts[0]));
  // scale = mantissa * 10^exponent: two bytes for the usual 10^6 or 10^9 instead of five.
  uint64_t mantissa = scale;
  uint8_t exponent = 0;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  out->push_back(static_cast<char>(exponent));
  PutVarint64(out, mantissa);

  switch (mode) {
    case kModeConstantDelta:
      PutVarint64(out, ZigZagEncode(lo));
      return;
    case kModePackedDelta: {
      PutVarint64(out, ZigZagEncode(lo));
      out->push_back(static_cast<char>(width));
      std::vector<uint64_t> offsets(deltas.size());
      for (size_t i = 0; i < deltas.size(); ++i) {
        offsets[i] = static_cast<uint64_t>(deltas[i]) - static_cast<uint64_t>(lo);
      }
      PackBits(offsets.data(), offsets.size(), width, out);
      return;
    }
    case kModeDeltaOfDelta:
      WriteDeltaOfDeltas(deltas, out);
      return;
  }
}

absl::Status DecodeTimestamps(std::string_view data, size_t count, std::vector<int64_t>* out) {
  if (count == 0 || count > kMaxChunkValues) {
    return absl::InvalidArgumentError(absl::StrCat("timestamp count ", count, " out of range"));
  }
  ByteReader reader(data);
  uint8_t mode = 0;
  uint64_t first = 0;
  if (!reader.ReadByte(&mode) || !reader.ReadFixed64(&first)) {
    return absl::DataLossError("timestamp stream truncated in its header");
  }
  if (mode != kModeDeltaOfDelta && mode != kModeConstantDelta && mode != kModePackedDelta) {
    return absl::DataLossError(absl::StrCat("unknown timestamp stream mode ", mode));
  }
  out->resize(count);
  int64_t* ts = out->data();
  ts[0] = Wrapping(first);
  if (count == 1) {
    if (reader.remaining() != 0) return absl::DataLossError("trailing bytes in timestamp stream");
    return absl::OkStatus();
  }

  uint8_t exponent = 0;
  uint64_t scale = 0;
  if (!reader.ReadByte(&exponent) || !reader.ReadVarint64(&scale)) {
    return absl::DataLossError("timestamp stream truncated in its scale");
  }
  if (scale == 0 || exponent > kMaxScaleExponent) {
    return absl::DataLossError("invalid timestamp scale");
  }
  for (int i = 0; i < exponent; ++i) {
    if (__builtin_mul_overflow(scale, uint64_t{10}, &scale)) {
      return absl::DataLossError("timestamp scale overflows");
    }
  }

  if (mode == kModeDeltaOfDelta) return ReadDeltaOfDeltas(reader.Rest(), first, scale, count, ts);

  uint64_t zigzag_base = 0;
  uint8_t width = 0;
  if (!reader.ReadVarint64(&zigzag_base) ||
      (mode == kModePackedDelta && !reader.ReadByte(&width))) {
    return absl::DataLossError("timestamp stream truncated in its deltas");
  }
  const uint64_t base = static_cast<uint64_t>(ZigZagDecode(zigzag_base));
  uint64_t t = first;
  if (mode == kModeConstantDelta) {
    if (reader.remaining() != 0) return absl::DataLossError("trailing bytes in timestamp stream");
    const uint64_t delta = base * scale;
    for (size_t i = 1; i < count; ++i) ts[i] = Wrapping(t += delta);
    return absl::OkStatus();
  }

  std::string_view packed;
  if (width > 64 || !reader.ReadBytes(PackedSize(count - 1, width), &packed) ||
      reader.remaining() != 0) {
    return absl::DataLossError("bad packed timestamp deltas");
  }
  const auto* in = reinterpret_cast<const uint8_t*>(packed.data());
  uint64_t buf[kPackGroup];
  for (size_t i = 1; i < count; i += kPackGroup) {
    const size_t n = std::min(kPackGroup, count - i);
    UnpackBits(in, n, width, buf);
    if (n == kPackGroup) in += 8 * width;
    for (size_t k = 0; k < n; ++k) ts[i + k] = Wrapping(t += (buf[k] + base) * scale);
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
