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
constexpr Codec kXorCodecs[] = {Codec::kFloatChimp128, Codec::kFloatGorilla};

// Larger chunks let the XOR codecs challenge the decimal encoding on kSampleRuns runs of
// kSampleRunLength neighbouring values spread over the chunk (XOR codecs depend on neighbours).
// A challenger whose estimate comes within kChallengeSlack of the decimal size is encoded whole,
// and the smaller result kept: a poor estimate costs encode time, never size.
constexpr size_t kSampleRuns = 4;
constexpr size_t kSampleRunLength = 64;
constexpr double kChallengeSlack = 1.1;
static_assert(kSampleRuns * kSampleRunLength <= kFullTrialValues);

// Bytes the whole chunk would take, extrapolated from the sample. Each run's first value is stored
// raw (8 bytes), which the whole chunk pays only once.
double EstimateXorSize(Codec codec, absl::Span<const double> values) {
  const size_t step = values.size() / kSampleRuns;
  size_t sampled_bytes = 0;
  std::string scratch;
  for (size_t r = 0; r < kSampleRuns; ++r) {
    scratch.clear();
    EncodeFloats(codec, values.subspan(r * step, kSampleRunLength), &scratch);
    sampled_bytes += scratch.size() - sizeof(double);
  }
  return static_cast<double>(sampled_bytes) * values.size() / (kSampleRuns * kSampleRunLength);
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
  std::string best;
  Codec best_codec = Codec::kNone;
  auto consider = [&](Codec codec) {
    std::string candidate;
    EncodeFloats(codec, values, &candidate);
    // Ties go to the earlier candidate: decimal first, since it decodes fastest.
    if (best_codec == Codec::kNone || candidate.size() < best.size()) {
      best.swap(candidate);
      best_codec = codec;
    }
  };
  if (values.size() <= kFullTrialValues) {
    for (Codec codec : kFloatCodecs) consider(codec);
  } else {
    // Sensor values are mostly decimal, so the decimal codec usually wins and is the cheapest to
    // run whole; the XOR codecs are tried whole only when a sample says they may win.
    consider(Codec::kFloatDecimal);
    for (Codec codec : kXorCodecs) {
      if (EstimateXorSize(codec, values) < kChallengeSlack * best.size()) consider(codec);
    }
  }
  out->append(best);
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
