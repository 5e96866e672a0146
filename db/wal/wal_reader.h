// Replays the write-ahead log (docs/format/wal.md) at startup, telling a torn tail (the expected
// remains of a crash: truncated and counted) from damage (reported with file and offset, and
// survived: only the rest of the damaged segment is lost).
#ifndef EDGETSDB_DB_WAL_WAL_READER_H_
#define EDGETSDB_DB_WAL_WAL_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/env.h"
#include "db/wal/wal_format.h"

namespace edgetsdb {

// Called once per valid record, in log order. `payload` is valid only during the call. Any type
// but 0 can arrive: the callback applies the required/optional rule of the format for types it
// does not know. Returning an error stops the replay, which returns that error.
using WalRecordCallback = std::function<absl::Status(uint8_t type, std::string_view payload,
                                                     const WalPosition& position)>;

// Bytes that are neither a valid record nor a torn tail. Everything from `offset` to the end of
// the file was skipped; later segments were still replayed.
struct WalDamage {
  std::string segment_file;  // File name within the WAL directory, e.g. "00000003.wal".
  uint64_t offset = 0;       // First byte that does not start a valid record (0: the header).
  uint64_t bytes_skipped = 0;
  std::string reason;  // What is wrong at `offset`, for the operator.
};

struct WalReplayStats {
  uint64_t records = 0;          // Records passed to the callback.
  uint64_t segments = 0;         // Segment files read.
  uint64_t torn_tail_bytes = 0;  // Bytes cut off the end of the highest segment.
  std::vector<WalDamage> damage;
};

struct WalReplayOptions {
  // Truncate a torn tail (or delete a highest segment whose header is torn) and sync, so that the
  // next writer's segment follows a clean one. Off for read-only inspection.
  bool repair_torn_tail = true;
};

// Reads every segment in dir in ascending order and calls callback for each valid record.
// Returns the stats; damage is reported in them, not as an error. Errors: NotFound if dir does not
// exist, the Env's I/O errors, the callback's error, or FailedPrecondition for a segment of a
// newer format version. On error the replay stops and nothing more is repaired.
// Memory: one segment file at a time.
[[nodiscard]] absl::StatusOr<WalReplayStats> ReplayWal(Env* env, const std::string& dir,
                                                       const WalRecordCallback& callback,
                                                       const WalReplayOptions& options = {});

// The parse of one segment file's bytes, on which ReplayWal decides "clean", "torn tail" or
// "damage". Exposed for the fuzz target and for inspection tools.
struct SegmentParse {
  bool header_valid = false;  // Magic, version, reserved bytes and header CRC are right.
  // The header is valid but names another segment than expected: the file as a whole is damage.
  bool wrong_segment_number = false;
  uint64_t segment = 0;  // From the header, when header_valid or wrong_segment_number.
  uint64_t records = 0;  // Records passed to the callback.
  // End of the valid prefix (header and records): the file size when the segment is clean, 0 when
  // the header is not valid.
  uint64_t valid_end = 0;
  // Why the bytes at valid_end are not a valid record; empty when the segment is clean.
  std::string invalid_reason;
  // A valid record starts at some offset after valid_end: the invalid bytes are not a torn tail.
  bool valid_record_follows = false;

  bool clean(uint64_t size) const { return header_valid && valid_end == size; }
};

// Parses one segment's bytes, calling callback for each record of its valid prefix (callback may
// be empty). expected_segment is the number the file name gives, or 0 to accept any. Errors: the
// callback's, if it stops the parse; FailedPrecondition for a header with a good checksum but a
// version or reserved bits this reader does not know (a newer edgetsdb wrote it). Any other bytes
// parse.
[[nodiscard]] absl::StatusOr<SegmentParse> ParseSegment(std::string_view contents,
                                                        uint64_t expected_segment,
                                                        const WalRecordCallback& callback);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_WAL_WAL_READER_H_
