#include "query/engine.h"

#include "absl/status/status.h"

namespace edgetsdb::query {

QueryEngine::QueryEngine(Db* db, QueryLimits limits) : db_(db), limits_(limits) {}

absl::StatusOr<std::vector<StatementResult>> QueryEngine::Execute(const QueryRequest& request) {
  (void)db_;
  return absl::UnimplementedError("InfluxQL is not implemented yet");
}

}  // namespace edgetsdb::query
