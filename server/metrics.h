// The server's metrics, exposed at GET /metrics in the Prometheus text exposition format 0.0.4:
//
//   # HELP edgetsdb_points_written_total Points the engine accepted.
//   # TYPE edgetsdb_points_written_total counter
//   edgetsdb_points_written_total 1234
//
// The engine counts what it does itself (Db::GetStats, Db::DescribeStorage) and the server only
// reads those at scrape time; the server counts what only it sees: requests by endpoint and
// status, points rejected by reason, query latency, connections and requests in flight.
//
// Threads: every counter, gauge and histogram may be updated from any thread at once; a scrape
// may run concurrently with updates (each value is read atomically, the set of values is not a
// snapshot).
#ifndef EDGETSDB_SERVER_METRICS_H_
#define EDGETSDB_SERVER_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetsdb/db.h"

namespace edgetsdb::server {

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Counters told apart by label values (a fixed list of label names). Label sets appear in the
// exposition once first incremented, in sorted order. A mutex per increment: these count
// requests, not points.
class LabeledCounter {
 public:
  explicit LabeledCounter(std::vector<std::string> label_names)
      : label_names_(std::move(label_names)) {}
  // values: one per label name.
  void Add(const std::vector<std::string>& values, uint64_t n = 1);
  const std::vector<std::string>& label_names() const { return label_names_; }
  std::vector<std::pair<std::vector<std::string>, uint64_t>> Snapshot() const;

 private:
  const std::vector<std::string> label_names_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, uint64_t> values_;
};

// Cumulative buckets as Prometheus histograms expose them; bounds are upper bounds, ascending.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative_counts;  // One per bound; +Inf is count.
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  const std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // Per bucket (not cumulative), plus +Inf last.
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Why points of a write were not stored: the values of edgetsdb_points_rejected_total's reason.
inline constexpr char kRejectParse[] = "parse";          // Line protocol that does not parse.
inline constexpr char kRejectRetention[] = "retention";  // Older than the retention.
inline constexpr char kRejectInvalid[] = "invalid";      // Refused by the engine: a field type
                                                         // conflict, mostly.
inline constexpr char kRejectSpace[] = "space";          // Disk budget or free-space reserve.
inline constexpr char kRejectError[] = "error";          // Any other engine error.

struct ServerMetrics {
  LabeledCounter http_requests{{"endpoint", "code"}};
  LabeledCounter points_rejected{{"reason"}};
  // Seconds per /query request, from the start of execution to the formatted result.
  Histogram query_duration_seconds{
      {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
  Gauge open_connections;
  Gauge requests_in_flight;  // Admitted by the concurrency limit and not yet answered.
};

// The whole exposition: the server's metrics and the engine's (stats and per-database storage).
std::string RenderMetrics(const ServerMetrics& metrics, const DbStats& stats,
                          const std::vector<DatabaseInfo>& storage, std::string_view version);

// A label value escaped for the exposition format: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace edgetsdb::server

#endif  // EDGETSDB_SERVER_METRICS_H_
