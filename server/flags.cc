#include "server/flags.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgetsdb::cli {

std::string CommandArgs::Get(std::string_view name, std::string_view fallback) const {
  auto it = flags.find(name);
  return std::string(it != flags.end() ? std::string_view(it->second) : fallback);
}

absl::StatusOr<CommandArgs> ParseCommandArgs(absl::Span<char* const> args,
                                             absl::Span<const std::string_view> known_flags) {
  CommandArgs parsed;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (flags_ended || arg == "-" || !arg.starts_with("-")) {
      parsed.positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return parsed;
    }
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", std::string(arg)));
    }
    std::string_view name = arg.substr(2);
    const size_t equals = name.find('=');
    if (equals != std::string_view::npos) name = name.substr(0, equals);
    if (std::find(known_flags.begin(), known_flags.end(), name) == known_flags.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", std::string(name)));
    }
    std::string value;
    if (equals != std::string_view::npos) {
      value = std::string(arg.substr(2 + equals + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", std::string(name), " needs a value"));
    }
    if (!parsed.flags.emplace(std::string(name), std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", std::string(name), " given twice"));
    }
  }
  return parsed;
}

}  // namespace edgetsdb::cli
