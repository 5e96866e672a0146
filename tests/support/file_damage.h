// Ways a disk damages a file, for table-driven corruption tests of the files the engine writes
// (WAL segments, blocks): a flipped bit, a file cut short, a sector that reads back as zeros.
// Each variant names itself for failure messages; Apply makes the damaged copy.
#ifndef EDGETSDB_TESTS_SUPPORT_FILE_DAMAGE_H_
#define EDGETSDB_TESTS_SUPPORT_FILE_DAMAGE_H_

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace edgetsdb::testing {

// The unit that flash and disks write and lose as a whole.
inline constexpr uint64_t kSectorBytes = 4096;

struct FileDamage {
  enum class Kind { kFlipBit, kTruncate, kZeroSector };
  Kind kind = Kind::kFlipBit;
  // kFlipBit: the byte (and bit 0..7); kTruncate: the new size; kZeroSector: the sector's first
  // byte, a multiple of kSectorBytes (a sector past the end is cut at the end).
  uint64_t offset = 0;
  int bit = 0;

  static FileDamage FlipBit(uint64_t offset, int bit) { return {Kind::kFlipBit, offset, bit}; }
  static FileDamage Truncate(uint64_t size) { return {Kind::kTruncate, size, 0}; }
  static FileDamage ZeroSector(uint64_t sector) {
    return {Kind::kZeroSector, sector * kSectorBytes, 0};
  }

  std::string Apply(std::string file) const {
    switch (kind) {
      case Kind::kFlipBit:
        file[offset] = static_cast<char>(file[offset] ^ (1 << bit));
        break;
      case Kind::kTruncate:
        file.resize(std::min<uint64_t>(offset, file.size()));
        break;
      case Kind::kZeroSector:
        std::fill(file.begin() + offset,
                  file.begin() + std::min<uint64_t>(offset + kSectorBytes, file.size()), '\0');
        break;
    }
    return file;
  }

  std::string Describe() const {
    switch (kind) {
      case Kind::kFlipBit:
        return absl::StrCat("bit ", bit, " of byte ", offset, " flipped");
      case Kind::kTruncate:
        return absl::StrCat("cut to ", offset, " bytes");
      case Kind::kZeroSector:
        return absl::StrCat("4 KiB sector at ", offset, " zeroed");
    }
    return "";
  }
};

// [begin, end) of the bytes that differ between a file and its damaged copy, where a shorter copy
// differs from its size on; begin == end when they are equal.
struct ChangedRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

inline ChangedRange Changed(const std::string& original, const std::string& damaged) {
  const uint64_t common = std::min(original.size(), damaged.size());
  uint64_t begin = 0;
  while (begin < common && original[begin] == damaged[begin]) ++begin;
  if (begin == common && original.size() == damaged.size()) return {begin, begin};
  uint64_t end = std::max(original.size(), damaged.size());
  if (original.size() == damaged.size()) {
    while (end > begin && original[end - 1] == damaged[end - 1]) --end;
  }
  return {begin, end};
}

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_SUPPORT_FILE_DAMAGE_H_
