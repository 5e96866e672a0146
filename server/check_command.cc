// `edgetsdb check`: prints CheckDataDir's report (db/check.h).
#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "db/check.h"
#include "db/env.h"
#include "server/cli.h"
#include "server/commands.h"

namespace edgetsdb::cli {
namespace {

// Problems printed per file; a badly damaged block can list a thousand chunks.
constexpr size_t kMaxProblemsPrinted = 10;

std::string_view Explanation(CheckedFileState state) {
  switch (state) {
    case CheckedFileState::kTornTail:
      return " (not damage: a write cut short by a crash, never acknowledged; the next open "
             "truncates it)";
    case CheckedFileState::kUnsupported:
      return " (written by a newer edgetsdb: not verified)";
    case CheckedFileState::kQuarantined:
      return " (already set aside at open; not read)";
    case CheckedFileState::kTemporary:
      return " (unfinished; removed at the next open)";
    default:
      return "";
  }
}

void PrintFile(const CheckedFile& file, std::ostream& out) {
  out << file.path << ": " << CheckedFileStateName(file.state) << Explanation(file.state) << "\n";
  const size_t listed = std::min(file.problems.size(), kMaxProblemsPrinted);
  for (size_t i = 0; i < listed; ++i) {
    const FileProblem& problem = file.problems[i];
    out << "  ";
    if (problem.offset.has_value()) {
      out << (file.kind == CheckedFileKind::kBlock ? "in the frame at offset " : "at offset ")
          << *problem.offset << ": ";
    }
    out << problem.reason << "\n";
  }
  if (file.problem_count > listed) {
    out << "  and " << file.problem_count - listed << " more\n";
  }
}

}  // namespace

int RunCheck(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<DataDirCheck> check = CheckDataDir(Env::Default(), args.Get("data-dir"));
  if (!check.ok()) {
    err << "edgetsdb check: " << check.status().message() << "\n";
    return absl::IsNotFound(check.status()) ? kExitUsage : kExitFailed;
  }
  for (const CheckedFile& file : check->files) {
    if (file.state != CheckedFileState::kOk) PrintFile(file, out);
  }
  out << "checked " << check->wal_segments << " log segments (" << check->wal_records
      << " records), " << check->database_metas << " database.meta files and " << check->blocks
      << " blocks (" << check->block_chunks << " chunks) in " << check->data_dir << ": ";
  if (check->ok()) {
    out << "no damage\n";
    return kExitOk;
  }
  std::string problems;
  for (CheckedFileState state : {CheckedFileState::kDamaged, CheckedFileState::kUnreadable,
                                 CheckedFileState::kUnsupported}) {
    if (const size_t count = check->Count(state); count > 0) {
      absl::StrAppend(&problems, problems.empty() ? "" : ", ", count, " ",
                      std::string(CheckedFileStateName(state)));
    }
  }
  out << problems << "\n";
  return kExitFailed;
}

}  // namespace edgetsdb::cli
