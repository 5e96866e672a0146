// The query engine: runs InfluxQL text against a Db and returns results shaped as InfluxDB 1.x
// returns them (statements, series with name/tags/columns/values). Formatting to JSON or CSV is
// separate (query/result_format.h) so that the server, the `query` command and tests share it.
#ifndef EDGETSDB_QUERY_ENGINE_H_
#define EDGETSDB_QUERY_ENGINE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edgetsdb/db.h"

namespace edgetsdb::query {

// One cell of a result row. The time column holds int64 nanoseconds (ResultSeries::has_time).
using Value = std::variant<std::monostate, double, int64_t, uint64_t, bool, std::string>;

struct ResultSeries {
  std::string name;
  std::vector<std::pair<std::string, std::string>> tags;  // Sorted by key; empty: no "tags".
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> values;
  bool has_time = false;  // columns[0] is "time" and holds nanoseconds since the epoch.
  bool partial = false;   // Cut short by a limit (InfluxDB's "partial": true).
};

struct StatementResult {
  int statement_id = 0;
  std::vector<ResultSeries> series;
  std::string error;  // Non-empty: the statement failed with this message; series is empty.
};

struct QueryLimits {
  int64_t max_series = 100'000;     // Result series per statement.
  int64_t max_rows = 10'000'000;    // Result rows per statement, over all series.
  int64_t max_buckets = 1'000'000;  // GROUP BY time windows per series.
  absl::Duration timeout = absl::Seconds(60);
  // Not a limit: the engine's partition length, which SHOW RETENTION POLICIES reports as
  // shardGroupDuration (Options::partition_duration_ns).
  int64_t partition_duration_ns = 2LL * 3600 * 1'000'000'000;
};

struct QueryRequest {
  std::string_view text;         // One or more statements separated by ';'.
  std::string database;          // ?db=, the default for FROM without a database.
  std::string retention_policy;  // ?rp=; edgetsdb has one policy per database ("autogen").
  int64_t now_ns = 0;            // now() for the whole query.
};

class QueryEngine {
 public:
  // `db` must outlive the engine. Thread-safe: one engine serves concurrent queries.
  QueryEngine(Db* db, QueryLimits limits);

  // Parse errors fail the whole query (InfluxDB answers them with 400 and one "error"); the error
  // of a statement is reported in its StatementResult and, as in InfluxDB, ends the query.
  absl::StatusOr<std::vector<StatementResult>> Execute(const QueryRequest& request);

 private:
  Db* db_;
  QueryLimits limits_;
};

}  // namespace edgetsdb::query

#endif  // EDGETSDB_QUERY_ENGINE_H_
