// `edgetsdb query`: InfluxQL against a data directory no server has open, answered in the JSON
// (or CSV) that GET /query returns.
#include <ostream>
#include <string>

#include "absl/time/clock.h"
#include "edgetsdb/db.h"
#include "query/engine.h"
#include "query/result_format.h"
#include "server/cli.h"
#include "server/commands.h"

namespace edgetsdb::cli {

int RunQuery(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  auto epoch = query::ParseEpoch(args.Get("epoch"));
  if (!epoch.ok()) {
    err << "edgetsdb query: " << epoch.status().message() << "\n";
    return kExitUsage;
  }
  const std::string format = args.Get("format", "json");
  if (format != "json" && format != "csv") {
    err << "edgetsdb query: --format must be json or csv, not \"" << format << "\"\n";
    return kExitUsage;
  }
  const std::string pretty = args.Get("pretty", "false");
  if (pretty != "true" && pretty != "false") {
    err << "edgetsdb query: --pretty must be true or false\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<Db>> db = OpenExistingDataDir(args.Get("data-dir"));
  if (!db.ok()) {
    err << "edgetsdb query: cannot open the data directory: " << db.status().message() << "\n";
    return kExitUsage;
  }
  query::QueryEngine engine(db->get(), query::QueryLimits());
  query::QueryRequest request;
  request.text = args.positional[0];
  request.database = args.Get("db");
  request.now_ns = absl::GetCurrentTimeNanos();
  auto results = engine.Execute(request);
  if (!results.ok()) {
    out << query::FormatJsonError("error parsing query: " +
                                  std::string(results.status().message()));
    return kExitFailed;
  }
  const query::FormatOptions options{.epoch = *epoch, .pretty = pretty == "true"};
  out << (format == "csv" ? query::FormatCsv(*results, options)
                          : query::FormatJson(*results, options));
  for (const query::StatementResult& result : *results) {
    if (!result.error.empty()) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace edgetsdb::cli
