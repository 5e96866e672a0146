// String streams (docs/format/chunk.md, "String streams"). Zero values encode to zero bytes.
//
//   kStringDictionary: varint(d), d distinct values each as varint(length) | bytes (in order of
//                      first appearance), then PackBits(index of each value, BitWidth(d - 1)).
//                      1 <= d <= count, every index < d.
//   kStringLz4:        varint(raw length), then one LZ4 block holding `raw`, the concatenation of
//                      varint(length) | bytes for each value. The block must decode to exactly raw
//                      length bytes, and raw to exactly count values.
//
// Both decoders bound what they allocate before allocating it: dictionary references are summed
// before any value is copied, and the LZ4 raw length is checked against the limit and against
// what the compressed bytes can possibly expand to.
#include "compression/string_codec.h"

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "compression/bit_packing.h"
#include "compression/coding.h"
#include "compression/lz4_block.h"

namespace edgetsdb::compression {
namespace {

// Length prefixes of values that respect kMaxStringChunkBytes fit in this many varint bytes; the
// LZ4 raw stream may exceed the value limit by at most this much per value.
constexpr size_t kMaxLengthPrefixBytes = 4;
static_assert(kMaxStringChunkBytes < (size_t{1} << (7 * kMaxLengthPrefixBytes)));

struct Dictionary {
  std::vector<std::string_view> entries;
  std::vector<uint64_t> indices;
};

// Views point into values.
Dictionary BuildDictionary(absl::Span<const std::string> values) {
  Dictionary dict;
  absl::flat_hash_map<std::string_view, uint64_t> index_of;
  dict.indices.reserve(values.size());
  for (const std::string& value : values) {
    auto [it, inserted] = index_of.try_emplace(value, dict.entries.size());
    if (inserted) dict.entries.push_back(value);
    dict.indices.push_back(it->second);
  }
  return dict;
}

int IndexWidth(size_t entries) { return BitWidth(entries - 1); }

size_t DictionarySize(const Dictionary& dict) {
  size_t size = VarintLength(dict.entries.size());
  for (std::string_view entry : dict.entries) size += VarintLength(entry.size()) + entry.size();
  return size + PackedSize(dict.indices.size(), IndexWidth(dict.entries.size()));
}

void WriteDictionary(const Dictionary& dict, std::string* out) {
  PutVarint64(out, dict.entries.size());
  for (std::string_view entry : dict.entries) {
    PutVarint64(out, entry.size());
    out->append(entry);
  }
  PackBits(dict.indices.data(), dict.indices.size(), IndexWidth(dict.entries.size()), out);
}

void WriteLz4(absl::Span<const std::string> values, std::string* out) {
  std::string raw;
  for (const std::string& value : values) {
    PutVarint64(&raw, value.size());
    raw.append(value);
  }
  PutVarint64(out, raw.size());
  // Fails only above about 2 GB, far past kMaxStringChunkBytes: encoders trust their caller, and
  // such a stream (the raw length alone) is one the decoder refuses.
  (void)AppendLz4Block(raw, out);
}

absl::Status CheckTotal(uint64_t total) {
  if (total > kMaxStringChunkBytes) {
    return absl::DataLossError(absl::StrCat("string stream: values would decode to more than ",
                                            kMaxStringChunkBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status DecodeDictionary(std::string_view data, size_t count, std::vector<std::string>* out) {
  ByteReader reader(data);
  uint64_t entry_count;
  if (!reader.ReadVarint64(&entry_count)) {
    return absl::DataLossError("string dictionary: truncated entry count");
  }
  if (entry_count == 0 || entry_count > count) {
    return absl::DataLossError(
        absl::StrCat("string dictionary: ", entry_count, " entries for ", count, " values"));
  }
  std::vector<std::string_view> entries(entry_count);
  for (std::string_view& entry : entries) {
    if (!reader.ReadLengthPrefixed(&entry)) {
      return absl::DataLossError("string dictionary: truncated entry");
    }
  }
  const int width = IndexWidth(entry_count);
  if (reader.remaining() != PackedSize(count, width)) {
    return absl::DataLossError(absl::StrCat("string dictionary: ", reader.remaining(),
                                            " index bytes, expected ", PackedSize(count, width)));
  }
  std::vector<uint64_t> indices(count);
  UnpackBits(reinterpret_cast<const uint8_t*>(reader.Rest().data()), count, width, indices.data());
  uint64_t total = 0;
  for (uint64_t index : indices) {
    if (index >= entry_count) {
      return absl::DataLossError(
          absl::StrCat("string dictionary: index ", index, " of ", entry_count, " entries"));
    }
    total += entries[index].size();
  }
  if (absl::Status s = CheckTotal(total); !s.ok()) return s;
  out->resize(count);
  for (size_t i = 0; i < count; ++i) (*out)[i].assign(entries[indices[i]]);
  return absl::OkStatus();
}

absl::Status DecodeLz4(std::string_view data, size_t count, std::vector<std::string>* out) {
  ByteReader reader(data);
  uint64_t raw_size;
  if (!reader.ReadVarint64(&raw_size)) return absl::DataLossError("string lz4: missing raw length");
  const std::string_view compressed = reader.Rest();
  const uint64_t max_raw_size = kMaxStringChunkBytes + count * kMaxLengthPrefixBytes;
  if (raw_size > max_raw_size) {
    return absl::DataLossError(absl::StrCat("string lz4: implausible raw length ", raw_size,
                                            " for ", compressed.size(), " compressed bytes"));
  }
  absl::StatusOr<std::string> raw = DecodeLz4Block(compressed, raw_size, "string lz4");
  if (!raw.ok()) return raw.status();
  ByteReader values(*raw);
  std::vector<std::string_view> views(count);
  for (std::string_view& view : views) {
    if (!values.ReadLengthPrefixed(&view))
      return absl::DataLossError("string lz4: truncated value");
  }
  if (values.remaining() != 0) {
    return absl::DataLossError(
        absl::StrCat("string lz4: ", values.remaining(), " bytes after the last value"));
  }
  uint64_t total = 0;
  for (std::string_view view : views) total += view.size();
  if (absl::Status s = CheckTotal(total); !s.ok()) return s;
  out->assign(views.begin(), views.end());
  return absl::OkStatus();
}

}  // namespace

void EncodeStrings(Codec codec, absl::Span<const std::string> values, std::string* out) {
  // A codec of another type is a programmer error, as in EncodeFloats.
  if (codec != Codec::kStringDictionary && codec != Codec::kStringLz4) std::abort();
  if (values.empty()) return;
  if (codec == Codec::kStringDictionary) {
    WriteDictionary(BuildDictionary(values), out);
  } else {
    WriteLz4(values, out);
  }
}

Codec EncodeStringsAuto(absl::Span<const std::string> values, std::string* out) {
  if (values.empty()) return Codec::kStringLz4;
  const Dictionary dict = BuildDictionary(values);
  std::string lz4;
  WriteLz4(values, &lz4);
  if (DictionarySize(dict) < lz4.size()) {
    WriteDictionary(dict, out);
    return Codec::kStringDictionary;
  }
  out->append(lz4);
  return Codec::kStringLz4;
}

absl::Status DecodeStrings(Codec codec, std::string_view data, size_t count,
                           std::vector<std::string>* out) {
  if (codec != Codec::kStringDictionary && codec != Codec::kStringLz4) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a string codec: ", static_cast<int>(codec)));
  }
  if (count > kMaxChunkValues) {
    return absl::InvalidArgumentError(
        absl::StrCat("count ", count, " exceeds the chunk limit of ", kMaxChunkValues));
  }
  if (count == 0) {
    out->clear();
    return data.empty() ? absl::OkStatus()
                        : absl::DataLossError("string stream: bytes present for zero values");
  }
  return codec == Codec::kStringDictionary ? DecodeDictionary(data, count, out)
                                           : DecodeLz4(data, count, out);
}

}  // namespace edgetsdb::compression
