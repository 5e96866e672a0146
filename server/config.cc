#include "server/config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace edgetsdb::server {
namespace {

// Debian's Abseil has its own string_view, distinct from std's.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view StdView(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// How a setting's value is written, in the file and on the command line.
enum class Kind {
  kString,        // TOML string.
  kInteger,       // TOML integer.
  kSize,          // TOML integer (bytes) or string with a unit.
  kDuration,      // TOML string with units.
  kDurationList,  // TOML array of duration strings; a flag separates them with commas.
  kChoice,        // TOML string, one of a few words.
};

using ApplyFn = absl::Status (*)(std::string_view text, ServerConfig* config);

struct Setting {
  std::string_view key;   // In the file: "section.name" or "name" at the top.
  std::string_view flag;  // Without dashes.
  Kind kind;
  std::string_view default_text;  // For help.
  std::string_view help;
  ApplyFn apply;
};

absl::StatusOr<int64_t> ParseInteger(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(AbslView(text), &value)) {
    return absl::InvalidArgumentError(absl::StrCat("not an integer: '", std::string(text), "'"));
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(value, " is out of range (", min, " to ", max, ")"));
  }
  return value;
}

absl::Status PositiveDuration(std::string_view text, absl::Duration* out) {
  absl::StatusOr<absl::Duration> d = ParseDurationText(text);
  if (!d.ok()) return d.status();
  if (*d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be positive, got '", std::string(text), "'"));
  }
  *out = *d;
  return absl::OkStatus();
}

absl::Status NonNegativeNanos(std::string_view text, int64_t* out) {
  absl::StatusOr<absl::Duration> d = ParseDurationText(text);
  if (!d.ok()) return d.status();
  *out = absl::ToInt64Nanoseconds(*d);
  return absl::OkStatus();
}

absl::Status PositiveNanos(std::string_view text, int64_t* out) {
  absl::Duration d;
  if (absl::Status s = PositiveDuration(text, &d); !s.ok()) return s;
  *out = absl::ToInt64Nanoseconds(d);
  return absl::OkStatus();
}

absl::Status Size(std::string_view text, uint64_t* out, uint64_t min = 0) {
  absl::StatusOr<uint64_t> size = ParseByteSize(text);
  if (!size.ok()) return size.status();
  if (*size < min) {
    return absl::InvalidArgumentError(absl::StrCat("must be at least ", min, " bytes"));
  }
  *out = *size;
  return absl::OkStatus();
}

template <typename T>
absl::Status Integer(std::string_view text, T* out, int64_t min, int64_t max) {
  absl::StatusOr<int64_t> value = ParseInteger(text, min, max);
  if (!value.ok()) return value.status();
  *out = static_cast<T>(*value);
  return absl::OkStatus();
}

// The one table of settings: file keys, flags, defaults and meaning. Defaults live in the
// structs (config.h, edgetsdb/options.h, query/engine.h); default_text repeats them for help and
// docs/configuration.md, and config_test checks that they agree.
const std::vector<Setting>& Settings() {
  static const auto* const settings = new std::vector<Setting>{
      {"data_dir", "data-dir", Kind::kString, "./data", "the data directory (created if missing)",
       [](std::string_view t, ServerConfig* c) {
         if (t.empty()) return absl::InvalidArgumentError("must not be empty");
         c->data_dir = std::string(t);
         return absl::OkStatus();
       }},
      {"log_level", "log-level", Kind::kChoice, "info", "debug, info, warn or error",
       [](std::string_view t, ServerConfig* c) {
         absl::StatusOr<LogLevel> level = ParseLogLevel(t);
         if (!level.ok()) return level.status();
         c->log_level = *level;
         return absl::OkStatus();
       }},
      // [http]
      {"http.addr", "http-addr", Kind::kString, "127.0.0.1:8086",
       "HOST:PORT to listen on (:PORT for every interface, port 0 for any free port)",
       [](std::string_view t, ServerConfig* c) {
         const size_t colon = t.rfind(':');
         if (colon == std::string_view::npos) {
           return absl::InvalidArgumentError(
               absl::StrCat("want HOST:PORT, got '", std::string(t), "'"));
         }
         absl::StatusOr<int64_t> port = ParseInteger(t.substr(colon + 1), 0, 65535);
         if (!port.ok()) {
           return absl::InvalidArgumentError(
               absl::StrCat("bad port in '", std::string(t), "': ", port.status().message()));
         }
         c->http.addr = std::string(t);
         return absl::OkStatus();
       }},
      {"http.threads", "http-threads", Kind::kInteger, "0", "I/O threads; 0 = one per core",
       [](std::string_view t, ServerConfig* c) { return Integer(t, &c->http.threads, 0, 1024); }},
      {"http.max_body_bytes", "max-body-bytes", Kind::kSize, "25MiB",
       "largest request body, compressed and again inflated (413 beyond)",
       [](std::string_view t, ServerConfig* c) { return Size(t, &c->http.max_body_bytes, 1); }},
      {"http.max_header_bytes", "max-header-bytes", Kind::kSize, "64KiB",
       "largest request line and header (431 beyond)",
       [](std::string_view t, ServerConfig* c) {
         return Size(t, &c->http.max_header_bytes, 1024);
       }},
      {"http.max_concurrent_requests", "max-concurrent-requests", Kind::kInteger, "32",
       "writes, queries and compactions at once; more get 429 before their body is read",
       [](std::string_view t, ServerConfig* c) {
         return Integer(t, &c->http.max_concurrent_requests, 1, 4096);
       }},
      {"http.header_timeout", "header-timeout", Kind::kDuration, "10s",
       "time to receive a request's header",
       [](std::string_view t, ServerConfig* c) {
         return PositiveDuration(t, &c->http.header_timeout);
       }},
      {"http.body_timeout", "body-timeout", Kind::kDuration, "60s",
       "time to receive a request's body",
       [](std::string_view t, ServerConfig* c) {
         return PositiveDuration(t, &c->http.body_timeout);
       }},
      {"http.idle_timeout", "idle-timeout", Kind::kDuration, "120s",
       "a kept-alive connection's wait for its next request",
       [](std::string_view t, ServerConfig* c) {
         return PositiveDuration(t, &c->http.idle_timeout);
       }},
      {"http.write_timeout", "write-timeout", Kind::kDuration, "60s", "time to send a response",
       [](std::string_view t, ServerConfig* c) {
         return PositiveDuration(t, &c->http.write_timeout);
       }},
      {"http.tls_cert", "tls-cert", Kind::kString, "",
       "PEM certificate chain; with tls_key, the server speaks HTTPS only",
       [](std::string_view t, ServerConfig* c) {
         c->http.tls_cert = std::string(t);
         return absl::OkStatus();
       }},
      {"http.tls_key", "tls-key", Kind::kString, "", "PEM private key of tls_cert",
       [](std::string_view t, ServerConfig* c) {
         c->http.tls_key = std::string(t);
         return absl::OkStatus();
       }},
      // [auth]
      {"auth.token", "auth-token", Kind::kString, "",
       "a token clients send (Authorization: Token or Bearer); enables authentication",
       [](std::string_view t, ServerConfig* c) {
         c->auth.token = std::string(t);
         return absl::OkStatus();
       }},
      {"auth.username", "auth-username", Kind::kString, "",
       "a username (Basic auth or u/p parameters); enables authentication",
       [](std::string_view t, ServerConfig* c) {
         c->auth.username = std::string(t);
         return absl::OkStatus();
       }},
      {"auth.password", "auth-password", Kind::kString, "", "the username's password",
       [](std::string_view t, ServerConfig* c) {
         c->auth.password = std::string(t);
         return absl::OkStatus();
       }},
      // [storage]
      {"storage.durability", "durability", Kind::kChoice, "sync",
       "when writes are acknowledged: sync (fsynced), interval, none",
       [](std::string_view t, ServerConfig* c) {
         if (t == "sync") {
           c->storage.durability = Durability::kSync;
         } else if (t == "interval") {
           c->storage.durability = Durability::kInterval;
         } else if (t == "none") {
           c->storage.durability = Durability::kNone;
         } else {
           return absl::InvalidArgumentError(absl::StrCat("unknown durability '", std::string(t),
                                                          "' (want sync, interval or none)"));
         }
         return absl::OkStatus();
       }},
      {"storage.sync_interval", "sync-interval", Kind::kDuration, "100ms",
       "the log's fsync period under durability = interval (whole milliseconds)",
       [](std::string_view t, ServerConfig* c) {
         absl::Duration d;
         if (absl::Status s = PositiveDuration(t, &d); !s.ok()) return s;
         if (d < absl::Milliseconds(1)) {
           return absl::InvalidArgumentError("must be at least 1ms");
         }
         c->storage.sync_interval_ms = absl::ToInt64Milliseconds(d);
         return absl::OkStatus();
       }},
      {"storage.max_disk_bytes", "max-disk-bytes", Kind::kSize, "0",
       "disk budget of every file the engine owns; oldest partitions go first; 0 = none",
       [](std::string_view t, ServerConfig* c) { return Size(t, &c->storage.max_disk_bytes); }},
      {"storage.min_free_bytes", "min-free-bytes", Kind::kSize, "64MiB",
       "free space the file system keeps; writes are refused (507) below it",
       [](std::string_view t, ServerConfig* c) { return Size(t, &c->storage.min_free_bytes); }},
      {"storage.max_head_bytes", "max-head-bytes", Kind::kSize, "32MiB",
       "memory of recent data; flushed to blocks at half of it",
       [](std::string_view t, ServerConfig* c) { return Size(t, &c->storage.max_head_bytes); }},
      {"storage.wal_segment_bytes", "wal-segment-bytes", Kind::kSize, "8MiB",
       "write-ahead log segment size",
       [](std::string_view t, ServerConfig* c) {
         return Size(t, &c->storage.wal_segment_bytes, 4096);
       }},
      {"storage.default_retention", "retention", Kind::kDuration, "0",
       "data older than this is refused and deleted (databases without their own); 0 = keep",
       [](std::string_view t, ServerConfig* c) {
         return NonNegativeNanos(t, &c->storage.default_retention_ns);
       }},
      {"storage.partition_duration", "partition-duration", Kind::kDuration, "2h",
       "time covered by each block",
       [](std::string_view t, ServerConfig* c) {
         return PositiveNanos(t, &c->storage.partition_duration_ns);
       }},
      {"storage.compaction_levels", "compaction-levels", Kind::kDurationList, "24h,168h",
       "windows compaction merges blocks into, ascending, each a multiple of the one before",
       [](std::string_view t, ServerConfig* c) {
         std::vector<int64_t> levels;
         for (absl::string_view item : absl::StrSplit(AbslView(t), ',', absl::SkipWhitespace())) {
           int64_t ns = 0;
           if (absl::Status s = PositiveNanos(StdView(absl::StripAsciiWhitespace(item)), &ns);
               !s.ok()) {
             return s;
           }
           levels.push_back(ns);
         }
         c->storage.compaction_levels_ns = std::move(levels);
         return absl::OkStatus();
       }},
      {"storage.max_chunk_values", "max-chunk-values", Kind::kInteger, "1024",
       "values per compressed chunk",
       [](std::string_view t, ServerConfig* c) {
         return Integer(t, &c->storage.max_chunk_values, 1, 1 << 20);
       }},
      // [query]
      {"query.timeout", "query-timeout", Kind::kDuration, "60s", "longest a query may run",
       [](std::string_view t, ServerConfig* c) { return PositiveDuration(t, &c->query.timeout); }},
      {"query.max_series", "query-max-series", Kind::kInteger, "100000",
       "result series per statement",
       [](std::string_view t, ServerConfig* c) {
         return Integer(t, &c->query.max_series, 1, std::numeric_limits<int64_t>::max());
       }},
      {"query.max_rows", "query-max-rows", Kind::kInteger, "10000000", "result rows per statement",
       [](std::string_view t, ServerConfig* c) {
         return Integer(t, &c->query.max_rows, 1, std::numeric_limits<int64_t>::max());
       }},
      {"query.max_buckets", "query-max-buckets", Kind::kInteger, "1000000",
       "GROUP BY time() windows per series",
       [](std::string_view t, ServerConfig* c) {
         return Integer(t, &c->query.max_buckets, 1, std::numeric_limits<int64_t>::max());
       }},
  };
  return *settings;
}

const Setting* FindByKey(std::string_view key) {
  for (const Setting& setting : Settings()) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

const Setting* FindByFlag(std::string_view flag) {
  for (const Setting& setting : Settings()) {
    if (setting.flag == flag) return &setting;
  }
  return nullptr;
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// The value of a TOML node as the setting's text form, or why it has the wrong type.
absl::StatusOr<std::string> NodeText(const toml::node& node, Kind kind) {
  auto wrong = [&node](std::string_view want) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", std::string(want), ", got ", std::string(TypeName(node))));
  };
  switch (kind) {
    case Kind::kString:
    case Kind::kDuration:
    case Kind::kChoice:
      if (const auto* s = node.as_string()) return s->get();
      return wrong(kind == Kind::kDuration ? "a string with units, e.g. \"10s\"" : "a string");
    case Kind::kInteger:
      if (const auto* i = node.as_integer()) return absl::StrCat(i->get());
      return wrong("an integer");
    case Kind::kSize:
      if (const auto* i = node.as_integer()) {
        if (i->get() < 0) return absl::InvalidArgumentError("must not be negative");
        return absl::StrCat(i->get());
      }
      if (const auto* s = node.as_string()) return s->get();
      return wrong("bytes (an integer) or a size string, e.g. \"25MiB\"");
    case Kind::kDurationList: {
      const auto* array = node.as_array();
      if (array == nullptr) return wrong("an array of durations, e.g. [\"24h\", \"168h\"]");
      std::vector<std::string> items;
      for (const toml::node& item : *array) {
        const auto* s = item.as_string();
        if (s == nullptr) return wrong("an array of duration strings");
        if (absl::StrContains(s->get(), ',')) {
          return absl::InvalidArgumentError("a duration must not contain ','");
        }
        items.push_back(s->get());
      }
      return absl::StrJoin(items, ",");
    }
  }
  return wrong("a value");
}

absl::Status WalkTable(const toml::table& table, const std::string& prefix, std::string_view source,
                       ServerConfig* config) {
  for (auto&& [key_node, node] : table) {
    const std::string key = prefix + std::string(key_node.str());
    const Setting* setting = FindByKey(key);
    if (setting == nullptr && node.is_table()) {
      // A section: [http], [storage], ... Its keys are checked one by one; an unknown section
      // shows as its unknown keys, or as itself when empty.
      const toml::table& section = *node.as_table();
      if (section.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("config ", std::string(source), ": unknown section [", key, "]"));
      }
      if (absl::Status s = WalkTable(section, key + ".", source, config); !s.ok()) return s;
      continue;
    }
    const auto line = node.source().begin.line;
    if (setting == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("config ", std::string(source), ":", line, ": unknown key '", key, "'"));
    }
    absl::StatusOr<std::string> text = NodeText(node, setting->kind);
    absl::Status applied = text.ok() ? setting->apply(*text, config) : text.status();
    if (!applied.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("config ", std::string(source), ":", line,
                                                     ": ", key, ": ", applied.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(std::string_view text) {
  text = StdView(absl::StripAsciiWhitespace(AbslView(text)));
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  auto bad = [text]() {
    return absl::InvalidArgumentError(
        absl::StrCat("not a size: '", std::string(text),
                     "' (want bytes, or a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"));
  };
  uint64_t number = 0;
  if (digits == 0) return bad();
  const auto parsed = std::from_chars(text.data(), text.data() + digits, number);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + digits) {
    return absl::InvalidArgumentError(absl::StrCat("size '", std::string(text), "' is too large"));
  }
  const std::string unit =
      absl::AsciiStrToLower(absl::StripLeadingAsciiWhitespace(AbslView(text.substr(digits))));
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "b") {
    multiplier = 1;
  } else if (unit == "kib" || unit == "k") {
    multiplier = uint64_t{1} << 10;
  } else if (unit == "mib" || unit == "m") {
    multiplier = uint64_t{1} << 20;
  } else if (unit == "gib" || unit == "g") {
    multiplier = uint64_t{1} << 30;
  } else if (unit == "tib" || unit == "t") {
    multiplier = uint64_t{1} << 40;
  } else if (unit == "kb") {
    multiplier = 1'000;
  } else if (unit == "mb") {
    multiplier = 1'000'000;
  } else if (unit == "gb") {
    multiplier = 1'000'000'000;
  } else if (unit == "tb") {
    multiplier = 1'000'000'000'000;
  } else {
    return bad();
  }
  if (number > std::numeric_limits<uint64_t>::max() / multiplier) {
    return absl::InvalidArgumentError(absl::StrCat("size '", std::string(text), "' is too large"));
  }
  return number * multiplier;
}

absl::StatusOr<absl::Duration> ParseDurationText(std::string_view text) {
  const std::string original(text);
  text = StdView(absl::StripAsciiWhitespace(AbslView(text)));
  auto bad = [&original]() {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a duration: '", original,
        "' (want a number and unit, e.g. 500ms, 10s, 1h30m, 30d; units ns, us, ms, s, m, h, d, "
        "w)"));
  };
  if (text == "0") return absl::ZeroDuration();
  if (text.empty()) return bad();
  absl::Duration total = absl::ZeroDuration();
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() &&
           (absl::ascii_isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) {
      ++n;
    }
    double number = 0;
    if (n == 0 || !absl::SimpleAtod(AbslView(text.substr(0, n)), &number)) return bad();
    text.remove_prefix(n);
    size_t u = 0;
    while (u < text.size() && !absl::ascii_isdigit(static_cast<unsigned char>(text[u])) &&
           text[u] != '.') {
      ++u;
    }
    const std::string_view unit = text.substr(0, u);
    text.remove_prefix(u);
    absl::Duration per;
    if (unit == "ns") {
      per = absl::Nanoseconds(1);
    } else if (unit == "us" || unit == "\xC2\xB5s") {
      per = absl::Microseconds(1);
    } else if (unit == "ms") {
      per = absl::Milliseconds(1);
    } else if (unit == "s") {
      per = absl::Seconds(1);
    } else if (unit == "m") {
      per = absl::Minutes(1);
    } else if (unit == "h") {
      per = absl::Hours(1);
    } else if (unit == "d") {
      per = absl::Hours(24);
    } else if (unit == "w") {
      per = absl::Hours(24 * 7);
    } else {
      return bad();
    }
    total += number * per;
  }
  if (total > absl::Hours(24 * 365 * 200)) {
    return absl::InvalidArgumentError(absl::StrCat("duration '", original, "' is too long"));
  }
  return total;
}

const std::vector<std::string_view>& ServeFlagNames() {
  static const auto* const names = [] {
    auto* list = new std::vector<std::string_view>{"config"};
    for (const Setting& setting : Settings()) list->push_back(setting.flag);
    return list;
  }();
  return *names;
}

std::string DescribeSettings() {
  std::string out;
  for (const Setting& setting : Settings()) {
    absl::StrAppend(&out, "  --", std::string(setting.flag), " (", std::string(setting.key),
                    " in the file; default ",
                    setting.default_text.empty() ? "none" : std::string(setting.default_text),
                    ")\n      ", std::string(setting.help), "\n");
  }
  return out;
}

absl::Status ApplyConfigToml(std::string_view toml, std::string_view source, ServerConfig* config) {
  toml::table table;
  try {
    table = toml::parse(toml, source);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", std::string(source), ":", error.source().begin.line, ":",
                     error.source().begin.column, ": ", std::string(error.description())));
  }
  return WalkTable(table, "", source, config);
}

absl::Status ApplyFlag(std::string_view flag, std::string_view value, ServerConfig* config) {
  const Setting* setting = FindByFlag(flag);
  if (setting == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag --", std::string(flag)));
  }
  if (absl::Status s = setting->apply(value, config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(flag), ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status ValidateConfig(const ServerConfig& config) {
  if (config.auth.username.empty() != config.auth.password.empty()) {
    return absl::InvalidArgumentError(
        "auth.username and auth.password (--auth-username, --auth-password) go together");
  }
  if (config.http.tls_cert.empty() != config.http.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "http.tls_cert and http.tls_key (--tls-cert, --tls-key) go together");
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> LoadServerConfig(const cli::CommandArgs& args) {
  ServerConfig config;
  if (const std::string path = args.Get("config"); !path.empty()) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read config file ", path, ": ", std::strerror(errno)));
    }
    std::stringstream contents;
    contents << file.rdbuf();
    if (absl::Status s = ApplyConfigToml(contents.str(), path, &config); !s.ok()) return s;
  }
  for (const auto& [flag, value] : args.flags) {
    if (flag == "config") continue;
    if (absl::Status s = ApplyFlag(flag, value, &config); !s.ok()) return s;
  }
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  return config;
}

}  // namespace edgetsdb::server
