#include "db/window_query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "compression/chunk.h"

namespace edgetsdb {
namespace {

namespace c = compression;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One window's running aggregates. Values are kept as the chunk summaries keep them: the bits of
// a double for floats, int64 or uint64 otherwise (bools as 0/1); integer sums wrap as InfluxDB
// 1.x's do.
struct Accumulator {
  uint64_t count = 0;
  double float_sum = 0;
  uint64_t int_sum = 0;
  bool has_extremes = false;  // Floats: a non-NaN value was seen.
  c::SummaryValue min, max, first, last;
  int64_t first_time = 0, last_time = 0;
};

class WindowAccumulator {
 public:
  WindowAccumulator(const WindowSpec& spec, FieldType type) : spec_(spec), type_(type) {}

  // timestamps ascend: the window is looked up once per window, not per point.
  void AddPoints(const std::vector<int64_t>& timestamps, const ValueColumn& values) {
    std::visit(
        [&](const auto& v) {
          Accumulator* acc = nullptr;
          int64_t window_last = 0;  // Inclusive, so that a window ending at kMaxTime works.
          for (size_t i = 0; i < timestamps.size(); ++i) {
            const int64_t t = timestamps[i];
            if (acc == nullptr || t > window_last) {
              const int64_t start = WindowStart(t);
              acc = &windows_[start];
              const __int128 last = static_cast<__int128>(start) + spec_.width_ns - 1;
              window_last = static_cast<int64_t>(
                  std::min<__int128>(last, std::numeric_limits<int64_t>::max()));
            }
            AddValue(*acc, t, v[i]);
          }
        },
        values);
  }

  void AddSummary(const c::ChunkSummary& s) {
    Accumulator& acc = windows_[WindowStart(s.first_time)];
    if (s.count == 0) return;
    const bool empty = acc.count == 0;
    acc.count += s.count;
    if (!s.has_values_summary) {  // Strings: count and times only.
      Times(acc, empty, s.first_time, s.last_time, {}, {});
      return;
    }
    if (type_ == FieldType::kFloat) {
      acc.float_sum += s.sum.f();
      if (!std::isnan(s.min.f())) Extremes(acc, s.min, s.max);
    } else {
      acc.int_sum += s.sum.u();
      Extremes(acc, s.min, s.max);
    }
    Times(acc, empty, s.first_time, s.last_time, s.first, s.last);
  }

  WindowSeries Finish() const {
    WindowSeries out;
    out.type = type_;
    out.results.resize(spec_.aggregates.size());
    for (const auto& [start, acc] : windows_) {
      if (acc.count == 0) continue;
      out.window_starts.push_back(start);
      out.first_times.push_back(acc.first_time);
      out.last_times.push_back(acc.last_time);
      for (size_t a = 0; a < spec_.aggregates.size(); ++a) {
        out.results[a].push_back(Result(acc, spec_.aggregates[a]));
      }
    }
    return out;
  }

 private:
  int64_t WindowStart(int64_t t) const {
    const __int128 rel = static_cast<__int128>(t) - spec_.offset_ns;
    __int128 k = rel / spec_.width_ns;
    if (rel % spec_.width_ns < 0) --k;
    const __int128 start = k * spec_.width_ns + spec_.offset_ns;
    return static_cast<int64_t>(std::max<__int128>(start, std::numeric_limits<int64_t>::min()));
  }

  double AsDouble(c::SummaryValue v) const {
    switch (type_) {
      case FieldType::kFloat:
        return v.f();
      case FieldType::kInt:
        return static_cast<double>(v.i());
      case FieldType::kUint:
      case FieldType::kBool:
        return static_cast<double>(v.u());
      case FieldType::kString:
        return kNaN;
    }
    return kNaN;
  }

  bool Less(c::SummaryValue a, c::SummaryValue b) const {
    switch (type_) {
      case FieldType::kFloat:
        return a.f() < b.f();
      case FieldType::kInt:
        return a.i() < b.i();
      default:
        return a.u() < b.u();
    }
  }

  void Extremes(Accumulator& acc, c::SummaryValue min, c::SummaryValue max) const {
    if (!acc.has_extremes) {
      acc.min = min;
      acc.max = max;
      acc.has_extremes = true;
      return;
    }
    if (Less(min, acc.min)) acc.min = min;
    if (Less(acc.max, max)) acc.max = max;
  }

  // Sources never overlap, so a tie in time between two additions cannot happen across sources;
  // within one, points arrive in time order and the first seen stays first.
  static void Times(Accumulator& acc, bool empty, int64_t first_time, int64_t last_time,
                    c::SummaryValue first, c::SummaryValue last) {
    if (empty || first_time < acc.first_time) {
      acc.first_time = first_time;
      acc.first = first;
    }
    if (empty || last_time >= acc.last_time) {
      acc.last_time = last_time;
      acc.last = last;
    }
  }

  template <typename T>
  void AddValue(Accumulator& acc, int64_t t, const T& value) {
    const bool empty = acc.count == 0;
    ++acc.count;
    c::SummaryValue v;
    if constexpr (std::is_same_v<T, std::string>) {
      Times(acc, empty, t, t, {}, {});
      return;
    } else if constexpr (std::is_same_v<T, double>) {
      v = c::SummaryValue::Of(value);
      acc.float_sum += value;
      if (!std::isnan(value)) Extremes(acc, v, v);
    } else {
      v = c::SummaryValue{static_cast<uint64_t>(value)};
      acc.int_sum += v.u();
      Extremes(acc, v, v);
    }
    Times(acc, empty, t, t, v, v);
  }

  double Result(const Accumulator& acc, Aggregate aggregate) const {
    const double sum = type_ == FieldType::kFloat ? acc.float_sum
                       : type_ == FieldType::kInt
                           ? static_cast<double>(static_cast<int64_t>(acc.int_sum))
                           : static_cast<double>(acc.int_sum);
    switch (aggregate) {
      case Aggregate::kCount:
        return static_cast<double>(acc.count);
      case Aggregate::kSum:
        return type_ == FieldType::kString ? kNaN : sum;
      case Aggregate::kMean:
        return type_ == FieldType::kString ? kNaN : sum / static_cast<double>(acc.count);
      case Aggregate::kMin:
        return acc.has_extremes ? AsDouble(acc.min) : kNaN;
      case Aggregate::kMax:
        return acc.has_extremes ? AsDouble(acc.max) : kNaN;
      case Aggregate::kFirst:
        return AsDouble(acc.first);
      case Aggregate::kLast:
        return AsDouble(acc.last);
    }
    return kNaN;
  }

  const WindowSpec& spec_;
  const FieldType type_;
  std::map<int64_t, Accumulator> windows_;
};

// One chunk of a block that the query touches.
struct ChunkItem {
  size_t source = 0;  // Block index: higher is newer.
  const BlockReader* block = nullptr;
  std::shared_ptr<const BlockGroup> group;
  size_t field = 0;  // In group->fields.
  size_t chunk = 0;
  int64_t first_time = 0, last_time = 0;
};

struct SeriesWork {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::string field;
  FieldType type = FieldType::kFloat;
  std::vector<ChunkItem> chunks;
  std::vector<SeriesData> newer;  // From the heads, oldest first.
};

absl::StatusOr<c::ChunkSummary> ReadSummary(const ChunkItem& item, BlockScan* scan) {
  const ChunkRef& ref = item.group->fields[item.field].chunks[item.chunk];
  absl::StatusOr<std::string_view> bytes = scan->ReadChunk(*item.block, ref);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(*bytes);
  if (!chunk.ok()) {
    return absl::DataLossError(absl::StrCat(item.block->path(), ": ", chunk.status().message()));
  }
  c::ChunkSummary summary = chunk->summary;
  // A shared field's chunk stores its own first and last times too (EncodeChunk's contract).
  return summary;
}

}  // namespace

absl::Status CheckWindowSpec(const WindowSpec& spec) {
  if (spec.width_ns <= 0) return absl::InvalidArgumentError("window width must be positive");
  if (spec.aggregates.empty()) return absl::InvalidArgumentError("no aggregate requested");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WindowSeries>> QueryWindowsOver(
    absl::Span<const BlockReader* const> blocks, std::vector<std::vector<KeyedSeries>> newer_points,
    const SeriesSelector& selector, const TagMatchers& matchers, const WindowSpec& spec,
    WindowQueryStats* stats) {
  if (absl::Status s = CheckWindowSpec(spec); !s.ok()) return s;
  std::map<std::pair<std::string, std::string>, SeriesWork> work;
  auto work_for = [&](const std::string& key, std::string_view measurement,
                      std::vector<std::pair<std::string, std::string>> tags, std::string_view field,
                      FieldType type) -> SeriesWork& {
    auto [it, inserted] = work.try_emplace({key, std::string(field)});
    if (inserted) {
      it->second.measurement = std::string(measurement);
      it->second.tags = std::move(tags);
      it->second.field = std::string(field);
      it->second.type = type;
    } else if (it->second.type != type) {
      // Sources come oldest first: a newer type replaces what older sources held, as
      // MergeSources has it for raw queries.
      it->second.type = type;
      it->second.chunks.clear();
      it->second.newer.clear();
    }
    return it->second;
  };

  for (size_t b = 0; b < blocks.size(); ++b) {
    const BlockReader& block = *blocks[b];
    const BlockMeta& meta = block.meta();
    if (selector.max_time < meta.start || (meta.end != kMaxTime && selector.min_time >= meta.end)) {
      continue;
    }
    for (uint32_t id : block.GroupsOf(selector.measurement)) {
      if (!matchers.empty() && !matchers.Matches(block.tags(id))) continue;
      auto group = std::make_shared<const BlockGroup>(block.group(id));
      std::vector<std::pair<std::string, std::string>> tags;
      for (const TagView& tag : group->tags) tags.emplace_back(tag.key, tag.value);
      for (size_t f = 0; f < group->fields.size(); ++f) {
        const BlockField& field = group->fields[f];
        if (!selector.fields.empty() && std::find(selector.fields.begin(), selector.fields.end(),
                                                  field.key) == selector.fields.end()) {
          continue;
        }
        SeriesWork* series = nullptr;
        for (size_t i = 0; i < field.chunks.size(); ++i) {
          const ChunkRef& ref = field.chunks[i];
          if (ref.last_time < selector.min_time || ref.first_time > selector.max_time) continue;
          if (series == nullptr) {
            series = &work_for(group->series_key, group->measurement, tags, field.key, field.type);
          }
          series->chunks.push_back({b, &block, group, f, i, ref.first_time, ref.last_time});
        }
      }
    }
  }
  for (std::vector<KeyedSeries>& source : newer_points) {
    for (KeyedSeries& s : source) {
      SeriesWork& series =
          work_for(s.series_key, s.data.measurement, s.data.tags, s.data.field, s.data.type);
      series.newer.push_back(std::move(s.data));
    }
  }

  std::vector<WindowSeries> out;
  // Holds the frames chunks were last read from: a block's chunks are read in index order, so
  // each frame is decompressed about once.
  BlockScan scan;
  for (auto& [key, series] : work) {
    // Intervals of everything but this series' block chunks, to find the chunks nothing overlaps.
    std::vector<std::pair<int64_t, int64_t>> intervals;
    for (const ChunkItem& item : series.chunks) {
      intervals.emplace_back(item.first_time, item.last_time);
    }
    for (const SeriesData& s : series.newer) {
      if (!s.timestamps.empty()) intervals.emplace_back(s.timestamps.front(), s.timestamps.back());
    }
    std::sort(intervals.begin(), intervals.end());
    auto overlapped = [&](int64_t first, int64_t last) {
      // Items of one block never overlap each other, so two intervals meeting [first, last]
      // means another source (the item's own interval is one of them).
      auto it = std::upper_bound(intervals.begin(), intervals.end(),
                                 std::make_pair(last, std::numeric_limits<int64_t>::max()));
      int hits = 0;
      for (auto i = intervals.begin(); i != it; ++i) {
        if (i->second >= first && ++hits > 1) return true;
      }
      return false;
    };

    WindowAccumulator acc(spec, series.type);
    SeriesData merged;
    merged.type = series.type;
    merged.values = EmptyColumn(series.type);
    std::vector<int64_t> ts;
    for (const ChunkItem& item : series.chunks) {
      const bool inside =
          item.first_time >= selector.min_time && item.last_time <= selector.max_time;
      const __int128 first_rel = static_cast<__int128>(item.first_time) - spec.offset_ns;
      const __int128 last_rel = static_cast<__int128>(item.last_time) - spec.offset_ns;
      auto floor_div = [&](__int128 v) {
        __int128 q = v / spec.width_ns;
        if (v % spec.width_ns < 0) --q;
        return q;
      };
      const bool one_window = floor_div(first_rel) == floor_div(last_rel);
      if (inside && one_window && !overlapped(item.first_time, item.last_time)) {
        absl::StatusOr<c::ChunkSummary> summary = ReadSummary(item, &scan);
        if (!summary.ok()) return summary.status();
        acc.AddSummary(*summary);
        ++stats->chunks_from_summaries;
        continue;
      }
      // Decoded, merged in source order with the other decoded pieces.
      const BlockField& field = item.group->fields[item.field];
      BlockField one = field;
      one.chunks = {field.chunks[item.chunk]};
      BlockGroup group_view;
      if (field.shared_timestamps)
        group_view.timestamp_chunks = {item.group->timestamp_chunks[item.chunk]};
      SeriesData piece;
      piece.type = series.type;
      piece.values = EmptyColumn(series.type);
      scan.StartGroup();  // group_view is this chunk's alone.
      if (absl::Status s =
              ReadFieldRange(*item.block, group_view, one, selector.min_time, selector.max_time,
                             &piece.timestamps, &piece.values, &scan);
          !s.ok()) {
        return s;
      }
      ++stats->chunks_decoded;
      MergeSeriesInto(&merged, std::move(piece));
    }
    for (SeriesData& s : series.newer) MergeSeriesInto(&merged, std::move(s));
    acc.AddPoints(merged.timestamps, merged.values);
    WindowSeries result = acc.Finish();
    if (result.window_starts.empty()) continue;
    result.measurement = series.measurement;
    result.tags = std::move(series.tags);
    result.field = series.field;
    out.push_back(std::move(result));
  }
  return out;
}

}  // namespace edgetsdb
