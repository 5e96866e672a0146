#include "db/head.h"

#include <algorithm>
#include <bit>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "compression/codec.h"
#include "compression/coding.h"
#include "db/rows.h"
#include "db/tag_matcher.h"

namespace edgetsdb {
namespace {

namespace c = compression;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// FieldView's value alternatives are in FieldType order (point.h).
FieldType TypeOfView(const FieldView& field) { return static_cast<FieldType>(field.value.index()); }

// A numeric or bool value as the 64 bits a Column stores.
uint64_t BitsOfView(const FieldView& field) {
  return std::visit(
      [](const auto& v) -> uint64_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) return std::bit_cast<uint64_t>(v);
        if constexpr (std::is_same_v<T, int64_t>) return static_cast<uint64_t>(v);
        if constexpr (std::is_same_v<T, uint64_t>) return v;
        if constexpr (std::is_same_v<T, bool>) return v ? 1 : 0;
        if constexpr (std::is_same_v<T, std::string_view>) return 0;
      },
      field.value);
}

// Fixed cost per group besides its buffers: the hash table's slot (a view and a pointer, at a
// load factor of at most 7/8), the measurement's pointer to it, and the group's own allocation.
constexpr size_t kGroupOverheadBytes = 32 + 8 + kAllocationOverheadBytes;

// Parses a canonical series key (docs/format/write_batch.md). Keys come from valid batches, so a
// parse failure is a bug; it yields what could be read.
void ParseSeriesKey(std::string_view key, std::string_view* measurement,
                    std::vector<TagView>* tags) {
  c::ByteReader in(key);
  uint64_t count = 0;
  tags->clear();
  if (!in.ReadLengthPrefixed(measurement) || !in.ReadVarint64(&count)) return;
  for (uint64_t i = 0; i < count; ++i) {
    TagView tag;
    if (!in.ReadLengthPrefixed(&tag.key) || !in.ReadLengthPrefixed(&tag.value)) return;
    tags->push_back(tag);
  }
}

}  // namespace

// Internal structures -----------------------------------------------------------------------------

namespace head_internal {

// A sealed run: its rows' chunks behind a small directory, in one allocation (a run costs its
// bytes plus this struct; most groups hold one or two runs):
//
//   varint timestamp chunk size | varint field count | (varint field id | varint chunk size)*
//   | timestamp chunk | field chunks, in directory order
//
// A timestamp chunk size of 0 means the first field, present in every row, carries the run's
// timestamps in its own chunk; the other fields present in every row have none. That saves the
// separate timestamp chunk (about 30 bytes) on every run that has such a field.
struct SealedRun {
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint32_t rows = 0;
  // A closed run is final. The group's last run may still grow: the next seal then re-encodes it
  // with the open run's rows.
  bool closed = false;
  std::string bytes;

  size_t MemoryBytes() const { return HeapBytes(bytes); }
};

struct Group {
  std::string key;  // Canonical series key.
  Measurement* measurement = nullptr;
  Rows open;                     // In arrival order.
  std::vector<SealedRun> runs;   // In the order written: a later run wins for equal timestamps.
  uint64_t runs_bytes = 0;       // Sum of the runs' MemoryBytes.
  uint64_t accounted_bytes = 0;  // This group's share of Head::memory_bytes_.
};

struct Measurement {
  std::string name;
  std::vector<FieldInfo> fields;  // By field id, in order of first write.
  absl::flat_hash_map<std::string, uint32_t> field_ids;
  std::vector<Group*> groups;

  // The id of the field, or nullopt. A device usually sends its fields in the same order, so the
  // hint group's open column at the field's position is tried before the hash table.
  std::optional<uint32_t> FindField(std::string_view key, const Group* hint, size_t index) const {
    if (hint != nullptr && index < hint->open.columns.size()) {
      const uint32_t id = hint->open.columns[index].field;
      if (fields[id].key == key) return id;
    }
    auto it = field_ids.find(AbslView(key));
    if (it == field_ids.end()) return std::nullopt;
    return it->second;
  }
};

namespace {

// Sorted, merged rows [begin, end) of a sealed run, encoded: one chunk per column with a value
// there. The first column with a value in every row (if any) carries the timestamps and comes
// first; other such columns have no timestamps of their own. Without such a column a timestamp
// chunk carries them.
struct EncodedPiece {
  struct FieldChunk {
    size_t column = 0;  // In Rows::columns.
    std::string data;
  };
  std::string timestamps;  // Empty when a field carries them.
  std::vector<FieldChunk> fields;
};

absl::Status EncodePiece(const Rows& rows, size_t begin, size_t end, bool use_codec_hints,
                         EncodedPiece* out) {
  auto codec = [&](size_t col) {
    return use_codec_hints ? rows.columns[col].codec_hint : c::Codec::kNone;
  };
  const size_t n = end - begin;
  std::vector<std::vector<size_t>> present(rows.columns.size());
  std::optional<size_t> carrier;  // The column that carries the timestamps.
  for (size_t col = 0; col < rows.columns.size(); ++col) {
    PresentRows(rows.columns[col], begin, end, &present[col]);
    if (!carrier && present[col].size() == n) carrier = col;
  }
  if (carrier) {
    EncodedPiece::FieldChunk chunk;
    chunk.column = *carrier;
    if (absl::Status s = EncodeColumn(rows, rows.columns[*carrier], present[*carrier],
                                      /*aligned=*/false, codec(*carrier), &chunk.data);
        !s.ok()) {
      return s;
    }
    out->fields.push_back(std::move(chunk));
  } else if (absl::Status s = EncodeTimestampChunk(rows, begin, end, &out->timestamps); !s.ok()) {
    return s;
  }
  for (size_t col = 0; col < rows.columns.size(); ++col) {
    if (present[col].empty() || (carrier && col == *carrier)) continue;
    EncodedPiece::FieldChunk chunk;
    chunk.column = col;
    if (absl::Status s =
            EncodeColumn(rows, rows.columns[col], present[col],
                         /*aligned=*/present[col].size() == n, codec(col), &chunk.data);
        !s.ok()) {
      return s;
    }
    out->fields.push_back(std::move(chunk));
  }
  return absl::OkStatus();
}

// Decodes a sealed run and appends its rows, which are newer than out's, to out; only the wanted
// fields (by field id; nullptr = all).
absl::Status DecodeRun(const SealedRun& run, const std::vector<FieldInfo>& infos,
                       const std::vector<bool>* wanted, Rows* out) {
  c::ByteReader in(run.bytes);
  uint64_t ts_size = 0, field_count = 0;
  if (!in.ReadVarint64(&ts_size) || !in.ReadVarint64(&field_count) || field_count > infos.size() ||
      (ts_size == 0 && field_count == 0)) {
    return absl::DataLossError("run directory");
  }
  std::vector<std::pair<uint32_t, std::string_view>> chunks(field_count);  // Field id, bytes.
  std::vector<uint64_t> sizes(field_count);
  for (uint64_t f = 0; f < field_count; ++f) {
    uint64_t id = 0;
    if (!in.ReadVarint64(&id) || !in.ReadVarint64(&sizes[f]) || id >= infos.size()) {
      return absl::DataLossError("run directory");
    }
    chunks[f].first = static_cast<uint32_t>(id);
  }
  std::string_view ts_bytes;
  if (!in.ReadBytes(ts_size, &ts_bytes)) return absl::DataLossError("run directory");
  for (uint64_t f = 0; f < field_count; ++f) {
    if (!in.ReadBytes(sizes[f], &chunks[f].second)) return absl::DataLossError("run directory");
  }

  absl::StatusOr<c::ParsedChunk> ts_chunk =
      c::ParseChunk(ts_size > 0 ? ts_bytes : chunks[0].second);
  if (!ts_chunk.ok()) return ts_chunk.status();
  std::vector<int64_t> ts;
  if (absl::Status s = c::DecodeChunkTimestamps(*ts_chunk, &ts); !s.ok()) return s;
  if (ts.size() != run.rows) return absl::DataLossError("run row count");
  const size_t base = out->size();
  out->ts.insert(out->ts.end(), ts.begin(), ts.end());
  std::vector<int64_t> own_ts;
  std::vector<size_t> rows;
  for (size_t f = 0; f < chunks.size(); ++f) {
    const auto [field, bytes] = chunks[f];
    if (wanted != nullptr && !(*wanted)[field]) continue;
    absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(bytes);
    if (!chunk.ok()) return chunk.status();
    absl::StatusOr<c::Column> values = c::DecodeChunkValues(*chunk);
    if (!values.ok()) return values.status();
    const FieldType type = infos[field].type;
    // Column's alternatives are in FieldType order, as FieldValue's.
    if (static_cast<FieldType>(values->index()) != type) {
      return absl::DataLossError("chunk type differs from the field's");
    }
    rows.clear();
    if (chunk->timestamp_codec == c::Codec::kNone || chunk->summary.count == ts.size()) {
      // Aligned, or the timestamp carrier: a value in every row.
      if (chunk->summary.count != ts.size()) return absl::DataLossError("aligned chunk count");
      for (size_t r = 0; r < ts.size(); ++r) rows.push_back(base + r);
    } else {
      if (absl::Status s = c::DecodeChunkTimestamps(*chunk, &own_ts); !s.ok()) return s;
      // The field's timestamps are a subsequence of the run's, which strictly ascend.
      size_t r = 0;
      for (int64_t t : own_ts) {
        while (r < ts.size() && ts[r] < t) ++r;
        if (r == ts.size() || ts[r] != t) return absl::DataLossError("field timestamps");
        rows.push_back(base + r);
      }
    }
    Rows::Column& column = out->ColumnFor(field, type, f);
    column.codec_hint = chunk->value_codec;
    if (absl::Status s = StoreValues(std::move(*values), rows, column, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Encodes sorted, merged rows [begin, end) as a sealed run.
absl::StatusOr<SealedRun> EncodeRun(const Rows& rows, size_t begin, size_t end,
                                    bool use_codec_hints) {
  EncodedPiece piece;
  if (absl::Status s = EncodePiece(rows, begin, end, use_codec_hints, &piece); !s.ok()) {
    return s;
  }
  std::string directory;
  c::PutVarint64(&directory, piece.timestamps.size());
  c::PutVarint64(&directory, piece.fields.size());
  size_t total = piece.timestamps.size();
  for (const EncodedPiece::FieldChunk& f : piece.fields) {
    c::PutVarint64(&directory, rows.columns[f.column].field);
    c::PutVarint64(&directory, f.data.size());
    total += f.data.size();
  }
  SealedRun run;
  run.min_time = rows.ts[begin];
  run.max_time = rows.ts[end - 1];
  run.rows = static_cast<uint32_t>(end - begin);
  run.bytes.reserve(directory.size() + total);  // Exactly: the run is read-only from now on.
  run.bytes.append(directory);
  run.bytes.append(piece.timestamps);
  for (const EncodedPiece::FieldChunk& f : piece.fields) run.bytes.append(f.data);
  return run;
}

}  // namespace
}  // namespace head_internal

using head_internal::CutPoints;
using head_internal::DecodeRun;
using head_internal::EncodeFlushGroup;
using head_internal::EncodeRun;
using head_internal::SealedRun;

// Head ------------------------------------------------------------------------------------------

namespace {

HeadOptions Clamp(HeadOptions o) {
  o.max_chunk_values = std::clamp<uint32_t>(o.max_chunk_values, 1, c::kMaxChunkValues);
  o.max_open_rows = std::clamp<uint32_t>(o.max_open_rows, 1, o.max_chunk_values);
  o.max_chunk_span_ns = std::max<int64_t>(o.max_chunk_span_ns, 0);
  o.partition_ns = std::max<int64_t>(o.partition_ns, 1);
  return o;
}

}  // namespace

Head::Head(const HeadOptions& options) : options_(Clamp(options)) {}

Head::~Head() = default;

absl::Status Head::Apply(const WriteBatch& batch) {
  absl::MutexLock lock(&mu_);
  // Pass 1 decodes the batch and checks every field's type against the measurement's and the
  // batch's own earlier points, without changing anything, so that a refused batch leaves no
  // trace. Pass 2 applies what pass 1 decoded.
  decoded_points_.clear();
  decoded_fields_.clear();
  absl::flat_hash_map<std::string, FieldType> new_types;  // measurement length:name + field key.
  WriteBatch::Reader check(batch);
  while (check.Next()) {
    const absl::Span<const FieldView> fields = check.fields();
    decoded_points_.push_back({nullptr, check.series_key(), check.measurement(), check.timestamp(),
                               static_cast<uint32_t>(decoded_fields_.size()),
                               static_cast<uint32_t>(fields.size())});
    decoded_fields_.insert(decoded_fields_.end(), fields.begin(), fields.end());
  }
  if (!check.status().ok()) return check.status();
  const absl::Span<const FieldView> all_fields(decoded_fields_);

  // A batch usually touches thousands of devices once each, so every lookup and append misses the
  // cache; asking for the lines a few points ahead lets those misses overlap.
  constexpr size_t kAhead = 8;
  const size_t n = decoded_points_.size();
  for (size_t p = 0; p < n; ++p) {
    if (p + kAhead < n) groups_.prefetch(AbslView(decoded_points_[p + kAhead].series_key));
    DecodedPoint& point = decoded_points_[p];
    if (auto it = groups_.find(AbslView(point.series_key)); it != groups_.end()) {
      point.group = it->second.get();
    }
    const Group* group = point.group;
    const Measurement* measurement = nullptr;
    if (group != nullptr) {
      measurement = group->measurement;
    } else if (auto it = measurements_.find(AbslView(point.measurement));
               it != measurements_.end()) {
      measurement = it->second.get();
    }
    const absl::Span<const FieldView> fields =
        all_fields.subspan(point.first_field, point.field_count);
    for (size_t i = 0; i < fields.size(); ++i) {
      const FieldType type = TypeOfView(fields[i]);
      std::optional<FieldType> existing;
      if (measurement != nullptr) {
        if (std::optional<uint32_t> id = measurement->FindField(fields[i].key, group, i)) {
          existing = measurement->fields[*id].type;
        }
      }
      if (!existing) {
        std::string key = absl::StrCat(point.measurement.size(), ":", AbslView(point.measurement),
                                       AbslView(fields[i].key));
        existing = new_types.try_emplace(std::move(key), type).first->second;
      }
      if (*existing != type) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field type conflict: input field \"", AbslView(fields[i].key), "\" on measurement \"",
            AbslView(point.measurement), "\" is type ", AbslView(FieldTypeName(type)),
            ", already exists as type ", AbslView(FieldTypeName(*existing))));
      }
    }
  }

  for (size_t p = 0; p < n; ++p) {
    if (p + kAhead < n && decoded_points_[p + kAhead].group != nullptr) {
      const Rows& open = decoded_points_[p + kAhead].group->open;
      __builtin_prefetch(open.ts.data() + open.ts.size());
      if (!open.columns.empty()) __builtin_prefetch(open.columns.data());
    }
    const DecodedPoint& point = decoded_points_[p];
    Group* group = point.group;
    if (group == nullptr) group = FindOrCreateGroup(point.series_key, point.measurement);
    AppendPoint(group, point.timestamp, all_fields.subspan(point.first_field, point.field_count));
  }
  // The scratch keeps its capacity for the next batch, unless a huge batch would leave it large.
  constexpr size_t kMaxKeptPoints = 64 * 1024;
  if (decoded_points_.capacity() > kMaxKeptPoints) {
    decoded_points_ = {};
    decoded_fields_ = {};
  }
  return absl::OkStatus();
}

Head::Measurement* Head::FindOrCreateMeasurement(std::string_view name) {
  auto it = measurements_.find(AbslView(name));
  if (it == measurements_.end()) {
    auto measurement = std::make_unique<Measurement>();
    measurement->name = std::string(name);
    // The name is stored twice: in the measurement and as the map's key.
    memory_bytes_ += AllocationBytes(sizeof(Measurement)) + 2 * HeapBytes(measurement->name) + 32;
    it = measurements_.emplace(measurement->name, std::move(measurement)).first;
  }
  return it->second.get();
}

uint32_t Head::AddField(Measurement& measurement, std::string_view key, FieldType type) {
  const auto id = static_cast<uint32_t>(measurement.fields.size());
  measurement.fields.push_back(FieldInfo{std::string(key), type});
  measurement.field_ids.emplace(std::string(key), id);
  // The key is stored twice, in fields and field_ids; 32 for the hash table's slot.
  memory_bytes_ += sizeof(FieldInfo) + 2 * key.size() + 32;
  return id;
}

void Head::AddFieldTypes(std::string_view measurement_name, absl::Span<const FieldInfo> fields) {
  absl::MutexLock lock(&mu_);
  Measurement* measurement = FindOrCreateMeasurement(measurement_name);
  for (const FieldInfo& field : fields) {
    if (!measurement->field_ids.contains(AbslView(field.key))) {
      AddField(*measurement, field.key, field.type);
    }
  }
}

std::vector<std::pair<std::string, std::vector<FieldInfo>>> Head::FieldTypes() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::pair<std::string, std::vector<FieldInfo>>> out;
  for (const auto& [name, measurement] : measurements_) {
    out.emplace_back(name, measurement->fields);
  }
  return out;
}

Head::Group* Head::FindOrCreateGroup(std::string_view series_key, std::string_view measurement) {
  if (auto it = groups_.find(AbslView(series_key)); it != groups_.end()) {
    return it->second.get();
  }
  auto group = std::make_unique<Group>();
  group->key = std::string(series_key);
  group->measurement = FindOrCreateMeasurement(measurement);
  Group* raw = group.get();
  groups_.emplace(AbslView(raw->key), std::move(group));
  raw->measurement->groups.push_back(raw);
  memory_bytes_ += sizeof(Group*);  // In the measurement's list.
  return raw;
}

void Head::AppendPoint(Group* group, int64_t t, absl::Span<const FieldView> fields) {
  Measurement& measurement = *group->measurement;
  Rows& open = group->open;
  const size_t row = open.size();
  open.ts.push_back(t);
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldView& field = fields[i];
    const FieldType type = TypeOfView(field);
    std::optional<uint32_t> id = measurement.FindField(field.key, group, i);
    if (!id) id = AddField(measurement, field.key, type);
    Rows::Column& column = open.ColumnFor(*id, type, i);
    if (type == FieldType::kString) {
      open.SetString(column, row, std::string(std::get<std::string_view>(field.value)));
    } else {
      column.SetBits(row, BitsOfView(field));
    }
  }
  ++points_;
  min_time_ = std::min(min_time_, t);
  max_time_ = std::max(max_time_, t);
  if (open.size() >= options_.max_open_rows) Seal(group);
  Reaccount(group);
}

void Head::Seal(Group* group) {
  if (group->open.size() == 0) return;
  // The last run, while it may grow, is merged with the open rows and re-encoded: runs of
  // max_open_rows rows would cost a chunk header (about 50 bytes) per field every few rows.
  Rows rows;
  const bool regrow = !group->runs.empty() && !group->runs.back().closed;
  if (regrow && !DecodeRun(group->runs.back(), group->measurement->fields, nullptr, &rows).ok()) {
    ++seal_failures_;
    return;
  }
  rows.Append(group->open, nullptr);
  rows.SortAndMerge();

  // Every piece but the newest is closed, and the newest too once full. A closed run gets the
  // codecs' automatic choice, which tries several on a sample: a third of the cost of sealing. A
  // run that may grow again is encoded with the codec chosen last time for the same field, if
  // any: the values are mostly the same ones.
  const std::vector<size_t> cuts = CutPoints(rows, 0, rows.size(), options_);
  std::vector<SealedRun> sealed;
  size_t begin = 0;
  for (size_t end : cuts) {
    const bool closed = end != rows.size() || end - begin >= options_.max_chunk_values;
    absl::StatusOr<SealedRun> run = EncodeRun(rows, begin, end, /*use_codec_hints=*/!closed);
    if (!run.ok()) {
      ++seal_failures_;
      return;
    }
    run->closed = closed;
    sealed.push_back(*std::move(run));
    begin = end;
  }

  if (regrow) {
    group->runs_bytes -= group->runs.back().MemoryBytes();
    group->runs.pop_back();
  }
  for (SealedRun& run : sealed) {
    group->runs_bytes += run.MemoryBytes();
    group->runs.push_back(std::move(run));
  }
  group->open.Clear();
}

void Head::Reaccount(Group* group) {
  const uint64_t bytes =
      sizeof(Group) + kGroupOverheadBytes + HeapBytes(group->key) + group->open.MemoryBytes() +
      AllocationBytes(group->runs.capacity() * sizeof(SealedRun)) + group->runs_bytes;
  memory_bytes_ += bytes - group->accounted_bytes;
  group->accounted_bytes = bytes;
}

void Head::SealOpenRuns() {
  absl::MutexLock lock(&mu_);
  for (auto& [key, group] : groups_) {
    Seal(group.get());
    if (group->open.size() == 0) group->open = Rows();
    group->runs.shrink_to_fit();
    Reaccount(group.get());
  }
}

absl::Status Head::CollectRows(const Group& group, int64_t lo, int64_t hi,
                               const std::vector<bool>* wanted, Rows* out) const {
  const std::vector<FieldInfo>& infos = group.measurement->fields;
  for (const SealedRun& run : group.runs) {
    if (run.max_time < lo || run.min_time > hi) continue;
    if (absl::Status s = DecodeRun(run, infos, wanted, out); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("head: sealed run of a group of measurement \"",
                                                 group.measurement->name, "\": ", s.message()));
    }
  }
  out->Append(group.open, wanted);
  out->SortAndMerge();
  return absl::OkStatus();
}

std::vector<const Head::Group*> Head::SortedGroups(const Measurement* measurement) const {
  std::vector<const Group*> out;
  if (measurement != nullptr) {
    out.assign(measurement->groups.begin(), measurement->groups.end());
  } else {
    out.reserve(groups_.size());
    for (const auto& [key, group] : groups_) out.push_back(group.get());
  }
  std::sort(out.begin(), out.end(), [](const Group* a, const Group* b) { return a->key < b->key; });
  return out;
}

absl::StatusOr<std::vector<SeriesData>> Head::Query(const SeriesSelector& selector) const {
  if (selector.measurement.empty()) {
    return absl::InvalidArgumentError("head query: a measurement is required");
  }
  absl::StatusOr<TagMatchers> matchers = TagMatchers::Compile(selector.matchers);
  if (!matchers.ok()) return matchers.status();
  std::vector<SeriesData> result;
  if (selector.min_time > selector.max_time) return result;

  absl::ReaderMutexLock lock(&mu_);
  auto m_it = measurements_.find(AbslView(selector.measurement));
  if (m_it == measurements_.end()) return result;
  const Measurement& measurement = *m_it->second;
  std::vector<bool> wanted(measurement.fields.size(), selector.fields.empty());
  for (const std::string& name : selector.fields) {
    if (auto it = measurement.field_ids.find(name); it != measurement.field_ids.end()) {
      wanted[it->second] = true;
    }
  }
  if (std::find(wanted.begin(), wanted.end(), true) == wanted.end()) return result;

  std::string_view measurement_name;
  std::vector<TagView> tags;
  std::vector<size_t> rows_in_range;
  for (const Group* group : SortedGroups(&measurement)) {
    ParseSeriesKey(group->key, &measurement_name, &tags);
    if (!matchers->Matches(tags)) continue;
    Rows rows;
    if (absl::Status s = CollectRows(*group, selector.min_time, selector.max_time, &wanted, &rows);
        !s.ok()) {
      return s;
    }
    const size_t begin =
        std::lower_bound(rows.ts.begin(), rows.ts.end(), selector.min_time) - rows.ts.begin();
    const size_t end =
        std::upper_bound(rows.ts.begin(), rows.ts.end(), selector.max_time) - rows.ts.begin();
    std::vector<const Rows::Column*> columns;
    for (const Rows::Column& column : rows.columns) columns.push_back(&column);
    std::sort(columns.begin(), columns.end(), [&](const Rows::Column* a, const Rows::Column* b) {
      return measurement.fields[a->field].key < measurement.fields[b->field].key;
    });
    for (const Rows::Column* column : columns) {
      rows_in_range.clear();
      for (size_t r = begin; r < end; ++r) {
        if (column->Present(r)) rows_in_range.push_back(r);
      }
      if (rows_in_range.empty()) continue;
      SeriesData series;
      series.measurement = measurement.name;
      for (const TagView& tag : tags) series.tags.emplace_back(tag.key, tag.value);
      series.field = measurement.fields[column->field].key;
      series.type = column->type;
      for (size_t r : rows_in_range) series.timestamps.push_back(rows.ts[r]);
      series.values = head_internal::GatherValues(*column, rows_in_range);
      result.push_back(std::move(series));
    }
  }
  return result;
}

std::vector<HeadPartition> Head::Partitions() const {
  absl::ReaderMutexLock lock(&mu_);
  absl::flat_hash_set<int64_t> starts;
  for (const auto& [key, group] : groups_) {
    // A sealed run never straddles a partition; open rows may be anywhere.
    for (const SealedRun& run : group->runs) {
      starts.insert(PartitionStart(run.min_time, options_.partition_ns));
    }
    for (int64_t t : group->open.ts) starts.insert(PartitionStart(t, options_.partition_ns));
  }
  std::vector<int64_t> sorted(starts.begin(), starts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<HeadPartition> out;
  out.reserve(sorted.size());
  for (int64_t start : sorted) out.push_back({start, PartitionEnd(start, options_.partition_ns)});
  return out;
}

absl::Status Head::FlushInput(int64_t start, int64_t end,
                              absl::FunctionRef<absl::Status(FlushGroup&&)> sink,
                              int64_t block_width_ns) const {
  const int64_t last = end == kMaxTime ? kMaxTime : end - 1;  // Inclusive.
  if (end != kMaxTime && start >= end) return absl::OkStatus();
  HeadOptions cut = options_;
  if (block_width_ns > 0) {
    cut.partition_ns = block_width_ns;
    cut.max_chunk_span_ns = block_width_ns;
  }
  absl::ReaderMutexLock lock(&mu_);
  for (const Group* group : SortedGroups(nullptr)) {
    Rows rows;
    if (absl::Status s = CollectRows(*group, start, last, nullptr, &rows); !s.ok()) return s;
    const size_t begin = std::lower_bound(rows.ts.begin(), rows.ts.end(), start) - rows.ts.begin();
    const size_t stop = std::upper_bound(rows.ts.begin(), rows.ts.end(), last) - rows.ts.begin();
    if (begin >= stop) continue;

    FlushGroup out;
    out.series_key = group->key;
    if (absl::Status s = EncodeFlushGroup(rows, begin, stop, group->measurement->fields, cut, &out);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = sink(std::move(out)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<std::string> Head::Measurements() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, measurement] : measurements_) {
    if (!measurement->groups.empty()) out.push_back(name);  // Not those only AddFieldTypes made.
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Head::TagKeys(std::string_view measurement) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  auto it = measurements_.find(AbslView(measurement));
  if (it == measurements_.end()) return out;
  std::string_view name;
  std::vector<TagView> tags;
  absl::flat_hash_set<std::string_view> seen;  // Views into the groups' keys.
  for (const Group* group : it->second->groups) {
    ParseSeriesKey(group->key, &name, &tags);
    for (const TagView& tag : tags) {
      if (seen.insert(tag.key).second) out.emplace_back(tag.key);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Head::TagValues(std::string_view measurement, std::string_view key) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  auto it = measurements_.find(AbslView(measurement));
  if (it == measurements_.end()) return out;
  std::string_view name;
  std::vector<TagView> tags;
  for (const Group* group : it->second->groups) {
    ParseSeriesKey(group->key, &name, &tags);
    for (const TagView& tag : tags) {
      if (tag.key == key) out.emplace_back(tag.value);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<FieldInfo> Head::FieldKeys(std::string_view measurement) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<FieldInfo> out;
  auto it = measurements_.find(AbslView(measurement));
  if (it == measurements_.end()) return out;
  out = it->second->fields;
  std::sort(out.begin(), out.end(),
            [](const FieldInfo& a, const FieldInfo& b) { return a.key < b.key; });
  return out;
}

std::vector<std::string> Head::SeriesKeys(std::string_view measurement) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  auto it = measurements_.find(AbslView(measurement));
  if (it == measurements_.end()) return out;
  for (const Group* group : it->second->groups) out.push_back(group->key);
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t Head::MemoryBytes() const {
  absl::ReaderMutexLock lock(&mu_);
  return memory_bytes_;
}

int64_t Head::MinTime() const {
  absl::ReaderMutexLock lock(&mu_);
  return min_time_;
}

int64_t Head::MaxTime() const {
  absl::ReaderMutexLock lock(&mu_);
  return max_time_;
}

size_t Head::SeriesCount() const {
  absl::ReaderMutexLock lock(&mu_);
  return groups_.size();
}

HeadStats Head::Stats() const {
  absl::ReaderMutexLock lock(&mu_);
  HeadStats stats;
  stats.series = groups_.size();
  stats.points = points_;
  stats.memory_bytes = memory_bytes_;
  stats.seal_failures = seal_failures_;
  for (const auto& [key, group] : groups_) {
    stats.open_rows += group->open.size();
    stats.sealed_runs += group->runs.size();
    for (const SealedRun& run : group->runs) {
      stats.sealed_rows += run.rows;
      stats.sealed_bytes += run.bytes.size();
    }
  }
  return stats;
}

}  // namespace edgetsdb
