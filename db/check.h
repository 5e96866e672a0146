// CheckDataDir: verifies every checksum in a data directory without opening it as a Db
// (`edgetsdb check`). It reads only: it takes no lock, repairs nothing and writes nothing, so it is
// safe next to a running server (whose log may then show a torn tail in its highest segment).
//
// What it reads (db/storage_layout.h):
// - every WAL segment: header, every record's CRC, and the payloads of the record types the engine
//   writes (a write batch must decode, a catalog change must parse); a torn tail in the highest
//   segment is reported as such, not as damage (docs/format/wal.md), and a gap in the numbering
//   is damage;
// - every database.meta (and that it names its own directory; a missing one is what a crash
//   during a database's creation leaves, and is not damage);
// - every block, whole (VerifyBlock: index, frames, every chunk's CRC and streams);
// - quarantine/ and *.tmp files are listed, not read: the engine already set the first aside and
//   removes the second at its next open.
#ifndef EDGETSDB_DB_CHECK_H_
#define EDGETSDB_DB_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "db/env.h"

namespace edgetsdb {

enum class CheckedFileKind : uint8_t { kWalSegment, kDatabaseMeta, kBlock };

enum class CheckedFileState : uint8_t {
  kOk,
  // The highest WAL segment ends in the remains of a write cut short by a crash: never
  // acknowledged, so not damage; the next open truncates it.
  kTornTail,
  // Checksum mismatch, undecodable content, a missing WAL segment, a database.meta that names
  // another database.
  kDamaged,
  // Written by a newer edgetsdb (a format version this one does not know): not verified.
  kUnsupported,
  // An I/O error other than "not found" (EIO on a failing card, a permission).
  kUnreadable,
  // In a database's quarantine/: damage the engine found and set aside at open. Not read.
  kQuarantined,
  // An unfinished *.tmp left by a crash; the engine removes it at its next open. Not read.
  kTemporary,
};

std::string_view CheckedFileStateName(CheckedFileState state);

struct FileProblem {
  // Where the damage starts in the file, when known: the first bad byte in a WAL segment, the
  // start of the frame holding a damaged chunk in a block.
  std::optional<uint64_t> offset;
  std::string reason;
};

struct CheckedFile {
  std::string path;  // Relative to the data directory, e.g. "wal/00000003.wal".
  CheckedFileKind kind = CheckedFileKind::kWalSegment;
  CheckedFileState state = CheckedFileState::kOk;
  uint64_t bytes = 0;
  // Why the state is not kOk, first problem first. A block lists up to BlockCheck::kMaxListed
  // damaged chunks; `problem_count` counts all of them.
  std::vector<FileProblem> problems;
  uint64_t problem_count = 0;
};

struct DataDirCheck {
  std::string data_dir;
  std::vector<CheckedFile> files;  // WAL segments in order, then each database's files.
  // What was read (files listed but not read, and missing segments, are not counted).
  uint64_t wal_segments = 0;
  uint64_t wal_records = 0;  // Valid records.
  uint64_t database_metas = 0;
  uint64_t blocks = 0;
  uint64_t block_chunks = 0;  // Damaged ones included.

  size_t Count(CheckedFileState state) const;
  // No file is damaged, unsupported or unreadable (torn tails, quarantined and temporary files
  // are not problems).
  bool ok() const;
};

// Checks the data directory at data_dir. Damage is reported in the result, file by file; a file
// removed while the check runs (a compaction next to it) is left out. Errors: NotFound when
// data_dir does not exist; the Env's error when a directory cannot be listed.
[[nodiscard]] absl::StatusOr<DataDirCheck> CheckDataDir(Env* env, const std::string& data_dir);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_CHECK_H_
