// The Db: a data directory's write-ahead log and, per database, heads and blocks
// (docs/format/storage.md for the files, docs/durability.md for the promises).
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
// Flush. A head is flushed whole, as LevelDB flushes a memtable: a rotation marker goes through
// the writers' queue, so that the log rolls to a new segment N exactly between the records applied
// to the old heads and those applied to the new ones. The frozen heads are written to blocks (one
// per partition they touch), each database's database.meta then records that replay starts at N,
// and only then are the segments below N deleted. A crash anywhere in between replays records the
// blocks may already hold; the head wins over blocks for equal timestamps and holds the same
// values, so that costs nothing but time.
//
// Maintenance (flushes, compaction, retention, the disk budget, and the file work of creating and
// dropping databases) runs under maintenance_mu_, on a background thread or in Flush and Compact.
// Lock order: catalog_mu_, maintenance_mu_, mu_, wal_mu_.
#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "compression/codec.h"
#include "compression/coding.h"
#include "db/block/block_reader.h"
#include "db/block/block_writer.h"
#include "db/block_query.h"
#include "db/compaction.h"
#include "db/env.h"
#include "db/head.h"
#include "db/rows.h"
#include "db/storage_layout.h"
#include "db/tag_matcher.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_reader.h"
#include "db/wal/wal_writer.h"
#include "db/window_query.h"
#include "edgetsdb/db.h"

namespace edgetsdb {
namespace {

using compression::ByteReader;
using compression::PutVarint64;

enum class CatalogOp : uint8_t { kCreate = 1, kDrop = 2, kSetRetention = 3 };

// Writer::type of a head rotation: not a log record (record types start at 1).
constexpr uint8_t kRotationMarker = 0;

// How often the background thread looks for due work when nothing wakes it.
constexpr absl::Duration kMaintenanceInterval = absl::Seconds(1);

// At most this many damage reports are kept for GetStats.
constexpr size_t kMaxDamageReports = 100;

void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

absl::Status Annotate(const absl::Status& s, std::string_view context) {
  return absl::Status(s.code(), absl::StrCat(std::string(context), ": ", s.message()));
}

// Removes dir and everything under it (the engine's own trees are two levels deep).
absl::Status RemoveTree(Env* env, const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> children = env->GetChildren(dir);
  if (absl::IsNotFound(children.status())) return absl::OkStatus();
  if (!children.ok()) return children.status();
  for (const std::string& child : *children) {
    const std::string path = absl::StrCat(dir, "/", child);
    if (!env->RemoveFile(path).ok()) {
      if (absl::Status s = RemoveTree(env, path); !s.ok()) return s;
    }
  }
  return env->RemoveDir(dir);
}

absl::Status CheckOptions(const Options& o) {
  if (o.partition_duration_ns <= 0) {
    return absl::InvalidArgumentError("partition_duration_ns must be positive");
  }
  int64_t previous = o.partition_duration_ns;
  for (int64_t level : o.compaction_levels_ns) {
    if (level <= previous || level % previous != 0) {
      return absl::InvalidArgumentError(
          "compaction_levels_ns must ascend, each a multiple of the one before and of "
          "partition_duration_ns");
    }
    previous = level;
  }
  if (o.max_chunk_values == 0 || o.max_chunk_values > compression::kMaxChunkValues) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_chunk_values must be 1 to ", compression::kMaxChunkValues));
  }
  if (o.durability == Durability::kInterval && o.sync_interval_ms <= 0) {
    return absl::InvalidArgumentError("sync_interval_ms must be positive");
  }
  if (o.default_retention_ns < 0) return absl::InvalidArgumentError("retention is negative");
  return absl::OkStatus();
}

struct Database {
  std::string name;
  std::string dir;
  int64_t retention_ns = 0;  // 0: the Db's default.
  uint64_t replay_from_segment = 0;
  std::shared_ptr<Head> head;
  std::shared_ptr<Head> frozen;  // Being flushed.
  // Starts of the frozen head's windows already in blocks: a failed flush resumes after them.
  absl::flat_hash_set<std::pair<int64_t, int64_t>> frozen_windows_done;
  std::vector<std::shared_ptr<BlockReader>> blocks;  // Ascending sequence (oldest writes first).
};

// What a query reads, pinned so that flushes and compactions can replace files meanwhile.
struct Snapshot {
  std::vector<std::shared_ptr<BlockReader>> blocks;
  std::vector<std::shared_ptr<Head>> heads;  // Older first.
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
    levels_.partition_ns = options.partition_duration_ns;
    levels_.levels_ns = options.compaction_levels_ns;
  }

  ~DbImpl() override {
    {
      absl::MutexLock lock(&mu_);
      shutting_down_ = true;
    }
    if (syncer_.joinable()) syncer_.join();
    if (maintainer_.joinable()) maintainer_.join();
    absl::MutexLock lock(&wal_mu_);
    // Close syncs what was appended (kInterval and kNone writes included); an error here has
    // nowhere to go but the next open's replay, which finds whatever is durable.
    if (wal_ != nullptr) wal_->Close().IgnoreError();
  }

  absl::Status Init() {
    if (absl::Status s = CheckOptions(options_); !s.ok()) return s;
    if (options_.create_if_missing && !env_->FileExists(path_)) {
      // The new directory's entry is durable only once its parent is synced: without that, a
      // power loss could take the whole data directory, acknowledged writes and all.
      if (absl::Status s = env_->CreateDir(path_); !s.ok()) return s;
      if (absl::Status s = env_->SyncDir(ParentDirectory(path_)); !s.ok()) return s;
    } else if (!env_->FileExists(path_)) {
      return absl::NotFoundError(absl::StrCat("no data directory at ", path_));
    }
    auto lock = env_->LockFile(path_ + "/" + kLockFileName);
    if (!lock.ok()) return lock.status();
    lock_ = *std::move(lock);

    if (!env_->FileExists(DatabasesDir(path_))) {
      if (absl::Status s = env_->CreateDir(DatabasesDir(path_)); !s.ok()) return s;
      if (absl::Status s = env_->SyncDir(path_); !s.ok()) return s;
    }
    absl::MutexLock maintenance(&maintenance_mu_);
    if (absl::Status s = LoadDatabases(); !s.ok()) return s;

    const std::string wal_dir = path_ + "/" + kWalDirName;
    if (env_->FileExists(wal_dir)) {
      auto stats = ReplayWal(env_, wal_dir,
                             [this](uint8_t type, std::string_view payload, const WalPosition& at) {
                               return ReplayRecord(type, payload, at);
                             });
      if (!stats.ok()) return stats.status();
      absl::MutexLock lock(&mu_);
      torn_tail_bytes_ = stats->torn_tail_bytes;
      damaged_files_ += stats->damage.size();
      for (const WalDamage& d : stats->damage) {
        ReportDamage(absl::StrCat(wal_dir, "/", d.segment_file, " at offset ", d.offset, ": ",
                                  d.reason, " (", d.bytes_skipped, " bytes skipped)"));
      }
    }
    WalOptions wal_options;
    wal_options.segment_size = options_.wal_segment_bytes;
    auto wal = WalWriter::Open(env_, wal_dir, wal_options);
    if (!wal.ok()) return wal.status();
    {
      absl::MutexLock lock(&wal_mu_);
      wal_ = *std::move(wal);
      wal_bytes_ = wal_->TotalBytes();
    }
    {
      absl::MutexLock lock(&mu_);
      UpdateHeadBytes();
    }
    if (options_.durability == Durability::kInterval) {
      syncer_ = std::thread([this] { SyncPeriodically(); });
    }
    maintainer_ = std::thread([this] { MaintainPeriodically(); });
    return absl::OkStatus();
  }

  // --- Writes ---

  absl::Status Write(std::string_view database, const WriteBatch& batch) override {
    return Write(database, batch, options_.durability);
  }

  absl::Status Write(std::string_view database, const WriteBatch& batch,
                     Durability durability) override {
    if (absl::Status s = CheckDatabaseName(database); !s.ok()) return s;
    if (batch.empty()) return absl::OkStatus();
    if (absl::Status s = CheckRetention(database, batch); !s.ok()) return s;
    // Held until the batch is applied, so that the database cannot be dropped in between.
    absl::ReaderMutexLock catalog(&catalog_mu_);
    bool exists = false;
    {
      absl::ReaderMutexLock lock(&mu_);
      exists = FindDatabase(database) != nullptr;
    }
    if (!exists) {
      if (absl::Status s = CreateDatabaseLocked(database); !s.ok()) return s;
    }
    Writer writer;
    writer.record.reserve(database.size() + batch.rep().size() + 4);
    PutString(&writer.record, database);
    writer.record.append(batch.rep());
    writer.type = wal::kWriteBatchType;
    // Compressed here, outside every lock, so concurrent writers compress in parallel.
    if (std::optional<std::string> compressed = wal::CompressWriteBatchPayload(writer.record)) {
      writer.record = *std::move(compressed);
      writer.type = wal::kCompressedWriteBatchType;
    }
    writer.durability = durability;
    writer.database = std::string(database);
    writer.batch = &batch;
    if (absl::Status s = Admit(writer.record.size(), batch.point_count()); !s.ok()) return s;
    return Commit(&writer);
  }

  // --- Queries ---

  absl::StatusOr<std::vector<SeriesData>> Query(const SeriesSelector& selector) override {
    if (selector.measurement.empty()) {
      return absl::InvalidArgumentError("query: a measurement is required");
    }
    absl::StatusOr<TagMatchers> matchers = TagMatchers::Compile(selector.matchers);
    if (!matchers.ok()) return matchers.status();
    absl::StatusOr<Snapshot> snapshot = Pin(selector.database);
    if (!snapshot.ok()) return snapshot.status();
    if (selector.min_time > selector.max_time) return std::vector<SeriesData>();
    std::vector<std::vector<KeyedSeries>> sources;
    for (const auto& block : snapshot->blocks) {
      std::vector<KeyedSeries> found;
      if (absl::Status s = QueryBlock(*block, selector, *matchers, &found); !s.ok()) return s;
      if (!found.empty()) sources.push_back(std::move(found));
    }
    for (const auto& head : snapshot->heads) {
      absl::StatusOr<std::vector<SeriesData>> found = head->Query(selector);
      if (!found.ok()) return found.status();
      if (!found->empty()) sources.push_back(WithKeys(*std::move(found)));
    }
    if (sources.empty()) return std::vector<SeriesData>();
    return MergeSources(std::move(sources));
  }

  absl::StatusOr<std::vector<WindowSeries>> QueryWindows(const SeriesSelector& selector,
                                                         const WindowSpec& windows) override {
    if (selector.measurement.empty()) {
      return absl::InvalidArgumentError("query: a measurement is required");
    }
    if (absl::Status s = CheckWindowSpec(windows); !s.ok()) return s;
    absl::StatusOr<TagMatchers> matchers = TagMatchers::Compile(selector.matchers);
    if (!matchers.ok()) return matchers.status();
    absl::StatusOr<Snapshot> snapshot = Pin(selector.database);
    if (!snapshot.ok()) return snapshot.status();
    if (selector.min_time > selector.max_time) return std::vector<WindowSeries>();
    std::vector<std::vector<KeyedSeries>> newer;
    for (const auto& head : snapshot->heads) {
      absl::StatusOr<std::vector<SeriesData>> found = head->Query(selector);
      if (!found.ok()) return found.status();
      newer.push_back(WithKeys(*std::move(found)));
    }
    std::vector<const BlockReader*> blocks;
    for (const auto& block : snapshot->blocks) blocks.push_back(block.get());
    WindowQueryStats stats;
    auto result = QueryWindowsOver(blocks, std::move(newer), selector, *matchers, windows, &stats);
    chunks_from_summaries_ += stats.chunks_from_summaries;
    chunks_decoded_for_windows_ += stats.chunks_decoded;
    return result;
  }

  // --- Catalog ---

  absl::Status CreateDatabase(std::string_view database) override {
    absl::ReaderMutexLock catalog(&catalog_mu_);
    return CreateDatabaseLocked(database);
  }

  absl::Status CreateDatabaseLocked(std::string_view database)
      ABSL_SHARED_LOCKS_REQUIRED(catalog_mu_) {
    if (absl::Status s = CheckDatabaseName(database); !s.ok()) return s;
    absl::MutexLock maintenance(&maintenance_mu_);
    {
      absl::ReaderMutexLock lock(&mu_);
      if (FindDatabase(database) != nullptr) return absl::OkStatus();
    }
    // Files first: a crash before the log record leaves an empty database, which is harmless;
    // the other order could acknowledge a database whose directory is missing.
    uint64_t segment = 0;
    {
      absl::MutexLock lock(&wal_mu_);
      segment = wal_->current_segment();
    }
    if (absl::Status s = CreateDatabaseFiles(database, segment); !s.ok()) return s;
    return Catalog(CatalogOp::kCreate, database, 0);
  }

  absl::Status DropDatabase(std::string_view database) override {
    if (absl::Status s = CheckDatabaseName(database); !s.ok()) return s;
    // Exclusive: no write is between its check that the database exists and its application.
    absl::MutexLock catalog(&catalog_mu_);
    absl::MutexLock maintenance(&maintenance_mu_);
    {
      absl::ReaderMutexLock lock(&mu_);
      if (FindDatabase(database) == nullptr) return UnknownDatabase(database);
    }
    // The log record first: once it is durable, a crash before the files are gone replays the
    // drop and removes them then.
    if (absl::Status s = Catalog(CatalogOp::kDrop, database, 0); !s.ok()) return s;
    return RemoveDatabaseFiles(database);
  }

  absl::Status SetRetention(std::string_view database, int64_t retention_ns) override {
    if (absl::Status s = CheckDatabaseName(database); !s.ok()) return s;
    if (retention_ns < 0) return absl::InvalidArgumentError("retention must not be negative");
    absl::ReaderMutexLock catalog(&catalog_mu_);
    if (absl::Status s = CreateDatabaseLocked(database); !s.ok()) return s;
    absl::MutexLock maintenance(&maintenance_mu_);
    if (absl::Status s = Catalog(CatalogOp::kSetRetention, database, retention_ns); !s.ok()) {
      return s;
    }
    return WriteMeta(database);
  }

  std::vector<std::string> Databases() override {
    absl::ReaderMutexLock lock(&mu_);
    std::vector<std::string> names;
    for (const auto& [name, db] : databases_) names.push_back(name);
    return names;
  }

  // --- Listings: the union over heads and blocks ---

  absl::StatusOr<std::vector<std::string>> Measurements(std::string_view database) override {
    absl::StatusOr<Snapshot> snapshot = Pin(database);
    if (!snapshot.ok()) return snapshot.status();
    std::set<std::string, std::less<>> out;
    for (const auto& head : snapshot->heads) {
      for (std::string& m : head->Measurements()) out.insert(std::move(m));
    }
    for (const auto& block : snapshot->blocks) {
      for (std::string_view m : block->Measurements()) out.emplace(m);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }

  absl::StatusOr<std::vector<std::string>> TagKeys(std::string_view database,
                                                   std::string_view measurement) override {
    absl::StatusOr<Snapshot> snapshot = Pin(database);
    if (!snapshot.ok()) return snapshot.status();
    std::set<std::string, std::less<>> out;
    for (const auto& head : snapshot->heads) {
      for (std::string& k : head->TagKeys(measurement)) out.insert(std::move(k));
    }
    for (const auto& block : snapshot->blocks) {
      for (std::string_view k : block->TagKeys(measurement)) out.emplace(k);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }

  absl::StatusOr<std::vector<std::string>> TagValues(std::string_view database,
                                                     std::string_view measurement,
                                                     std::string_view key) override {
    absl::StatusOr<Snapshot> snapshot = Pin(database);
    if (!snapshot.ok()) return snapshot.status();
    std::set<std::string, std::less<>> out;
    for (const auto& head : snapshot->heads) {
      for (std::string& v : head->TagValues(measurement, key)) out.insert(std::move(v));
    }
    for (const auto& block : snapshot->blocks) {
      for (std::string_view v : block->TagValues(measurement, key)) out.emplace(v);
    }
    return std::vector<std::string>(out.begin(), out.end());
  }

  absl::StatusOr<std::vector<FieldInfo>> FieldKeys(std::string_view database,
                                                   std::string_view measurement) override {
    absl::StatusOr<Snapshot> snapshot = Pin(database);
    if (!snapshot.ok()) return snapshot.status();
    // The newest head knows every type: it is seeded from the blocks and the head before it.
    return snapshot->heads.back()->FieldKeys(measurement);
  }

  absl::StatusOr<std::vector<std::string>> SeriesKeys(
      std::string_view database, std::string_view measurement,
      const std::vector<TagMatcher>& matchers) override {
    absl::StatusOr<TagMatchers> compiled = TagMatchers::Compile(matchers);
    if (!compiled.ok()) return compiled.status();
    absl::StatusOr<Snapshot> snapshot = Pin(database);
    if (!snapshot.ok()) return snapshot.status();
    std::set<std::string> keys;  // Canonical, so the output is in the order queries use.
    for (const auto& head : snapshot->heads) {
      for (std::string& key : head->SeriesKeys(measurement)) keys.insert(std::move(key));
    }
    for (const auto& block : snapshot->blocks) {
      for (uint32_t id : block->GroupsOf(measurement)) keys.insert(block->series_key(id));
    }
    std::vector<std::string> out;
    std::string_view name;
    std::vector<TagView> tags;
    for (const std::string& key : keys) {
      if (!ParseCanonicalSeriesKey(key, &name, &tags)) continue;
      if (compiled->Matches(tags)) out.push_back(FormatSeriesKey(name, tags));
    }
    return out;
  }

  // --- Maintenance ---

  absl::Status Flush() override {
    absl::MutexLock maintenance(&maintenance_mu_);
    return FlushLocked(/*force=*/true);
  }

  absl::Status Compact() override {
    absl::MutexLock maintenance(&maintenance_mu_);
    if (absl::Status s = FlushLocked(/*force=*/true); !s.ok()) return s;
    return MaintainLocked(/*run_all_compactions=*/true);
  }

  DbStats GetStats() override {
    DbStats stats;
    {
      absl::ReaderMutexLock lock(&mu_);
      stats.points_written = points_written_;
      stats.points_rejected = points_rejected_;
      for (const auto& [name, db] : databases_) {
        stats.head_bytes += db->head->MemoryBytes();
        stats.series += db->head->SeriesCount();
        if (db->frozen != nullptr) stats.head_bytes += db->frozen->MemoryBytes();
        stats.blocks += db->blocks.size();
      }
      stats.block_bytes = block_bytes_;
      stats.flushes = flushes_;
      stats.compactions = compactions_;
      stats.blocks_deleted_by_retention = blocks_deleted_by_retention_;
      stats.blocks_deleted_by_budget = blocks_deleted_by_budget_;
      stats.writes_refused_for_space = writes_refused_for_space_;
      stats.torn_tail_bytes_truncated = torn_tail_bytes_;
      stats.damaged_files = damaged_files_;
      stats.damage = damage_;
    }
    stats.chunks_from_summaries = chunks_from_summaries_;
    stats.chunks_decoded_for_windows = chunks_decoded_for_windows_;
    absl::MutexLock lock(&wal_mu_);
    stats.wal_syncs = wal_syncs_;
    stats.wal_bytes = wal_ != nullptr ? wal_->TotalBytes() : 0;
    stats.wal_bytes_appended = wal_bytes_appended_;
    return stats;
  }

  std::vector<DatabaseInfo> DescribeStorage() override {
    std::vector<std::pair<DatabaseInfo, Snapshot>> pinned;
    {
      absl::ReaderMutexLock lock(&mu_);
      for (const auto& [name, db] : databases_) {
        DatabaseInfo info;
        info.name = name;
        info.retention_ns = db->retention_ns;
        pinned.emplace_back(std::move(info), SnapshotOf(*db));
      }
    }
    std::vector<DatabaseInfo> out;
    for (auto& [info, snapshot] : pinned) {
      for (const auto& head : snapshot.heads) {
        info.head_points += head->Stats().points;
        info.head_bytes += head->MemoryBytes();
      }
      std::map<std::pair<int64_t, int64_t>, std::vector<const BlockReader*>> partitions;
      for (const auto& block : snapshot.blocks) {
        partitions[{block->meta().start, block->meta().end}].push_back(block.get());
      }
      for (const auto& [range, blocks] : partitions) {
        PartitionInfo partition;
        partition.start = range.first;
        partition.end = range.second;
        partition.blocks = blocks.size();
        std::set<std::string> series;
        for (const BlockReader* block : blocks) {
          partition.bytes += block->file_size();
          for (uint32_t id = 0; id < block->group_count(); ++id) {
            const BlockGroup group = block->group(id);
            series.insert(group.series_key);
            for (const BlockField& field : group.fields) {
              for (const ChunkRef& chunk : field.chunks) partition.points += chunk.count;
            }
          }
        }
        partition.series = series.size();
        info.partitions.push_back(partition);
      }
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
    uint64_t segment = 0;               // Where the record went; for a rotation, the new segment.
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

  Snapshot SnapshotOf(const Database& db) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    Snapshot snapshot;
    snapshot.blocks = db.blocks;
    if (db.frozen != nullptr) snapshot.heads.push_back(db.frozen);
    snapshot.heads.push_back(db.head);
    return snapshot;
  }

  absl::StatusOr<Snapshot> Pin(std::string_view database) {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(database);
    if (db == nullptr) return UnknownDatabase(database);
    return SnapshotOf(*db);
  }

  void ReportDamage(std::string what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (damage_.size() < kMaxDamageReports) damage_.push_back(std::move(what));
  }

  int64_t RetentionOf(const Database& db) const {
    return db.retention_ns > 0 ? db.retention_ns : options_.default_retention_ns;
  }

  // --- Open ---

  std::shared_ptr<Database> NewDatabase(std::string_view name) {
    auto db = std::make_shared<Database>();
    db->name = std::string(name);
    db->dir = DatabaseDir(path_, name);
    db->head = std::make_shared<Head>(head_options_);
    return db;
  }

  // Loads every database directory: its meta, its blocks (quarantining damaged ones), and the
  // field types the blocks hold, which the head then enforces.
  absl::Status LoadDatabases() ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    absl::StatusOr<std::vector<std::string>> children = env_->GetChildren(DatabasesDir(path_));
    if (!children.ok()) return children.status();
    uint64_t max_sequence = 0;
    for (const std::string& child : *children) {
      const std::string dir = absl::StrCat(DatabasesDir(path_), "/", child);
      std::optional<std::string> name = UnescapeDatabaseName(child);
      if (!name) {
        // A .tmp from an interrupted meta write, or a foreign file: not ours to interpret.
        if (absl::EndsWith(child, ".tmp")) env_->RemoveFile(dir).IgnoreError();
        continue;
      }
      std::shared_ptr<Database> db = NewDatabase(*name);
      RemoveStrays(dir);
      absl::StatusOr<DatabaseMeta> meta = ReadDatabaseMeta(env_, dir);
      if (meta.ok()) {
        db->retention_ns = meta->retention_ns;
        db->replay_from_segment = meta->replay_from_segment;
      } else if (!absl::IsNotFound(meta.status())) {
        // Replaying the whole log for it is safe (see the top of the file); the retention
        // setting is lost until set again.
        absl::MutexLock lock(&mu_);
        ++damaged_files_;
        ReportDamage(std::string(meta.status().message()));
      }
      const std::string blocks_dir = BlocksDir(dir);
      if (!env_->FileExists(blocks_dir)) {
        if (absl::Status s = env_->CreateDir(blocks_dir); !s.ok()) return s;
      }
      RemoveStrays(blocks_dir);
      absl::StatusOr<std::vector<std::string>> files = env_->GetChildren(blocks_dir);
      if (!files.ok()) return files.status();
      for (const std::string& file : *files) {
        std::optional<BlockMeta> block_meta = ParseBlockFileName(file);
        if (!block_meta) continue;
        const std::string block_path = absl::StrCat(blocks_dir, "/", file);
        absl::StatusOr<std::unique_ptr<BlockReader>> block = BlockReader::Open(env_, block_path);
        if (!block.ok()) {
          if (!absl::IsDataLoss(block.status())) return block.status();
          if (absl::Status s = Quarantine(dir, file, block.status()); !s.ok()) return s;
          continue;
        }
        max_sequence = std::max(max_sequence, block_meta->sequence);
        block_bytes_ += (*block)->file_size();
        db->blocks.push_back(std::move(*block));
      }
      std::sort(db->blocks.begin(), db->blocks.end(), [](const auto& a, const auto& b) {
        return a->meta().sequence < b->meta().sequence;
      });
      SeedFieldTypes(*db);
      absl::MutexLock lock(&mu_);
      databases_[*name] = std::move(db);
    }
    next_sequence_ = max_sequence + 1;
    return absl::OkStatus();
  }

  void RemoveStrays(const std::string& dir) {
    absl::StatusOr<std::vector<std::string>> files = env_->GetChildren(dir);
    if (!files.ok()) return;
    for (const std::string& file : *files) {
      if (absl::EndsWith(file, ".tmp"))
        env_->RemoveFile(absl::StrCat(dir, "/", file)).IgnoreError();
    }
  }

  absl::Status Quarantine(const std::string& dir, const std::string& file,
                          const absl::Status& why) {
    const std::string quarantine = QuarantineDir(dir);
    if (!env_->FileExists(quarantine)) {
      if (absl::Status s = env_->CreateDir(quarantine); !s.ok()) return s;
    }
    const std::string from = absl::StrCat(BlocksDir(dir), "/", file);
    if (absl::Status s = env_->RenameFile(from, absl::StrCat(quarantine, "/", file)); !s.ok()) {
      return s;
    }
    if (absl::Status s = env_->SyncDir(quarantine); !s.ok()) return s;
    if (absl::Status s = env_->SyncDir(BlocksDir(dir)); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    ++damaged_files_;
    ReportDamage(absl::StrCat(from, " moved to quarantine: ", why.message()));
    return absl::OkStatus();
  }

  void SeedFieldTypes(Database& db) {
    std::map<std::string, std::vector<FieldInfo>, std::less<>> types;
    for (const auto& block : db.blocks) {
      for (uint32_t id = 0; id < block->group_count(); ++id) {
        const BlockGroup group = block->group(id);
        std::vector<FieldInfo>& fields = types[std::string(group.measurement)];
        for (const BlockField& field : group.fields) {
          // Newer blocks come later and win, as queries let them.
          auto it = std::find_if(fields.begin(), fields.end(),
                                 [&](const FieldInfo& f) { return f.key == field.key; });
          if (it == fields.end()) {
            fields.push_back({std::string(field.key), field.type});
          } else {
            it->type = field.type;
          }
        }
      }
    }
    for (const auto& [measurement, fields] : types) db.head->AddFieldTypes(measurement, fields);
  }

  absl::Status CreateDatabaseFiles(std::string_view name, uint64_t replay_from) {
    const std::string dir = DatabaseDir(path_, name);
    if (absl::Status s = env_->CreateDir(dir); !s.ok()) return s;
    if (absl::Status s = env_->CreateDir(BlocksDir(dir)); !s.ok()) return s;
    DatabaseMeta meta;
    meta.name = std::string(name);
    meta.replay_from_segment = replay_from;
    if (absl::Status s = WriteDatabaseMeta(env_, dir, meta); !s.ok()) return s;
    return env_->SyncDir(DatabasesDir(path_));
  }

  absl::Status RemoveDatabaseFiles(std::string_view name) {
    const std::string dir = DatabaseDir(path_, name);
    if (absl::Status s = RemoveTree(env_, dir); !s.ok()) return s;
    return env_->SyncDir(DatabasesDir(path_));
  }

  absl::Status WriteMeta(std::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    DatabaseMeta meta;
    {
      absl::ReaderMutexLock lock(&mu_);
      const Database* db = FindDatabase(name);
      if (db == nullptr) return absl::OkStatus();
      meta.name = db->name;
      meta.retention_ns = db->retention_ns;
      meta.replay_from_segment = db->replay_from_segment;
    }
    return WriteDatabaseMeta(env_, DatabaseDir(path_, name), meta);
  }

  // Rebuilds the catalog and heads from the log. Records a database's blocks already hold
  // (segments below its replay_from_segment) are skipped. A batch its head refuses (a field type
  // conflict) was refused when first written too, so skipping it reproduces what was acknowledged.
  absl::Status ReplayRecord(uint8_t type, std::string_view payload, const WalPosition& at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    if (type == wal::kCatalogType) {
      ByteReader reader(payload);
      uint8_t op = 0;
      std::string_view name;
      if (!reader.ReadByte(&op) || !reader.ReadLengthPrefixed(&name)) {
        return absl::DataLossError("damaged catalog record in the log");
      }
      if (Skipped(name, at)) return absl::OkStatus();
      if (static_cast<CatalogOp>(op) == CatalogOp::kDrop) {
        if (absl::Status s = ApplyCatalogRecord(payload); !s.ok()) return s;
        return RemoveDatabaseFiles(name);
      }
      if (absl::Status s = EnsureReplayedDatabase(name, at); !s.ok()) return s;
      if (absl::Status s = ApplyCatalogRecord(payload); !s.ok()) return s;
      return static_cast<CatalogOp>(op) == CatalogOp::kSetRetention ? WriteMeta(name)
                                                                    : absl::OkStatus();
    }
    std::string decompressed;
    if (type == wal::kCompressedWriteBatchType) {
      absl::StatusOr<std::string> raw = wal::DecompressWriteBatchPayload(payload);
      if (!raw.ok()) return raw.status();
      decompressed = *std::move(raw);
      payload = decompressed;
    } else if (type != wal::kWriteBatchType) {
      if (type >= wal::kFirstOptionalType) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("log record type ", type, " needs a newer edgetsdb"));
    }
    ByteReader reader(payload);
    std::string_view name;
    if (!reader.ReadLengthPrefixed(&name)) return absl::DataLossError("damaged log record");
    if (Skipped(name, at)) return absl::OkStatus();
    if (absl::Status s = EnsureReplayedDatabase(name, at); !s.ok()) return s;
    WriteBatch batch;
    if (absl::Status s = batch.SetRep(reader.Rest()); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    if (FindDatabase(name)->head->Apply(batch).ok()) points_written_ += batch.point_count();
    return absl::OkStatus();
  }

  bool Skipped(std::string_view name, const WalPosition& at) {
    absl::ReaderMutexLock lock(&mu_);
    const Database* db = FindDatabase(name);
    return db != nullptr && at.segment < db->replay_from_segment;
  }

  // A database the log writes to but whose directory is gone (a crash between its log record and
  // its files, or a drop replayed earlier) is created again.
  absl::Status EnsureReplayedDatabase(std::string_view name, const WalPosition& at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (FindDatabase(name) != nullptr) return absl::OkStatus();
    }
    if (absl::Status s = CreateDatabaseFiles(name, at.segment); !s.ok()) return s;
    std::shared_ptr<Database> db = NewDatabase(name);
    db->replay_from_segment = at.segment;
    absl::MutexLock lock(&mu_);
    databases_[std::string(name)] = std::move(db);
    return absl::OkStatus();
  }

  // --- Write path ---

  // Points older than the database's retention are refused before anything is logged.
  absl::Status CheckRetention(std::string_view database, const WriteBatch& batch) {
    int64_t retention = options_.default_retention_ns;
    {
      absl::ReaderMutexLock lock(&mu_);
      if (const Database* db = FindDatabase(database); db != nullptr) retention = RetentionOf(*db);
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

  // Why the disk budget or the free-space reserve cannot take record_bytes more, or OK.
  absl::Status SpaceRefusal(uint64_t record_bytes) {
    if (options_.max_disk_bytes > 0) {
      uint64_t used = 0;
      {
        absl::ReaderMutexLock lock(&mu_);
        // The heads will become blocks of about their size before the log they replace shrinks.
        used = wal_bytes_.load() + block_bytes_ + head_bytes_ + record_bytes;
      }
      if (used > options_.max_disk_bytes) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "disk budget of ", options_.max_disk_bytes, " bytes reached (", used,
            " bytes in use or pending); writes resume once retention, the budget or compaction "
            "frees room"));
      }
    }
    if (options_.min_free_bytes > 0) {
      absl::StatusOr<uint64_t> free = env_->GetFreeSpace(path_);
      if (free.ok() && *free < options_.min_free_bytes + record_bytes) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "the file system holding ", path_, " has ", *free, " bytes free, under the reserve of ",
            options_.min_free_bytes, " bytes; writes resume once there is room"));
      }
    }
    return absl::OkStatus();
  }

  // Refuses a write that the disk budget or the free-space reserve cannot take even after the
  // oldest partitions are deleted and the heads flushed (which turns log and memory into compact
  // blocks), and waits while the heads are over their memory budget and a flush is under way.
  absl::Status Admit(uint64_t record_bytes, uint64_t points) {
    absl::Status refusal = SpaceRefusal(record_bytes);
    if (!refusal.ok()) {
      absl::MutexLock maintenance(&maintenance_mu_);
      EnforceSpace().IgnoreError();  // Its failure shows as the refusal below.
      refusal = SpaceRefusal(record_bytes);
      if (!refusal.ok() && FlushLocked(/*force=*/true).ok()) {
        EnforceSpace().IgnoreError();
        refusal = SpaceRefusal(record_bytes);
      }
    }
    absl::MutexLock lock(&mu_);
    if (!refusal.ok()) {
      ++writes_refused_for_space_;
      points_rejected_ += points;
      maintenance_wanted_ = true;
      return refusal;
    }
    if (head_bytes_ < options_.max_head_bytes || options_.max_head_bytes == 0) {
      return absl::OkStatus();
    }
    maintenance_wanted_ = true;
    auto can_go = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return head_bytes_ < options_.max_head_bytes || !flush_status_.ok() || shutting_down_;
    };
    mu_.Await(absl::Condition(&can_go));
    if (!flush_status_.ok() && head_bytes_ >= options_.max_head_bytes) {
      ++writes_refused_for_space_;
      points_rejected_ += points;
      return absl::ResourceExhaustedError(absl::StrCat(
          "the head is over its memory budget and flushing it failed: ", flush_status_.message()));
    }
    return absl::OkStatus();
  }

  absl::Status Catalog(CatalogOp op, std::string_view database, int64_t retention_ns) {
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
    UpdateHeadBytes();
    if (options_.max_head_bytes > 0 && head_bytes_ >= options_.max_head_bytes / 2) {
      maintenance_wanted_ = true;
    }
    writers_cv_.SignalAll();
    return writer->status;
  }

  absl::Status AppendToLog(const std::vector<Writer*>& group, bool sync) {
    absl::MutexLock lock(&wal_mu_);
    if (!wal_->status().ok()) return Stopped(wal_->status());
    for (Writer* w : group) {
      if (w->type == kRotationMarker) {
        if (absl::Status s = wal_->Roll(); !s.ok()) return Stopped(s);
        w->segment = wal_->current_segment();
        continue;
      }
      auto position = wal_->AddRecord(w->type, w->record);
      if (!position.ok()) {
        // An oversized record is refused without harm; anything else is sticky in the log.
        return wal_->status().ok() ? position.status() : Stopped(wal_->status());
      }
      w->segment = position->segment;
      wal_bytes_appended_ += wal::kRecordHeaderSize + w->record.size();
    }
    if (sync) {
      if (absl::Status s = wal_->Sync(); !s.ok()) return Stopped(s);
      ++wal_syncs_;
    }
    wal_bytes_ = wal_->TotalBytes();
    return absl::OkStatus();
  }

  static absl::Status Stopped(const absl::Status& cause) {
    return absl::FailedPreconditionError(
        absl::StrCat("writes stopped after a log failure; reopen the database: ", cause.message()));
  }

  absl::Status Apply(const Writer& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (w.type == kRotationMarker) return Rotate(w.segment);
    if (w.type == wal::kCatalogType) return ApplyCatalogRecordLocked(w.record);
    Database* db = FindDatabase(w.database);
    if (db == nullptr) {
      // Writers hold catalog_mu_ from their check that the database exists until here.
      return absl::InternalError("database vanished under a writer");
    }
    absl::Status s = db->head->Apply(*w.batch);
    if (s.ok()) {
      points_written_ += w.batch->point_count();
    } else {
      points_rejected_ += w.batch->point_count();
    }
    return s;
  }

  // Freezes every database's head and starts new ones, which know the old ones' field types.
  absl::Status Rotate(uint64_t segment) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& [name, db] : databases_) {
      if (db->frozen != nullptr) return absl::InternalError("rotation while a flush is pending");
    }
    for (auto& [name, db] : databases_) {
      auto head = std::make_shared<Head>(head_options_);
      for (const auto& [measurement, fields] : db->head->FieldTypes()) {
        head->AddFieldTypes(measurement, fields);
      }
      db->head->SealOpenRuns();  // Several times smaller, and the flush reads it sealed anyway.
      db->frozen = std::move(db->head);
      db->head = std::move(head);
    }
    rotation_segment_ = segment;
    return absl::OkStatus();
  }

  void UpdateHeadBytes() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    uint64_t bytes = 0;
    for (const auto& [name, db] : databases_) {
      bytes += db->head->MemoryBytes();
      if (db->frozen != nullptr) bytes += db->frozen->MemoryBytes();
    }
    head_bytes_ = bytes;
  }

  absl::Status ApplyCatalogRecord(std::string_view record) {
    absl::MutexLock lock(&mu_);
    return ApplyCatalogRecordLocked(record);
  }

  absl::Status ApplyCatalogRecordLocked(std::string_view record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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
        if (FindDatabase(name) == nullptr) databases_[std::string(name)] = NewDatabase(name);
        return absl::OkStatus();
      case CatalogOp::kDrop:
        if (auto it = databases_.find(name); it != databases_.end()) {
          // Its blocks no longer count; queries that pinned them keep their open files.
          for (const auto& block : it->second->blocks) {
            block_bytes_ -= std::min(block_bytes_, block->file_size());
          }
          databases_.erase(it);
        }
        return absl::OkStatus();
      case CatalogOp::kSetRetention:
        if (Database* db = FindDatabase(name); db != nullptr) {
          db->retention_ns = static_cast<int64_t>(retention);
        }
        return absl::OkStatus();
    }
    return absl::DataLossError(absl::StrCat("unknown catalog operation ", op, " in the log"));
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

  // --- Maintenance ---

  void MaintainPeriodically() {
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return maintenance_wanted_ || shutting_down_;
        };
        mu_.AwaitWithTimeout(absl::Condition(&wake), kMaintenanceInterval);
        if (shutting_down_) return;
        maintenance_wanted_ = false;
      }
      absl::MutexLock maintenance(&maintenance_mu_);
      // Errors are kept in flush_status_ and retried on the next round.
      FlushLocked(/*force=*/false).IgnoreError();
      MaintainLocked(/*run_all_compactions=*/false).IgnoreError();
    }
  }

  bool Stopping() {
    absl::ReaderMutexLock lock(&mu_);
    return shutting_down_;
  }

  // Whether the heads should be flushed now: over half their memory budget, a log past four
  // segments, or data in a partition that ended a partition ago (so that slow writers do not keep
  // the log, and the head, forever). The last is checked at most every quarter partition: a bulk
  // load of old data would otherwise flush every second into many small blocks.
  bool FlushDue() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (options_.max_head_bytes > 0 && head_bytes_ >= options_.max_head_bytes / 2) return true;
    if (wal_bytes_.load() > 4 * options_.wal_segment_bytes) return true;
    if (env_->MonotonicNanos() - last_flush_monotonic_ < options_.partition_duration_ns / 4) {
      return false;
    }
    const int64_t now = env_->NowNanos();
    for (const auto& [name, db] : databases_) {
      const int64_t min_time = db->head->MinTime();
      if (min_time == kMaxTime) continue;
      const int64_t end = PartitionEnd(PartitionStart(min_time, options_.partition_duration_ns),
                                       options_.partition_duration_ns);
      if (end != kMaxTime && end <= now - options_.partition_duration_ns) return true;
    }
    return false;
  }

  absl::Status FlushLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    bool frozen_pending = false;
    {
      absl::MutexLock lock(&mu_);
      bool any_data = false;
      for (const auto& [name, db] : databases_) {
        frozen_pending |= db->frozen != nullptr;
        any_data |= db->head->MinTime() != kMaxTime;
      }
      if (!frozen_pending && (!any_data || (!force && !FlushDue()))) return absl::OkStatus();
    }
    if (!frozen_pending && !RoomToFlush()) {
      // Rolling the log and writing blocks on a full file system could fail the log for good;
      // the reserve is there so that this rarely happens, and the flush is retried later.
      return absl::ResourceExhaustedError("too little free space to flush the head");
    }
    if (!frozen_pending) {
      Writer rotation;
      rotation.type = kRotationMarker;
      rotation.durability = Durability::kNone;
      if (absl::Status s = Commit(&rotation); !s.ok()) return s;
    }
    absl::Status status = WriteFrozenHeads();
    absl::MutexLock lock(&mu_);
    flush_status_ = status;
    if (status.ok()) {
      ++flushes_;
      last_flush_monotonic_ = env_->MonotonicNanos();
    }
    UpdateHeadBytes();
    return status;
  }

  // Whether the file system can take the blocks of the heads and a new log segment.
  bool RoomToFlush() {
    absl::StatusOr<uint64_t> free = env_->GetFreeSpace(path_);
    if (!free.ok()) return true;  // Unknown: let the writes themselves tell.
    absl::ReaderMutexLock lock(&mu_);
    return *free >= head_bytes_ + 64 * 1024;
  }

  absl::Status WriteFrozenHeads() ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    std::vector<std::shared_ptr<Database>> dbs;
    uint64_t segment = 0;
    {
      absl::ReaderMutexLock lock(&mu_);
      for (const auto& [name, db] : databases_) dbs.push_back(db);
      segment = rotation_segment_;
    }
    for (const std::shared_ptr<Database>& db : dbs) {
      std::shared_ptr<Head> frozen;
      {
        absl::ReaderMutexLock lock(&mu_);
        frozen = db->frozen;
      }
      if (frozen == nullptr) continue;
      // One block per window: a partition, or a whole day or week of old data.
      const int64_t now = env_->NowNanos();
      std::set<std::pair<int64_t, int64_t>> windows;
      for (const HeadPartition& partition : frozen->Partitions()) {
        windows.insert(FlushWindow(partition.start, levels_, now, RetentionOf(*db)));
      }
      for (const auto& [start, end] : windows) {
        if (db->frozen_windows_done.contains(std::pair(start, end))) continue;
        absl::StatusOr<std::unique_ptr<BlockReader>> block = WriteBlock(*db, *frozen, start, end);
        if (!block.ok()) return Annotate(block.status(), "flushing to a block");
        absl::MutexLock lock(&mu_);
        block_bytes_ += (*block)->file_size();
        db->blocks.push_back(std::move(*block));
        db->frozen_windows_done.insert({start, end});
      }
    }
    {
      absl::MutexLock lock(&mu_);
      for (const std::shared_ptr<Database>& db : dbs) {
        db->frozen = nullptr;
        db->frozen_windows_done.clear();
        db->replay_from_segment = std::max(db->replay_from_segment, segment);
      }
      UpdateHeadBytes();
    }
    for (const std::shared_ptr<Database>& db : dbs) {
      if (absl::Status s = WriteMeta(db->name); !s.ok()) return s;
    }
    absl::MutexLock lock(&wal_mu_);
    absl::Status removed = wal_->RemoveSegmentsBefore(segment);
    wal_bytes_ = wal_->TotalBytes();
    return removed;
  }

  // Writes the head's points in [start, end) to a new block, chunks cut at its range.
  absl::StatusOr<std::unique_ptr<BlockReader>> WriteBlock(const Database& db, const Head& head,
                                                          int64_t start, int64_t end) {
    BlockMeta meta;
    meta.start = start;
    meta.end = end;
    {
      absl::MutexLock lock(&mu_);
      meta.sequence = next_sequence_++;
    }
    const std::string dir = BlocksDir(db.dir);
    // Wider than a partition means old data (FlushWindow): cold, so Zstandard as compaction has it.
    const auto codec = end != kMaxTime && end - start > options_.partition_duration_ns
                           ? compression::BlockCompression::kZstd
                           : compression::BlockCompression::kLz4;
    auto writer = BlockWriter::Create(env_, dir, meta, codec);
    if (!writer.ok()) return writer.status();
    if (absl::Status s = head.FlushInput(
            start, end,
            [&](FlushGroup&& group) { return AddFlushGroup(writer->get(), std::move(group)); },
            end == kMaxTime ? 0 : end - start);
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> name = (*writer)->Finish();
    if (!name.ok()) return name.status();
    return BlockReader::Open(env_, absl::StrCat(dir, "/", *name));
  }

  // Retention, the disk budget and the free-space reserve, then compactions: every due one, or
  // one per database per round from the background thread (so that it notices shutdown and
  // flushes between them).
  absl::Status MaintainLocked(bool run_all_compactions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    if (absl::Status s = EnforceRetention(); !s.ok()) return s;
    if (absl::Status s = EnforceSpace(); !s.ok()) return s;
    std::vector<std::shared_ptr<Database>> dbs;
    {
      absl::ReaderMutexLock lock(&mu_);
      for (const auto& [name, db] : databases_) dbs.push_back(db);
    }
    for (const std::shared_ptr<Database>& db : dbs) {
      for (;;) {
        if (Stopping()) return absl::OkStatus();
        absl::StatusOr<bool> compacted = CompactOnce(db);
        if (!compacted.ok()) return compacted.status();
        if (!*compacted || !run_all_compactions) break;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> CompactOnce(const std::shared_ptr<Database>& db)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    std::vector<std::shared_ptr<BlockReader>> blocks;
    {
      absl::ReaderMutexLock lock(&mu_);
      blocks = db->blocks;
    }
    std::vector<BlockMeta> metas;
    for (const auto& block : blocks) metas.push_back(block->meta());
    std::optional<CompactionPlan> plan =
        PlanCompaction(metas, levels_, env_->NowNanos(), RetentionOf(*db));
    if (!plan) return false;
    uint64_t input_bytes = 0;
    std::vector<const BlockReader*> inputs;  // Ascending sequence, as db->blocks is.
    for (size_t i : plan->inputs) {
      inputs.push_back(blocks[i].get());
      input_bytes += blocks[i]->file_size();
    }
    std::sort(inputs.begin(), inputs.end(), [](const BlockReader* a, const BlockReader* b) {
      return a->meta().sequence < b->meta().sequence;
    });
    if (options_.max_disk_bytes > 0) {
      // The output is written before the inputs go: skip while the budget cannot hold both.
      absl::ReaderMutexLock lock(&mu_);
      if (wal_bytes_.load() + block_bytes_ + head_bytes_ + input_bytes > options_.max_disk_bytes) {
        return false;
      }
    }
    BlockMeta out;
    out.start = plan->start;
    out.end = plan->end;
    {
      absl::MutexLock lock(&mu_);
      out.sequence = next_sequence_++;
    }
    const std::string dir = BlocksDir(db->dir);
    absl::StatusOr<std::string> name =
        MergeBlocks(env_, dir, inputs, out, plan->codec, options_.max_chunk_values);
    if (!name.ok()) return Annotate(name.status(), "compaction");
    absl::StatusOr<std::unique_ptr<BlockReader>> merged =
        BlockReader::Open(env_, absl::StrCat(dir, "/", *name));
    if (!merged.ok()) return merged.status();
    std::shared_ptr<BlockReader> added = std::move(*merged);
    {
      absl::MutexLock lock(&mu_);
      // The merged block takes the place of its inputs; it has the highest sequence, but nothing
      // it overlaps is newer than its inputs except the heads, which readers see after it.
      std::vector<std::shared_ptr<BlockReader>> kept;
      for (const auto& block : db->blocks) {
        if (std::find(inputs.begin(), inputs.end(), block.get()) == inputs.end()) {
          kept.push_back(block);
        }
      }
      kept.push_back(added);
      std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
        return a->meta().sequence < b->meta().sequence;
      });
      db->blocks = std::move(kept);
      block_bytes_ += added->file_size();
      block_bytes_ -= std::min(block_bytes_, input_bytes);
      ++compactions_;
    }
    for (const BlockReader* input : inputs) {
      if (absl::Status s = env_->RemoveFile(input->path()); !s.ok()) return s;
    }
    if (absl::Status s = env_->SyncDir(dir); !s.ok()) return s;
    return true;
  }

  // Deletes blocks wholly older than their database's retention.
  absl::Status EnforceRetention() ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    const int64_t now = env_->NowNanos();
    std::vector<std::pair<std::shared_ptr<Database>, std::shared_ptr<BlockReader>>> expired;
    {
      absl::ReaderMutexLock lock(&mu_);
      for (const auto& [name, db] : databases_) {
        const int64_t retention = RetentionOf(*db);
        if (retention <= 0) continue;
        for (const auto& block : db->blocks) {
          if (block->meta().end <= now - retention) expired.emplace_back(db, block);
        }
      }
    }
    for (const auto& [db, block] : expired) {
      if (absl::Status s = DeleteBlock(*db, block); !s.ok()) return s;
      absl::MutexLock lock(&mu_);
      ++blocks_deleted_by_retention_;
    }
    return absl::OkStatus();
  }

  // Deletes the oldest partitions (across databases) while the disk budget is over 90% used or
  // the file system is under its free-space reserve, down to 80% and the reserve plus a margin,
  // so that writes are rarely refused.
  absl::Status EnforceSpace() ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    auto over = [this](bool deleting) {
      absl::ReaderMutexLock lock(&mu_);
      const uint64_t used = wal_bytes_.load() + block_bytes_ + head_bytes_;
      const uint64_t budget = options_.max_disk_bytes;
      if (budget > 0 && used > (deleting ? budget / 10 * 8 : budget / 10 * 9)) return true;
      if (options_.min_free_bytes == 0) return false;
      absl::StatusOr<uint64_t> free = env_->GetFreeSpace(path_);
      const uint64_t reserve =
          options_.min_free_bytes + (deleting ? options_.min_free_bytes / 4 : 0);
      return free.ok() && *free < reserve;
    };
    for (bool deleting = false; over(deleting); deleting = true) {
      std::shared_ptr<Database> db;
      std::shared_ptr<BlockReader> oldest;
      {
        absl::ReaderMutexLock lock(&mu_);
        for (const auto& [name, candidate] : databases_) {
          for (const auto& block : candidate->blocks) {
            if (oldest == nullptr || block->meta().end < oldest->meta().end ||
                (block->meta().end == oldest->meta().end &&
                 block->meta().start < oldest->meta().start)) {
              oldest = block;
              db = candidate;
            }
          }
        }
      }
      if (oldest == nullptr) break;  // Everything left is in the heads: writes are refused.
      if (absl::Status s = DeleteBlock(*db, oldest); !s.ok()) return s;
      absl::MutexLock lock(&mu_);
      ++blocks_deleted_by_budget_;
    }
    return absl::OkStatus();
  }

  absl::Status DeleteBlock(Database& db, const std::shared_ptr<BlockReader>& block)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_) {
    {
      absl::MutexLock lock(&mu_);
      auto it = std::find(db.blocks.begin(), db.blocks.end(), block);
      if (it == db.blocks.end()) return absl::OkStatus();
      db.blocks.erase(it);
      block_bytes_ -= std::min(block_bytes_, block->file_size());
    }
    // Queries that pinned it keep reading the open file.
    if (absl::Status s = env_->RemoveFile(block->path()); !s.ok()) return s;
    return env_->SyncDir(ParentDirectory(block->path()));
  }

  const Options options_;
  Env* const env_;
  const std::string path_;
  HeadOptions head_options_;
  CompactionLevels levels_;
  std::unique_ptr<Env::FileLock> lock_;
  std::thread syncer_;
  std::thread maintainer_;

  // Shared by writers from their check that the database exists until their batch is applied,
  // and by creations; exclusive for drops.
  absl::Mutex catalog_mu_ ABSL_ACQUIRED_BEFORE(maintenance_mu_);
  absl::Mutex maintenance_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  mutable absl::Mutex mu_;
  absl::CondVar writers_cv_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<Database>, std::less<>> databases_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool maintenance_wanted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status flush_status_ ABSL_GUARDED_BY(mu_);
  uint64_t rotation_segment_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_flush_monotonic_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t head_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t block_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t points_written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t points_rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t flushes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t compactions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t blocks_deleted_by_retention_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t blocks_deleted_by_budget_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t writes_refused_for_space_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t torn_tail_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t damaged_files_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> damage_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> chunks_from_summaries_{0};
  std::atomic<uint64_t> chunks_decoded_for_windows_{0};
  // The log's size, readable without its lock.
  std::atomic<uint64_t> wal_bytes_{0};

  // The log is appended and synced under its own lock, outside mu_, so writers keep queueing.
  absl::Mutex wal_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::unique_ptr<WalWriter> wal_ ABSL_GUARDED_BY(wal_mu_);
  uint64_t wal_syncs_ ABSL_GUARDED_BY(wal_mu_) = 0;
  uint64_t wal_bytes_appended_ ABSL_GUARDED_BY(wal_mu_) = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options, const std::string& path) {
  auto db = std::make_unique<DbImpl>(options, path);
  if (absl::Status s = db->Init(); !s.ok()) return s;
  return db;
}

}  // namespace edgetsdb
