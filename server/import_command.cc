// `edgetsdb import`: line protocol from a file or standard input into a data directory, streamed
// in chunks of whole lines. Each chunk is parsed into one write batch and written without a sync
// (Durability::kNone: a bulk load is not acknowledged line by line); at the end the head is
// flushed to blocks, which makes everything durable.
//
// Bad lines are InfluxDB's partial write: reported and skipped, the rest written. A batch is all
// or nothing in the engine, so when it refuses a batch for its points (a field type conflict,
// retention), the chunk is written again line by line to keep its good lines and name the bad.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "db/env.h"
#include "db/line_protocol.h"
#include "db/storage_layout.h"
#include "edgetsdb/db.h"
#include "server/cli.h"
#include "server/commands.h"
#include "server/line_chunker.h"

namespace edgetsdb::cli {
namespace {

// Rejected lines printed at most; all of them are counted. A file of garbage would otherwise
// print a line of stderr per line of input.
constexpr size_t kMaxPrintedRejections = 1000;

class Importer {
 public:
  Importer(Db* db, std::string database, Precision precision, int64_t now_ns, std::ostream& err)
      : db_(db),
        database_(std::move(database)),
        precision_(precision),
        now_ns_(now_ns),
        err_(err) {}

  // Writes the good lines of chunk and reports the bad ones. An error only when a write failed
  // for another reason than its points (a full disk, a failed sync): the import must stop.
  absl::Status Import(const LineChunk& chunk) {
    rejected_.clear();
    if (chunk.overlong) {
      Reject(chunk.first_line,
             absl::StrCat("longer than ", LineChunker::Limits().max_line_bytes >> 20,
                          " MiB: skipped"));
    } else if (absl::Status s = WriteChunk(chunk); !s.ok()) {
      return s;
    }
    PrintRejected();
    return absl::OkStatus();
  }

  uint64_t points() const { return points_; }
  uint64_t values() const { return values_; }
  uint64_t rejected_lines() const { return rejected_lines_; }

 private:
  struct Rejection {
    size_t line;       // For the order.
    std::string text;  // As printed.
  };

  absl::Status WriteChunk(const LineChunk& chunk) {
    batch_.Clear();
    const ParseResult parse = ParseLineProtocol(chunk.text, precision_, now_ns_, &batch_);
    for (const LineError& error : parse.errors) {
      // The parser numbers lines from the start of the chunk, in the reason too.
      std::string_view reason = error.reason;
      if (const std::string prefix = absl::StrCat("line ", error.line, ": ");
          reason.starts_with(prefix)) {
        reason.remove_prefix(prefix.size());
      }
      Reject(chunk.first_line + error.line - 1, reason);
    }
    if (parse.error_count > parse.errors.size()) {
      // The parser lists the first kMaxReportedErrors of a chunk and counts the rest.
      const size_t unlisted = parse.error_count - parse.errors.size();
      rejected_lines_ += unlisted;
      const size_t last_line = chunk.first_line + chunk.lines - 1;
      rejected_.push_back({last_line, absl::StrCat("(", unlisted, " more bad lines in lines ",
                                                   chunk.first_line, " to ", last_line, ")")});
    }
    if (batch_.empty()) return absl::OkStatus();
    const absl::Status written = db_->Write(database_, batch_, Durability::kNone);
    if (written.ok()) {
      Accept(batch_);
      return absl::OkStatus();
    }
    if (!RefusesPoints(written)) return written;
    return WriteLineByLine(chunk);
  }

  // The slow path, for a chunk whose batch the engine refused. Lines that do not parse were
  // reported already.
  absl::Status WriteLineByLine(const LineChunk& chunk) {
    size_t line_number = chunk.first_line;
    for (std::string_view rest = chunk.text; !rest.empty(); ++line_number) {
      const size_t newline = rest.find('\n');
      const std::string_view line = rest.substr(0, newline == rest.npos ? rest.size() : newline);
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      batch_.Clear();
      if (ParseLineProtocol(line, precision_, now_ns_, &batch_).points == 0) continue;
      const absl::Status written = db_->Write(database_, batch_, Durability::kNone);
      if (written.ok()) {
        Accept(batch_);
      } else if (RefusesPoints(written)) {
        Reject(line_number, std::string(written.message()));
      } else {
        return written;
      }
    }
    return absl::OkStatus();
  }

  // The engine refused the points themselves (db.h): InvalidArgument for a field type conflict or
  // a batch too large for one log record, OutOfRange for points older than the retention.
  static bool RefusesPoints(const absl::Status& status) {
    return absl::IsInvalidArgument(status) || absl::IsOutOfRange(status);
  }

  void Accept(const WriteBatch& batch) {
    points_ += batch.point_count();
    values_ += batch.value_count();
  }

  void Reject(size_t line, std::string_view reason) {
    ++rejected_lines_;
    rejected_.push_back({line, absl::StrCat("line ", line, ": ", std::string(reason))});
  }

  // Parse errors come first and the engine's refusals after: print them in line order.
  void PrintRejected() {
    std::stable_sort(rejected_.begin(), rejected_.end(),
                     [](const Rejection& a, const Rejection& b) { return a.line < b.line; });
    for (const Rejection& rejection : rejected_) {
      if (printed_ < kMaxPrintedRejections) {
        err_ << rejection.text << "\n";
      } else if (printed_ == kMaxPrintedRejections) {
        err_ << "(more rejected lines are counted, not shown)\n";
      } else {
        return;
      }
      ++printed_;
    }
  }

  Db* const db_;
  const std::string database_;
  const Precision precision_;
  const int64_t now_ns_;  // For lines without a timestamp, as InfluxDB uses the request's time.
  std::ostream& err_;

  WriteBatch batch_;
  std::vector<Rejection> rejected_;  // Of the current chunk.
  uint64_t points_ = 0;
  uint64_t values_ = 0;
  uint64_t rejected_lines_ = 0;
  size_t printed_ = 0;
};

}  // namespace

int RunImport(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  const std::string data_dir = args.Get("data-dir");
  const std::string database = args.Get("db", kDefaultDatabase);
  const std::string input_path = args.positional[0];
  if (absl::Status s = CheckDatabaseName(database); !s.ok()) {
    err << "edgetsdb import: --db: " << s.message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<Precision> precision = ParsePrecision(args.Get("precision"));
  if (!precision.ok()) {
    err << "edgetsdb import: --precision: " << precision.status().message() << "\n";
    return kExitUsage;
  }

  // The input opens before the data directory, so that a mistyped file name creates nothing.
  std::ifstream file;
  std::istream* input = &std::cin;
  if (input_path != "-") {
    std::error_code ignored;
    if (std::filesystem::is_directory(input_path, ignored)) {
      err << "edgetsdb import: " << input_path << " is a directory\n";
      return kExitUsage;
    }
    file.open(input_path, std::ios::binary);
    if (!file) {
      err << "edgetsdb import: cannot open " << input_path << ": " << std::strerror(errno) << "\n";
      return kExitUsage;
    }
    input = &file;
  }

  Options options;
  options.durability = Durability::kNone;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, data_dir);
  if (!db.ok()) {
    err << "edgetsdb import: cannot open the data directory: " << db.status().message() << "\n";
    return kExitUsage;
  }

  const auto started = std::chrono::steady_clock::now();
  Importer importer(db->get(), database, *precision, Env::Default()->NowNanos(), err);
  LineChunker chunker(*input);
  LineChunk chunk;
  absl::Status failure;
  while (failure.ok() && chunker.Next(&chunk)) {
    failure = importer.Import(chunk);
    if (!failure.ok()) {
      failure =
          absl::Status(failure.code(), absl::StrCat("write of lines ", chunk.first_line, " to ",
                                                    chunk.first_line + chunk.lines - 1,
                                                    " failed: ", failure.message()));
    }
  }
  if (failure.ok() && chunker.read_error()) {
    failure = absl::DataLossError(absl::StrCat("error reading ", input_path, " after line ",
                                               chunk.first_line + chunk.lines - 1));
  }
  // Flush writes everything to blocks and syncs it: the import is durable when it returns OK. After
  // a failed write the engine may refuse more; closing the Db syncs what the log holds.
  if (failure.ok()) failure = (*db)->Flush();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!failure.ok()) err << "edgetsdb import: " << failure.message() << "\n";
  out << absl::StrFormat(
      "imported %d points (%d field values) into database \"%s\": %d lines rejected, %.3f s, "
      "%.0f points/s\n",
      importer.points(), importer.values(), database, importer.rejected_lines(), seconds,
      seconds > 0 ? static_cast<double>(importer.points()) / seconds : 0.0);
  return failure.ok() && importer.rejected_lines() == 0 ? kExitOk : kExitFailed;
}

}  // namespace edgetsdb::cli
