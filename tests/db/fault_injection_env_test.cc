// The crash model of the test Env (tests/support/fault_injection_env.h): every other crash test
// trusts it, so each rule is pinned down here.
#include "tests/support/fault_injection_env.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace edgetsdb::testing {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/d").ok());
    ASSERT_TRUE(env_.SyncDir("/").ok());
  }

  // Creates /d/name with `synced` durable (entry included) and `unsynced` appended after it.
  void MakeFile(const std::string& name, const std::string& synced, const std::string& unsynced) {
    auto file = env_.NewWritableFile("/d/" + name);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(synced).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE(env_.SyncDir("/d").ok());
    ASSERT_TRUE((*file)->Append(unsynced).ok());
  }

  std::string Read(const std::string& path) {
    auto data = env_.ReadFileToString(path);
    EXPECT_TRUE(data.ok()) << data.status();
    return data.ok() ? *data : "";
  }

  FaultInjectionEnv env_{/*seed=*/42};
};

TEST_F(FaultInjectionEnvTest, ReadsSeeUnsyncedDataBeforeACrash) {
  MakeFile("f", "durable", "+pending");
  EXPECT_EQ(Read("/d/f"), "durable+pending");
  EXPECT_EQ(*env_.DurableContents("/d/f"), "durable");
}

TEST_F(FaultInjectionEnvTest, DropModeKeepsExactlyTheSyncedBytes) {
  MakeFile("f", "durable", "+pending");
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_EQ(Read("/d/f"), "durable");
}

TEST_F(FaultInjectionEnvTest, TornWriteKeepsAPrefixOfTheUnsyncedBytes) {
  std::set<size_t> lengths;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    FaultInjectionEnv env(seed);
    ASSERT_TRUE(env.CreateDir("/d").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    auto file = env.NewWritableFile("/d/f");
    ASSERT_TRUE((*file)->Append("durable").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE(env.SyncDir("/d").ok());
    ASSERT_TRUE((*file)->Append("0123456789").ok());
    env.SimulateCrash(CrashMode::kKeepRandomPrefix);
    const std::string after = *env.ReadFileToString("/d/f");
    ASSERT_GE(after.size(), 7u);
    EXPECT_EQ(after, std::string("durable0123456789").substr(0, after.size()));
    lengths.insert(after.size());
  }
  EXPECT_GT(lengths.size(), 5u) << "the kept prefix should vary with the seed";
}

TEST_F(FaultInjectionEnvTest, GarbleKeepsTheLengthButNotTheUnsyncedBytes) {
  const std::string pending(64, 'p');
  MakeFile("f", "durable", pending);
  env_.SimulateCrash(CrashMode::kGarbleUnsynced);
  const std::string after = Read("/d/f");
  ASSERT_EQ(after.size(), 7 + pending.size());
  EXPECT_EQ(after.substr(0, 7), "durable");
  EXPECT_NE(after.substr(7), pending);
}

TEST_F(FaultInjectionEnvTest, SameSeedSameCrash) {
  std::string results[2];
  for (std::string& result : results) {
    FaultInjectionEnv env(7);
    ASSERT_TRUE(env.CreateDir("/d").ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    auto file = env.NewWritableFile("/d/f");
    ASSERT_TRUE((*file)->Append(std::string(100, 'x')).ok());
    ASSERT_TRUE(env.SyncDir("/d").ok());
    env.SimulateCrash(CrashMode::kGarbleUnsynced);
    result = *env.ReadFileToString("/d/f");
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST_F(FaultInjectionEnvTest, FileWithoutDirectorySyncVanishes) {
  auto file = env_.NewWritableFile("/d/new");
  ASSERT_TRUE((*file)->Append("data").ok());
  ASSERT_TRUE((*file)->Sync().ok());  // The data is durable, the name is not.
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_FALSE(env_.FileExists("/d/new"));
}

TEST_F(FaultInjectionEnvTest, DirectorySyncMakesTheNameDurable) {
  auto file = env_.NewWritableFile("/d/new");
  ASSERT_TRUE((*file)->Append("data").ok());
  ASSERT_TRUE(env_.SyncDir("/d").ok());  // The name is durable, the data is not.
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  ASSERT_TRUE(env_.FileExists("/d/new"));
  EXPECT_EQ(Read("/d/new"), "");
}

TEST_F(FaultInjectionEnvTest, UnsyncedRenameAndRemoveAreReverted) {
  MakeFile("a", "A", "");
  MakeFile("b", "B", "");
  ASSERT_TRUE(env_.RenameFile("/d/a", "/d/c").ok());
  ASSERT_TRUE(env_.RemoveFile("/d/b").ok());
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_EQ(Read("/d/a"), "A");
  EXPECT_EQ(Read("/d/b"), "B");
  EXPECT_FALSE(env_.FileExists("/d/c"));
}

TEST_F(FaultInjectionEnvTest, SyncedRenameSurvives) {
  MakeFile("a", "A", "");
  ASSERT_TRUE(env_.RenameFile("/d/a", "/d/c").ok());
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_FALSE(env_.FileExists("/d/a"));
  EXPECT_EQ(Read("/d/c"), "A");
}

TEST_F(FaultInjectionEnvTest, KeepAllDirectoryModeKeepsUnsyncedEntries) {
  MakeFile("a", "A", "");
  auto file = env_.NewWritableFile("/d/new");
  ASSERT_TRUE(env_.RenameFile("/d/a", "/d/c").ok());
  env_.SimulateCrash(CrashMode::kDropUnsynced, DirCrashMode::kKeepAll);
  EXPECT_TRUE(env_.FileExists("/d/new"));
  EXPECT_FALSE(env_.FileExists("/d/a"));
  EXPECT_EQ(Read("/d/c"), "A");
}

TEST_F(FaultInjectionEnvTest, UnsyncedDirectoryCreationIsReverted) {
  ASSERT_TRUE(env_.CreateDir("/d/sub").ok());
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_FALSE(env_.FileExists("/d/sub"));
}

TEST_F(FaultInjectionEnvTest, AtomicWriteIsAllOrNothingAtEveryCrashPoint) {
  ASSERT_TRUE(WriteFileAtomically(&env_, "/d/m", "old").ok());
  // Crash at each sync point of a second atomic write: afterwards the file is old or new.
  for (uint64_t crash_at = 1;; ++crash_at) {
    const uint64_t base = env_.sync_points();
    bool crashed = false;
    env_.SetSyncPointCallback([&](uint64_t point) {
      if (point == base + crash_at) {
        env_.SimulateCrash(CrashMode::kGarbleUnsynced);
        crashed = true;
      }
    });
    const absl::Status s = WriteFileAtomically(&env_, "/d/m", "new");
    env_.SetSyncPointCallback(nullptr);
    if (!crashed) {
      ASSERT_TRUE(s.ok());
      EXPECT_EQ(Read("/d/m"), "new");
      break;
    }
    EXPECT_FALSE(s.ok()) << "a write interrupted by a crash cannot report success";
    const std::string after = Read("/d/m");
    EXPECT_TRUE(after == "old" || after == "new")
        << "crash at sync point " << crash_at << ": " << after;
    ASSERT_TRUE(WriteFileAtomically(&env_, "/d/m", "old").ok());
  }
}

TEST_F(FaultInjectionEnvTest, InjectedSyncFailuresAreInternalAndCounted) {
  auto file = env_.NewWritableFile("/d/f");
  ASSERT_TRUE((*file)->Append("x").ok());
  env_.FailNextSyncs(2);
  EXPECT_EQ((*file)->Sync().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(env_.SyncDir("/d").code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(env_.SyncDir("/d").ok());
}

TEST_F(FaultInjectionEnvTest, FailedSyncLosesTheDataEvenIfALaterSyncSucceeds) {
  // Linux marks the pages clean after a failed writeback: retrying fsync reports success, but the
  // bytes never reach the disk. This is why writers must not retry.
  MakeFile("f", "durable", "lost");
  env_.FailNextSyncs(1);
  auto file = env_.NewAppendableFile("/d/f");
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append("+later").ok());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(Read("/d/f"), "durablelost+later");  // Still in the page cache.
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_EQ(Read("/d/f"), std::string("durable\0\0\0\0+later", 17));
}

TEST_F(FaultInjectionEnvTest, FullDiskWritesWhatFitsThenResourceExhausted) {
  MakeFile("f", "12345", "");
  env_.SetDiskCapacity(8);
  auto free = env_.GetFreeSpace("/d");
  ASSERT_TRUE(free.ok());
  EXPECT_EQ(*free, 3u);
  auto file = env_.NewAppendableFile("/d/f");
  const absl::Status s = (*file)->Append("abcdef");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(Read("/d/f"), "12345abc");
  EXPECT_EQ(*env_.GetFreeSpace("/d"), 0u);
  EXPECT_EQ((*file)->Append("x").code(), absl::StatusCode::kResourceExhausted);
  // Freeing space makes room again.
  ASSERT_TRUE(env_.TruncateFile("/d/f", 2).ok());
  EXPECT_EQ(*env_.GetFreeSpace("/d"), 6u);
  EXPECT_TRUE((*file)->Append("x").ok());
  env_.SetDiskCapacity(std::nullopt);
  EXPECT_GT(*env_.GetFreeSpace("/d"), uint64_t{1} << 30);
}

TEST_F(FaultInjectionEnvTest, ClockMovesOnlyWhenTold) {
  const int64_t now = env_.NowNanos();
  EXPECT_EQ(env_.NowNanos(), now);
  env_.AdvanceClock(5);
  EXPECT_EQ(env_.NowNanos(), now + 5);
  env_.SetNowNanos(-1);  // Before the epoch: a gateway whose RTC battery died.
  EXPECT_EQ(env_.NowNanos(), -1);
  env_.SetMonotonicNanos(100);
  env_.AdvanceClock(1);
  EXPECT_EQ(env_.MonotonicNanos(), 101);
  EXPECT_EQ(env_.NowNanos(), 0);
}

TEST_F(FaultInjectionEnvTest, EverySyncIsANumberedSyncPoint) {
  std::vector<uint64_t> seen;
  env_.SetSyncPointCallback([&](uint64_t point) { seen.push_back(point); });
  const uint64_t base = env_.sync_points();
  auto file = env_.NewWritableFile("/d/f");
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(env_.SyncDir("/d").ok());
  env_.FailNextSyncs(1);
  EXPECT_FALSE((*file)->Sync().ok());  // A failed sync is a sync point too.
  EXPECT_EQ(seen, (std::vector<uint64_t>{base + 1, base + 2, base + 3}));
  EXPECT_EQ(env_.sync_points(), base + 3);
}

TEST_F(FaultInjectionEnvTest, CrashInsideASyncFailsThatSyncAndOldHandles) {
  MakeFile("f", "durable", "+pending");
  auto file = env_.NewAppendableFile("/d/f");
  env_.SetSyncPointCallback([&](uint64_t) { env_.SimulateCrash(CrashMode::kDropUnsynced); });
  EXPECT_FALSE((*file)->Sync().ok());
  env_.SetSyncPointCallback(nullptr);
  EXPECT_EQ(Read("/d/f"), "durable");  // The interrupted sync made nothing durable.
  EXPECT_EQ((*file)->Append("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*file)->Sync().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FaultInjectionEnvTest, TruncationIsDurableOnlyAfterASync) {
  MakeFile("f", "0123456789", "");
  ASSERT_TRUE(env_.TruncateFile("/d/f", 4).ok());
  EXPECT_EQ(*env_.DurableContents("/d/f"), "0123456789");
  auto file = env_.NewAppendableFile("/d/f");
  ASSERT_TRUE((*file)->Sync().ok());
  env_.SimulateCrash(CrashMode::kGarbleUnsynced);
  EXPECT_EQ(Read("/d/f"), "0123");
}

TEST_F(FaultInjectionEnvTest, LocksAreExclusiveAndDieWithTheProcess) {
  auto first = env_.LockFile("/d/LOCK");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(env_.LockFile("/d/LOCK").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(env_.LockFile("/d//./LOCK").status().code(), absl::StatusCode::kUnavailable);
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  auto after_crash = env_.LockFile("/d/LOCK");
  ASSERT_TRUE(after_crash.ok());
  first->reset();  // The dead process's handle must not release the new lock.
  EXPECT_EQ(env_.LockFile("/d/LOCK").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(FaultInjectionEnvTest, ErrorsUseTheCanonicalCodes) {
  EXPECT_EQ(env_.ReadFileToString("/d/missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_.NewWritableFile("/missing/f").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_.GetChildren("/missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_.RemoveFile("/d/missing").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_.SyncDir("/missing").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_.ReadFileToString("/d").status().code(), absl::StatusCode::kInternal);
  MakeFile("f", "x", "");
  EXPECT_EQ(env_.RemoveDir("/d").code(), absl::StatusCode::kInternal);  // Not empty.
  EXPECT_EQ(env_.CreateDir("/d/f").code(), absl::StatusCode::kInternal);
}

TEST_F(FaultInjectionEnvTest, ChildrenAndSizes) {
  MakeFile("a", "123", "45");
  MakeFile("b", "", "");
  auto children = env_.GetChildren("/d");
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*env_.GetFileSize("/d/a"), 5u);
  EXPECT_EQ(env_.UsedBytes(), 5u);
}

TEST_F(FaultInjectionEnvTest, RemovedFileStaysWritableThroughAnOpenHandle) {
  MakeFile("f", "x", "");
  auto file = env_.NewAppendableFile("/d/f");
  ASSERT_TRUE(env_.RemoveFile("/d/f").ok());
  EXPECT_TRUE((*file)->Append("y").ok());
  EXPECT_FALSE(env_.FileExists("/d/f"));
}

TEST_F(FaultInjectionEnvTest, SetFileContentsIsDurable) {
  ASSERT_TRUE(env_.SetFileContents("/d/planted", "bytes").ok());
  env_.SimulateCrash(CrashMode::kDropUnsynced);
  EXPECT_EQ(Read("/d/planted"), "bytes");
}

}  // namespace
}  // namespace edgetsdb::testing
