// `edgetsdb serve`: the InfluxDB 1.x compatible HTTP server over a data directory.
//
// Startup: the configuration (defaults, --config FILE, flags; server/config.h) is loaded and
// checked, the data directory opened (replaying its log), then the listener bound; the bound
// address is logged as msg="listening" http_addr=HOST:PORT. Shutdown on SIGTERM or SIGINT: the
// listener closes, requests in flight finish, then the engine flushes its head to blocks and the
// data directory is closed.
//
// Exit status: 0 after a clean shutdown; 1 when the address cannot be bound, the server failed,
// or the final flush failed (nothing acknowledged is lost: the log holds it); 2 for a bad
// configuration or a data directory that cannot be opened.
#include <malloc.h>

#include <exception>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "edgetsdb/db.h"
#include "query/engine.h"
#include "server/auth.h"
#include "server/cli.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/http_handlers.h"
#include "server/http_server.h"
#include "server/logging.h"
#include "server/metrics.h"

#ifndef EDGETSDB_VERSION
#define EDGETSDB_VERSION "unknown"
#endif

namespace edgetsdb::cli {
namespace {

std::string_view DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kSync:
      return "sync";
    case Durability::kInterval:
      return "interval";
    case Durability::kNone:
      return "none";
  }
  return "sync";
}

int Serve(const server::ServerConfig& config, std::ostream& err) {
  server::Logger logger(err, config.log_level);
  logger.Info("starting", {{"version", EDGETSDB_VERSION},
                           {"data_dir", config.data_dir},
                           {"durability", DurabilityName(config.storage.durability)},
                           {"auth", config.auth.enabled()}});
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(config.storage, config.data_dir);
  if (!db.ok()) {
    logger.Error("cannot open the data directory",
                 {{"data_dir", config.data_dir}, {"error", db.status().message()}});
    return kExitUsage;
  }
  const DbStats opened = (*db)->GetStats();
  if (opened.damaged_files > 0) {
    logger.Warn("damage found at open", {{"damaged_files", opened.damaged_files}});
    for (const std::string& damage : opened.damage) logger.Warn("damage", {{"detail", damage}});
  }

  query::QueryEngine engine(db->get(), config.query);
  const server::Authenticator authenticator(config.auth);
  server::ServerMetrics metrics;
  server::HandlerOptions handler_options;
  handler_options.max_body_bytes = config.http.max_body_bytes;
  handler_options.max_concurrent_requests = config.http.max_concurrent_requests;
  server::HttpHandlers handlers(db->get(), &engine, &authenticator, &metrics, &logger,
                                handler_options);
  int exit_code = kExitOk;
  {
    server::HttpServer http(config.http, &handlers, &metrics, &logger);
    if (absl::Status s = http.Start(); !s.ok()) {
      logger.Error("cannot start the HTTP server", {{"error", s.message()}});
      return absl::IsInvalidArgument(s) ? kExitUsage : kExitFailed;
    }
    http.StopOnSignals();
    http.Run();
  }
  // Every request has been answered: flush, so that the next start has no log to replay.
  if (absl::Status s = (*db)->Flush(); !s.ok()) {
    logger.Error("flush at shutdown failed", {{"error", s.message()}});
    exit_code = kExitFailed;
  } else {
    logger.Info("flushed");
  }
  db->reset();
  logger.Info("stopped", {{"exit_code", exit_code}});
  return exit_code;
}

}  // namespace

// glibc keeps what a thread frees in that thread's arena and, after a large buffer is freed, raises
// its mmap threshold so that the next large buffers come from the heap too. A server whose worker
// threads answered a few big queries would then hold hundreds of MB it no longer uses (measured:
// 331 MB resident after the IoT benchmark's queries, 68 MB after malloc_trim). Fixed thresholds
// send buffers of 4 MiB and more straight back to the system and return a heap's free top past
// 4 MiB, and two arenas bound what the threads can keep (after the same queries: 74 MB).
void BoundMallocRetention() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 4 << 20);
  mallopt(M_ARENA_MAX, 2);
}

int RunServe(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  BoundMallocRetention();
  absl::StatusOr<server::ServerConfig> config = server::LoadServerConfig(args);
  if (!config.ok()) {
    err << "edgetsdb serve: " << config.status().message() << "\n";
    return kExitUsage;
  }
  try {
    return Serve(*config, err);
  } catch (const std::exception& e) {
    // Asio reports some failures (a thread that cannot start) only as exceptions.
    err << "edgetsdb serve: " << e.what() << "\n";
    return kExitFailed;
  }
}

const std::string& ServeHelp() {
  static const auto* const help = new std::string(absl::StrCat(
      "Serves the InfluxDB 1.x HTTP API (/write, /api/v2/write, /query, /ping, /health,\n"
      "/metrics, /admin/compact) over the data directory; docs/http_api.md describes it.\n"
      "Settings come from the defaults, then the TOML file --config FILE, then the flags\n"
      "(docs/configuration.md). The bound address is logged at startup:\n"
      "  msg=\"listening\" http_addr=127.0.0.1:8086\n"
      "SIGTERM or SIGINT stops it: requests in flight finish, the head is flushed.\n"
      "\n"
      "  --config FILE    a TOML configuration file\n",
      server::DescribeSettings(),
      "\n"
      "Exit status: 0 stopped cleanly; 1 the address could not be bound, or the server or\n"
      "its final flush failed; 2 bad configuration or the data directory could not be\n"
      "opened.\n"));
  return *help;
}

}  // namespace edgetsdb::cli
