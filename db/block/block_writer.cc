#include "db/block/block_writer.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "compression/codec.h"
#include "compression/coding.h"
#include "compression/crc32c.h"

namespace edgetsdb {
namespace {

using compression::BlockCompression;
using compression::ByteReader;
using compression::Codec;
using compression::ParsedChunk;
using compression::PutFixed32;
using compression::PutFixed64;
using compression::PutVarint64;
using compression::ValueType;

// Negative bounds are spelled as '-' and the 19 digits of t + 10^19 (docs/format/block.md).
constexpr uint64_t kNegativeOffset = 10'000'000'000'000'000'000u;
constexpr size_t kBoundChars = 20;
constexpr size_t kSequenceDigits = 10;
constexpr char kBlockSuffix[] = ".blk";
constexpr size_t kBlockNameSize =
    kBoundChars + 1 + kBoundChars + 1 + kSequenceDigits + sizeof(kBlockSuffix) - 1;
static_assert(kNegativeOffset - (uint64_t{1} << 63) < kNegativeOffset);

std::string FormatBound(int64_t t) {
  if (t >= 0) return absl::StrCat(absl::Dec(t, absl::kZeroPad20));
  // uint64(t) is 2^64 + t, so the sum wraps to 10^19 + t, which lies in [10^19 - 2^63, 10^19).
  return absl::StrCat("-", absl::Dec(static_cast<uint64_t>(t) + kNegativeOffset, absl::kZeroPad19));
}

// Decimal digits only, without overflow.
std::optional<uint64_t> ParseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<int64_t> ParseBound(std::string_view s) {
  if (s.size() != kBoundChars) return std::nullopt;
  if (s[0] == '-') {
    const std::optional<uint64_t> v = ParseDigits(s.substr(1));
    if (!v.has_value() || *v < kNegativeOffset - (uint64_t{1} << 63) || *v >= kNegativeOffset) {
      return std::nullopt;
    }
    return static_cast<int64_t>(*v - kNegativeOffset);
  }
  const std::optional<uint64_t> v = ParseDigits(s);
  if (!v.has_value() || *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*v);
}

absl::Status InvalidBlockMeta(const BlockMeta& meta) {
  if (meta.start >= meta.end) {
    return absl::InvalidArgumentError(
        absl::StrCat("block: partition [", meta.start, ", ", meta.end, ") is empty"));
  }
  if (meta.sequence > block::kMaxSequence) {
    return absl::InvalidArgumentError(
        absl::StrCat("block: sequence ", meta.sequence, " is above ", block::kMaxSequence));
  }
  return absl::OkStatus();
}

std::string EncodeHeader(BlockCompression codec) {
  std::string header;
  PutFixed32(&header, block::kMagic);
  header.push_back(static_cast<char>(block::kFormatVersion));
  header.push_back(static_cast<char>(codec));
  header.append(2, '\0');
  return header;
}

ValueType ToValueType(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
      return ValueType::kFloat;
    case FieldType::kInt:
      return ValueType::kInt;
    case FieldType::kUint:
      return ValueType::kUint;
    case FieldType::kBool:
      return ValueType::kBool;
    case FieldType::kString:
      return ValueType::kString;
  }
  return ValueType::kFloat;  // Unreachable for valid enumerators.
}

// A canonical series key (docs/format/write_batch.md): measurement, then tags sorted by key, every
// part within the limits of include/edgetsdb/point.h, nothing left over.
bool ParseSeriesKey(std::string_view key, std::string_view* measurement,
                    std::vector<TagView>* tags) {
  ByteReader reader(key);
  uint64_t tag_count;
  if (!reader.ReadLengthPrefixed(measurement) || !reader.ReadVarint64(&tag_count)) return false;
  if (measurement->empty() || measurement->size() > kMaxNameBytes) return false;
  if (tag_count > kMaxTagsPerPoint) return false;
  tags->clear();
  for (uint64_t i = 0; i < tag_count; ++i) {
    TagView tag;
    if (!reader.ReadLengthPrefixed(&tag.key) || !reader.ReadLengthPrefixed(&tag.value)) {
      return false;
    }
    if (tag.key.empty() || tag.key.size() > kMaxNameBytes || tag.value.empty() ||
        tag.value.size() > kMaxTagValueBytes) {
      return false;
    }
    if (!tags->empty() && !(tags->back().key < tag.key)) return false;
    tags->push_back(tag);
  }
  return reader.ok() && reader.remaining() == 0;
}

// What the index needs of a chunk.
struct ChunkInfo {
  uint32_t length;
  uint32_t count;
  int64_t first_time;
  int64_t last_time;
  bool own_timestamps;
  ValueType type;
};

absl::StatusOr<ChunkInfo> InspectChunk(std::string_view chunk, std::string_view what) {
  if (chunk.size() > block::kMaxFrameRawBytes) {
    return absl::InvalidArgumentError(absl::StrCat("block: ", std::string(what), " is ",
                                                   chunk.size(), " bytes, over the limit of ",
                                                   block::kMaxFrameRawBytes));
  }
  absl::StatusOr<ParsedChunk> parsed = compression::ParseChunk(chunk);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("block: ", std::string(what), ": ", std::string(parsed.status().message())));
  }
  if (parsed->encoded_size != chunk.size()) {
    return absl::InvalidArgumentError(absl::StrCat("block: ", std::string(what), " has ",
                                                   chunk.size() - parsed->encoded_size,
                                                   " bytes after the chunk"));
  }
  return ChunkInfo{static_cast<uint32_t>(chunk.size()),
                   parsed->summary.count,
                   parsed->summary.first_time,
                   parsed->summary.last_time,
                   parsed->timestamp_codec != Codec::kNone,
                   parsed->summary.type};
}

// Chunks of one list lie in [start, end) and follow each other without overlap.
absl::Status CheckTimes(absl::Span<const ChunkInfo> chunks, const BlockMeta& meta,
                        std::string_view what) {
  for (size_t i = 0; i < chunks.size(); ++i) {
    const ChunkInfo& c = chunks[i];
    if (c.first_time < meta.start || c.last_time >= meta.end || c.first_time > c.last_time) {
      return absl::InvalidArgumentError(
          absl::StrCat("block: ", std::string(what), " chunk ", i, " spans [", c.first_time, ", ",
                       c.last_time, "], outside the partition [", meta.start, ", ", meta.end, ")"));
    }
    if (i > 0 && c.first_time <= chunks[i - 1].last_time) {
      return absl::InvalidArgumentError(
          absl::StrCat("block: ", std::string(what), " chunk ", i, " starts at ", c.first_time,
                       ", not after the previous chunk's last time ", chunks[i - 1].last_time));
    }
  }
  return absl::OkStatus();
}

// count | first (from start, then from the previous chunk's last time) | span.
void PutChunkTimes(const ChunkInfo& c, int64_t base, std::string* out) {
  PutVarint64(out, c.count);
  PutVarint64(out, static_cast<uint64_t>(c.first_time) - static_cast<uint64_t>(base));
  PutVarint64(out, static_cast<uint64_t>(c.last_time) - static_cast<uint64_t>(c.first_time));
}

void PutChunkList(absl::Span<const ChunkInfo> chunks, int64_t start, std::string* out) {
  int64_t base = start;
  for (const ChunkInfo& c : chunks) {
    PutVarint64(out, c.length);
    PutChunkTimes(c, base, out);
    base = c.last_time;
  }
}

void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

}  // namespace

std::string BlockFileName(const BlockMeta& meta) {
  return absl::StrCat(FormatBound(meta.start), "-", FormatBound(meta.end), "-",
                      absl::Dec(meta.sequence, absl::kZeroPad10), kBlockSuffix);
}

std::optional<BlockMeta> ParseBlockFileName(std::string_view name) {
  if (name.size() != kBlockNameSize || !name.ends_with(kBlockSuffix)) return std::nullopt;
  if (name[kBoundChars] != '-' || name[2 * kBoundChars + 1] != '-') return std::nullopt;
  const std::optional<int64_t> start = ParseBound(name.substr(0, kBoundChars));
  const std::optional<int64_t> end = ParseBound(name.substr(kBoundChars + 1, kBoundChars));
  const std::optional<uint64_t> sequence =
      ParseDigits(name.substr(2 * kBoundChars + 2, kSequenceDigits));
  if (!start.has_value() || !end.has_value() || !sequence.has_value() || *start >= *end) {
    return std::nullopt;
  }
  return BlockMeta{*start, *end, *sequence};
}

absl::Status EncodeTimestampChunk(absl::Span<const int64_t> timestamps, std::string* out) {
  const std::vector<uint8_t> falses(timestamps.size(), 0);
  return compression::EncodeChunk(
      timestamps, absl::Span<const uint8_t>(falses),
      compression::ChunkEncodeOptions{.store_timestamps = true,
                                      .value_codec = Codec::kBoolRunLength},
      out);
}

BlockWriter::BlockWriter(Env* env, std::string dir, BlockMeta meta, BlockCompression codec)
    : env_(env),
      dir_(std::move(dir)),
      meta_(meta),
      codec_(codec),
      name_(BlockFileName(meta)),
      tmp_path_(absl::StrCat(dir_, "/", name_, ".tmp")) {}

// An unfinished block never becomes visible; its .tmp goes.
BlockWriter::~BlockWriter() { Abandon(); }

void BlockWriter::Abandon() {
  if (file_ != nullptr) {
    (void)file_->Close();
    file_.reset();
    // Best effort: a stray .tmp is also removed when the engine opens the directory.
    (void)env_->RemoveFile(tmp_path_);
  }
}

absl::StatusOr<std::unique_ptr<BlockWriter>> BlockWriter::Create(Env* env, std::string dir,
                                                                 BlockMeta meta,
                                                                 BlockCompression frame_codec) {
  if (absl::Status s = InvalidBlockMeta(meta); !s.ok()) return s;
  if (frame_codec != BlockCompression::kNone && frame_codec != BlockCompression::kLz4 &&
      frame_codec != BlockCompression::kZstd) {
    return absl::InvalidArgumentError(
        absl::StrCat("block: unknown frame codec ", static_cast<int>(frame_codec)));
  }
  std::unique_ptr<BlockWriter> writer(new BlockWriter(env, std::move(dir), meta, frame_codec));
  const std::string path = absl::StrCat(writer->dir_, "/", writer->name_);
  if (env->FileExists(path)) {
    return absl::AlreadyExistsError(absl::StrCat("block ", path, " already exists"));
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(writer->tmp_path_);
  if (!file.ok()) return file.status();
  writer->file_ = *std::move(file);
  const std::string header = EncodeHeader(frame_codec);
  if (absl::Status s = writer->file_->Append(header); !s.ok()) return s;
  writer->file_bytes_ = header.size();
  return writer;
}

absl::Status BlockWriter::Fail(absl::Status status) {
  if (status_.ok()) {
    status_ = absl::Status(status.code(),
                           absl::StrCat("block ", tmp_path_, ": ", std::string(status.message())));
  }
  return status_;
}

uint32_t BlockWriter::Intern(std::string_view symbol) {
  const auto it = symbol_ids_.find(symbol);
  if (it != symbol_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(symbols_.size());
  symbols_.emplace_back(symbol);
  symbol_ids_.emplace(symbols_.back(), id);
  return id;
}

absl::Status BlockWriter::AppendChunk(std::string_view chunk) {
  if (!frame_.empty() && frame_.size() + chunk.size() > block::kTargetFrameBytes) {
    if (absl::Status s = FlushFrame(); !s.ok()) return s;
  }
  frame_.append(chunk);
  return absl::OkStatus();
}

absl::Status BlockWriter::FlushFrame() {
  if (frame_.empty()) return absl::OkStatus();
  frame_out_.clear();
  compression::CompressBlock(codec_, frame_, &frame_out_);
  if (absl::Status s = file_->Append(frame_out_); !s.ok()) return Fail(s);
  frames_.emplace_back(frame_out_.size(), static_cast<uint32_t>(frame_.size()));
  file_bytes_ += frame_out_.size();
  frame_.clear();
  return absl::OkStatus();
}

absl::Status BlockWriter::AddGroup(std::string_view series_key,
                                   absl::Span<const std::string> timestamp_chunks,
                                   absl::Span<const FieldChunks> fields) {
  if (!status_.ok()) return status_;

  // Everything is checked before anything changes, so that bad input leaves the writer usable.
  std::string_view measurement;
  std::vector<TagView> tags;
  if (!ParseSeriesKey(series_key, &measurement, &tags)) {
    return absl::InvalidArgumentError("block: series key is not canonical");
  }
  if (group_count_ > 0 && !(std::string_view(last_series_key_) < series_key)) {
    return absl::InvalidArgumentError(
        "block: series keys must be added in strictly increasing order");
  }
  if (group_count_ == std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("block: too many groups");
  }

  std::vector<ChunkInfo> ts;
  ts.reserve(timestamp_chunks.size());
  for (size_t i = 0; i < timestamp_chunks.size(); ++i) {
    absl::StatusOr<ChunkInfo> info =
        InspectChunk(timestamp_chunks[i], absl::StrCat("timestamp chunk ", i));
    if (!info.ok()) return info.status();
    if (!info->own_timestamps) {
      return absl::InvalidArgumentError(
          absl::StrCat("block: timestamp chunk ", i, " has no timestamps"));
    }
    ts.push_back(*info);
  }
  if (absl::Status s = CheckTimes(ts, meta_, "timestamp"); !s.ok()) return s;

  if (fields.empty()) return absl::InvalidArgumentError("block: a group needs a field");
  std::vector<size_t> order(fields.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return fields[a].key < fields[b].key; });
  std::vector<std::vector<ChunkInfo>> infos(fields.size());
  std::vector<bool> shared(fields.size());
  for (size_t n = 0; n < order.size(); ++n) {
    const FieldChunks& field = fields[order[n]];
    const std::string what = absl::StrCat("field \"", field.key, "\"");
    if (field.key.empty() || field.key.size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat("block: field key of ", field.key.size(),
                                                     " bytes (1 to ", kMaxNameBytes, ")"));
    }
    if (n > 0 && fields[order[n - 1]].key == field.key) {
      return absl::InvalidArgumentError(absl::StrCat("block: ", what, " appears twice"));
    }
    if (field.chunks.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("block: ", what, " has no chunk"));
    }
    std::vector<ChunkInfo>& list = infos[n];
    for (size_t i = 0; i < field.chunks.size(); ++i) {
      absl::StatusOr<ChunkInfo> info =
          InspectChunk(field.chunks[i], absl::StrCat(what, " chunk ", i));
      if (!info.ok()) return info.status();
      if (info->type != ToValueType(field.type)) {
        return absl::InvalidArgumentError(
            absl::StrCat("block: ", what, " chunk ", i, " holds ",
                         std::string(compression::ValueTypeName(info->type)), " values"));
      }
      if (i > 0 && info->own_timestamps != list[0].own_timestamps) {
        return absl::InvalidArgumentError(
            absl::StrCat("block: ", what, " mixes chunks with and without timestamps"));
      }
      list.push_back(*info);
    }
    shared[n] = !list[0].own_timestamps;
    if (shared[n]) {
      if (list.size() != ts.size()) {
        return absl::InvalidArgumentError(absl::StrCat("block: ", what, " has ", list.size(),
                                                       " chunks without timestamps for ", ts.size(),
                                                       " timestamp chunks"));
      }
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].count != ts[i].count || list[i].first_time != ts[i].first_time ||
            list[i].last_time != ts[i].last_time) {
          return absl::InvalidArgumentError(absl::StrCat(
              "block: ", what, " chunk ", i, " does not line up with timestamp chunk ", i));
        }
      }
    } else if (absl::Status s = CheckTimes(list, meta_, what); !s.ok()) {
      return s;
    }
  }

  // The chunks, in the order the index lists them (their positions are implicit).
  for (const std::string& chunk : timestamp_chunks) {
    if (absl::Status s = AppendChunk(chunk); !s.ok()) return s;
  }
  for (size_t n = 0; n < order.size(); ++n) {
    for (const std::string& chunk : fields[order[n]].chunks) {
      if (absl::Status s = AppendChunk(chunk); !s.ok()) return s;
    }
  }

  // The group's index entry, with provisional symbol numbers.
  const uint32_t measurement_id = Intern(measurement);
  PutVarint64(&groups_, measurement_id);
  PutVarint64(&groups_, tags.size());
  if (measurements_.empty() || measurements_.back().measurement != measurement_id) {
    measurements_.push_back(MeasurementPostings{measurement_id, 0, {}});
  }
  MeasurementPostings& postings = measurements_.back();
  const uint32_t relative_group = postings.group_count++;
  for (const TagView& tag : tags) {
    const uint32_t key = Intern(tag.key);
    const uint32_t value = Intern(tag.value);
    PutVarint64(&groups_, key);
    PutVarint64(&groups_, value);
    postings.postings.push_back({key, value, relative_group});
  }
  PutVarint64(&groups_, ts.size());
  PutChunkList(ts, meta_.start, &groups_);
  PutVarint64(&groups_, fields.size());
  for (size_t n = 0; n < order.size(); ++n) {
    const FieldChunks& field = fields[order[n]];
    PutVarint64(&groups_, Intern(field.key));
    const uint8_t kind = static_cast<uint8_t>(ToValueType(field.type)) |
                         (shared[n] ? block::kSharedTimestampsBit : 0);
    groups_.push_back(static_cast<char>(kind));
    if (shared[n]) {
      for (const ChunkInfo& c : infos[n]) PutVarint64(&groups_, c.length);
    } else {
      PutVarint64(&groups_, infos[n].size());
      PutChunkList(infos[n], meta_.start, &groups_);
    }
  }
  last_series_key_.assign(series_key);
  ++group_count_;
  return absl::OkStatus();
}

absl::StatusOr<std::string> BlockWriter::BuildIndex() const {
  // Final symbol numbers follow the strings' bytewise order.
  std::vector<uint32_t> order(symbols_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return symbols_[a] < symbols_[b]; });
  std::vector<uint32_t> renumber(symbols_.size());
  for (uint32_t i = 0; i < order.size(); ++i) renumber[order[i]] = i;

  std::string index;
  index.push_back(static_cast<char>(block::kFormatVersion));
  PutFixed64(&index, static_cast<uint64_t>(meta_.start));
  PutFixed64(&index, static_cast<uint64_t>(meta_.end));
  PutFixed64(&index, meta_.sequence);
  PutVarint64(&index, symbols_.size());
  for (uint32_t id : order) PutString(&index, symbols_[id]);
  PutVarint64(&index, frames_.size());
  for (const auto& [stored, raw] : frames_) {
    PutVarint64(&index, stored);
    PutVarint64(&index, raw);
  }

  // The group entries, renumbered. They were written by AddGroup, so they parse.
  PutVarint64(&index, group_count_);
  ByteReader in(groups_);
  uint64_t v = 0;
  const auto copy = [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      in.ReadVarint64(&v);
      PutVarint64(&index, v);
    }
  };
  const auto symbol = [&] {
    in.ReadVarint64(&v);
    PutVarint64(&index, renumber[v]);
  };
  for (size_t g = 0; g < group_count_; ++g) {
    symbol();
    uint64_t tag_count = 0, ts_count = 0, field_count = 0;
    in.ReadVarint64(&tag_count);
    PutVarint64(&index, tag_count);
    for (uint64_t t = 0; t < 2 * tag_count; ++t) symbol();
    in.ReadVarint64(&ts_count);
    PutVarint64(&index, ts_count);
    copy(4 * ts_count);
    in.ReadVarint64(&field_count);
    PutVarint64(&index, field_count);
    for (uint64_t f = 0; f < field_count; ++f) {
      symbol();
      uint8_t kind = 0;
      in.ReadByte(&kind);
      index.push_back(static_cast<char>(kind));
      if (kind & block::kSharedTimestampsBit) {
        copy(ts_count);
      } else {
        uint64_t chunk_count = 0;
        in.ReadVarint64(&chunk_count);
        PutVarint64(&index, chunk_count);
        copy(4 * chunk_count);
      }
    }
  }
  if (!in.ok() || in.remaining() != 0) {
    return absl::InternalError("block: the writer's own group entries do not parse");
  }

  // Postings, by final symbol numbers: tag keys, then values, then groups ascending.
  PutVarint64(&index, measurements_.size());
  std::vector<Posting> postings;
  for (const MeasurementPostings& m : measurements_) {
    PutVarint64(&index, renumber[m.measurement]);
    PutVarint64(&index, m.group_count);
    postings = m.postings;
    for (Posting& p : postings) {
      p.key = renumber[p.key];
      p.value = renumber[p.value];
    }
    std::sort(postings.begin(), postings.end(), [](const Posting& a, const Posting& b) {
      return std::tie(a.key, a.value, a.group) < std::tie(b.key, b.value, b.group);
    });
    size_t key_count = 0;
    for (size_t i = 0; i < postings.size(); ++i) {
      key_count += i == 0 || postings[i].key != postings[i - 1].key;
    }
    PutVarint64(&index, key_count);
    for (size_t i = 0; i < postings.size();) {
      const uint32_t key = postings[i].key;
      size_t key_end = i;
      size_t value_count = 0;
      while (key_end < postings.size() && postings[key_end].key == key) {
        value_count += key_end == i || postings[key_end].value != postings[key_end - 1].value;
        ++key_end;
      }
      PutVarint64(&index, key);
      PutVarint64(&index, value_count);
      while (i < key_end) {
        const uint32_t value = postings[i].value;
        size_t value_end = i;
        while (value_end < key_end && postings[value_end].value == value) ++value_end;
        PutVarint64(&index, value);
        PutVarint64(&index, value_end - i);
        uint32_t previous = 0;
        for (; i < value_end; ++i) {
          PutVarint64(&index, postings[i].group - previous);
          previous = postings[i].group;
        }
      }
    }
  }
  if (index.size() > block::kMaxIndexRawBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("block: index of ", index.size(),
                                                     " bytes exceeds the limit of ",
                                                     block::kMaxIndexRawBytes));
  }
  return index;
}

absl::StatusOr<std::string> BlockWriter::Finish() {
  if (!status_.ok()) return status_;
  absl::Status status = [&]() -> absl::Status {
    if (absl::Status s = FlushFrame(); !s.ok()) return s;
    absl::StatusOr<std::string> index = BuildIndex();
    if (!index.ok()) return index.status();
    std::string tail;
    compression::CompressBlock(codec_, *index, &tail);
    const uint64_t index_frame_size = tail.size();
    std::string footer;
    PutFixed64(&footer, file_bytes_);
    PutFixed64(&footer, index_frame_size);
    PutFixed32(&footer, static_cast<uint32_t>(group_count_));
    PutFixed32(&footer, 0);
    const std::string header = EncodeHeader(codec_);
    uint32_t crc = compression::crc32c::Value(header);
    crc = compression::crc32c::Extend(crc, tail.data(), tail.size());
    crc = compression::crc32c::Extend(crc, footer.data(), footer.size());
    PutFixed32(&footer, crc);
    PutFixed32(&footer, block::kMagic);
    tail.append(footer);
    if (absl::Status s = file_->Append(tail); !s.ok()) return s;
    file_bytes_ += tail.size();
    if (absl::Status s = file_->Sync(); !s.ok()) return s;
    absl::Status close = file_->Close();
    file_.reset();
    if (!close.ok()) {
      (void)env_->RemoveFile(tmp_path_);
      return close;
    }
    const std::string path = absl::StrCat(dir_, "/", name_);
    if (absl::Status s = env_->RenameFile(tmp_path_, path); !s.ok()) {
      (void)env_->RemoveFile(tmp_path_);
      return s;
    }
    // Without this sync a crash could undo the rename. If it fails, the block is withdrawn (best
    // effort) so that what readers see matches the error; should it reappear after a crash it is
    // a complete, valid block.
    if (absl::Status s = env_->SyncDir(dir_); !s.ok()) {
      (void)env_->RemoveFile(path);
      return s;
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    if (status_.ok()) (void)Fail(status);
    Abandon();
    return status_;
  }
  status_ = absl::FailedPreconditionError(absl::StrCat("block ", name_, " is finished"));
  return name_;
}

}  // namespace edgetsdb
