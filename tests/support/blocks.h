// Blocks and query answers for tests of what reads, merges and aggregates blocks. A block is built
// as the engine builds one (points applied to a Head, FlushInput into a BlockWriter), and what a
// query should answer is computed the slow way, from the points themselves.
#ifndef EDGETSDB_TESTS_SUPPORT_BLOCKS_H_
#define EDGETSDB_TESTS_SUPPORT_BLOCKS_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "compression/block_compression.h"
#include "compression/chunk.h"
#include "db/block/block_reader.h"
#include "db/block_query.h"
#include "db/env.h"
#include "db/head.h"
#include "edgetsdb/db.h"
#include "tests/support/points.h"

namespace edgetsdb::testing {

// Writes the points (all in [meta.start, meta.end)) to one block in dir, chunks cut as a head with
// these options cuts them, and opens it. On error, fails the test and returns nullptr.
std::unique_ptr<BlockReader> WritePointsBlock(
    Env* env, const std::string& dir, const BlockMeta& meta, const std::vector<Point>& points,
    const HeadOptions& options = HeadOptions(),
    compression::BlockCompression codec = compression::BlockCompression::kLz4);

// --- Chunks as a head flushes them (FlushGroup), checked as they are decoded ---

// Parses a string holding exactly one chunk.
compression::ParsedChunk ParseWholeChunk(const std::string& chunk);
std::vector<int64_t> DecodeTimestamps(const std::string& chunk);
// Whether the field shares its group's timestamp chunks (its first chunk has no timestamps).
bool SharesTimestamps(const FlushField& field);
// Decodes one flushed field back to its points, checking the block format's rule: either every
// chunk lines up with the timestamp chunk of the same index, or every chunk has its timestamps.
TimedValues DecodeFlushedField(const FlushGroup& group, const FlushField& field);

// --- Query answers ---

// What a head holding the points answers for the selector, keyed as sources are merged.
std::vector<KeyedSeries> HeadAnswer(const std::vector<Point>& points,
                                    const SeriesSelector& selector);

// The canonical series key of a measurement and tag set, as a WriteBatch computes it.
std::string BatchSeriesKey(const std::string& measurement, const Tags& tags);

// One series of a query's answer, in a form that compares (floats bit for bit) and prints.
struct SeriesPoints {
  std::string measurement;
  Tags tags;  // Sorted by key.
  std::string field;
  TimedValues points;  // Ascending.
};

bool operator==(const SeriesPoints& a, const SeriesPoints& b);
void PrintTo(const SeriesPoints& s, std::ostream* os);

std::vector<SeriesPoints> ToSeriesPoints(const std::vector<SeriesData>& series);

// What a query with the selector (its matchers must be empty: filter the points instead) should
// answer over sources given oldest first: per series and field, the last value written at each
// timestamp, and only the newest type's points where a field's type changed between sources; in
// canonical series key order, then field.
std::vector<SeriesPoints> ExpectedAnswer(const std::vector<std::vector<Point>>& sources,
                                         const SeriesSelector& selector);

}  // namespace edgetsdb::testing

#endif  // EDGETSDB_TESTS_SUPPORT_BLOCKS_H_
