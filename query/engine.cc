#include "query/engine.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "query/condition.h"
#include "query/influxql/parser.h"
#include "query/select.h"
#include "re2/re2.h"

namespace edgetsdb::query {
namespace {

namespace ql = influxql;
using Tags = std::vector<std::pair<std::string, std::string>>;

// Go's time.Duration.String() for whole seconds and more ("0s", "1h30m0s", "168h0m0s").
std::string FormatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  int64_t seconds = ns / 1'000'000'000;
  int64_t fraction = ns % 1'000'000'000;
  std::string out;
  if (seconds >= 3600) absl::StrAppend(&out, seconds / 3600, "h");
  if (seconds >= 60) absl::StrAppend(&out, (seconds / 60) % 60, "m");
  absl::StrAppend(&out, seconds % 60);
  if (fraction != 0) {
    std::string digits = absl::StrCat(fraction + 1'000'000'000).substr(1);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    absl::StrAppend(&out, ".", digits);
  }
  out += "s";
  return out;
}

// "m,k=v,k2=v2" as SeriesKeys prints it (InfluxDB's escaping of ',', '=' and ' ') into tags.
Tags ParseSeriesKeyTags(std::string_view key) {
  Tags tags;
  std::string token;
  std::vector<std::string> parts;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '\\' && i + 1 < key.size()) {
      token.push_back(key[++i]);
      continue;
    }
    if (key[i] == ',') {
      parts.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (key[i] == '=' && !parts.empty()) {
      parts.push_back(std::move(token));  // A key; its value follows.
      token.clear();
      parts.back().push_back('\0');
      continue;
    }
    token.push_back(key[i]);
  }
  parts.push_back(std::move(token));
  // parts[0] is the measurement; then key\0, value pairs.
  for (size_t i = 1; i + 1 < parts.size(); i += 2) {
    std::string k = parts[i];
    if (!k.empty() && k.back() == '\0') k.pop_back();
    tags.emplace_back(std::move(k), parts[i + 1]);
  }
  return tags;
}

class StatementRunner {
 public:
  StatementRunner(Db& db, const QueryRequest& request, const QueryLimits& limits,
                  absl::Time deadline)
      : db_(db), request_(request), limits_(limits), deadline_(deadline) {}

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::SelectStatement& s) {
    return ExecuteSelect(db_, s, request_, limits_, deadline_);
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowDatabases&) {
    ResultSeries series;
    series.name = "databases";
    series.columns = {"name"};
    for (std::string& name : db_.Databases()) series.values.push_back({std::move(name)});
    return Single(std::move(series));
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowMeasurements& s) {
    auto database = Database(s.database);
    // InfluxDB lists no measurements of a missing database rather than failing.
    if (absl::IsNotFound(database.status())) return std::vector<ResultSeries>{};
    if (!database.ok()) return database.status();
    auto matchers = TagOnlyMatchers(s.condition.get(), "SHOW MEASUREMENTS");
    if (!matchers.ok()) return matchers.status();
    auto names = db_.Measurements(*database);
    if (!names.ok()) return names.status();
    std::unique_ptr<RE2> re;
    if (s.measurement.has_value() && s.measurement->is_regex) {
      re = std::make_unique<RE2>(s.measurement->regex, RE2::Quiet);
      if (!re->ok())
        return absl::InvalidArgumentError("invalid regular expression: " + re->error());
    }
    ResultSeries series;
    series.name = "measurements";
    series.columns = {"name"};
    for (const std::string& name : *names) {
      if (re != nullptr && !RE2::PartialMatch(name, *re)) continue;
      if (s.measurement.has_value() && !s.measurement->is_regex && name != s.measurement->name) {
        continue;
      }
      if (!matchers->empty()) {
        auto keys = db_.SeriesKeys(*database, name, *matchers);
        if (!keys.ok()) return keys.status();
        if (keys->empty()) continue;
      }
      series.values.push_back({name});
    }
    Page(&series.values, s.limit, s.offset);
    return Single(std::move(series));
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowTagKeys& s) {
    auto database = Database(s.database);
    if (!database.ok()) return database.status();
    auto measurements = Measurements(*database, s.sources);
    if (!measurements.ok()) return measurements.status();
    auto matchers = TagOnlyMatchers(s.condition.get(), "SHOW TAG KEYS");
    if (!matchers.ok()) return matchers.status();
    std::vector<ResultSeries> out;
    for (const std::string& m : *measurements) {
      std::set<std::string> keys;
      if (matchers->empty()) {
        auto all = db_.TagKeys(*database, m);
        if (!all.ok()) return all.status();
        keys.insert(all->begin(), all->end());
      } else {
        auto series_keys = db_.SeriesKeys(*database, m, *matchers);
        if (!series_keys.ok()) return series_keys.status();
        for (const std::string& key : *series_keys) {
          for (auto& [k, v] : ParseSeriesKeyTags(key)) keys.insert(k);
        }
      }
      ResultSeries series;
      series.name = m;
      series.columns = {"tagKey"};
      for (const std::string& key : keys) series.values.push_back({key});
      Page(&series.values, s.limit, s.offset);
      if (!series.values.empty()) out.push_back(std::move(series));
    }
    Page(&out, s.slimit, s.soffset);
    return out;
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowTagValues& s) {
    auto database = Database(s.database);
    if (!database.ok()) return database.status();
    auto measurements = Measurements(*database, s.sources);
    if (!measurements.ok()) return measurements.status();
    auto matchers = TagOnlyMatchers(s.condition.get(), "SHOW TAG VALUES");
    if (!matchers.ok()) return matchers.status();
    std::unique_ptr<RE2> key_re;
    if (s.key_op == ql::ShowTagValues::KeyOp::kRegexMatch ||
        s.key_op == ql::ShowTagValues::KeyOp::kRegexNoMatch) {
      key_re = std::make_unique<RE2>(s.key_regex, RE2::Quiet);
      if (!key_re->ok()) {
        return absl::InvalidArgumentError("invalid regular expression: " + key_re->error());
      }
    }
    auto key_selected = [&](const std::string& key) {
      switch (s.key_op) {
        case ql::ShowTagValues::KeyOp::kEq:
          return !s.keys.empty() && key == s.keys[0];
        case ql::ShowTagValues::KeyOp::kNeq:
          return s.keys.empty() || key != s.keys[0];
        case ql::ShowTagValues::KeyOp::kIn:
          return std::find(s.keys.begin(), s.keys.end(), key) != s.keys.end();
        case ql::ShowTagValues::KeyOp::kRegexMatch:
          return RE2::PartialMatch(key, *key_re);
        case ql::ShowTagValues::KeyOp::kRegexNoMatch:
          return !RE2::PartialMatch(key, *key_re);
      }
      return false;
    };
    std::vector<ResultSeries> out;
    for (const std::string& m : *measurements) {
      std::set<std::pair<std::string, std::string>> pairs;
      if (matchers->empty()) {
        auto keys = db_.TagKeys(*database, m);
        if (!keys.ok()) return keys.status();
        for (const std::string& key : *keys) {
          if (!key_selected(key)) continue;
          auto values = db_.TagValues(*database, m, key);
          if (!values.ok()) return values.status();
          for (const std::string& v : *values) pairs.emplace(key, v);
        }
      } else {
        auto series_keys = db_.SeriesKeys(*database, m, *matchers);
        if (!series_keys.ok()) return series_keys.status();
        for (const std::string& series_key : *series_keys) {
          for (auto& [k, v] : ParseSeriesKeyTags(series_key)) {
            if (key_selected(k)) pairs.emplace(k, v);
          }
        }
      }
      ResultSeries series;
      series.name = m;
      series.columns = {"key", "value"};
      for (const auto& [k, v] : pairs) series.values.push_back({k, v});
      Page(&series.values, s.limit, s.offset);
      if (!series.values.empty()) out.push_back(std::move(series));
    }
    return out;
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowFieldKeys& s) {
    auto database = Database(s.database);
    if (!database.ok()) return database.status();
    auto measurements = Measurements(*database, s.sources);
    if (!measurements.ok()) return measurements.status();
    std::vector<ResultSeries> out;
    for (const std::string& m : *measurements) {
      auto fields = db_.FieldKeys(*database, m);
      if (!fields.ok()) return fields.status();
      std::sort(fields->begin(), fields->end(),
                [](const FieldInfo& a, const FieldInfo& b) { return a.key < b.key; });
      ResultSeries series;
      series.name = m;
      series.columns = {"fieldKey", "fieldType"};
      for (const FieldInfo& f : *fields) {
        series.values.push_back({f.key, std::string(FieldTypeName(f.type))});
      }
      Page(&series.values, s.limit, s.offset);
      if (!series.values.empty()) out.push_back(std::move(series));
    }
    return out;
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowSeries& s) {
    auto database = Database(s.database);
    if (!database.ok()) return database.status();
    auto measurements = Measurements(*database, s.sources);
    if (!measurements.ok()) return measurements.status();
    auto matchers = TagOnlyMatchers(s.condition.get(), "SHOW SERIES");
    if (!matchers.ok()) return matchers.status();
    std::vector<std::string> keys;
    for (const std::string& m : *measurements) {
      auto series_keys = db_.SeriesKeys(*database, m, *matchers);
      if (!series_keys.ok()) return series_keys.status();
      keys.insert(keys.end(), series_keys->begin(), series_keys->end());
    }
    std::sort(keys.begin(), keys.end());
    ResultSeries series;  // InfluxDB's SHOW SERIES row has no name.
    series.columns = {"key"};
    for (std::string& key : keys) series.values.push_back({std::move(key)});
    Page(&series.values, s.limit, s.offset);
    return Single(std::move(series));
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::ShowRetentionPolicies& s) {
    auto database = Database(s.database);
    if (!database.ok()) return database.status();
    int64_t retention = 0;
    for (const DatabaseInfo& info : db_.DescribeStorage()) {
      if (info.name == *database) retention = info.retention_ns;
    }
    ResultSeries series;
    series.columns = {"name", "duration", "shardGroupDuration", "replicaN", "default"};
    series.values.push_back({std::string("autogen"), FormatGoDuration(retention),
                             FormatGoDuration(limits_.partition_duration_ns), int64_t{1}, true});
    return Single(std::move(series));
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::CreateDatabase& s) {
    if (absl::Status st = db_.CreateDatabase(s.name); !st.ok()) return st;
    if (s.duration_ns.has_value()) {
      if (absl::Status st = db_.SetRetention(s.name, *s.duration_ns); !st.ok()) return st;
    }
    return std::vector<ResultSeries>{};
  }

  absl::StatusOr<std::vector<ResultSeries>> operator()(const ql::DropDatabase& s) {
    std::vector<std::string> names = db_.Databases();
    if (std::find(names.begin(), names.end(), s.name) == names.end()) {
      return std::vector<ResultSeries>{};  // InfluxDB: dropping a missing database is no error.
    }
    if (absl::Status st = db_.DropDatabase(s.name); !st.ok()) return st;
    return std::vector<ResultSeries>{};
  }

 private:
  static std::vector<ResultSeries> Single(ResultSeries series) {
    std::vector<ResultSeries> out;
    if (!series.values.empty()) out.push_back(std::move(series));
    return out;
  }

  template <typename T>
  static void Page(std::vector<T>* rows, int64_t limit, int64_t offset) {
    if (offset > 0) {
      rows->erase(rows->begin(), rows->begin() + static_cast<ptrdiff_t>(std::min(
                                                     rows->size(), static_cast<size_t>(offset))));
    }
    if (limit > 0 && rows->size() > static_cast<size_t>(limit)) rows->resize(limit);
  }

  absl::StatusOr<std::string> Database(const std::string& on) {
    std::string name = on.empty() ? request_.database : on;
    if (name.empty()) return absl::InvalidArgumentError("database name required");
    std::vector<std::string> names = db_.Databases();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return absl::NotFoundError("database not found: " + name);
    }
    return name;
  }

  absl::StatusOr<std::vector<std::string>> Measurements(
      const std::string& database, const std::vector<ql::Measurement>& sources) {
    auto all = db_.Measurements(database);
    if (!all.ok()) return all.status();
    if (sources.empty()) return all;
    std::set<std::string> selected;
    for (const ql::Measurement& m : sources) {
      if (!m.is_regex) {
        if (std::find(all->begin(), all->end(), m.name) != all->end()) selected.insert(m.name);
        continue;
      }
      RE2 re(m.regex, RE2::Quiet);
      if (!re.ok()) return absl::InvalidArgumentError("invalid regular expression: " + re.error());
      for (const std::string& name : *all) {
        if (RE2::PartialMatch(name, re)) selected.insert(name);
      }
    }
    return std::vector<std::string>(selected.begin(), selected.end());
  }

  // SHOW statements filter series by their tags only; anything else is refused, not ignored.
  absl::StatusOr<std::vector<TagMatcher>> TagOnlyMatchers(const ql::Expr* condition,
                                                          std::string_view statement) {
    std::vector<TagMatcher> matchers;
    if (condition == nullptr) return matchers;
    auto split = SplitTimeCondition(condition, request_.now_ns);
    if (!split.ok()) return split.status();
    std::unique_ptr<ql::Expr> rest = std::move(split->rest);
    PushDownTagMatchers(
        &rest, [](const ql::Expr& var) { return var.cast != ql::DataType::kField; }, &matchers);
    if (rest != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(statement),
          " supports only tag comparisons joined by AND in WHERE, not: ", ql::ToString(*rest)));
    }
    return matchers;
  }

  Db& db_;
  const QueryRequest& request_;
  const QueryLimits& limits_;
  absl::Time deadline_;
};

}  // namespace

QueryEngine::QueryEngine(Db* db, QueryLimits limits) : db_(db), limits_(limits) {}

absl::StatusOr<std::vector<StatementResult>> QueryEngine::Execute(const QueryRequest& request) {
  auto query = ql::ParseQuery(request.text);
  if (!query.ok()) return query.status();
  const absl::Time deadline = absl::Now() + limits_.timeout;
  StatementRunner runner(*db_, request, limits_, deadline);
  std::vector<StatementResult> results;
  results.reserve(query->statements.size());
  for (size_t i = 0; i < query->statements.size(); ++i) {
    StatementResult result;
    result.statement_id = static_cast<int>(i);
    auto series = std::visit(runner, query->statements[i]);
    if (series.ok()) {
      result.series = *std::move(series);
    } else {
      result.error = std::string(series.status().message());
    }
    results.push_back(std::move(result));
    if (!results.back().error.empty()) break;  // InfluxDB runs nothing after a failed statement.
  }
  return results;
}

}  // namespace edgetsdb::query
