// Tag matchers: InfluxQL's =, !=, =~ and !~ over a sorted tag set, a missing tag comparing as "";
// regular expressions are RE2's, unanchored unless anchored, linear in the input, and bounded in
// size, so that an untrusted query can neither hang nor exhaust the gateway.
#include "db/tag_matcher.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgetsdb {
namespace {

using ::testing::HasSubstr;
using Op = TagMatcher::Op;

// Tags sorted by key, as groups keep them.
const std::vector<TagView> kTags = {{"device", "pump-12"}, {"room", "boiler"}, {"site", "plant1"}};

TagMatchers Compile(std::vector<TagMatcher> matchers) {
  absl::StatusOr<TagMatchers> compiled = TagMatchers::Compile(matchers);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *std::move(compiled);
}

bool Matches(std::vector<TagMatcher> matchers, const std::vector<TagView>& tags = kTags) {
  return Compile(std::move(matchers)).Matches(tags);
}

TEST(TagMatcherTest, NoMatchersMatchEverything) {
  const TagMatchers matchers = Compile({});
  EXPECT_TRUE(matchers.empty());
  EXPECT_TRUE(matchers.Matches(kTags));
  EXPECT_TRUE(matchers.Matches({}));
}

TEST(TagMatcherTest, EqualAndNotEqualCompareWholeValues) {
  EXPECT_TRUE(Matches({{"room", Op::kEqual, "boiler"}}));
  EXPECT_FALSE(Matches({{"room", Op::kEqual, "boil"}}));
  EXPECT_FALSE(Matches({{"room", Op::kEqual, "Boiler"}}));
  EXPECT_TRUE(Matches({{"room", Op::kNotEqual, "boil"}}));
  EXPECT_FALSE(Matches({{"room", Op::kNotEqual, "boiler"}}));
}

TEST(TagMatcherTest, EveryMatcherMustHold) {
  EXPECT_TRUE(Matches({{"site", Op::kEqual, "plant1"}, {"device", Op::kEqual, "pump-12"}}));
  EXPECT_FALSE(Matches({{"site", Op::kEqual, "plant1"}, {"device", Op::kEqual, "pump-13"}}));
  EXPECT_FALSE(Matches({{"site", Op::kEqual, "plant2"}, {"device", Op::kEqual, "pump-12"}}));
}

TEST(TagMatcherTest, RegexMatchesAnywhereInTheValue) {
  EXPECT_TRUE(Matches({{"device", Op::kRegexMatch, "ump"}}));
  EXPECT_TRUE(Matches({{"device", Op::kRegexMatch, "[0-9]+"}}));
  EXPECT_FALSE(Matches({{"device", Op::kRegexMatch, "fan"}}));
  EXPECT_TRUE(Matches({{"device", Op::kRegexNoMatch, "fan"}}));
  EXPECT_FALSE(Matches({{"device", Op::kRegexNoMatch, "ump"}}));
}

TEST(TagMatcherTest, AnchoredRegexMatchesTheWholeValueOnly) {
  EXPECT_TRUE(Matches({{"device", Op::kRegexMatch, "^pump-[0-9]+$"}}));
  EXPECT_FALSE(Matches({{"device", Op::kRegexMatch, "^ump"}}));
  EXPECT_FALSE(Matches({{"device", Op::kRegexMatch, "pump$"}}));
  // Grafana's multi-value variables produce this shape.
  EXPECT_TRUE(Matches({{"device", Op::kRegexMatch, "^(pump-11|pump-12)$"}}));
  EXPECT_FALSE(Matches({{"device", Op::kRegexMatch, "^(pump-1|pump-2)$"}}));
}

TEST(TagMatcherTest, AMissingTagComparesAsTheEmptyString) {
  EXPECT_TRUE(Matches({{"rack", Op::kEqual, ""}}));
  EXPECT_FALSE(Matches({{"rack", Op::kNotEqual, ""}}));
  EXPECT_FALSE(Matches({{"rack", Op::kEqual, "r1"}}));
  EXPECT_TRUE(Matches({{"rack", Op::kNotEqual, "r1"}}));
  EXPECT_TRUE(Matches({{"rack", Op::kRegexMatch, "^$"}}));
  EXPECT_FALSE(Matches({{"rack", Op::kRegexMatch, "."}}));
  EXPECT_TRUE(Matches({{"rack", Op::kRegexNoMatch, "."}}));
  // Keys before, between and after the present ones.
  for (const char* key : {"a", "dz", "zz"}) EXPECT_TRUE(Matches({{key, Op::kEqual, ""}})) << key;
  EXPECT_TRUE(Matches({{"device", Op::kEqual, ""}}, {}));
}

TEST(TagMatcherTest, ABadRegexIsInvalidArgumentNamingThePatternAndTheTag) {
  for (const std::string pattern : {"(unclosed", "[z-a]", "a**", "\\"}) {
    absl::StatusOr<TagMatchers> compiled = TagMatchers::Compile(
        {{"room", Op::kRegexMatch, "ok"}, {"device", Op::kRegexNoMatch, pattern}});
    EXPECT_TRUE(absl::IsInvalidArgument(compiled.status())) << pattern << ": " << compiled.status();
    EXPECT_THAT(compiled.status().message(), HasSubstr(absl::StrCat("/", pattern, "/")));
    EXPECT_THAT(compiled.status().message(), HasSubstr("device"));
  }
}

TEST(TagMatcherTest, APatternThatBacktrackersTakeExponentialTimeOnCompletes) {
  // (a*)*b against a run of a's without a b: exponential for a backtracking engine, one pass
  // for RE2. The test would hang rather than fail if matching were not linear.
  const std::string value(100'000, 'a');
  const std::vector<TagView> tags = {{"device", value}};
  EXPECT_FALSE(Matches({{"device", Op::kRegexMatch, "(a*)*b"}}, tags));
  EXPECT_TRUE(Matches({{"device", Op::kRegexNoMatch, "(a*)*b"}}, tags));
  EXPECT_TRUE(Matches({{"device", Op::kRegexMatch, "^(a|aa)+$"}}, tags));
}

// An alternation of n device names, anchored, as a dashboard variable expands to.
std::string DeviceAlternation(int n) {
  std::vector<std::string> devices;
  for (int i = 0; i < n; ++i) devices.push_back(absl::StrCat("sensor-", i * 7919 % 100'000, "-x"));
  return absl::StrCat("^(", absl::StrJoin(devices, "|"), ")$");
}

TEST(TagMatcherTest, AnOversizePatternIsRefused) {
  // 10,000 names compile to about 67,000 instructions: over the 64 Ki bound, under RE2's memory.
  absl::StatusOr<TagMatchers> over_bound =
      TagMatchers::Compile({{"device", Op::kRegexMatch, DeviceAlternation(10'000)}});
  EXPECT_TRUE(absl::IsInvalidArgument(over_bound.status()));
  EXPECT_THAT(over_bound.status().message(), HasSubstr("too large"));
  // 20,000 exceed what RE2 may allocate for one pattern.
  absl::StatusOr<TagMatchers> over_memory =
      TagMatchers::Compile({{"device", Op::kRegexMatch, DeviceAlternation(20'000)}});
  EXPECT_TRUE(absl::IsInvalidArgument(over_memory.status()));
  // Counted repetitions nest multiplicatively; RE2 refuses them before compiling.
  absl::StatusOr<TagMatchers> nested =
      TagMatchers::Compile({{"device", Op::kRegexMatch, "((a{100}){100}){100}"}});
  EXPECT_TRUE(absl::IsInvalidArgument(nested.status())) << nested.status();
}

TEST(TagMatcherTest, ADashboardSizedAlternationIsAccepted) {
  // A multi-value dashboard variable over a few thousand devices must still work.
  const std::string pattern = DeviceAlternation(5'000);
  EXPECT_TRUE(Matches({{"device", Op::kRegexMatch, pattern}}, {{"device", "sensor-7919-x"}}));
  EXPECT_FALSE(Matches({{"device", Op::kRegexMatch, pattern}}, {{"device", "sensor-7919-"}}));
}

TEST(TagMatcherTest, CompiledMatchersMoveWithTheirRegexes) {
  TagMatchers a = Compile({{"device", Op::kRegexMatch, "^pump"}});
  TagMatchers b = std::move(a);
  EXPECT_TRUE(b.Matches(kTags));
  EXPECT_FALSE(b.Matches({{"device", "fan-1"}}));
}

}  // namespace
}  // namespace edgetsdb
