// Storage layout (docs/format/storage.md): database names escape to one safe, reversible directory
// name each, and nothing else unescapes; database.meta round-trips, and every kind of damage is
// DataLoss while a newer version is FailedPrecondition; the file is replaced atomically.
#include "db/storage_layout.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/file_damage.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::testing::CrashMode;
using ::edgetsdb::testing::DirCrashMode;
using ::edgetsdb::testing::FaultInjectionEnv;
using ::edgetsdb::testing::FileDamage;
using ::testing::HasSubstr;

bool IsSafePathByte(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_' || ch == '-' || ch == '%';
}

// Database names ------------------------------------------------------------------------------

TEST(DatabaseNameTest, EveryByteValueRoundTripsThroughASafeDirectoryName) {
  for (int byte = 0; byte < 256; ++byte) {
    const std::string name = {'a', static_cast<char>(byte), 'z'};
    const std::string dir = EscapeDatabaseName(name);
    for (char ch : dir) EXPECT_TRUE(IsSafePathByte(ch)) << "byte " << byte << ": " << dir;
    EXPECT_EQ(UnescapeDatabaseName(dir), name) << "byte " << byte;
  }
}

TEST(DatabaseNameTest, OnlyBytesOutsideTheSafeSetAreEscapedInUpperCaseHex) {
  EXPECT_EQ(EscapeDatabaseName("Edge_db-01"), "Edge_db-01");
  EXPECT_EQ(EscapeDatabaseName("a.b/c d"), "a%2Eb%2Fc%20d");
  EXPECT_EQ(EscapeDatabaseName("%"), "%25");
  EXPECT_EQ(EscapeDatabaseName(".."), "%2E%2E");
  EXPECT_EQ(EscapeDatabaseName(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(EscapeDatabaseName("\xc3\xa9t\xc3\xa9"), "%C3%A9t%C3%A9");  // UTF-8 "été"
}

TEST(DatabaseNameTest, TheLongestNameStaysAValidFileName) {
  const std::string name(kMaxDatabaseNameBytes, '.');
  const std::string dir = EscapeDatabaseName(name);
  EXPECT_LE(dir.size(), 255u);  // NAME_MAX
  EXPECT_EQ(UnescapeDatabaseName(dir), name);
}

TEST(DatabaseNameTest, NamesEscapingCannotHaveProducedDoNotUnescape) {
  const std::vector<std::string> refused = {
      "",                                           // an empty name
      "%41",                                        // 'A' is written plainly
      "%2d",                                        // lower-case hex is never written
      "%2e",                                        // ...
      "%",                                          // truncated escapes
      "%2",                                         // ...
      "ab%4",                                       // ...
      "%G0",                                        // not hex
      "a.b",                                        // unsafe bytes written raw
      "a b",                                        // ...
      "x.tmp",                                      // a stray temporary file
      std::string(kMaxDatabaseNameBytes + 1, 'a'),  // over the limit
      absl::StrCat(std::string(kMaxDatabaseNameBytes, 'a'), "%2E"),
  };
  for (const std::string& dir : refused) {
    EXPECT_EQ(UnescapeDatabaseName(dir), std::nullopt) << "\"" << dir << "\"";
  }
  EXPECT_EQ(UnescapeDatabaseName(std::string(kMaxDatabaseNameBytes, 'a')),
            std::string(kMaxDatabaseNameBytes, 'a'));
}

TEST(DatabaseNameTest, LengthIsCheckedInBytes) {
  EXPECT_TRUE(absl::IsInvalidArgument(CheckDatabaseName("")));
  EXPECT_TRUE(CheckDatabaseName("a").ok());
  EXPECT_TRUE(CheckDatabaseName(std::string(kMaxDatabaseNameBytes, 'a')).ok());
  EXPECT_TRUE(
      absl::IsInvalidArgument(CheckDatabaseName(std::string(kMaxDatabaseNameBytes + 1, 'a'))));
}

TEST(DatabaseNameTest, DirectoriesNestUnderTheDataDirectory) {
  EXPECT_EQ(DatabasesDir("/data"), "/data/db");
  EXPECT_EQ(DatabaseDir("/data", "a/b"), "/data/db/a%2Fb");
  EXPECT_EQ(BlocksDir("/data/db/x"), "/data/db/x/blocks");
  EXPECT_EQ(QuarantineDir("/data/db/x"), "/data/db/x/quarantine");
}

// database.meta -------------------------------------------------------------------------------

DatabaseMeta SampleMeta() {
  DatabaseMeta meta;
  meta.name = "plant/1 é";
  meta.retention_ns = int64_t{30} * 24 * 3600 * 1'000'000'000;
  meta.replay_from_segment = 123456789;
  return meta;
}

// database.meta bytes with a chosen version and a valid CRC.
std::string MetaWithVersion(uint8_t version) {
  std::string bytes = EncodeDatabaseMeta(SampleMeta());
  bytes.resize(bytes.size() - 4);
  bytes[4] = static_cast<char>(version);
  compression::PutFixed32(&bytes, compression::crc32c::Value(bytes));
  return bytes;
}

TEST(DatabaseMetaTest, RoundTrips) {
  for (const DatabaseMeta& meta :
       {SampleMeta(), DatabaseMeta{"a", 0, 0},
        DatabaseMeta{std::string(kMaxDatabaseNameBytes, '\xff'), INT64_MAX, UINT64_MAX}}) {
    absl::StatusOr<DatabaseMeta> decoded = DecodeDatabaseMeta(EncodeDatabaseMeta(meta));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, meta);
  }
}

TEST(DatabaseMetaTest, EveryBitFlipIsDataLoss) {
  const std::string bytes = EncodeDatabaseMeta(SampleMeta());
  for (uint64_t offset = 0; offset < bytes.size(); ++offset) {
    for (int bit = 0; bit < 8; ++bit) {
      const FileDamage damage = FileDamage::FlipBit(offset, bit);
      absl::StatusOr<DatabaseMeta> decoded = DecodeDatabaseMeta(damage.Apply(bytes));
      EXPECT_TRUE(absl::IsDataLoss(decoded.status()))
          << damage.Describe() << ": " << decoded.status();
    }
  }
}

TEST(DatabaseMetaTest, EveryTruncationIsDataLoss) {
  const std::string bytes = EncodeDatabaseMeta(SampleMeta());
  for (uint64_t size = 0; size < bytes.size(); ++size) {
    const FileDamage damage = FileDamage::Truncate(size);
    absl::StatusOr<DatabaseMeta> decoded = DecodeDatabaseMeta(damage.Apply(bytes));
    EXPECT_TRUE(absl::IsDataLoss(decoded.status()))
        << damage.Describe() << ": " << decoded.status();
  }
}

TEST(DatabaseMetaTest, TrailingBytesAreDataLossEvenUnderAValidChecksum) {
  std::string bytes = EncodeDatabaseMeta(SampleMeta());
  bytes.resize(bytes.size() - 4);
  bytes.push_back('\0');
  compression::PutFixed32(&bytes, compression::crc32c::Value(bytes));
  EXPECT_TRUE(absl::IsDataLoss(DecodeDatabaseMeta(bytes).status()));
}

TEST(DatabaseMetaTest, BadNamesAndNegativeRetentionAreDataLossEvenUnderAValidChecksum) {
  for (const DatabaseMeta& meta :
       {DatabaseMeta{"", 0, 0}, DatabaseMeta{std::string(kMaxDatabaseNameBytes + 1, 'a'), 0, 0},
        DatabaseMeta{"a", -1, 0}}) {
    absl::StatusOr<DatabaseMeta> decoded = DecodeDatabaseMeta(EncodeDatabaseMeta(meta));
    EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << decoded.status();
  }
}

TEST(DatabaseMetaTest, ANewerVersionIsFailedPreconditionNotDamage) {
  ASSERT_TRUE(DecodeDatabaseMeta(MetaWithVersion(1)).ok());
  for (uint8_t version : {uint8_t{2}, uint8_t{255}}) {
    absl::StatusOr<DatabaseMeta> decoded = DecodeDatabaseMeta(MetaWithVersion(version));
    EXPECT_TRUE(absl::IsFailedPrecondition(decoded.status())) << decoded.status();
    EXPECT_THAT(decoded.status().message(), HasSubstr("newer"));
  }
}

class DatabaseMetaFileTest : public ::testing::Test {
 protected:
  static constexpr char kDir[] = "/data/db/edge";
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/data").ok());
    ASSERT_TRUE(env_.CreateDir("/data/db").ok());
    ASSERT_TRUE(env_.CreateDir(kDir).ok());
    for (const char* dir : {"/", "/data", "/data/db", kDir}) ASSERT_TRUE(env_.SyncDir(dir).ok());
  }
  static std::string MetaPath() { return absl::StrCat(kDir, "/", kDatabaseMetaName); }

  FaultInjectionEnv env_;
};

TEST_F(DatabaseMetaFileTest, WrittenMetaReadsBackAndSurvivesACrash) {
  ASSERT_TRUE(WriteDatabaseMeta(&env_, kDir, SampleMeta()).ok());
  env_.SimulateCrash(CrashMode::kGarbleUnsynced);
  absl::StatusOr<DatabaseMeta> read = ReadDatabaseMeta(&env_, kDir);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, SampleMeta());
}

TEST_F(DatabaseMetaFileTest, AMissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ReadDatabaseMeta(&env_, kDir).status()));
}

TEST_F(DatabaseMetaFileTest, AFailedReplacementLeavesTheOldMetaWhole) {
  ASSERT_TRUE(WriteDatabaseMeta(&env_, kDir, SampleMeta()).ok());
  DatabaseMeta newer = SampleMeta();
  newer.replay_from_segment += 1;
  env_.FailNextSyncs(1);
  EXPECT_FALSE(WriteDatabaseMeta(&env_, kDir, newer).ok());
  env_.SimulateCrash(CrashMode::kGarbleUnsynced);
  absl::StatusOr<DatabaseMeta> read = ReadDatabaseMeta(&env_, kDir);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, SampleMeta());
}

TEST(DatabaseMetaCrashTest, ACrashAtAnySyncPointOfAReplacementLeavesTheOldOrTheNewMeta) {
  DatabaseMeta newer = SampleMeta();
  newer.retention_ns = 0;
  for (DirCrashMode dir_mode : {DirCrashMode::kRevertUnsynced, DirCrashMode::kKeepAll}) {
    for (uint64_t crash_at = 1;; ++crash_at) {
      SCOPED_TRACE(absl::StrCat("crash at sync point ", crash_at, " of the replacement"));
      FaultInjectionEnv env(crash_at);
      ASSERT_TRUE(env.CreateDir("/d").ok());
      ASSERT_TRUE(env.SyncDir("/").ok());
      ASSERT_TRUE(WriteDatabaseMeta(&env, "/d", SampleMeta()).ok());
      const uint64_t base = env.sync_points();
      bool crashed = false;
      env.SetSyncPointCallback([&](uint64_t point) {
        if (point != base + crash_at) return;
        crashed = true;
        env.SimulateCrash(CrashMode::kGarbleUnsynced, dir_mode);
      });
      const absl::Status written = WriteDatabaseMeta(&env, "/d", newer);
      env.SetSyncPointCallback(nullptr);
      if (!crashed) {  // Past the last sync point: the replacement completed.
        EXPECT_TRUE(written.ok()) << written;
        EXPECT_GE(crash_at, 3u) << "the file and its directory must both be synced";
        break;
      }
      EXPECT_FALSE(written.ok());
      absl::StatusOr<DatabaseMeta> read = ReadDatabaseMeta(&env, "/d");
      ASSERT_TRUE(read.ok()) << read.status();
      EXPECT_TRUE(*read == SampleMeta() || *read == newer);
    }
  }
}

TEST_F(DatabaseMetaFileTest, DamageOnDiskIsDataLossNamingTheFile) {
  const std::string bytes = EncodeDatabaseMeta(SampleMeta());
  ASSERT_TRUE(env_.SetFileContents(MetaPath(), FileDamage::FlipBit(6, 3).Apply(bytes)).ok());
  const absl::Status status = ReadDatabaseMeta(&env_, kDir).status();
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(MetaPath()));
}

}  // namespace
}  // namespace edgetsdb
