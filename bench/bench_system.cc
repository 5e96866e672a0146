#include "bench/bench_system.h"

#include <malloc.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace edgetsdb::bench {
namespace {

namespace fs = std::filesystem;

struct Mount {
  std::string device, point, type;
};

std::optional<Mount> MountOf(const std::string& path) {
  std::error_code error;
  const fs::path absolute = fs::weakly_canonical(fs::absolute(path), error);
  if (error) return std::nullopt;
  std::ifstream mounts("/proc/self/mounts");
  std::optional<Mount> best;
  for (std::string line; std::getline(mounts, line);) {
    const std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() < 3) continue;
    const fs::path point(parts[1]);
    // Component-wise prefix test: "/var" contains "/var/lib" but not "/variable".
    auto [point_end, path_it] =
        std::mismatch(point.begin(), point.end(), absolute.begin(), absolute.end());
    if (point_end != point.end()) continue;
    if (!best || parts[1].size() >= best->point.size()) best = Mount{parts[0], parts[1], parts[2]};
  }
  return best;
}

}  // namespace

absl::StatusOr<ScratchDir> ScratchDir::Create(std::string_view prefix) {
  std::error_code error;
  const char* configured = std::getenv("EDGETSDB_BENCH_DIR");
  const fs::path parent = configured != nullptr && *configured != '\0'
                              ? fs::path(configured)
                              : fs::temp_directory_path(error);
  if (error) return absl::InternalError(absl::StrCat("no temporary directory: ", error.message()));
  std::string pattern = (parent / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a directory like ", pattern, ": ",
                                            std::generic_category().message(errno)));
  }
  return ScratchDir(std::move(pattern));
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ignored;  // Nothing to do about a leftover temporary directory.
  fs::remove_all(path_, ignored);
}

std::string FileSystemOf(const std::string& path) {
  const std::optional<Mount> mount = MountOf(path);
  if (!mount) return "unknown";
  return absl::StrCat(mount->type, " ", mount->device, " at ", mount->point);
}

bool IsMemoryFileSystem(const std::string& path) {
  const std::optional<Mount> mount = MountOf(path);
  return mount && (mount->type == "tmpfs" || mount->type == "ramfs");
}

uint64_t DirectoryBytes(const std::string& path) {
  std::error_code error;
  uint64_t bytes = 0;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code entry_error;
    if (it->is_regular_file(entry_error)) {
      const uintmax_t size = it->file_size(entry_error);
      if (!entry_error) bytes += size;
    }
  }
  return bytes;
}

int64_t WallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<uint64_t> ProcStatusBytes(std::string_view key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    std::string_view rest = line;
    if (!rest.starts_with(key) || rest.substr(key.size(), 1) != ":") continue;
    rest.remove_prefix(key.size() + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    uint64_t kib = 0;
    const auto result = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
    if (result.ec != std::errc()) return std::nullopt;
    return kib * 1024;  // The kernel prints "kB" and means KiB.
  }
  return std::nullopt;
}

bool ResetPeakRss() {
  // Freed heap that glibc keeps would otherwise count as the next phase's peak.
  ::malloc_trim(0);
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";  // proc(5): "reset the peak resident set size".
  clear_refs.flush();
  return clear_refs.good();
}

}  // namespace edgetsdb::bench
