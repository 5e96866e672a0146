// Where the engine keeps its files inside a data directory, and the per-database metadata file
// (docs/format/storage.md):
//
//   DATA/LOCK                                   one process per data directory
//   DATA/wal/<segment>.wal                      the write-ahead log of every database
//   DATA/db/<dir>/database.meta                 name, retention, where its log replay starts
//   DATA/db/<dir>/blocks/<start>-<end>-<seq>.blk
//   DATA/db/<dir>/quarantine/                   damaged blocks set aside at open
//
// <dir> is the database name with every byte outside [A-Za-z0-9_-] written as %XX, so any name
// is a safe, reversible directory name.
#ifndef EDGETSDB_DB_STORAGE_LAYOUT_H_
#define EDGETSDB_DB_STORAGE_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/env.h"

namespace edgetsdb {

// Database names are 1 to this many bytes: escaped, the longest stays under NAME_MAX (255).
inline constexpr size_t kMaxDatabaseNameBytes = 64;

inline constexpr char kLockFileName[] = "LOCK";
inline constexpr char kWalDirName[] = "wal";
inline constexpr char kDatabasesDirName[] = "db";
inline constexpr char kDatabaseMetaName[] = "database.meta";
inline constexpr char kBlocksDirName[] = "blocks";
inline constexpr char kQuarantineDirName[] = "quarantine";

// InvalidArgument unless 1 <= size <= kMaxDatabaseNameBytes.
absl::Status CheckDatabaseName(std::string_view name);

std::string EscapeDatabaseName(std::string_view name);
// nullopt for a string EscapeDatabaseName cannot have produced.
std::optional<std::string> UnescapeDatabaseName(std::string_view dir_name);

std::string DatabasesDir(const std::string& data_dir);
std::string DatabaseDir(const std::string& data_dir, std::string_view name);
std::string BlocksDir(const std::string& database_dir);
std::string QuarantineDir(const std::string& database_dir);

// The contents of database.meta.
struct DatabaseMeta {
  std::string name;
  int64_t retention_ns = 0;  // 0: keep until the disk budget needs the room.
  // Log records for this database in segments below this are already in its blocks (or were
  // before it was created): replay skips them.
  uint64_t replay_from_segment = 0;

  friend bool operator==(const DatabaseMeta&, const DatabaseMeta&) = default;
};

std::string EncodeDatabaseMeta(const DatabaseMeta& meta);
// DataLoss for damage (bad magic, CRC, trailing bytes), FailedPrecondition for a newer version.
absl::StatusOr<DatabaseMeta> DecodeDatabaseMeta(std::string_view bytes);

// Reads DATA/db/<dir>/database.meta.
absl::StatusOr<DatabaseMeta> ReadDatabaseMeta(Env* env, const std::string& database_dir);
// Replaces it atomically and durably (WriteFileAtomically).
absl::Status WriteDatabaseMeta(Env* env, const std::string& database_dir, const DatabaseMeta& meta);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_STORAGE_LAYOUT_H_
