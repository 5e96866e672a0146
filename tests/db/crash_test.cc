// Black-box crash test of the embedded Db. A child process (edgetsdb_crash_writer) writes with sync
// durability and records each acknowledged batch in a file; the test kills it with SIGKILL at
// random moments, round after round in the same data directory, and after each kill opens the Db
// in-process and checks that it holds exactly what the acknowledged batches wrote (last write
// wins), plus at most the one batch that was in flight. Where db_test.cc crashes a simulated file
// system at every sync point, this runs the real POSIX Env, kernel and process death; the page
// cache survives a kill, so it tests process crashes, not power loss.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "edgetsdb/db.h"
#include "gtest/gtest.h"
#include "tests/support/crash_workload.h"
#include "tests/support/points.h"

extern char** environ;

namespace edgetsdb::testing {
namespace {

constexpr uint64_t kSeed = 20'250'601;
// 20 kills and some 2,500 acknowledged batches: about 2 s optimized, 20 s in the Debug ASan build.
constexpr int kRounds = 20;
constexpr uint64_t kMaxAcksPerRound = 200;
// Small enough that the log rolls and the head outgrows its budget, and is flushed to blocks, while
// the writer runs.
constexpr uint64_t kWalSegmentBytes = 64 << 10;
constexpr uint64_t kMaxHeadBytes = 256 << 10;
// A stuck child fails the test instead of hanging it.
constexpr auto kRoundDeadline = std::chrono::seconds(120);

// What the database holds: each series (measurement, tags, field) by timestamp.
using SeriesField = std::tuple<std::string, Tags, std::string>;
using State = std::map<SeriesField, std::map<int64_t, FieldValue>>;

void ApplyBatch(uint64_t batch, State& state) {
  for (const Point& p : CrashBatch(kSeed, batch)) {
    for (const auto& [key, value] : p.fields) {
      state[{p.measurement, p.tags, key}][p.timestamp] = value;
    }
  }
}

absl::StatusOr<State> ReadState(Db& db) {
  State state;
  for (const char* measurement : kCrashMeasurements) {
    SeriesSelector selector;
    selector.database = kCrashDatabase;
    selector.measurement = measurement;
    absl::StatusOr<std::vector<SeriesData>> series = db.Query(selector);
    // Before the first write reaches the log, the database does not exist.
    if (absl::IsNotFound(series.status())) return state;
    if (!series.ok()) return series.status();
    for (const SeriesData& s : *series) {
      std::map<int64_t, FieldValue>& column = state[{s.measurement, s.tags, s.field}];
      const absl::Status status = std::visit(
          [&](const auto& values) {
            if (values.size() != s.timestamps.size()) {
              return absl::InternalError(absl::StrCat(s.field, ": values and timestamps differ"));
            }
            for (size_t i = 0; i < values.size(); ++i) {
              FieldValue value;
              if constexpr (std::is_same_v<std::decay_t<decltype(values[i])>, uint8_t>) {
                value = values[i] != 0;  // Bools come back as 0 or 1.
              } else {
                value = values[i];
              }
              if (!column.emplace(s.timestamps[i], std::move(value)).second) {
                return absl::InternalError(
                    absl::StrCat(s.field, ": timestamp ", s.timestamps[i], " repeated"));
              }
            }
            return absl::OkStatus();
          },
          s.values);
      if (!status.ok()) return status;
    }
  }
  return state;
}

std::string Describe(const SeriesField& series) {
  std::string out = std::get<0>(series);
  for (const auto& [key, value] : std::get<1>(series)) absl::StrAppend(&out, ",", key, "=", value);
  return absl::StrCat(out, " ", std::get<2>(series));
}

// The first difference between want and got, or "" when they hold the same points.
std::string FirstDifference(const State& want, const State& got) {
  auto w = want.begin();
  auto g = got.begin();
  for (; w != want.end() && g != got.end(); ++w, ++g) {
    if (w->first != g->first) {
      return w->first < g->first ? absl::StrCat("series missing: ", Describe(w->first))
                                 : absl::StrCat("series that no batch wrote: ", Describe(g->first));
    }
    auto wp = w->second.begin();
    auto gp = g->second.begin();
    for (; wp != w->second.end() && gp != g->second.end(); ++wp, ++gp) {
      if (wp->first != gp->first) {
        return absl::StrCat(
            Describe(w->first), ": ",
            wp->first < gp->first ? "missing point at " : "point no batch wrote at ",
            std::min(wp->first, gp->first));
      }
      if (!SameValue(wp->second, gp->second)) {
        return absl::StrCat(Describe(w->first), ": wrong value at ", wp->first);
      }
    }
    if (wp != w->second.end())
      return absl::StrCat(Describe(w->first), ": missing point at ", wp->first);
    if (gp != g->second.end()) {
      return absl::StrCat(Describe(w->first), ": point no batch wrote at ", gp->first);
    }
  }
  if (w != want.end()) return absl::StrCat("series missing: ", Describe(w->first));
  if (g != got.end()) return absl::StrCat("series that no batch wrote: ", Describe(g->first));
  return "";
}

size_t CountPoints(const State& state) {
  size_t points = 0;
  for (const auto& [series, column] : state) points += column.size();
  return points;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Files under dir whose names end in suffix: what the engine keeps on disk, seen from outside.
int CountFiles(const std::string& dir, std::string_view suffix) {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    count += entry.path().string().ends_with(suffix);
  }
  return count;
}

Options DbOptions() {
  Options options;
  options.durability = Durability::kSync;
  options.max_head_bytes = kMaxHeadBytes;
  options.wal_segment_bytes = kWalSegmentBytes;
  return options;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = absl::StrCat(::testing::TempDir(), "edgetsdb_crash_test_", ::getpid());
    std::filesystem::remove_all(work_);
    std::filesystem::create_directories(work_);
    data_dir_ = work_ + "/data";
    acks_ = work_ + "/acks";
    log_ = work_ + "/writer.log";
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cout << "kept for inspection: " << work_ << "\n";
    } else {
      std::filesystem::remove_all(work_);
    }
  }

  // Starts the writer; its stdout and stderr go to log_.
  pid_t SpawnWriter() {
    const std::string seed = std::to_string(kSeed);
    const std::string head = std::to_string(kMaxHeadBytes);
    const std::string segment = std::to_string(kWalSegmentBytes);
    const char* argv[] = {EDGETSDB_CRASH_WRITER, "--data-dir",
                          data_dir_.c_str(),     "--acks",
                          acks_.c_str(),         "--seed",
                          seed.c_str(),          "--max-head-bytes",
                          head.c_str(),          "--wal-segment-bytes",
                          segment.c_str(),       nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = -1;
    const int error =
        posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(error, 0) << argv[0] << ": " << std::strerror(error);
    return error == 0 ? pid : -1;
  }

  // Waits until the acknowledgements file holds `acks` records (true), or the child exits or the
  // deadline passes (false, with a test failure). Wakes on every change in the work directory and
  // on the child's exit; never sleeps.
  bool WaitForAcks(pid_t pid, uint64_t acks) {
    const int changes = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    // Glibc 2.36's <sys/pidfd.h> lacks extern "C", so the system call is made directly.
    const int child = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    EXPECT_GE(changes, 0) << std::strerror(errno);
    EXPECT_GE(child, 0) << std::strerror(errno);
    bool reached = false;
    if (changes >= 0 && child >= 0 &&
        inotify_add_watch(changes, work_.c_str(), IN_MODIFY | IN_CREATE) >= 0) {
      const auto deadline = std::chrono::steady_clock::now() + kRoundDeadline;
      while (!(reached = FileSize(acks_) >= acks * kAckRecordBytes)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd fds[] = {{changes, POLLIN, 0}, {child, POLLIN, 0}};
        if (left.count() <= 0 || ::poll(fds, 2, static_cast<int>(left.count())) == 0) {
          ADD_FAILURE() << "no progress from the writer within " << kRoundDeadline.count() << " s";
          break;
        }
        if (fds[1].revents != 0) {
          reached = FileSize(acks_) >= acks * kAckRecordBytes;
          if (!reached) ADD_FAILURE() << "the writer exited:\n" << ReadFile(log_);
          break;
        }
        char events[4096];
        while (::read(changes, events, sizeof events) > 0) {
        }
      }
    }
    if (changes >= 0) ::close(changes);
    if (child >= 0) ::close(child);
    return reached;
  }

  std::string work_, data_dir_, acks_, log_;
};

TEST_F(CrashTest, EveryAcknowledgedWriteSurvivesSigkillAtRandomMoments) {
  std::mt19937_64 rng(kSeed);
  State acknowledged;  // What batches 0 .. applied - 1 wrote.
  uint64_t applied = 0;
  uint64_t kills = 0, in_flight_present = 0, torn_tail_bytes = 0, points_checked = 0;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const uint64_t before = FileSize(acks_) / kAckRecordBytes;
    const pid_t pid = SpawnWriter();
    ASSERT_GT(pid, 0);
    const bool reached = WaitForAcks(pid, before + 1 + rng() % kMaxAcksPerRound);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(reached);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer exited by itself (status " << status << "):\n"
        << ReadFile(log_);
    ++kills;

    // The writer acknowledges batches 0, 1, 2, ... in order, resuming after the last one.
    absl::StatusOr<std::vector<uint64_t>> acks = ParseAcks(ReadFile(acks_));
    ASSERT_TRUE(acks.ok()) << acks.status();
    ASSERT_GT(acks->size(), before);
    for (uint64_t i = applied; i < acks->size(); ++i) {
      ASSERT_EQ((*acks)[i], i) << "acknowledgements out of sequence";
      ApplyBatch(i, acknowledged);
    }
    applied = acks->size();

    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(DbOptions(), data_dir_);
    ASSERT_TRUE(db.ok()) << db.status();
    const DbStats stats = (*db)->GetStats();
    EXPECT_EQ(stats.damaged_files, 0u) << "a killed process leaves at most a torn tail";
    torn_tail_bytes += stats.torn_tail_bytes_truncated;
    absl::StatusOr<State> stored = ReadState(**db);
    ASSERT_TRUE(stored.ok()) << stored.status();
    points_checked += CountPoints(acknowledged);

    // Exactly the acknowledged batches, or those and the one the kill caught in flight (the writer
    // has one write outstanding at a time); nothing else.
    const std::string without = FirstDifference(acknowledged, *stored);
    if (!without.empty()) {
      State with_in_flight = acknowledged;
      ApplyBatch(applied, with_in_flight);
      const std::string with = FirstDifference(with_in_flight, *stored);
      ASSERT_EQ(with, "") << "after " << applied << " acknowledged batches: " << without
                          << "\n(counting batch " << applied << ", in flight: " << with << ")";
      ++in_flight_present;
    }
  }

  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("acknowledged_batches", static_cast<int>(applied));
  RecordProperty("points_checked", static_cast<int>(points_checked));
  std::cout << "crash test (seed " << kSeed << "): " << kills << " kills, " << applied
            << " acknowledged batches (" << CountPoints(acknowledged) << " points at the end), "
            << points_checked << " points checked over all reopens, " << in_flight_present
            << " in-flight batches found durable, " << torn_tail_bytes
            << " torn-tail bytes truncated; " << CountFiles(data_dir_, ".blk") << " blocks and "
            << CountFiles(data_dir_, ".wal") << " log segments on disk at the end\n";
}

}  // namespace
}  // namespace edgetsdb::testing
