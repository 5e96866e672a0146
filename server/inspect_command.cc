// `edgetsdb inspect`: what each database holds, partition by partition, from Db::DescribeStorage.
#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "edgetsdb/db.h"
#include "server/cli.h"
#include "server/commands.h"

namespace edgetsdb::cli {
namespace {

// RFC 3339 in UTC, with a fraction only when the time has one.
std::string FormatTime(int64_t unix_nanos) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}

std::string BytesPerPoint(uint64_t bytes, uint64_t points) {
  return points == 0 ? "-" : absl::StrFormat("%.2f", static_cast<double>(bytes) / points);
}

// Prints rows (the first is the header) in aligned columns: the first `text_columns` left-aligned,
// the numbers after them right-aligned.
void PrintTable(const std::vector<std::vector<std::string>>& rows, size_t text_columns,
                std::ostream& out) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string padding(widths[c] - row[c].size(), ' ');
      absl::StrAppend(&line, " ", c < text_columns ? row[c] + padding : padding + row[c]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  }
}

void PrintDatabase(const DatabaseInfo& info, std::ostream& out) {
  out << "database \"" << info.name << "\", retention "
      << (info.retention_ns == 0 ? std::string("none")
                                 : absl::FormatDuration(absl::Nanoseconds(info.retention_ns)))
      << "\n";
  if (info.partitions.empty()) {
    out << "  no blocks yet\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"start (UTC)", "end (UTC)", "blocks", "series", "points", "bytes", "bytes/point"}};
    PartitionInfo total;
    for (const PartitionInfo& p : info.partitions) {
      rows.push_back({FormatTime(p.start), FormatTime(p.end), absl::StrCat(p.blocks),
                      absl::StrCat(p.series), absl::StrCat(p.points), absl::StrCat(p.bytes),
                      BytesPerPoint(p.bytes, p.points)});
      total.blocks += p.blocks;
      total.points += p.points;
      total.bytes += p.bytes;
    }
    // Series are not summed: one series usually has data in many partitions.
    rows.push_back({"total", "", absl::StrCat(total.blocks), "", absl::StrCat(total.points),
                    absl::StrCat(total.bytes), BytesPerPoint(total.bytes, total.points)});
    PrintTable(rows, 2, out);
  }
  out << "  head (not yet in blocks): " << info.head_points << " points, " << info.head_bytes
      << " bytes of memory\n";
}

}  // namespace

int RunInspect(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  const std::string data_dir = args.Get("data-dir");
  absl::StatusOr<std::unique_ptr<Db>> db = OpenExistingDataDir(data_dir);
  if (!db.ok()) {
    err << "edgetsdb inspect: cannot open the data directory: " << db.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<DatabaseInfo> databases = (*db)->DescribeStorage();
  const DbStats stats = (*db)->GetStats();
  out << "data directory " << data_dir << ": " << databases.size()
      << (databases.size() == 1 ? " database" : " databases") << ", write-ahead log "
      << stats.wal_bytes << " bytes\n";
  for (const DatabaseInfo& info : databases) {
    out << "\n";
    PrintDatabase(info, out);
  }
  return kExitOk;
}

}  // namespace edgetsdb::cli
