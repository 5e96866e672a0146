#include "db/wal/wal_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "compression/crc32c.h"

namespace edgetsdb {
namespace {

// A segment must hold its header and at least one small record.
constexpr uint64_t kMinSegmentSize = 64;
static_assert(kMinSegmentSize >= wal::kSegmentHeaderSize + wal::kRecordHeaderSize);

}  // namespace

WalWriter::WalWriter(Env* env, std::string dir, WalOptions options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

WalWriter::~WalWriter() {
  if (file_ != nullptr) (void)file_->Close();
}

absl::StatusOr<std::unique_ptr<WalWriter>> WalWriter::Open(Env* env, std::string dir,
                                                           WalOptions options) {
  if (options.segment_size < kMinSegmentSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("WAL segment_size ", options.segment_size, " is below ", kMinSegmentSize));
  }
  if (!env->FileExists(dir)) {
    if (absl::Status s = env->CreateDir(dir); !s.ok()) return s;
    // Without this a crash could take the directory, and every acknowledged record in it, away.
    if (absl::Status s = env->SyncDir(ParentDirectory(dir)); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<std::string>> children = env->GetChildren(dir);
  if (!children.ok()) return children.status();

  std::unique_ptr<WalWriter> writer(new WalWriter(env, std::move(dir), options));
  for (const std::string& name : *children) {
    const std::optional<uint64_t> number = wal::ParseSegmentFileName(name);
    if (!number.has_value()) continue;
    absl::StatusOr<uint64_t> size = env->GetFileSize(writer->SegmentPath(*number));
    if (!size.ok()) return size.status();
    writer->segment_sizes_[*number] = *size;
    writer->total_bytes_ += *size;
  }
  const uint64_t highest =
      writer->segment_sizes_.empty() ? 0 : writer->segment_sizes_.rbegin()->first;
  if (highest == UINT64_MAX) {
    return absl::FailedPreconditionError(
        absl::StrCat("WAL ", writer->dir_, ": segment numbers exhausted"));
  }
  if (absl::Status s = writer->StartSegment(highest + 1); !s.ok()) return s;
  return writer;
}

std::string WalWriter::SegmentPath(uint64_t number) const {
  return absl::StrCat(dir_, "/", wal::SegmentFileName(number));
}

absl::Status WalWriter::Fail(absl::Status status) {
  if (status_.ok()) {
    status_ = absl::Status(
        status.code(),
        absl::StrCat("WAL ", dir_, " refuses writes after: ", std::string(status.message())));
  }
  return status_;
}

absl::Status WalWriter::StartSegment(uint64_t number) {
  const std::string path = SegmentPath(number);
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(path);
  if (!file.ok()) return Fail(file.status());
  file_ = *std::move(file);
  current_segment_ = number;
  segment_bytes_ = 0;
  synced_bytes_ = 0;
  segment_sizes_[number] = 0;

  const std::string header = wal::EncodeSegmentHeader(number);
  absl::Status s = file_->Append(header);
  if (s.ok()) {
    segment_bytes_ = header.size();
    segment_sizes_[number] = segment_bytes_;
    total_bytes_ += segment_bytes_;
    s = file_->Sync();
  }
  if (s.ok()) {
    synced_bytes_ = segment_bytes_;
    // The entry must be durable before a record in this file is acknowledged.
    s = env_->SyncDir(dir_);
  }
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status WalWriter::FinishSegment() {
  if (file_ == nullptr) return absl::OkStatus();
  if (synced_bytes_ < segment_bytes_) {
    if (absl::Status s = file_->Sync(); !s.ok()) return Fail(s);
    synced_bytes_ = segment_bytes_;
  }
  absl::Status s = file_->Close();
  file_.reset();
  if (!s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::StatusOr<WalPosition> WalWriter::AddRecord(uint8_t type, std::string_view payload) {
  if (!status_.ok()) return status_;
  if (type == wal::kZeroType) {
    return absl::InvalidArgumentError("WAL record type 0 is reserved (zero-filled space)");
  }
  if (payload.size() > wal::kMaxPayloadSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "WAL record of ", payload.size(), " bytes is over the limit of ", wal::kMaxPayloadSize));
  }
  const uint64_t record_size = wal::kRecordHeaderSize + payload.size();
  if (segment_bytes_ > wal::kSegmentHeaderSize &&
      segment_bytes_ + record_size > options_.segment_size) {
    if (absl::Status s = Roll(); !s.ok()) return s;
  }

  const char type_byte = static_cast<char>(type);
  const uint32_t crc = compression::crc32c::Extend(compression::crc32c::Value(&type_byte, 1),
                                                   payload.data(), payload.size());
  record_.clear();
  compression::PutFixed32(&record_, crc);
  compression::PutFixed32(&record_, static_cast<uint32_t>(payload.size()));
  record_.push_back(type_byte);
  record_.append(payload);

  const WalPosition position{current_segment_, segment_bytes_};
  if (absl::Status s = file_->Append(record_); !s.ok()) {
    // Part of the record may be in the file; the reader will see a torn tail.
    const uint64_t size = file_->Size();
    if (size > segment_bytes_) {
      total_bytes_ += size - segment_bytes_;
      segment_bytes_ = size;
      segment_sizes_[current_segment_] = size;
    }
    return Fail(s);
  }
  segment_bytes_ += record_size;
  segment_sizes_[current_segment_] = segment_bytes_;
  total_bytes_ += record_size;
  return position;
}

absl::Status WalWriter::Sync() {
  if (!status_.ok()) return status_;
  if (synced_bytes_ == segment_bytes_) return absl::OkStatus();
  if (absl::Status s = file_->Sync(); !s.ok()) return Fail(s);
  synced_bytes_ = segment_bytes_;
  return absl::OkStatus();
}

absl::Status WalWriter::Roll() {
  if (!status_.ok()) return status_;
  if (absl::Status s = FinishSegment(); !s.ok()) return s;
  if (current_segment_ == UINT64_MAX) {
    return Fail(absl::FailedPreconditionError("WAL segment numbers exhausted"));
  }
  return StartSegment(current_segment_ + 1);
}

absl::Status WalWriter::RemoveSegmentsBefore(uint64_t segment) {
  if (!status_.ok()) return status_;
  while (!segment_sizes_.empty()) {
    const auto [number, size] = *segment_sizes_.begin();
    if (number >= segment || number >= current_segment_) break;
    absl::Status s = env_->RemoveFile(SegmentPath(number));
    // Already gone (removed by hand, or a removal whose directory sync failed last time).
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    segment_sizes_.erase(segment_sizes_.begin());
    total_bytes_ -= size;
    // One sync per removal: unsynced removals may reach the disk in any order, and a crash would
    // then leave a gap that looks like a lost segment.
    if (absl::Status sync = env_->SyncDir(dir_); !sync.ok()) return Fail(sync);
  }
  return absl::OkStatus();
}

absl::Status WalWriter::Close() {
  if (!status_.ok()) return status_;
  absl::Status s = FinishSegment();
  if (!s.ok()) return s;
  status_ = absl::FailedPreconditionError(absl::StrCat("WAL ", dir_, " is closed"));
  return absl::OkStatus();
}

}  // namespace edgetsdb
