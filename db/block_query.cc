#include "db/block_query.h"

#include <algorithm>
#include <map>
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

// Decodes one chunk's values, and its timestamps unless the field shares its group's.
absl::Status DecodeChunk(const BlockReader& block, const ChunkRef& ref, bool own_timestamps,
                         std::vector<int64_t>* timestamps, c::Column* values) {
  absl::StatusOr<std::string> bytes = block.ReadChunk(ref);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(*bytes);
  if (!chunk.ok()) return Damaged(block, chunk.status());
  absl::StatusOr<c::Column> decoded = c::DecodeChunkValues(*chunk);
  if (!decoded.ok()) return Damaged(block, decoded.status());
  *values = *std::move(decoded);
  if (own_timestamps) {
    timestamps->clear();
    if (absl::Status s = c::DecodeChunkTimestamps(*chunk, timestamps); !s.ok()) {
      return Damaged(block, s);
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeTimestampChunk(const BlockReader& block, const ChunkRef& ref,
                                  std::vector<int64_t>* timestamps) {
  absl::StatusOr<std::string> bytes = block.ReadChunk(ref);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(*bytes);
  if (!chunk.ok()) return Damaged(block, chunk.status());
  timestamps->clear();
  if (absl::Status s = c::DecodeChunkTimestamps(*chunk, timestamps); !s.ok()) {
    return Damaged(block, s);
  }
  return absl::OkStatus();
}

template <typename T>
void AppendRange(const std::vector<T>& from, size_t begin, size_t end, std::vector<T>* to) {
  to->insert(to->end(), from.begin() + begin, from.begin() + end);
}

template <typename T>
void AppendRange(std::vector<T>&& from, size_t begin, size_t end, std::vector<T>* to) {
  if (to->empty() && begin == 0 && end == from.size()) {
    *to = std::move(from);
    return;
  }
  to->insert(to->end(), std::make_move_iterator(from.begin() + begin),
             std::make_move_iterator(from.begin() + end));
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

absl::Status ReadFieldRange(const BlockReader& block, const BlockGroup& group,
                            const BlockField& field, int64_t lo, int64_t hi,
                            std::vector<int64_t>* timestamps, ValueColumn* values,
                            SharedTimestamps* shared) {
  SharedTimestamps local;
  if (shared == nullptr) shared = &local;
  std::vector<int64_t> own_ts;
  c::Column chunk_values;
  for (size_t i = 0; i < field.chunks.size(); ++i) {
    const ChunkRef& ref = field.chunks[i];
    if (ref.last_time < lo || ref.first_time > hi) continue;
    const std::vector<int64_t>* chunk_ts = &own_ts;
    if (field.shared_timestamps) {
      if (i >= group.timestamp_chunks.size()) {
        return Damaged(block, absl::DataLossError("shared field without its timestamp chunk"));
      }
      if (shared->size() < group.timestamp_chunks.size()) {
        shared->resize(group.timestamp_chunks.size());
      }
      // A decoded chunk is never empty, so empty means not decoded yet.
      if ((*shared)[i].empty()) {
        if (absl::Status s = DecodeTimestampChunk(block, group.timestamp_chunks[i], &(*shared)[i]);
            !s.ok()) {
          return s;
        }
      }
      chunk_ts = &(*shared)[i];
    }
    if (absl::Status s = DecodeChunk(block, ref, !field.shared_timestamps, &own_ts, &chunk_values);
        !s.ok()) {
      return s;
    }
    if (chunk_values.index() != values->index()) {
      return Damaged(block, absl::DataLossError("chunk type differs from its field's"));
    }
    const size_t n = std::visit([](const auto& v) { return v.size(); }, chunk_values);
    if (chunk_ts->size() != n) {
      return Damaged(block, absl::DataLossError("chunk value and timestamp counts differ"));
    }
    const size_t begin =
        std::lower_bound(chunk_ts->begin(), chunk_ts->end(), lo) - chunk_ts->begin();
    const size_t end = std::upper_bound(chunk_ts->begin(), chunk_ts->end(), hi) - chunk_ts->begin();
    if (begin >= end) continue;
    timestamps->insert(timestamps->end(), chunk_ts->begin() + begin, chunk_ts->begin() + end);
    std::visit(
        [&](auto& from) {
          using V = std::decay_t<decltype(from)>;
          AppendRange(std::move(from), begin, end, &std::get<V>(*values));
        },
        chunk_values);
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
  for (uint32_t id : block.GroupsOf(selector.measurement)) {
    if (!matchers.empty() && !matchers.Matches(block.tags(id))) continue;
    const BlockGroup group = block.group(id);
    SharedTimestamps shared;                        // Decoded once for all the group's fields.
    for (const BlockField& field : group.fields) {  // Sorted by key.
      if (!selector.fields.empty() && std::find(selector.fields.begin(), selector.fields.end(),
                                                field.key) == selector.fields.end()) {
        continue;
      }
      KeyedSeries series;
      series.data.type = field.type;
      series.data.values = EmptyColumn(field.type);
      if (absl::Status s = ReadFieldRange(block, group, field, selector.min_time, selector.max_time,
                                          &series.data.timestamps, &series.data.values);
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
  std::map<std::pair<std::string, std::string>, SeriesData> merged;
  for (std::vector<KeyedSeries>& source : sources) {
    for (KeyedSeries& s : source) {
      auto [it, inserted] =
          merged.try_emplace({std::move(s.series_key), s.data.field}, SeriesData());
      if (inserted) {
        it->second = std::move(s.data);
      } else {
        MergeSeriesInto(&it->second, std::move(s.data));
      }
    }
  }
  std::vector<SeriesData> out;
  out.reserve(merged.size());
  for (auto& [key, series] : merged) out.push_back(std::move(series));
  return out;
}

}  // namespace edgetsdb
