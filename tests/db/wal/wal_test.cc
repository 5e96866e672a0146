// The write-ahead log (docs/format/wal.md): round trips, the torn-tail rule, damage reports,
// sticky failures, crashes at every sync point, and a full disk. All on FaultInjectionEnv.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_reader.h"
#include "db/wal/wal_writer.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::testing::CrashMode;
using ::edgetsdb::testing::DirCrashMode;
using ::edgetsdb::testing::FaultInjectionEnv;

constexpr char kDir[] = "/db/wal";

std::string SegmentPath(uint64_t number) {
  return absl::StrCat(kDir, "/", wal::SegmentFileName(number));
}

// Record i's payload: distinct, deterministic, `size` bytes (at least 8).
std::string Payload(int i, size_t size) {
  std::string p;
  compression::PutFixed64(&p, static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15u);
  for (size_t k = p.size(); k < size; ++k) p.push_back(static_cast<char>('a' + (i + k) % 26));
  return p.substr(0, std::max<size_t>(size, 8));
}
// Varied sizes, so that records straddle sector and segment boundaries unevenly.
std::string VariedPayload(int i) { return Payload(i, 8 + (i * 37) % 90); }

struct Replayed {
  std::vector<std::string> payloads;
  std::vector<uint8_t> types;
  std::vector<WalPosition> positions;
  WalReplayStats stats;
};

Replayed Replay(Env* env, const WalReplayOptions& options = {}) {
  Replayed r;
  absl::StatusOr<WalReplayStats> stats = ReplayWal(
      env, kDir,
      [&](uint8_t type, std::string_view payload, const WalPosition& position) {
        r.payloads.emplace_back(payload);
        r.types.push_back(type);
        r.positions.push_back(position);
        return absl::OkStatus();
      },
      options);
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (stats.ok()) r.stats = *std::move(stats);
  return r;
}

std::unique_ptr<WalWriter> OpenWriter(Env* env, uint64_t segment_size = wal::kDefaultSegmentSize) {
  absl::StatusOr<std::unique_ptr<WalWriter>> writer =
      WalWriter::Open(env, kDir, WalOptions{.segment_size = segment_size});
  EXPECT_TRUE(writer.ok()) << writer.status();
  return writer.ok() ? *std::move(writer) : nullptr;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/db").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
  }

  // Writes payloads through one writer, syncing at the end; returns their positions.
  std::vector<WalPosition> WriteAll(const std::vector<std::string>& payloads,
                                    uint64_t segment_size) {
    std::unique_ptr<WalWriter> writer = OpenWriter(&env_, segment_size);
    std::vector<WalPosition> positions;
    if (writer == nullptr) return positions;
    for (const std::string& p : payloads) {
      absl::StatusOr<WalPosition> pos = writer->AddRecord(wal::kWriteBatchType, p);
      EXPECT_TRUE(pos.ok()) << pos.status();
      if (pos.ok()) positions.push_back(*pos);
    }
    EXPECT_TRUE(writer->Close().ok());
    return positions;
  }

  FaultInjectionEnv env_{/*seed=*/1};
};

// ------------------------------------------------------------------------------------------------
// Writing and reading back

TEST_F(WalTest, EmptyDirectoryStartsAtSegmentOne) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->current_segment(), 1u);
  EXPECT_EQ(*env_.GetFileSize(SegmentPath(1)), wal::kSegmentHeaderSize);
  EXPECT_EQ(writer->TotalBytes(), wal::kSegmentHeaderSize);
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.stats.records, 0u);
  EXPECT_EQ(r.stats.segments, 1u);
  EXPECT_EQ(r.stats.torn_tail_bytes, 0u);
  EXPECT_TRUE(r.stats.damage.empty());
}

TEST_F(WalTest, OpenCreatesTheDirectoryDurably) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  ASSERT_NE(writer, nullptr);
  writer.reset();
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_TRUE(env_.FileExists(SegmentPath(1)));
}

TEST_F(WalTest, RecordsRoundTripAcrossSegmentRolls) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 200; ++i) payloads.push_back(VariedPayload(i));
  payloads.push_back("");  // Empty payloads are records too.
  const std::vector<WalPosition> positions = WriteAll(payloads, /*segment_size=*/512);
  ASSERT_EQ(positions.size(), payloads.size());
  EXPECT_GT(positions.back().segment, 10u) << "the test should span many segments";

  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.payloads, payloads);
  EXPECT_EQ(r.positions, positions);
  EXPECT_EQ(r.stats.records, payloads.size());
  EXPECT_EQ(r.stats.segments, positions.back().segment);
  EXPECT_EQ(r.stats.torn_tail_bytes, 0u);
  EXPECT_TRUE(r.stats.damage.empty());
  for (uint64_t s = 1; s <= positions.back().segment; ++s) {
    EXPECT_LE(*env_.GetFileSize(SegmentPath(s)), 512u) << "segment " << s;
  }
}

TEST_F(WalTest, TypesArePassedThrough) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "a").ok());
  ASSERT_TRUE(writer->AddRecord(2, "b").ok());
  ASSERT_TRUE(writer->AddRecord(255, "c").ok());
  ASSERT_TRUE(writer->Sync().ok());
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.types, (std::vector<uint8_t>{1, 2, 255}));
}

TEST_F(WalTest, PositionsAreSegmentAndOffset) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  absl::StatusOr<WalPosition> first = writer->AddRecord(wal::kWriteBatchType, "abc");
  absl::StatusOr<WalPosition> second = writer->AddRecord(wal::kWriteBatchType, "de");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, (WalPosition{1, wal::kSegmentHeaderSize}));
  EXPECT_EQ(*second, (WalPosition{1, wal::kSegmentHeaderSize + wal::kRecordHeaderSize + 3}));
  EXPECT_LT(*first, *second);
}

TEST_F(WalTest, ReopenStartsANewSegmentAfterTheHighest) {
  WriteAll({"a", "b"}, wal::kDefaultSegmentSize);
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  EXPECT_EQ(writer->current_segment(), 2u);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "c").ok());
  ASSERT_TRUE(writer->Sync().ok());
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.stats.segments, 2u);
}

TEST_F(WalTest, RecordLargerThanASegmentGoesAloneInItsOwnSegment) {
  const std::string big(5000, 'x');
  const std::vector<WalPosition> positions = WriteAll({"small", big, "after"}, 256);
  ASSERT_EQ(positions.size(), 3u);
  EXPECT_EQ(positions[0].segment, 1u);
  EXPECT_EQ(positions[1], (WalPosition{2, wal::kSegmentHeaderSize}));
  EXPECT_EQ(positions[2].segment, 3u);
  EXPECT_EQ(Replay(&env_).payloads, (std::vector<std::string>{"small", big, "after"}));
}

TEST_F(WalTest, RollStartsTheNextSegmentAndMakesRecordsDurable) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "a").ok());
  ASSERT_TRUE(writer->Roll().ok());
  EXPECT_EQ(writer->current_segment(), 2u);
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_EQ(Replay(&env_).payloads, std::vector<std::string>{"a"});
}

TEST_F(WalTest, InvalidRecordsAreRefusedWithoutFailingTheWriter) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  EXPECT_EQ(writer->AddRecord(wal::kZeroType, "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string too_big(wal::kMaxPayloadSize + 1, 'x');
  EXPECT_EQ(writer->AddRecord(wal::kWriteBatchType, too_big).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(writer->status().ok());
  EXPECT_TRUE(writer->AddRecord(wal::kWriteBatchType, "fine").ok());
}

TEST_F(WalTest, SegmentSizeBelowTheMinimumIsInvalid) {
  EXPECT_EQ(WalWriter::Open(&env_, kDir, WalOptions{.segment_size = 10}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(WalTest, SyncWithNothingNewDoesNotTouchTheDisk) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "a").ok());
  ASSERT_TRUE(writer->Sync().ok());
  const uint64_t points = env_.sync_points();
  ASSERT_TRUE(writer->Sync().ok());
  EXPECT_EQ(env_.sync_points(), points);
}

TEST_F(WalTest, TotalBytesCountsEveryLiveSegment) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 50; ++i) payloads.push_back(VariedPayload(i));
  WriteAll(payloads, 300);
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_, 300);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "unsynced").ok());
  uint64_t on_disk = 0;
  const absl::StatusOr<std::vector<std::string>> names = env_.GetChildren(kDir);
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    on_disk += *env_.GetFileSize(absl::StrCat(kDir, "/", name));
  }
  EXPECT_EQ(writer->TotalBytes(), on_disk);
}

TEST_F(WalTest, RemoveSegmentsBeforeKeepsTheRestReplayable) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 40; ++i) payloads.push_back(Payload(i, 41));     // 50-byte records.
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_, 20 + 4 * 50);  // 4 records a segment.
  for (const std::string& p : payloads) ASSERT_TRUE(writer->AddRecord(1, p).ok());
  ASSERT_TRUE(writer->Sync().ok());
  ASSERT_EQ(writer->current_segment(), 10u);
  const uint64_t before = writer->TotalBytes();

  ASSERT_TRUE(writer->RemoveSegmentsBefore(4).ok());
  EXPECT_FALSE(env_.FileExists(SegmentPath(3)));
  EXPECT_TRUE(env_.FileExists(SegmentPath(4)));
  EXPECT_EQ(writer->TotalBytes(), before - 3 * (20 + 4 * 50));
  // Never the current segment, whatever the argument.
  ASSERT_TRUE(writer->RemoveSegmentsBefore(100).ok());
  EXPECT_TRUE(env_.FileExists(SegmentPath(10)));
  EXPECT_EQ(writer->TotalBytes(), 20u + 4 * 50);

  env_.SimulateCrash(CrashMode::kDropUnsynced);
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.payloads, std::vector<std::string>(payloads.end() - 4, payloads.end()));
  EXPECT_TRUE(r.stats.damage.empty());
}

TEST_F(WalTest, CrashDuringRemovalNeverLeavesAGap) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 24; ++i) payloads.push_back(Payload(i, 41));
  for (const DirCrashMode dir_mode : {DirCrashMode::kRevertUnsynced, DirCrashMode::kKeepAll}) {
    for (uint64_t crash_at = 1; crash_at <= 6; ++crash_at) {
      FaultInjectionEnv env(crash_at);
      ASSERT_TRUE(env.CreateDir("/db").ok());
      ASSERT_TRUE(env.SyncDir("/").ok());
      std::unique_ptr<WalWriter> writer = OpenWriter(&env, 20 + 4 * 50);
      for (const std::string& p : payloads) ASSERT_TRUE(writer->AddRecord(1, p).ok());
      ASSERT_TRUE(writer->Sync().ok());
      const uint64_t base = env.sync_points();
      env.SetSyncPointCallback([&](uint64_t point) {
        if (point == base + crash_at) env.SimulateCrash(CrashMode::kDropUnsynced, dir_mode);
      });
      (void)writer->RemoveSegmentsBefore(6);
      env.SetSyncPointCallback(nullptr);
      writer.reset();
      const Replayed r = Replay(&env);
      EXPECT_TRUE(r.stats.damage.empty()) << "crash at removal sync " << crash_at;
      ASSERT_LE(r.payloads.size(), payloads.size());
      EXPECT_EQ(r.payloads,
                std::vector<std::string>(payloads.end() - r.payloads.size(), payloads.end()));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Corruption, table-driven. The log: 3 segments of 32 records of 512 bytes (9-byte header and a
// 503-byte payload), so record k is in segment k / 32 + 1 at offset 20 + 512 * (k % 32), and a
// 4 KiB sector s of a segment covers in-segment records 8s - 1 to 8s + 7 (whole or in part).

constexpr int kRecordsPerSegment = 32;
constexpr int kRecords = 3 * kRecordsPerSegment;
constexpr uint64_t kRecordSize = 512;
constexpr uint64_t kSegmentSize = wal::kSegmentHeaderSize + kRecordsPerSegment * kRecordSize;

uint64_t SegmentOf(int k) { return static_cast<uint64_t>(k / kRecordsPerSegment + 1); }
uint64_t OffsetOf(int k) {
  return wal::kSegmentHeaderSize + kRecordSize * static_cast<uint64_t>(k % kRecordsPerSegment);
}

// Inclusive ranges of record numbers.
std::vector<int> Records(std::initializer_list<std::pair<int, int>> ranges) {
  std::vector<int> out;
  for (auto [first, last] : ranges) {
    for (int k = first; k <= last; ++k) out.push_back(k);
  }
  return out;
}

// Damage helpers: each rewrites a segment durably, as a disk would hand it back.
void Mutate(FaultInjectionEnv& env, uint64_t segment,
            const std::function<void(std::string&)>& change) {
  std::string data = *env.ReadFileToString(SegmentPath(segment));
  change(data);
  ASSERT_TRUE(env.SetFileContents(SegmentPath(segment), data).ok());
}
std::function<void(FaultInjectionEnv&)> FlipBit(uint64_t segment, uint64_t offset, int bit = 0) {
  return [=](FaultInjectionEnv& env) {
    Mutate(env, segment, [&](std::string& d) { d[offset] ^= static_cast<char>(1 << bit); });
  };
}
std::function<void(FaultInjectionEnv&)> ZeroBytes(uint64_t segment, uint64_t offset, uint64_t n) {
  return [=](FaultInjectionEnv& env) {
    Mutate(env, segment, [&](std::string& d) { d.replace(offset, n, std::string(n, '\0')); });
  };
}
std::function<void(FaultInjectionEnv&)> AppendBytes(uint64_t segment, std::string bytes) {
  return [=](FaultInjectionEnv& env) { Mutate(env, segment, [&](std::string& d) { d += bytes; }); };
}
std::function<void(FaultInjectionEnv&)> TruncateTo(uint64_t segment, uint64_t size) {
  return [=](FaultInjectionEnv& env) {
    Mutate(env, segment, [&](std::string& d) { d.resize(size); });
  };
}
std::string RandomBytes(size_t n, uint32_t seed) {
  std::string out;
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525 + 1013904223;
    out.push_back(static_cast<char>(x >> 24));
  }
  return out;
}
// A complete, valid record (as the writer would encode it).
std::string EncodedRecord(std::string_view payload) {
  std::string r;
  const char type = static_cast<char>(wal::kWriteBatchType);
  compression::PutFixed32(&r, compression::crc32c::Extend(compression::crc32c::Value(&type, 1),
                                                          payload.data(), payload.size()));
  compression::PutFixed32(&r, static_cast<uint32_t>(payload.size()));
  r.push_back(type);
  r.append(payload);
  return r;
}

struct ExpectedDamage {
  uint64_t segment;
  uint64_t offset;
  uint64_t bytes_skipped;
};

struct CorruptionCase {
  std::string name;
  std::function<void(FaultInjectionEnv&)> damage;
  std::vector<int> survivors;
  uint64_t torn_tail_bytes;
  std::vector<ExpectedDamage> reports;
};

// gtest names a failing row by this.
void PrintTo(const CorruptionCase& c, std::ostream* os) { *os << c.name; }

std::vector<CorruptionCase> CorruptionCases() {
  const uint64_t last = 3;
  const std::string garbage = RandomBytes(100, 7);
  return {
      {"Intact", [](FaultInjectionEnv&) {}, Records({{0, 95}}), 0, {}},
      // Damage in a segment that is not the highest: the rest of that segment is lost, the next
      // segments are not.
      {"PayloadBitFlipInAMiddleSegment",
       FlipBit(2, OffsetOf(40) + 100),
       Records({{0, 39}, {64, 95}}),
       0,
       {{2, OffsetOf(40), kSegmentSize - OffsetOf(40)}}},
      {"LengthBitFlipInAMiddleSegment",
       FlipBit(2, OffsetOf(40) + 4, 3),
       Records({{0, 39}, {64, 95}}),
       0,
       {{2, OffsetOf(40), kSegmentSize - OffsetOf(40)}}},
      {"TypeZeroedInAMiddleSegment",
       ZeroBytes(2, OffsetOf(40) + 8, 1),
       Records({{0, 39}, {64, 95}}),
       0,
       {{2, OffsetOf(40), kSegmentSize - OffsetOf(40)}}},
      {"ChecksumBitFlipInTheLastRecordOfAMiddleSegment",
       FlipBit(1, OffsetOf(31), 7),
       Records({{0, 30}, {32, 95}}),
       0,
       {{1, OffsetOf(31), kRecordSize}}},
      {"ZeroedSectorInAMiddleSegment",
       ZeroBytes(2, 4096, 4096),
       Records({{0, 38}, {64, 95}}),
       0,
       {{2, OffsetOf(39), kSegmentSize - OffsetOf(39)}}},
      {"MiddleSegmentCutShort",
       TruncateTo(2, OffsetOf(50) + 100),
       Records({{0, 49}, {64, 95}}),
       0,
       {{2, OffsetOf(50), 100}}},
      {"GarbageAppendedToAMiddleSegment",
       AppendBytes(2, garbage),
       Records({{0, 95}}),
       0,
       {{2, kSegmentSize, 100}}},
      {"MiddleSegmentHeaderDamaged",
       FlipBit(2, 9),
       Records({{0, 31}, {64, 95}}),
       0,
       {{2, 0, kSegmentSize}}},
      {"MiddleSegmentMissing",
       [](FaultInjectionEnv& env) {
         ASSERT_TRUE(env.RemoveFile(SegmentPath(2)).ok());
         ASSERT_TRUE(env.SyncDir(kDir).ok());
       },
       Records({{0, 31}, {64, 95}}),
       0,
       {{2, 0, 0}}},
      {"SegmentRenamedOutOfPlace",
       [](FaultInjectionEnv& env) {
         ASSERT_TRUE(env.RenameFile(SegmentPath(3), SegmentPath(4)).ok());
         ASSERT_TRUE(env.SyncDir(kDir).ok());
       },
       // Segment 3 is missing, and segment 4's header names segment 3.
       Records({{0, 63}}),
       0,
       {{3, 0, 0}, {4, 0, kSegmentSize}}},
      // Damage in the highest segment followed by a valid record: damage, not a torn tail.
      {"DamagedRecordFollowedByGoodOnesInTheLastSegment",
       FlipBit(last, OffsetOf(70) + 300),
       Records({{0, 69}}),
       0,
       {{last, OffsetOf(70), kSegmentSize - OffsetOf(70)}}},
      {"ZeroedSectorInTheMiddleOfTheLastSegment",
       ZeroBytes(last, 4096, 4096),
       Records({{0, 64 + 6}}),
       0,
       {{last, OffsetOf(64 + 7), kSegmentSize - OffsetOf(64 + 7)}}},
      {"LastSegmentHeaderDamagedButRecordsIntact",
       FlipBit(last, 0),
       Records({{0, 63}}),
       0,
       {{last, 0, kSegmentSize}}},
      {"GarbageThenAValidRecordAtTheEndOfTheLastSegment",
       AppendBytes(last, garbage + EncodedRecord("stale")),
       Records({{0, 95}}),
       0,
       {{last, kSegmentSize, 100 + wal::kRecordHeaderSize + 5}}},
      // Invalid bytes at the very end of the highest segment: a torn tail.
      {"BitFlipInTheLastRecordOfTheLastSegment",
       FlipBit(last, OffsetOf(95) + 200),
       Records({{0, 94}}),
       kRecordSize,
       {}},
      {"LengthOfTheLastRecordPointsPastTheEnd",
       FlipBit(last, OffsetOf(95) + 4 + 2, 0),
       Records({{0, 94}}),
       kRecordSize,
       {}},
      {"ZeroedLastSectorOfTheLastSegment",
       ZeroBytes(last, kSegmentSize - 4096, 4096),
       Records({{0, 64 + 23}}),
       kSegmentSize - OffsetOf(64 + 24),
       {}},
      {"GarbageAppendedToTheLastSegment", AppendBytes(last, garbage), Records({{0, 95}}), 100, {}},
      {"ZerosAppendedToTheLastSegment",
       AppendBytes(last, std::string(3000, '\0')),
       Records({{0, 95}}),
       3000,
       {}},
      {"ErasedFlashAppendedToTheLastSegment",
       AppendBytes(last, std::string(3000, '\xff')),
       Records({{0, 95}}),
       3000,
       {}},
      {"LastRecordCutShort", TruncateTo(last, OffsetOf(95) + 5), Records({{0, 94}}), 5, {}},
      {"LastSegmentHeaderCutShort", TruncateTo(last, 11), Records({{0, 63}}), 11, {}},
      {"EmptyNewestSegment",
       [](FaultInjectionEnv& env) { ASSERT_TRUE(env.SetFileContents(SegmentPath(4), "").ok()); },
       Records({{0, 95}}),
       0,
       {}},
  };
}

class WalCorruptionTest : public ::testing::TestWithParam<CorruptionCase> {};

TEST_P(WalCorruptionTest, ReplaysTheExpectedRecordsAndClassifiesTheRest) {
  const CorruptionCase& c = GetParam();
  FaultInjectionEnv env(1);
  ASSERT_TRUE(env.CreateDir("/db").ok());
  ASSERT_TRUE(env.SyncDir("/").ok());
  std::vector<std::string> payloads;
  {
    std::unique_ptr<WalWriter> writer = OpenWriter(&env, kSegmentSize);
    for (int k = 0; k < kRecords; ++k) {
      payloads.push_back(Payload(k, kRecordSize - wal::kRecordHeaderSize));
      absl::StatusOr<WalPosition> pos = writer->AddRecord(wal::kWriteBatchType, payloads.back());
      ASSERT_TRUE(pos.ok());
      ASSERT_EQ(*pos, (WalPosition{SegmentOf(k), OffsetOf(k)})) << "the table assumes this layout";
    }
    ASSERT_TRUE(writer->Close().ok());
  }
  c.damage(env);

  const Replayed r = Replay(&env);
  std::vector<std::string> expected;
  for (int k : c.survivors) expected.push_back(payloads[k]);
  EXPECT_EQ(r.payloads.size(), expected.size());
  EXPECT_TRUE(r.payloads == expected) << "wrong records replayed";
  EXPECT_EQ(r.stats.torn_tail_bytes, c.torn_tail_bytes);
  ASSERT_EQ(r.stats.damage.size(), c.reports.size());
  for (size_t i = 0; i < c.reports.size(); ++i) {
    const WalDamage& got = r.stats.damage[i];
    EXPECT_EQ(got.segment_file, wal::SegmentFileName(c.reports[i].segment)) << got.reason;
    EXPECT_EQ(got.offset, c.reports[i].offset) << got.reason;
    EXPECT_EQ(got.bytes_skipped, c.reports[i].bytes_skipped) << got.reason;
    EXPECT_FALSE(got.reason.empty());
  }

  // The torn tail is gone for good; damage stays, and is reported again.
  const Replayed again = Replay(&env);
  EXPECT_TRUE(again.payloads == expected);
  EXPECT_EQ(again.stats.torn_tail_bytes, 0u);
  EXPECT_EQ(again.stats.damage.size(), c.reports.size());

  // A new writer continues the log after what survived.
  {
    std::unique_ptr<WalWriter> writer = OpenWriter(&env, kSegmentSize);
    ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "next").ok());
    ASSERT_TRUE(writer->Sync().ok());
  }
  env.SimulateCrash(CrashMode::kDropUnsynced);
  const Replayed after = Replay(&env);
  expected.push_back("next");
  EXPECT_TRUE(after.payloads == expected);
  EXPECT_EQ(after.stats.torn_tail_bytes, 0u);
  EXPECT_EQ(after.stats.damage.size(), c.reports.size());
}

INSTANTIATE_TEST_SUITE_P(Table, WalCorruptionTest, ::testing::ValuesIn(CorruptionCases()),
                         [](const ::testing::TestParamInfo<CorruptionCase>& info) {
                           return info.param.name;
                         });

// Exhaustive forms of two rows, on a small two-segment log of varied records.
class WalSmallLogTest : public WalTest {
 protected:
  void SetUp() override {
    WalTest::SetUp();
    for (int i = 0; i < 20; ++i) payloads_.push_back(VariedPayload(i));
    positions_ = WriteAll(payloads_, 700);
    ASSERT_EQ(positions_.back().segment, 2u) << "the test wants exactly two segments";
    first_in_last_ = 0;
    while (positions_[first_in_last_].segment != 2) ++first_in_last_;
    last_ = *env_.ReadFileToString(SegmentPath(2));
  }

  // End offset of record k.
  uint64_t EndOf(size_t k) const {
    return positions_[k].offset + wal::kRecordHeaderSize + payloads_[k].size();
  }

  std::vector<std::string> payloads_;
  std::vector<WalPosition> positions_;
  size_t first_in_last_ = 0;
  std::string last_;  // The last segment's bytes.
};

TEST_F(WalSmallLogTest, TruncationAtEveryLengthOfTheLastSegmentIsATornTail) {
  for (uint64_t len = 0; len < last_.size(); ++len) {
    ASSERT_TRUE(env_.SetFileContents(SegmentPath(2), last_.substr(0, len)).ok());
    // Survivors: every record that ends within len.
    size_t survivors = first_in_last_;
    while (survivors < payloads_.size() && EndOf(survivors) <= len) ++survivors;
    const uint64_t valid_end =
        len < wal::kSegmentHeaderSize
            ? 0
            : (survivors == first_in_last_ ? wal::kSegmentHeaderSize : EndOf(survivors - 1));
    const Replayed r = Replay(&env_);
    EXPECT_TRUE(r.payloads ==
                std::vector<std::string>(payloads_.begin(), payloads_.begin() + survivors))
        << "cut at " << len;
    EXPECT_EQ(r.stats.torn_tail_bytes, len - valid_end) << "cut at " << len;
    EXPECT_TRUE(r.stats.damage.empty()) << "cut at " << len << ": " << r.stats.damage[0].reason;
    if (len < wal::kSegmentHeaderSize) {
      EXPECT_FALSE(env_.FileExists(SegmentPath(2))) << "a torn header's segment is deleted";
    } else {
      EXPECT_EQ(*env_.GetFileSize(SegmentPath(2)), valid_end) << "cut at " << len;
    }
  }
}

TEST_F(WalSmallLogTest, BitFlipAnywhereInTheLastSegment) {
  // A flip in record j loses j and what follows in the segment. It is a torn tail when j is the
  // last record, damage otherwise; a flip in the header is damage (valid records follow).
  for (uint64_t offset = 0; offset < last_.size(); ++offset) {
    std::string damaged = last_;
    damaged[offset] ^= 0x10;
    ASSERT_TRUE(env_.SetFileContents(SegmentPath(2), damaged).ok());
    size_t hit = first_in_last_;  // The record holding `offset`, or first_in_last_ for the header.
    while (hit + 1 < payloads_.size() && positions_[hit + 1].offset <= offset) ++hit;
    const bool in_header = offset < wal::kSegmentHeaderSize;
    const size_t survivors = in_header ? first_in_last_ : hit;
    const bool torn = !in_header && hit + 1 == payloads_.size();

    const Replayed r = Replay(&env_);
    EXPECT_TRUE(r.payloads ==
                std::vector<std::string>(payloads_.begin(), payloads_.begin() + survivors))
        << "flip at " << offset;
    if (torn) {
      EXPECT_EQ(r.stats.torn_tail_bytes, last_.size() - positions_[hit].offset);
      EXPECT_TRUE(r.stats.damage.empty());
    } else {
      EXPECT_EQ(r.stats.torn_tail_bytes, 0u) << "flip at " << offset;
      ASSERT_EQ(r.stats.damage.size(), 1u) << "flip at " << offset;
      EXPECT_EQ(r.stats.damage[0].offset, in_header ? 0 : positions_[hit].offset);
    }
  }
}

TEST_F(WalSmallLogTest, ReadOnlyReplayLeavesTheTornTail) {
  ASSERT_TRUE(env_.SetFileContents(SegmentPath(2), last_.substr(0, last_.size() - 3)).ok());
  const Replayed r = Replay(&env_, WalReplayOptions{.repair_torn_tail = false});
  EXPECT_GT(r.stats.torn_tail_bytes, 0u);
  EXPECT_EQ(*env_.GetFileSize(SegmentPath(2)), last_.size() - 3);
}

// ------------------------------------------------------------------------------------------------
// Replay's own errors

TEST_F(WalTest, MissingDirectoryIsNotFound) {
  EXPECT_EQ(ReplayWal(&env_, kDir, nullptr).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(WalTest, CallbackErrorStopsReplayAndRepairsNothing) {
  WriteAll({"a", "b", "c"}, wal::kDefaultSegmentSize);
  AppendBytes(1, "torn")(env_);
  int seen = 0;
  absl::StatusOr<WalReplayStats> stats =
      ReplayWal(&env_, kDir, [&](uint8_t, std::string_view, const WalPosition&) {
        return ++seen == 2 ? absl::FailedPreconditionError("unknown record type")
                           : absl::OkStatus();
      });
  EXPECT_EQ(stats.status(), absl::FailedPreconditionError("unknown record type"));
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(Replay(&env_).stats.torn_tail_bytes, 4u) << "the tail was left for the next replay";
}

TEST_F(WalTest, NewerFormatVersionStopsReplayWithoutTouchingTheFile) {
  WriteAll({"a"}, wal::kDefaultSegmentSize);
  std::string header = wal::EncodeSegmentHeader(1);
  header[4] = 2;  // Version 2, with a matching checksum: written on purpose.
  header.resize(16);
  compression::PutFixed32(&header, compression::crc32c::Value(header));
  ASSERT_TRUE(env_.SetFileContents(SegmentPath(1), header + "v2 records").ok());
  const absl::Status s = ReplayWal(&env_, kDir, nullptr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(*env_.ReadFileToString(SegmentPath(1)), header + "v2 records");
}

TEST_F(WalTest, OtherFilesInTheDirectoryAreIgnored) {
  WriteAll({"a"}, wal::kDefaultSegmentSize);
  ASSERT_TRUE(env_.SetFileContents(absl::StrCat(kDir, "/00000002.wal.tmp"), "junk").ok());
  ASSERT_TRUE(env_.SetFileContents(absl::StrCat(kDir, "/2.wal"), "junk").ok());
  ASSERT_TRUE(env_.SetFileContents(absl::StrCat(kDir, "/LOCK"), "").ok());
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.payloads, std::vector<std::string>{"a"});
  EXPECT_TRUE(r.stats.damage.empty());
  EXPECT_EQ(OpenWriter(&env_)->current_segment(), 2u);
}

TEST(WalFormatTest, SegmentFileNames) {
  EXPECT_EQ(wal::SegmentFileName(1), "00000001.wal");
  EXPECT_EQ(wal::SegmentFileName(123456789), "123456789.wal");
  EXPECT_EQ(wal::ParseSegmentFileName("00000001.wal"), 1u);
  EXPECT_EQ(wal::ParseSegmentFileName("123456789.wal"), 123456789u);
  EXPECT_EQ(wal::ParseSegmentFileName("18446744073709551615.wal"), UINT64_MAX);
  for (const char* bad : {"1.wal", "000000001.wal", "00000000.wal", "0000000a.wal",
                          "00000001.wal.tmp", ".wal", "00000001.WAL", "18446744073709551616.wal"}) {
    EXPECT_FALSE(wal::ParseSegmentFileName(bad).has_value()) << bad;
  }
}

TEST(WalFormatTest, Crc32cIsTheStandardOne) {
  EXPECT_EQ(compression::crc32c::Value("123456789"), 0xe3069283u);  // docs/format/wal.md
}

// ------------------------------------------------------------------------------------------------
// Failures while writing

TEST_F(WalTest, FailedSyncIsStickyAndNeverRetried) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "acknowledged").ok());
  ASSERT_TRUE(writer->Sync().ok());
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "in doubt").ok());
  env_.FailNextSyncs(1);
  const absl::Status failed = writer->Sync();
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  const uint64_t points = env_.sync_points();

  EXPECT_EQ(writer->Sync(), failed);
  EXPECT_EQ(writer->AddRecord(wal::kWriteBatchType, "refused").status(), failed);
  EXPECT_EQ(writer->Roll(), failed);
  EXPECT_EQ(writer->RemoveSegmentsBefore(1), failed);
  EXPECT_EQ(writer->Close(), failed);
  EXPECT_EQ(writer->status(), failed);
  EXPECT_EQ(env_.sync_points(), points) << "a failed sync must not be retried";

  writer.reset();
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.payloads, std::vector<std::string>{"acknowledged"});
  EXPECT_TRUE(r.stats.damage.empty());
}

TEST_F(WalTest, FailureAtAnySyncOfARollIsSticky) {
  // A roll syncs the old segment, the new segment's header, then the directory.
  for (uint64_t fail_at = 1; fail_at <= 3; ++fail_at) {
    FaultInjectionEnv env(fail_at);
    ASSERT_TRUE(env.CreateDir("/db").ok());
    std::unique_ptr<WalWriter> writer = OpenWriter(&env, 64);
    ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "first").ok());
    const uint64_t base = env.sync_points();
    env.SetSyncPointCallback([&](uint64_t point) {
      if (point == base + fail_at) env.FailNextSyncs(1);  // Fails exactly this sync.
    });
    // Does not fit after "first": rolls.
    const absl::Status failed =
        writer->AddRecord(wal::kWriteBatchType, std::string(40, 'x')).status();
    EXPECT_EQ(failed.code(), absl::StatusCode::kInternal) << "failing sync " << fail_at;
    EXPECT_EQ(writer->Sync(), failed);
    EXPECT_EQ(writer->Roll(), failed);
    EXPECT_EQ(env.sync_points(), base + fail_at) << "nothing after the failed sync";
    env.SetSyncPointCallback(nullptr);
  }
}

TEST_F(WalTest, FailureWhileCreatingASegmentFailsOpen) {
  env_.FailNextSyncs(1);
  EXPECT_EQ(WalWriter::Open(&env_, kDir).status().code(), absl::StatusCode::kInternal);
}

TEST_F(WalTest, FullDiskOnAppendLeavesEarlierRecordsIntact) {
  std::unique_ptr<WalWriter> writer = OpenWriter(&env_);
  const std::string payload = Payload(0, 41);  // 50-byte records.
  env_.SetDiskCapacity(env_.UsedBytes() + 3 * 50 + 10);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, payload).ok());
    ASSERT_TRUE(writer->Sync().ok());
  }
  const absl::Status full = writer->AddRecord(wal::kWriteBatchType, payload).status();
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_EQ(writer->Sync().code(), absl::StatusCode::kResourceExhausted);
  writer.reset();

  env_.SimulateCrash(CrashMode::kKeepRandomPrefix);
  env_.SetDiskCapacity(std::nullopt);  // Space freed (by retention, say) before the restart.
  const Replayed r = Replay(&env_);
  EXPECT_EQ(r.payloads, std::vector<std::string>(3, payload));
  EXPECT_TRUE(r.stats.damage.empty());
  EXPECT_LE(r.stats.torn_tail_bytes, 10u);

  writer = OpenWriter(&env_);
  ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "after").ok());
  ASSERT_TRUE(writer->Sync().ok());
  EXPECT_EQ(Replay(&env_).payloads.size(), 4u);
}

// ------------------------------------------------------------------------------------------------
// Crashes

struct CrashParams {
  CrashMode mode;
  DirCrashMode dir_mode;
};

std::string CrashName(const CrashParams& params) {
  std::string name;
  switch (params.mode) {
    case CrashMode::kDropUnsynced:
      name = "DropUnsynced";
      break;
    case CrashMode::kKeepRandomPrefix:
      name = "KeepRandomPrefix";
      break;
    case CrashMode::kGarbleUnsynced:
      name = "GarbleUnsynced";
      break;
  }
  return name + (params.dir_mode == DirCrashMode::kKeepAll ? "KeepDirEntries" : "RevertDirEntries");
}
void PrintTo(const CrashParams& params, std::ostream* os) { *os << CrashName(params); }

class WalCrashTest : public ::testing::TestWithParam<CrashParams> {};

// Checks the crash contract on what a replay returns: every acknowledged record, then possibly
// some of the others in order, nothing else, and no damage.
void ExpectSyncedPrefix(const Replayed& r, const std::vector<std::string>& added,
                        size_t acknowledged, const std::string& context) {
  EXPECT_TRUE(r.stats.damage.empty()) << context << ": " << r.stats.damage[0].reason;
  ASSERT_GE(r.payloads.size(), acknowledged) << context << ": lost an acknowledged record";
  ASSERT_LE(r.payloads.size(), added.size()) << context;
  EXPECT_TRUE(std::equal(r.payloads.begin(), r.payloads.end(), added.begin()))
      << context << ": replay is not a prefix of what was added";
}

TEST_P(WalCrashTest, UnsyncedRecordsAreLostOrKeptAsAPrefixNeverGarbled) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FaultInjectionEnv env(seed);
    ASSERT_TRUE(env.CreateDir("/db").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    std::vector<std::string> added;
    {
      std::unique_ptr<WalWriter> writer = OpenWriter(&env, 1024);
      for (int i = 0; i < 10; ++i) {
        added.push_back(VariedPayload(i));
        ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, added.back()).ok());
      }
      ASSERT_TRUE(writer->Sync().ok());
      for (int i = 10; i < 16; ++i) {  // Stays within the same segment: no roll, no sync.
        added.push_back(VariedPayload(i));
        ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, added.back()).ok());
      }
    }
    env.SimulateCrash(GetParam().mode, GetParam().dir_mode);
    const Replayed r = Replay(&env);
    const std::string context = absl::StrCat("seed ", seed);
    ExpectSyncedPrefix(r, added, 10, context);
    if (GetParam().mode != CrashMode::kKeepRandomPrefix) {
      EXPECT_EQ(r.payloads.size(), 10u) << context;
    }
  }
}

TEST_P(WalCrashTest, CrashAtEverySyncPointKeepsEveryAcknowledgedRecord) {
  // A workload with group commits and segment rolls; the power fails at sync point k, for every
  // k. Then: replay, continue writing, crash again, replay.
  for (uint64_t crash_at = 1;; ++crash_at) {
    const std::string context = absl::StrCat("crash at sync point ", crash_at);
    FaultInjectionEnv env(crash_at);
    ASSERT_TRUE(env.CreateDir("/db").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    const uint64_t base = env.sync_points();
    bool crashed = false;
    env.SetSyncPointCallback([&](uint64_t point) {
      if (point != base + crash_at) return;
      env.SimulateCrash(GetParam().mode, GetParam().dir_mode);
      crashed = true;
    });
    std::vector<std::string> added;
    size_t acknowledged = 0;
    {
      absl::StatusOr<std::unique_ptr<WalWriter>> writer =
          WalWriter::Open(&env, kDir, WalOptions{.segment_size = 300});
      for (int i = 0; writer.ok() && i < 30; ++i) {
        added.push_back(VariedPayload(i));
        if (!(*writer)->AddRecord(wal::kWriteBatchType, added.back()).ok()) {
          added.pop_back();
          break;
        }
        if (i % 3 == 2) {
          if (!(*writer)->Sync().ok()) break;
          acknowledged = added.size();
        }
      }
    }
    env.SetSyncPointCallback(nullptr);
    if (!crashed) {
      ASSERT_GT(crash_at, 10u) << "the workload should have many sync points";
      ASSERT_EQ(acknowledged, 30u);
      break;
    }
    if (!env.FileExists(kDir)) {
      EXPECT_EQ(acknowledged, 0u) << context;
      continue;
    }
    const Replayed r = Replay(&env);
    ExpectSyncedPrefix(r, added, acknowledged, context);

    // Recovery leaves a log that a new writer extends cleanly, even across another crash.
    std::vector<std::string> expected = r.payloads;
    {
      std::unique_ptr<WalWriter> writer = OpenWriter(&env, 300);
      ASSERT_NE(writer, nullptr) << context;
      ASSERT_TRUE(writer->AddRecord(wal::kWriteBatchType, "after recovery").ok());
      ASSERT_TRUE(writer->Sync().ok());
      expected.push_back("after recovery");
    }
    env.SimulateCrash(GetParam().mode, GetParam().dir_mode);
    const Replayed again = Replay(&env);
    EXPECT_TRUE(again.payloads == expected) << context;
    EXPECT_TRUE(again.stats.damage.empty()) << context << ": " << again.stats.damage[0].reason;
    EXPECT_EQ(again.stats.torn_tail_bytes, 0u) << context;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, WalCrashTest,
    ::testing::Values(CrashParams{CrashMode::kDropUnsynced, DirCrashMode::kRevertUnsynced},
                      CrashParams{CrashMode::kKeepRandomPrefix, DirCrashMode::kRevertUnsynced},
                      CrashParams{CrashMode::kGarbleUnsynced, DirCrashMode::kRevertUnsynced},
                      CrashParams{CrashMode::kDropUnsynced, DirCrashMode::kKeepAll},
                      CrashParams{CrashMode::kKeepRandomPrefix, DirCrashMode::kKeepAll},
                      CrashParams{CrashMode::kGarbleUnsynced, DirCrashMode::kKeepAll}),
    [](const ::testing::TestParamInfo<CrashParams>& info) { return CrashName(info.param); });

}  // namespace
}  // namespace edgetsdb
