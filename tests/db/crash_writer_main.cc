// The child of the black-box crash test (tests/db/crash_test.cc). It writes the crash workload
// (tests/support/crash_workload.h) with sync durability, batch after batch, and appends each
// acknowledged batch's number to the acknowledgements file, until the test kills it.
//
//   edgetsdb_crash_writer --data-dir DIR --acks FILE --seed N [--max-head-bytes B]
//                         [--wal-segment-bytes B] [--flush-every K]
//
// It starts after the last batch the file records, so that data accumulates across kills, and asks
// for a flush every K batches (an engine without flushing answers Unimplemented, which is fine).
// Exits non-zero, with the reason on stderr, when the Db refuses anything: the test fails then.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "edgetsdb/db.h"
#include "edgetsdb/options.h"
#include "edgetsdb/write_batch.h"
#include "tests/support/crash_workload.h"
#include "tests/support/points.h"

namespace edgetsdb::testing {
namespace {

struct Flags {
  std::string data_dir;
  std::string acks;
  uint64_t seed = 0;
  uint64_t max_head_bytes = Options().max_head_bytes;
  uint64_t wal_segment_bytes = Options().wal_segment_bytes;
  uint64_t flush_every = 32;
};

int Usage(std::string_view problem) {
  std::cerr << "edgetsdb_crash_writer: " << problem
            << "\nusage: edgetsdb_crash_writer --data-dir DIR --acks FILE --seed N"
               " [--max-head-bytes B] [--wal-segment-bytes B] [--flush-every K]\n";
  return 2;
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--data-dir") {
      flags->data_dir = value;
    } else if (name == "--acks") {
      flags->acks = value;
    } else if (name == "--seed") {
      if (!absl::SimpleAtoi(value, &flags->seed)) return false;
    } else if (name == "--max-head-bytes") {
      if (!absl::SimpleAtoi(value, &flags->max_head_bytes)) return false;
    } else if (name == "--wal-segment-bytes") {
      if (!absl::SimpleAtoi(value, &flags->wal_segment_bytes)) return false;
    } else if (name == "--flush-every") {
      if (!absl::SimpleAtoi(value, &flags->flush_every) || flags->flush_every == 0) return false;
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && !flags->data_dir.empty() && !flags->acks.empty();
}

// The batch to write first: one past the last acknowledged. A record the previous kill cut short
// is cut off, so that the records stay aligned; its batch counts as unacknowledged, and is written
// again, identically.
absl::StatusOr<uint64_t> ResumeAcks(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  absl::StatusOr<std::vector<uint64_t>> acks = ParseAcks(contents.str());
  if (!acks.ok()) return acks.status();
  if (in.is_open() && ::truncate(path.c_str(), acks->size() * kAckRecordBytes) != 0) {
    return absl::InternalError(std::string("truncate ") + path + ": " + std::strerror(errno));
  }
  return acks->empty() ? 0 : acks->back() + 1;
}

int Run(const Flags& flags) {
  absl::StatusOr<uint64_t> next = ResumeAcks(flags.acks);
  if (!next.ok()) {
    std::cerr << next.status() << "\n";
    return 1;
  }
  Options options;
  options.durability = Durability::kSync;
  options.max_head_bytes = flags.max_head_bytes;
  options.wal_segment_bytes = flags.wal_segment_bytes;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, flags.data_dir);
  if (!db.ok()) {
    std::cerr << "open " << flags.data_dir << ": " << db.status() << "\n";
    return 1;
  }
  const int acks = ::open(flags.acks.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (acks < 0) {
    std::cerr << "open " << flags.acks << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  WriteBatch batch;
  for (uint64_t b = *next;; ++b) {
    batch.Clear();
    for (const Point& p : CrashBatch(flags.seed, b)) {
      if (absl::Status s = AddPoint(&batch, p); !s.ok()) {
        std::cerr << "batch " << b << ": " << s << "\n";
        return 1;
      }
    }
    if (absl::Status s = (*db)->Write(kCrashDatabase, batch); !s.ok()) {
      std::cerr << "write of batch " << b << ": " << s << "\n";
      return 1;
    }
    // One write(2) per record, and no fsync: SIGKILL does not take the page cache with it.
    const std::string record = EncodeAck(b);
    if (::write(acks, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
      std::cerr << "acknowledging batch " << b << ": " << std::strerror(errno) << "\n";
      return 1;
    }
    if (b % flags.flush_every == flags.flush_every - 1) {
      if (absl::Status s = (*db)->Flush(); !s.ok() && !absl::IsUnimplemented(s)) {
        std::cerr << "flush after batch " << b << ": " << s << "\n";
        return 1;
      }
    }
  }
}

}  // namespace
}  // namespace edgetsdb::testing

int main(int argc, char** argv) {
  edgetsdb::testing::Flags flags;
  if (!edgetsdb::testing::ParseFlags(argc, argv, &flags)) {
    return edgetsdb::testing::Usage("bad arguments");
  }
  return edgetsdb::testing::Run(flags);
}
