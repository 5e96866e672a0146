#include "compression/timestamp_codec.h"

#include <numeric>

#include "absl/strings/str_cat.h"
#include "compression/bit_stream.h"
#include "compression/codec.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

enum Mode : uint8_t {
  kModeDeltaOfDelta = 0,  // A bit stream of delta-of-deltas, one per timestamp after the first.
  kModeConstantDelta = 1,  // Every delta is the same: stored once.
};

// Delta-of-delta buckets, selected by a unary prefix: '0' is a zero dod, '10' carries 7 bits,
// '110' 9 bits, and so on. The narrow buckets fit regular series with jitter of a few units of
// their precision; the 64-bit bucket makes the code total.
constexpr int kBucketBits[] = {0, 7, 9, 12, 20, 32, 64};
constexpr int kBuckets = sizeof(kBucketBits) / sizeof(kBucketBits[0]);

constexpr int kMaxScaleExponent = 18;

bool FitsSigned(int64_t v, int bits) {
  if (bits >= 64) return true;
  const int64_t limit = int64_t{1} << (bits - 1);
  return v >= -limit && v < limit;
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  const int shift = 64 - bits;
  return static_cast<int64_t>(v << shift) >> shift;
}

// The greatest common divisor of all deltas, so that series stored in nanoseconds but written
// with coarser precision cost what they would in their own unit. Deltas are taken modulo 2^64 and
// read as signed, which keeps delta / scale exact; scales above 2^62 are not worth the edge cases.
uint64_t DeltaScale(absl::Span<const int64_t> ts) {
  uint64_t g = 0;
  for (size_t i = 1; i < ts.size(); ++i) {
    const int64_t delta =
        static_cast<int64_t>(static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[i - 1]));
    const uint64_t magnitude = delta < 0 ? 0 - static_cast<uint64_t>(delta) : delta;
    g = std::gcd(g, magnitude);
    if (g == 1) return 1;
  }
  return (g == 0 || g > (uint64_t{1} << 62)) ? 1 : g;
}

}  // namespace

void EncodeTimestamps(absl::Span<const int64_t> ts, std::string* out) {
  if (ts.empty()) return;
  const uint64_t scale = ts.size() > 1 ? DeltaScale(ts) : 1;
  auto scaled_delta = [&](size_t i) {
    const int64_t delta =
        static_cast<int64_t>(static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[i - 1]));
    return delta / static_cast<int64_t>(scale);
  };

  bool constant = true;
  for (size_t i = 2; i < ts.size() && constant; ++i) constant = scaled_delta(i) == scaled_delta(1);

  out->push_back(static_cast<char>(constant ? kModeConstantDelta : kModeDeltaOfDelta));
  PutFixed64(out, static_cast<uint64_t>(ts[0]));
  if (ts.size() == 1) return;

  // scale = mantissa * 10^exponent: two bytes for the usual 10^6 or 10^9 instead of five.
  uint64_t mantissa = scale;
  uint8_t exponent = 0;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  out->push_back(static_cast<char>(exponent));
  PutVarint64(out, mantissa);

  if (constant) {
    PutVarint64(out, ZigZagEncode(scaled_delta(1)));
    return;
  }
  BitWriter writer(out);
  int64_t prev_delta = 0;
  for (size_t i = 1; i < ts.size(); ++i) {
    const int64_t delta = scaled_delta(i);
    const int64_t dod =
        static_cast<int64_t>(static_cast<uint64_t>(delta) - static_cast<uint64_t>(prev_delta));
    prev_delta = delta;
    int bucket = 0;
    if (dod != 0) {
      bucket = 1;
      while (!FitsSigned(dod, kBucketBits[bucket])) ++bucket;
    }
    // Prefix: `bucket` ones then a zero, except the last bucket which needs no terminator.
    const int prefix_len = bucket < kBuckets - 1 ? bucket + 1 : bucket;
    const uint64_t prefix = (uint64_t{1} << prefix_len) - 2 + (bucket == kBuckets - 1 ? 1 : 0);
    writer.Write(prefix, prefix_len);
    writer.Write(static_cast<uint64_t>(dod), kBucketBits[bucket]);
  }
  writer.Finish();
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
  if (mode != kModeDeltaOfDelta && mode != kModeConstantDelta) {
    return absl::DataLossError(absl::StrCat("unknown timestamp stream mode ", mode));
  }
  out->resize(count);
  (*out)[0] = static_cast<int64_t>(first);
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

  uint64_t t = first;
  if (mode == kModeConstantDelta) {
    uint64_t zigzag = 0;
    if (!reader.ReadVarint64(&zigzag) || reader.remaining() != 0) {
      return absl::DataLossError("bad constant-delta timestamp stream");
    }
    const uint64_t delta = static_cast<uint64_t>(ZigZagDecode(zigzag)) * scale;
    for (size_t i = 1; i < count; ++i) (*out)[i] = static_cast<int64_t>(t += delta);
    return absl::OkStatus();
  }

  const std::string_view bits = reader.Rest();
  BitReader bit_reader(bits);
  uint64_t delta = 0;  // In units of scale, modulo 2^64.
  for (size_t i = 1; i < count; ++i) {
    const int bucket = bit_reader.ReadUnary(kBuckets - 1);
    const int width = kBucketBits[bucket];
    const uint64_t dod = width == 0 ? 0 : SignExtend(bit_reader.Read(width), width);
    delta += dod;
    t += delta * scale;
    (*out)[i] = static_cast<int64_t>(t);
  }
  // The writer pads the last byte with zeros; anything more is damage.
  if (bit_reader.overrun() || bits.size() != (bit_reader.bit_position() + 7) / 8) {
    return absl::DataLossError("timestamp bit stream does not match its count");
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
