// WalWriter appends records to the write-ahead log (docs/format/wal.md): a directory of numbered
// segment files, each rolled at a target size.
//
// Durability contract:
// - AddRecord only appends (one write(2), no sync). Sync() makes every record added so far durable;
//   a caller acknowledges a write only after a Sync() that followed its AddRecord returned OK.
//   Several AddRecord calls may share one Sync() (group commit): a sync costs 2 to 5 ms on SD cards
//   and eMMC and wears the flash.
// - A segment's file and directory entry are durable before any record in it can be
//   acknowledged, and a segment is synced and closed before the next one is created, so only the
//   highest segment can end in a torn tail.
// - Sticky failure: once an append, sync, roll or directory sync fails, the file's durable contents
//   are unknown, and every later call returns that first error (with its code: Internal for EIO,
//   ResourceExhausted for a full disk). The writer never retries a sync on the same file, since
//   Linux may report a later sync as successful for pages it already dropped. The owner must stop
//   acknowledging writes, and may reopen (replay, then a new writer in a new segment) once the
//   cause is fixed.
//
// Use: ReplayWal (wal_reader.h) first, so that a torn tail left by a crash is truncated; then Open,
// which starts a new segment after the highest existing one and never appends to an old one.
//
// Not thread-safe: the engine serializes calls (one writer per log).
#ifndef EDGETSDB_DB_WAL_WAL_WRITER_H_
#define EDGETSDB_DB_WAL_WAL_WRITER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/env.h"
#include "db/wal/wal_format.h"

namespace edgetsdb {

struct WalOptions {
  // A new segment starts when the next record would take the current one past this many bytes
  // (a record larger than that goes alone in its own, larger, segment). At least 64 bytes.
  uint64_t segment_size = wal::kDefaultSegmentSize;
};

class WalWriter {
 public:
  // Creates dir if missing (and syncs its parent so that it survives power loss), then creates
  // segment (highest existing + 1), or 1 in an empty directory, durably. InvalidArgument for a
  // segment_size below 64; otherwise the Env's errors. env must outlive the writer.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WalWriter>> Open(Env* env, std::string dir,
                                                                       WalOptions options = {});

  // Closes the current segment without syncing it: records added since the last Sync() may be
  // lost in a crash, exactly as if the process had died.
  ~WalWriter();

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends one record and returns where it starts. Not durable until Sync(). Rolls to a new
  // segment first when the record would take the current one past segment_size.
  // InvalidArgument (and nothing written, writer still usable) for type 0 or a payload over
  // wal::kMaxPayloadSize. Any I/O error is sticky (see above).
  [[nodiscard]] absl::StatusOr<WalPosition> AddRecord(uint8_t type, std::string_view payload);

  // Makes every record added so far durable (fdatasync). Does nothing when nothing was added since
  // the last successful Sync(). Errors are sticky.
  [[nodiscard]] absl::Status Sync();

  // Syncs and closes the current segment and starts the next one durably. Records already added
  // become durable. Errors are sticky.
  [[nodiscard]] absl::Status Roll();

  // Deletes the segments numbered below `segment` (never the current one), lowest first, with a
  // directory sync after each removal so that a crash cannot leave a gap in the numbering (which
  // ReplayWal would report as damage). A failed removal is returned and can be retried; a failed
  // directory sync is sticky.
  [[nodiscard]] absl::Status RemoveSegmentsBefore(uint64_t segment);

  // Syncs and closes the current segment. Later calls return FailedPrecondition (or the sticky
  // error that Close returned).
  [[nodiscard]] absl::Status Close();

  // Bytes of all live segments, including what was added but not synced: what the log takes of
  // the disk budget.
  uint64_t TotalBytes() const { return total_bytes_; }
  // The segment that AddRecord appends to.
  uint64_t current_segment() const { return current_segment_; }
  // OK, or the sticky error.
  const absl::Status& status() const { return status_; }

 private:
  WalWriter(Env* env, std::string dir, WalOptions options);

  // Creates segment `number` with its header, syncs it and the directory.
  absl::Status StartSegment(uint64_t number);
  // Syncs (if needed) and closes the current segment.
  absl::Status FinishSegment();
  // Records the first failure; every later call returns it.
  absl::Status Fail(absl::Status status);
  std::string SegmentPath(uint64_t number) const;

  Env* const env_;
  const std::string dir_;
  const WalOptions options_;

  std::unique_ptr<WritableFile> file_;
  uint64_t current_segment_ = 0;
  uint64_t segment_bytes_ = 0;                  // Size of the current segment, header included.
  uint64_t synced_bytes_ = 0;                   // Prefix of the current segment known durable.
  std::map<uint64_t, uint64_t> segment_sizes_;  // Every live segment, by number.
  uint64_t total_bytes_ = 0;
  std::string record_;  // Reused buffer: header and payload go out in one write.
  absl::Status status_;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_WAL_WAL_WRITER_H_
