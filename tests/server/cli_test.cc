// The edgetsdb program's offline commands, run as a user would: the built binary in a child
// process, on a fresh data directory; what import wrote is then read back by opening the Db here.
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edgetsdb/db.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace edgetsdb {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kSecond = 1'000'000'000;

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const fs::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "cli_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    data_dir_ = (dir_ / "data").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs build/edgetsdb with args, stdin as its standard input; waits for it to exit.
  ProcessResult Edgetsdb(std::vector<std::string> args, std::string_view stdin_text = "") {
    const fs::path in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
    WriteFile(in, stdin_text);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    args.insert(args.begin(), EDGETSDB_BINARY);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, EDGETSDB_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ProcessResult run;
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run " << EDGETSDB_BINARY << ": " << std::strerror(spawned);
      return run;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
    run.out = ReadFile(out);
    run.err = ReadFile(err);
    return run;
  }

  std::string WriteInput(std::string_view name, std::string_view contents) {
    const fs::path path = dir_ / name;
    WriteFile(path, contents);
    return path.string();
  }

  // Timestamps of field `field` of measurement m in database, read in-process.
  std::vector<int64_t> Timestamps(const std::string& database, const std::string& measurement,
                                  const std::string& field) {
    auto db = Db::Open(Options(), data_dir_);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return {};
    SeriesSelector selector;
    selector.database = database;
    selector.measurement = measurement;
    selector.fields = {field};
    auto series = (*db)->Query(selector);
    EXPECT_TRUE(series.ok()) << series.status();
    std::vector<int64_t> timestamps;
    if (!series.ok()) return timestamps;
    for (const SeriesData& s : *series) {
      timestamps.insert(timestamps.end(), s.timestamps.begin(), s.timestamps.end());
    }
    std::sort(timestamps.begin(), timestamps.end());
    return timestamps;
  }

  std::vector<fs::path> WalSegments() {
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(fs::path(data_dir_) / "wal")) {
      segments.push_back(entry.path());
    }
    std::sort(segments.begin(), segments.end());
    return segments;
  }

  fs::path dir_;
  std::string data_dir_;
};

TEST_F(CliTest, ImportReportsTheBadLineByNumberAndWritesTheGoodOnes) {
  const std::string input = WriteInput("cpu.lp",
                                       "# two hosts\n"
                                       "cpu,host=a usage=1.5 1700000000000000000\n"
                                       "cpu,host=b usage=2.5 1700000000000000000\n"
                                       "cpu,host=a usage= 1700000001000000000\n"
                                       "\n"
                                       "cpu,host=a usage=3.5,idle=90i 1700000002000000000\n");
  const ProcessResult run = Edgetsdb({"import", "--data-dir", data_dir_, input});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err,
              HasSubstr("line 4: unable to parse 'cpu,host=a usage= 1700000001000000000'"));
  EXPECT_THAT(run.err, Not(HasSubstr("line 1:")));
  EXPECT_THAT(run.out, AllOf(HasSubstr("imported 3 points (4 field values) into database "
                                       "\"default\""),
                             HasSubstr("1 lines rejected"), HasSubstr("points/s")));
  EXPECT_EQ(Timestamps("default", "cpu", "usage"),
            (std::vector<int64_t>{1'700'000'000 * kSecond, 1'700'000'000 * kSecond,
                                  1'700'000'002 * kSecond}));
}

TEST_F(CliTest, ImportReadsStandardInputWithDatabaseAndPrecision) {
  const ProcessResult run =
      Edgetsdb({"import", "--data-dir=" + data_dir_, "--db", "edge", "--precision=s", "-"},
               "env,site=x temp=20.5 1700000000\n"
               "env,site=x temp=21 1700000010");  // No final newline.
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("imported 2 points"));
  EXPECT_EQ(Timestamps("edge", "env", "temp"),
            (std::vector<int64_t>{1'700'000'000 * kSecond, 1'700'000'010 * kSecond}));
}

TEST_F(CliTest, QueryAnswersInfluxQlOfflineInQuerysJson) {
  ASSERT_EQ(Edgetsdb({"import", "--data-dir", data_dir_, "--db", "edge", "-"},
                     "env,site=x temp=20.5 1000000000\nenv,site=y temp=21 2000000000\n")
                .exit_code,
            0);
  ProcessResult run = Edgetsdb({"query", "--data-dir", data_dir_, "--db", "edge", "--epoch", "s",
                                "SELECT max(temp) FROM env; SHOW TAG VALUES WITH KEY = site"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(
      run.out,
      "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"env\",\"columns\":["
      "\"time\",\"max\"],\"values\":[[2,21]]}]},{\"statement_id\":1,\"series\":[{\"name\":"
      "\"env\",\"columns\":[\"key\",\"value\"],\"values\":[[\"site\",\"x\"],[\"site\",\"y\"]]}]}]}"
      "\n");
  run =
      Edgetsdb({"query", "--data-dir", data_dir_, "--format", "csv", "SELECT temp FROM edge..env"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "name,tags,time,temp\nenv,,1000000000,20.5\nenv,,2000000000,21\n");
  // A parse error is /query's 400 body and exit status 1; a failed statement exits 1 too.
  run = Edgetsdb({"query", "--data-dir", data_dir_, "SELEC temp"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("{\"error\":\"error parsing query: found SELEC"));
  run = Edgetsdb({"query", "--data-dir", data_dir_, "SELECT temp FROM nodb..env"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("database not found: nodb"));
}

TEST_F(CliTest, ImportKeepsTheGoodLinesOfABatchTheEngineRefuses) {
  // Line 2 parses but conflicts with the field's type: the engine refuses the whole batch, and
  // import writes its lines one by one.
  const std::string input = WriteInput("conflict.lp",
                                       "m v=1 1000000000\n"
                                       "m v=\"text\" 2000000000\n"
                                       "m v=3 3000000000\n");
  const ProcessResult run = Edgetsdb({"import", "--data-dir", data_dir_, input});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("line 2: "));
  EXPECT_THAT(run.err, Not(HasSubstr("line 1:")));
  EXPECT_THAT(run.err, Not(HasSubstr("line 3:")));
  EXPECT_EQ(Timestamps("default", "m", "v"), (std::vector<int64_t>{kSecond, 3 * kSecond}));
}

TEST_F(CliTest, ImportOfAMissingFileCreatesNoDataDirectory) {
  const ProcessResult run =
      Edgetsdb({"import", "--data-dir", data_dir_, (dir_ / "nope.lp").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("cannot open"));
  EXPECT_FALSE(fs::exists(data_dir_));
}

TEST_F(CliTest, InspectListsTheDatabases) {
  ASSERT_EQ(
      Edgetsdb({"import", "--data-dir", data_dir_, "--db", "plant", "-"}, "m v=1 1\n").exit_code,
      0);
  const ProcessResult run = Edgetsdb({"inspect", "--data-dir", data_dir_});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, AllOf(HasSubstr("1 database"), HasSubstr("database \"plant\"")));
}

TEST_F(CliTest, InspectAndCompactOfAMissingDataDirectoryAreUsageErrors) {
  for (const char* command : {"inspect", "compact"}) {
    const ProcessResult run = Edgetsdb({command, "--data-dir", data_dir_});
    EXPECT_EQ(run.exit_code, 2) << command;
    EXPECT_THAT(run.err, HasSubstr("cannot open the data directory")) << command;
    EXPECT_FALSE(fs::exists(data_dir_)) << command;
  }
}

TEST_F(CliTest, CompactKeepsTheDataOrSaysWhyItCannot) {
  ASSERT_EQ(Edgetsdb({"import", "--data-dir", data_dir_, "-"}, "m v=1 1\nm v=2 2\n").exit_code, 0);
  const ProcessResult run = Edgetsdb({"compact", "--data-dir", data_dir_});
  // Compaction is built in steps: until it is, the engine's error is reported with status 1.
  if (run.exit_code == 1) {
    EXPECT_THAT(run.err, StartsWith("edgetsdb compact: "));
  } else {
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, HasSubstr("compacted"));
  }
  EXPECT_EQ(Timestamps("default", "m", "v"), (std::vector<int64_t>{1, 2}));
}

TEST_F(CliTest, CheckPassesACleanDirectoryAndFailsAfterAByteFlipsInTheLog) {
  ASSERT_EQ(Edgetsdb({"import", "--data-dir", data_dir_, "-"}, "m v=1 1\nm v=2 2\n").exit_code, 0);
  // A second open starts a second segment, so the first is no longer the one a crash could tear.
  ASSERT_EQ(Edgetsdb({"inspect", "--data-dir", data_dir_}).exit_code, 0);
  const ProcessResult clean = Edgetsdb({"check", "--data-dir", data_dir_});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_THAT(clean.out, HasSubstr("no damage"));

  // Once import flushes to blocks, segments may hold a header only: the byte flipped is in it
  // (the segment number, which the header CRC covers).
  const std::vector<fs::path> segments = WalSegments();
  ASSERT_GE(segments.size(), 2u);
  std::string contents = ReadFile(segments[0]);
  ASSERT_GE(contents.size(), 20u);
  contents[10] ^= 0x01;
  WriteFile(segments[0], contents);

  const ProcessResult damaged = Edgetsdb({"check", "--data-dir", data_dir_});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_THAT(damaged.out, AllOf(HasSubstr("wal/" + segments[0].filename().string() + ": damaged"),
                                 HasSubstr("at offset 0: segment header checksum mismatch"),
                                 HasSubstr("1 damaged")));
  EXPECT_EQ(ReadFile(segments[0]), contents) << "check changes nothing";
}

TEST_F(CliTest, CheckOfAMissingDataDirectoryIsAUsageError) {
  const ProcessResult run = Edgetsdb({"check", "--data-dir", data_dir_});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("no data directory"));
}

TEST_F(CliTest, UsageErrorsExitTwoWithUsageOnStderr) {
  const std::vector<std::vector<std::string>> cases = {
      {"frobnicate"},
      {"import", "-"},                                           // No --data-dir.
      {"import", "--data-dir", data_dir_},                       // No input.
      {"import", "--data-dir", data_dir_, "a.lp", "b.lp"},       // Two inputs.
      {"import", "--data-dir", data_dir_, "--bogus", "1", "-"},  // Unknown flag.
      {"import", "--data-dir", data_dir_, "-", "--db"},          // A flag without its value.
      {"import", "--data-dir", data_dir_, "--db", "a", "--db=b", "-"},
      {"check", "--data-dir", data_dir_, "-x"},
      {"help", "frobnicate"},
  };
  for (const std::vector<std::string>& args : cases) {
    const ProcessResult run = Edgetsdb(args);
    const std::string command = ::testing::PrintToString(args);
    EXPECT_EQ(run.exit_code, 2) << command;
    EXPECT_THAT(run.err, AllOf(StartsWith("edgetsdb: "), HasSubstr("usage"))) << command;
    EXPECT_EQ(run.out, "") << command;
  }
  EXPECT_FALSE(fs::exists(data_dir_));
}

TEST_F(CliTest, BadFlagValuesExitTwoNamingTheFlag) {
  const ProcessResult precision =
      Edgetsdb({"import", "--data-dir", data_dir_, "--precision", "d", "-"});
  EXPECT_EQ(precision.exit_code, 2);
  EXPECT_THAT(precision.err, HasSubstr("--precision: unknown precision 'd'"));
  const ProcessResult db =
      Edgetsdb({"import", "--data-dir", data_dir_, "--db", std::string(65, 'x'), "-"});
  EXPECT_EQ(db.exit_code, 2);
  EXPECT_THAT(db.err, HasSubstr("--db: database name must be 1 to 64 bytes"));
  EXPECT_FALSE(fs::exists(data_dir_));
}

TEST_F(CliTest, HelpVersionAndBanner) {
  const ProcessResult help = Edgetsdb({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"import", "inspect", "compact", "check"}) {
    EXPECT_THAT(help.out, HasSubstr(std::string("edgetsdb ") + command + " --data-dir DIR"));
  }
  const ProcessResult import_help = Edgetsdb({"help", "import"});
  EXPECT_EQ(import_help.exit_code, 0);
  EXPECT_THAT(import_help.out,
              AllOf(HasSubstr("--precision"), HasSubstr("(default: \"default\")")));
  EXPECT_EQ(Edgetsdb({"import", "--help"}).out, import_help.out);

  const ProcessResult version = Edgetsdb({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, StartsWith("edgetsdb "));

  const ProcessResult banner = Edgetsdb({});
  EXPECT_EQ(banner.exit_code, 0);
  EXPECT_THAT(banner.out, AllOf(HasSubstr("a time-series database for edge gateways"),
                                HasSubstr("import"), HasSubstr("check")));
}

}  // namespace
}  // namespace edgetsdb
