// Damaged block files on disk (docs/format/block.md, "Validity"), opened through the Env as the
// engine opens them. block_test.cc checks that damage is found at open or confined to its frame,
// on blocks held in memory; here, for each damage case of a table (bit flips in every part of the
// file, cuts at every boundary, each 4 KiB sector zeroed), the checks go down to the chunk:
// - damage to the header, the index or the footer fails BlockReader::Open and VerifyBlock with
//   DataLoss naming the file;
// - damage to a frame fails exactly the chunks it reaches (in an uncompressed frame, the chunks
//   whose bytes it changed, or all of them when it hits the frame's own header) with DataLoss
//   naming the file and the frame's offset, and VerifyBlock lists exactly those chunks by group,
//   field and position;
// - every other chunk reads back to the very timestamps and values that were written.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "compression/block_compression.h"
#include "compression/chunk.h"
#include "compression/coding.h"
#include "db/block/block_reader.h"
#include "db/block/block_writer.h"
#include "edgetsdb/write_batch.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/file_damage.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::compression::BlockCompression;
using ::edgetsdb::compression::Column;
using ::edgetsdb::testing::ChangedRange;
using ::edgetsdb::testing::FaultInjectionEnv;
using ::edgetsdb::testing::FileDamage;
using ::edgetsdb::testing::kSectorBytes;

constexpr char kDir[] = "/db/blocks";
constexpr int64_t kStart = 1'700'000'000'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;
constexpr BlockMeta kMeta{kStart, kStart + 2 * 3600 * kSecond, 3};
constexpr int kDevices = 24;
constexpr size_t kChunksPerField = 2;
constexpr size_t kRowsPerChunk = 120;

// A chunk as written: where the index puts it (group, field key or "" for the timestamp chunk, and
// its position in the list), its bytes, and what it holds.
struct ChunkId {
  uint32_t group = 0;
  std::string field;
  uint32_t index = 0;
  friend auto operator<=>(const ChunkId&, const ChunkId&) = default;
};

struct WrittenChunk {
  std::string bytes;
  std::vector<int64_t> timestamps;  // Empty for chunks that share their group's.
  Column values;
};

std::string SeriesKeyOf(std::string_view measurement, const std::vector<TagView>& tags) {
  WriteBatch batch;
  const FieldView field{"f", 1.0};
  EXPECT_TRUE(batch.Add(measurement, tags, {&field, 1}, kStart).ok());
  WriteBatch::Reader reader(batch);
  EXPECT_TRUE(reader.Next());
  return std::string(reader.series_key());
}

WrittenChunk Encode(std::vector<int64_t> timestamps, Column values, bool own_timestamps) {
  WrittenChunk chunk;
  const absl::Status s = compression::EncodeChunk(
      timestamps,
      std::visit([](const auto& v) { return compression::ColumnView(absl::MakeConstSpan(v)); },
                 values),
      {.store_timestamps = own_timestamps}, &chunk.bytes);
  EXPECT_TRUE(s.ok()) << s;
  if (own_timestamps) chunk.timestamps = std::move(timestamps);
  chunk.values = std::move(values);
  return chunk;
}

// One device: two timestamp chunks of 10 s readings, shared by a float and an int field; a bool at
// every other reading and a 64-character string at every odd one, with timestamps of their own.
// The strings are random hex, which no frame codec shrinks much, so that the block spans frames.
struct Device {
  std::string series_key;
  std::vector<std::string> timestamp_chunks;
  std::vector<FieldChunks> fields;
  std::map<std::string, std::vector<WrittenChunk>> written;  // By field key; "" for timestamps.
};

Device MakeDevice(int d, std::mt19937_64& rng) {
  Device device;
  const std::string id = absl::StrCat("dev", 100 + d);
  const std::string site = absl::StrCat("site", d % 3);
  device.series_key = SeriesKeyOf(d % 2 == 0 ? "env" : "power", {{"device", id}, {"site", site}});
  const auto add = [&](const std::string& key, FieldType type, WrittenChunk chunk) {
    auto field = std::find_if(device.fields.begin(), device.fields.end(),
                              [&](const FieldChunks& f) { return f.key == key; });
    if (field == device.fields.end())
      field = device.fields.insert(field, FieldChunks{key, type, {}});
    field->chunks.push_back(chunk.bytes);
    device.written[key].push_back(std::move(chunk));
  };
  for (size_t c = 0; c < kChunksPerField; ++c) {
    std::vector<int64_t> ts, bool_ts, string_ts;
    std::vector<double> temps;
    std::vector<int64_t> counts;
    std::vector<uint8_t> flags;
    std::vector<std::string> notes;
    for (size_t i = 0; i < kRowsPerChunk; ++i) {
      const size_t n = c * kRowsPerChunk + i;
      const int64_t t = kStart + d * 1'000'000 + static_cast<int64_t>(n) * 10 * kSecond;
      ts.push_back(t);
      temps.push_back(static_cast<double>(rng() % 10'000) / 100);
      counts.push_back(static_cast<int64_t>(rng() % 1'000'000) - 500'000);
      if (n % 2 == 0) {
        bool_ts.push_back(t);
        flags.push_back(rng() % 2);
      }
      if (n % 2 == 1) {
        string_ts.push_back(t);
        notes.push_back(
            absl::StrCat(absl::Hex(rng(), absl::kZeroPad16), absl::Hex(rng(), absl::kZeroPad16),
                         absl::Hex(rng(), absl::kZeroPad16), absl::Hex(rng(), absl::kZeroPad16)));
      }
    }
    WrittenChunk timestamps;
    EXPECT_TRUE(EncodeTimestampChunk(ts, &timestamps.bytes).ok());
    timestamps.timestamps = ts;
    timestamps.values = std::vector<uint8_t>(ts.size(), 0);  // Written as all false; not read.
    device.timestamp_chunks.push_back(timestamps.bytes);
    device.written[""].push_back(std::move(timestamps));
    add("temp", FieldType::kFloat, Encode(ts, std::move(temps), false));
    add("count", FieldType::kInt, Encode(ts, std::move(counts), false));
    add("on", FieldType::kBool, Encode(bool_ts, std::move(flags), true));
    add("note", FieldType::kString, Encode(string_ts, std::move(notes), true));
  }
  return device;
}

// Reads back exactly what was written, down to timestamps and values.
void ExpectIntact(const absl::StatusOr<std::string>& bytes, const WrittenChunk& want) {
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, want.bytes);
  absl::StatusOr<compression::ParsedChunk> chunk = compression::ParseChunk(*bytes);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  if (!want.timestamps.empty()) {
    std::vector<int64_t> timestamps;
    ASSERT_TRUE(compression::DecodeChunkTimestamps(*chunk, &timestamps).ok());
    EXPECT_EQ(timestamps, want.timestamps);
  }
  absl::StatusOr<Column> values = compression::DecodeChunkValues(*chunk);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_TRUE(*values == want.values);
}

struct FrameCodec {
  const char* name;
  BlockCompression codec;
};
void PrintTo(const FrameCodec& c, std::ostream* os) { *os << c.name; }

class BlockCorruptionTest : public ::testing::TestWithParam<FrameCodec> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/db").ok());
    ASSERT_TRUE(env_.CreateDir(kDir).ok());
    std::mt19937_64 rng(11);
    std::vector<Device> devices;
    for (int d = 0; d < kDevices; ++d) devices.push_back(MakeDevice(d, rng));
    std::sort(devices.begin(), devices.end(),
              [](const Device& a, const Device& b) { return a.series_key < b.series_key; });

    absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
        BlockWriter::Create(&env_, kDir, kMeta, GetParam().codec);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (const Device& device : devices) {
      ASSERT_TRUE(
          (*writer)->AddGroup(device.series_key, device.timestamp_chunks, device.fields).ok());
    }
    absl::StatusOr<std::string> name = (*writer)->Finish();
    ASSERT_TRUE(name.ok()) << name.status();
    path_ = absl::StrCat(kDir, "/", *name);
    original_ = *env_.ReadFileToString(path_);
    index_offset_ =
        compression::DecodeFixed64(original_.data() + original_.size() - block::kFooterSize);

    // Where the index puts each chunk, joined with what was written there.
    absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::Open(&env_, path_);
    ASSERT_TRUE(reader.ok()) << reader.status();
    ASSERT_GE((*reader)->frame_count(), 3u) << "the cases want several frames";
    for (uint32_t f = 0; f < (*reader)->frame_count(); ++f) {
      frame_offsets_.push_back((*reader)->frame_offset(f));
    }
    frame_offsets_.push_back(index_offset_);  // Where the last frame ends.
    for (uint32_t g = 0; g < (*reader)->group_count(); ++g) {
      const BlockGroup group = (*reader)->group(g);
      ASSERT_EQ(group.series_key, devices[g].series_key);
      const auto add = [&](const std::string& field, const std::vector<ChunkRef>& refs) {
        ASSERT_EQ(refs.size(), devices[g].written.at(field).size());
        for (uint32_t i = 0; i < refs.size(); ++i) {
          chunks_.push_back({{g, field, i}, refs[i], devices[g].written.at(field)[i]});
        }
      };
      add("", group.timestamp_chunks);
      for (const BlockField& field : group.fields) add(std::string(field.key), field.chunks);
    }
    // Decoded once here; the cases then compare bytes.
    for (const Chunk& c : chunks_) ExpectIntact((*reader)->ReadChunk(c.ref), c.written);
  }

  // The file bytes of a frame's own header (kind and raw length) in an uncompressed frame: all but
  // the chunks it holds.
  uint64_t UncompressedFrameHeader(uint32_t frame) const {
    uint64_t raw = 0;
    for (const Chunk& c : chunks_) {
      if (c.ref.frame == frame) raw = std::max<uint64_t>(raw, c.ref.offset + c.ref.length);
    }
    return frame_offsets_[frame + 1] - frame_offsets_[frame] - raw;
  }

  // The table: every part of the file, every way.
  std::vector<FileDamage> Cases() const {
    std::vector<FileDamage> cases;
    const uint64_t size = original_.size();
    const auto flip_at = [&](uint64_t offset) {
      cases.push_back(FileDamage::FlipBit(offset, static_cast<int>(offset % 8)));
    };
    for (uint64_t offset = 0; offset < block::kHeaderSize; ++offset) flip_at(offset);
    for (size_t f = 0; f + 1 < frame_offsets_.size(); ++f) {
      const uint64_t begin = frame_offsets_[f], end = frame_offsets_[f + 1];
      for (uint64_t offset : {begin, begin + 1, begin + 5, (begin + end) / 2, end - 1}) {
        flip_at(offset);
      }
    }
    for (uint64_t offset : {index_offset_, index_offset_ + 1, (index_offset_ + size) / 2,
                            size - block::kFooterSize - 1}) {
      flip_at(offset);
    }
    for (uint64_t offset = size - block::kFooterSize; offset < size; ++offset) flip_at(offset);

    for (uint64_t cut : {uint64_t{0}, uint64_t{1}, block::kHeaderSize, index_offset_,
                         index_offset_ + 1, size - block::kFooterSize, size - 1}) {
      cases.push_back(FileDamage::Truncate(cut));
    }
    for (size_t f = 0; f + 1 < frame_offsets_.size(); ++f) {
      cases.push_back(FileDamage::Truncate(frame_offsets_[f] + 1));
      cases.push_back(FileDamage::Truncate(frame_offsets_[f + 1] - 1));
    }
    for (uint64_t sector = 0; sector * kSectorBytes < size; ++sector) {
      cases.push_back(FileDamage::ZeroSector(sector));
    }
    return cases;
  }

  struct Chunk {
    ChunkId id;
    ChunkRef ref;
    WrittenChunk written;
  };

  FaultInjectionEnv env_{/*seed=*/1};
  std::string path_;
  std::string original_;
  uint64_t index_offset_ = 0;
  std::vector<uint64_t> frame_offsets_;  // Frame f is [frame_offsets_[f], frame_offsets_[f + 1]).
  std::vector<Chunk> chunks_;
};

INSTANTIATE_TEST_SUITE_P(Codecs, BlockCorruptionTest,
                         ::testing::Values(FrameCodec{"None", BlockCompression::kNone},
                                           FrameCodec{"Lz4", BlockCompression::kLz4},
                                           FrameCodec{"Zstd", BlockCompression::kZstd}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(BlockCorruptionTest, DamageIsReportedWhereItIsAndEverythingElseReadsBack) {
  int refused_at_open = 0, confined = 0;
  for (const FileDamage& damage : Cases()) {
    SCOPED_TRACE(damage.Describe());
    const std::string damaged = damage.Apply(original_);
    ASSERT_TRUE(env_.SetFileContents(path_, damaged).ok());
    const ChangedRange changed = testing::Changed(original_, damaged);
    ASSERT_LT(changed.begin, changed.end) << "every case changes the file";

    absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::Open(&env_, path_);
    if (changed.begin < block::kHeaderSize || changed.end > index_offset_) {
      EXPECT_TRUE(absl::IsDataLoss(reader.status())) << reader.status();
      EXPECT_TRUE(absl::StrContains(reader.status().message(), path_)) << reader.status();
      const absl::Status verify = VerifyBlock(&env_, path_).status();
      EXPECT_TRUE(absl::IsDataLoss(verify) && absl::StrContains(verify.message(), path_)) << verify;
      ++refused_at_open;
      continue;
    }
    ASSERT_TRUE(reader.ok()) << reader.status();
    ++confined;

    // Which chunks must read back, must fail, or may do either.
    std::set<ChunkId> failed;
    for (const Chunk& c : chunks_) {
      SCOPED_TRACE(
          absl::StrCat("group ", c.id.group, " field '", c.id.field, "' chunk ", c.id.index));
      const uint64_t frame_begin = frame_offsets_[c.ref.frame];
      const uint64_t frame_end = frame_offsets_[c.ref.frame + 1];
      enum class Want { kIntact, kFailure, kEither } want = Want::kEither;
      if (changed.end <= frame_begin || frame_end <= changed.begin) {
        want = Want::kIntact;
      } else if (GetParam().codec == BlockCompression::kNone) {
        // Raw chunks fail when the frame's own header (kind, raw length) or their own bytes were
        // hit, and only then.
        const uint64_t chunk_begin =
            frame_begin + UncompressedFrameHeader(c.ref.frame) + c.ref.offset;
        const bool frame_header_hit =
            changed.begin < frame_begin + UncompressedFrameHeader(c.ref.frame);
        const bool chunk_hit =
            changed.begin < chunk_begin + c.ref.length && chunk_begin < changed.end;
        want = frame_header_hit || chunk_hit ? Want::kFailure : Want::kIntact;
      }

      absl::StatusOr<std::string> bytes = (*reader)->ReadChunk(c.ref);
      bool read_back = false;
      if (!bytes.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(bytes.status())) << bytes.status();
        EXPECT_TRUE(
            absl::StrContains(bytes.status().message(), path_) &&
            absl::StrContains(bytes.status().message(),
                              absl::StrCat("frame ", c.ref.frame, " at offset ", frame_begin)))
            << bytes.status();
      } else {
        // The frame decoded (an uncompressed one, or a change the codec absorbed): the chunk's own
        // CRC decides, and must never pass changed bytes.
        absl::StatusOr<compression::ParsedChunk> parsed = compression::ParseChunk(*bytes);
        EXPECT_TRUE(parsed.ok() || absl::IsDataLoss(parsed.status()) ||
                    absl::IsInvalidArgument(parsed.status()))
            << parsed.status();
        read_back = parsed.ok() && parsed->encoded_size == c.ref.length;
        EXPECT_TRUE(!read_back || *bytes == c.written.bytes) << "changed bytes passed the CRC";
      }
      if (read_back) {
        EXPECT_NE(want, Want::kFailure) << "damage went unnoticed";
        EXPECT_EQ(*bytes, c.written.bytes);
      } else {
        EXPECT_NE(want, Want::kIntact) << "damage elsewhere failed this chunk";
        failed.insert(c.id);
      }
    }
    if (GetParam().codec == BlockCompression::kNone) {
      EXPECT_FALSE(failed.empty()) << "uncompressed: every changed byte belongs to some chunk";
    }

    // VerifyBlock lists exactly those chunks, each by its place in the index and its frame.
    absl::StatusOr<BlockCheck> check = VerifyBlock(&env_, path_);
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_EQ(check->chunks, chunks_.size());
    EXPECT_EQ(check->frames, frame_offsets_.size() - 1);
    EXPECT_EQ(check->damaged_chunks, failed.size());
    std::set<ChunkId> listed;
    for (const BlockCheck::Damage& d : check->damage) {
      const ChunkId id{d.group, d.field, d.chunk};
      listed.insert(id);
      const auto chunk =
          std::find_if(chunks_.begin(), chunks_.end(), [&](const Chunk& c) { return c.id == id; });
      ASSERT_NE(chunk, chunks_.end());
      EXPECT_EQ(d.frame_offset, frame_offsets_[chunk->ref.frame]);
      EXPECT_TRUE(absl::IsDataLoss(d.status) || absl::IsInvalidArgument(d.status)) << d.status;
    }
    EXPECT_TRUE(listed == failed) << listed.size() << " listed, " << failed.size() << " failed";
  }
  ASSERT_TRUE(env_.SetFileContents(path_, original_).ok());
  EXPECT_GT(refused_at_open, 0);
  EXPECT_GT(confined, 0);
  std::cout << GetParam().name << ": " << refused_at_open + confined << " cases, "
            << refused_at_open << " refused at open, " << confined << " confined to their frame; "
            << chunks_.size() << " chunks in " << frame_offsets_.size() - 1 << " frames\n";
}

}  // namespace
}  // namespace edgetsdb
