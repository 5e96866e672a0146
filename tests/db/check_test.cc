// CheckDataDir (db/check.h) on a data directory built by hand on FaultInjectionEnv: three WAL
// segments, a database.meta and a block. Each damage case spoils one file and expects exactly that
// file reported, with the state, offset and reason; torn tails, quarantined and temporary files
// are listed but are not damage; and the check never changes a byte.
#include "db/check.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "compression/block_compression.h"
#include "compression/chunk.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "db/block/block_writer.h"
#include "db/storage_layout.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_writer.h"
#include "edgetsdb/write_batch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::testing::FaultInjectionEnv;
using ::testing::HasSubstr;

constexpr char kDataDir[] = "/data";
constexpr char kDatabase[] = "default";
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kStart = 1'700'006'400 * kSecond;  // On a 2 h partition boundary.
constexpr BlockMeta kBlockMeta{kStart, kStart + 7200 * kSecond, 1};
constexpr int kSegments = 3;
constexpr int kRecordsPerSegment = 3;
constexpr int kBlockPoints = 10;

std::string Path(std::string_view relative) {
  return absl::StrCat(kDataDir, "/", std::string(relative));
}

std::string SegmentPath(uint64_t number) {
  return absl::StrCat(kWalDirName, "/", wal::SegmentFileName(number));
}

WriteBatch Reading(int64_t t, double temperature) {
  WriteBatch batch;
  const TagView tags[] = {{"device", "d1"}};
  const FieldView fields[] = {{"temp", temperature}};
  EXPECT_TRUE(batch.Add("env", tags, fields, t).ok());
  return batch;
}

// A write batch record's payload, as the engine logs it (docs/format/wal.md): str database | rep.
std::string WriteBatchPayload(const WriteBatch& batch) {
  std::string payload;
  compression::PutVarint64(&payload, sizeof kDatabase - 1);
  payload.append(kDatabase);
  payload.append(batch.rep());
  return payload;
}

// A record with a matching CRC, built by hand (the writer would write the same bytes).
std::string EncodeRecord(uint8_t type, std::string_view payload) {
  std::string checked(1, static_cast<char>(type));
  checked.append(payload);
  std::string record;
  compression::PutFixed32(&record, compression::crc32c::Value(checked));
  compression::PutFixed32(&record, static_cast<uint32_t>(payload.size()));
  record.append(checked);
  return record;
}

// Public, so that the table of damage cases can use it.
class CheckDataDirTest : public ::testing::Test {
 public:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir(kDataDir).ok());
    WriteWal();
    const std::string database_dir = DatabaseDir(kDataDir, kDatabase);
    ASSERT_TRUE(env_.CreateDir(DatabasesDir(kDataDir)).ok());
    ASSERT_TRUE(env_.CreateDir(database_dir).ok());
    ASSERT_TRUE(WriteDatabaseMeta(&env_, database_dir, {.name = kDatabase}).ok());
    WriteBlock(BlocksDir(database_dir));
  }

  // Segments 1 to 3 with three write batch records each; positions_[segment][i] is where record i
  // starts.
  void WriteWal() {
    absl::StatusOr<std::unique_ptr<WalWriter>> wal = WalWriter::Open(&env_, Path(kWalDirName));
    ASSERT_TRUE(wal.ok()) << wal.status();
    for (int segment = 1; segment <= kSegments; ++segment) {
      if (segment > 1) {
        ASSERT_TRUE((*wal)->Roll().ok());
      }
      for (int i = 0; i < kRecordsPerSegment; ++i) {
        const WriteBatch batch = Reading(kStart + (segment * 10 + i) * kSecond, 20.5 + i);
        absl::StatusOr<WalPosition> at =
            (*wal)->AddRecord(wal::kWriteBatchType, WriteBatchPayload(batch));
        ASSERT_TRUE(at.ok()) << at.status();
        ASSERT_EQ(at->segment, static_cast<uint64_t>(segment));
        positions_[segment].push_back(at->offset);
      }
    }
    ASSERT_TRUE((*wal)->Close().ok());
  }

  // One device, one float field sharing the timestamp chunk: two chunks in one frame.
  void WriteBlock(const std::string& blocks_dir) {
    ASSERT_TRUE(env_.CreateDir(blocks_dir).ok());
    std::vector<int64_t> timestamps;
    std::vector<double> temperatures;
    for (int i = 0; i < kBlockPoints; ++i) {
      timestamps.push_back(kStart + i * 10 * kSecond);
      temperatures.push_back(21.0 + i / 10.0);
    }
    std::string timestamp_chunk;
    ASSERT_TRUE(EncodeTimestampChunk(timestamps, &timestamp_chunk).ok());
    FieldChunks temperature{"temp", FieldType::kFloat, {""}};
    ASSERT_TRUE(compression::EncodeChunk(timestamps, absl::MakeConstSpan(temperatures),
                                         {.store_timestamps = false}, &temperature.chunks[0])
                    .ok());
    const WriteBatch batch = Reading(kStart, 0);
    WriteBatch::Reader reader(batch);
    ASSERT_TRUE(reader.Next());

    absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
        BlockWriter::Create(&env_, blocks_dir, kBlockMeta, compression::BlockCompression::kNone);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE((*writer)->AddGroup(reader.series_key(), {timestamp_chunk}, {temperature}).ok());
    absl::StatusOr<std::string> name = (*writer)->Finish();
    ASSERT_TRUE(name.ok()) << name.status();
    block_path_ = absl::StrCat(kDatabasesDirName, "/", kDatabase, "/", kBlocksDirName, "/", *name);
  }

  static std::string MetaPath() {
    return absl::StrCat(kDatabasesDirName, "/", kDatabase, "/", kDatabaseMetaName);
  }

  std::string Read(std::string_view relative) {
    absl::StatusOr<std::string> contents = env_.ReadFileToString(Path(relative));
    EXPECT_TRUE(contents.ok()) << contents.status();
    return contents.ok() ? *contents : "";
  }
  void Write(std::string_view relative, std::string_view contents) {
    ASSERT_TRUE(env_.SetFileContents(Path(relative), contents).ok());
  }
  void FlipByte(std::string_view relative, uint64_t offset) {
    std::string contents = Read(relative);
    ASSERT_LT(offset, contents.size());
    contents[offset] ^= 0x20;
    Write(relative, contents);
  }

  // Every file of the data directory and its contents, to show that the check changes nothing.
  std::map<std::string, std::string> Snapshot() {
    std::map<std::string, std::string> files;
    std::function<void(const std::string&)> walk = [&](const std::string& dir) {
      absl::StatusOr<std::vector<std::string>> children = env_.GetChildren(dir);
      ASSERT_TRUE(children.ok()) << children.status();
      for (const std::string& name : *children) {
        const std::string path = absl::StrCat(dir, "/", name);
        absl::StatusOr<std::string> contents = env_.ReadFileToString(path);
        if (contents.ok()) {
          files[path] = *contents;
        } else {
          files[path + "/"] = "";
          walk(path);
        }
      }
    };
    walk(kDataDir);
    return files;
  }

  DataDirCheck Check() {
    absl::StatusOr<DataDirCheck> check = CheckDataDir(&env_, kDataDir);
    EXPECT_TRUE(check.ok()) << check.status();
    return check.ok() ? *std::move(check) : DataDirCheck();
  }

  FaultInjectionEnv env_;
  std::map<int, std::vector<uint64_t>> positions_;
  std::string block_path_;
};

const CheckedFile* Find(const DataDirCheck& check, std::string_view path) {
  for (const CheckedFile& file : check.files) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

// The paths and states of the files not ok.
std::map<std::string, CheckedFileState> NotOk(const DataDirCheck& check) {
  std::map<std::string, CheckedFileState> files;
  for (const CheckedFile& file : check.files) {
    if (file.state != CheckedFileState::kOk) files[file.path] = file.state;
  }
  return files;
}

TEST_F(CheckDataDirTest, CleanDataDirectoryHasNoProblemsAndListsEveryFile) {
  const DataDirCheck check = Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.data_dir, kDataDir);
  std::vector<std::string> paths;
  for (const CheckedFile& file : check.files) {
    paths.push_back(file.path);
    EXPECT_EQ(file.state, CheckedFileState::kOk) << file.path;
    EXPECT_TRUE(file.problems.empty()) << file.path;
    EXPECT_EQ(file.bytes, *env_.GetFileSize(Path(file.path))) << file.path;
  }
  EXPECT_EQ(paths, (std::vector<std::string>{SegmentPath(1), SegmentPath(2), SegmentPath(3),
                                             MetaPath(), block_path_}));
  EXPECT_EQ(check.wal_segments, 3u);
  EXPECT_EQ(check.wal_records, 9u);
  EXPECT_EQ(check.database_metas, 1u);
  EXPECT_EQ(check.blocks, 1u);
  EXPECT_EQ(check.block_chunks, 2u);
}

TEST_F(CheckDataDirTest, MissingDataDirectoryIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(CheckDataDir(&env_, "/elsewhere").status()));
}

TEST_F(CheckDataDirTest, EmptyDataDirectoryIsClean) {
  ASSERT_TRUE(env_.CreateDir("/empty").ok());
  absl::StatusOr<DataDirCheck> check = CheckDataDir(&env_, "/empty");
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->ok());
  EXPECT_TRUE(check->files.empty());
}

struct DamageCase {
  struct Expected {
    std::string path;
    CheckedFileState state = CheckedFileState::kDamaged;
    std::optional<uint64_t> offset;
    std::string reason;  // A part of the first problem's reason.
  };
  std::string name;
  // Damages the data directory; returns what the check must report.
  std::function<Expected(CheckDataDirTest&)> damage;
};

using Expected = DamageCase::Expected;

// A byte inside the payload of a record.
uint64_t PayloadByte(CheckDataDirTest& t, int segment, int record) {
  return t.positions_[segment][record] + wal::kRecordHeaderSize + 1;
}

const DamageCase kDamageCases[] = {
    {"RecordOfAnOlderSegment",
     [](CheckDataDirTest& t) {
       t.FlipByte(SegmentPath(1), PayloadByte(t, 1, 1));
       return Expected{SegmentPath(1), CheckedFileState::kDamaged, t.positions_[1][1],
                       "checksum mismatch"};
     }},
    {"HeaderOfAnOlderSegment",
     [](CheckDataDirTest& t) {
       t.FlipByte(SegmentPath(2), 0);
       return Expected{SegmentPath(2), CheckedFileState::kDamaged, 0, "bad magic"};
     }},
    {"RecordFollowedByGoodOnesInTheHighestSegment",
     [](CheckDataDirTest& t) {
       t.FlipByte(SegmentPath(3), PayloadByte(t, 3, 0));
       return Expected{SegmentPath(3), CheckedFileState::kDamaged, t.positions_[3][0],
                       "checksum mismatch"};
     }},
    {"MissingSegment",
     [](CheckDataDirTest& t) {
       EXPECT_TRUE(t.env_.RemoveFile(Path(SegmentPath(2))).ok());
       return Expected{SegmentPath(2), CheckedFileState::kDamaged, 0, "segments 2 to 2 missing"};
     }},
    {"SegmentWithAnotherSegmentsHeader",
     [](CheckDataDirTest& t) {
       t.Write(SegmentPath(2), t.Read(SegmentPath(1)));
       return Expected{SegmentPath(2), CheckedFileState::kDamaged, 0, "header names segment 1"};
     }},
    {"RecordWithAGoodChecksumAndAMalformedBatch",
     [](CheckDataDirTest& t) {
       const std::string segment = t.Read(SegmentPath(1));
       const std::string bad = EncodeRecord(wal::kWriteBatchType,
                                            "\x07"
                                            "defaultgarbage");
       // In place of record 1, with record 2 after it.
       std::string damaged = segment.substr(0, t.positions_[1][1]) + bad;
       t.Write(SegmentPath(1), damaged + segment.substr(t.positions_[1][2]));
       return Expected{SegmentPath(1), CheckedFileState::kDamaged, t.positions_[1][1],
                       "write batch record"};
     }},
    {"RecordWithAGoodChecksumAndAMalformedCatalogChange",
     [](CheckDataDirTest& t) {
       const uint64_t end = t.Read(SegmentPath(3)).size();
       t.Write(SegmentPath(3),
               t.Read(SegmentPath(3)) + EncodeRecord(wal::kCatalogType, std::string("\x09", 1)));
       return Expected{SegmentPath(3), CheckedFileState::kDamaged, end, "catalog record"};
     }},
    {"DatabaseMetaChecksum",
     [](CheckDataDirTest& t) {
       t.FlipByte(t.MetaPath(), 6);
       return Expected{t.MetaPath(), CheckedFileState::kDamaged, std::nullopt, "bad CRC"};
     }},
    {"DatabaseMetaOfAnotherDatabase",
     [](CheckDataDirTest& t) {
       EXPECT_TRUE(
           WriteDatabaseMeta(&t.env_, DatabaseDir(kDataDir, kDatabase), {.name = "other"}).ok());
       return Expected{t.MetaPath(), CheckedFileState::kDamaged, std::nullopt,
                       "names database \"other\""};
     }},
    {"BlockChunk",
     [](CheckDataDirTest& t) {
       // Frames start after the 8-byte header; the first holds both chunks, uncompressed.
       t.FlipByte(t.block_path_, block::kHeaderSize + 20);
       return Expected{t.block_path_, CheckedFileState::kDamaged, block::kHeaderSize,
                       "env,device=d1"};
     }},
    {"BlockFooter",
     [](CheckDataDirTest& t) {
       const uint64_t size = t.Read(t.block_path_).size();
       t.FlipByte(t.block_path_, size - block::kFooterSize);
       return Expected{t.block_path_, CheckedFileState::kDamaged, std::nullopt, "block"};
     }},
    {"NewerSegmentVersion",
     [](CheckDataDirTest& t) {
       std::string segment = t.Read(SegmentPath(2));
       segment[4] = 2;  // The version, with a header CRC to match: written so on purpose.
       std::string header = segment.substr(0, 16);
       compression::PutFixed32(&header, compression::crc32c::Value(header));
       t.Write(SegmentPath(2), header + segment.substr(wal::kSegmentHeaderSize));
       return Expected{SegmentPath(2), CheckedFileState::kUnsupported, std::nullopt, "version 2"};
     }},
};

class CheckDamageTest : public CheckDataDirTest,
                        public ::testing::WithParamInterface<DamageCase> {};

INSTANTIATE_TEST_SUITE_P(Cases, CheckDamageTest, ::testing::ValuesIn(kDamageCases),
                         [](const auto& info) { return info.param.name; });

TEST_P(CheckDamageTest, OnlyTheDamagedFileIsReportedWithOffsetAndReason) {
  const Expected expected = GetParam().damage(*this);
  ASSERT_FALSE(HasFatalFailure());
  const DataDirCheck check = Check();
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(NotOk(check),
            (std::map<std::string, CheckedFileState>{{expected.path, expected.state}}));
  const CheckedFile* file = Find(check, expected.path);
  ASSERT_NE(file, nullptr);
  ASSERT_FALSE(file->problems.empty());
  EXPECT_EQ(file->problem_count, file->problems.size());
  EXPECT_EQ(file->problems[0].offset, expected.offset);
  EXPECT_THAT(file->problems[0].reason, HasSubstr(expected.reason));
}

TEST_F(CheckDataDirTest, TornTailOfTheHighestSegmentIsReportedButIsNotDamage) {
  const std::string segment = Read(SegmentPath(3));
  const uint64_t cut = positions_[3][2] + wal::kRecordHeaderSize + 2;  // In the last record.
  Write(SegmentPath(3), segment.substr(0, cut));
  const DataDirCheck check = Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(
      NotOk(check),
      (std::map<std::string, CheckedFileState>{{SegmentPath(3), CheckedFileState::kTornTail}}));
  const CheckedFile* file = Find(check, SegmentPath(3));
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->problems.size(), 1u);
  EXPECT_EQ(file->problems[0].offset, positions_[3][2]);
  EXPECT_THAT(file->problems[0].reason, HasSubstr("cut short"));
  EXPECT_EQ(check.wal_records, 8u);
}

TEST_F(CheckDataDirTest, SameBytesInAnOlderSegmentAreDamage) {
  const std::string segment = Read(SegmentPath(2));
  Write(SegmentPath(2), segment.substr(0, positions_[2][2] + wal::kRecordHeaderSize + 2));
  EXPECT_EQ(
      NotOk(Check()),
      (std::map<std::string, CheckedFileState>{{SegmentPath(2), CheckedFileState::kDamaged}}));
}

TEST_F(CheckDataDirTest, MissingDatabaseMetaIsNotDamage) {
  // What a crash between creating a database's directory and writing its metadata leaves.
  ASSERT_TRUE(env_.RemoveFile(Path(MetaPath())).ok());
  const DataDirCheck check = Check();
  EXPECT_TRUE(check.ok());
  EXPECT_TRUE(NotOk(check).empty());
  EXPECT_EQ(Find(check, MetaPath()), nullptr);
  EXPECT_EQ(check.database_metas, 0u);
}

TEST_F(CheckDataDirTest, QuarantinedAndTemporaryFilesAreListedNotRead) {
  const std::string database_dir = DatabaseDir(kDataDir, kDatabase);
  ASSERT_TRUE(env_.CreateDir(QuarantineDir(database_dir)).ok());
  const std::string quarantined =
      absl::StrCat(kDatabasesDirName, "/", kDatabase, "/", kQuarantineDirName, "/old.blk");
  const std::string temporary = block_path_ + ".tmp";
  Write(quarantined, "garbage");
  Write(temporary, "half a block");
  const DataDirCheck check = Check();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(NotOk(check),
            (std::map<std::string, CheckedFileState>{{quarantined, CheckedFileState::kQuarantined},
                                                     {temporary, CheckedFileState::kTemporary}}));
  EXPECT_EQ(Find(check, quarantined)->bytes, 7u);
  EXPECT_EQ(check.blocks, 1u);
}

TEST_F(CheckDataDirTest, CheckChangesNothing) {
  // A torn tail that an open would truncate, and damage that it would report.
  const std::string segment = Read(SegmentPath(3));
  Write(SegmentPath(3), segment.substr(0, segment.size() - 3));
  FlipByte(block_path_, block::kHeaderSize + 20);
  const std::map<std::string, std::string> before = Snapshot();
  const uint64_t sync_points = env_.sync_points();
  EXPECT_FALSE(Check().ok());
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(env_.sync_points(), sync_points);
}

}  // namespace
}  // namespace edgetsdb
