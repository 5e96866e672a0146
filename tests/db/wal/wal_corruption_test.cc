// Corruption sweeps over every segment of a write-ahead log (docs/format/wal.md, "Reading: torn
// tail and damage"). wal_test.cc has the hand-made table (one row per kind of damage, with its
// survivors written out) and sweeps the highest segment only; here every segment, the highest and
// the ones before it, takes a bit flip in each header byte and in each record's header and payload,
// a cut at each point of each record, and each 4 KiB sector zeroed. The expected outcome comes
// from the record layout and the rule of the format, so that thousands of cases need no table:
// the records before the damage are replayed intact, nothing is invented, a damaged highest
// segment with nothing valid after the damage is a torn tail, anything else is damage reported
// with the segment's file name and offset, and later segments are replayed as usual.
#include <cstdint>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_reader.h"
#include "db/wal/wal_writer.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/file_damage.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::testing::ChangedRange;
using ::edgetsdb::testing::FaultInjectionEnv;
using ::edgetsdb::testing::FileDamage;
using ::edgetsdb::testing::kSectorBytes;

constexpr char kDir[] = "/db/wal";
// Three segments of a bit under 10 KB: each has a sector in the middle (4096..8191) and one at its
// end, and holds about 30 records of 10 to 610 bytes.
constexpr uint64_t kSegmentBytes = 10'000;
constexpr uint64_t kSegments = 3;

std::string SegmentPath(uint64_t segment) {
  return absl::StrCat(kDir, "/", wal::SegmentFileName(segment));
}

struct Record {
  uint8_t type = 0;
  std::string payload;
  WalPosition position;

  uint64_t end() const { return position.offset + wal::kRecordHeaderSize + payload.size(); }
  friend bool operator==(const Record&, const Record&) = default;
};

// Where two replays part, for failure messages.
std::string FirstMismatch(const std::vector<Record>& got, const std::vector<Record>& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  if (i == got.size() && i == want.size()) return "none";
  const Record& r = i < want.size() ? want[i] : got[i];
  return absl::StrCat("record ", i, " (segment ", r.position.segment, " offset ", r.position.offset,
                      "): ", i < got.size() ? "replayed" : "missing", ", ",
                      i < want.size() ? "expected" : "not expected");
}

class WalDamageSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/db").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
    absl::StatusOr<std::unique_ptr<WalWriter>> writer =
        WalWriter::Open(&env_, kDir, WalOptions{.segment_size = kSegmentBytes});
    ASSERT_TRUE(writer.ok()) << writer.status();
    // Random payloads of varied sizes, mostly write batches, a few catalog and optional records.
    std::mt19937_64 rng(7);  // Its sequence is fixed by the standard.
    for (;;) {
      Record r;
      r.type = rng() % 10 == 0   ? wal::kCatalogType
               : rng() % 10 == 0 ? wal::kFirstOptionalType + 5
                                 : wal::kWriteBatchType;
      r.payload.resize(1 + rng() % 600);
      for (char& c : r.payload) c = static_cast<char>(rng());
      absl::StatusOr<WalPosition> position = (*writer)->AddRecord(r.type, r.payload);
      ASSERT_TRUE(position.ok()) << position.status();
      r.position = *position;
      if (r.position.segment > kSegments) break;  // Fills the last segment past its last sector.
      records_.push_back(std::move(r));
    }
    ASSERT_TRUE((*writer)->Close().ok());
    // The segment the last AddRecord opened is not part of the log under test.
    ASSERT_TRUE(env_.RemoveFile(SegmentPath(kSegments + 1)).ok());
    ASSERT_TRUE(env_.SyncDir(kDir).ok());
    for (uint64_t s = 1; s <= kSegments; ++s) {
      segments_.push_back(*env_.ReadFileToString(SegmentPath(s)));
      ASSERT_GT(segments_.back().size(), 2 * kSectorBytes);
    }
  }

  const std::string& Original(uint64_t segment) const { return segments_[segment - 1]; }

  std::vector<const Record*> RecordsOf(uint64_t segment) const {
    std::vector<const Record*> out;
    for (const Record& r : records_) {
      if (r.position.segment == segment) out.push_back(&r);
    }
    return out;
  }

  // Damages one segment, replays, checks the outcome against the format's rule, replays again,
  // and restores the segment.
  void Check(uint64_t segment, const FileDamage& damage) {
    SCOPED_TRACE(absl::StrCat(wal::SegmentFileName(segment), ": ", damage.Describe()));
    const std::string& original = Original(segment);
    const std::string damaged = damage.Apply(original);
    ASSERT_TRUE(env_.SetFileContents(SegmentPath(segment), damaged).ok());
    ++cases_;

    // X: the first offset at which no valid record starts (0 when the header is hit).
    const ChangedRange changed = testing::Changed(original, damaged);
    const bool unchanged = changed.begin == changed.end;
    uint64_t x = damaged.size();
    if (!unchanged && changed.begin < wal::kSegmentHeaderSize) {
      x = 0;
    } else if (!unchanged) {
      for (const Record* r : RecordsOf(segment)) {
        if (r->end() > changed.begin) {
          x = r->position.offset;
          break;
        }
      }
    }
    // A record the damage did not touch still parses, wherever it lies after X.
    bool valid_record_follows = false;
    for (const Record* r : RecordsOf(segment)) {
      valid_record_follows |=
          r->position.offset > x && r->position.offset >= changed.end && r->end() <= damaged.size();
    }
    const bool clean = x == damaged.size() && x >= wal::kSegmentHeaderSize;
    const bool torn_tail = !clean && segment == kSegments && !valid_record_follows;

    std::vector<Record> expected;
    for (const Record& r : records_) {
      if (r.position.segment != segment || r.end() <= x) expected.push_back(r);
    }
    absl::StatusOr<WalReplayStats> stats = Replay();
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_TRUE(replayed_ == expected)
        << "replayed " << replayed_.size() << " records, expected " << expected.size()
        << "; first difference: " << FirstMismatch(replayed_, expected) << " (X = " << x << ")";
    EXPECT_EQ(stats->records, expected.size());
    if (clean || torn_tail) {
      EXPECT_TRUE(stats->damage.empty())
          << stats->damage[0].offset << ": " << stats->damage[0].reason;
      EXPECT_EQ(stats->torn_tail_bytes, clean ? 0 : damaged.size() - x);
      if (torn_tail && x == 0) {
        EXPECT_FALSE(env_.FileExists(SegmentPath(segment))) << "a torn header's segment goes";
      } else {
        EXPECT_EQ(*env_.GetFileSize(SegmentPath(segment)), x) << "the torn tail is cut off";
      }
      ++(clean ? undetectable_ : torn_tails_);
    } else {
      EXPECT_EQ(stats->torn_tail_bytes, 0u);
      ASSERT_EQ(stats->damage.size(), 1u);
      const WalDamage& report = stats->damage[0];
      EXPECT_EQ(report.segment_file, wal::SegmentFileName(segment));
      EXPECT_EQ(report.offset, x) << report.reason;
      EXPECT_EQ(report.bytes_skipped, damaged.size() - x) << report.reason;
      EXPECT_FALSE(report.reason.empty());
      EXPECT_EQ(*env_.ReadFileToString(SegmentPath(segment)), damaged) << "evidence is kept";
      ++reported_;
    }

    // The repair holds: a second replay finds no torn tail and the same records.
    if (torn_tail) {
      absl::StatusOr<WalReplayStats> again = Replay();
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_TRUE(replayed_ == expected);
      EXPECT_EQ(again->torn_tail_bytes, 0u);
      EXPECT_TRUE(again->damage.empty());
    }

    ASSERT_TRUE(env_.SetFileContents(SegmentPath(segment), original).ok());
  }

  absl::StatusOr<WalReplayStats> Replay() {
    replayed_.clear();
    return ReplayWal(&env_, kDir,
                     [this](uint8_t type, std::string_view payload, const WalPosition& position) {
                       replayed_.push_back({type, std::string(payload), position});
                       return absl::OkStatus();
                     });
  }

  void TearDown() override {
    std::cout << cases_ << " cases: " << reported_ << " reported as damage, " << torn_tails_
              << " torn tails, " << undetectable_ << " cuts at a record boundary\n";
  }

  FaultInjectionEnv env_{/*seed=*/1};
  std::vector<Record> records_;
  std::vector<std::string> segments_;
  std::vector<Record> replayed_;
  int cases_ = 0, reported_ = 0, torn_tails_ = 0, undetectable_ = 0;
};

TEST_F(WalDamageSweepTest, BitFlipInAnyHeaderOrRecordOfAnySegment) {
  for (uint64_t s = 1; s <= kSegments; ++s) {
    for (uint64_t offset = 0; offset < wal::kSegmentHeaderSize; ++offset) {
      Check(s, FileDamage::FlipBit(offset, offset % 8));
    }
    for (const Record* r : RecordsOf(s)) {
      const uint64_t start = r->position.offset;
      // Every byte of the record header (CRC, length, type), and the payload's ends and middle.
      for (uint64_t i = 0; i < wal::kRecordHeaderSize; ++i) {
        Check(s, FileDamage::FlipBit(start + i, (start + i) % 8));
      }
      for (uint64_t offset :
           {start + wal::kRecordHeaderSize, (start + r->end()) / 2, r->end() - 1}) {
        Check(s, FileDamage::FlipBit(offset, 7 - offset % 8));
      }
    }
  }
  EXPECT_GT(reported_, 0);
  EXPECT_GT(torn_tails_, 0);
}

TEST_F(WalDamageSweepTest, CutAnywhereInAnySegment) {
  for (uint64_t s = 1; s <= kSegments; ++s) {
    for (uint64_t size = 0; size <= wal::kSegmentHeaderSize; ++size) {
      Check(s, FileDamage::Truncate(size));
    }
    for (const Record* r : RecordsOf(s)) {
      const uint64_t start = r->position.offset;
      // Within the record header, right after it, within the payload, one byte short, and at the
      // record's end. A cut at a record boundary of a segment that is not the highest cannot be
      // told from a segment that ended there: the format has no end marker, and nothing is
      // reported (the records after the cut are lost silently).
      for (uint64_t size :
           {start + 1, start + 4, start + wal::kRecordHeaderSize - 1,
            start + wal::kRecordHeaderSize, (start + r->end()) / 2, r->end() - 1, r->end()}) {
        if (size < Original(s).size()) Check(s, FileDamage::Truncate(size));
      }
    }
  }
  EXPECT_GT(reported_, 0);
  EXPECT_GT(torn_tails_, 0);
}

TEST_F(WalDamageSweepTest, ZeroedSectorInAnySegment) {
  for (uint64_t s = 1; s <= kSegments; ++s) {
    for (uint64_t sector = 0; sector * kSectorBytes < Original(s).size(); ++sector) {
      Check(s, FileDamage::ZeroSector(sector));
    }
  }
  EXPECT_EQ(cases_, static_cast<int>(3 * kSegments));
  EXPECT_GT(reported_, 0);
  EXPECT_GT(torn_tails_, 0) << "the highest segment's last sector";
}

}  // namespace
}  // namespace edgetsdb
