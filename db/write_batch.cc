// The write batch encoder and reader. The format, and the validity rule the reader enforces, are in
// docs/format/write_batch.md.
#include "edgetsdb/write_batch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "compression/coding.h"

namespace edgetsdb {
namespace {

namespace c = compression;

constexpr uint8_t kVersion = 1;

// Field value tags. 0..kMaxDecimalTag are decimal floats m / 10^tag.
constexpr uint8_t kMaxDecimalTag = 18;
constexpr uint8_t kTagFloatRaw = 32;
constexpr uint8_t kTagInt = 33;
constexpr uint8_t kTagUint = 34;
constexpr uint8_t kTagFalse = 35;
constexpr uint8_t kTagTrue = 36;
constexpr uint8_t kTagString = 37;

// Sensor readings rarely carry more than a few decimals; each exponent tried costs a multiply and
// a division per value, and 10^6 already covers micro-unit readings. Readers accept up to 18.
constexpr int kMaxEncoderExponent = 6;
static_assert(kMaxEncoderExponent <= kMaxDecimalTag);

// Mantissas below 2^53 in magnitude convert to double exactly, which the decoding rule needs.
constexpr int64_t kDecimalMantissaLimit = int64_t{1} << 53;
constexpr double kDecimalMantissaLimitAsDouble = 0x1p53;

constexpr double kPowersOfTen[kMaxDecimalTag + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                                     1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                                     1e14, 1e15, 1e16, 1e17, 1e18};

// Up to this many fields, duplicate keys are found by comparing every pair: cheaper than sorting
// for the dozen fields of a typical reading.
constexpr size_t kQuadraticDedupLimit = 16;

uint64_t HashKey(std::string_view key) {
  return absl::Hash<absl::string_view>{}(absl::string_view(key.data(), key.size()));
}

// Writers into room the caller has reserved; each returns the position after what it wrote.
inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline char* WriteBytes(char* p, std::string_view bytes) {
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());  // data() may be null if empty.
  return p + bytes.size();
}

inline char* WriteLengthPrefixed(char* p, std::string_view bytes) {
  return WriteBytes(WriteVarint(p, bytes.size()), bytes);
}

absl::Status Invalid(std::string_view what, size_t size, size_t limit) {
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(what.data(), what.size()),
                                                 " too long (", size, " bytes, limit ", limit,
                                                 ")"));
}

// The shortest exact form of a float: decimal when m / 10^e gives back the same bits. At most 9
// bytes.
char* WriteFloat(char* p, double v) {
  const uint64_t bits = c::DoubleBits(v);
  for (int e = 0; e <= kMaxEncoderExponent; ++e) {
    const double scaled = v * kPowersOfTen[e];
    // Larger exponents only make the mantissa larger.
    if (!(std::fabs(scaled) < kDecimalMantissaLimitAsDouble)) break;
    // Round half away from zero. Near 2^53 this can miss the right integer by one; the check
    // below then fails and the value is written raw, which is only less compact.
    const int64_t m = static_cast<int64_t>(scaled + (scaled < 0 ? -0.5 : 0.5));
    if (m <= -kDecimalMantissaLimit || m >= kDecimalMantissaLimit) break;
    if (c::DoubleBits(static_cast<double>(m) / kPowersOfTen[e]) == bits) {
      *p++ = static_cast<char>(e);
      return WriteVarint(p, c::ZigZagEncode(m));
    }
  }
  *p++ = static_cast<char>(kTagFloatRaw);
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(bits >> (8 * i));
  return p;
}

// Parses a canonical series key (docs/format/write_batch.md) into its parts, checking every rule.
// Returns the reason it is invalid, or nullptr.
const char* ParseSeriesKey(std::string_view key, std::string_view* measurement,
                           std::vector<TagView>* tags) {
  c::ByteReader in(key);
  uint64_t tag_count;
  if (!in.ReadLengthPrefixed(measurement) || !in.ReadVarint64(&tag_count)) {
    return "truncated series key";
  }
  if (measurement->empty() || measurement->size() > kMaxNameBytes) return "bad measurement length";
  if (tag_count > kMaxTagsPerPoint) return "too many tags";
  tags->clear();
  for (uint64_t i = 0; i < tag_count; ++i) {
    TagView tag;
    if (!in.ReadLengthPrefixed(&tag.key) || !in.ReadLengthPrefixed(&tag.value)) {
      return "truncated series key";
    }
    if (tag.key.empty() || tag.key.size() > kMaxNameBytes) return "bad tag key length";
    if (tag.value.empty() || tag.value.size() > kMaxTagValueBytes) return "bad tag value length";
    if (!tags->empty() && !(tags->back().key < tag.key)) return "tags not sorted or repeated";
    tags->push_back(tag);
  }
  if (in.remaining() != 0) return "bytes after the tags in a series key";
  return nullptr;
}

}  // namespace

// KeyTable ---------------------------------------------------------------------------------------

int64_t WriteBatch::KeyTable::Find(std::string_view key, uint64_t hash,
                                   std::string_view body) const {
  if (slots_.empty()) return -1;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint32_t slot = slots_[i];
    if (slot == 0) return -1;
    const Entry& e = entries_[slot - 1];
    if (e.hash == hash && e.size == key.size() &&
        std::memcmp(body.data() + e.offset, key.data(), key.size()) == 0) {
      return slot - 1;
    }
  }
}

void WriteBatch::KeyTable::Insert(size_t offset, uint32_t size, uint64_t hash) {
  entries_.push_back({offset, hash, size});
  // A load of at most 1/2 keeps linear probes short.
  if (2 * entries_.size() > slots_.size()) {
    slots_.assign(std::max<size_t>(16, 2 * slots_.size()), 0);
    for (size_t index = 0; index + 1 < entries_.size(); ++index) {
      size_t i = entries_[index].hash & (slots_.size() - 1);
      while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = static_cast<uint32_t>(index + 1);
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = static_cast<uint32_t>(entries_.size());
}

void WriteBatch::KeyTable::Clear() {
  entries_.clear();
  std::fill(slots_.begin(), slots_.end(), 0);
}

// WriteBatch -------------------------------------------------------------------------------------

WriteBatch::WriteBatch() { Clear(); }

// The defaults would leave the source with an empty rep but its old header size and counts.
WriteBatch::WriteBatch(WriteBatch&& other) noexcept : WriteBatch() { Swap(other); }

WriteBatch& WriteBatch::operator=(WriteBatch&& other) noexcept {
  if (this != &other) {
    WriteBatch taken(std::move(other));
    Swap(taken);
  }
  return *this;
}

void WriteBatch::Swap(WriteBatch& other) noexcept {
  using std::swap;
  swap(rep_, other.rep_);
  swap(header_size_, other.header_size_);
  swap(point_count_, other.point_count_);
  swap(value_count_, other.value_count_);
  swap(last_timestamp_, other.last_timestamp_);
  swap(series_keys_, other.series_keys_);
  swap(field_keys_, other.field_keys_);
  // The scratch members carry nothing between calls.
}

void WriteBatch::Clear() {
  rep_.clear();
  header_size_ = 0;
  point_count_ = 0;
  value_count_ = 0;
  last_timestamp_ = 0;
  series_keys_.Clear();
  field_keys_.Clear();
  UpdateHeader();
}

void WriteBatch::UpdateHeader() {
  char header[1 + c::kMaxVarint64Bytes];
  header[0] = static_cast<char>(kVersion);
  const size_t size = WriteVarint(header + 1, point_count_) - header;
  if (size == header_size_) {
    std::memcpy(rep_.data(), header, size);
  } else {
    // Once per 7 bits of point_count: the body moves, and the key tables, which count offsets
    // from the body's start, stay right.
    rep_.replace(0, header_size_, header, size);
    header_size_ = size;
  }
}

absl::Status WriteBatch::Add(std::string_view measurement, absl::Span<const TagView> tags,
                             absl::Span<const FieldView> fields, int64_t timestamp_ns) {
  // Everything is checked before the first byte is written, so that a refused point leaves the
  // batch as it was.
  if (measurement.empty()) return absl::InvalidArgumentError("missing measurement");
  if (measurement.size() > kMaxNameBytes) {
    return Invalid("measurement", measurement.size(), kMaxNameBytes);
  }
  if (tags.size() > kMaxTagsPerPoint) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many tags (", tags.size(), ", limit ", kMaxTagsPerPoint, ")"));
  }
  if (fields.empty()) return absl::InvalidArgumentError("missing fields");
  if (fields.size() > kMaxFieldsPerPoint) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many fields (", fields.size(), ", limit ", kMaxFieldsPerPoint, ")"));
  }
  for (const TagView& tag : tags) {
    if (tag.key.empty()) return absl::InvalidArgumentError("missing tag key");
    if (tag.key.size() > kMaxNameBytes) return Invalid("tag key", tag.key.size(), kMaxNameBytes);
    if (tag.value.empty()) return absl::InvalidArgumentError("missing tag value");
    if (tag.value.size() > kMaxTagValueBytes) {
      return Invalid("tag value", tag.value.size(), kMaxTagValueBytes);
    }
  }
  sorted_tags_.assign(tags.begin(), tags.end());
  const auto by_key = [](const TagView& a, const TagView& b) { return a.key < b.key; };
  if (!std::is_sorted(sorted_tags_.begin(), sorted_tags_.end(), by_key)) {
    std::sort(sorted_tags_.begin(), sorted_tags_.end(), by_key);
  }
  for (size_t i = 1; i < sorted_tags_.size(); ++i) {
    if (sorted_tags_[i - 1].key == sorted_tags_[i].key) {
      return absl::InvalidArgumentError("duplicate tags");
    }
  }
  for (const FieldView& field : fields) {
    if (field.key.empty()) return absl::InvalidArgumentError("missing field key");
    if (field.key.size() > kMaxNameBytes) {
      return Invalid("field key", field.key.size(), kMaxNameBytes);
    }
    if (const double* v = std::get_if<double>(&field.value); v != nullptr && !std::isfinite(*v)) {
      return absl::InvalidArgumentError("invalid float: NaN and infinities are not supported");
    }
    if (const auto* v = std::get_if<std::string_view>(&field.value);
        v != nullptr && v->size() > kMaxStringFieldBytes) {
      return Invalid("string field", v->size(), kMaxStringFieldBytes);
    }
  }

  // The last occurrence of each field key wins, as in InfluxDB. Hashes, needed anyway to find
  // the keys in the batch, make most comparisons one integer compare.
  field_hashes_.clear();
  for (const FieldView& field : fields) field_hashes_.push_back(HashKey(field.key));
  kept_fields_.clear();
  if (fields.size() <= kQuadraticDedupLimit) {
    for (size_t i = 0; i < fields.size(); ++i) {
      bool repeated_later = false;
      for (size_t j = i + 1; j < fields.size() && !repeated_later; ++j) {
        repeated_later = field_hashes_[i] == field_hashes_[j] && fields[i].key == fields[j].key;
      }
      if (!repeated_later) kept_fields_.push_back(static_cast<uint32_t>(i));
    }
  } else {
    for (size_t i = 0; i < fields.size(); ++i) kept_fields_.push_back(static_cast<uint32_t>(i));
    std::stable_sort(kept_fields_.begin(), kept_fields_.end(),
                     [&](uint32_t a, uint32_t b) { return fields[a].key < fields[b].key; });
    size_t kept = 0;
    for (size_t k = 0; k < kept_fields_.size(); ++k) {
      if (k + 1 == kept_fields_.size() ||
          fields[kept_fields_[k]].key != fields[kept_fields_[k + 1]].key) {
        kept_fields_[kept++] = kept_fields_[k];
      }
    }
    kept_fields_.resize(kept);
    std::sort(kept_fields_.begin(), kept_fields_.end());
  }

  // Encoding writes through a pointer into room reserved for the worst case (every varint at its
  // longest), then trims: appending byte by byte cost more than the rest of the encoding.
  constexpr size_t kVarint = c::kMaxVarint64Bytes;
  size_t key_bound = 2 * kVarint + measurement.size();
  for (const TagView& tag : sorted_tags_) {
    key_bound += 2 * kVarint + tag.key.size() + tag.value.size();
  }
  key_scratch_.resize(key_bound);
  char* k = key_scratch_.data();
  k = WriteLengthPrefixed(k, measurement);
  k = WriteVarint(k, sorted_tags_.size());
  for (const TagView& tag : sorted_tags_) {
    k = WriteLengthPrefixed(k, tag.key);
    k = WriteLengthPrefixed(k, tag.value);
  }
  const std::string_view series_key(key_scratch_.data(), k - key_scratch_.data());

  // Series reference, key length, timestamp, field count; then per field a key reference, key
  // length, tag and value.
  size_t bound = 4 * kVarint + series_key.size();
  for (uint32_t i : kept_fields_) {
    bound += 3 * kVarint + 1 + fields[i].key.size();
    if (const auto* v = std::get_if<std::string_view>(&fields[i].value)) bound += v->size();
  }
  const size_t start = rep_.size();
  rep_.resize(start + bound);
  char* const base = rep_.data();
  char* p = base + start;
  // Key offsets count from the body, so the header can grow without invalidating them.
  const auto offset_in_body = [&](const char* at) {
    return static_cast<size_t>(at - base) - header_size_;
  };
  const std::string_view body(base + header_size_, rep_.size() - header_size_);

  const uint64_t series_hash = HashKey(series_key);
  if (const int64_t index = series_keys_.Find(series_key, series_hash, body); index >= 0) {
    p = WriteVarint(p, static_cast<uint64_t>(index) + 1);
  } else {
    *p++ = 0;
    p = WriteVarint(p, series_key.size());
    series_keys_.Insert(offset_in_body(p), static_cast<uint32_t>(series_key.size()), series_hash);
    p = WriteBytes(p, series_key);
  }

  p = WriteVarint(p, c::ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(timestamp_ns) -
                                                          static_cast<uint64_t>(last_timestamp_))));
  p = WriteVarint(p, kept_fields_.size());
  for (uint32_t i : kept_fields_) {
    const FieldView& field = fields[i];
    if (const int64_t index = field_keys_.Find(field.key, field_hashes_[i], body); index >= 0) {
      p = WriteVarint(p, static_cast<uint64_t>(index) + 1);
    } else {
      *p++ = 0;
      p = WriteVarint(p, field.key.size());
      field_keys_.Insert(offset_in_body(p), static_cast<uint32_t>(field.key.size()),
                         field_hashes_[i]);
      p = WriteBytes(p, field.key);
    }
    switch (field.value.index()) {
      case 0:
        p = WriteFloat(p, std::get<0>(field.value));
        break;
      case 1:
        *p++ = static_cast<char>(kTagInt);
        p = WriteVarint(p, c::ZigZagEncode(std::get<1>(field.value)));
        break;
      case 2:
        *p++ = static_cast<char>(kTagUint);
        p = WriteVarint(p, std::get<2>(field.value));
        break;
      case 3:
        *p++ = static_cast<char>(std::get<3>(field.value) ? kTagTrue : kTagFalse);
        break;
      case 4:
        *p++ = static_cast<char>(kTagString);
        p = WriteLengthPrefixed(p, std::get<4>(field.value));
        break;
    }
  }
  rep_.resize(p - base);
  last_timestamp_ = timestamp_ns;
  ++point_count_;
  value_count_ += kept_fields_.size();
  UpdateHeader();
  return absl::OkStatus();
}

absl::Status WriteBatch::SetRep(std::string_view rep) {
  std::string copy(rep);
  Reader reader{std::string_view(copy)};
  size_t points = 0;
  size_t values = 0;
  while (reader.Next()) {
    ++points;
    values += reader.fields().size();
  }
  if (!reader.status().ok()) return reader.status();

  // Adopt the keys the reader collected, in index order, so that later Adds refer to them. Their
  // views point into `copy`: take the offsets before it moves.
  const char* const body_start = copy.data() + reader.header_size_;
  series_keys_.Clear();
  for (std::string_view key : reader.series_keys_) {
    series_keys_.Insert(key.data() - body_start, static_cast<uint32_t>(key.size()), HashKey(key));
  }
  field_keys_.Clear();
  for (std::string_view key : reader.field_keys_) {
    field_keys_.Insert(key.data() - body_start, static_cast<uint32_t>(key.size()), HashKey(key));
  }
  header_size_ = reader.header_size_;
  point_count_ = points;
  value_count_ = values;
  last_timestamp_ = reader.timestamp_;
  rep_ = std::move(copy);
  return absl::OkStatus();
}

// Reader -----------------------------------------------------------------------------------------

WriteBatch::Reader::Reader(const WriteBatch& batch) : Reader(std::string_view(batch.rep_)) {}

WriteBatch::Reader::Reader(std::string_view rep) : input_(rep), rep_size_(rep.size()) {
  c::ByteReader in(rep);
  uint8_t version = 0;
  uint64_t count = 0;
  if (!in.ReadByte(&version)) {
    Fail("empty", 0);
    return;
  }
  if (version != kVersion) {
    status_ = absl::DataLossError(absl::StrCat("write batch: unknown version ", version));
    return;
  }
  if (!in.ReadVarint64(&count)) {
    Fail("truncated header", in.position());
    return;
  }
  remaining_points_ = count;
  header_size_ = in.position();
  input_ = rep.substr(header_size_);
}

bool WriteBatch::Reader::Fail(std::string_view what, size_t position_in_input) {
  const size_t offset = rep_size_ - input_.size() + position_in_input;
  status_ = absl::DataLossError(absl::StrCat(
      "write batch: ", absl::string_view(what.data(), what.size()), " at byte ", offset));
  return false;
}

bool WriteBatch::Reader::Next() {
  if (!status_.ok()) return false;
  if (remaining_points_ == 0) {
    if (!input_.empty()) return Fail("bytes after the last point", 0);
    return false;
  }
  c::ByteReader in(input_);
  uint64_t series_ref;
  if (!in.ReadVarint64(&series_ref)) return Fail("truncated point", in.position());
  if (series_ref == 0) {
    std::string_view key;
    const size_t key_position = in.position();
    if (!in.ReadLengthPrefixed(&key)) return Fail("truncated series key", key_position);
    if (const char* why = ParseSeriesKey(key, &measurement_, &tags_)) {
      return Fail(why, key_position);
    }
    series_keys_.push_back(key);
    series_key_ = key;
  } else {
    if (series_ref > series_keys_.size()) {
      return Fail("series reference out of range", in.position());
    }
    series_key_ = series_keys_[series_ref - 1];
    // Checked when it was introduced; parsing again only splits it.
    (void)ParseSeriesKey(series_key_, &measurement_, &tags_);
  }

  uint64_t delta;
  uint64_t field_count;
  if (!in.ReadVarint64(&delta) || !in.ReadVarint64(&field_count)) {
    return Fail("truncated point", in.position());
  }
  if (field_count == 0 || field_count > kMaxFieldsPerPoint) {
    return Fail("bad field count", in.position());
  }
  fields_.clear();
  for (uint64_t i = 0; i < field_count; ++i) {
    FieldView field;
    uint64_t key_ref;
    const size_t field_position = in.position();
    if (!in.ReadVarint64(&key_ref)) return Fail("truncated field", field_position);
    if (key_ref == 0) {
      if (!in.ReadLengthPrefixed(&field.key)) return Fail("truncated field key", field_position);
      if (field.key.empty() || field.key.size() > kMaxNameBytes) {
        return Fail("bad field key length", field_position);
      }
      field_keys_.push_back(field.key);
    } else {
      if (key_ref > field_keys_.size()) {
        return Fail("field key reference out of range", field_position);
      }
      field.key = field_keys_[key_ref - 1];
    }
    uint8_t tag;
    if (!in.ReadByte(&tag)) return Fail("truncated field", field_position);
    if (tag <= kMaxDecimalTag) {
      uint64_t zigzag;
      if (!in.ReadVarint64(&zigzag)) return Fail("truncated float", field_position);
      const int64_t m = c::ZigZagDecode(zigzag);
      if (m <= -kDecimalMantissaLimit || m >= kDecimalMantissaLimit) {
        return Fail("decimal mantissa out of range", field_position);
      }
      field.value = static_cast<double>(m) / kPowersOfTen[tag];
    } else {
      switch (tag) {
        case kTagFloatRaw: {
          uint64_t bits;
          if (!in.ReadFixed64(&bits)) return Fail("truncated float", field_position);
          const double v = c::BitsDouble(bits);
          if (!std::isfinite(v)) return Fail("float not finite", field_position);
          field.value = v;
          break;
        }
        case kTagInt: {
          uint64_t zigzag;
          if (!in.ReadVarint64(&zigzag)) return Fail("truncated integer", field_position);
          field.value = c::ZigZagDecode(zigzag);
          break;
        }
        case kTagUint: {
          uint64_t v;
          if (!in.ReadVarint64(&v)) return Fail("truncated unsigned", field_position);
          field.value = v;
          break;
        }
        case kTagFalse:
        case kTagTrue:
          field.value = tag == kTagTrue;
          break;
        case kTagString: {
          std::string_view v;
          if (!in.ReadLengthPrefixed(&v)) return Fail("truncated string", field_position);
          if (v.size() > kMaxStringFieldBytes) return Fail("string too long", field_position);
          field.value = v;
          break;
        }
        default:
          return Fail("unknown field tag", field_position);
      }
    }
    fields_.push_back(field);
  }

  // Field keys are distinct within a point (Add keeps the last of each).
  bool repeated = false;
  if (fields_.size() <= kQuadraticDedupLimit) {
    for (size_t i = 0; i < fields_.size() && !repeated; ++i) {
      for (size_t j = i + 1; j < fields_.size() && !repeated; ++j) {
        repeated = fields_[i].key == fields_[j].key;
      }
    }
  } else {
    sorted_field_keys_.clear();
    for (const FieldView& field : fields_) sorted_field_keys_.push_back(field.key);
    std::sort(sorted_field_keys_.begin(), sorted_field_keys_.end());
    repeated = std::adjacent_find(sorted_field_keys_.begin(), sorted_field_keys_.end()) !=
               sorted_field_keys_.end();
  }
  if (repeated) return Fail("repeated field key", 0);

  timestamp_ = static_cast<int64_t>(static_cast<uint64_t>(timestamp_) +
                                    static_cast<uint64_t>(c::ZigZagDecode(delta)));
  input_ = in.Rest();
  --remaining_points_;
  return true;
}

}  // namespace edgetsdb
