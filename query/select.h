// SELECT: reads the selected series through the embedded API and shapes them as InfluxDB 1.x
// does (raw rows, or aggregates per GROUP BY time window and tag group, with fill).
#ifndef EDGETSDB_QUERY_SELECT_H_
#define EDGETSDB_QUERY_SELECT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edgetsdb/db.h"
#include "query/engine.h"
#include "query/influxql/ast.h"

namespace edgetsdb::query {

// Errors are the statement's error message (InvalidArgument for the query's own faults,
// NotFound for a missing database, ResourceExhausted for limits, DeadlineExceeded for timeouts).
absl::StatusOr<std::vector<ResultSeries>> ExecuteSelect(Db& db,
                                                        const influxql::SelectStatement& statement,
                                                        const QueryRequest& request,
                                                        const QueryLimits& limits,
                                                        absl::Time deadline);

}  // namespace edgetsdb::query

#endif  // EDGETSDB_QUERY_SELECT_H_
