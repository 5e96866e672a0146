#include "compression/float_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "compression/chimp.h"
#include "compression/decimal.h"
#include "compression/gorilla.h"

namespace edgetsdb::compression {
namespace {

constexpr Codec kFloatCodecs[] = {Codec::kFloatDecimal, Codec::kFloatChimp128,
                                  Codec::kFloatGorilla};

// Larger chunks are judged on kSampleRuns runs of kSampleRunLength neighbouring values, spread
// over the chunk: enough to see the data's decimals and its XOR structure at a quarter of the cost.
constexpr size_t kSampleRuns = 4;
constexpr size_t kSampleRunLength = 128;
static_assert(kSampleRuns * kSampleRunLength <= kFullTrialValues);

size_t EstimatedSize(Codec codec, absl::Span<const double> values) {
  if (values.size() <= kFullTrialValues) {
    std::string scratch;
    EncodeFloats(codec, values, &scratch);
    return scratch.size();
  }
  size_t total = 0;
  const size_t step = values.size() / kSampleRuns;
  for (size_t r = 0; r < kSampleRuns; ++r) {
    std::string scratch;
    EncodeFloats(codec, values.subspan(r * step, kSampleRunLength), &scratch);
    total += scratch.size();
  }
  return total;
}

}  // namespace

void EncodeFloats(Codec codec, absl::Span<const double> values, std::string* out) {
  switch (codec) {
    case Codec::kFloatGorilla:
      return EncodeGorilla(values, out);
    case Codec::kFloatChimp128:
      return EncodeChimp128(values, out);
    case Codec::kFloatDecimal:
      return EncodeDecimal(values, out);
    default:
      // Programmer error: callers pass float codecs only.
      std::abort();
  }
}

Codec EncodeFloatsAuto(absl::Span<const double> values, std::string* out) {
  if (values.size() <= kFullTrialValues) {
    // Encode with each and keep the smallest; ties go to the first listed (decimal decodes fastest).
    std::string best;
    Codec best_codec = Codec::kNone;
    for (Codec codec : kFloatCodecs) {
      std::string candidate;
      EncodeFloats(codec, values, &candidate);
      if (best_codec == Codec::kNone || candidate.size() < best.size()) {
        best.swap(candidate);
        best_codec = codec;
      }
    }
    out->append(best);
    return best_codec;
  }
  Codec best_codec = Codec::kNone;
  size_t best_size = 0;
  for (Codec codec : kFloatCodecs) {
    const size_t size = EstimatedSize(codec, values);
    if (best_codec == Codec::kNone || size < best_size) {
      best_size = size;
      best_codec = codec;
    }
  }
  EncodeFloats(best_codec, values, out);
  return best_codec;
}

absl::Status DecodeFloats(Codec codec, std::string_view data, size_t count,
                          std::vector<double>* out) {
  if (count == 0 || count > kMaxChunkValues) {
    return absl::InvalidArgumentError(absl::StrCat("float count ", count, " out of range"));
  }
  out->resize(count);
  switch (codec) {
    case Codec::kFloatGorilla:
      return DecodeGorilla(data, count, out->data());
    case Codec::kFloatChimp128:
      return DecodeChimp128(data, count, out->data());
    case Codec::kFloatDecimal:
      return DecodeDecimal(data, count, out->data());
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("codec ", static_cast<int>(codec), " is not a float codec"));
  }
}

}  // namespace edgetsdb::compression
