// Fuzzes the block reader (db/block/block_reader.h): BlockReader::OpenFromBytes, every index
// accessor, ReadChunk on every chunk and VerifyBlock. Random bytes rarely pass the footer's CRC, so
// the first byte picks one of three inputs:
//   0: the bytes as a block file;
//   1: the bytes as a decompressed index (and data region), sealed into a block with a valid CRC:
//      this reaches the index validation that a CRC-colliding or buggy writer would meet;
//   2: a valid block that BlockWriter makes from input-chosen groups, checked to read back exactly,
//      then damaged at one input-chosen byte, with or without resealing the CRC: damage outside
//      the data region must fail Open with DataLoss; data damage must leave the block openable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "db/block/block_reader.h"
#include "db/block/block_writer.h"
#include "db/env.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
namespace block = edgetsdb::block;
using edgetsdb::BlockGroup;
using edgetsdb::BlockReader;
using edgetsdb::ChunkRef;
using edgetsdb::fuzz::Check;

// Consumes the input one byte at a time; zeros when it runs out.
class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  uint8_t Next() { return pos_ < data_.size() ? static_cast<uint8_t>(data_[pos_++]) : 0; }
  uint16_t Next16() { return static_cast<uint16_t>(Next() | Next() << 8); }
  std::string_view Rest() const { return data_.substr(std::min(pos_, data_.size())); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Exercises everything a query could ask of an open block; checks what must hold for any block
// that opened.
void Exercise(const BlockReader& reader) {
  size_t chunks = 0;
  for (uint32_t g = 0; g < reader.group_count(); ++g) {
    const BlockGroup group = reader.group(g);
    Check(group.series_key == reader.series_key(g));
    Check(reader.FindGroup(group.series_key) == g);
    Check(reader.measurement(g) == group.measurement);
    Check(reader.tags(g).size() == group.tags.size());
    std::vector<ChunkRef> refs = group.timestamp_chunks;
    for (const edgetsdb::BlockField& f : group.fields) {
      Check(!f.chunks.empty());
      Check(!f.shared_timestamps || f.chunks.size() == group.timestamp_chunks.size());
      Check(group.FindField(f.key) == &f);
      refs.insert(refs.end(), f.chunks.begin(), f.chunks.end());
    }
    for (const ChunkRef& ref : refs) {
      ++chunks;
      Check(ref.count >= 1 && ref.first_time <= ref.last_time);
      Check(ref.first_time >= reader.meta().start && ref.last_time < reader.meta().end);
      absl::StatusOr<std::string> bytes = reader.ReadChunk(ref);
      if (!bytes.ok()) {
        Check(absl::IsDataLoss(bytes.status()));
        continue;
      }
      Check(bytes->size() == ref.length);
      absl::StatusOr<c::ParsedChunk> parsed = c::ParseChunk(*bytes);
      if (!parsed.ok()) continue;
      std::vector<int64_t> ts;
      (void)c::DecodeChunkTimestamps(*parsed, &ts);
      (void)c::DecodeChunkValues(*parsed);
    }
  }
  Check(chunks == reader.chunk_count());

  for (std::string_view m : reader.Measurements()) {
    const std::vector<uint32_t> all = reader.GroupsOf(m);
    Check(!all.empty());
    for (uint32_t g : all) Check(reader.measurement(g) == m);
    for (std::string_view key : reader.TagKeys(m)) {
      for (std::string_view value : reader.TagValues(m, key)) {
        const edgetsdb::TagView matcher{key, value};
        for (uint32_t g : reader.MatchGroups(m, {&matcher, 1})) {
          const std::vector<edgetsdb::TagView> tags = reader.tags(g);
          Check(std::any_of(tags.begin(), tags.end(), [&](const edgetsdb::TagView& t) {
            return t.key == key && t.value == value;
          }));
        }
      }
      const edgetsdb::TagView absent{key, ""};
      const std::vector<uint32_t> without = reader.MatchGroups(m, {&absent, 1});
      const std::vector<uint32_t> with =
          reader.GroupsWhereTag(m, key, [](std::string_view) { return true; });
      Check(without.size() + with.size() == all.size());
    }
  }
  absl::StatusOr<edgetsdb::BlockCheck> check = edgetsdb::VerifyBlock(reader);
  Check(check.ok());
  Check(check->chunks == reader.chunk_count());
}

void OpenAndExercise(std::string file) {
  absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::OpenFromBytes(std::move(file));
  if (!reader.ok()) {
    Check(absl::IsDataLoss(reader.status()) || absl::IsFailedPrecondition(reader.status()));
    return;
  }
  Exercise(**reader);
}

std::string Header() {
  std::string header;
  c::PutFixed32(&header, block::kMagic);
  header.append({static_cast<char>(block::kFormatVersion), 0, 0, 0});
  return header;
}

// Rewrites the footer CRC over header, index frame and footer.
void Reseal(std::string& file) {
  const size_t footer = file.size() - block::kFooterSize;
  const uint64_t index_offset = c::DecodeFixed64(file.data() + footer);
  if (index_offset > footer) return;
  uint32_t crc = c::crc32c::Value(file.data(), block::kHeaderSize);
  crc = c::crc32c::Extend(crc, file.data() + index_offset, footer - index_offset);
  crc = c::crc32c::Extend(crc, file.data() + footer, block::kFooterCheckedSize);
  std::string encoded;
  c::PutFixed32(&encoded, crc);
  file.replace(footer + block::kFooterCheckedSize, 4, encoded);
}

// Mode 1: data region and index from the input, sealed.
void SealedIndex(Bytes& in) {
  const size_t data_size = in.Next16() % 4096;
  const std::string_view rest = in.Rest();
  const std::string_view data = rest.substr(0, std::min(data_size, rest.size()));
  const std::string_view index = rest.substr(data.size());
  std::string file = Header();
  file.append(data);
  const uint64_t index_offset = file.size();
  file.push_back(0);  // An uncompressed frame.
  c::PutVarint64(&file, index.size());
  file.append(index);
  const uint64_t index_size = file.size() - index_offset;
  c::PutFixed64(&file, index_offset);
  c::PutFixed64(&file, index_size);
  c::PutFixed32(&file, 0);  // Group count: often wrong; the index parser runs first.
  c::PutFixed32(&file, 0);
  c::PutFixed32(&file, 0);
  c::PutFixed32(&file, block::kMagic);
  Reseal(file);
  OpenAndExercise(file);
  // With the footer's group count taken from the index's own claim where it is easy to find.
  std::string counted = file;
  for (uint32_t groups = 1; groups <= 3; ++groups) {
    counted.replace(counted.size() - 16, 4, std::string({static_cast<char>(groups), 0, 0, 0}));
    Reseal(counted);
    OpenAndExercise(counted);
  }
}

// The writer needs only files, renames and directory syncs; this keeps them in memory.
class MemoryEnv final : public edgetsdb::Env {
 public:
  std::map<std::string, std::string> files;

  absl::StatusOr<std::unique_ptr<edgetsdb::WritableFile>> NewWritableFile(
      const std::string& path) override {
    files[path].clear();
    return std::make_unique<File>(&files[path]);
  }
  absl::StatusOr<std::unique_ptr<edgetsdb::WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return std::make_unique<File>(&files[path]);
  }
  absl::StatusOr<std::unique_ptr<edgetsdb::RandomAccessFile>> NewRandomAccessFile(
      const std::string&) override {
    return absl::UnimplementedError("MemoryEnv");
  }
  absl::StatusOr<std::string> ReadFileToString(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError(path);
    return it->second;
  }
  bool FileExists(const std::string& path) override { return files.count(path) != 0; }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError(path);
    return it->second.size();
  }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string&) override {
    return absl::UnimplementedError("MemoryEnv");
  }
  absl::Status RemoveFile(const std::string& path) override {
    files.erase(path);
    return absl::OkStatus();
  }
  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    auto it = files.find(from);
    if (it == files.end()) return absl::NotFoundError(from);
    std::string data = std::move(it->second);
    files.erase(it);
    files[to] = std::move(data);
    return absl::OkStatus();
  }
  absl::Status TruncateFile(const std::string&, uint64_t) override {
    return absl::UnimplementedError("MemoryEnv");
  }
  absl::Status CreateDir(const std::string&) override { return absl::OkStatus(); }
  absl::Status RemoveDir(const std::string&) override { return absl::OkStatus(); }
  absl::Status SyncDir(const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<uint64_t> GetFreeSpace(const std::string&) override { return uint64_t{1} << 40; }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string&) override {
    return absl::UnimplementedError("MemoryEnv");
  }
  int64_t NowNanos() override { return 0; }
  int64_t MonotonicNanos() override { return 0; }

 private:
  class File final : public edgetsdb::WritableFile {
   public:
    explicit File(std::string* data) : data_(data) {}
    absl::Status Append(std::string_view data) override {
      data_->append(data);
      return absl::OkStatus();
    }
    absl::Status Sync() override { return absl::OkStatus(); }
    absl::Status Close() override { return absl::OkStatus(); }
    uint64_t Size() const override { return data_->size(); }

   private:
    std::string* data_;
  };
};

std::string Str(std::string_view s) {
  std::string out;
  c::PutVarint64(&out, s.size());
  out.append(s);
  return out;
}

// Mode 2: a valid block from input-chosen groups, read back, then damaged at one byte.
void WrittenBlock(Bytes& in) {
  constexpr int64_t kStart = 1'700'000'000'000'000'000;
  const edgetsdb::BlockMeta meta{kStart, kStart + 7'200'000'000'000, uint64_t{in.Next()} % 4};
  const auto codec = static_cast<c::BlockCompression>(in.Next() % 3);
  MemoryEnv env;
  absl::StatusOr<std::unique_ptr<edgetsdb::BlockWriter>> writer =
      edgetsdb::BlockWriter::Create(&env, "/b", meta, codec);
  Check(writer.ok());

  struct Written {
    std::string key;
    std::vector<std::string> chunks;  // In block order: timestamps, then fields by key.
  };
  std::vector<Written> written;
  const size_t group_count = 1 + in.Next() % 6;
  std::string last_key;
  for (size_t g = 0; g < group_count; ++g) {
    const uint8_t shape = in.Next();
    std::string key = Str(shape & 1 ? "cpu" : "env");
    const int tags = (shape >> 1) % 3;
    c::PutVarint64(&key, tags);
    for (int t = 0; t < tags; ++t) {
      key += Str(t == 0 ? "host" : "site");
      key += Str(absl::StrCat("v", in.Next() % 5));
    }
    if (!written.empty() && !(last_key < key)) continue;
    std::vector<std::string> ts_chunks;
    std::vector<edgetsdb::FieldChunks> fields = {{"f", edgetsdb::FieldType::kFloat, {}},
                                                 {"s", edgetsdb::FieldType::kString, {}}};
    int64_t t = kStart + int64_t{in.Next()} * 1'000'000'000;
    const size_t chunk_count = 1 + in.Next() % 3;
    for (size_t k = 0; k < chunk_count; ++k) {
      const size_t n = 1 + in.Next() % 40;
      std::vector<int64_t> ts, own_ts;
      std::vector<double> values;
      std::vector<std::string> strings;
      for (size_t i = 0; i < n; ++i) {
        t += 1 + int64_t{in.Next()} * 100'000'000;
        ts.push_back(t);
        values.push_back(static_cast<double>(in.Next()) / 4);
        if (in.Next() % 2) {
          own_ts.push_back(t);
          strings.push_back(std::string(1 + i % 3, static_cast<char>('a' + i % 26)));
        }
      }
      std::string chunk;
      Check(edgetsdb::EncodeTimestampChunk(ts, &chunk).ok());
      ts_chunks.push_back(chunk);
      chunk.clear();
      Check(c::EncodeChunk(ts, absl::MakeConstSpan(values), {.store_timestamps = false}, &chunk)
                .ok());
      fields[0].chunks.push_back(chunk);
      if (!own_ts.empty()) {
        chunk.clear();
        Check(c::EncodeChunk(own_ts, absl::MakeConstSpan(strings), {}, &chunk).ok());
        fields[1].chunks.push_back(chunk);
      }
    }
    if (fields[1].chunks.empty()) fields.pop_back();
    Check((*writer)->AddGroup(key, ts_chunks, fields).ok());
    Written w{key, ts_chunks};
    for (const auto& f : fields) w.chunks.insert(w.chunks.end(), f.chunks.begin(), f.chunks.end());
    written.push_back(std::move(w));
    last_key = key;
  }
  absl::StatusOr<std::string> name = (*writer)->Finish();
  Check(name.ok());
  const std::string file = env.files.at(absl::StrCat("/b/", *name));

  // Intact: reads back exactly.
  {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::OpenFromBytes(file, *name);
    Check(reader.ok());
    Check((*reader)->group_count() == written.size());
    for (uint32_t g = 0; g < written.size(); ++g) {
      const BlockGroup group = (*reader)->group(g);
      Check(group.series_key == written[g].key);
      std::vector<ChunkRef> refs = group.timestamp_chunks;
      for (const auto& f : group.fields) refs.insert(refs.end(), f.chunks.begin(), f.chunks.end());
      Check(refs.size() == written[g].chunks.size());
      for (size_t i = 0; i < refs.size(); ++i) {
        absl::StatusOr<std::string> bytes = (*reader)->ReadChunk(refs[i]);
        Check(bytes.ok() && *bytes == written[g].chunks[i]);
      }
    }
    absl::StatusOr<edgetsdb::BlockCheck> check = edgetsdb::VerifyBlock(**reader);
    Check(check.ok() && check->ok());
  }

  // Damaged at one byte.
  const size_t pos = in.Next16() % file.size();
  const uint8_t flip = static_cast<uint8_t>(in.Next() | 1);
  const bool reseal = in.Next() % 2;
  std::string damaged = file;
  damaged[pos] = static_cast<char>(damaged[pos] ^ flip);
  const uint64_t index_offset = c::DecodeFixed64(file.data() + file.size() - block::kFooterSize);
  const bool in_data = pos >= block::kHeaderSize && pos < index_offset;
  if (reseal) Reseal(damaged);
  absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::OpenFromBytes(damaged, *name);
  if (in_data) Check(reader.ok());
  if (!in_data && !reseal) Check(absl::IsDataLoss(reader.status()));
  if (reader.ok()) Exercise(**reader);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(edgetsdb::fuzz::AsBytes(data, size));
  switch (in.Next() % 3) {
    case 0:
      OpenAndExercise(std::string(in.Rest()));
      break;
    case 1:
      SealedIndex(in);
      break;
    case 2:
      WrittenBlock(in);
      break;
  }
  return 0;
}
