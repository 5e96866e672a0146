#include "compression/chunk.h"

#include <cmath>
#include <iterator>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "compression/bool_codec.h"
#include "compression/chimp.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "compression/decimal.h"
#include "compression/float_codec.h"
#include "compression/gorilla.h"
#include "compression/integer_codec.h"
#include "compression/string_codec.h"
#include "compression/timestamp_codec.h"

namespace edgetsdb::compression {
namespace {

template <typename T>
ValueType TypeOf() {
  if constexpr (std::is_same_v<T, double>) return ValueType::kFloat;
  if constexpr (std::is_same_v<T, int64_t>) return ValueType::kInt;
  if constexpr (std::is_same_v<T, uint64_t>) return ValueType::kUint;
  if constexpr (std::is_same_v<T, uint8_t>) return ValueType::kBool;
  if constexpr (std::is_same_v<T, std::string>) return ValueType::kString;
}

bool CodecSuits(ValueType type, Codec codec) {
  switch (type) {
    case ValueType::kFloat:
      return codec == Codec::kFloatGorilla || codec == Codec::kFloatChimp128 ||
             codec == Codec::kFloatDecimal;
    case ValueType::kInt:
    case ValueType::kUint:
      return codec == Codec::kIntFrameOfReference || codec == Codec::kIntDelta ||
             codec == Codec::kIntDeltaOfDelta || codec == Codec::kIntRunLength;
    case ValueType::kBool:
      return codec == Codec::kBoolBitmap || codec == Codec::kBoolRunLength;
    case ValueType::kString:
      return codec == Codec::kStringDictionary || codec == Codec::kStringLz4;
  }
  return false;
}

void SetSummaryValue(SummaryValue* slot, double v) { *slot = SummaryValue::Of(v); }
void SetSummaryValue(SummaryValue* slot, int64_t v) { *slot = SummaryValue::Of(v); }
void SetSummaryValue(SummaryValue* slot, uint64_t v) { *slot = SummaryValue::Of(v); }
void SetSummaryValue(SummaryValue* slot, uint8_t v) { *slot = SummaryValue::Of(uint64_t{v}); }

template <typename T>
void Summarize(absl::Span<const T> values, ChunkSummary* summary) {
  if constexpr (std::is_same_v<T, std::string>) {
    summary->has_values_summary = false;
  } else {
    summary->has_values_summary = true;
    SetSummaryValue(&summary->first, values.front());
    SetSummaryValue(&summary->last, values.back());
    if constexpr (std::is_same_v<T, double>) {
      double sum = 0;
      double lo = NAN, hi = NAN;
      for (double v : values) {
        sum += v;
        // NaN never compares, so a NaN lo/hi is replaced by the first number seen.
        if (!(v >= lo)) lo = std::isnan(v) ? lo : v;
        if (!(v <= hi)) hi = std::isnan(v) ? hi : v;
      }
      summary->sum = SummaryValue::Of(sum);
      summary->min = SummaryValue::Of(lo);
      summary->max = SummaryValue::Of(hi);
    } else {
      using Wide = std::conditional_t<std::is_same_v<T, int64_t>, int64_t, uint64_t>;
      uint64_t sum = 0;  // Wraps, as InfluxDB's integer sums do.
      Wide lo = values.front(), hi = values.front();
      for (T v : values) {
        sum += static_cast<uint64_t>(v);
        lo = std::min<Wide>(lo, v);
        hi = std::max<Wide>(hi, v);
      }
      summary->sum = SummaryValue::Of(sum);
      SetSummaryValue(&summary->min,
                      static_cast<std::conditional_t<std::is_same_v<T, uint8_t>, uint64_t, T>>(lo));
      SetSummaryValue(&summary->max,
                      static_cast<std::conditional_t<std::is_same_v<T, uint8_t>, uint64_t, T>>(hi));
    }
  }
}

template <typename T>
Codec EncodeValues(absl::Span<const T> values, Codec requested, std::string* out) {
  if constexpr (std::is_same_v<T, double>) {
    if (requested == Codec::kNone) return EncodeFloatsAuto(values, out);
    EncodeFloats(requested, values, out);
  } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
    constexpr bool kSigned = std::is_same_v<T, int64_t>;
    const absl::Span<const uint64_t> bits(reinterpret_cast<const uint64_t*>(values.data()),
                                          values.size());
    if (requested == Codec::kNone) return EncodeIntegersAuto(bits, kSigned, out);
    EncodeIntegers(requested, bits, kSigned, out);
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    if (requested == Codec::kNone) return EncodeBoolsAuto(values, out);
    EncodeBools(requested, values, out);
  } else {
    if (requested == Codec::kNone) return EncodeStringsAuto(values, out);
    EncodeStrings(requested, values, out);
  }
  return requested;
}

}  // namespace

absl::Status EncodeChunk(absl::Span<const int64_t> timestamps, ColumnView values,
                         const ChunkEncodeOptions& options, std::string* out) {
  return std::visit(
      [&](auto span) -> absl::Status {
        using T = typename decltype(span)::value_type;
        const ValueType type = TypeOf<std::remove_const_t<T>>();
        if (span.size() != timestamps.size()) {
          return absl::InvalidArgumentError("chunk: timestamps and values differ in length");
        }
        if (span.empty() || span.size() > kMaxChunkValues) {
          return absl::InvalidArgumentError(absl::StrCat(
              "chunk: ", span.size(), " values; a chunk holds 1 to ", kMaxChunkValues));
        }
        if (options.value_codec != Codec::kNone && !CodecSuits(type, options.value_codec)) {
          return absl::InvalidArgumentError(
              absl::StrCat("chunk: codec ", std::string(CodecName(options.value_codec)),
                           " cannot encode ", std::string(ValueTypeName(type))));
        }
        if constexpr (std::is_same_v<std::remove_const_t<T>, uint8_t>) {
          for (uint8_t b : span) {
            if (b > 1) return absl::InvalidArgumentError("chunk: bools must be 0 or 1");
          }
        }
        if constexpr (std::is_same_v<std::remove_const_t<T>, std::string>) {
          size_t bytes = 0;
          for (const std::string& s : span) bytes += s.size();
          if (bytes > kMaxStringChunkBytes) {
            return absl::InvalidArgumentError("chunk: strings exceed kMaxStringChunkBytes");
          }
        }
        for (size_t i = 1; i < timestamps.size(); ++i) {
          if (timestamps[i] < timestamps[i - 1]) {
            return absl::InvalidArgumentError("chunk: timestamps must be in non-decreasing order");
          }
        }

        ChunkSummary summary;
        summary.type = type;
        Summarize(span, &summary);
        std::string timestamp_stream;
        if (options.store_timestamps) EncodeTimestamps(timestamps, &timestamp_stream);
        std::string value_stream;
        const Codec value_codec = EncodeValues(span, options.value_codec, &value_stream);

        const size_t start = out->size();
        out->push_back(static_cast<char>(kChunkFormatVersion));
        out->push_back(static_cast<char>(type));
        out->push_back(static_cast<char>(options.store_timestamps ? Codec::kTimestampDeltaOfDelta
                                                                  : Codec::kNone));
        out->push_back(static_cast<char>(value_codec));
        PutVarint64(out, span.size());
        PutFixed64(out, static_cast<uint64_t>(timestamps.front()));
        PutVarint64(out, static_cast<uint64_t>(timestamps.back()) -
                             static_cast<uint64_t>(timestamps.front()));
        if (summary.has_values_summary) {
          if (type == ValueType::kBool) {
            // min and max follow from the count of true values; first and last take a byte.
            PutVarint64(out, summary.sum.u());
            out->push_back(static_cast<char>(summary.first.u() | summary.last.u() << 1));
          } else {
            for (const SummaryValue* v :
                 {&summary.sum, &summary.min, &summary.max, &summary.first, &summary.last}) {
              PutFixed64(out, v->u());
            }
          }
        }
        if (options.store_timestamps) {
          PutVarint64(out, timestamp_stream.size());
          out->append(timestamp_stream);
        }
        PutVarint64(out, value_stream.size());
        out->append(value_stream);
        PutFixed32(out, crc32c::Value(out->data() + start, out->size() - start));
        return absl::OkStatus();
      },
      values);
}

absl::StatusOr<ParsedChunk> ParseChunk(std::string_view data) {
  // The header is parsed before the checksum is verified, since the chunk's length comes from it;
  // every read is bounds-checked, and nothing is trusted until the checksum matches.
  ByteReader reader(data);
  uint8_t version = 0, type = 0, ts_codec = 0, value_codec = 0;
  uint64_t count = 0, first_time = 0, time_span = 0;
  if (!reader.ReadByte(&version) || !reader.ReadByte(&type) || !reader.ReadByte(&ts_codec) ||
      !reader.ReadByte(&value_codec) || !reader.ReadVarint64(&count) ||
      !reader.ReadFixed64(&first_time) || !reader.ReadVarint64(&time_span)) {
    return absl::DataLossError("chunk: truncated header");
  }
  ParsedChunk chunk;
  ChunkSummary& summary = chunk.summary;
  summary.type = static_cast<ValueType>(type);
  const bool known_type = type >= static_cast<uint8_t>(ValueType::kFloat) &&
                          type <= static_cast<uint8_t>(ValueType::kString);
  if (version != kChunkFormatVersion || !known_type) {
    // Without a known version and type the chunk's length is unknown, so its checksum cannot be
    // checked: this reader cannot tell a newer format from damage, and says so.
    return absl::InvalidArgumentError(absl::StrCat("chunk: unknown format version ", version,
                                                   " or value type ", type, " (or damage)"));
  }
  summary.has_values_summary = summary.type != ValueType::kString;
  uint8_t bool_ends = 0;
  if (summary.type == ValueType::kBool) {
    if (!reader.ReadVarint64(&summary.sum.bits) || !reader.ReadByte(&bool_ends)) {
      return absl::DataLossError("chunk: truncated summary");
    }
  } else if (summary.has_values_summary) {
    for (SummaryValue* v :
         {&summary.sum, &summary.min, &summary.max, &summary.first, &summary.last}) {
      if (!reader.ReadFixed64(&v->bits)) return absl::DataLossError("chunk: truncated summary");
    }
  }
  if (ts_codec != static_cast<uint8_t>(Codec::kNone) &&
      !reader.ReadLengthPrefixed(&chunk.timestamp_stream)) {
    return absl::DataLossError("chunk: truncated timestamp stream");
  }
  if (!reader.ReadLengthPrefixed(&chunk.value_stream)) {
    return absl::DataLossError("chunk: truncated value stream");
  }
  const size_t body_size = reader.position();
  uint32_t stored_crc = 0;
  if (!reader.ReadFixed32(&stored_crc)) return absl::DataLossError("chunk: truncated checksum");
  const uint32_t actual_crc = crc32c::Value(data.data(), body_size);
  if (stored_crc != actual_crc) {
    return absl::DataLossError(absl::StrCat("chunk: checksum mismatch (stored ",
                                            absl::Hex(stored_crc), ", computed ",
                                            absl::Hex(actual_crc), ")"));
  }

  chunk.timestamp_codec = static_cast<Codec>(ts_codec);
  chunk.value_codec = static_cast<Codec>(value_codec);
  if (count == 0 || count > kMaxChunkValues) {
    return absl::InvalidArgumentError(absl::StrCat("chunk: count ", count, " out of range"));
  }
  if (ts_codec != static_cast<uint8_t>(Codec::kNone) &&
      chunk.timestamp_codec != Codec::kTimestampDeltaOfDelta) {
    return absl::InvalidArgumentError(absl::StrCat("chunk: unknown timestamp codec ", ts_codec));
  }
  if (!CodecSuits(summary.type, chunk.value_codec)) {
    return absl::InvalidArgumentError(absl::StrCat("chunk: codec ", value_codec, " cannot hold ",
                                                   std::string(ValueTypeName(summary.type)),
                                                   " values"));
  }
  summary.count = static_cast<uint32_t>(count);
  if (summary.type == ValueType::kBool) {
    if (summary.sum.u() > count || bool_ends > 3) {
      return absl::InvalidArgumentError("chunk: bool summary disagrees with its count");
    }
    summary.min = SummaryValue::Of(uint64_t{summary.sum.u() == count});
    summary.max = SummaryValue::Of(uint64_t{summary.sum.u() > 0});
    summary.first = SummaryValue::Of(uint64_t{bool_ends & 1u});
    summary.last = SummaryValue::Of(static_cast<uint64_t>(bool_ends >> 1));
  }
  summary.first_time = static_cast<int64_t>(first_time);
  summary.last_time = static_cast<int64_t>(first_time + time_span);
  chunk.encoded_size = reader.position();
  return chunk;
}

absl::Status DecodeChunkTimestamps(const ParsedChunk& chunk, std::vector<int64_t>* out) {
  if (chunk.timestamp_codec == Codec::kNone) {
    return absl::FailedPreconditionError("chunk: timestamps are stored in a shared column");
  }
  absl::Status status = DecodeTimestamps(chunk.timestamp_stream, chunk.summary.count, out);
  if (status.ok() &&
      (out->front() != chunk.summary.first_time || out->back() != chunk.summary.last_time)) {
    return absl::DataLossError("chunk: timestamps disagree with the summary");
  }
  return status;
}

absl::StatusOr<Column> DecodeChunkValues(const ParsedChunk& chunk) {
  Column column;
  switch (chunk.summary.type) {
    case ValueType::kFloat:
      break;  // The default alternative.
    case ValueType::kInt:
      column = std::vector<int64_t>();
      break;
    case ValueType::kUint:
      column = std::vector<uint64_t>();
      break;
    case ValueType::kBool:
      column = std::vector<uint8_t>();
      break;
    case ValueType::kString:
      column = std::vector<std::string>();
      break;
  }
  if (absl::Status s = DecodeChunkValuesInto(chunk, &column); !s.ok()) return s;
  return column;
}

absl::Status DecodeChunkValuesInto(const ParsedChunk& chunk, Column* append_to) {
  const size_t count = chunk.summary.count;
  const std::string_view data = chunk.value_stream;
  return std::visit(
      [&](auto& to) -> absl::Status {
        using T = typename std::decay_t<decltype(to)>::value_type;
        if (TypeOf<T>() != chunk.summary.type) {
          return absl::InvalidArgumentError(
              absl::StrCat("chunk: ", std::string(ValueTypeName(chunk.summary.type)),
                           " values cannot be appended to a ",
                           std::string(ValueTypeName(TypeOf<T>())), " column"));
        }
        if constexpr (std::is_same_v<T, double>) {
          if (count == 0 || count > kMaxChunkValues) {
            return absl::InvalidArgumentError(absl::StrCat("float count ", count, " out of range"));
          }
          const size_t old_size = to.size();
          to.resize(old_size + count);
          double* out = to.data() + old_size;
          absl::Status status;
          switch (chunk.value_codec) {
            case Codec::kFloatGorilla:
              status = DecodeGorilla(data, count, out);
              break;
            case Codec::kFloatChimp128:
              status = DecodeChimp128(data, count, out);
              break;
            case Codec::kFloatDecimal:
              status = DecodeDecimal(data, count, out);
              break;
            default:
              status = absl::InvalidArgumentError(absl::StrCat(
                  "codec ", static_cast<int>(chunk.value_codec), " is not a float codec"));
          }
          if (!status.ok()) to.resize(old_size);
          return status;
        } else {
          // The other types decode into a vector of their own and are appended from it.
          using Decoded = std::conditional_t<std::is_same_v<T, int64_t>, uint64_t, T>;
          std::vector<Decoded> decoded;
          absl::Status status;
          if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
            status = DecodeIntegers(chunk.value_codec, data, count, &decoded);
          } else if constexpr (std::is_same_v<T, uint8_t>) {
            status = DecodeBools(chunk.value_codec, data, count, &decoded);
          } else {
            status = DecodeStrings(chunk.value_codec, data, count, &decoded);
          }
          if (!status.ok()) return status;
          if constexpr (std::is_same_v<T, Decoded>) {
            if (to.empty() && to.capacity() < count) {  // Nothing reserved: take it as it is.
              to = std::move(decoded);
              return absl::OkStatus();
            }
          }
          to.insert(to.end(), std::make_move_iterator(decoded.begin()),
                    std::make_move_iterator(decoded.end()));
          return absl::OkStatus();
        }
      },
      *append_to);
}

}  // namespace edgetsdb::compression
