// Window aggregates (Db::QueryWindows) over a database's sources. A block chunk that lies inside
// one window and the query's range, and that no other source overlaps for its series, is
// answered from its summary (compression/chunk.h) without decoding its values; everything else is
// decoded, merged (newest source wins) and accumulated point by point.
#ifndef EDGETSDB_DB_WINDOW_QUERY_H_
#define EDGETSDB_DB_WINDOW_QUERY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "db/block/block_reader.h"
#include "db/block_query.h"
#include "db/tag_matcher.h"
#include "edgetsdb/db.h"

namespace edgetsdb {

struct WindowQueryStats {
  uint64_t chunks_from_summaries = 0;
  uint64_t chunks_decoded = 0;
};

// InvalidArgument for a width <= 0 or no aggregate.
absl::Status CheckWindowSpec(const WindowSpec& spec);

// blocks: oldest first; newer_points: the heads' results for the same selector (older head
// first), which are newer than every block.
absl::StatusOr<std::vector<WindowSeries>> QueryWindowsOver(
    absl::Span<const BlockReader* const> blocks, std::vector<std::vector<KeyedSeries>> newer_points,
    const SeriesSelector& selector, const TagMatchers& matchers, const WindowSpec& spec,
    WindowQueryStats* stats);

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_WINDOW_QUERY_H_
