// Env: the one seam through which the storage engine touches files and clocks, so that tests can
// substitute an Env that injects short writes, EIO, ENOSPC and crashes (LevelDB's design). Nothing
// in db/ calls open/write/fsync/rename directly; only db/posix_env.cc does.
//
// Every method returns a Status: NotFound for missing files, ResourceExhausted for a full disk
// (ENOSPC, EDQUOT), Internal for other I/O errors, with the path and errno text in the message.
// Implementations are thread-safe; file objects are used by one thread at a time.
#ifndef EDGETSDB_DB_ENV_H_
#define EDGETSDB_DB_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgetsdb {

// A file written sequentially. Data is durable only after Sync() returns OK; a failed Sync leaves
// the file's durable contents unknown, and callers must not retry on the same file (a later
// fsync can report success for pages the kernel already dropped).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(std::string_view data) = 0;
  // Flushes to the device (fdatasync): what was appended before survives a crash or power loss.
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
  // Bytes appended so far, including those at open for an appendable file.
  virtual uint64_t Size() const = 0;
};

// A file read at arbitrary offsets.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; *result views what was read (fewer bytes at the
  // end of the file).
  virtual absl::Status Read(uint64_t offset, size_t n, char* scratch,
                            std::string_view* result) const = 0;
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  // Creates or truncates.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens for appending, creating it if missing.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual absl::StatusOr<std::string> ReadFileToString(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries in dir.
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  // The new size is durable only after Sync() of a handle on the file (NewAppendableFile then
  // Sync: fdatasync flushes the size).
  virtual absl::Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Creates dir if missing (not its parents).
  virtual absl::Status CreateDir(const std::string& dir) = 0;
  virtual absl::Status RemoveDir(const std::string& dir) = 0;
  // Makes creations, renames and removals in dir durable (fsync of the directory).
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  // Bytes available to an unprivileged writer on the file system holding path.
  virtual absl::StatusOr<uint64_t> GetFreeSpace(const std::string& path) = 0;

  // Takes an exclusive advisory lock on path (created if missing) so that two processes do not
  // open one data directory; the lock is released when the returned object is destroyed. Two
  // locks on one path conflict even within a process. Unavailable when the lock is held.
  class FileLock {
   public:
    virtual ~FileLock() = default;
  };
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Wall-clock time in nanoseconds since the Unix epoch, and a monotonic clock for intervals.
  virtual int64_t NowNanos() = 0;
  virtual int64_t MonotonicNanos() = 0;
};

// The directory holding path ("." for a bare name, "/" for a file in the root): the one to sync
// after creating, renaming or removing path.
std::string ParentDirectory(const std::string& path);

// Writes data to path atomically and durably: path.tmp is written and synced, renamed over path,
// and the directory synced. Readers see the old file or the new one, never a mix, even after a
// crash; a stray .tmp left by a crash is removed by the engine at open.
absl::Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_ENV_H_
