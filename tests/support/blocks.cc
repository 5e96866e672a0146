#include "tests/support/blocks.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "db/block/block_writer.h"
#include "db/compaction.h"
#include "edgetsdb/write_batch.h"
#include "gtest/gtest.h"

namespace edgetsdb::testing {
namespace {

absl::Status ApplyPoints(Head& head, const std::vector<Point>& points) {
  WriteBatch batch;
  for (const Point& p : points) {
    if (absl::Status s = AddPoint(&batch, p); !s.ok()) return s;
  }
  return head.Apply(batch);
}

}  // namespace

compression::ParsedChunk ParseWholeChunk(const std::string& chunk) {
  absl::StatusOr<compression::ParsedChunk> parsed = compression::ParseChunk(chunk);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return compression::ParsedChunk();
  EXPECT_EQ(parsed->encoded_size, chunk.size());
  return *parsed;
}

std::vector<int64_t> DecodeTimestamps(const std::string& chunk) {
  std::vector<int64_t> ts;
  const absl::Status s = compression::DecodeChunkTimestamps(ParseWholeChunk(chunk), &ts);
  EXPECT_TRUE(s.ok()) << s;
  return ts;
}

bool SharesTimestamps(const FlushField& field) {
  return ParseWholeChunk(field.chunks.at(0)).timestamp_codec == compression::Codec::kNone;
}

TimedValues DecodeFlushedField(const FlushGroup& group, const FlushField& field) {
  TimedValues out;
  const bool shared = SharesTimestamps(field);
  if (shared) {
    EXPECT_EQ(field.chunks.size(), group.timestamp_chunks.size()) << field.key;
  }
  for (size_t k = 0; k < field.chunks.size(); ++k) {
    const compression::ParsedChunk parsed = ParseWholeChunk(field.chunks[k]);
    std::vector<int64_t> ts;
    if (shared) {
      EXPECT_EQ(parsed.timestamp_codec, compression::Codec::kNone) << field.key;
      ts = DecodeTimestamps(group.timestamp_chunks.at(k));
      if (ts.empty()) return out;  // Decoding failed the test already.
      EXPECT_EQ(parsed.summary.count, ts.size());
      EXPECT_EQ(parsed.summary.first_time, ts.front());
      EXPECT_EQ(parsed.summary.last_time, ts.back());
    } else {
      EXPECT_NE(parsed.timestamp_codec, compression::Codec::kNone) << field.key;
      ts = DecodeTimestamps(field.chunks[k]);
    }
    absl::StatusOr<compression::Column> values = compression::DecodeChunkValues(parsed);
    EXPECT_TRUE(values.ok()) << values.status();
    if (!values.ok()) return out;
    EXPECT_EQ(static_cast<FieldType>(values->index()), field.type);
    ValueColumn column = std::visit([](auto& v) -> ValueColumn { return std::move(v); }, *values);
    EXPECT_EQ(ColumnSize(column), ts.size());
    for (size_t i = 0; i < ts.size() && i < ColumnSize(column); ++i) {
      if (!out.empty()) {
        EXPECT_LT(out.back().first, ts[i]) << "chunks overlap or are out of order";
      }
      out.emplace_back(ts[i], ValueAt(column, i));
    }
  }
  return out;
}

std::unique_ptr<BlockReader> WritePointsBlock(Env* env, const std::string& dir,
                                              const BlockMeta& meta,
                                              const std::vector<Point>& points,
                                              const HeadOptions& options,
                                              compression::BlockCompression codec) {
  Head head(options);
  if (absl::Status s = ApplyPoints(head, points); !s.ok()) {
    ADD_FAILURE() << s;
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<BlockWriter>> writer = BlockWriter::Create(env, dir, meta, codec);
  if (!writer.ok()) {
    ADD_FAILURE() << writer.status();
    return nullptr;
  }
  if (absl::Status s = head.FlushInput(
          meta.start, meta.end,
          [&](FlushGroup&& group) { return AddFlushGroup(writer->get(), std::move(group)); });
      !s.ok()) {
    ADD_FAILURE() << s;
    return nullptr;
  }
  absl::StatusOr<std::string> name = (*writer)->Finish();
  if (!name.ok()) {
    ADD_FAILURE() << name.status();
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<BlockReader>> reader =
      BlockReader::Open(env, absl::StrCat(dir, "/", *name));
  if (!reader.ok()) {
    ADD_FAILURE() << reader.status();
    return nullptr;
  }
  return *std::move(reader);
}

std::vector<KeyedSeries> HeadAnswer(const std::vector<Point>& points,
                                    const SeriesSelector& selector) {
  Head head;
  if (absl::Status s = ApplyPoints(head, points); !s.ok()) {
    ADD_FAILURE() << s;
    return {};
  }
  absl::StatusOr<std::vector<SeriesData>> answer = head.Query(selector);
  if (!answer.ok()) {
    ADD_FAILURE() << answer.status();
    return {};
  }
  return WithKeys(*std::move(answer));
}

std::string BatchSeriesKey(const std::string& measurement, const Tags& tags) {
  WriteBatch batch;
  EXPECT_TRUE(AddPoint(&batch, {measurement, tags, {{"f", 1.0}}, 0}).ok());
  WriteBatch::Reader r(batch);
  EXPECT_TRUE(r.Next());
  return std::string(r.series_key());
}

bool operator==(const SeriesPoints& a, const SeriesPoints& b) {
  return a.measurement == b.measurement && a.tags == b.tags && a.field == b.field &&
         SameTimedValues(a.points, b.points);
}

void PrintTo(const SeriesPoints& s, std::ostream* os) {
  *os << s.measurement;
  for (const auto& [k, v] : s.tags) *os << "," << k << "=" << v;
  *os << " " << s.field << ":";
  for (const auto& [t, v] : s.points) {
    *os << " " << t << "=";
    std::visit([os](const auto& x) { *os << x; }, v);
  }
}

std::vector<SeriesPoints> ToSeriesPoints(const std::vector<SeriesData>& series) {
  std::vector<SeriesPoints> out;
  for (const SeriesData& s : series) {
    out.push_back({s.measurement, s.tags, s.field, PointsOf(s)});
  }
  return out;
}

std::vector<SeriesPoints> ExpectedAnswer(const std::vector<std::vector<Point>>& sources,
                                         const SeriesSelector& selector) {
  EXPECT_TRUE(selector.matchers.empty()) << "ExpectedAnswer does not evaluate matchers";
  struct Series {
    SeriesPoints answer;
    std::map<int64_t, FieldValue> values;
  };
  std::map<std::pair<std::string, std::string>, Series> by_key;
  for (const std::vector<Point>& source : sources) {
    for (const Point& p : source) {
      if (p.measurement != selector.measurement || p.timestamp < selector.min_time ||
          p.timestamp > selector.max_time) {
        continue;
      }
      Tags tags = p.tags;
      std::sort(tags.begin(), tags.end());
      const std::string key = BatchSeriesKey(p.measurement, tags);
      for (const auto& [field, value] : p.fields) {
        if (!selector.fields.empty() && std::find(selector.fields.begin(), selector.fields.end(),
                                                  field) == selector.fields.end()) {
          continue;
        }
        Series& series = by_key[{key, field}];
        series.answer.measurement = p.measurement;
        series.answer.tags = tags;
        series.answer.field = field;
        // A type change replaces what older sources held (heads refuse one within a source).
        if (!series.values.empty() && series.values.begin()->second.index() != value.index()) {
          series.values.clear();
        }
        series.values.insert_or_assign(p.timestamp, value);
      }
    }
  }
  std::vector<SeriesPoints> out;
  for (auto& [key, series] : by_key) {
    series.answer.points.assign(series.values.begin(), series.values.end());
    out.push_back(std::move(series.answer));
  }
  return out;
}

}  // namespace edgetsdb::testing
