#include "db/block_query.h"

#include <algorithm>
#include <map>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "compression/coding.h"

namespace edgetsdb {
namespace {

namespace c = compression;

absl::Status Damaged(const BlockReader& block, const absl::Status& cause) {
  return absl::DataLossError(absl::StrCat(block.path(), ": ", cause.message()));
}

// The ValueColumn alternative that holds values of this chunk type.
constexpr size_t ColumnIndexOf(c::ValueType type) { return static_cast<size_t>(type) - 1; }
static_assert(
    std::is_same_v<std::variant_alternative_t<ColumnIndexOf(c::ValueType::kFloat), ValueColumn>,
                   std::vector<double>>);

// Room for extra more values, growing geometrically when a caller appends to the same vector
// again and again (the reservation is exact the first time, which is the common case).
template <typename T>
void ReserveMore(std::vector<T>* v, size_t extra) {
  if (v->capacity() - v->size() < extra) v->reserve(std::max(v->size() + extra, 2 * v->capacity()));
}

}  // namespace

std::string CanonicalSeriesKey(std::string_view measurement,
                               const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string key;
  c::PutVarint64(&key, measurement.size());
  key.append(measurement);
  c::PutVarint64(&key, tags.size());
  for (const auto& [k, v] : tags) {
    c::PutVarint64(&key, k.size());
    key.append(k);
    c::PutVarint64(&key, v.size());
    key.append(v);
  }
  return key;
}

bool ParseCanonicalSeriesKey(std::string_view key, std::string_view* measurement,
                             std::vector<TagView>* tags) {
  c::ByteReader in(key);
  uint64_t count = 0;
  tags->clear();
  if (!in.ReadLengthPrefixed(measurement) || !in.ReadVarint64(&count)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    TagView tag;
    if (!in.ReadLengthPrefixed(&tag.key) || !in.ReadLengthPrefixed(&tag.value)) return false;
    tags->push_back(tag);
  }
  return in.remaining() == 0;
}

std::string FormatSeriesKey(std::string_view measurement, const std::vector<TagView>& tags) {
  auto append = [](std::string* out, std::string_view s, std::string_view special) {
    for (char ch : s) {
      if (special.find(ch) != std::string_view::npos) out->push_back('\\');
      out->push_back(ch);
    }
  };
  std::string out;
  append(&out, measurement, ", ");
  for (const TagView& tag : tags) {
    out.push_back(',');
    append(&out, tag.key, ",= ");
    out.push_back('=');
    append(&out, tag.value, ",= ");
  }
  return out;
}

std::vector<KeyedSeries> WithKeys(std::vector<SeriesData> series) {
  std::vector<KeyedSeries> out;
  out.reserve(series.size());
  for (SeriesData& s : series) {
    std::string key = CanonicalSeriesKey(s.measurement, s.tags);
    out.push_back({std::move(key), std::move(s)});
  }
  return out;
}

ValueColumn EmptyColumn(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
      return std::vector<double>();
    case FieldType::kInt:
      return std::vector<int64_t>();
    case FieldType::kUint:
      return std::vector<uint64_t>();
    case FieldType::kBool:
      return std::vector<uint8_t>();
    case FieldType::kString:
      return std::vector<std::string>();
  }
  return std::vector<double>();
}

void BlockScan::StartGroup() {
  for (std::vector<int64_t>& chunk : timestamps_) chunk.clear();
}

absl::StatusOr<std::string_view> BlockScan::ReadChunk(const BlockReader& block,
                                                      const ChunkRef& ref) {
  for (HeldFrame& held : frames_) {
    if (held.block != &block || held.frame != ref.frame || held.data == nullptr) continue;
    const std::string& data = *held.data;
    // A ref outside its frame: the reader says so.
    if (ref.length == 0 || ref.offset > data.size() || ref.length > data.size() - ref.offset) break;
    held.last_use = ++uses_;
    return std::string_view(data).substr(ref.offset, ref.length);
  }
  absl::StatusOr<BlockReader::ChunkBytes> chunk = block.ReadChunkView(ref);
  if (!chunk.ok()) return chunk.status();
  HeldFrame* victim = &frames_[0];
  for (HeldFrame& held : frames_) {
    if (held.last_use < victim->last_use) victim = &held;
  }
  *victim = HeldFrame{&block, ref.frame, ++uses_, std::move(chunk->frame)};
  return chunk->bytes;
}

absl::StatusOr<const std::vector<int64_t>*> BlockScan::SharedTimestamps(const BlockReader& block,
                                                                        const BlockGroup& group,
                                                                        size_t index) {
  if (timestamps_.size() < group.timestamp_chunks.size()) {
    timestamps_.resize(group.timestamp_chunks.size());
  }
  std::vector<int64_t>& decoded = timestamps_[index];
  // A decoded chunk is never empty, so empty means not decoded yet.
  if (!decoded.empty()) return &decoded;
  absl::StatusOr<std::string_view> bytes = ReadChunk(block, group.timestamp_chunks[index]);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(*bytes);
  if (!chunk.ok()) return Damaged(block, chunk.status());
  if (absl::Status s = c::DecodeChunkTimestamps(*chunk, &decoded); !s.ok()) {
    decoded.clear();
    return Damaged(block, s);
  }
  return &decoded;
}

absl::Status ReadFieldRange(const BlockReader& block, const BlockGroup& group,
                            const BlockField& field, int64_t lo, int64_t hi,
                            std::vector<int64_t>* timestamps, ValueColumn* values,
                            BlockScan* scan) {
  size_t wanted = 0;
  for (const ChunkRef& ref : field.chunks) {
    if (ref.last_time >= lo && ref.first_time <= hi) wanted += ref.count;
  }
  if (wanted == 0) return absl::OkStatus();
  // Decoding appends to the values in place: reserved once, they are neither grown nor copied.
  ReserveMore(timestamps, wanted);
  std::visit([&](auto& v) { ReserveMore(&v, wanted); }, *values);
  BlockScan local;
  if (scan == nullptr) scan = &local;
  for (size_t i = 0; i < field.chunks.size(); ++i) {
    const ChunkRef& ref = field.chunks[i];
    if (ref.last_time < lo || ref.first_time > hi) continue;
    const std::vector<int64_t>* chunk_ts = scan->own_timestamps();
    if (field.shared_timestamps) {
      if (i >= group.timestamp_chunks.size()) {
        return Damaged(block, absl::DataLossError("shared field without its timestamp chunk"));
      }
      absl::StatusOr<const std::vector<int64_t>*> shared = scan->SharedTimestamps(block, group, i);
      if (!shared.ok()) return shared.status();
      chunk_ts = *shared;
    }
    absl::StatusOr<std::string_view> bytes = scan->ReadChunk(block, ref);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(*bytes);
    if (!chunk.ok()) return Damaged(block, chunk.status());
    if (ColumnIndexOf(chunk->summary.type) != values->index()) {
      return Damaged(block, absl::DataLossError("chunk type differs from its field's"));
    }
    const size_t old_size = std::visit([](const auto& v) { return v.size(); }, *values);
    if (absl::Status s = c::DecodeChunkValuesInto(*chunk, values); !s.ok()) {
      return Damaged(block, s);
    }
    if (!field.shared_timestamps) {
      if (absl::Status s = c::DecodeChunkTimestamps(*chunk, scan->own_timestamps()); !s.ok()) {
        return Damaged(block, s);
      }
    }
    const size_t n = chunk->summary.count;
    if (chunk_ts->size() != n) {
      return Damaged(block, absl::DataLossError("chunk value and timestamp counts differ"));
    }
    size_t begin = 0, end = n;
    if (ref.first_time < lo || ref.last_time > hi) {  // Else the whole chunk is in range.
      begin = std::lower_bound(chunk_ts->begin(), chunk_ts->end(), lo) - chunk_ts->begin();
      end = std::upper_bound(chunk_ts->begin(), chunk_ts->end(), hi) - chunk_ts->begin();
    }
    if (begin >= end) begin = end = 0;  // Nothing in range (or timestamps out of order).
    // Keeps the chunk's values [begin, end) of those just appended.
    std::visit(
        [&](auto& v) {
          v.resize(old_size + end);
          v.erase(v.begin() + static_cast<ptrdiff_t>(old_size),
                  v.begin() + static_cast<ptrdiff_t>(old_size + begin));
        },
        *values);
    timestamps->insert(timestamps->end(), chunk_ts->begin() + static_cast<ptrdiff_t>(begin),
                       chunk_ts->begin() + static_cast<ptrdiff_t>(end));
  }
  return absl::OkStatus();
}

absl::Status QueryBlock(const BlockReader& block, const SeriesSelector& selector,
                        const TagMatchers& matchers, std::vector<KeyedSeries>* out) {
  const BlockMeta& meta = block.meta();
  // The block holds [start, end); the selector's range is inclusive.
  if (selector.max_time < meta.start || (meta.end != kMaxTime && selector.min_time >= meta.end)) {
    return absl::OkStatus();
  }
  BlockScan scan;
  for (uint32_t id : block.GroupsOf(selector.measurement)) {
    if (!matchers.empty() && !matchers.Matches(block.tags(id))) continue;
    const BlockGroup group = block.group(id);
    scan.StartGroup();  // The group's timestamp chunks are decoded once for all its fields.
    for (const BlockField& field : group.fields) {  // Sorted by key.
      if (!selector.fields.empty() && std::find(selector.fields.begin(), selector.fields.end(),
                                                field.key) == selector.fields.end()) {
        continue;
      }
      KeyedSeries series;
      series.data.type = field.type;
      series.data.values = EmptyColumn(field.type);
      if (absl::Status s = ReadFieldRange(block, group, field, selector.min_time, selector.max_time,
                                          &series.data.timestamps, &series.data.values, &scan);
          !s.ok()) {
        return s;
      }
      if (series.data.timestamps.empty()) continue;
      series.series_key = group.series_key;
      series.data.measurement = std::string(group.measurement);
      for (const TagView& tag : group.tags) series.data.tags.emplace_back(tag.key, tag.value);
      series.data.field = std::string(field.key);
      out->push_back(std::move(series));
    }
  }
  return absl::OkStatus();
}

void MergeSeriesInto(SeriesData* older, SeriesData&& newer) {
  if (newer.timestamps.empty()) return;
  if (older->type != newer.type || older->timestamps.empty()) {
    *older = std::move(newer);
    return;
  }
  std::visit(
      [&](auto& old_values) {
        using V = std::decay_t<decltype(old_values)>;
        V& new_values = std::get<V>(newer.values);
        std::vector<int64_t>& old_ts = older->timestamps;
        std::vector<int64_t>& new_ts = newer.timestamps;
        if (old_ts.back() < new_ts.front()) {  // The common case: newer data is later.
          old_ts.insert(old_ts.end(), new_ts.begin(), new_ts.end());
          old_values.insert(old_values.end(), std::make_move_iterator(new_values.begin()),
                            std::make_move_iterator(new_values.end()));
          return;
        }
        std::vector<int64_t> ts;
        V values;
        ts.reserve(old_ts.size() + new_ts.size());
        values.reserve(old_ts.size() + new_ts.size());
        size_t i = 0, j = 0;
        while (i < old_ts.size() || j < new_ts.size()) {
          if (j == new_ts.size() || (i < old_ts.size() && old_ts[i] < new_ts[j])) {
            ts.push_back(old_ts[i]);
            values.push_back(std::move(old_values[i++]));
          } else {
            if (i < old_ts.size() && old_ts[i] == new_ts[j]) ++i;  // Newer wins.
            ts.push_back(new_ts[j]);
            values.push_back(std::move(new_values[j++]));
          }
        }
        old_ts = std::move(ts);
        old_values = std::move(values);
      },
      older->values);
}

std::vector<SeriesData> MergeSources(std::vector<std::vector<KeyedSeries>> sources) {
  if (sources.size() == 1) {
    std::vector<SeriesData> out;
    out.reserve(sources[0].size());
    for (KeyedSeries& s : sources[0]) out.push_back(std::move(s.data));
    return out;
  }
  // Each series' pieces, oldest source first.
  std::map<std::pair<std::string, std::string>, std::vector<SeriesData*>> pieces;
  for (std::vector<KeyedSeries>& source : sources) {
    for (KeyedSeries& s : source) {
      pieces[{std::move(s.series_key), s.data.field}].push_back(&s.data);
    }
  }
  std::vector<SeriesData> out;
  out.reserve(pieces.size());
  for (auto& entry : pieces) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::vector<SeriesData*>& list = entry.second;
    out.push_back(std::move(*list[0]));
    SeriesData& merged = out.back();
    if (list.size() == 1) continue;
    // The common case: pieces of one type, each later than the one before (blocks of successive
    // partitions, then the head): concatenated into columns reserved once. Else merged pairwise.
    bool ordered = !merged.timestamps.empty();
    size_t total = merged.timestamps.size();
    for (size_t i = 1; i < list.size() && ordered; ++i) {
      const SeriesData& piece = *list[i];
      const int64_t last = i == 1 ? merged.timestamps.back() : list[i - 1]->timestamps.back();
      ordered =
          piece.type == merged.type && !piece.timestamps.empty() && piece.timestamps.front() > last;
      total += piece.timestamps.size();
    }
    if (!ordered) {
      for (size_t i = 1; i < list.size(); ++i) MergeSeriesInto(&merged, std::move(*list[i]));
      continue;
    }
    ReserveMore(&merged.timestamps, total - merged.timestamps.size());
    std::visit(
        [&](auto& values) {
          using V = std::decay_t<decltype(values)>;
          ReserveMore(&values, total - values.size());
          for (size_t i = 1; i < list.size(); ++i) {
            V& from = std::get<V>(list[i]->values);
            merged.timestamps.insert(merged.timestamps.end(), list[i]->timestamps.begin(),
                                     list[i]->timestamps.end());
            values.insert(values.end(), std::make_move_iterator(from.begin()),
                          std::make_move_iterator(from.end()));
          }
        },
        merged.values);
  }
  return out;
}

}  // namespace edgetsdb
