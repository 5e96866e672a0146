// The POSIX Env: the only file in db/ that makes file system calls.
//
// Choices that matter for power loss on small flash disks:
// - Appends go straight to write(2), unbuffered: a WritableFile's contents are what the kernel
//   has, so Sync() needs no flush step that could fail halfway, and a crash of the process (not
//   the machine) loses nothing that Append acknowledged.
// - Sync() is fdatasync(2): it flushes the data and the size, not the timestamps, which saves a
//   journal write per sync on ext4.
// - Directory entries are made durable by fsync(2) of the directory (SyncDir); callers decide
//   when, since each costs a flash write.
// - EINTR is retried everywhere except close(2), where Linux has already released the descriptor.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "db/env.h"

namespace edgetsdb {
namespace {

// Maps errno to the canonical code a caller acts on (env.h): NotFound, ResourceExhausted for a
// full disk or quota, Internal for everything else (EIO above all).
absl::Status PosixError(std::string_view operation, const std::string& path, int err) {
  std::string message = absl::StrCat(std::string(operation), " ", path, ": ", std::strerror(err),
                                     " (errno ", err, ")");
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

// Retries a system call that failed with EINTR; returns its result otherwise.
template <typename F>
auto RetryOnEintr(F call) {
  decltype(call()) result;
  do {
    result = call();
  } while (result == -1 && errno == EINTR);
  return result;
}

int OpenFile(const std::string& path, int flags, mode_t mode = 0644) {
  return RetryOnEintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("append to closed ", path_));
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      // A short write is not an error: the rest follows, or the next write reports why not.
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("sync of closed ", path_));
    // Retrying on EINTR is safe: the call was interrupted before it reported an outcome. Any other
    // failure is returned once; the caller must not sync this file again (env.h).
    if (RetryOnEintr([&] { return ::fdatasync(fd_); }) != 0) {
      return PosixError("fdatasync", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    const int fd = std::exchange(fd_, -1);
    // No retry on EINTR: Linux has released the descriptor, and it may already be reused.
    if (::close(fd) != 0 && errno != EINTR) return PosixError("close", path_, errno);
    return absl::OkStatus();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  absl::Status Read(uint64_t offset, size_t n, char* scratch,
                    std::string_view* result) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = std::string_view();
        return PosixError("pread", path_, errno);
      }
      if (r == 0) break;  // End of file.
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return absl::OkStatus();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  const int fd_;
  const uint64_t size_;
};

class PosixFileLock final : public Env::FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the flock.
  ~PosixFileLock() override { ::close(fd_); }

 private:
  const int fd_;
};

// Parent directory of path, for syncing it after a rename.

// Opens path and reports its size, closing it again if the size cannot be read.
absl::StatusOr<int> OpenWithSize(const std::string& path, int flags, uint64_t* size) {
  const int fd = OpenFile(path, flags);
  if (fd < 0) return PosixError("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return PosixError("fstat", path, err);
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    const int fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return PosixError("open", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd, 0);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    uint64_t size = 0;
    const absl::StatusOr<int> fd = OpenWithSize(path, O_WRONLY | O_CREAT | O_APPEND, &size);
    if (!fd.ok()) return fd.status();
    return std::make_unique<PosixWritableFile>(path, *fd, size);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    uint64_t size = 0;
    const absl::StatusOr<int> fd = OpenWithSize(path, O_RDONLY, &size);
    if (!fd.ok()) return fd.status();
    return std::make_unique<PosixRandomAccessFile>(path, *fd, size);
  }

  absl::StatusOr<std::string> ReadFileToString(const std::string& path) override {
    const int fd = OpenFile(path, O_RDONLY);
    if (fd < 0) return PosixError("open", path, errno);
    std::string contents;
    // Grow by reading rather than trusting st_size, which can change while we read.
    constexpr size_t kChunk = 64 * 1024;
    while (true) {
      const size_t old_size = contents.size();
      contents.resize(old_size + kChunk);
      const ssize_t r = ::read(fd, contents.data() + old_size, kChunk);
      if (r < 0) {
        if (errno == EINTR) {
          contents.resize(old_size);
          continue;
        }
        const int err = errno;
        ::close(fd);
        return PosixError("read", path, err);
      }
      contents.resize(old_size + static_cast<size_t>(r));
      if (r == 0) break;
    }
    ::close(fd);
    return contents;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (const struct dirent* entry = ::readdir(d)) {
      const std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError("readdir", dir, err);
    return names;
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", absl::StrCat(from, " to ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    if (RetryOnEintr([&] { return ::truncate(path.c_str(), static_cast<off_t>(size)); }) != 0) {
      return PosixError("truncate", path, errno);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      const int err = errno;
      struct stat st;
      if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return absl::OkStatus();
      }
      return PosixError("mkdir", dir, err);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError("rmdir", dir, errno);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return PosixError("open", dir, errno);
    absl::Status status;
    if (RetryOnEintr([&] { return ::fsync(fd); }) != 0) status = PosixError("fsync", dir, errno);
    ::close(fd);
    return status;
  }

  absl::StatusOr<uint64_t> GetFreeSpace(const std::string& path) override {
    struct statvfs st;
    if (RetryOnEintr([&] { return ::statvfs(path.c_str(), &st); }) != 0) {
      return PosixError("statvfs", path, errno);
    }
    // f_bavail, not f_bfree: the blocks reserved for root are not ours to fill.
    return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const int fd = OpenFile(path, O_RDWR | O_CREAT);
    if (fd < 0) return PosixError("open", path, errno);
    // flock, not fcntl: fcntl locks belong to the process, so a second Db::Open in the same
    // process would succeed, and closing any descriptor of the file would drop the lock.
    if (RetryOnEintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return absl::UnavailableError(
            absl::StrCat("lock ", path, ": held by another process or Db instance"));
      }
      return PosixError("flock", path, err);
    }
    return std::make_unique<PosixFileLock>(fd);
  }

  int64_t NowNanos() override { return ClockNanos(CLOCK_REALTIME); }
  int64_t MonotonicNanos() override { return ClockNanos(CLOCK_MONOTONIC); }

 private:
  static int64_t ClockNanos(clockid_t clock) {
    struct timespec ts;
    ::clock_gettime(clock, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
};

}  // namespace

std::string ParentDirectory(const std::string& path) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;  // "a/wal/" is "a/wal".
  const size_t slash = path.find_last_of('/', end - 1);
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Env* Env::Default() {
  // Leaked on purpose: file objects may outlive static destruction order.
  static Env* const env = new PosixEnv;
  return env;
}

// Generic over Env, and here because it is the one place that knows the publishing protocol.
absl::Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(tmp);
    if (!file.ok()) return file.status();
    if (absl::Status s = (*file)->Append(data); !s.ok()) return s;
    if (absl::Status s = (*file)->Sync(); !s.ok()) return s;
    if (absl::Status s = (*file)->Close(); !s.ok()) return s;
    return env->RenameFile(tmp, path);
  }();
  if (!status.ok()) {
    // Best effort: a stray .tmp is also removed at the next open.
    (void)env->RemoveFile(tmp);
    return status;
  }
  // After the rename the new contents are visible; the directory sync makes the rename survive
  // power loss. If it fails, the caller must not assume either version is durable.
  return env->SyncDir(ParentDirectory(path));
}

}  // namespace edgetsdb
