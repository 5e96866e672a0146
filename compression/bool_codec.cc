// Boolean streams (docs/format/chunk.md, "Boolean streams"). Zero values encode to zero bytes.
//
//   kBoolBitmap:    ceil(count / 8) bytes, value i in bit i % 8 of byte i / 8; unused bits are 0.
//   kBoolRunLength: first value (1 byte, 0 or 1), then varint run lengths (each >= 1, summing to
//                   count) of alternating values.
//
// Encoders treat any nonzero byte as true.
#include "compression/bool_codec.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "compression/coding.h"

namespace edgetsdb::compression {
namespace {

constexpr size_t kBitsPerByte = 8;

size_t BitmapSize(size_t count) { return (count + kBitsPerByte - 1) / kBitsPerByte; }

bool IsSet(uint8_t v) { return v != 0; }

// Calls emit(run) for each run of equal values, in order.
template <typename Emit>
void ForEachRun(absl::Span<const uint8_t> values, Emit emit) {
  for (size_t i = 0; i < values.size();) {
    size_t run = 1;
    while (i + run < values.size() && IsSet(values[i + run]) == IsSet(values[i])) ++run;
    emit(run);
    i += run;
  }
}

void WriteBitmap(absl::Span<const uint8_t> values, std::string* out) {
  std::string bitmap(BitmapSize(values.size()), '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    if (IsSet(values[i])) bitmap[i / kBitsPerByte] |= static_cast<char>(1 << (i % kBitsPerByte));
  }
  out->append(bitmap);
}

void WriteRunLength(absl::Span<const uint8_t> values, std::string* out) {
  out->push_back(IsSet(values[0]) ? 1 : 0);
  ForEachRun(values, [out](size_t run) { PutVarint64(out, run); });
}

absl::Status DecodeBitmap(std::string_view data, std::vector<uint8_t>* out) {
  const size_t count = out->size();
  if (data.size() != BitmapSize(count)) {
    return absl::DataLossError(absl::StrCat("bool bitmap: ", data.size(), " bytes for ", count,
                                            " values, expected ", BitmapSize(count)));
  }
  for (size_t i = 0; i < count; ++i) {
    (*out)[i] = (static_cast<uint8_t>(data[i / kBitsPerByte]) >> (i % kBitsPerByte)) & 1;
  }
  // Unused bits must be clear so that each bool column has exactly one encoding.
  const size_t used_bits = count % kBitsPerByte;
  if (used_bits != 0 && (static_cast<uint8_t>(data.back()) >> used_bits) != 0) {
    return absl::DataLossError("bool bitmap: padding bits set");
  }
  return absl::OkStatus();
}

absl::Status DecodeRunLength(std::string_view data, std::vector<uint8_t>* out) {
  ByteReader reader(data);
  uint8_t value;
  if (!reader.ReadByte(&value)) return absl::DataLossError("bool run length: missing first value");
  if (value > 1) {
    return absl::DataLossError(
        absl::StrCat("bool run length: first value ", static_cast<int>(value), " is not 0 or 1"));
  }
  const size_t count = out->size();
  for (size_t i = 0; i < count; value ^= 1) {
    uint64_t run;
    if (!reader.ReadVarint64(&run)) return absl::DataLossError("bool run length: truncated run");
    if (run == 0 || run > count - i) {
      return absl::DataLossError(
          absl::StrCat("bool run length: run of ", run, " at value ", i, " of ", count));
    }
    std::fill_n(out->begin() + i, run, value);
    i += run;
  }
  if (reader.remaining() != 0) {
    return absl::DataLossError(
        absl::StrCat("bool run length: ", reader.remaining(), " bytes after the last run"));
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeBools(Codec codec, absl::Span<const uint8_t> values, std::string* out) {
  // A codec of another type is a programmer error, as in EncodeFloats.
  if (codec != Codec::kBoolBitmap && codec != Codec::kBoolRunLength) std::abort();
  if (values.empty()) return;
  if (codec == Codec::kBoolRunLength) {
    WriteRunLength(values, out);
  } else {
    WriteBitmap(values, out);
  }
}

Codec EncodeBoolsAuto(absl::Span<const uint8_t> values, std::string* out) {
  size_t run_length_size = values.empty() ? 0 : 1;
  ForEachRun(values, [&](size_t run) { run_length_size += VarintLength(run); });
  // Ties go to the bitmap, which decodes without branches.
  const Codec best =
      run_length_size < BitmapSize(values.size()) ? Codec::kBoolRunLength : Codec::kBoolBitmap;
  EncodeBools(best, values, out);
  return best;
}

absl::Status DecodeBools(Codec codec, std::string_view data, size_t count,
                         std::vector<uint8_t>* out) {
  if (codec != Codec::kBoolBitmap && codec != Codec::kBoolRunLength) {
    return absl::InvalidArgumentError(absl::StrCat("not a bool codec: ", static_cast<int>(codec)));
  }
  if (count > kMaxChunkValues) {
    return absl::InvalidArgumentError(
        absl::StrCat("count ", count, " exceeds the chunk limit of ", kMaxChunkValues));
  }
  out->resize(count);
  if (count == 0) {
    return data.empty() ? absl::OkStatus()
                        : absl::DataLossError("bool stream: bytes present for zero values");
  }
  return codec == Codec::kBoolBitmap ? DecodeBitmap(data, out) : DecodeRunLength(data, out);
}

}  // namespace edgetsdb::compression
