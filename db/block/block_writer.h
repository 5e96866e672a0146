// Writes immutable block files (docs/format/block.md): the chunks of one time partition in
// compressed frames, an index of groups (devices) with their chunk lists, postings for tag
// matching, and a checksummed footer. Also holds what the writer and the reader share: the
// format's constants, BlockMeta and block file names.
#ifndef EDGETSDB_DB_BLOCK_BLOCK_WRITER_H_
#define EDGETSDB_DB_BLOCK_BLOCK_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "compression/block_compression.h"
#include "db/env.h"
#include "edgetsdb/point.h"

namespace edgetsdb {

namespace block {

// "EBLK" as a little-endian u32: readable in a hex dump at both ends of the file.
inline constexpr uint32_t kMagic = 0x4b4c4245;
inline constexpr uint8_t kFormatVersion = 1;
// magic | version | frame codec | reserved
inline constexpr size_t kHeaderSize = 4 + 1 + 1 + 2;
// index offset | index frame length | group count | reserved | crc | magic
inline constexpr size_t kFooterSize = 8 + 8 + 4 + 4 + 4 + 4;
// The footer bytes the CRC covers: all but the CRC and the magic.
inline constexpr size_t kFooterCheckedSize = 8 + 8 + 4 + 4;
static_assert(kHeaderSize == 8 && kFooterSize == 32 && kFooterCheckedSize == 24);

// Frames are closed before the chunk that would take them past this: large enough for LZ4 and
// Zstandard to find redundancy across chunks, small enough that reading one chunk decompresses
// little and the reader's one-frame cache stays small.
inline constexpr size_t kTargetFrameBytes = 64 * 1024;
// Above the largest chunk (16 MiB of strings plus 65,536 timestamps); bounds a read's allocation.
inline constexpr size_t kMaxFrameRawBytes = size_t{32} << 20;
// Bounds what a damaged footer can make a reader allocate; about 4 million devices.
inline constexpr size_t kMaxIndexRawBytes = size_t{256} << 20;
// The file name has 10 digits for it.
inline constexpr uint64_t kMaxSequence = 9'999'999'999;

// Field kind byte in the index: the chunk value type, plus this bit for fields that share their
// group's timestamp chunks.
inline constexpr uint8_t kSharedTimestampsBit = 0x80;

}  // namespace block

// What a block covers: the partition [start, end) (start < end), and the sequence that orders
// blocks covering the same time (higher = newer writes, which win on equal series and timestamp).
struct BlockMeta {
  int64_t start = 0;
  int64_t end = 0;
  uint64_t sequence = 0;

  friend bool operator==(const BlockMeta&, const BlockMeta&) = default;
};

// "<start>-<end>-<seq>.blk", spelled so that names sort by time (docs/format/block.md, "Files").
// meta.sequence must be at most block::kMaxSequence.
std::string BlockFileName(const BlockMeta& meta);
// The meta a canonical block file name spells, or nullopt for any other name (".tmp" files,
// non-canonical spellings, start >= end).
std::optional<BlockMeta> ParseBlockFileName(std::string_view name);

// One field of a group, as the writer takes it: encoded chunks (compression/chunk.h), in time
// order, all of the field's type. Either every chunk has no timestamps of its own (ts codec 0) and
// they line up one for one with the group's timestamp chunks, or every chunk has its own
// timestamps.
struct FieldChunks {
  std::string key;
  FieldType type = FieldType::kFloat;
  std::vector<std::string> chunks;
};

// Appends a timestamp chunk for timestamps (1..kMaxChunkValues, non-decreasing) to *out: a chunk
// with its own timestamps and all-false bool values, which readers ignore.
absl::Status EncodeTimestampChunk(absl::Span<const int64_t> timestamps, std::string* out);

// Builds one block file. Chunks stream to "<dir>/<name>.tmp" in frames as groups arrive; the
// index (symbols, chunk lengths and times, postings) is kept in memory, a few tens of bytes per
// group, and written by Finish, which then publishes the file atomically: sync, rename to its
// final name, sync the directory. Until Finish returns OK no block is visible, and destroying an
// unfinished writer removes its .tmp (the engine removes strays a crash leaves at open).
//
// Errors: InvalidArgument for input that breaks the format's rules (nothing is written and the
// writer stays usable); the Env's errors for I/O, after which the writer refuses everything (a
// failed sync must not be retried on the same file). Not thread-safe.
class BlockWriter {
 public:
  // Creates the .tmp file and writes the header. InvalidArgument if meta is not a valid block
  // meta (start >= end, sequence above kMaxSequence); AlreadyExists if the block's file exists.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BlockWriter>> Create(
      Env* env, std::string dir, BlockMeta meta, compression::BlockCompression frame_codec);

  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Adds one group (a device): its canonical series key (docs/format/write_batch.md), in strictly
  // increasing bytewise order across calls; its shared timestamp chunks (each with its own
  // timestamps; values ignored, see EncodeTimestampChunk), in time order; and its fields, in any
  // order (the block stores them sorted by key). Every chunk is parsed, so its CRC is checked.
  // InvalidArgument when: the key is not canonical or not above the previous one; there is no
  // field, a field has no chunk, or two fields share a key; a chunk does not parse, has trailing
  // bytes, is of another type than its field, or is over kMaxFrameRawBytes; a field mixes chunks
  // with and without timestamps, or its timestamp-less chunks do not line up with the timestamp
  // chunks (count, first and last time); chunk times fall outside [start, end) or overlap the
  // previous chunk of the same list.
  [[nodiscard]] absl::Status AddGroup(std::string_view series_key,
                                      absl::Span<const std::string> timestamp_chunks,
                                      absl::Span<const FieldChunks> fields);

  // Writes the index and the footer and publishes the block. Returns the block's file name
  // (BlockFileName(meta), within dir). A block without groups is valid. After Finish, whatever it
  // returned, the writer refuses further calls. ResourceExhausted if the index would exceed
  // block::kMaxIndexRawBytes. If the directory sync after the rename fails, the block is removed
  // again (best effort) so that what readers see matches the error; should a crash bring it back,
  // it is whole.
  [[nodiscard]] absl::StatusOr<std::string> Finish();

  size_t group_count() const { return group_count_; }
  // Bytes written to the file so far (header and closed frames).
  uint64_t file_bytes() const { return file_bytes_; }

 private:
  // One tag of one group, by provisional symbol numbers; group relative to its measurement's first.
  struct Posting {
    uint32_t key;
    uint32_t value;
    uint32_t group;
  };
  struct MeasurementPostings {
    uint32_t measurement;  // Provisional symbol number.
    uint32_t group_count;
    std::vector<Posting> postings;
  };

  BlockWriter(Env* env, std::string dir, BlockMeta meta, compression::BlockCompression codec);

  absl::Status Fail(absl::Status status);
  uint32_t Intern(std::string_view symbol);
  absl::Status AppendChunk(std::string_view chunk);
  absl::Status FlushFrame();
  absl::StatusOr<std::string> BuildIndex() const;
  void Abandon();

  Env* const env_;
  const std::string dir_;
  const BlockMeta meta_;
  const compression::BlockCompression codec_;
  const std::string name_;
  const std::string tmp_path_;
  std::unique_ptr<WritableFile> file_;
  absl::Status status_;  // Sticky: the first I/O error, or "finished".
  uint64_t file_bytes_ = 0;

  // The open frame's raw bytes, a buffer for its compressed form, and the closed frames'
  // (stored size, raw size).
  std::string frame_;
  std::string frame_out_;
  std::vector<std::pair<uint64_t, uint32_t>> frames_;

  // Symbols by provisional number (order of first use); Finish sorts and renumbers them. A deque,
  // so that the map's views stay valid as it grows.
  std::deque<std::string> symbols_;
  absl::flat_hash_map<std::string_view, uint32_t> symbol_ids_;

  // Group entries as the index stores them, but with provisional symbol numbers.
  std::string groups_;
  size_t group_count_ = 0;
  std::string last_series_key_;
  std::vector<MeasurementPostings> measurements_;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_BLOCK_BLOCK_WRITER_H_
