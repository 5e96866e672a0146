// What the storage-engine benchmarks need from the machine: a scratch data directory on the disk
// the figures are meant for, what that disk is, how many bytes a directory holds, and how much
// memory the process uses.
#ifndef EDGETSDB_BENCH_BENCH_SYSTEM_H_
#define EDGETSDB_BENCH_BENCH_SYSTEM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "edgetsdb/write_batch.h"

namespace edgetsdb::bench {

// A fresh, empty directory, removed with everything in it on destruction. It is made under
// $EDGETSDB_BENCH_DIR when set, else under the system's temporary directory ($TMPDIR or /tmp).
// Benchmarks of a write path must not run on tmpfs, where fsync costs nothing: check
// FileSystemOf(path()).
class ScratchDir {
 public:
  static absl::StatusOr<ScratchDir> Create(std::string_view prefix);
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// "ext4 /dev/vda at /": the file system holding path, from /proc/self/mounts (the longest mount
// point that contains it). "unknown" when that cannot be read.
std::string FileSystemOf(const std::string& path);
// Whether that file system keeps data in memory only (tmpfs, ramfs), so fsync is free.
bool IsMemoryFileSystem(const std::string& path);

// Apparent bytes of every regular file under path (recursively), as `du --apparent-size -b` counts
// them; 0 when path does not exist.
uint64_t DirectoryBytes(const std::string& path);

// Nanoseconds since the Unix epoch, by the system clock: the engine's idea of now, which decides
// what is old enough to compact.
int64_t WallClockNs();

// A "VmRSS:"-style line of /proc/self/status in bytes, e.g. ProcStatusBytes("VmHWM") for the peak
// resident set. nullopt when absent (not Linux).
std::optional<uint64_t> ProcStatusBytes(std::string_view key);

// Returns freed heap to the system, then resets VmHWM to the current VmRSS (Linux 4.0+,
// /proc/self/clear_refs), so that a peak can be measured per phase of one process. False when the
// kernel refuses.
bool ResetPeakRss();

}  // namespace edgetsdb::bench

#endif  // EDGETSDB_BENCH_BENCH_SYSTEM_H_
