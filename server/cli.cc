#include "server/cli.h"

#include <ostream>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/flags.h"

#ifndef EDGETSDB_VERSION
#define EDGETSDB_VERSION "unknown"
#endif

namespace edgetsdb::cli {
namespace {

struct Command {
  std::string_view name;
  std::string_view synopsis;  // After "edgetsdb ".
  std::string_view summary;   // One line, for the command list.
  std::string_view details;   // For `edgetsdb help NAME`, after the synopsis.
  std::vector<std::string_view> flags;
  std::vector<std::string_view> required_flags;
  // The name of the command's one positional argument; empty when it takes none.
  std::string_view positional = {};
  int (*run)(const CommandArgs& args, std::ostream& out, std::ostream& err) = nullptr;
};

const std::vector<Command>& Commands() {
  static const auto* const commands = new std::vector<Command>{
      {
          .name = "import",
          .synopsis = "import --data-dir DIR [--db NAME] [--precision ns|us|ms|s] FILE|-",
          .summary = "load InfluxDB line protocol into a data directory, offline",
          .details =
              "Writes the line protocol in FILE ('-': standard input) to database NAME of the\n"
              "data directory DIR, which is created if missing and must not be open in a server.\n"
              "The input is streamed in batches of 5,000 lines. A bad line is reported on stderr\n"
              "with its line number and skipped; the good lines are written all the same, as\n"
              "InfluxDB does. Lines without a timestamp get the time the import started. At the\n"
              "end everything written is durable.\n"
              "\n"
              "  --data-dir DIR   the data directory\n"
              "  --db NAME        the database, created on first write (default: \"default\")\n"
              "  --precision P    the unit of the timestamps: ns (default), us, ms or s\n"
              "                   (InfluxDB's u, n, m and h are accepted too)\n"
              "\n"
              "Exit status: 0 every line was written; 1 some lines were rejected, or a write\n"
              "failed and stopped the import (what was written before it stays); 2 bad usage,\n"
              "or FILE or DIR could not be opened.\n",
          .flags = {"data-dir", "db", "precision"},
          .required_flags = {"data-dir"},
          .positional = "FILE|-",
          .run = RunImport,
      },
      {
          .name = "inspect",
          .synopsis = "inspect --data-dir DIR",
          .summary = "show each database's partitions: series, points, bytes on disk",
          .details =
              "Opens the data directory DIR (no server may have it open) and prints, for each\n"
              "database, its partitions (times in RFC 3339, UTC) with the blocks, series, points\n"
              "(field values) and bytes on disk of each, the bytes per point, the totals, and\n"
              "the points still in the head (in memory and the write-ahead log).\n"
              "\n"
              "Exit status: 0; 2 bad usage or DIR could not be opened.\n",
          .flags = {"data-dir"},
          .required_flags = {"data-dir"},
          .run = RunInspect,
      },
      {
          .name = "compact",
          .synopsis = "compact --data-dir DIR",
          .summary = "flush the head to blocks and run every due compaction",
          .details =
              "Opens the data directory DIR (no server may have it open), writes the head to\n"
              "blocks, runs every compaction, retention and disk budget enforcement that is due,\n"
              "and exits.\n"
              "\n"
              "Exit status: 0 done; 1 the engine reported an error; 2 bad usage or DIR could not\n"
              "be opened.\n",
          .flags = {"data-dir"},
          .required_flags = {"data-dir"},
          .run = RunCompact,
      },
      {
          .name = "check",
          .synopsis = "check --data-dir DIR",
          .summary = "verify every checksum in a data directory, changing nothing",
          .details =
              "Reads every write-ahead log segment, database.meta and block of the data\n"
              "directory DIR and verifies every checksum, without opening it as a database: it\n"
              "takes no lock and changes nothing. Prints each file that is not clean, with the\n"
              "offset and the reason. A torn tail at the end of the newest log segment (a write\n"
              "cut short by a crash, never acknowledged) is reported but is not damage; files in\n"
              "quarantine/ (damage already set aside) and unfinished *.tmp files are listed.\n"
              "\n"
              "Exit status: 0 no damage; 1 a file is damaged, unreadable, or of a newer format\n"
              "this edgetsdb cannot verify; 2 bad usage or DIR does not exist.\n",
          .flags = {"data-dir"},
          .required_flags = {"data-dir"},
          .run = RunCheck,
      },
      {
          .name = "query",
          .synopsis = "query --data-dir DIR [--db NAME] [--epoch U] [--format json|csv] "
                      "[--pretty true] 'STATEMENTS'",
          .summary = "answer InfluxQL offline, in the JSON that GET /query returns",
          .details =
              "Opens the data directory DIR (no server may have it open), runs the InfluxQL\n"
              "statements (separated by ';') against it and prints the answer as GET /query\n"
              "would: InfluxDB 1.x JSON, or CSV with --format csv.\n"
              "\n"
              "  --db NAME        the database of statements whose FROM names none (?db=)\n"
              "  --epoch U        times as integers in U (ns, u, ms, s, m, h) instead of RFC 3339\n"
              "  --format F       json (default) or csv\n"
              "  --pretty true    indented JSON\n"
              "\n"
              "Exit status: 0 every statement succeeded; 1 the query did not parse or a statement\n"
              "failed (its error is in the output); 2 bad usage or DIR could not be opened.\n",
          .flags = {"data-dir", "db", "epoch", "format", "pretty"},
          .required_flags = {"data-dir"},
          .positional = "STATEMENTS",
          .run = RunQuery,
      },
      {
          .name = "serve",
          .synopsis = "serve [--data-dir DIR] [--http-addr HOST:PORT] [--config FILE] ...",
          .summary = "serve the InfluxDB 1.x HTTP API (write, query, ping, health, metrics)",
          .details = ServeHelp(),
          .flags = server::ServeFlagNames(),
          .required_flags = {},
          .run = RunServe,
      },
  };
  return *commands;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

void PrintCommandList(std::ostream& os) {
  os << "Commands:\n";
  for (const Command& command : Commands()) {
    os << "  " << command.name << std::string(10 - command.name.size(), ' ') << command.summary
       << "\n";
  }
  os << "  help      show the usage of every command, or of one: help COMMAND\n";
}

void PrintUsage(std::ostream& os) {
  os << "usage:\n";
  for (const Command& command : Commands()) os << "  edgetsdb " << command.synopsis << "\n";
  os << "  edgetsdb help [COMMAND]\n"
        "  edgetsdb --version\n"
        "\n";
  PrintCommandList(os);
  os << "\n"
        "Flags take their value as --flag value or --flag=value.\n"
        "Exit status: 0 success; 1 the command ran but found or met a problem; 2 bad usage.\n";
}

void PrintCommandHelp(const Command& command, std::ostream& os) {
  os << "usage: edgetsdb " << command.synopsis << "\n\n" << command.details;
}

int UsageError(std::string_view message, const Command* command, std::ostream& err) {
  err << "edgetsdb: " << message << "\n\n";
  if (command != nullptr) {
    PrintCommandHelp(*command, err);
  } else {
    PrintUsage(err);
  }
  return kExitUsage;
}

int RunCommand(const Command& command, absl::Span<char* const> args, std::ostream& out,
               std::ostream& err) {
  absl::StatusOr<CommandArgs> parsed = ParseCommandArgs(args, command.flags);
  if (!parsed.ok()) return UsageError(std::string(parsed.status().message()), &command, err);
  if (parsed->help) {
    PrintCommandHelp(command, out);
    return kExitOk;
  }
  for (std::string_view flag : command.required_flags) {
    if (parsed->Get(flag).empty()) {
      return UsageError(std::string(command.name) + " needs --" + std::string(flag), &command, err);
    }
  }
  const size_t positional_count = command.positional.empty() ? 0 : 1;
  if (parsed->positional.size() < positional_count) {
    return UsageError(std::string(command.name) + " needs " + std::string(command.positional),
                      &command, err);
  }
  if (parsed->positional.size() > positional_count) {
    return UsageError(std::string(command.name) + ": unexpected argument '" +
                          parsed->positional[positional_count] + "'",
                      &command, err);
  }
  return command.run(*parsed, out, err);
}

}  // namespace

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  const absl::Span<char* const> args(argv + 1, argc > 1 ? argc - 1 : 0);
  if (args.empty()) {
    out << "edgetsdb " EDGETSDB_VERSION ": a time-series database for edge gateways.\n\n";
    PrintCommandList(out);
    out << "\n"
           "Run 'edgetsdb help COMMAND' for its flags. Measure the compression library on your\n"
           "data with\n"
           "  build/bench/compression_report PATH...\n";
    return kExitOk;
  }
  const std::string_view name = args[0];
  if (name == "--version" || name == "version") {
    out << "edgetsdb " EDGETSDB_VERSION "\n";
    return kExitOk;
  }
  if (name == "help" || name == "--help" || name == "-h") {
    if (args.size() == 1) {
      PrintUsage(out);
      return kExitOk;
    }
    const Command* command = FindCommand(args[1]);
    if (command == nullptr) {
      return UsageError(std::string("unknown command '") + args[1] + "'", nullptr, err);
    }
    if (args.size() > 2) return UsageError("help takes one command", nullptr, err);
    PrintCommandHelp(*command, out);
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    return UsageError(std::string("unknown command '") + std::string(name) + "'", nullptr, err);
  }
  return RunCommand(*command, args.subspan(1), out, err);
}

}  // namespace edgetsdb::cli
