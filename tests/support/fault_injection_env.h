// FaultInjectionEnv: an in-memory Env that models what survives power loss, for crash and failure
// tests of everything that writes files. In the spirit of SQLite's test6.c and LevelDB's
// fault_injection_test.cc.
//
// The model:
// - Each file has the bytes readers see and the bytes that are durable. Sync() on any handle of
//   the file makes the first the second. Until then, appended (or truncated, or rewritten) bytes
//   exist only in the "page cache".
// - Each directory has its entries as readers see them and its durable entries. Creating,
//   renaming or removing an entry changes only the first; SyncDir(dir) makes them durable. A file
//   whose data was synced but whose directory entry was not vanishes in a crash.
// - SimulateCrash(mode) replaces the visible state with what a disk might hold after power loss,
//   then treats that as durable. Handles opened before the crash fail from then on (the process
//   that held them is gone).
// - A failed sync (FailNextSyncs) makes nothing durable and, like Linux since 4.13, marks the
//   file's unsynced bytes as lost: a later Sync() succeeds, but those bytes are zeros on "disk"
//   after a crash. This is why a writer must not retry a failed sync (env.h).
//
// Everything random comes from the seed, so a failing test replays exactly. Thread-safe, like
// every Env; the sync-point callback runs without the lock held and may call SimulateCrash.
//
// Not modelled: hard links, "..", permissions, writes that are neither appends nor truncations
// (WritableFile has none), and reordering within one file beyond the crash modes below.
#ifndef EDGETSDB_TESTS_SUPPORT_FAULT_INJECTION_ENV_H_
#define EDGETSDB_TESTS_SUPPORT_FAULT_INJECTION_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "db/env.h"

namespace edgetsdb::testing {

// What happens to file bytes that were not synced when the power went.
enum class CrashMode {
  // They vanish: each file is exactly its durable contents.
  kDropUnsynced,
  // Each file keeps a random prefix (possibly empty, possibly all) of its unsynced appended bytes:
  // a torn write.
  kKeepRandomPrefix,
  // They reach the disk as random bytes of the same length: sectors written half-way, or flash
  // pages that were being programmed.
  kGarbleUnsynced,
};

// What happens to directory entries (creations, renames, removals) not followed by SyncDir.
enum class DirCrashMode {
  kRevertUnsynced,  // They are undone: each directory is exactly its durable entries.
  kKeepAll,         // They all reached the disk (the file system happened to commit them).
};

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(uint64_t seed = 1);
  ~FaultInjectionEnv() override;

  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // Env. Paths are '/'-separated; empty components and "." are ignored, so "a//b" is "/a/b".
  // The root directory always exists.
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::string> ReadFileToString(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override;
  absl::Status CreateDir(const std::string& dir) override;
  absl::Status RemoveDir(const std::string& dir) override;
  absl::Status SyncDir(const std::string& dir) override;
  // capacity - used when a capacity is set (SetDiskCapacity), else 1 TiB.
  absl::StatusOr<uint64_t> GetFreeSpace(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  int64_t NowNanos() override;
  int64_t MonotonicNanos() override;

  // --- Crashes ---

  // Power loss now: see CrashMode and DirCrashMode. Afterwards the result is the durable state,
  // and every handle opened before fails with FailedPrecondition.
  void SimulateCrash(CrashMode mode, DirCrashMode dir_mode = DirCrashMode::kRevertUnsynced);

  // --- Injected failures ---

  // The next n calls of Sync() or SyncDir() fail with Internal (as fdatasync's EIO does) and make
  // nothing durable; see the header comment for what a failed file sync does to its bytes.
  void FailNextSyncs(int n);
  // Total bytes of all files may not exceed `bytes` (nullopt: unlimited). An Append or a growing
  // TruncateFile beyond it writes what fits and fails with ResourceExhausted, as write(2) does
  // with ENOSPC.
  void SetDiskCapacity(std::optional<uint64_t> bytes);
  // Bytes of all files reachable from the root, as readers see them.
  uint64_t UsedBytes();

  // --- Clock: starts at a fixed time and moves only when told ---

  void SetNowNanos(int64_t nanos);
  void SetMonotonicNanos(int64_t nanos);
  // Advances both clocks.
  void AdvanceClock(int64_t nanos);

  // --- Sync points ---

  // Every Sync() and SyncDir() call is a sync point, numbered from 1, whether or not it fails.
  uint64_t sync_points();
  // Called at each sync point with its number, before the sync takes effect. It may call
  // SimulateCrash: that sync then fails and never takes effect ("crash at sync point k").
  void SetSyncPointCallback(std::function<void(uint64_t sync_point)> callback);

  // --- Direct access for tests ---

  // Replaces path's contents with data, durably, as if written and synced long ago (the parent
  // directory entry included). For planting damaged files. The parent must exist.
  absl::Status SetFileContents(const std::string& path, std::string_view data);
  // What path would hold after a crash in kDropUnsynced mode (NotFound if the file would not
  // exist then, or does not exist now).
  absl::StatusOr<std::string> DurableContents(const std::string& path);

 private:
  struct Node;
  class File;
  class Reader;
  class Lock;
  friend class File;
  friend class Reader;
  friend class Lock;

  std::shared_ptr<Node> Lookup(const std::vector<std::string>& parts) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The directory that holds the last component of path, and that component.
  absl::StatusOr<std::shared_ptr<Node>> ParentDir(const std::string& path, std::string* name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<Node>> LookupFile(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t UsedBytesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bytes a file may still grow by before the disk is full.
  uint64_t Headroom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a sync point and runs the callback (without the lock).
  void RunSyncPoint() ABSL_LOCKS_EXCLUDED(mu_);
  // Consumes one injected sync failure if any is pending.
  bool TakeSyncFailure() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CrashFile(Node& file, CrashMode mode) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CrashDir(Node& dir, CrashMode mode, DirCrashMode dir_mode, std::set<const Node*>& seen)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::shared_ptr<Node> root_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  // Bumped by each crash; handles remember the generation they were opened in.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int failing_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<uint64_t> capacity_ ABSL_GUARDED_BY(mu_);
  int64_t now_nanos_ ABSL_GUARDED_BY(mu_);
  int64_t monotonic_nanos_ ABSL_GUARDED_BY(mu_);
  uint64_t sync_points_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(uint64_t)> sync_callback_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> locked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_SUPPORT_FAULT_INJECTION_ENV_H_
