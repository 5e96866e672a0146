// The sub-commands of the `edgetsdb` program, each in server/<name>_command.cc. server/cli.cc
// parses the command line, checks required flags and positional arguments, then calls one of
// these; each returns an exit code (server/cli.h).
#ifndef EDGETSDB_SERVER_COMMANDS_H_
#define EDGETSDB_SERVER_COMMANDS_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "edgetsdb/db.h"
#include "server/flags.h"

namespace edgetsdb::cli {

// The database `import` writes to when --db is not given.
inline constexpr char kDefaultDatabase[] = "default";

int RunImport(const CommandArgs& args, std::ostream& out, std::ostream& err);
int RunInspect(const CommandArgs& args, std::ostream& out, std::ostream& err);
int RunCompact(const CommandArgs& args, std::ostream& out, std::ostream& err);
int RunCheck(const CommandArgs& args, std::ostream& out, std::ostream& err);
int RunQuery(const CommandArgs& args, std::ostream& out, std::ostream& err);
int RunServe(const CommandArgs& args, std::ostream& out, std::ostream& err);
// `edgetsdb help serve`, after the synopsis: built from the settings table (server/config.h).
const std::string& ServeHelp();

// Opens a data directory that must already exist: a mistyped --data-dir is reported, not created.
inline absl::StatusOr<std::unique_ptr<Db>> OpenExistingDataDir(const std::string& data_dir) {
  Options options;
  options.create_if_missing = false;
  return Db::Open(options, data_dir);
}

}  // namespace edgetsdb::cli

#endif  // EDGETSDB_SERVER_COMMANDS_H_
