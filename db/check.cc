#include "db/check.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "db/block/block_reader.h"
#include "db/block/block_writer.h"
#include "db/storage_layout.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_reader.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb {
namespace {

constexpr std::string_view kTemporarySuffix = ".tmp";
constexpr std::string_view kBlockSuffix = ".blk";

// The payload rules of the record types the engine writes (docs/format/wal.md, "type"): empty when
// the payload is well formed, else why not. A CRC that matches a malformed payload means a bug in
// the writer or a collision, and replay would stop at it, so the check looks.
std::string CheckWalPayload(uint8_t type, std::string_view payload) {
  compression::ByteReader reader(payload);
  std::string_view database;
  std::string decompressed;
  if (type == wal::kCompressedWriteBatchType) {
    absl::StatusOr<std::string> raw = wal::DecompressWriteBatchPayload(payload);
    if (!raw.ok()) return std::string(raw.status().message());
    decompressed = *std::move(raw);
    reader = compression::ByteReader(decompressed);
    type = wal::kWriteBatchType;
  }
  switch (type) {
    case wal::kWriteBatchType: {
      if (!reader.ReadLengthPrefixed(&database)) return "write batch record: no database name";
      WriteBatch batch;
      if (absl::Status s = batch.SetRep(reader.Rest()); !s.ok()) {
        return absl::StrCat("write batch record: ", s.message());
      }
      return "";
    }
    case wal::kCatalogType: {
      uint8_t op = 0;
      uint64_t retention = 0;
      if (!reader.ReadByte(&op) || op < 1 || op > 3 || !reader.ReadLengthPrefixed(&database) ||
          !reader.ReadVarint64(&retention) || reader.remaining() != 0) {
        return "malformed catalog record";
      }
      return "";
    }
    default:
      // Other types are the engine's to judge (required ones stop a replay); their CRC matched.
      return "";
  }
}

// "measurement,tag=value,...": which device's data a damaged chunk held.
std::string SeriesName(const BlockReader& reader, uint32_t group) {
  std::string name(reader.measurement(group));
  for (const TagView& tag : reader.tags(group)) {
    name.append(",").append(tag.key).append("=").append(tag.value);
  }
  return name;
}

// Sorted, so that the report reads in file order. NotFound (a directory that does not exist) is
// an empty listing.
absl::StatusOr<std::vector<std::string>> ListDir(Env* env, const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = env->GetChildren(dir);
  if (absl::IsNotFound(names.status())) return std::vector<std::string>();
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  return names;
}

class Checker {
 public:
  Checker(Env* env, const std::string& data_dir) : env_(env) { result_.data_dir = data_dir; }

  absl::Status CheckWal() {
    absl::StatusOr<std::vector<std::string>> names = ListDir(env_, Path(kWalDirName));
    if (!names.ok()) return names.status();
    std::vector<uint64_t> numbers;
    for (const std::string& name : *names) {
      if (std::optional<uint64_t> number = wal::ParseSegmentFileName(name)) {
        numbers.push_back(*number);
      }
    }
    std::sort(numbers.begin(), numbers.end());
    for (size_t i = 0; i < numbers.size(); ++i) {
      if (i > 0 && numbers[i] != numbers[i - 1] + 1) {
        const uint64_t first_missing = numbers[i - 1] + 1;
        CheckedFile gap = NewFile(WalPath(first_missing), CheckedFileKind::kWalSegment);
        AddProblem(gap, CheckedFileState::kDamaged, 0,
                   absl::StrCat("segments ", first_missing, " to ", numbers[i] - 1, " missing"));
        result_.files.push_back(std::move(gap));
      }
      CheckSegment(numbers[i], /*highest=*/i + 1 == numbers.size());
    }
    return absl::OkStatus();
  }

  absl::Status CheckDatabases() {
    const std::string databases_dir = DatabasesDir(result_.data_dir);
    absl::StatusOr<std::vector<std::string>> dirs = ListDir(env_, databases_dir);
    if (!dirs.ok()) return dirs.status();
    for (const std::string& dir_name : *dirs) {
      // Anything else under db/ is not a database directory the engine made or would read.
      if (!UnescapeDatabaseName(dir_name).has_value()) continue;
      const std::string relative_dir = absl::StrCat(kDatabasesDirName, "/", dir_name);
      CheckDatabaseMeta(relative_dir, dir_name);
      if (absl::Status s = CheckBlocks(absl::StrCat(relative_dir, "/", kBlocksDirName)); !s.ok()) {
        return s;
      }
      if (absl::Status s = ListQuarantine(absl::StrCat(relative_dir, "/", kQuarantineDirName));
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  DataDirCheck Release() { return std::move(result_); }

 private:
  std::string Path(std::string_view relative) const {
    return absl::StrCat(result_.data_dir, "/", std::string(relative));
  }
  static std::string WalPath(uint64_t number) {
    return absl::StrCat(kWalDirName, "/", wal::SegmentFileName(number));
  }

  static CheckedFile NewFile(std::string path, CheckedFileKind kind) {
    CheckedFile file;
    file.path = std::move(path);
    file.kind = kind;
    return file;
  }

  // A file with several problems takes the worst state: damage outranks a torn tail.
  static void AddProblem(CheckedFile& file, CheckedFileState state, std::optional<uint64_t> offset,
                         std::string reason) {
    if (file.state == CheckedFileState::kOk || state == CheckedFileState::kDamaged) {
      file.state = state;
    }
    file.problems.push_back({offset, std::move(reason)});
    ++file.problem_count;
  }

  // Files that vanish between listing and reading were removed by a running engine (an obsolete
  // segment, a compacted block): not part of the directory any more, so left out.
  void RecordReadError(const absl::Status& status, CheckedFile& file) {
    if (absl::IsNotFound(status)) return;
    const CheckedFileState state = absl::IsFailedPrecondition(status)
                                       ? CheckedFileState::kUnsupported
                                   : absl::IsDataLoss(status) ? CheckedFileState::kDamaged
                                                              : CheckedFileState::kUnreadable;
    AddProblem(file, state, std::nullopt, std::string(status.message()));
    result_.files.push_back(std::move(file));
  }

  void CheckSegment(uint64_t number, bool highest) {
    CheckedFile file = NewFile(WalPath(number), CheckedFileKind::kWalSegment);
    // Whole-file read, as replay does: the size comes from the file system, not a length field.
    absl::StatusOr<std::string> contents = env_->ReadFileToString(Path(file.path));
    if (!contents.ok()) {
      RecordReadError(contents.status(), file);
      return;
    }
    file.bytes = contents->size();
    ++result_.wal_segments;
    std::optional<FileProblem> bad_payload;
    absl::StatusOr<SegmentParse> parse = ParseSegment(
        *contents, number, [&](uint8_t type, std::string_view payload, const WalPosition& at) {
          if (!bad_payload.has_value()) {
            if (std::string why = CheckWalPayload(type, payload); !why.empty()) {
              bad_payload = FileProblem{at.offset, std::move(why)};
            }
          }
          return absl::OkStatus();
        });
    if (!parse.ok()) {
      RecordReadError(parse.status(), file);
      return;
    }
    result_.wal_records += parse->records;
    if (bad_payload.has_value()) {
      AddProblem(file, CheckedFileState::kDamaged, bad_payload->offset,
                 std::move(bad_payload->reason));
    }
    if (!parse->clean(file.bytes)) {
      const uint64_t invalid_bytes = file.bytes - parse->valid_end;
      // The rule ReplayWal applies (docs/format/wal.md, "torn tail and damage").
      const bool torn_tail =
          highest && !parse->valid_record_follows && !parse->wrong_segment_number;
      AddProblem(file, torn_tail ? CheckedFileState::kTornTail : CheckedFileState::kDamaged,
                 parse->valid_end,
                 absl::StrCat(parse->invalid_reason, " (", invalid_bytes, " bytes to the end)"));
    }
    result_.files.push_back(std::move(file));
  }

  void CheckDatabaseMeta(const std::string& relative_dir, const std::string& dir_name) {
    CheckedFile file =
        NewFile(absl::StrCat(relative_dir, "/", kDatabaseMetaName), CheckedFileKind::kDatabaseMeta);
    absl::StatusOr<uint64_t> size = env_->GetFileSize(Path(file.path));
    // A crash between creating the directory and writing its metadata leaves none: an empty
    // database with default settings, not damage (docs/format/storage.md, "Create").
    if (absl::IsNotFound(size.status())) return;
    if (size.ok()) file.bytes = *size;
    ++result_.database_metas;
    absl::StatusOr<DatabaseMeta> meta = ReadDatabaseMeta(env_, Path(relative_dir));
    if (!meta.ok()) {
      RecordReadError(meta.status(), file);
      return;
    }
    if (EscapeDatabaseName(meta->name) != dir_name) {
      AddProblem(file, CheckedFileState::kDamaged, std::nullopt,
                 absl::StrCat("names database \"", meta->name, "\", which does not belong in ",
                              relative_dir));
    }
    result_.files.push_back(std::move(file));
  }

  absl::Status CheckBlocks(const std::string& relative_dir) {
    absl::StatusOr<std::vector<std::string>> names = ListDir(env_, Path(relative_dir));
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      CheckedFile file = NewFile(absl::StrCat(relative_dir, "/", name), CheckedFileKind::kBlock);
      if (name.ends_with(kTemporarySuffix)) {
        ListUnread(std::move(file), CheckedFileState::kTemporary);
      } else if (name.ends_with(kBlockSuffix)) {
        CheckBlock(std::move(file));
      }
    }
    return absl::OkStatus();
  }

  void CheckBlock(CheckedFile file) {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::Open(env_, Path(file.path));
    if (absl::IsNotFound(reader.status())) return;
    ++result_.blocks;
    if (!reader.ok()) {
      // Open reads the header, footer and index: damage there makes the whole block unreadable.
      if (absl::StatusOr<uint64_t> size = env_->GetFileSize(Path(file.path)); size.ok()) {
        file.bytes = *size;
      }
      RecordReadError(reader.status(), file);
      return;
    }
    file.bytes = (*reader)->file_size();
    absl::StatusOr<BlockCheck> check = VerifyBlock(**reader);
    if (!check.ok()) {
      RecordReadError(check.status(), file);
      return;
    }
    result_.block_chunks += check->chunks;
    for (const BlockCheck::Damage& damage : check->damage) {
      AddProblem(file, CheckedFileState::kDamaged, damage.frame_offset,
                 absl::StrCat(SeriesName(**reader, damage.group),
                              damage.field.empty() ? " timestamps" : " field " + damage.field,
                              " chunk ", damage.chunk, ": ", damage.status.message()));
    }
    file.problem_count = check->damaged_chunks;
    result_.files.push_back(std::move(file));
  }

  absl::Status ListQuarantine(const std::string& relative_dir) {
    absl::StatusOr<std::vector<std::string>> names = ListDir(env_, Path(relative_dir));
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      ListUnread(NewFile(absl::StrCat(relative_dir, "/", name), CheckedFileKind::kBlock),
                 CheckedFileState::kQuarantined);
    }
    return absl::OkStatus();
  }

  void ListUnread(CheckedFile file, CheckedFileState state) {
    absl::StatusOr<uint64_t> size = env_->GetFileSize(Path(file.path));
    if (absl::IsNotFound(size.status())) return;
    if (size.ok()) file.bytes = *size;
    file.state = state;
    result_.files.push_back(std::move(file));
  }

  Env* const env_;
  DataDirCheck result_;
};

}  // namespace

std::string_view CheckedFileStateName(CheckedFileState state) {
  switch (state) {
    case CheckedFileState::kOk:
      return "ok";
    case CheckedFileState::kTornTail:
      return "torn tail";
    case CheckedFileState::kDamaged:
      return "damaged";
    case CheckedFileState::kUnsupported:
      return "unsupported";
    case CheckedFileState::kUnreadable:
      return "unreadable";
    case CheckedFileState::kQuarantined:
      return "quarantined";
    case CheckedFileState::kTemporary:
      return "temporary";
  }
  return "unknown";
}

size_t DataDirCheck::Count(CheckedFileState state) const {
  return std::count_if(files.begin(), files.end(),
                       [state](const CheckedFile& file) { return file.state == state; });
}

bool DataDirCheck::ok() const {
  return Count(CheckedFileState::kDamaged) == 0 && Count(CheckedFileState::kUnsupported) == 0 &&
         Count(CheckedFileState::kUnreadable) == 0;
}

absl::StatusOr<DataDirCheck> CheckDataDir(Env* env, const std::string& data_dir) {
  if (!env->FileExists(data_dir)) {
    return absl::NotFoundError(absl::StrCat("no data directory at ", data_dir));
  }
  Checker checker(env, data_dir);
  if (absl::Status s = checker.CheckWal(); !s.ok()) return s;
  if (absl::Status s = checker.CheckDatabases(); !s.ok()) return s;
  return checker.Release();
}

}  // namespace edgetsdb
