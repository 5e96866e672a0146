// The Db: a data directory's write-ahead log and, per database, a head (and, next, its blocks).
//
// Write path. Writers queue; the first in line (the leader) appends every queued batch to the log,
// syncs once for all of them when any asks for kSync (group commit: concurrent writers share one
// fsync), then applies them to their heads in log order and wakes the others. The log is appended
// and synced outside the queue's lock, so new writers line up meanwhile and form the next group.
//
// A failed append or sync stops the engine from acknowledging writes (the log's error is sticky;
// see WalWriter): retrying an fsync on the same file could report success for data the kernel has
// dropped. The Db must be reopened, which replays what the log durably holds.
//
// Log records (docs/format/wal.md): type 1 carries `str database | write batch rep`; type 2 a
// catalog change `op u8 | str database | varint retention_ns` (create, drop, set retention), so
// that replaying the log rebuilds the catalog in the order things happened.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "compression/coding.h"
#include "db/env.h"
#include "db/head.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_reader.h"
#include "db/wal/wal_writer.h"
#include "edgetsdb/db.h"

namespace edgetsdb {
namespace {

using compression::ByteReader;
using compression::PutVarint64;

constexpr char kWalDir[] = "wal";
constexpr char kLockFile[] = "LOCK";
constexpr size_t kMaxDatabaseNameBytes = 255;

enum class CatalogOp : uint8_t { kCreate = 1, kDrop = 2, kSetRetention = 3 };

void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

absl::Status CheckDatabaseName(std::string_view name) {
  if (name.empty() || name.size() > kMaxDatabaseNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("database name must be 1 to ", kMaxDatabaseNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

struct Database {
  explicit Database(const HeadOptions& options) : head(std::make_unique<Head>(options)) {}
  std::unique_ptr<Head> head;
  int64_t retention_ns = 0;  // 0: keep.
};

class DbImpl final : public Db {
 public:
  DbImpl(const Options& options, std::string path)
      : options_(options),
        env_(options.env != nullptr ? options.env : Env::Default()),
        path_(std::move(path)) {
    head_options_.max_chunk_values = options.max_chunk_values;
    head_options_.partition_ns = options.partition_duration_ns;
    head_options_.max_chunk_span_ns = options.partition_duration_ns;
  }

  ~DbImpl() override {
    {
      absl::MutexLock lock(&mu_);
      shutting_down_ = true;
    }
    if (syncer_.joinable()) syncer_.join();
    absl::MutexLock lock(&wal_mu_);
    // Close syncs what was appended (kInterval and kNone writes included); an error here has
    // nowhere to go but the next open's replay, which finds whatever is durable.
    if (wal_ != nullptr) wal_->Close().IgnoreError();
  }

  absl::Status Init() {
    if (options_.create_if_missing && !env_->FileExists(path_)) {
      // The new directory's entry is durable only once its parent is synced: without that, a
      // power loss could take the whole data directory, acknowledged writes and all.
      if (absl::Status s = env_->CreateDir(path_); !s.ok()) return s;
      if (absl::Status s = env_->SyncDir(ParentDirectory(path_)); !s.ok()) return s;
    } else if (!env_->FileExists(path_)) {
      return absl::NotFoundError(absl::StrCat("no data directory at ", path_));
    }
    auto lock = env_->LockFile(path_ + "/" + kLockFile);
    if (!lock.ok()) return lock.status();
    lock_ = *std::move(lock);

    const std::string wal_dir = path_ + "/" + kWalDir;
    if (env_->FileExists(wal_dir)) {
      auto stats = ReplayWal(env_, wal_dir,
                             [this](uint8_t type, std::string_view payload, const WalPosition&) {
                               return ReplayRecord(type, payload);
                             });
      if (!stats.ok()) return stats.status();
      torn_tail_bytes_ = stats->torn_tail_bytes;
      damaged_files_ = stats->damage.size();
    }
    WalOptions wal_options;
    wal_options.segment_size = options_.wal_segment_bytes;
    auto wal = WalWriter::Open(env_, wal_dir, wal_options);
    if (!wal.ok()) return wal.status();
    wal_ = *std::move(wal);
    if (options_.durability == Durability::kInterval) {
      syncer_ = std::thread([this] { SyncPeriodically(); });
    }
    return absl::OkStatus();
  }

  absl::Status Write(std::string_view database, const WriteBatch& batch) override {
    return Write(database, batch, options_.durability);
  }

  absl::Status Write(std::string_view database, const WriteBatch& batch,
                     Durability durability) override {
    if (absl::Status s = CheckDatabaseName(database); !s.ok()) return s;
    if (batch.empty()) return absl::OkStatus();
    if (absl::Status s = CheckRetention(database, batch); !s.ok()) return s;
    Writer writer;
    writer.record.reserve(database.size() + batch.rep().size() + 4);
    PutString(&writer.record, database);
    writer.record.append(batch.rep());
    writer.type = wal::kWriteBatchType;
    writer.durability = durability;
    writer.database = std::string(database);
    writer.batch = &batch;
    return Commit(&writer);
  }

  absl::StatusOr<std::vector<SeriesData>> Query(const SeriesSelector& selector) override {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(selector.database);
    if (db == nullptr) return UnknownDatabase(selector.database);
    return db->head->Query(selector);
  }

  absl::StatusOr<std::vector<WindowSeries>> QueryWindows(const SeriesSelector&,
                                                         const WindowSpec&) override {
    return absl::UnimplementedError("window aggregates arrive with blocks");
  }

  absl::Status CreateDatabase(std::string_view database) override {
    return Catalog(CatalogOp::kCreate, database, 0);
  }
  absl::Status DropDatabase(std::string_view database) override {
    return Catalog(CatalogOp::kDrop, database, 0);
  }
  absl::Status SetRetention(std::string_view database, int64_t retention_ns) override {
    if (retention_ns < 0) return absl::InvalidArgumentError("retention must not be negative");
    return Catalog(CatalogOp::kSetRetention, database, retention_ns);
  }

  std::vector<std::string> Databases() override {
    absl::ReaderMutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& [name, db] : databases_) names.push_back(name);
    return names;
  }

  absl::StatusOr<std::vector<std::string>> Measurements(std::string_view database) override {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(database);
    if (db == nullptr) return UnknownDatabase(database);
    return db->head->Measurements();
  }
  absl::StatusOr<std::vector<std::string>> TagKeys(std::string_view database,
                                                   std::string_view measurement) override {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(database);
    if (db == nullptr) return UnknownDatabase(database);
    return db->head->TagKeys(measurement);
  }
  absl::StatusOr<std::vector<std::string>> TagValues(std::string_view database,
                                                     std::string_view measurement,
                                                     std::string_view key) override {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(database);
    if (db == nullptr) return UnknownDatabase(database);
    return db->head->TagValues(measurement, key);
  }
  absl::StatusOr<std::vector<FieldInfo>> FieldKeys(std::string_view database,
                                                   std::string_view measurement) override {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(database);
    if (db == nullptr) return UnknownDatabase(database);
    return db->head->FieldKeys(measurement);
  }
  absl::StatusOr<std::vector<std::string>> SeriesKeys(std::string_view, std::string_view,
                                                      const std::vector<TagMatcher>&) override {
    return absl::UnimplementedError("series listing arrives with the block index");
  }

  absl::Status Flush() override {
    return absl::UnimplementedError("flushing the head to blocks is not built yet");
  }
  absl::Status Compact() override { return Flush(); }

  DbStats GetStats() override {
    DbStats stats;
    {
      absl::ReaderMutexLock lock(&mu_);
      stats.points_written = points_written_;
      stats.points_rejected = points_rejected_;
      for (const auto& [name, db] : databases_) {
        stats.head_bytes += db->head->MemoryBytes();
        stats.series += db->head->SeriesCount();
      }
      stats.torn_tail_bytes_truncated = torn_tail_bytes_;
      stats.damaged_files = damaged_files_;
    }
    absl::MutexLock lock(&wal_mu_);
    stats.wal_syncs = wal_syncs_;
    stats.wal_bytes = wal_ != nullptr ? wal_->TotalBytes() : 0;
    return stats;
  }

  std::vector<DatabaseInfo> DescribeStorage() override {
    absl::ReaderMutexLock lock(&mu_);
    std::vector<DatabaseInfo> out;
    for (const auto& [name, db] : databases_) {
      DatabaseInfo info;
      info.name = name;
      info.retention_ns = db->retention_ns;
      info.head_points = db->head->Stats().points;
      info.head_bytes = db->head->MemoryBytes();
      out.push_back(std::move(info));
    }
    return out;
  }

 private:
  struct Writer {
    uint8_t type = 0;
    std::string record;
    Durability durability = Durability::kSync;
    std::string database;
    const WriteBatch* batch = nullptr;  // For write batch records.
    absl::Status status;
    bool done = false;
  };

  static absl::Status UnknownDatabase(std::string_view name) {
    return absl::NotFoundError(absl::StrCat("database not found: ", std::string(name)));
  }

  Database* FindDatabase(std::string_view name) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = databases_.find(name);
    return it == databases_.end() ? nullptr : it->second.get();
  }

  Database* FindOrCreateDatabase(std::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto& slot = databases_[std::string(name)];
    if (slot == nullptr) slot = std::make_unique<Database>(head_options_);
    return slot.get();
  }

  // Points older than the database's retention are refused before anything is logged.
  absl::Status CheckRetention(std::string_view database, const WriteBatch& batch) {
    int64_t retention = options_.default_retention_ns;
    {
      absl::ReaderMutexLock lock(&mu_);
      if (const Database* db = FindDatabase(database); db != nullptr && db->retention_ns > 0) {
        retention = db->retention_ns;
      }
    }
    if (retention <= 0) return absl::OkStatus();
    const int64_t oldest = env_->NowNanos() - retention;
    size_t too_old = 0;
    for (WriteBatch::Reader reader(batch); reader.Next();) too_old += reader.timestamp() < oldest;
    if (too_old == 0) return absl::OkStatus();
    absl::MutexLock lock(&mu_);
    points_rejected_ += batch.point_count();
    return absl::OutOfRangeError(absl::StrCat(too_old, " of ", batch.point_count(),
                                              " points are older than the retention of database ",
                                              std::string(database)));
  }

  absl::Status Catalog(CatalogOp op, std::string_view database, int64_t retention_ns) {
    if (absl::Status s = CheckDatabaseName(database); !s.ok()) return s;
    Writer writer;
    writer.type = wal::kCatalogType;
    writer.record.push_back(static_cast<char>(op));
    PutString(&writer.record, database);
    PutVarint64(&writer.record, static_cast<uint64_t>(retention_ns));
    writer.durability = Durability::kSync;  // Catalog changes are rare: always durable.
    writer.database = std::string(database);
    return Commit(&writer);
  }

  // Group commit (see the top of the file).
  absl::Status Commit(Writer* writer) {
    absl::MutexLock lock(&mu_);
    writers_.push_back(writer);
    auto leads_or_done = [this, writer]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return writer->done || writers_.front() == writer;
    };
    while (!leads_or_done()) writers_cv_.Wait(&mu_);
    if (writer->done) return writer->status;

    const std::vector<Writer*> group(writers_.begin(), writers_.end());
    bool sync = false;
    for (const Writer* w : group) sync |= w->durability == Durability::kSync;
    mu_.Unlock();
    absl::Status logged = AppendToLog(group, sync);
    mu_.Lock();

    for (Writer* w : group) {
      w->status = logged.ok() ? Apply(*w) : logged;
      w->done = true;
      writers_.pop_front();
    }
    writers_cv_.SignalAll();
    return writer->status;
  }

  absl::Status AppendToLog(const std::vector<Writer*>& group, bool sync) {
    absl::MutexLock lock(&wal_mu_);
    if (!wal_->status().ok()) return Stopped(wal_->status());
    for (const Writer* w : group) {
      auto position = wal_->AddRecord(w->type, w->record);
      if (!position.ok()) {
        // An oversized record is refused without harm; anything else is sticky in the log.
        return wal_->status().ok() ? position.status() : Stopped(wal_->status());
      }
    }
    if (sync) {
      if (absl::Status s = wal_->Sync(); !s.ok()) return Stopped(s);
      ++wal_syncs_;
    }
    return absl::OkStatus();
  }

  static absl::Status Stopped(const absl::Status& cause) {
    return absl::FailedPreconditionError(
        absl::StrCat("writes stopped after a log failure; reopen the database: ", cause.message()));
  }

  absl::Status Apply(const Writer& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (w.type == wal::kCatalogType) return ApplyCatalog(w.record);
    absl::Status s = FindOrCreateDatabase(w.database)->head->Apply(*w.batch);
    if (s.ok()) {
      points_written_ += w.batch->point_count();
    } else {
      points_rejected_ += w.batch->point_count();
    }
    return s;
  }

  absl::Status ApplyCatalog(std::string_view record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ByteReader reader(record);
    uint8_t op = 0;
    std::string_view name;
    uint64_t retention = 0;
    if (!reader.ReadByte(&op) || !reader.ReadLengthPrefixed(&name) ||
        !reader.ReadVarint64(&retention) || reader.remaining() != 0) {
      return absl::DataLossError("damaged catalog record in the log");
    }
    switch (static_cast<CatalogOp>(op)) {
      case CatalogOp::kCreate:
        FindOrCreateDatabase(name);
        return absl::OkStatus();
      case CatalogOp::kDrop:
        databases_.erase(std::string(name));
        return absl::OkStatus();
      case CatalogOp::kSetRetention:
        FindOrCreateDatabase(name)->retention_ns = static_cast<int64_t>(retention);
        return absl::OkStatus();
    }
    return absl::DataLossError(absl::StrCat("unknown catalog operation ", op, " in the log"));
  }

  // Rebuilds the catalog and heads from the log. A batch its head refuses (a field type
  // conflict) was refused when first written too, so skipping it reproduces what was acknowledged.
  absl::Status ReplayRecord(uint8_t type, std::string_view payload) {
    absl::MutexLock lock(&mu_);
    if (type == wal::kCatalogType) return ApplyCatalog(payload);
    if (type != wal::kWriteBatchType) {
      if (type >= wal::kFirstOptionalType) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("log record type ", type, " needs a newer edgetsdb"));
    }
    ByteReader reader(payload);
    std::string_view name;
    if (!reader.ReadLengthPrefixed(&name)) return absl::DataLossError("damaged log record");
    WriteBatch batch;
    if (absl::Status s = batch.SetRep(reader.Rest()); !s.ok()) return s;
    if (FindOrCreateDatabase(name)->head->Apply(batch).ok()) {
      points_written_ += batch.point_count();
    }
    return absl::OkStatus();
  }

  // kInterval durability: the log is synced at most every sync_interval_ms.
  void SyncPeriodically() {
    const absl::Duration interval = absl::Milliseconds(options_.sync_interval_ms);
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(&shutting_down_), interval)) {
      mu_.Unlock();
      {
        absl::MutexLock wal_lock(&wal_mu_);
        if (wal_->status().ok() && wal_->Sync().ok()) ++wal_syncs_;
      }
      mu_.Lock();
    }
  }

  const Options options_;
  Env* const env_;
  const std::string path_;
  HeadOptions head_options_;
  std::unique_ptr<Env::FileLock> lock_;
  std::thread syncer_;

  mutable absl::Mutex mu_;
  absl::CondVar writers_cv_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Database>, std::less<>> databases_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t points_written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t points_rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t torn_tail_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t damaged_files_ ABSL_GUARDED_BY(mu_) = 0;

  // The log is appended and synced under its own lock, outside mu_, so writers keep queueing.
  absl::Mutex wal_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::unique_ptr<WalWriter> wal_ ABSL_GUARDED_BY(wal_mu_);
  uint64_t wal_syncs_ ABSL_GUARDED_BY(wal_mu_) = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options, const std::string& path) {
  auto db = std::make_unique<DbImpl>(options, path);
  if (absl::Status s = db->Init(); !s.ok()) return s;
  return db;
}

}  // namespace edgetsdb
