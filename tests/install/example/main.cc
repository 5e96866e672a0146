// Writes a few readings into a database and reads them back through the embedded API, as a program
// built against the installed package (CMakeLists.txt beside this file) does.
//
//   edgetsdb_example DATA_DIR    exits 0 when the readings come back as written.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edgetsdb/db.h"

namespace {

int Fail(std::string_view what, const absl::Status& status = absl::OkStatus()) {
  std::cerr << "edgetsdb_example: " << what;
  if (!status.ok()) std::cerr << ": " << status;
  std::cerr << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " DATA_DIR\n";
    return 2;
  }
  // The default Options create the directory when missing, and Write returns once fsynced.
  absl::StatusOr<std::unique_ptr<edgetsdb::Db>> db =
      edgetsdb::Db::Open(edgetsdb::Options(), argv[1]);
  if (!db.ok()) return Fail("open", db.status());

  // One temperature sensor, a reading a second (timestamps are nanoseconds since the epoch).
  constexpr int64_t kSecond = 1'000'000'000;
  constexpr int64_t kStart = 1'764'000'000 * kSecond;
  const std::vector<int64_t> times = {kStart, kStart + kSecond, kStart + 2 * kSecond};
  const std::vector<double> celsius = {21.5, 21.75, 22.0};

  edgetsdb::WriteBatch batch;
  for (size_t i = 0; i < times.size(); ++i) {
    const edgetsdb::TagView tags[] = {{"site", "plant1"}, {"sensor", "t1"}};
    const edgetsdb::FieldView fields[] = {{"temperature", celsius[i]}};
    if (absl::Status s = batch.Add("env", tags, fields, times[i]); !s.ok()) return Fail("add", s);
  }
  if (absl::Status s = (*db)->Write("factory", batch); !s.ok()) return Fail("write", s);

  edgetsdb::SeriesSelector selector;
  selector.database = "factory";
  selector.measurement = "env";
  selector.matchers = {{.key = "sensor", .value = "t1"}};
  selector.fields = {"temperature"};
  absl::StatusOr<std::vector<edgetsdb::SeriesData>> series = (*db)->Query(selector);
  if (!series.ok()) return Fail("query", series.status());

  // One series (measurement, tag set and field), its points in time order.
  if (series->size() != 1) return Fail("query: expected one series");
  const edgetsdb::SeriesData& temperature = series->front();
  const auto* values = std::get_if<std::vector<double>>(&temperature.values);
  if (temperature.timestamps != times || values == nullptr || *values != celsius) {
    return Fail("query: the readings differ from those written");
  }
  std::cout << "read back " << values->size() << " readings of " << temperature.field << "\n";
  return 0;
}
