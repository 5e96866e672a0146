// The `edgetsdb` program's command line: sub-commands, their flags, usage and exit codes. main()
// only calls RunCli, so that the commands can also run in-process.
//
//   edgetsdb import  --data-dir DIR [--db NAME] [--precision ns|us|ms|s] FILE|-
//   edgetsdb inspect --data-dir DIR
//   edgetsdb compact --data-dir DIR
//   edgetsdb check   --data-dir DIR
//   edgetsdb help [COMMAND] | --help | --version
#ifndef EDGETSDB_SERVER_CLI_H_
#define EDGETSDB_SERVER_CLI_H_

#include <iosfwd>

namespace edgetsdb::cli {

// Exit codes, the same for every command.
inline constexpr int kExitOk = 0;
// The command ran but did not fully succeed: lines rejected by import, damage found by check, an
// engine error in compact.
inline constexpr int kExitFailed = 1;
// Nothing was done: bad usage, or the data directory or input could not be opened.
inline constexpr int kExitUsage = 2;

// Runs the command line argv[0..argc). Output goes to out, diagnostics to err; `import -` reads
// the process's standard input. Returns the exit code.
int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace edgetsdb::cli

#endif  // EDGETSDB_SERVER_CLI_H_
