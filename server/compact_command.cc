// `edgetsdb compact`: Db::Compact on a data directory no server has open.
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "edgetsdb/db.h"
#include "server/cli.h"
#include "server/commands.h"

namespace edgetsdb::cli {
namespace {

uint64_t BlockBytes(Db& db) {
  uint64_t bytes = 0;
  for (const DatabaseInfo& info : db.DescribeStorage()) {
    for (const PartitionInfo& partition : info.partitions) bytes += partition.bytes;
  }
  return bytes;
}

}  // namespace

int RunCompact(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<Db>> db = OpenExistingDataDir(args.Get("data-dir"));
  if (!db.ok()) {
    err << "edgetsdb compact: cannot open the data directory: " << db.status().message() << "\n";
    return kExitUsage;
  }
  const uint64_t bytes_before = BlockBytes(**db);
  const auto started = std::chrono::steady_clock::now();
  if (absl::Status s = (*db)->Compact(); !s.ok()) {
    err << "edgetsdb compact: " << s << "\n";
    return kExitFailed;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out << absl::StrFormat("compacted in %.3f s: blocks took %d bytes, now %d\n", seconds,
                         bytes_before, BlockBytes(**db));
  return kExitOk;
}

}  // namespace edgetsdb::cli
