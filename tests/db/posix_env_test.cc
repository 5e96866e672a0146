// The POSIX Env against a real file system, in a fresh temporary directory per test.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "db/env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb {
namespace {

using ::testing::HasSubstr;

class PosixEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "posix_env_test.XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void WriteFile(const std::string& path, const std::string& data) {
    auto file = env_->NewWritableFile(path);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append(data).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }

  Env* const env_ = Env::Default();
  std::string dir_;
};

TEST_F(PosixEnvTest, DefaultIsOneInstance) { EXPECT_EQ(Env::Default(), Env::Default()); }

TEST_F(PosixEnvTest, WrittenFileReadsBack) {
  const std::string data = std::string("binary\0data", 11) + std::string(200000, 'x');
  WriteFile(Path("f"), data);
  auto read = env_->ReadFileToString(Path("f"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data);
  auto size = env_->GetFileSize(Path("f"));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, data.size());
}

TEST_F(PosixEnvTest, WritableFileTruncatesAndCountsSize) {
  WriteFile(Path("f"), "old contents");
  auto file = env_->NewWritableFile(Path("f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 0u);
  ASSERT_TRUE((*file)->Append("new").ok());
  EXPECT_EQ((*file)->Size(), 3u);
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(*env_->ReadFileToString(Path("f")), "new");
}

TEST_F(PosixEnvTest, AppendableFileContinuesAtTheEnd) {
  WriteFile(Path("f"), "abc");
  auto file = env_->NewAppendableFile(Path("f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 3u);
  ASSERT_TRUE((*file)->Append("def").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  EXPECT_EQ((*file)->Size(), 6u);
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(*env_->ReadFileToString(Path("f")), "abcdef");
}

TEST_F(PosixEnvTest, AppendableFileIsCreatedWhenMissing) {
  auto file = env_->NewAppendableFile(Path("new"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 0u);
  EXPECT_TRUE(env_->FileExists(Path("new")));
}

TEST_F(PosixEnvTest, ClosedFileRefusesAppends) {
  auto file = env_->NewWritableFile(Path("f"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_TRUE((*file)->Close().ok());  // Idempotent.
  EXPECT_EQ((*file)->Append("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*file)->Sync().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PosixEnvTest, RandomAccessReadsAtOffsetsAndStopsAtEnd) {
  WriteFile(Path("f"), "0123456789");
  auto file = env_->NewRandomAccessFile(Path("f"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->Size(), 10u);
  char scratch[16];
  std::string_view result;
  ASSERT_TRUE((*file)->Read(3, 4, scratch, &result).ok());
  EXPECT_EQ(result, "3456");
  ASSERT_TRUE((*file)->Read(8, 16, scratch, &result).ok());
  EXPECT_EQ(result, "89");
  ASSERT_TRUE((*file)->Read(20, 4, scratch, &result).ok());
  EXPECT_EQ(result, "");
}

TEST_F(PosixEnvTest, WriteFileAtomicallyReplacesAndLeavesNoTemporary) {
  ASSERT_TRUE(WriteFileAtomically(env_, Path("manifest"), "version 1").ok());
  EXPECT_EQ(*env_->ReadFileToString(Path("manifest")), "version 1");
  ASSERT_TRUE(WriteFileAtomically(env_, Path("manifest"), "version 2").ok());
  EXPECT_EQ(*env_->ReadFileToString(Path("manifest")), "version 2");
  EXPECT_FALSE(env_->FileExists(Path("manifest.tmp")));
  auto children = env_->GetChildren(dir_);
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(*children, std::vector<std::string>{"manifest"});
}

TEST_F(PosixEnvTest, WriteFileAtomicallyFailsWithoutTouchingTheTarget) {
  // The parent directory is missing: nothing can be written, and the error says so.
  const absl::Status s = WriteFileAtomically(env_, Path("missing/manifest"), "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

TEST_F(PosixEnvTest, RenameReplacesTheTarget) {
  WriteFile(Path("a"), "A");
  WriteFile(Path("b"), "B");
  ASSERT_TRUE(env_->RenameFile(Path("a"), Path("b")).ok());
  EXPECT_FALSE(env_->FileExists(Path("a")));
  EXPECT_EQ(*env_->ReadFileToString(Path("b")), "A");
  EXPECT_EQ(env_->RenameFile(Path("a"), Path("c")).code(), absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, ChildrenListsNamesWithoutDots) {
  WriteFile(Path("x"), "");
  WriteFile(Path("y"), "");
  ASSERT_TRUE(env_->CreateDir(Path("sub")).ok());
  auto children = env_->GetChildren(dir_);
  ASSERT_TRUE(children.ok());
  std::vector<std::string> names = *children;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"sub", "x", "y"}));
}

TEST_F(PosixEnvTest, CreateDirIsIdempotentAndRemoveDirNeedsEmpty) {
  ASSERT_TRUE(env_->CreateDir(Path("d")).ok());
  EXPECT_TRUE(env_->CreateDir(Path("d")).ok());
  EXPECT_TRUE(env_->SyncDir(Path("d")).ok());
  WriteFile(Path("d/f"), "x");
  EXPECT_EQ(env_->RemoveDir(Path("d")).code(), absl::StatusCode::kInternal);  // ENOTEMPTY
  ASSERT_TRUE(env_->RemoveFile(Path("d/f")).ok());
  EXPECT_TRUE(env_->RemoveDir(Path("d")).ok());
  EXPECT_FALSE(env_->FileExists(Path("d")));
}

TEST_F(PosixEnvTest, CreateDirOverAFileFails) {
  WriteFile(Path("f"), "x");
  EXPECT_EQ(env_->CreateDir(Path("f")).code(), absl::StatusCode::kInternal);
}

TEST_F(PosixEnvTest, TruncateShrinksAndExtendsWithZeros) {
  WriteFile(Path("f"), "abcdef");
  ASSERT_TRUE(env_->TruncateFile(Path("f"), 2).ok());
  EXPECT_EQ(*env_->ReadFileToString(Path("f")), "ab");
  ASSERT_TRUE(env_->TruncateFile(Path("f"), 4).ok());
  EXPECT_EQ(*env_->ReadFileToString(Path("f")), std::string("ab\0\0", 4));
  EXPECT_EQ(env_->TruncateFile(Path("missing"), 0).code(), absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, LockIsExclusiveUntilReleased) {
  auto first = env_->LockFile(Path("LOCK"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = env_->LockFile(Path("LOCK"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  first->reset();
  auto third = env_->LockFile(Path("LOCK"));
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_F(PosixEnvTest, FreeSpaceIsPositive) {
  auto free = env_->GetFreeSpace(dir_);
  ASSERT_TRUE(free.ok());
  EXPECT_GT(*free, 0u);
  EXPECT_EQ(env_->GetFreeSpace(Path("missing")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, ClocksAreSaneAndMonotonicDoesNotGoBack) {
  const int64_t now = env_->NowNanos();
  EXPECT_GT(now, int64_t{1'600'000'000} * 1'000'000'000);  // After 2020.
  const int64_t a = env_->MonotonicNanos();
  const int64_t b = env_->MonotonicNanos();
  EXPECT_LE(a, b);
}

TEST_F(PosixEnvTest, MissingFileIsNotFoundWithPathAndReason) {
  const std::string path = Path("missing");
  const absl::Status s = env_->ReadFileToString(path).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  EXPECT_THAT(std::string(s.message()), HasSubstr("No such file or directory"));
  EXPECT_EQ(env_->NewRandomAccessFile(path).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->GetFileSize(path).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->RemoveFile(path).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->GetChildren(path).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->SyncDir(path).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(env_->NewWritableFile(Path("missing/f")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PosixEnvTest, FullDeviceIsResourceExhausted) {
  // /dev/full fails every write with ENOSPC.
  if (!env_->FileExists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto file = env_->NewAppendableFile("/dev/full");
  ASSERT_TRUE(file.ok()) << file.status();
  const absl::Status s = (*file)->Append("data");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("/dev/full"));
}

TEST_F(PosixEnvTest, OtherErrorsAreInternal) {
  WriteFile(Path("file"), "x");
  // ENOTDIR: a file used as a directory.
  EXPECT_EQ(env_->NewWritableFile(Path("file/child")).status().code(), absl::StatusCode::kInternal);
  // EISDIR: a directory opened for writing.
  EXPECT_EQ(env_->NewWritableFile(dir_).status().code(), absl::StatusCode::kInternal);
  const absl::Status s = env_->ReadFileToString(dir_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), HasSubstr("Is a directory"));
}

}  // namespace
}  // namespace edgetsdb
