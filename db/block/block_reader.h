// Reads block files (docs/format/block.md). Opening reads the header, the footer and the index
// only, verifies them, and keeps the decompressed index plus a few words per group in memory; chunk
// data is read frame by frame when asked for. Also VerifyBlock, which reads everything
// (`edgetsdb check`).
#ifndef EDGETSDB_DB_BLOCK_BLOCK_READER_H_
#define EDGETSDB_DB_BLOCK_BLOCK_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "compression/block_compression.h"
#include "db/block/block_writer.h"
#include "db/env.h"
#include "edgetsdb/point.h"

namespace edgetsdb {

// Where a chunk is and what it holds, from the index. For chunks of shared fields, count and times
// are those of the timestamp chunk they line up with.
struct ChunkRef {
  uint32_t frame = 0;   // Frame number within the block.
  uint32_t offset = 0;  // Within the decompressed frame.
  uint32_t length = 0;
  uint32_t count = 0;  // 1..kMaxChunkValues.
  int64_t first_time = 0;
  int64_t last_time = 0;

  friend bool operator==(const ChunkRef&, const ChunkRef&) = default;
};

struct BlockField {
  std::string_view key;  // Views into the reader: valid while it lives.
  FieldType type = FieldType::kFloat;
  // The chunks have no timestamps of their own and line up with the group's timestamp chunks.
  bool shared_timestamps = false;
  std::vector<ChunkRef> chunks;  // In time order.
};

// One group (device), decoded from the index.
struct BlockGroup {
  uint32_t id = 0;
  std::string series_key;        // Canonical (docs/format/write_batch.md).
  std::string_view measurement;  // Views into the reader: valid while it lives.
  std::vector<TagView> tags;     // Sorted by key.
  std::vector<ChunkRef> timestamp_chunks;
  std::vector<BlockField> fields;  // Sorted by key.

  // The field with this key, or nullptr.
  const BlockField* FindField(std::string_view key) const;
};

// An open block. Immutable after Open; every method is thread-safe. Group ids are 0..group_count-1
// in series key order; a method given an id out of range is a programmer error.
class BlockReader {
 public:
  // Opens the block at path: reads its header, footer and index and checks validity rules 1 to 4
  // of the format. DataLoss (naming the file) for damage or an inconsistent index;
  // FailedPrecondition for a checksummed header or index of a version this reader does not know;
  // the Env's errors for I/O. Memory: the decompressed index and 12 bytes per group.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BlockReader>> Open(Env* env,
                                                                         const std::string& path);
  // Opens a block held in memory (for tests, fuzzing and inspection tools); name is used in
  // messages and, if it is a block file name, checked against the index like a path's.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BlockReader>> OpenFromBytes(
      std::string bytes, std::string name = "<memory>");

  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  const BlockMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  compression::BlockCompression frame_codec() const { return frame_codec_; }
  size_t group_count() const { return groups_.size(); }
  size_t frame_count() const { return frames_.size(); }
  size_t chunk_count() const { return chunk_count_; }
  // Where frame `frame` starts in the file (for messages and tools).
  uint64_t frame_offset(uint32_t frame) const { return frames_[frame].offset; }
  // Bytes this reader keeps in memory (the index and its tables, the cached frame), for the
  // engine's accounting.
  size_t MemoryUsage() const;

  // --- Groups ---

  std::string series_key(uint32_t group) const;
  std::string_view measurement(uint32_t group) const;
  std::vector<TagView> tags(uint32_t group) const;
  // The whole entry: key, tags, chunk references.
  BlockGroup group(uint32_t group) const;
  // The id of the group with this canonical series key (binary search), or nullopt.
  std::optional<uint32_t> FindGroup(std::string_view series_key) const;

  // --- Postings. Group ids come back sorted ascending; unknown names give nothing. ---

  // Measurements in the order of their groups.
  std::vector<std::string_view> Measurements() const;
  // Every group of the measurement.
  std::vector<uint32_t> GroupsOf(std::string_view measurement) const;
  std::vector<std::string_view> TagKeys(std::string_view measurement) const;
  // The values of a tag key within a measurement, sorted, for matching by regular expression.
  std::vector<std::string_view> TagValues(std::string_view measurement, std::string_view key) const;
  // Groups of the measurement whose tag `key` has a value accepted by `accept` (union of postings;
  // groups without the tag are not offered).
  std::vector<uint32_t> GroupsWhereTag(std::string_view measurement, std::string_view key,
                                       absl::FunctionRef<bool(std::string_view)> accept) const;
  // Groups of the measurement that satisfy every matcher: tag `key` equal to `value`, or, for an
  // empty value (tag values are never empty), groups without tag `key`, as InfluxQL's `key = ''`.
  std::vector<uint32_t> MatchGroups(std::string_view measurement,
                                    absl::Span<const TagView> equal) const;

  // --- Data ---

  // The bytes of one chunk without copying them: a view into its decompressed frame, which
  // `frame` keeps alive (also after the reader's cache lets it go, or the reader closes).
  struct ChunkBytes {
    std::string_view bytes;
    std::shared_ptr<const std::string> frame;
  };

  // The bytes of one chunk (then compression::ParseChunk). Reads and decompresses its frame, and
  // keeps the last frame read (or the damage found in it) for the next call: one frame per open
  // block, as every block of the data directory stays open. A caller that reads chunks of a few
  // frames interleaved (a group's timestamp chunks and its fields' chunks, when the group
  // straddles frames) keeps their ChunkBytes::frame itself rather than decompress them again.
  // DataLoss naming the block and offset for a frame that cannot be read back; InvalidArgument for
  // a ref that does not lie within the block's frames. The chunk's own CRC is checked by
  // ParseChunk, not here.
  [[nodiscard]] absl::StatusOr<ChunkBytes> ReadChunkView(const ChunkRef& ref) const;
  // The same, copied.
  [[nodiscard]] absl::StatusOr<std::string> ReadChunk(const ChunkRef& ref) const;
  // Drops the cached frame.
  void ReleaseCache() const;

 private:
  struct Frame {
    uint64_t offset;  // In the file.
    uint32_t stored_size;
    uint32_t raw_size;
  };
  struct Group {
    uint32_t index_offset;  // Of its entry in index_.
    uint32_t frame;         // Position-walk cursor before its first chunk.
    uint32_t frame_offset;
  };
  struct Measurement {
    uint32_t symbol;
    uint32_t first_group;
    uint32_t group_count;
    uint32_t postings_offset;  // Of its tag key count in index_.
  };
  struct Symbol {
    uint32_t offset;
    uint32_t size;
  };
  class IndexParser;

  BlockReader(std::unique_ptr<RandomAccessFile> file, std::string path);
  static absl::StatusOr<std::unique_ptr<BlockReader>> OpenFile(
      std::unique_ptr<RandomAccessFile> file, std::string path);
  absl::Status Load();
  absl::Status ParseIndex();

  std::string_view symbol(uint32_t id) const {
    return std::string_view(index_).substr(symbols_[id].offset, symbols_[id].size);
  }
  std::optional<uint32_t> FindSymbol(std::string_view s) const;
  const Measurement* FindMeasurement(std::string_view name) const;
  // Calls visit(key symbol, value symbol, group ids) for each posting list of the measurement (of
  // only_key, if given), in key then value order.
  void ForEachPosting(
      const Measurement& m, std::optional<uint32_t> only_key,
      absl::FunctionRef<void(uint32_t, uint32_t, const std::vector<uint32_t>&)> visit) const;
  void AppendSeriesKey(uint32_t group, std::string* out) const;

  const std::unique_ptr<RandomAccessFile> file_;
  const std::string path_;
  uint64_t file_size_ = 0;
  BlockMeta meta_;
  compression::BlockCompression frame_codec_ = compression::BlockCompression::kNone;
  size_t chunk_count_ = 0;

  std::string index_;  // Decompressed.
  std::vector<Symbol> symbols_;
  std::vector<Frame> frames_;
  std::vector<Group> groups_;
  std::vector<Measurement> measurements_;

  mutable absl::Mutex mu_;
  mutable uint32_t cached_frame_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::shared_ptr<const std::string> cached_ ABSL_GUARDED_BY(mu_);
  // Why cached_frame_ could not be read back (then cached_ is null).
  mutable absl::Status cached_status_ ABSL_GUARDED_BY(mu_);
};

// What VerifyBlock found. Chunk damage is listed (the first kMaxListed cases) and counted; the
// block's other chunks are still good.
struct BlockCheck {
  static constexpr size_t kMaxListed = 1000;
  struct Damage {
    uint32_t group = 0;
    std::string field;  // Empty for a timestamp chunk.
    uint32_t chunk = 0;
    uint64_t frame_offset = 0;  // Of the chunk's frame in the file.
    absl::Status status;
  };
  uint64_t frames = 0;
  uint64_t chunks = 0;
  uint64_t values = 0;
  uint64_t damaged_chunks = 0;
  std::vector<Damage> damage;

  bool ok() const { return damaged_chunks == 0; }
};

// Reads every chunk of an open block, checks it against the index (validity rule 5: CRC, type,
// timestamp mode, count, times) and decodes its streams. Errors only for I/O; damage is reported
// in the result.
[[nodiscard]] absl::StatusOr<BlockCheck> VerifyBlock(const BlockReader& reader);
// Opens the block at path and verifies it: Open's errors, or the check.
[[nodiscard]] absl::StatusOr<BlockCheck> VerifyBlock(Env* env, const std::string& path);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_BLOCK_BLOCK_READER_H_
