// The endpoints without sockets: requests built in memory, served by HttpHandlers over a real Db
// in a temporary directory and the real query engine.
#include "server/http_handlers.h"

#include <stdlib.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "edgetsdb/db.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/engine.h"
#include "server/auth.h"
#include "server/logging.h"
#include "server/metrics.h"

namespace edgetsdb::server {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kSecond = 1'000'000'000;

std::string Gzip(std::string_view data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

Request MakeRequest(http::verb verb, std::string_view target, std::string body = "") {
  Request request(verb, BeastView(target), 11);
  request.body() = std::move(body);
  if (!request.body().empty() || verb == http::verb::post) request.prepare_payload();
  return request;
}

std::string Header(const Response& response, std::string_view name) {
  return std::string(StdView(response[BeastView(name)]));
}

class HttpHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "http_handlers_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Open(Options(), AuthConfig(), HandlerOptions());
  }
  void TearDown() override {
    handlers_.reset();
    engine_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  void Open(const Options& options, const AuthConfig& auth, const HandlerOptions& handler_options) {
    handlers_.reset();
    engine_.reset();
    db_.reset();
    auto db = Db::Open(options, (dir_ / "data").string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    engine_ = std::make_unique<query::QueryEngine>(db_.get(), query::QueryLimits());
    auth_ = std::make_unique<Authenticator>(auth);
    metrics_ = std::make_unique<ServerMetrics>();
    handlers_ = std::make_unique<HttpHandlers>(db_.get(), engine_.get(), auth_.get(),
                                               metrics_.get(), &logger_, handler_options);
  }

  // Serves a request as the server does: screened on its header, then handled.
  Response Serve(Request request) {
    const std::string_view target = StdView(request.target());
    const Endpoint endpoint = RouteOf(target.substr(0, target.find('?')));
    InFlightSlot slot;
    if (std::optional<Response> refusal = handlers_->Screen(request, endpoint, &slot)) {
      return std::move(*refusal);
    }
    return handlers_->Handle(endpoint, request);
  }

  Response Post(std::string_view target, std::string body) {
    return Serve(MakeRequest(http::verb::post, target, std::move(body)));
  }
  Response Get(std::string_view target) { return Serve(MakeRequest(http::verb::get, target)); }

  std::vector<int64_t> Timestamps(const std::string& database, const std::string& measurement,
                                  const std::string& field) {
    SeriesSelector selector;
    selector.database = database;
    selector.measurement = measurement;
    selector.fields = {field};
    auto series = db_->Query(selector);
    std::vector<int64_t> timestamps;
    if (!series.ok()) return timestamps;
    for (const SeriesData& s : *series) {
      timestamps.insert(timestamps.end(), s.timestamps.begin(), s.timestamps.end());
    }
    std::sort(timestamps.begin(), timestamps.end());
    return timestamps;
  }

  uint64_t Rejected(const std::string& reason) {
    for (const auto& [labels, count] : metrics_->points_rejected.Snapshot()) {
      if (labels[0] == reason) return count;
    }
    return 0;
  }

  fs::path dir_;
  std::ostringstream log_;
  Logger logger_{log_, LogLevel::kDebug};
  std::unique_ptr<Db> db_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<HttpHandlers> handlers_;
};

TEST(RoutingTest, PathsNameEndpoints) {
  EXPECT_EQ(RouteOf("/ping"), Endpoint::kPing);
  EXPECT_EQ(RouteOf("/health"), Endpoint::kHealth);
  EXPECT_EQ(RouteOf("/metrics"), Endpoint::kMetrics);
  EXPECT_EQ(RouteOf("/write"), Endpoint::kWrite);
  EXPECT_EQ(RouteOf("/api/v2/write"), Endpoint::kWriteV2);
  EXPECT_EQ(RouteOf("/query"), Endpoint::kQuery);
  EXPECT_EQ(RouteOf("/admin/compact"), Endpoint::kCompact);
  EXPECT_EQ(RouteOf("/write/"), Endpoint::kUnknown);
  EXPECT_EQ(RouteOf("/"), Endpoint::kUnknown);
  EXPECT_EQ(RouteOf(""), Endpoint::kUnknown);
  EXPECT_EQ(EndpointName(Endpoint::kWriteV2), "write_v2");
  EXPECT_EQ(EndpointName(Endpoint::kUnknown), "other");
}

TEST(RoutingTest, StatusTable) {
  EXPECT_EQ(HttpStatusFor(absl::OkStatus()), http::status::ok);
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("")), http::status::bad_request);
  EXPECT_EQ(HttpStatusFor(absl::OutOfRangeError("")), http::status::bad_request);
  EXPECT_EQ(HttpStatusFor(absl::UnauthenticatedError("")), http::status::unauthorized);
  EXPECT_EQ(HttpStatusFor(absl::PermissionDeniedError("")), http::status::forbidden);
  EXPECT_EQ(HttpStatusFor(absl::NotFoundError("")), http::status::not_found);
  EXPECT_EQ(HttpStatusFor(absl::ResourceExhaustedError("")), http::status::insufficient_storage);
  EXPECT_EQ(HttpStatusFor(absl::UnimplementedError("")), http::status::not_implemented);
  EXPECT_EQ(HttpStatusFor(absl::UnavailableError("")), http::status::service_unavailable);
  EXPECT_EQ(HttpStatusFor(absl::DeadlineExceededError("")), http::status::service_unavailable);
  EXPECT_EQ(HttpStatusFor(absl::FailedPreconditionError("")), http::status::internal_server_error);
  EXPECT_EQ(HttpStatusFor(absl::DataLossError("")), http::status::internal_server_error);
  EXPECT_EQ(HttpStatusFor(absl::InternalError("")), http::status::internal_server_error);
}

TEST(RoutingTest, QueryStrings) {
  EXPECT_EQ(UrlDecode("SELECT+*+FROM+%22cpu%22%3B"), "SELECT * FROM \"cpu\";");
  EXPECT_EQ(UrlDecode("100%"), "100%");
  EXPECT_EQ(UrlDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(UrlDecode("%c2%b5"), "\xC2\xB5");
  const Params params = ParseQueryString("db=my+db&q=SHOW%20DATABASES&&flag&=v&db=second");
  EXPECT_EQ(ParamValue(params, "db"), "my db");  // The first wins.
  EXPECT_EQ(ParamValue(params, "q"), "SHOW DATABASES");
  EXPECT_EQ(ParamValue(params, "flag"), "");
  EXPECT_EQ(ParamValue(params, ""), "v");
  EXPECT_EQ(ParamValue(params, "missing"), "");
  EXPECT_EQ(params.size(), 5u);
}

TEST(RoutingTest, FinishSetsTheCommonHeaders) {
  Response ok(http::status::ok, 11);
  ok.body() = "{}";
  HttpHandlers::Finish(ok, "id-1", true);
  EXPECT_EQ(Header(ok, "X-Request-Id"), "id-1");
  EXPECT_EQ(Header(ok, "Request-Id"), "id-1");
  EXPECT_THAT(Header(ok, "X-Influxdb-Version"), StartsWith("1.8.10-edgetsdb-"));
  EXPECT_EQ(Header(ok, "X-Influxdb-Build"), "OSS");
  EXPECT_EQ(Header(ok, "Content-Type"), "application/json");
  EXPECT_EQ(Header(ok, "Content-Length"), "2");
  EXPECT_FALSE(Header(ok, "Date").empty());
  EXPECT_TRUE(ok.keep_alive());

  Response empty(http::status::no_content, 11);
  HttpHandlers::Finish(empty, "id-2", false);
  EXPECT_EQ(empty.find(http::field::content_length), empty.end());  // RFC 7230: none on 204.
  EXPECT_FALSE(empty.keep_alive());
}

TEST(RoutingTest, RequestIdsAreUuids) {
  const std::string a = HttpHandlers::NewRequestId(), b = HttpHandlers::NewRequestId();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_EQ(a[8], '-');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
}

TEST_F(HttpHandlersTest, PingAndHealth) {
  const Response ping = Get("/ping");
  EXPECT_EQ(ping.result(), http::status::no_content);
  const Response head = Serve(MakeRequest(http::verb::head, "/ping"));
  EXPECT_EQ(head.result(), http::status::no_content);
  const Response verbose = Get("/ping?verbose=true");
  EXPECT_EQ(verbose.result(), http::status::ok);
  EXPECT_THAT(verbose.body(), HasSubstr("\"version\":\"1.8.10-edgetsdb-"));
  const Response health = Get("/health");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_EQ(Header(health, "Content-Type"), "application/json");
  EXPECT_THAT(health.body(), AllOf(StartsWith("{\"name\":\"edgetsdb\",\"message\":\"ready for "
                                              "queries and writes\",\"status\":\"pass\""),
                                   HasSubstr("\"version\":\"")));
}

TEST_F(HttpHandlersTest, UnknownPathsAndMethods) {
  const Response missing = Get("/nope");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing.body(), "{\"error\":\"not found\"}\n");
  const Response get_write = Get("/write?db=x");
  EXPECT_EQ(get_write.result(), http::status::method_not_allowed);
  EXPECT_EQ(Header(get_write, "Allow"), "POST");
  const Response put_query = Serve(MakeRequest(http::verb::put, "/query?q=x"));
  EXPECT_EQ(put_query.result(), http::status::method_not_allowed);
  EXPECT_EQ(Header(put_query, "Allow"), "GET, POST");
  EXPECT_EQ(Serve(MakeRequest(http::verb::post, "/ping")).result(),
            http::status::method_not_allowed);
}

TEST_F(HttpHandlersTest, WriteStoresPointsAndAnswers204) {
  const Response response =
      Post("/write?db=edge", "cpu,host=a usage=1.5 1000000000\ncpu,host=b usage=2 2000000000\n");
  EXPECT_EQ(response.result(), http::status::no_content) << response.body();
  EXPECT_EQ(Timestamps("edge", "cpu", "usage"), (std::vector<int64_t>{kSecond, 2 * kSecond}));
  EXPECT_THAT(db_->Databases(), ElementsAre("edge"));  // Created by the write.
}

TEST_F(HttpHandlersTest, WriteNeedsADatabase) {
  const Response v1 = Post("/write", "cpu v=1");
  EXPECT_EQ(v1.result(), http::status::bad_request);
  EXPECT_EQ(v1.body(), "{\"error\":\"database is required\"}\n");
  EXPECT_EQ(Header(v1, "X-Influxdb-Error"), "database is required");
  const Response v2 = Post("/api/v2/write?org=o", "cpu v=1");
  EXPECT_EQ(v2.result(), http::status::bad_request);
  EXPECT_EQ(v2.body(), "{\"error\":\"bucket is required\"}\n");
  EXPECT_EQ(Post("/write?db=" + std::string(65, 'x'), "cpu v=1").result(),
            http::status::bad_request);
}

TEST_F(HttpHandlersTest, V2WriteMapsTheBucketToTheDatabase) {
  EXPECT_EQ(Post("/api/v2/write?org=any&bucket=plant%2Fautogen&precision=s", "m v=1 5").result(),
            http::status::no_content);
  EXPECT_EQ(Post("/api/v2/write?bucket=plant&precision=ms", "m v=2 6000").result(),
            http::status::no_content);
  EXPECT_EQ(Timestamps("plant", "m", "v"), (std::vector<int64_t>{5 * kSecond, 6 * kSecond}));
}

TEST_F(HttpHandlersTest, WritePrecisions) {
  const struct {
    std::string precision;
    int64_t timestamp;
    int64_t expected_ns;
  } cases[] = {
      {"", 7, 7},
      {"n", 7, 7},
      {"ns", 7, 7},
      {"u", 7, 7'000},
      {"%C2%B5", 8, 8'000},  // µ
      {"ms", 7, 7'000'000},
      {"s", 7, 7 * kSecond},
      {"m", 7, 7 * 60 * kSecond},
      {"h", 7, 7 * 3600 * kSecond},
  };
  for (const auto& c : cases) {
    const std::string database = "p" + std::to_string(&c - cases);
    const Response response = Post("/write?db=" + database + "&precision=" + c.precision,
                                   "m v=1 " + std::to_string(c.timestamp));
    ASSERT_EQ(response.result(), http::status::no_content) << c.precision << response.body();
    EXPECT_EQ(Timestamps(database, "m", "v"), (std::vector<int64_t>{c.expected_ns})) << c.precision;
  }
  const Response bad = Post("/write?db=x&precision=days", "m v=1 1");
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_THAT(bad.body(), HasSubstr("unknown precision 'days'"));
}

TEST_F(HttpHandlersTest, PartialWriteNamesEachBadLineAndKeepsTheGoodOnes) {
  const Response response = Post("/write?db=edge",
                                 "cpu v=1 1000000000\n"
                                 "cpu v= 2000000000\n"
                                 "\n"
                                 "cpu,host= v=2 3000000000\n"
                                 "cpu v=4 4000000000\n");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(response.body(),
            "{\"error\":\"partial write: line 2: unable to parse 'cpu v= 2000000000': missing "
            "field value\\nline 4: unable to parse 'cpu,host= v=2 3000000000': missing tag "
            "value dropped=0\"}\n");
  EXPECT_EQ(Timestamps("edge", "cpu", "v"), (std::vector<int64_t>{kSecond, 4 * kSecond}));
  EXPECT_EQ(Rejected(kRejectParse), 2u);
}

TEST_F(HttpHandlersTest, LinesTheEngineRefusesAreFoundAndTheRestStored) {
  // Line 3's field type conflicts with line 1's: the engine refuses any batch holding both, so
  // the handler splits the body until line 3 stands alone.
  std::string body;
  for (int i = 1; i <= 20; ++i) {
    body += i == 3 || i == 17 ? "m v=\"text\" " : "m v=" + std::to_string(i) + " ";
    body += std::to_string(i * kSecond) + "\n";
  }
  const Response response = Post("/write?db=edge", body);
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_THAT(response.body(),
              AllOf(HasSubstr("partial write: line 3: field type conflict: input field \\\"v\\\" "
                              "on measurement \\\"m\\\" is type string, already exists as type "
                              "float"),
                    HasSubstr("\\nline 17: field type conflict"), HasSubstr(" dropped=2\"}")));
  std::vector<int64_t> expected;
  for (int i = 1; i <= 20; ++i) {
    if (i != 3 && i != 17) expected.push_back(i * kSecond);
  }
  EXPECT_EQ(Timestamps("edge", "m", "v"), expected);
  EXPECT_EQ(Rejected(kRejectInvalid), 2u);
}

TEST_F(HttpHandlersTest, PointsBeyondRetentionAreDroppedAndNamed) {
  Options options;
  options.default_retention_ns = 3600 * kSecond;
  Open(options, AuthConfig(), HandlerOptions());
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  const Response response =
      Post("/write?db=edge&precision=s", "m v=1 " + std::to_string(now_s) + "\nm v=2 1\n");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_THAT(response.body(), HasSubstr("partial write: line 2: points beyond retention policy "
                                         "dropped=1"));
  EXPECT_EQ(Timestamps("edge", "m", "v"), (std::vector<int64_t>{now_s * kSecond}));
  EXPECT_EQ(Rejected(kRejectRetention), 1u);
}

TEST_F(HttpHandlersTest, DiskBudgetRefusalIs507) {
  Options options;
  options.max_disk_bytes = 1;
  Open(options, AuthConfig(), HandlerOptions());
  const Response response = Post("/write?db=edge", "m v=1 1\nm v=2 2\n");
  EXPECT_EQ(response.result(), http::status::insufficient_storage);
  EXPECT_THAT(response.body(), HasSubstr("disk budget"));
  EXPECT_EQ(Rejected(kRejectSpace), 2u);
}

TEST_F(HttpHandlersTest, GzipBodies) {
  Request request = MakeRequest(http::verb::post, "/write?db=edge", Gzip("m v=1 1\nm v=2 2\n"));
  request.set(http::field::content_encoding, "gzip");
  EXPECT_EQ(Serve(std::move(request)).result(), http::status::no_content);
  EXPECT_EQ(Timestamps("edge", "m", "v"), (std::vector<int64_t>{1, 2}));

  Request corrupt = MakeRequest(http::verb::post, "/write?db=edge", "not gzip at all");
  corrupt.set(http::field::content_encoding, "gzip");
  const Response bad = Serve(std::move(corrupt));
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_THAT(bad.body(), HasSubstr("gzip"));

  Request deflate = MakeRequest(http::verb::post, "/write?db=edge", "m v=1 1");
  deflate.set(http::field::content_encoding, "br");
  EXPECT_EQ(Serve(std::move(deflate)).result(), http::status::unsupported_media_type);
}

TEST_F(HttpHandlersTest, GzipInflatingPastTheBodyLimitIs413) {
  HandlerOptions options;
  options.max_body_bytes = 1 << 20;
  Open(Options(), AuthConfig(), options);
  std::string lines;
  while (lines.size() <= options.max_body_bytes) lines += "m v=1 1\n";
  const std::string compressed = Gzip(lines);
  ASSERT_LT(compressed.size(), options.max_body_bytes);
  Request request = MakeRequest(http::verb::post, "/write?db=edge", compressed);
  request.set(http::field::content_encoding, "gzip");
  const Response response = Serve(std::move(request));
  EXPECT_EQ(response.result(), http::status::payload_too_large);
  EXPECT_TRUE(Timestamps("edge", "m", "v").empty());
}

TEST_F(HttpHandlersTest, DeclaredBodyOverTheLimitIsRefusedOnItsHeader) {
  HandlerOptions options;
  options.max_body_bytes = 100;
  Open(Options(), AuthConfig(), options);
  Request request = MakeRequest(http::verb::post, "/write?db=edge", std::string(101, 'x'));
  InFlightSlot slot;
  std::optional<Response> refusal = handlers_->Screen(request, Endpoint::kWrite, &slot);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->result(), http::status::payload_too_large);
  EXPECT_FALSE(slot.held());
}

TEST_F(HttpHandlersTest, ConcurrencyLimitRefusesWith429UntilASlotIsReleased) {
  HandlerOptions options;
  options.max_concurrent_requests = 2;
  Open(Options(), AuthConfig(), options);
  const Request write = MakeRequest(http::verb::post, "/write?db=x", "m v=1");
  InFlightSlot first, second, third;
  EXPECT_FALSE(handlers_->Screen(write, Endpoint::kWrite, &first).has_value());
  EXPECT_FALSE(handlers_->Screen(write, Endpoint::kQuery, &second).has_value());
  EXPECT_EQ(metrics_->requests_in_flight.value(), 2);
  std::optional<Response> refused = handlers_->Screen(write, Endpoint::kWrite, &third);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result(), http::status::too_many_requests);
  EXPECT_EQ(Header(*refused, "Retry-After"), "1");
  EXPECT_THAT(refused->body(), HasSubstr("too many requests"));
  EXPECT_FALSE(third.held());
  // Pings and health checks do not count.
  EXPECT_FALSE(handlers_->Screen(MakeRequest(http::verb::get, "/ping"), Endpoint::kPing, &third)
                   .has_value());
  EXPECT_FALSE(third.held());
  first.Release();
  EXPECT_EQ(metrics_->requests_in_flight.value(), 1);
  EXPECT_FALSE(handlers_->Screen(write, Endpoint::kWrite, &third).has_value());
  EXPECT_TRUE(third.held());
}

TEST_F(HttpHandlersTest, AuthGuardsEverythingButPingAndHealth) {
  AuthConfig auth;
  auth.token = "t0k";
  auth.username = "admin";
  auth.password = "pw";
  Open(Options(), auth, HandlerOptions());
  for (std::string_view target : {"/ping", "/health"}) {
    EXPECT_NE(Get(target).result(), http::status::unauthorized) << target;
  }
  const Response missing = Get("/query?q=SHOW+DATABASES");
  EXPECT_EQ(missing.result(), http::status::unauthorized);
  EXPECT_EQ(missing.body(), "{\"error\":\"unable to parse authentication credentials\"}\n");
  EXPECT_FALSE(Header(missing, "WWW-Authenticate").empty());
  EXPECT_EQ(Get("/metrics").result(), http::status::unauthorized);
  EXPECT_EQ(Post("/write?db=x", "m v=1").result(), http::status::unauthorized);
  EXPECT_EQ(Post("/admin/compact", "").result(), http::status::unauthorized);

  const Response wrong = Get("/query?q=SHOW+DATABASES&u=admin&p=nope");
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  EXPECT_EQ(wrong.body(), "{\"error\":\"authorization failed\"}\n");

  EXPECT_EQ(Get("/query?q=SHOW+DATABASES&u=admin&p=pw").result(), http::status::ok);
  Request token = MakeRequest(http::verb::post, "/write?db=x", "m v=1");
  token.set(http::field::authorization, "Token t0k");
  EXPECT_EQ(Serve(std::move(token)).result(), http::status::no_content);
  Request bearer = MakeRequest(http::verb::get, "/metrics");
  bearer.set(http::field::authorization, "Bearer t0k");
  EXPECT_EQ(Serve(std::move(bearer)).result(), http::status::ok);
  Request basic = MakeRequest(http::verb::get, "/query?q=SHOW+DATABASES");
  basic.set(http::field::authorization, "Basic " + absl::Base64Escape("admin:pw"));
  EXPECT_EQ(Serve(std::move(basic)).result(), http::status::ok);
}

TEST_F(HttpHandlersTest, QueryErrors) {
  const Response missing = Get("/query?db=x");
  EXPECT_EQ(missing.result(), http::status::bad_request);
  EXPECT_EQ(missing.body(), "{\"error\":\"missing required parameter \\\"q\\\"\"}\n");
  const Response bad_epoch = Get("/query?q=SHOW+DATABASES&epoch=days");
  EXPECT_EQ(bad_epoch.result(), http::status::bad_request);
  EXPECT_THAT(bad_epoch.body(), HasSubstr("epoch"));
  const Response parse = Get("/query?q=SELEC");
  ASSERT_NE(parse.result(), http::status::not_implemented) << "the query engine is a stub";
  EXPECT_EQ(parse.result(), http::status::bad_request);
  EXPECT_THAT(parse.body(), StartsWith("{\"error\":\"error parsing query: "));
}

TEST_F(HttpHandlersTest, QueryFromAFormBodyThenJsonCsvAndChunks) {
  Request create = MakeRequest(http::verb::post, "/query", "q=CREATE+DATABASE+%22plant%22");
  create.set(http::field::content_type, "application/x-www-form-urlencoded; charset=UTF-8");
  const Response created = Serve(std::move(create));
  ASSERT_NE(created.result(), http::status::not_implemented) << "the query engine is a stub";
  EXPECT_EQ(created.result(), http::status::ok) << created.body();
  EXPECT_EQ(created.body(), "{\"results\":[{\"statement_id\":0}]}\n");

  ASSERT_EQ(Post("/write?db=plant", "m,site=a v=1 1000000000\nm,site=a v=2 2000000000\n").result(),
            http::status::no_content);

  const Response json = Get("/query?db=plant&q=SELECT+v+FROM+m&epoch=s");
  EXPECT_EQ(json.result(), http::status::ok);
  EXPECT_EQ(Header(json, "Content-Type"), "application/json");
  EXPECT_EQ(json.body(),
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":"
            "[\"time\",\"v\"],\"values\":[[1,1],[2,2]]}]}]}\n");

  Request csv_request = MakeRequest(http::verb::get, "/query?db=plant&q=SELECT+v+FROM+m");
  csv_request.set(http::field::accept, "application/csv");
  const Response csv = Serve(std::move(csv_request));
  EXPECT_EQ(csv.result(), http::status::ok);
  EXPECT_EQ(Header(csv, "Content-Type"), "text/csv");
  EXPECT_THAT(csv.body(), StartsWith("name,tags,time,v\n"));

  const Response chunks = Get("/query?db=plant&q=SELECT+v+FROM+m&chunked=true&chunk_size=1");
  EXPECT_EQ(chunks.result(), http::status::ok);
  EXPECT_TRUE(chunks.chunked());
  EXPECT_EQ(std::count(chunks.body().begin(), chunks.body().end(), '\n'), 2);
  EXPECT_THAT(chunks.body(), HasSubstr("\"partial\":true"));
}

TEST_F(HttpHandlersTest, CompactAndMetrics) {
  ASSERT_EQ(Post("/write?db=edge", "m v=1 1\n").result(), http::status::no_content);
  EXPECT_EQ(Post("/admin/compact", "").result(), http::status::no_content);
  EXPECT_EQ(db_->GetStats().flushes, 1u);
  const Response metrics = Get("/metrics");
  EXPECT_EQ(metrics.result(), http::status::ok);
  EXPECT_EQ(Header(metrics, "Content-Type"), kMetricsContentType);
  EXPECT_THAT(metrics.body(), AllOf(HasSubstr("\nedgetsdb_points_written_total 1\n"),
                                    HasSubstr("\nedgetsdb_flushes_total 1\n"),
                                    HasSubstr("edgetsdb_database_disk_bytes{database=\"edge\"}")));
}

}  // namespace
}  // namespace edgetsdb::server
