// Integer streams (docs/format/chunk.md, "Integer streams"). Zero values encode to zero bytes.
//
// The three bit-packed codecs share one layout: a few header values, each a zigzag varint of the
// two's complement bits, then a frame over n codes:
//
//   frame := zigzag_varint(base) | width (1 byte, 0..64) | PackBits(code - base, width)
//
//   kIntFrameOfReference: frame over the values (base is the minimum in signed or unsigned order)
//   kIntDelta:            first value, frame over zigzag(v[i] - v[i-1]) for i >= 1
//   kIntDeltaOfDelta:     first value, first delta (0 when count is 1),
//                         frame over zigzag(d[i] - d[i-1]) for i >= 2, where d[i] = v[i] - v[i-1]
//
// kIntRunLength is a sequence of (zigzag_varint(value), varint(run length >= 1)) pairs whose runs
// sum to count. Zigzag keeps small negative int64 short; large uint64 cost 10 bytes either way.
//
// All arithmetic wraps modulo 2^64, so every uint64 sequence round-trips and every decoded frame
// is a valid sequence: there is no input that makes the encoder drop or desync a value.
#include "compression/integer_codec.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "compression/bit_packing.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

// Adding this flips the sign bit, which maps signed order onto unsigned order (and back).
constexpr uint64_t kSignBit = uint64_t{1} << 63;
constexpr int kMaxBitWidth = 64;
constexpr size_t kFrameWidthBytes = 1;
// Delta-of-delta stores the first value and the first delta before its frame.
constexpr size_t kMaxHeaderValues = 2;

uint64_t ToZigZag(uint64_t v) { return ZigZagEncode(static_cast<int64_t>(v)); }
uint64_t FromZigZag(uint64_t v) { return static_cast<uint64_t>(ZigZagDecode(v)); }

struct Frame {
  uint64_t base = 0;
  int width = 0;
};

// order_bias is 0 to take the minimum in unsigned order, kSignBit for signed order.
Frame FrameOf(absl::Span<const uint64_t> codes, uint64_t order_bias) {
  if (codes.empty()) return {};
  uint64_t lo = std::numeric_limits<uint64_t>::max();
  uint64_t hi = 0;
  for (uint64_t code : codes) {
    lo = std::min(lo, code + order_bias);
    hi = std::max(hi, code + order_bias);
  }
  return {lo - order_bias, BitWidth(hi - lo)};
}

// Values stored before the frame: none, the first value, or the first value and the first delta.
size_t HeaderSize(Codec codec) {
  switch (codec) {
    case Codec::kIntDelta:
      return 1;
    case Codec::kIntDeltaOfDelta:
      return 2;
    default:
      return 0;
  }
}

// A bit-packed stream before it is written, so that Auto can size it without packing.
struct PackedPlan {
  std::array<uint64_t, kMaxHeaderValues> header{};
  size_t header_size = 0;
  std::vector<uint64_t> codes;
  Frame frame;
};

// values must not be empty.
PackedPlan MakePlan(Codec codec, absl::Span<const uint64_t> values, bool is_signed) {
  PackedPlan plan;
  const size_t n = values.size();
  plan.header_size = HeaderSize(codec);
  plan.codes.reserve(n);
  switch (codec) {
    case Codec::kIntFrameOfReference:
      plan.codes.assign(values.begin(), values.end());
      plan.frame = FrameOf(plan.codes, is_signed ? kSignBit : 0);
      return plan;
    case Codec::kIntDelta:
      plan.header = {values[0]};
      for (size_t i = 1; i < n; ++i) plan.codes.push_back(ToZigZag(values[i] - values[i - 1]));
      break;
    default:  // kIntDeltaOfDelta
      plan.header = {values[0], n > 1 ? values[1] - values[0] : 0};
      for (size_t i = 2; i < n; ++i) {
        plan.codes.push_back(
            ToZigZag((values[i] - values[i - 1]) - (values[i - 1] - values[i - 2])));
      }
      break;
  }
  plan.frame = FrameOf(plan.codes, 0);
  return plan;
}

size_t PlanSize(const PackedPlan& plan) {
  size_t size = VarintLength(ToZigZag(plan.frame.base)) + kFrameWidthBytes +
                PackedSize(plan.codes.size(), plan.frame.width);
  for (size_t i = 0; i < plan.header_size; ++i) size += VarintLength(ToZigZag(plan.header[i]));
  return size;
}

void WritePlan(PackedPlan plan, std::string* out) {
  for (size_t i = 0; i < plan.header_size; ++i) PutVarint64(out, ToZigZag(plan.header[i]));
  PutVarint64(out, ToZigZag(plan.frame.base));
  out->push_back(static_cast<char>(plan.frame.width));
  for (uint64_t& code : plan.codes) code -= plan.frame.base;
  PackBits(plan.codes.data(), plan.codes.size(), plan.frame.width, out);
}

// Calls emit(value, run) for each run of equal values, in order.
template <typename Emit>
void ForEachRun(absl::Span<const uint64_t> values, Emit emit) {
  for (size_t i = 0; i < values.size();) {
    size_t run = 1;
    while (i + run < values.size() && values[i + run] == values[i]) ++run;
    emit(values[i], run);
    i += run;
  }
}

size_t RunLengthSize(absl::Span<const uint64_t> values) {
  size_t size = 0;
  ForEachRun(values, [&size](uint64_t value, size_t run) {
    size += VarintLength(ToZigZag(value)) + VarintLength(run);
  });
  return size;
}

void WriteRunLength(absl::Span<const uint64_t> values, std::string* out) {
  ForEachRun(values, [out](uint64_t value, size_t run) {
    PutVarint64(out, ToZigZag(value));
    PutVarint64(out, run);
  });
}

// Reads a frame holding exactly codes.size() codes into codes.
absl::Status ReadFrame(ByteReader* reader, absl::Span<uint64_t> codes) {
  uint64_t zigzag_base;
  uint8_t width;
  if (!reader->ReadVarint64(&zigzag_base) || !reader->ReadByte(&width)) {
    return absl::DataLossError("integer stream: truncated frame header");
  }
  if (width > kMaxBitWidth) {
    return absl::DataLossError(
        absl::StrCat("integer stream: bit width ", static_cast<int>(width), " exceeds 64"));
  }
  std::string_view packed;
  if (!reader->ReadBytes(PackedSize(codes.size(), width), &packed)) {
    return absl::DataLossError("integer stream: truncated packed values");
  }
  UnpackBits(reinterpret_cast<const uint8_t*>(packed.data()), codes.size(), width, codes.data());
  const uint64_t base = FromZigZag(zigzag_base);
  for (uint64_t& code : codes) code += base;
  return absl::OkStatus();
}

absl::Status DecodePacked(Codec codec, ByteReader* reader, absl::Span<uint64_t> out) {
  const size_t n = out.size();
  const size_t header_size = HeaderSize(codec);
  std::array<uint64_t, kMaxHeaderValues> header{};
  for (size_t i = 0; i < header_size; ++i) {
    if (!reader->ReadVarint64(&header[i])) {
      return absl::DataLossError("integer stream: truncated header");
    }
    header[i] = FromZigZag(header[i]);
  }
  // The frame is unpacked in place after the values the header provides, then integrated.
  const size_t first_coded = std::min(header_size, n);
  if (absl::Status s = ReadFrame(reader, out.subspan(first_coded)); !s.ok()) return s;
  if (codec == Codec::kIntDelta) {
    out[0] = header[0];
    for (size_t i = 1; i < n; ++i) out[i] = out[i - 1] + FromZigZag(out[i]);
  } else if (codec == Codec::kIntDeltaOfDelta) {
    out[0] = header[0];
    uint64_t delta = header[1];
    if (n > 1) out[1] = out[0] + delta;
    for (size_t i = 2; i < n; ++i) {
      delta += FromZigZag(out[i]);
      out[i] = out[i - 1] + delta;
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeRunLength(ByteReader* reader, absl::Span<uint64_t> out) {
  for (size_t i = 0; i < out.size();) {
    uint64_t zigzag_value, run;
    if (!reader->ReadVarint64(&zigzag_value) || !reader->ReadVarint64(&run)) {
      return absl::DataLossError("integer run length: truncated run");
    }
    if (run == 0 || run > out.size() - i) {
      return absl::DataLossError(
          absl::StrCat("integer run length: run of ", run, " at value ", i, " of ", out.size()));
    }
    std::fill_n(out.begin() + i, run, FromZigZag(zigzag_value));
    i += run;
  }
  return absl::OkStatus();
}

bool IsIntegerCodec(Codec codec) {
  return codec == Codec::kIntFrameOfReference || codec == Codec::kIntDelta ||
         codec == Codec::kIntDeltaOfDelta || codec == Codec::kIntRunLength;
}

}  // namespace

void EncodeIntegers(Codec codec, absl::Span<const uint64_t> values, bool is_signed,
                    std::string* out) {
  // A codec of another type is a programmer error (EncodeChunk checks user choices), as in
  // EncodeFloats: writing a stream no decoder accepts would be worse than stopping.
  if (codec != Codec::kIntFrameOfReference && codec != Codec::kIntDelta &&
      codec != Codec::kIntDeltaOfDelta && codec != Codec::kIntRunLength) {
    std::abort();
  }
  if (values.empty()) return;
  if (codec == Codec::kIntRunLength) {
    WriteRunLength(values, out);
  } else {
    WritePlan(MakePlan(codec, values, is_signed), out);
  }
}

Codec EncodeIntegersAuto(absl::Span<const uint64_t> values, bool is_signed, std::string* out) {
  // Ties go to the earlier codec: frame of reference decodes fastest.
  Codec best = Codec::kIntFrameOfReference;
  size_t best_size = std::numeric_limits<size_t>::max();
  for (Codec codec : {Codec::kIntFrameOfReference, Codec::kIntDelta, Codec::kIntDeltaOfDelta}) {
    const size_t size = values.empty() ? 0 : PlanSize(MakePlan(codec, values, is_signed));
    if (size < best_size) {
      best = codec;
      best_size = size;
    }
  }
  if (RunLengthSize(values) < best_size) best = Codec::kIntRunLength;
  EncodeIntegers(best, values, is_signed, out);
  return best;
}

absl::Status DecodeIntegers(Codec codec, std::string_view data, size_t count,
                            std::vector<uint64_t>* out) {
  if (!IsIntegerCodec(codec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an integer codec: ", static_cast<int>(codec)));
  }
  if (count > kMaxChunkValues) {
    return absl::InvalidArgumentError(
        absl::StrCat("count ", count, " exceeds the chunk limit of ", kMaxChunkValues));
  }
  out->resize(count);
  ByteReader reader(data);
  if (count > 0) {
    absl::Status s = codec == Codec::kIntRunLength
                         ? DecodeRunLength(&reader, absl::MakeSpan(*out))
                         : DecodePacked(codec, &reader, absl::MakeSpan(*out));
    if (!s.ok()) return s;
  }
  if (reader.remaining() != 0) {
    return absl::DataLossError(
        absl::StrCat("integer stream: ", reader.remaining(), " bytes after the last value"));
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::compression
