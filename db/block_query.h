// Reading series out of blocks, and merging what the sources of one database (its blocks, oldest
// first, then its heads) give for a query: for equal series and timestamp the newest source wins,
// which is last write wins across flushes and late data.
#ifndef EDGETSDB_DB_BLOCK_QUERY_H_
#define EDGETSDB_DB_BLOCK_QUERY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "db/block/block_reader.h"
#include "db/tag_matcher.h"
#include "edgetsdb/db.h"

namespace edgetsdb {

// A series from one source, with its canonical series key (docs/format/write_batch.md): results
// are ordered by key, then field.
struct KeyedSeries {
  std::string series_key;
  SeriesData data;
};

std::string CanonicalSeriesKey(std::string_view measurement,
                               const std::vector<std::pair<std::string, std::string>>& tags);

// Splits a canonical series key; false if it does not parse.
bool ParseCanonicalSeriesKey(std::string_view key, std::string_view* measurement,
                             std::vector<TagView>* tags);

// The key as InfluxDB prints it: measurement,tag=value,... with line protocol's escaping.
std::string FormatSeriesKey(std::string_view measurement, const std::vector<TagView>& tags);

// Adds keys to a head's results (already in key, field order).
std::vector<KeyedSeries> WithKeys(std::vector<SeriesData> series);

// An empty column of the type's alternative.
ValueColumn EmptyColumn(FieldType type);

// A group's timestamp chunks as decoded so far (by chunk index; empty: not yet), shared by the
// calls for its fields.
using SharedTimestamps = std::vector<std::vector<int64_t>>;

// Appends the field's points with timestamps in [lo, hi] to *timestamps and *values (of the
// field's type). DataLoss naming the block for a damaged chunk. shared may be null; pass the same
// one for the fields of one group so that its timestamp chunks are decoded once.
absl::Status ReadFieldRange(const BlockReader& block, const BlockGroup& group,
                            const BlockField& field, int64_t lo, int64_t hi,
                            std::vector<int64_t>* timestamps, ValueColumn* values,
                            SharedTimestamps* shared = nullptr);

// Appends the selected series of the block (as Db::Query selects them), in key and field order.
absl::Status QueryBlock(const BlockReader& block, const SeriesSelector& selector,
                        const TagMatchers& matchers, std::vector<KeyedSeries>* out);

// Merges per-source results, sources oldest first, into one list in key and field order. Where
// sources disagree on a field's type (possible only across a dropped and recreated database), the
// newest source's series replaces the older ones.
std::vector<SeriesData> MergeSources(std::vector<std::vector<KeyedSeries>> sources);

// Merges newer into older (both ascending): for equal timestamps newer's value wins.
void MergeSeriesInto(SeriesData* older, SeriesData&& newer);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_BLOCK_QUERY_H_
