#include "server/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace edgetsdb::server {
namespace {

// A sample value: integers exactly, doubles in their shortest round-tripping form, and the
// exposition format's spellings of infinities and NaN.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, result.ptr);
}

class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    const std::string family(name);
    absl::StrAppend(&out_, "# HELP ", family, " ", std::string(help), "\n# TYPE ", family, " ",
                    std::string(type), "\n");
  }

  void Sample(std::string_view name, uint64_t value,
              const std::vector<std::pair<std::string, std::string>>& labels = {}) {
    AppendName(name, labels);
    absl::StrAppend(&out_, " ", value, "\n");
  }
  void SampleSigned(std::string_view name, int64_t value) {
    AppendName(name, {});
    absl::StrAppend(&out_, " ", value, "\n");
  }
  void SampleDouble(std::string_view name, double value,
                    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
    AppendName(name, labels);
    absl::StrAppend(&out_, " ", FormatValue(value), "\n");
  }

  // A family with one sample.
  void Counter(std::string_view name, std::string_view help, uint64_t value) {
    Family(name, "counter", help);
    Sample(name, value);
  }
  void Gauge(std::string_view name, std::string_view help, uint64_t value) {
    Family(name, "gauge", help);
    Sample(name, value);
  }

  std::string Take() { return std::move(out_); }

 private:
  void AppendName(std::string_view name,
                  const std::vector<std::pair<std::string, std::string>>& labels) {
    out_.append(name);
    if (labels.empty()) return;
    out_.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out_.push_back(',');
      absl::StrAppend(&out_, labels[i].first, "=\"", EscapeLabelValue(labels[i].second), "\"");
    }
    out_.push_back('}');
  }

  std::string out_;
};

void RenderLabeled(Exposition& out, std::string_view name, std::string_view help,
                   const LabeledCounter& counter) {
  out.Family(name, "counter", help);
  for (const auto& [values, count] : counter.Snapshot()) {
    std::vector<std::pair<std::string, std::string>> labels;
    for (size_t i = 0; i < values.size(); ++i) {
      labels.emplace_back(counter.label_names()[i], values[i]);
    }
    out.Sample(name, count, labels);
  }
}

void RenderHistogram(Exposition& out, std::string_view name, std::string_view help,
                     const Histogram& histogram) {
  const Histogram::Snapshot snapshot = histogram.Read();
  out.Family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < snapshot.bounds.size(); ++i) {
    out.Sample(bucket, snapshot.cumulative_counts[i], {{"le", FormatValue(snapshot.bounds[i])}});
  }
  out.Sample(bucket, snapshot.count, {{"le", "+Inf"}});
  out.SampleDouble(std::string(name) + "_sum", snapshot.sum);
  out.Sample(std::string(name) + "_count", snapshot.count);
}

}  // namespace

void LabeledCounter::Add(const std::vector<std::string>& values, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[values] += n;
}

std::vector<std::pair<std::vector<std::string>, uint64_t>> LabeledCounter::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {values_.begin(), values_.end()};
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::Observe(double value) {
  const size_t bucket =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();  // le: <=.
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(cumulative);
  }
  // Read after the buckets and raised to their total: count is never below the last bucket even
  // while observations land concurrently.
  snapshot.count = std::max(cumulative + counts_.back().load(std::memory_order_relaxed),
                            count_.load(std::memory_order_relaxed));
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RenderMetrics(const ServerMetrics& metrics, const DbStats& stats,
                          const std::vector<DatabaseInfo>& storage, std::string_view version) {
  Exposition out;
  out.Family("edgetsdb_build_info", "gauge", "The running edgetsdb's version; always 1.");
  out.Sample("edgetsdb_build_info", 1, {{"version", std::string(version)}});

  // Writes.
  out.Counter("edgetsdb_points_written_total", "Points the engine stored.", stats.points_written);
  RenderLabeled(out, "edgetsdb_points_rejected_total",
                "Points of HTTP writes not stored, by reason (parse, retention, invalid, space, "
                "error).",
                metrics.points_rejected);
  out.Counter("edgetsdb_writes_refused_for_space_total",
              "Writes the engine refused for the disk budget or the free-space reserve.",
              stats.writes_refused_for_space);
  out.Counter("edgetsdb_wal_syncs_total", "Write-ahead log fsyncs (one per group commit).",
              stats.wal_syncs);
  out.Gauge("edgetsdb_wal_bytes", "Current size of the write-ahead log.", stats.wal_bytes);
  out.Counter("edgetsdb_wal_appended_bytes_total",
              "Bytes appended to the write-ahead log since the server started.",
              stats.wal_bytes_appended);

  // Storage.
  out.Gauge("edgetsdb_head_bytes", "Memory held by the in-memory heads.", stats.head_bytes);
  out.Gauge("edgetsdb_head_series", "Series in the in-memory heads.", stats.series);
  out.Gauge("edgetsdb_blocks", "Block files on disk.", stats.blocks);
  out.Gauge("edgetsdb_block_bytes", "Bytes of block files on disk, every database.",
            stats.block_bytes);
  out.Family("edgetsdb_database_disk_bytes", "gauge", "Bytes of block files per database.");
  for (const DatabaseInfo& database : storage) {
    uint64_t bytes = 0;
    for (const PartitionInfo& partition : database.partitions) bytes += partition.bytes;
    out.Sample("edgetsdb_database_disk_bytes", bytes, {{"database", database.name}});
  }
  out.Family("edgetsdb_database_head_points", "gauge",
             "Points per database not yet flushed to blocks (held by the write-ahead log).");
  for (const DatabaseInfo& database : storage) {
    out.Sample("edgetsdb_database_head_points", database.head_points,
               {{"database", database.name}});
  }
  out.Counter("edgetsdb_flushes_total", "Flushes of the heads to blocks.", stats.flushes);
  out.Counter("edgetsdb_compactions_total", "Block compactions.", stats.compactions);
  out.Family("edgetsdb_blocks_deleted_total", "counter",
             "Blocks deleted, by reason (retention, budget).");
  out.Sample("edgetsdb_blocks_deleted_total", stats.blocks_deleted_by_retention,
             {{"reason", "retention"}});
  out.Sample("edgetsdb_blocks_deleted_total", stats.blocks_deleted_by_budget,
             {{"reason", "budget"}});
  out.Gauge("edgetsdb_damaged_files", "Damaged files found when the data directory was opened.",
            stats.damaged_files);
  out.Gauge("edgetsdb_torn_tail_bytes_truncated",
            "Bytes of a torn write-ahead log tail truncated when the data directory was opened.",
            stats.torn_tail_bytes_truncated);

  // Queries.
  RenderHistogram(out, "edgetsdb_query_duration_seconds",
                  "Time to execute and format /query requests.", metrics.query_duration_seconds);
  out.Counter("edgetsdb_window_chunks_from_summaries_total",
              "Block chunks that window aggregates answered from their summaries alone.",
              stats.chunks_from_summaries);
  out.Counter("edgetsdb_window_chunks_decoded_total", "Block chunks decoded for window aggregates.",
              stats.chunks_decoded_for_windows);

  // HTTP.
  RenderLabeled(out, "edgetsdb_http_requests_total",
                "HTTP requests answered, by endpoint and status code.", metrics.http_requests);
  out.Family("edgetsdb_http_open_connections", "gauge", "Open HTTP connections.");
  out.SampleSigned("edgetsdb_http_open_connections", metrics.open_connections.value());
  out.Family("edgetsdb_http_requests_in_flight", "gauge",
             "Requests admitted under the concurrency limit and not yet answered.");
  out.SampleSigned("edgetsdb_http_requests_in_flight", metrics.requests_in_flight.value());
  return out.Take();
}

}  // namespace edgetsdb::server
