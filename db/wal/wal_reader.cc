#include "db/wal/wal_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "compression/crc32c.h"

namespace edgetsdb {
namespace {

using compression::DecodeFixed32;
using compression::DecodeFixed64;

enum class RecordCheck {
  kValid,
  kTruncatedHeader,
  kZeroType,
  kLengthOverLimit,
  kTruncatedPayload,
  kChecksumMismatch,
};

struct Record {
  uint8_t type = 0;
  std::string_view payload;
  uint64_t size = 0;  // Header and payload.
};

// Checks the record that would start at pos (docs/format/wal.md, "A record is valid when").
// Cheapest tests first: the torn-tail scan calls this at every offset.
RecordCheck CheckRecord(std::string_view contents, uint64_t pos, Record* record) {
  if (contents.size() - pos < wal::kRecordHeaderSize) return RecordCheck::kTruncatedHeader;
  const char* p = contents.data() + pos;
  const uint8_t type = static_cast<uint8_t>(p[8]);
  if (type == wal::kZeroType) return RecordCheck::kZeroType;
  const uint32_t length = DecodeFixed32(p + 4);
  if (length > wal::kMaxPayloadSize) return RecordCheck::kLengthOverLimit;
  if (length > contents.size() - pos - wal::kRecordHeaderSize) {
    return RecordCheck::kTruncatedPayload;
  }
  // The CRC covers the type byte and the payload, which are contiguous.
  if (compression::crc32c::Value(p + 8, 1 + size_t{length}) != DecodeFixed32(p)) {
    return RecordCheck::kChecksumMismatch;
  }
  record->type = type;
  record->payload = std::string_view(p + wal::kRecordHeaderSize, length);
  record->size = wal::kRecordHeaderSize + length;
  return RecordCheck::kValid;
}

std::string Describe(RecordCheck check, std::string_view contents, uint64_t pos) {
  switch (check) {
    case RecordCheck::kValid:
      return "";
    case RecordCheck::kTruncatedHeader:
      return absl::StrCat("record header cut short (", contents.size() - pos, " of ",
                          wal::kRecordHeaderSize, " bytes)");
    case RecordCheck::kZeroType:
      return "record type 0 (zero-filled or never written)";
    case RecordCheck::kLengthOverLimit:
      return absl::StrCat("record length ", DecodeFixed32(contents.data() + pos + 4),
                          " over the limit of ", wal::kMaxPayloadSize);
    case RecordCheck::kTruncatedPayload:
      return absl::StrCat("record payload cut short (", DecodeFixed32(contents.data() + pos + 4),
                          " bytes declared, ", contents.size() - pos - wal::kRecordHeaderSize,
                          " present)");
    case RecordCheck::kChecksumMismatch:
      return "record checksum mismatch";
  }
  return "";
}

// Whether a valid record starts at any offset from `from` on. Used only to classify invalid bytes
// (docs/format/wal.md explains why records found this way are never replayed).
bool ValidRecordFrom(std::string_view contents, uint64_t from) {
  Record record;
  for (uint64_t pos = from; pos + wal::kRecordHeaderSize <= contents.size(); ++pos) {
    if (CheckRecord(contents, pos, &record) == RecordCheck::kValid) return true;
  }
  return false;
}

// Empty when the header is valid; otherwise why not.
std::string CheckHeader(std::string_view contents) {
  if (contents.size() < wal::kSegmentHeaderSize) {
    return absl::StrCat("segment header cut short (", contents.size(), " of ",
                        wal::kSegmentHeaderSize, " bytes)");
  }
  const char* p = contents.data();
  if (std::memcmp(p, wal::kSegmentMagic, sizeof wal::kSegmentMagic) != 0) {
    return "not a WAL segment (bad magic)";
  }
  if (compression::crc32c::Value(p, 16) != DecodeFixed32(p + 16)) {
    return "segment header checksum mismatch";
  }
  return "";
}

// After the CRC matched: a version or reserved bits this reader does not know were written on
// purpose, by a newer edgetsdb. Not damage, and never to be truncated or deleted.
absl::Status CheckVersion(std::string_view header) {
  const uint8_t version = static_cast<uint8_t>(header[4]);
  if (version != wal::kFormatVersion || header[5] != 0 || header[6] != 0 || header[7] != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "WAL segment of format version ", int{version}, " (reserved bytes ",
        int{static_cast<uint8_t>(header[5])}, ",", int{static_cast<uint8_t>(header[6])}, ",",
        int{static_cast<uint8_t>(header[7])}, "): this edgetsdb reads version ",
        int{wal::kFormatVersion}, " only"));
  }
  return absl::OkStatus();
}

// Makes a truncation durable: fdatasync flushes the new size.
absl::Status SyncFile(Env* env, const std::string& path) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  if (absl::Status s = (*file)->Sync(); !s.ok()) return s;
  return (*file)->Close();
}

}  // namespace

absl::StatusOr<SegmentParse> ParseSegment(std::string_view contents, uint64_t expected_segment,
                                          const WalRecordCallback& callback) {
  SegmentParse parse;
  parse.invalid_reason = CheckHeader(contents);
  if (!parse.invalid_reason.empty()) {
    parse.valid_record_follows = ValidRecordFrom(contents, 1);
    return parse;
  }
  if (absl::Status s = CheckVersion(contents); !s.ok()) return s;
  parse.segment = DecodeFixed64(contents.data() + 8);
  if (expected_segment != 0 && parse.segment != expected_segment) {
    parse.wrong_segment_number = true;
    parse.invalid_reason =
        absl::StrCat("header names segment ", parse.segment, ", not ", expected_segment);
    return parse;
  }
  parse.header_valid = true;

  uint64_t pos = wal::kSegmentHeaderSize;
  Record record;
  while (pos < contents.size()) {
    const RecordCheck check = CheckRecord(contents, pos, &record);
    if (check != RecordCheck::kValid) {
      parse.invalid_reason = Describe(check, contents, pos);
      parse.valid_record_follows = ValidRecordFrom(contents, pos + 1);
      break;
    }
    if (callback) {
      if (absl::Status s = callback(record.type, record.payload, WalPosition{parse.segment, pos});
          !s.ok()) {
        return s;
      }
    }
    ++parse.records;
    pos += record.size;
  }
  parse.valid_end = pos;
  return parse;
}

absl::StatusOr<WalReplayStats> ReplayWal(Env* env, const std::string& dir,
                                         const WalRecordCallback& callback,
                                         const WalReplayOptions& options) {
  absl::StatusOr<std::vector<std::string>> children = env->GetChildren(dir);
  if (!children.ok()) return children.status();
  std::vector<uint64_t> numbers;
  for (const std::string& name : *children) {
    if (std::optional<uint64_t> number = wal::ParseSegmentFileName(name)) {
      numbers.push_back(*number);
    }
  }
  std::sort(numbers.begin(), numbers.end());

  WalReplayStats stats;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const uint64_t number = numbers[i];
    const bool highest = i + 1 == numbers.size();
    if (i > 0 && number != numbers[i - 1] + 1) {
      stats.damage.push_back(WalDamage{
          .segment_file = wal::SegmentFileName(numbers[i - 1] + 1),
          .offset = 0,
          .bytes_skipped = 0,
          .reason = absl::StrCat("segments ", numbers[i - 1] + 1, " to ", number - 1, " missing"),
      });
    }
    const std::string name = wal::SegmentFileName(number);
    const std::string path = absl::StrCat(dir, "/", name);
    // Whole-file read: the size comes from the file system, never from a length field.
    absl::StatusOr<std::string> contents = env->ReadFileToString(path);
    if (!contents.ok()) return contents.status();
    ++stats.segments;

    bool callback_failed = false;
    absl::StatusOr<SegmentParse> parse =
        ParseSegment(*contents, number,
                     [&](uint8_t type, std::string_view payload, const WalPosition& position) {
                       absl::Status s = callback(type, payload, position);
                       callback_failed = !s.ok();
                       return s;
                     });
    if (!parse.ok()) {
      if (callback_failed) return parse.status();  // The caller's own error, unchanged.
      return absl::Status(parse.status().code(),
                          absl::StrCat(path, ": ", std::string(parse.status().message())));
    }
    stats.records += parse->records;
    const uint64_t size = contents->size();
    if (parse->clean(size)) continue;

    const bool torn_tail = highest && !parse->valid_record_follows && !parse->wrong_segment_number;
    if (!torn_tail) {
      stats.damage.push_back(WalDamage{
          .segment_file = name,
          .offset = parse->valid_end,
          .bytes_skipped = size - parse->valid_end,
          .reason = parse->invalid_reason,
      });
      continue;
    }
    stats.torn_tail_bytes += size - parse->valid_end;
    if (!options.repair_torn_tail) continue;
    if (!parse->header_valid) {
      // Created but never completed before the crash, so it holds no acknowledged record. Deleted
      // rather than emptied: every segment file then has a valid header, and a header-less
      // segment between others is damage.
      if (absl::Status s = env->RemoveFile(path); !s.ok()) return s;
      if (absl::Status s = env->SyncDir(dir); !s.ok()) return s;
    } else {
      // Durable before a new segment follows this one; otherwise a crash could restore the tail
      // in what is then no longer the highest segment, where it would read as damage.
      if (absl::Status s = env->TruncateFile(path, parse->valid_end); !s.ok()) return s;
      if (absl::Status s = SyncFile(env, path); !s.ok()) return s;
    }
  }
  return stats;
}

}  // namespace edgetsdb
