#include "edgetsdb/db.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "db/env.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"

namespace edgetsdb {
namespace {

using testing::CrashMode;
using testing::FaultInjectionEnv;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kStart = 1'764'000'000 * kSecond;
constexpr char kPath[] = "/data";

WriteBatch Reading(int device, int64_t t, double temperature) {
  WriteBatch batch;
  const std::string id = absl::StrCat("d", device);
  const TagView tags[] = {{"device", id}, {"site", "plant1"}};
  const FieldView fields[] = {{"temperature", temperature}, {"humidity", int64_t{40 + device}}};
  EXPECT_TRUE(batch.Add("env", tags, fields, t).ok());
  return batch;
}

std::unique_ptr<Db> OpenDb(Env* env, Durability durability = Durability::kSync) {
  Options options;
  options.env = env;
  options.durability = durability;
  auto db = Db::Open(options, kPath);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

// (device, timestamp) of every temperature point stored in database "edge".
std::set<std::pair<std::string, int64_t>> StoredTemperatures(Db& db) {
  SeriesSelector selector;
  selector.database = "edge";
  selector.measurement = "env";
  selector.fields = {"temperature"};
  auto series = db.Query(selector);
  std::set<std::pair<std::string, int64_t>> points;
  if (!series.ok()) return points;
  for (const SeriesData& s : *series) {
    std::string device;
    for (const auto& [key, value] : s.tags) {
      if (key == "device") device = value;
    }
    for (int64_t t : s.timestamps) points.emplace(device, t);
  }
  return points;
}

TEST(DbTest, WrittenPointsAreQueryableAndSurviveReopen) {
  FaultInjectionEnv env;
  {
    auto db = OpenDb(&env);
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(db->Write("edge", Reading(i % 3, kStart + i * kSecond, 20 + i)).ok());
    }
    EXPECT_EQ(StoredTemperatures(*db).size(), 10u);
    EXPECT_EQ(db->Databases(), std::vector<std::string>{"edge"});
    EXPECT_EQ(*db->Measurements("edge"), std::vector<std::string>{"env"});
  }
  auto db = OpenDb(&env);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(StoredTemperatures(*db).size(), 10u);
  EXPECT_EQ(db->GetStats().points_written, 10u);
}

TEST(DbTest, QueriesOfAnUnknownDatabaseAreNotFound) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env);
  SeriesSelector selector;
  selector.database = "nope";
  selector.measurement = "env";
  EXPECT_EQ(db->Query(selector).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db->Write("", Reading(1, kStart, 1)).code(), absl::StatusCode::kInvalidArgument);
}

TEST(DbTest, FieldTypeConflictsAreRefusedAndStayRefusedAfterReplay) {
  FaultInjectionEnv env;
  {
    auto db = OpenDb(&env);
    ASSERT_TRUE(db->Write("edge", Reading(1, kStart, 21.5)).ok());
    WriteBatch conflicting;
    const FieldView fields[] = {{"temperature", std::string_view("warm")}};
    ASSERT_TRUE(conflicting.Add("env", {}, fields, kStart + kSecond).ok());
    EXPECT_EQ(db->Write("edge", conflicting).code(), absl::StatusCode::kInvalidArgument);
  }
  auto db = OpenDb(&env);
  EXPECT_EQ(StoredTemperatures(*db).size(), 1u);
}

TEST(DbTest, CatalogChangesAreDurable) {
  FaultInjectionEnv env;
  env.SetNowNanos(kStart + 3600 * kSecond);
  {
    auto db = OpenDb(&env);
    ASSERT_TRUE(db->CreateDatabase("empty").ok());
    ASSERT_TRUE(db->Write("gone", Reading(1, kStart, 1)).ok());
    ASSERT_TRUE(db->DropDatabase("gone").ok());
    ASSERT_TRUE(db->SetRetention("edge", 600 * kSecond).ok());
    EXPECT_EQ(db->Write("edge", Reading(1, kStart, 1)).code(), absl::StatusCode::kOutOfRange)
        << "an hour old, with ten minutes of retention";
    EXPECT_TRUE(db->Write("edge", Reading(1, kStart + 3500 * kSecond, 1)).ok());
  }
  auto db = OpenDb(&env);
  EXPECT_EQ(db->Databases(), (std::vector<std::string>{"edge", "empty"}));
  EXPECT_EQ(db->Write("edge", Reading(1, kStart, 1)).code(), absl::StatusCode::kOutOfRange);
}

TEST(DbTest, ConcurrentWritersAreAllStored) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env);
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        if (!db->Write("edge", Reading(t, kStart + i * kSecond, i)).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(StoredTemperatures(*db).size(), static_cast<size_t>(kThreads * kWritesPerThread));
  // One sync for the database's creation, at most one per write.
  EXPECT_LE(db->GetStats().wal_syncs, static_cast<uint64_t>(kThreads * kWritesPerThread) + 1);
}

TEST(DbTest, AFailedSyncStopsAcknowledgingWrites) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env);
  ASSERT_TRUE(db->Write("edge", Reading(1, kStart, 1)).ok());
  env.FailNextSyncs(1);
  EXPECT_FALSE(db->Write("edge", Reading(1, kStart + kSecond, 2)).ok());
  EXPECT_EQ(db->Write("edge", Reading(1, kStart + 2 * kSecond, 3)).code(),
            absl::StatusCode::kFailedPrecondition)
      << "no retry of fsync on the same file";
}

// The crash test of the issue: a scripted workload with kSync durability, crashed at every sync
// point in each crash mode; after reopening, every acknowledged point is there and nothing that
// was never written appears.
TEST(DbTest, AcknowledgedWritesSurviveACrashAtEverySyncPoint) {
  constexpr int kWrites = 12;
  int crash_points_tried = 0;
  for (CrashMode mode :
       {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix, CrashMode::kGarbleUnsynced}) {
    for (uint64_t crash_at = 1;; ++crash_at) {
      FaultInjectionEnv env(crash_at);
      bool crashed = false;
      env.SetSyncPointCallback([&](uint64_t sync_point) {
        if (sync_point == crash_at && !crashed) {
          crashed = true;
          env.SimulateCrash(mode);
        }
      });
      std::set<std::pair<std::string, int64_t>> acknowledged, written;
      {
        Options options;
        options.env = &env;
        auto db = Db::Open(options, kPath);
        if (db.ok()) {
          for (int i = 0; i < kWrites; ++i) {
            const int device = i % 3;
            const int64_t t = kStart + i * kSecond;
            written.emplace(absl::StrCat("d", device), t);
            if ((*db)->Write("edge", Reading(device, t, i)).ok()) {
              acknowledged.emplace(absl::StrCat("d", device), t);
            }
            // Flushes put blocks, database.meta rewrites and log removals among the crash points.
            if (i % 4 == 3) (*db)->Flush().IgnoreError();
          }
        }
      }
      env.SetSyncPointCallback(nullptr);
      if (!crashed) break;  // Past the last sync point of the workload.
      ++crash_points_tried;
      auto db = OpenDb(&env);
      ASSERT_NE(db, nullptr) << "crash point " << crash_at;
      const auto stored = StoredTemperatures(*db);
      for (const auto& point : acknowledged) {
        EXPECT_TRUE(stored.count(point)) << "lost acknowledged point " << point.first << "@"
                                         << point.second << " at crash point " << crash_at;
      }
      for (const auto& point : stored) {
        EXPECT_TRUE(written.count(point)) << "a point nobody wrote appeared";
      }
    }
  }
  EXPECT_GT(crash_points_tried, 3 * kWrites);
  std::printf("crash points tried: %d\n", crash_points_tried);
}

// --- Blocks: flush, merge with the head, compaction, retention, budgets ---

constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;

// (device, timestamp) -> temperature of every point in database "edge".
std::map<std::pair<std::string, int64_t>, double> TemperatureValues(Db& db, int64_t min = kMinTime,
                                                                    int64_t max = kMaxTime) {
  SeriesSelector selector;
  selector.database = "edge";
  selector.measurement = "env";
  selector.fields = {"temperature"};
  selector.min_time = min;
  selector.max_time = max;
  auto series = db.Query(selector);
  EXPECT_TRUE(series.ok()) << series.status();
  std::map<std::pair<std::string, int64_t>, double> points;
  if (!series.ok()) return points;
  for (const SeriesData& s : *series) {
    std::string device;
    for (const auto& [key, value] : s.tags) {
      if (key == "device") device = value;
    }
    const auto& values = std::get<std::vector<double>>(s.values);
    for (size_t i = 0; i < s.timestamps.size(); ++i) {
      EXPECT_TRUE(points.emplace(std::pair(device, s.timestamps[i]), values[i]).second)
          << "a timestamp appears twice";
      if (i > 0) {
        EXPECT_LT(s.timestamps[i - 1], s.timestamps[i]);
      }
    }
  }
  return points;
}

std::unique_ptr<Db> OpenWith(Env* env, Options options) {
  options.env = env;
  auto db = Db::Open(options, kPath);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

// Writes `hours` of readings from 3 devices every 10 minutes starting at `from`, value = f(i).
std::map<std::pair<std::string, int64_t>, double> WriteHours(Db& db, int64_t from, int hours,
                                                             double offset) {
  std::map<std::pair<std::string, int64_t>, double> expected;
  for (int i = 0; i < hours * 6; ++i) {
    WriteBatch batch;
    for (int device = 0; device < 3; ++device) {
      const std::string id = absl::StrCat("d", device);
      const TagView tags[] = {{"device", id}, {"site", "plant1"}};
      const double value = offset + i * 0.5 + device;
      const FieldView fields[] = {{"temperature", value}, {"humidity", int64_t{40 + device}}};
      const int64_t t = from + i * 600 * kSecond;
      EXPECT_TRUE(batch.Add("env", tags, fields, t).ok());
      expected[{id, t}] = value;
    }
    EXPECT_TRUE(db.Write("edge", batch).ok());
  }
  return expected;
}

TEST(DbBlocksTest, FlushedPointsAreQueriedWithTheHeadAndSurviveReopen) {
  FaultInjectionEnv env;
  std::map<std::pair<std::string, int64_t>, double> expected;
  {
    auto db = OpenDb(&env);
    expected = WriteHours(*db, kStart, 5, 0);
    const uint64_t wal_before = db->GetStats().wal_bytes;
    ASSERT_TRUE(db->Flush().ok());
    const DbStats stats = db->GetStats();
    EXPECT_GE(stats.blocks, 3u) << "5 hours touch 3 or 4 two-hour partitions";
    EXPECT_GT(stats.block_bytes, 0u);
    EXPECT_LT(stats.wal_bytes, wal_before) << "flushed segments are removed";
    EXPECT_EQ(TemperatureValues(*db), expected);
    // Overwrite some flushed points and add new ones: the head wins over the blocks.
    auto later = WriteHours(*db, kStart + 4 * kHour, 3, 100);
    for (const auto& [key, value] : later) expected[key] = value;
    EXPECT_EQ(TemperatureValues(*db), expected);
    EXPECT_EQ(TemperatureValues(*db, kStart + kHour, kStart + 5 * kHour).size(), 3u * 25);
  }
  auto db = OpenDb(&env);
  EXPECT_EQ(TemperatureValues(*db), expected);
  EXPECT_EQ(*db->Measurements("edge"), std::vector<std::string>{"env"});
  EXPECT_EQ(*db->TagValues("edge", "env", "device"), (std::vector<std::string>{"d0", "d1", "d2"}));
  EXPECT_EQ(*db->TagKeys("edge", "env"), (std::vector<std::string>{"device", "site"}));
  EXPECT_EQ(db->FieldKeys("edge", "env")->size(), 2u);
  EXPECT_EQ(*db->SeriesKeys("edge", "env", {{"device", TagMatcher::Op::kRegexMatch, "[12]"}}),
            (std::vector<std::string>{"env,device=d1,site=plant1", "env,device=d2,site=plant1"}));
}

TEST(DbBlocksTest, FieldTypesInBlocksAreEnforcedAfterAFlushAndAReopen) {
  FaultInjectionEnv env;
  WriteBatch conflicting;
  const FieldView fields[] = {{"temperature", std::string_view("warm")}};
  ASSERT_TRUE(conflicting.Add("env", {}, fields, kStart + kSecond).ok());
  {
    auto db = OpenDb(&env);
    ASSERT_TRUE(db->Write("edge", Reading(1, kStart, 21.5)).ok());
    ASSERT_TRUE(db->Flush().ok());
    EXPECT_EQ(db->Write("edge", conflicting).code(), absl::StatusCode::kInvalidArgument);
  }
  auto db = OpenDb(&env);
  EXPECT_EQ(db->Write("edge", conflicting).code(), absl::StatusCode::kInvalidArgument);
}

TEST(DbBlocksTest, CompactionMergesAgedPartitionsIntoDaysAndKeepsEveryValue) {
  FaultInjectionEnv env;
  env.SetNowNanos(kStart);
  auto db = OpenDb(&env);
  const int64_t day0 = kStart - kStart % kDay;
  auto expected = WriteHours(*db, day0, 30, 0);
  ASSERT_TRUE(db->Flush().ok());
  // Late data for the first day, flushed separately: a newer block in the same partitions.
  auto late = WriteHours(*db, day0 + kHour, 2, 500);
  for (const auto& [key, value] : late) expected[key] = value;
  ASSERT_TRUE(db->Flush().ok());
  const uint64_t blocks_before = db->GetStats().blocks;
  env.SetNowNanos(day0 + 3 * kDay);  // Day 0 and day 1 have ended; their week has not.
  ASSERT_TRUE(db->Compact().ok());
  const DbStats stats = db->GetStats();
  EXPECT_EQ(stats.blocks, 2u) << "one block per day, from " << blocks_before;
  EXPECT_GT(stats.compactions, 0u);
  EXPECT_EQ(TemperatureValues(*db), expected);
  std::vector<DatabaseInfo> storage = db->DescribeStorage();
  ASSERT_EQ(storage.size(), 1u);
  ASSERT_EQ(storage[0].partitions.size(), 2u);
  EXPECT_EQ(storage[0].partitions[0].start, day0);
  EXPECT_EQ(storage[0].partitions[0].end, day0 + kDay);
  EXPECT_EQ(storage[0].partitions[0].series, 3u);
  EXPECT_EQ(storage[0].partitions[0].points + storage[0].partitions[1].points, 2 * expected.size())
      << "temperature and humidity";
  db.reset();
  db = OpenDb(&env);
  EXPECT_EQ(TemperatureValues(*db), expected);
}

TEST(DbBlocksTest, OldDataIsFlushedStraightIntoWeekBlocks) {
  FaultInjectionEnv env;
  const int64_t week = 7 * kDay;
  const int64_t week0 = kStart - kStart % week;
  env.SetNowNanos(week0 + 30 * kDay);
  auto db = OpenDb(&env);
  // Ten days of a slow (every 10 minutes) fleet, uploaded late: weeks that have ended.
  auto expected = WriteHours(*db, week0, 10 * 24, 0);
  ASSERT_TRUE(db->Flush().ok());
  std::vector<DatabaseInfo> storage = db->DescribeStorage();
  ASSERT_EQ(storage.size(), 1u);
  ASSERT_EQ(storage[0].partitions.size(), 2u) << "two week blocks, not 120 two-hour ones";
  for (const PartitionInfo& partition : storage[0].partitions) {
    EXPECT_EQ(partition.end - partition.start, week);
  }
  ASSERT_TRUE(db->Compact().ok());
  EXPECT_EQ(db->GetStats().compactions, 0u) << "nothing left to merge";
  EXPECT_EQ(TemperatureValues(*db), expected);
}

TEST(DbBlocksTest, RetentionDeletesWholeExpiredBlocks) {
  FaultInjectionEnv env;
  const int64_t day0 = kStart - kStart % kDay;
  env.SetNowNanos(day0 + 2 * kHour);
  Options options;
  options.compaction_levels_ns = {};
  auto db = OpenWith(&env, options);
  ASSERT_TRUE(db->SetRetention("edge", 6 * kHour).ok());
  WriteHours(*db, day0, 2, 0);
  ASSERT_TRUE(db->Flush().ok());
  env.SetNowNanos(day0 + 6 * kHour);
  auto kept = WriteHours(*db, day0 + 4 * kHour, 2, 0);
  ASSERT_TRUE(db->Compact().ok());
  EXPECT_EQ(db->GetStats().blocks_deleted_by_retention, 0u) << "[0, 2h) ended 4 hours ago";
  env.SetNowNanos(day0 + 8 * kHour);
  ASSERT_TRUE(db->Compact().ok());
  EXPECT_EQ(db->GetStats().blocks_deleted_by_retention, 1u);
  EXPECT_EQ(TemperatureValues(*db), kept);
}

TEST(DbBlocksTest, TheDiskBudgetDeletesTheOldestPartitionsThenRefusesAndResumes) {
  FaultInjectionEnv env;
  const int64_t day0 = kStart - kStart % kDay;
  env.SetNowNanos(day0);
  Options options;
  options.max_disk_bytes = 64 * 1024;
  options.min_free_bytes = 0;
  options.wal_segment_bytes = 4096;
  options.compaction_levels_ns = {};
  auto db = OpenWith(&env, options);
  // Fill with a day at a time, flushing and running maintenance, until the budget bites.
  std::map<std::pair<std::string, int64_t>, double> newest;
  for (int day = 0; day < 40; ++day) {
    newest = WriteHours(*db, day0 + day * kDay, 24, day);
    ASSERT_TRUE(db->Compact().ok());
    const DbStats stats = db->GetStats();
    ASSERT_LE(stats.wal_bytes + stats.block_bytes, options.max_disk_bytes) << "day " << day;
  }
  EXPECT_GT(db->GetStats().blocks_deleted_by_budget, 0u);
  EXPECT_EQ(TemperatureValues(*db, day0 + 39 * kDay, kMaxTime), newest) << "the newest day is kept";
  // A batch too large for the budget, with the blocks gone, is refused: and nothing is lost.
  WriteBatch huge;
  for (int i = 0; i < 20'000; ++i) {
    const std::string id = absl::StrCat("x", i);
    const TagView tags[] = {{"device", id}};
    const FieldView fields[] = {{"temperature", i * 1.5}};
    ASSERT_TRUE(huge.Add("env", tags, fields, day0 + 40 * kDay + i).ok());
  }
  EXPECT_EQ(db->Write("edge", huge).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(db->GetStats().writes_refused_for_space, 0u);
  EXPECT_TRUE(db->Write("edge", Reading(1, day0 + 41 * kDay, 1)).ok()) << "small writes go on";
}

TEST(DbBlocksTest, AFullFileSystemRefusesWritesBeforeItIsFullAndResumesWithoutARestart) {
  FaultInjectionEnv env;
  Options options;
  options.min_free_bytes = 64 * 1024;
  auto db = OpenWith(&env, options);
  std::map<std::pair<std::string, int64_t>, double> acknowledged;
  auto write = [&](int i) {
    WriteBatch batch;
    const std::string id = absl::StrCat("d", i % 50);
    const TagView tags[] = {{"device", id}};
    const double value = std::sin(i) * 100;
    const FieldView fields[] = {{"temperature", value}};
    EXPECT_TRUE(batch.Add("env", tags, fields, kStart + i * kSecond).ok());
    absl::Status s = db->Write("edge", batch);
    if (s.ok()) acknowledged[{id, kStart + i * kSecond}] = value;
    return s;
  };
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(write(i).ok());
  // Another program fills the file system to within 100 KiB of its end.
  env.SetDiskCapacity(env.UsedBytes() + 1024 * 1024);
  {
    auto other = env.NewWritableFile("/other-program.dat");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Append(std::string(1024 * 1024 - 100 * 1024, 'x')).ok());
    ASSERT_TRUE((*other)->Close().ok());
  }
  int i = 100;
  absl::Status refused;
  for (; i < 100'000 && refused.ok(); ++i) refused = write(i);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  const auto free = env.GetFreeSpace(kPath);
  ASSERT_TRUE(free.ok());
  EXPECT_GE(*free, 32 * 1024u) << "refused before the disk is full";
  EXPECT_EQ(TemperatureValues(*db), acknowledged);
  ASSERT_TRUE(env.RemoveFile("/other-program.dat").ok());  // Room appears.
  EXPECT_TRUE(write(i).ok()) << "writes resume without a restart";
  db.reset();
  db = OpenWith(&env, options);
  EXPECT_EQ(TemperatureValues(*db), acknowledged);
}

WriteBatch FleetRound(int round, int devices) {
  WriteBatch batch;
  for (int d = 0; d < devices; ++d) {
    const std::string id = absl::StrCat("d", d);
    const TagView tags[] = {{"device", id}};
    const FieldView fields[] = {{"temperature", round + d * 0.25}};
    EXPECT_TRUE(batch.Add("env", tags, fields, kStart + round * 10 * kSecond).ok());
  }
  return batch;
}

TEST(DbBlocksTest, TheHeadIsFlushedBeforeItOutgrowsItsMemoryBudget) {
  constexpr int kDevices = 500;
  uint64_t one_batch = 0;  // What one batch costs an empty head, its new groups included.
  {
    FaultInjectionEnv env;
    auto db = OpenDb(&env, Durability::kNone);
    ASSERT_TRUE(db->Write("edge", FleetRound(0, kDevices)).ok());
    one_batch = db->GetStats().head_bytes;
  }
  FaultInjectionEnv env;
  Options options;
  options.max_head_bytes = 256 * 1024;
  options.durability = Durability::kNone;
  auto db = OpenWith(&env, options);
  uint64_t peak = 0;
  for (int round = 0; round < 100; ++round) {
    ASSERT_TRUE(db->Write("edge", FleetRound(round, kDevices)).ok());
    peak = std::max(peak, db->GetStats().head_bytes);
  }
  const DbStats stats = db->GetStats();
  EXPECT_GT(stats.flushes, 0u);
  EXPECT_LE(peak, options.max_head_bytes + one_batch) << "at most one batch over the budget";
  EXPECT_EQ(TemperatureValues(*db).size(), 100u * kDevices);
}

TEST(DbBlocksTest, WindowAggregatesUseChunkSummariesAndMatchTheRawPoints) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env);
  const int64_t day0 = kStart - kStart % kDay;
  auto expected = WriteHours(*db, day0, 12, 0);
  ASSERT_TRUE(db->Flush().ok());
  // A late overwrite makes one window's chunks overlap the head: those must be decoded.
  WriteBatch late;
  const TagView tags[] = {{"device", "d0"}, {"site", "plant1"}};
  const FieldView fields[] = {{"temperature", 1000.0}};
  ASSERT_TRUE(late.Add("env", tags, fields, day0 + 600 * kSecond).ok());
  ASSERT_TRUE(db->Write("edge", late).ok());
  expected[{"d0", day0 + 600 * kSecond}] = 1000.0;

  SeriesSelector selector;
  selector.database = "edge";
  selector.measurement = "env";
  selector.fields = {"temperature"};
  WindowSpec spec;
  spec.width_ns = 2 * kHour;
  spec.aggregates = {Aggregate::kCount, Aggregate::kSum,  Aggregate::kMin, Aggregate::kMax,
                     Aggregate::kFirst, Aggregate::kLast, Aggregate::kMean};
  auto windows = db->QueryWindows(selector, spec);
  ASSERT_TRUE(windows.ok()) << windows.status();
  ASSERT_EQ(windows->size(), 3u);
  for (const WindowSeries& series : *windows) {
    const std::string device = series.tags[0].second;
    ASSERT_EQ(series.window_starts.size(), 6u);
    for (size_t w = 0; w < series.window_starts.size(); ++w) {
      std::vector<double> values;
      for (const auto& [key, value] : expected) {
        if (key.first == device && key.second >= series.window_starts[w] &&
            key.second < series.window_starts[w] + spec.width_ns) {
          values.push_back(value);
        }
      }
      double sum = 0;
      for (double v : values) sum += v;
      EXPECT_EQ(series.results[0][w], values.size());
      EXPECT_DOUBLE_EQ(series.results[1][w], sum);
      EXPECT_EQ(series.results[2][w], *std::min_element(values.begin(), values.end()));
      EXPECT_EQ(series.results[3][w], *std::max_element(values.begin(), values.end()));
      EXPECT_EQ(series.results[4][w], values.front());
      EXPECT_EQ(series.results[5][w], values.back());
      EXPECT_DOUBLE_EQ(series.results[6][w], sum / values.size());
    }
  }
  const DbStats stats = db->GetStats();
  EXPECT_EQ(stats.chunks_decoded_for_windows, 1u) << "only the overwritten chunk";
  EXPECT_EQ(stats.chunks_from_summaries, 3u * 6 - 1);
}

TEST(DbBlocksTest, ADamagedBlockIsQuarantinedAndTheRestStaysQueryable) {
  FaultInjectionEnv env;
  const int64_t day0 = kStart - kStart % kDay;
  std::map<std::pair<std::string, int64_t>, double> expected;
  {
    auto db = OpenDb(&env);
    WriteHours(*db, day0, 2, 0);
    ASSERT_TRUE(db->Flush().ok());
    expected = WriteHours(*db, day0 + 2 * kHour, 2, 0);
    ASSERT_TRUE(db->Flush().ok());
  }
  const std::string blocks = absl::StrCat(kPath, "/db/edge/blocks");
  auto files = env.GetChildren(blocks);
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  std::sort(files->begin(), files->end());
  const std::string damaged = absl::StrCat(blocks, "/", (*files)[0]);
  auto bytes = env.ReadFileToString(damaged);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->size() - 10] ^= 0x40;  // In the footer.
  ASSERT_TRUE(WriteFileAtomically(&env, damaged, *bytes).ok());

  auto db = OpenDb(&env);
  ASSERT_NE(db, nullptr);
  const DbStats stats = db->GetStats();
  EXPECT_EQ(stats.damaged_files, 1u);
  ASSERT_EQ(stats.damage.size(), 1u);
  EXPECT_NE(stats.damage[0].find((*files)[0]), std::string::npos) << stats.damage[0];
  EXPECT_TRUE(env.FileExists(absl::StrCat(kPath, "/db/edge/quarantine/", (*files)[0])));
  EXPECT_EQ(TemperatureValues(*db), expected);
}

TEST(DbBlocksTest, DroppingADatabaseRemovesItsFilesAndANewOneStartsEmpty) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env);
  WriteHours(*db, kStart, 3, 0);
  ASSERT_TRUE(db->Flush().ok());
  ASSERT_TRUE(db->DropDatabase("edge").ok());
  EXPECT_FALSE(env.FileExists(absl::StrCat(kPath, "/db/edge")));
  EXPECT_EQ(db->GetStats().block_bytes, 0u);
  ASSERT_TRUE(db->Write("edge", Reading(1, kStart, 5)).ok());
  EXPECT_EQ(TemperatureValues(*db).size(), 1u);
  db.reset();
  db = OpenDb(&env);
  EXPECT_EQ(TemperatureValues(*db).size(), 1u);
}

TEST(DbBlocksTest, DropsRacingWritesLeaveAConsistentDatabase) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env, Durability::kNone);
  std::atomic<bool> stop{false};
  std::atomic<int> write_failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        if (!db->Write("edge", Reading(t, kStart + i * kSecond, i)).ok()) ++write_failures;
      }
    });
  }
  for (int round = 0; round < 50; ++round) {
    const absl::Status dropped = db->DropDatabase("edge");
    EXPECT_TRUE(dropped.ok() || absl::IsNotFound(dropped)) << dropped;
    if (round % 10 == 0) {
      EXPECT_TRUE(db->Flush().ok());
    }
  }
  stop = true;
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(write_failures.load(), 0);
  ASSERT_TRUE(db->Write("edge", Reading(9, kStart, 1)).ok());
  ASSERT_TRUE(db->Flush().ok()) << "the database's directory is whole";
  const auto before = StoredTemperatures(*db);
  db.reset();
  db = OpenDb(&env);
  EXPECT_EQ(StoredTemperatures(*db), before);
}

TEST(DbBlocksTest, DatabaseNamesAreSafeDirectoryNames) {
  FaultInjectionEnv env;
  auto db = OpenDb(&env);
  ASSERT_TRUE(db->Write("../x y/é", Reading(1, kStart, 5)).ok());
  ASSERT_TRUE(db->Flush().ok());
  db.reset();
  db = OpenDb(&env);
  EXPECT_EQ(db->Databases(), std::vector<std::string>{"../x y/é"});
}

}  // namespace
}  // namespace edgetsdb
