// Hand-written flag parsing for the sub-commands: absl flags are global, and a sub-command's few
// flags do not need them.
#ifndef EDGETSDB_SERVER_FLAGS_H_
#define EDGETSDB_SERVER_FLAGS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace edgetsdb::cli {

// The arguments that follow a sub-command's name.
struct CommandArgs {
  std::map<std::string, std::string, std::less<>> flags;  // By name, without the dashes.
  std::vector<std::string> positional;
  bool help = false;  // --help or -h was given: nothing else was checked.

  // The flag's value, or fallback when it was not given.
  std::string Get(std::string_view name, std::string_view fallback = "") const;
};

// Parses `--name value` and `--name=value` (every flag takes a value), positional arguments ("-"
// is one: standard input), and "--", after which everything is positional. InvalidArgument for a
// flag not in known_flags, a flag without its value, or one given twice.
absl::StatusOr<CommandArgs> ParseCommandArgs(absl::Span<char* const> args,
                                             absl::Span<const std::string_view> known_flags);

}  // namespace edgetsdb::cli

#endif  // EDGETSDB_SERVER_FLAGS_H_
