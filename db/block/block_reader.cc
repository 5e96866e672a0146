#include "db/block/block_reader.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "compression/codec.h"
#include "compression/coding.h"
#include "compression/crc32c.h"

namespace edgetsdb {
namespace {

using compression::BlockCompression;
using compression::ByteReader;
using compression::DecodeFixed32;
using compression::DecodeFixed64;
using compression::kMaxChunkValues;
using compression::PutVarint64;
using compression::ValueType;

// Serves a block held in memory.
class StringFile final : public RandomAccessFile {
 public:
  explicit StringFile(std::string data) : data_(std::move(data)) {}

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    std::string_view* result) const override {
    if (offset >= data_.size()) {
      *result = std::string_view();
      return absl::OkStatus();
    }
    n = std::min<uint64_t>(n, data_.size() - offset);
    std::memcpy(scratch, data_.data() + offset, n);
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }
  uint64_t Size() const override { return data_.size(); }

 private:
  const std::string data_;
};

absl::Status ReadExact(const RandomAccessFile& file, const std::string& path, uint64_t offset,
                       size_t n, std::string* out) {
  out->resize(n);
  std::string_view result;
  if (absl::Status s = file.Read(offset, n, out->data(), &result); !s.ok()) return s;
  if (result.size() != n) {
    return absl::DataLossError(absl::StrCat("block ", path, ": read ", result.size(),
                                            " bytes at offset ", offset, ", expected ", n));
  }
  if (result.data() != out->data()) std::memmove(out->data(), result.data(), n);
  return absl::OkStatus();
}

std::optional<FieldType> ToFieldType(uint8_t value_type) {
  switch (static_cast<ValueType>(value_type)) {
    case ValueType::kFloat:
      return FieldType::kFloat;
    case ValueType::kInt:
      return FieldType::kInt;
    case ValueType::kUint:
      return FieldType::kUint;
    case ValueType::kBool:
      return FieldType::kBool;
    case ValueType::kString:
      return FieldType::kString;
  }
  return std::nullopt;
}

ValueType ToValueType(FieldType type) { return static_cast<ValueType>(static_cast<int>(type) + 1); }
static_assert(static_cast<int>(ValueType::kString) == static_cast<int>(FieldType::kString) + 1);

void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

std::string_view Basename(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Sorted-vector set operations for postings.
std::vector<uint32_t> Intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
std::vector<uint32_t> Subtract(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

// Parses index entries. Used to validate the whole index at open and, afterwards, to decode one
// group on demand, so that what Open accepted is exactly what the accessors read. Errors are
// plain strings; the reader wraps them in DataLoss with the file name and index offset.
class BlockReader::IndexParser {
 public:
  explicit IndexParser(const BlockReader& block) : block_(block) {}

  // The cursor of the position walk (docs/format/block.md, "Chunk positions").
  struct Cursor {
    uint32_t frame = 0;
    uint32_t offset = 0;
  };

  // Parses the group entry at r into *out (its series key included) and moves cursor past its
  // chunks. Returns an error message, or nullptr.
  const char* ParseGroup(ByteReader& r, Cursor& cursor, BlockGroup* out) const {
    uint64_t measurement = 0, tag_count = 0, ts_count = 0, field_count = 0;
    if (!r.ReadVarint64(&measurement) || !r.ReadVarint64(&tag_count)) return "truncated group";
    if (measurement >= block_.symbols_.size()) return "measurement symbol out of range";
    if (tag_count > kMaxTagsPerPoint) return "too many tags";
    out->measurement = block_.symbol(static_cast<uint32_t>(measurement));
    out->series_key.clear();
    PutString(&out->series_key, out->measurement);
    PutVarint64(&out->series_key, tag_count);
    out->tags.clear();
    uint64_t previous_key = 0;
    for (uint64_t i = 0; i < tag_count; ++i) {
      uint64_t key = 0, value = 0;
      if (!r.ReadVarint64(&key) || !r.ReadVarint64(&value)) return "truncated tags";
      if (key >= block_.symbols_.size() || value >= block_.symbols_.size()) {
        return "tag symbol out of range";
      }
      if (i > 0 && key <= previous_key) return "tags not sorted by key";
      previous_key = key;
      const TagView tag{block_.symbol(static_cast<uint32_t>(key)),
                        block_.symbol(static_cast<uint32_t>(value))};
      PutString(&out->series_key, tag.key);
      PutString(&out->series_key, tag.value);
      out->tags.push_back(tag);
    }

    // Counts are not trusted for allocation: each entry takes at least one byte.
    if (!r.ReadVarint64(&ts_count)) return "truncated timestamp chunk count";
    if (ts_count > r.remaining()) return "timestamp chunk count exceeds the index";
    out->timestamp_chunks.clear();
    int64_t base = block_.meta_.start;
    for (uint64_t i = 0; i < ts_count; ++i) {
      ChunkRef ref;
      if (const char* e = ParseRef(r, cursor, &ref); e != nullptr) return e;
      if (const char* e = ParseTimes(r, i == 0, &base, &ref); e != nullptr) return e;
      out->timestamp_chunks.push_back(ref);
    }

    if (!r.ReadVarint64(&field_count)) return "truncated field count";
    if (field_count == 0) return "group without fields";
    if (field_count > r.remaining()) return "field count exceeds the index";
    uint64_t previous_field = 0;
    for (uint64_t f = 0; f < field_count; ++f) {
      // Grown one at a time and reused across calls: the count is not trusted for allocation.
      if (f == out->fields.size()) out->fields.emplace_back();
      BlockField& field = out->fields[f];
      uint64_t key;
      uint8_t kind = 0;
      if (!r.ReadVarint64(&key) || !r.ReadByte(&kind)) return "truncated field";
      if (key >= block_.symbols_.size()) return "field key symbol out of range";
      if (f > 0 && key <= previous_field) return "fields not sorted by key";
      previous_field = key;
      field.key = block_.symbol(static_cast<uint32_t>(key));
      const std::optional<FieldType> type =
          ToFieldType(kind & static_cast<uint8_t>(~block::kSharedTimestampsBit));
      if (!type.has_value()) return "unknown field kind";
      field.type = *type;
      field.shared_timestamps = (kind & block::kSharedTimestampsBit) != 0;
      field.chunks.clear();
      if (field.shared_timestamps) {
        if (ts_count == 0) return "field shares timestamps its group does not have";
        for (const ChunkRef& ts : out->timestamp_chunks) {
          ChunkRef ref = ts;
          if (const char* e = ParseRef(r, cursor, &ref); e != nullptr) return e;
          field.chunks.push_back(ref);
        }
      } else {
        uint64_t chunk_count = 0;
        if (!r.ReadVarint64(&chunk_count)) return "truncated chunk count";
        if (chunk_count == 0) return "field without chunks";
        if (chunk_count > r.remaining()) return "chunk count exceeds the index";
        int64_t field_base = block_.meta_.start;
        for (uint64_t i = 0; i < chunk_count; ++i) {
          ChunkRef ref;
          if (const char* e = ParseRef(r, cursor, &ref); e != nullptr) return e;
          if (const char* e = ParseTimes(r, i == 0, &field_base, &ref); e != nullptr) return e;
          field.chunks.push_back(ref);
        }
      }
    }
    out->fields.resize(field_count);
    return nullptr;
  }

 private:
  // A chunk's length, placed by the position walk.
  const char* ParseRef(ByteReader& r, Cursor& cursor, ChunkRef* ref) const {
    uint64_t length;
    if (!r.ReadVarint64(&length)) return "truncated chunk reference";
    if (length == 0 || length > block::kMaxFrameRawBytes) return "chunk length out of range";
    const std::vector<Frame>& frames = block_.frames_;
    if (cursor.frame < frames.size() && cursor.offset == frames[cursor.frame].raw_size) {
      ++cursor.frame;
      cursor.offset = 0;
    }
    if (cursor.frame >= frames.size()) return "chunk beyond the last frame";
    if (length > frames[cursor.frame].raw_size - cursor.offset) return "chunk crosses a frame end";
    ref->frame = cursor.frame;
    ref->offset = cursor.offset;
    ref->length = static_cast<uint32_t>(length);
    cursor.offset += ref->length;
    return nullptr;
  }

  // count | first (from *base) | span, within [start, end); *base becomes the last time.
  const char* ParseTimes(ByteReader& r, bool first_of_list, int64_t* base, ChunkRef* ref) const {
    uint64_t count = 0, first = 0, span = 0;
    if (!r.ReadVarint64(&count) || !r.ReadVarint64(&first) || !r.ReadVarint64(&span)) {
      return "truncated chunk times";
    }
    if (count == 0 || count > kMaxChunkValues) return "chunk count out of range";
    if (!first_of_list && first == 0) return "chunk overlaps the previous one";
    // Room up to the last time the partition holds; base < end always.
    const uint64_t room =
        static_cast<uint64_t>(block_.meta_.end - 1) - static_cast<uint64_t>(*base);
    if (first > room || span > room - first) return "chunk times outside the partition";
    ref->count = static_cast<uint32_t>(count);
    ref->first_time = static_cast<int64_t>(static_cast<uint64_t>(*base) + first);
    ref->last_time = static_cast<int64_t>(static_cast<uint64_t>(ref->first_time) + span);
    *base = ref->last_time;
    return nullptr;
  }

  const BlockReader& block_;
};

const BlockField* BlockGroup::FindField(std::string_view key) const {
  const auto it =
      std::lower_bound(fields.begin(), fields.end(), key,
                       [](const BlockField& f, std::string_view k) { return f.key < k; });
  return it != fields.end() && it->key == key ? &*it : nullptr;
}

BlockReader::BlockReader(std::unique_ptr<RandomAccessFile> file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}

BlockReader::~BlockReader() = default;

absl::StatusOr<std::unique_ptr<BlockReader>> BlockReader::Open(Env* env, const std::string& path) {
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  return OpenFile(*std::move(file), path);
}

absl::StatusOr<std::unique_ptr<BlockReader>> BlockReader::OpenFromBytes(std::string bytes,
                                                                        std::string name) {
  return OpenFile(std::make_unique<StringFile>(std::move(bytes)), std::move(name));
}

absl::StatusOr<std::unique_ptr<BlockReader>> BlockReader::OpenFile(
    std::unique_ptr<RandomAccessFile> file, std::string path) {
  std::unique_ptr<BlockReader> reader(new BlockReader(std::move(file), std::move(path)));
  if (absl::Status s = reader->Load(); !s.ok()) return s;
  return reader;
}

absl::Status BlockReader::Load() {
  const auto damage = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat("block ", path_, ": ", std::string(what)));
  };
  file_size_ = file_->Size();
  if (file_size_ < block::kHeaderSize + block::kFooterSize) {
    return damage(absl::StrCat(file_size_, " bytes, too short for a header and a footer"));
  }

  std::string footer;
  const uint64_t footer_offset = file_size_ - block::kFooterSize;
  if (absl::Status s = ReadExact(*file_, path_, footer_offset, block::kFooterSize, &footer);
      !s.ok()) {
    return s;
  }
  const uint64_t index_offset = DecodeFixed64(footer.data());
  const uint64_t index_size = DecodeFixed64(footer.data() + 8);
  const uint32_t group_count = DecodeFixed32(footer.data() + 16);
  const uint32_t footer_reserved = DecodeFixed32(footer.data() + 20);
  const uint32_t stored_crc = DecodeFixed32(footer.data() + 24);
  if (DecodeFixed32(footer.data() + 28) != block::kMagic) {
    return damage("footer magic mismatch (truncated, or not a block)");
  }
  if (index_size == 0 || index_size > footer_offset - block::kHeaderSize ||
      index_offset != footer_offset - index_size) {
    return damage(absl::StrCat("footer places the index at ", index_offset, " (", index_size,
                               " bytes) in a file of ", file_size_, " bytes"));
  }

  std::string header, index_frame;
  if (absl::Status s = ReadExact(*file_, path_, 0, block::kHeaderSize, &header); !s.ok()) return s;
  if (absl::Status s = ReadExact(*file_, path_, index_offset, index_size, &index_frame); !s.ok()) {
    return s;
  }
  uint32_t crc = compression::crc32c::Value(header);
  crc = compression::crc32c::Extend(crc, index_frame.data(), index_frame.size());
  crc = compression::crc32c::Extend(crc, footer.data(), block::kFooterCheckedSize);
  if (crc != stored_crc) {
    return damage(absl::StrCat("checksum mismatch over header, index and footer (stored ",
                               stored_crc, ", computed ", crc, ")"));
  }

  // The checksum matches: what follows was written this way, by a newer writer or a broken one.
  if (DecodeFixed32(header.data()) != block::kMagic) return damage("header magic mismatch");
  const uint8_t version = static_cast<uint8_t>(header[4]);
  const uint8_t codec = static_cast<uint8_t>(header[5]);
  if (version != block::kFormatVersion || codec > static_cast<uint8_t>(BlockCompression::kZstd) ||
      header[6] != 0 || header[7] != 0 || footer_reserved != 0) {
    return absl::FailedPreconditionError(absl::StrCat("block ", path_, ": format version ", version,
                                                      ", frame codec ", codec,
                                                      " or reserved bits unknown to this reader"));
  }
  frame_codec_ = static_cast<BlockCompression>(codec);

  absl::StatusOr<std::string> index =
      compression::DecompressBlock(index_frame, block::kMaxIndexRawBytes);
  if (!index.ok()) return damage(absl::StrCat("index: ", std::string(index.status().message())));
  index_ = *std::move(index);
  if (absl::Status s = ParseIndex(); !s.ok()) return s;
  if (frames_.empty() ? index_offset != block::kHeaderSize
                      : frames_.back().offset + frames_.back().stored_size != index_offset) {
    return damage("the frames do not end where the index starts");
  }
  if (group_count != groups_.size()) {
    return damage(
        absl::StrCat("footer counts ", group_count, " groups, the index ", groups_.size()));
  }
  if (const std::optional<BlockMeta> named = ParseBlockFileName(Basename(path_));
      named.has_value() && !(*named == meta_)) {
    return damage(absl::StrCat("the file name disagrees with the index's partition [", meta_.start,
                               ", ", meta_.end, ") sequence ", meta_.sequence));
  }
  return absl::OkStatus();
}

absl::Status BlockReader::ParseIndex() {
  ByteReader r(index_);
  const auto fail = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat("block ", path_, ": index: ", std::string(what),
                                            " (index byte ", r.position(), ")"));
  };
  uint8_t version = 0;
  uint64_t start = 0, end = 0, sequence = 0, count = 0;
  if (!r.ReadByte(&version)) return fail("empty");
  if (version != block::kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("block ", path_, ": index version ", version, " unknown to this reader"));
  }
  if (!r.ReadFixed64(&start) || !r.ReadFixed64(&end) || !r.ReadFixed64(&sequence)) {
    return fail("truncated header");
  }
  meta_ = BlockMeta{static_cast<int64_t>(start), static_cast<int64_t>(end), sequence};
  if (meta_.start >= meta_.end || meta_.sequence > block::kMaxSequence) {
    return fail("invalid partition or sequence");
  }

  // Symbols: sorted, distinct, 1 B..64 KiB (so at least 2 bytes each).
  if (!r.ReadVarint64(&count) || count > r.remaining() / 2) return fail("bad symbol count");
  symbols_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view s;
    if (!r.ReadLengthPrefixed(&s)) return fail("truncated symbol");
    if (s.empty() || s.size() > std::max(kMaxNameBytes, kMaxTagValueBytes)) {
      return fail("symbol length out of range");
    }
    if (i > 0 && !(symbol(static_cast<uint32_t>(i - 1)) < s)) return fail("symbols not sorted");
    symbols_.push_back(
        {static_cast<uint32_t>(s.data() - index_.data()), static_cast<uint32_t>(s.size())});
  }

  // Frames: their stored sizes tile the data region.
  if (!r.ReadVarint64(&count) || count > r.remaining() / 2) return fail("bad frame count");
  frames_.reserve(count);
  uint64_t offset = block::kHeaderSize;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t stored = 0, raw = 0;
    if (!r.ReadVarint64(&stored) || !r.ReadVarint64(&raw)) return fail("truncated frame table");
    if (raw == 0 || raw > block::kMaxFrameRawBytes) return fail("frame raw size out of range");
    if (stored < 2 || stored > std::numeric_limits<uint32_t>::max() ||
        stored > file_size_ - offset) {
      return fail("frame stored size out of range");
    }
    frames_.push_back({offset, static_cast<uint32_t>(stored), static_cast<uint32_t>(raw)});
    offset += stored;
  }

  // Groups: sorted by series key, chunks placed by the position walk.
  if (!r.ReadVarint64(&count) || count > r.remaining() ||
      count > std::numeric_limits<uint32_t>::max()) {
    return fail("bad group count");
  }
  groups_.reserve(count);
  IndexParser parser(*this);
  IndexParser::Cursor cursor;
  BlockGroup group;
  std::string previous_key;
  for (uint64_t g = 0; g < count; ++g) {
    groups_.push_back({static_cast<uint32_t>(r.position()), cursor.frame, cursor.offset});
    if (const char* e = parser.ParseGroup(r, cursor, &group); e != nullptr) {
      return fail(absl::StrCat("group ", g, ": ", e));
    }
    if (g > 0 && !(previous_key < group.series_key)) {
      return fail(absl::StrCat("group ", g, ": series keys not sorted"));
    }
    std::swap(previous_key, group.series_key);
    chunk_count_ += group.timestamp_chunks.size();
    for (const BlockField& f : group.fields) chunk_count_ += f.chunks.size();
  }
  const bool walk_done = frames_.empty() ? chunk_count_ == 0
                                         : cursor.frame == frames_.size() - 1 &&
                                               cursor.offset == frames_.back().raw_size;
  if (!walk_done) return fail("the chunks do not fill the frames");

  // Postings: measurements tile the groups; each list is exactly the groups with that tag.
  if (!r.ReadVarint64(&count) || count > r.remaining()) return fail("bad measurement count");
  uint32_t next_group = 0;
  for (uint64_t m = 0; m < count; ++m) {
    uint64_t name = 0, group_count = 0, key_count = 0;
    if (!r.ReadVarint64(&name) || !r.ReadVarint64(&group_count)) {
      return fail("truncated measurement");
    }
    const size_t postings_offset = r.position();
    if (!r.ReadVarint64(&key_count)) return fail("truncated measurement");
    if (name >= symbols_.size()) return fail("measurement symbol out of range");
    if (!measurements_.empty() && measurements_.back().symbol == name) {
      return fail("measurement repeated");
    }
    if (group_count == 0 || group_count > groups_.size() - next_group) {
      return fail("measurement group count out of range");
    }
    const uint32_t first = next_group;
    next_group += static_cast<uint32_t>(group_count);
    uint64_t tags = 0;
    for (uint32_t g = first; g < next_group; ++g) {
      ByteReader entry(std::string_view(index_).substr(groups_[g].index_offset));
      uint64_t group_measurement = 0, tag_count = 0;
      entry.ReadVarint64(&group_measurement);
      entry.ReadVarint64(&tag_count);
      if (group_measurement != name) return fail("group outside its measurement's postings");
      tags += tag_count;
    }
    measurements_.push_back({static_cast<uint32_t>(name), first, static_cast<uint32_t>(group_count),
                             static_cast<uint32_t>(postings_offset)});
    if (key_count > r.remaining()) return fail("tag key count exceeds the index");
    uint64_t entries = 0;
    for (uint64_t k = 0, previous_key_symbol = 0; k < key_count; ++k) {
      uint64_t key = 0, value_count = 0;
      if (!r.ReadVarint64(&key) || !r.ReadVarint64(&value_count)) return fail("truncated postings");
      if (key >= symbols_.size() || (k > 0 && key <= previous_key_symbol)) {
        return fail("posting keys out of range or not sorted");
      }
      previous_key_symbol = key;
      if (value_count == 0 || value_count > r.remaining()) return fail("bad value count");
      for (uint64_t v = 0, previous_value = 0; v < value_count; ++v) {
        uint64_t value = 0, n = 0;
        if (!r.ReadVarint64(&value) || !r.ReadVarint64(&n)) return fail("truncated postings");
        if (value >= symbols_.size() || (v > 0 && value <= previous_value)) {
          return fail("posting values out of range or not sorted");
        }
        previous_value = value;
        if (n == 0 || n > r.remaining()) return fail("bad posting length");
        uint64_t id = 0;
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t delta = 0;
          if (!r.ReadVarint64(&delta)) return fail("truncated posting");
          if ((i > 0 && delta == 0) || delta >= group_count - id) {
            return fail("posting ids out of range or not increasing");
          }
          id += delta;
          // Does group first + id have this tag?
          ByteReader entry(std::string_view(index_).substr(groups_[first + id].index_offset));
          uint64_t unused = 0, tag_count = 0, tag_key = 0, tag_value = 0;
          entry.ReadVarint64(&unused);
          entry.ReadVarint64(&tag_count);
          bool found = false;
          for (uint64_t t = 0; t < tag_count && !found; ++t) {
            entry.ReadVarint64(&tag_key);
            entry.ReadVarint64(&tag_value);
            found = tag_key == key && tag_value == value;
          }
          if (!found) return fail("posting names a group without that tag");
          ++entries;
        }
      }
    }
    if (entries != tags) return fail("postings miss tags of their groups");
  }
  if (next_group != groups_.size()) return fail("measurements do not cover the groups");
  if (r.remaining() != 0) return fail("bytes after the postings");
  return absl::OkStatus();
}

size_t BlockReader::MemoryUsage() const {
  size_t cached = 0;
  {
    absl::MutexLock lock(&mu_);
    if (cached_ != nullptr) cached = cached_->capacity();
  }
  return sizeof(*this) + path_.capacity() + index_.capacity() +
         symbols_.capacity() * sizeof(Symbol) + frames_.capacity() * sizeof(Frame) +
         groups_.capacity() * sizeof(Group) + measurements_.capacity() * sizeof(Measurement) +
         cached;
}

void BlockReader::AppendSeriesKey(uint32_t group, std::string* out) const {
  ByteReader r(std::string_view(index_).substr(groups_[group].index_offset));
  uint64_t measurement = 0, tag_count = 0, key = 0, value = 0;
  r.ReadVarint64(&measurement);
  r.ReadVarint64(&tag_count);
  PutString(out, symbol(static_cast<uint32_t>(measurement)));
  PutVarint64(out, tag_count);
  for (uint64_t i = 0; i < tag_count; ++i) {
    r.ReadVarint64(&key);
    r.ReadVarint64(&value);
    PutString(out, symbol(static_cast<uint32_t>(key)));
    PutString(out, symbol(static_cast<uint32_t>(value)));
  }
}

std::string BlockReader::series_key(uint32_t group) const {
  std::string key;
  AppendSeriesKey(group, &key);
  return key;
}

std::string_view BlockReader::measurement(uint32_t group) const {
  ByteReader r(std::string_view(index_).substr(groups_[group].index_offset));
  uint64_t measurement = 0;
  r.ReadVarint64(&measurement);
  return symbol(static_cast<uint32_t>(measurement));
}

std::vector<TagView> BlockReader::tags(uint32_t group) const {
  ByteReader r(std::string_view(index_).substr(groups_[group].index_offset));
  uint64_t measurement = 0, tag_count = 0, key = 0, value = 0;
  r.ReadVarint64(&measurement);
  r.ReadVarint64(&tag_count);
  std::vector<TagView> tags;
  tags.reserve(tag_count);
  for (uint64_t i = 0; i < tag_count; ++i) {
    r.ReadVarint64(&key);
    r.ReadVarint64(&value);
    tags.push_back({symbol(static_cast<uint32_t>(key)), symbol(static_cast<uint32_t>(value))});
  }
  return tags;
}

BlockGroup BlockReader::group(uint32_t id) const {
  BlockGroup group;
  group.id = id;
  ByteReader r(std::string_view(index_).substr(groups_[id].index_offset));
  IndexParser::Cursor cursor{groups_[id].frame, groups_[id].frame_offset};
  // Open parsed this entry with the same parser, so it cannot fail now.
  [[maybe_unused]] const char* error = IndexParser(*this).ParseGroup(r, cursor, &group);
  return group;
}

std::optional<uint32_t> BlockReader::FindGroup(std::string_view series_key) const {
  size_t low = 0, high = groups_.size();
  std::string key;
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    key.clear();
    AppendSeriesKey(static_cast<uint32_t>(mid), &key);
    if (std::string_view(key) < series_key) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low < groups_.size()) {
    key.clear();
    AppendSeriesKey(static_cast<uint32_t>(low), &key);
    if (key == series_key) return static_cast<uint32_t>(low);
  }
  return std::nullopt;
}

std::optional<uint32_t> BlockReader::FindSymbol(std::string_view s) const {
  size_t low = 0, high = symbols_.size();
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    if (symbol(static_cast<uint32_t>(mid)) < s) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  if (low < symbols_.size() && symbol(static_cast<uint32_t>(low)) == s) {
    return static_cast<uint32_t>(low);
  }
  return std::nullopt;
}

const BlockReader::Measurement* BlockReader::FindMeasurement(std::string_view name) const {
  const std::optional<uint32_t> id = FindSymbol(name);
  if (!id.has_value()) return nullptr;
  for (const Measurement& m : measurements_) {
    if (m.symbol == *id) return &m;
  }
  return nullptr;
}

void BlockReader::ForEachPosting(
    const Measurement& m, std::optional<uint32_t> only_key,
    absl::FunctionRef<void(uint32_t, uint32_t, const std::vector<uint32_t>&)> visit) const {
  ByteReader r(std::string_view(index_).substr(m.postings_offset));
  uint64_t key_count = 0, key = 0, value_count = 0, value = 0, n = 0, delta = 0;
  std::vector<uint32_t> ids;
  r.ReadVarint64(&key_count);
  for (uint64_t k = 0; k < key_count; ++k) {
    r.ReadVarint64(&key);
    r.ReadVarint64(&value_count);
    for (uint64_t v = 0; v < value_count; ++v) {
      r.ReadVarint64(&value);
      r.ReadVarint64(&n);
      ids.clear();
      uint32_t id = m.first_group;
      for (uint64_t i = 0; i < n; ++i) {
        r.ReadVarint64(&delta);
        id += static_cast<uint32_t>(delta);
        ids.push_back(id);
      }
      if (!only_key.has_value() || key == *only_key) {
        visit(static_cast<uint32_t>(key), static_cast<uint32_t>(value), ids);
      }
    }
  }
}

std::vector<std::string_view> BlockReader::Measurements() const {
  std::vector<std::string_view> names;
  names.reserve(measurements_.size());
  for (const Measurement& m : measurements_) names.push_back(symbol(m.symbol));
  return names;
}

std::vector<uint32_t> BlockReader::GroupsOf(std::string_view measurement) const {
  std::vector<uint32_t> ids;
  const Measurement* m = FindMeasurement(measurement);
  if (m == nullptr) return ids;
  ids.resize(m->group_count);
  for (uint32_t i = 0; i < m->group_count; ++i) ids[i] = m->first_group + i;
  return ids;
}

std::vector<std::string_view> BlockReader::TagKeys(std::string_view measurement) const {
  std::vector<std::string_view> keys;
  const Measurement* m = FindMeasurement(measurement);
  if (m == nullptr) return keys;
  ForEachPosting(*m, std::nullopt, [&](uint32_t key, uint32_t, const std::vector<uint32_t>&) {
    if (keys.empty() || keys.back() != symbol(key)) keys.push_back(symbol(key));
  });
  return keys;
}

std::vector<std::string_view> BlockReader::TagValues(std::string_view measurement,
                                                     std::string_view key) const {
  std::vector<std::string_view> values;
  const Measurement* m = FindMeasurement(measurement);
  const std::optional<uint32_t> key_id = FindSymbol(key);
  if (m == nullptr || !key_id.has_value()) return values;
  ForEachPosting(*m, key_id, [&](uint32_t, uint32_t value, const std::vector<uint32_t>&) {
    values.push_back(symbol(value));
  });
  return values;
}

std::vector<uint32_t> BlockReader::GroupsWhereTag(
    std::string_view measurement, std::string_view key,
    absl::FunctionRef<bool(std::string_view)> accept) const {
  std::vector<uint32_t> ids;
  const Measurement* m = FindMeasurement(measurement);
  const std::optional<uint32_t> key_id = FindSymbol(key);
  if (m == nullptr || !key_id.has_value()) return ids;
  ForEachPosting(*m, key_id, [&](uint32_t, uint32_t value, const std::vector<uint32_t>& list) {
    if (accept(symbol(value))) ids.insert(ids.end(), list.begin(), list.end());
  });
  // A group has one value per key, so the lists are disjoint.
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<uint32_t> BlockReader::MatchGroups(std::string_view measurement,
                                               absl::Span<const TagView> equal) const {
  std::vector<uint32_t> ids = GroupsOf(measurement);
  for (const TagView& matcher : equal) {
    if (ids.empty()) break;
    if (matcher.value.empty()) {
      ids = Subtract(
          ids, GroupsWhereTag(measurement, matcher.key, [](std::string_view) { return true; }));
    } else {
      ids = Intersect(ids, GroupsWhereTag(measurement, matcher.key,
                                          [&](std::string_view v) { return v == matcher.value; }));
    }
  }
  return ids;
}

absl::StatusOr<BlockReader::ChunkBytes> BlockReader::ReadChunkView(const ChunkRef& ref) const {
  if (ref.frame >= frames_.size() || ref.length == 0 || ref.offset > frames_[ref.frame].raw_size ||
      ref.length > frames_[ref.frame].raw_size - ref.offset) {
    return absl::InvalidArgumentError(
        absl::StrCat("block ", path_, ": no chunk at frame ", ref.frame, " offset ", ref.offset));
  }
  const Frame& frame = frames_[ref.frame];
  std::shared_ptr<const std::string> raw;
  {
    absl::MutexLock lock(&mu_);
    if (cached_frame_ == ref.frame && (cached_ != nullptr || !cached_status_.ok())) {
      if (!cached_status_.ok()) return cached_status_;
      raw = cached_;
    }
  }
  if (raw == nullptr) {
    absl::Status status;
    std::string stored;
    if (absl::Status s = ReadExact(*file_, path_, frame.offset, frame.stored_size, &stored);
        !s.ok()) {
      return s;  // Not cached: an I/O error may be transient.
    }
    absl::StatusOr<std::string> decoded = compression::DecompressBlock(stored, frame.raw_size);
    if (decoded.ok() && decoded->size() != frame.raw_size) {
      decoded = absl::DataLossError(
          absl::StrCat("decoded ", decoded->size(), " bytes, the index says ", frame.raw_size));
    }
    if (decoded.ok()) {
      raw = std::make_shared<const std::string>(*std::move(decoded));
    } else {
      status = absl::DataLossError(absl::StrCat("block ", path_, ": frame ", ref.frame,
                                                " at offset ", frame.offset, ": ",
                                                std::string(decoded.status().message())));
    }
    // A damaged frame is remembered too, so that reading its chunks one by one does not
    // decompress it again for each.
    absl::MutexLock lock(&mu_);
    cached_frame_ = ref.frame;
    cached_ = raw;
    cached_status_ = status;
    if (!status.ok()) return status;
  }
  return ChunkBytes{std::string_view(*raw).substr(ref.offset, ref.length), std::move(raw)};
}

absl::StatusOr<std::string> BlockReader::ReadChunk(const ChunkRef& ref) const {
  absl::StatusOr<ChunkBytes> chunk = ReadChunkView(ref);
  if (!chunk.ok()) return chunk.status();
  return std::string(chunk->bytes);
}

void BlockReader::ReleaseCache() const {
  absl::MutexLock lock(&mu_);
  cached_.reset();
  cached_status_ = absl::OkStatus();
}

absl::StatusOr<BlockCheck> VerifyBlock(const BlockReader& reader) {
  BlockCheck check;
  check.frames = reader.frame_count();
  const auto verify = [&](uint32_t group, std::string_view field, uint32_t index,
                          const ChunkRef& ref, std::optional<FieldType> type,
                          bool own_timestamps) -> absl::Status {
    ++check.chunks;
    absl::Status problem = [&]() -> absl::Status {
      absl::StatusOr<std::string> bytes = reader.ReadChunk(ref);
      if (!bytes.ok()) return bytes.status();
      absl::StatusOr<compression::ParsedChunk> chunk = compression::ParseChunk(*bytes);
      if (!chunk.ok()) return chunk.status();
      const compression::ChunkSummary& summary = chunk->summary;
      const bool has_timestamps = chunk->timestamp_codec != compression::Codec::kNone;
      if (chunk->encoded_size != ref.length || summary.count != ref.count ||
          summary.first_time != ref.first_time || summary.last_time != ref.last_time ||
          has_timestamps != own_timestamps ||
          (type.has_value() && summary.type != ToValueType(*type))) {
        return absl::DataLossError("chunk disagrees with the index");
      }
      if (has_timestamps) {
        std::vector<int64_t> timestamps;
        if (absl::Status s = compression::DecodeChunkTimestamps(*chunk, &timestamps); !s.ok()) {
          return s;
        }
      }
      absl::StatusOr<compression::Column> values = compression::DecodeChunkValues(*chunk);
      if (!values.ok()) return values.status();
      const size_t decoded = std::visit([](const auto& v) { return v.size(); }, *values);
      if (decoded != summary.count) return absl::DataLossError("values disagree with the count");
      return absl::OkStatus();
    }();
    if (problem.ok()) {
      check.values += ref.count;
      return absl::OkStatus();
    }
    // Damage is reported; only I/O errors stop the check.
    if (!absl::IsDataLoss(problem) && !absl::IsInvalidArgument(problem)) return problem;
    ++check.damaged_chunks;
    if (check.damage.size() < BlockCheck::kMaxListed) {
      check.damage.push_back(
          {group, std::string(field), index, reader.frame_offset(ref.frame), std::move(problem)});
    }
    return absl::OkStatus();
  };
  for (uint32_t g = 0; g < reader.group_count(); ++g) {
    const BlockGroup group = reader.group(g);
    for (uint32_t i = 0; i < group.timestamp_chunks.size(); ++i) {
      if (absl::Status s = verify(g, "", i, group.timestamp_chunks[i], std::nullopt, true);
          !s.ok()) {
        return s;
      }
    }
    for (const BlockField& field : group.fields) {
      for (uint32_t i = 0; i < field.chunks.size(); ++i) {
        if (absl::Status s =
                verify(g, field.key, i, field.chunks[i], field.type, !field.shared_timestamps);
            !s.ok()) {
          return s;
        }
      }
    }
  }
  reader.ReleaseCache();
  return check;
}

absl::StatusOr<BlockCheck> VerifyBlock(Env* env, const std::string& path) {
  absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::Open(env, path);
  if (!reader.ok()) return reader.status();
  return VerifyBlock(**reader);
}

}  // namespace edgetsdb
