// Block files (docs/format/block.md): round trips with shared and own timestamps, every field
// type and frame codec; postings; file names; what the writer refuses; damage (truncation, bit
// flips, zeroed sectors) found at open or confined to the damaged frame; atomic publish under
// crashes, failed syncs and a full disk. All on FaultInjectionEnv.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "compression/block_compression.h"
#include "compression/chunk.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "db/block/block_reader.h"
#include "db/block/block_writer.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"

namespace edgetsdb {
namespace {

using ::edgetsdb::compression::BlockCompression;
using ::edgetsdb::testing::CrashMode;
using ::edgetsdb::testing::DirCrashMode;
using ::edgetsdb::testing::FaultInjectionEnv;

constexpr char kDir[] = "/db/blocks";
constexpr int64_t kStart = 1'700'000'000'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr BlockMeta kMeta{kStart, kStart + 2 * kHour, 7};

std::string CodecName(BlockCompression codec) {
  switch (codec) {
    case BlockCompression::kNone:
      return "None";
    case BlockCompression::kLz4:
      return "Lz4";
    case BlockCompression::kZstd:
      return "Zstd";
  }
  return "Unknown";
}

// ------------------------------------------------------------------------------------------------
// Building test groups

std::string SeriesKey(std::string_view measurement,
                      std::vector<std::pair<std::string, std::string>> tags) {
  std::sort(tags.begin(), tags.end());
  std::string key;
  compression::PutVarint64(&key, measurement.size());
  key.append(measurement);
  compression::PutVarint64(&key, tags.size());
  for (const auto& [k, v] : tags) {
    compression::PutVarint64(&key, k.size());
    key.append(k);
    compression::PutVarint64(&key, v.size());
    key.append(v);
  }
  return key;
}

std::string Encode(const std::vector<int64_t>& ts, compression::ColumnView values, bool own) {
  std::string out;
  const absl::Status s = compression::EncodeChunk(ts, values, {.store_timestamps = own}, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::string TimestampChunk(const std::vector<int64_t>& ts) {
  std::string out;
  const absl::Status s = EncodeTimestampChunk(ts, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

struct TestGroup {
  std::string key;
  std::map<std::string, std::string> tags;  // Besides the measurement, for postings checks.
  std::string measurement;
  std::vector<std::string> ts_chunks;
  std::vector<FieldChunks> fields;  // As given to the writer (not sorted).
};

// A device with `chunks` timestamp chunks of `per_chunk` 10 s readings: three fields that share
// them (float, int, uint) and two that are absent at some timestamps and keep their own (bool at
// every other reading, string at every third).
TestGroup MakeGroup(std::string measurement, std::map<std::string, std::string> tags, uint64_t seed,
                    size_t chunks, size_t per_chunk) {
  TestGroup g;
  g.measurement = measurement;
  g.tags = tags;
  g.key = SeriesKey(measurement, {tags.begin(), tags.end()});
  FieldChunks temp{"temp", FieldType::kFloat, {}};
  FieldChunks count{"count", FieldType::kInt, {}};
  FieldChunks total{"total", FieldType::kUint, {}};
  FieldChunks on{"on", FieldType::kBool, {}};
  FieldChunks state{"state", FieldType::kString, {}};
  const int64_t t0 = kStart + static_cast<int64_t>(seed % 1000) * 1'000'000;
  for (size_t c = 0; c < chunks; ++c) {
    std::vector<int64_t> ts, on_ts, state_ts;
    std::vector<double> temps;
    std::vector<int64_t> counts;
    std::vector<uint64_t> totals;
    std::vector<uint8_t> ons;
    std::vector<std::string> states;
    for (size_t i = 0; i < per_chunk; ++i) {
      const size_t n = c * per_chunk + i;
      const int64_t t = t0 + static_cast<int64_t>(n) * 10 * kSecond;
      ts.push_back(t);
      temps.push_back(20.0 + static_cast<double>((seed * 7 + n) % 100) / 10);
      counts.push_back(static_cast<int64_t>(n * seed) - 1000);
      totals.push_back((uint64_t{1} << 40) + n * (seed + 1));
      if (n % 2 == 0) {
        on_ts.push_back(t);
        ons.push_back(static_cast<uint8_t>((n / 2 + seed) % 3 == 0));
      }
      if (n % 3 == 0) {
        state_ts.push_back(t);
        states.push_back((n + seed) % 4 == 0 ? "warn" : absl::StrCat("ok-", seed % 5));
      }
    }
    g.ts_chunks.push_back(TimestampChunk(ts));
    temp.chunks.push_back(Encode(ts, absl::MakeConstSpan(temps), false));
    count.chunks.push_back(Encode(ts, absl::MakeConstSpan(counts), false));
    total.chunks.push_back(Encode(ts, absl::MakeConstSpan(totals), false));
    if (!on_ts.empty()) on.chunks.push_back(Encode(on_ts, absl::MakeConstSpan(ons), true));
    if (!state_ts.empty()) {
      state.chunks.push_back(Encode(state_ts, absl::MakeConstSpan(states), true));
    }
  }
  g.fields = {std::move(temp), std::move(count), std::move(total)};
  if (!on.chunks.empty()) g.fields.push_back(std::move(on));
  if (!state.chunks.empty()) g.fields.push_back(std::move(state));
  return g;
}

// n devices over three measurements; every fifth has an extra tag. Sorted by series key.
std::vector<TestGroup> MakeGroups(size_t n, size_t chunks, size_t per_chunk) {
  std::vector<TestGroup> groups;
  for (size_t i = 0; i < n; ++i) {
    std::map<std::string, std::string> tags = {{"device", absl::StrCat("dev-", 10000 + i)},
                                               {"site", absl::StrCat("site-", i % 7)}};
    if (i % 5 == 0) tags["rack"] = absl::StrCat("r", i % 2);
    groups.push_back(MakeGroup(absl::StrCat("env", i % 3), tags, i, chunks, per_chunk));
  }
  std::sort(groups.begin(), groups.end(),
            [](const TestGroup& a, const TestGroup& b) { return a.key < b.key; });
  return groups;
}

std::string BlockPath(const BlockMeta& meta) {
  return absl::StrCat(kDir, "/", BlockFileName(meta));
}

class BlockTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeDirs(env_); }

  static void MakeDirs(FaultInjectionEnv& env) {
    ASSERT_TRUE(env.CreateDir("/db").ok());
    ASSERT_TRUE(env.CreateDir(kDir).ok());
    ASSERT_TRUE(env.SyncDir("/").ok());
    ASSERT_TRUE(env.SyncDir("/db").ok());
  }

  // Writes the groups as one block; returns its path ("" on failure, with a test failure).
  static std::string WriteBlock(Env& env, const std::vector<TestGroup>& groups,
                                BlockCompression codec = BlockCompression::kLz4,
                                BlockMeta meta = kMeta) {
    absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
        BlockWriter::Create(&env, kDir, meta, codec);
    EXPECT_TRUE(writer.ok()) << writer.status();
    if (!writer.ok()) return "";
    for (const TestGroup& g : groups) {
      const absl::Status s = (*writer)->AddGroup(g.key, g.ts_chunks, g.fields);
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) return "";
    }
    absl::StatusOr<std::string> name = (*writer)->Finish();
    EXPECT_TRUE(name.ok()) << name.status();
    if (!name.ok()) return "";
    EXPECT_EQ(*name, BlockFileName(meta));
    return absl::StrCat(kDir, "/", *name);
  }

  static std::unique_ptr<BlockReader> OpenBlock(Env& env, const std::string& path) {
    absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::Open(&env, path);
    EXPECT_TRUE(reader.ok()) << reader.status();
    return reader.ok() ? *std::move(reader) : nullptr;
  }

  FaultInjectionEnv env_{/*seed=*/1};
};

// Reads everything back and compares it with what was written: keys, tags, chunk bytes, and the
// summaries the index copied.
void ExpectBlockHolds(const BlockReader& reader, const std::vector<TestGroup>& groups) {
  ASSERT_EQ(reader.group_count(), groups.size());
  for (uint32_t id = 0; id < groups.size(); ++id) {
    const TestGroup& want = groups[id];
    SCOPED_TRACE(absl::StrCat("group ", id));
    EXPECT_EQ(reader.FindGroup(want.key), std::optional<uint32_t>(id));
    EXPECT_EQ(reader.series_key(id), want.key);
    EXPECT_EQ(reader.measurement(id), want.measurement);
    const BlockGroup got = reader.group(id);
    EXPECT_EQ(got.id, id);
    EXPECT_EQ(got.series_key, want.key);
    EXPECT_EQ(got.measurement, want.measurement);
    ASSERT_EQ(got.tags.size(), want.tags.size());
    size_t t = 0;
    for (const auto& [k, v] : want.tags) {
      EXPECT_EQ(got.tags[t].key, k);
      EXPECT_EQ(got.tags[t].value, v);
      ++t;
    }
    EXPECT_EQ(reader.tags(id).size(), want.tags.size());

    const auto expect_chunks = [&](const std::vector<ChunkRef>& refs,
                                   const std::vector<std::string>& chunks, bool shared) {
      ASSERT_EQ(refs.size(), chunks.size());
      for (size_t i = 0; i < refs.size(); ++i) {
        absl::StatusOr<std::string> bytes = reader.ReadChunk(refs[i]);
        ASSERT_TRUE(bytes.ok()) << bytes.status();
        EXPECT_EQ(*bytes, chunks[i]);
        absl::StatusOr<compression::ParsedChunk> parsed = compression::ParseChunk(*bytes);
        ASSERT_TRUE(parsed.ok()) << parsed.status();
        EXPECT_EQ(refs[i].count, parsed->summary.count);
        EXPECT_EQ(refs[i].first_time, parsed->summary.first_time);
        EXPECT_EQ(refs[i].last_time, parsed->summary.last_time);
        EXPECT_EQ(parsed->timestamp_codec == compression::Codec::kNone, shared);
      }
    };
    expect_chunks(got.timestamp_chunks, want.ts_chunks, false);
    std::vector<const FieldChunks*> fields;
    for (const FieldChunks& f : want.fields) fields.push_back(&f);
    std::sort(fields.begin(), fields.end(),
              [](const FieldChunks* a, const FieldChunks* b) { return a->key < b->key; });
    ASSERT_EQ(got.fields.size(), fields.size());
    for (size_t f = 0; f < fields.size(); ++f) {
      SCOPED_TRACE(fields[f]->key);
      EXPECT_EQ(got.fields[f].key, fields[f]->key);
      EXPECT_EQ(got.fields[f].type, fields[f]->type);
      EXPECT_EQ(got.FindField(fields[f]->key), &got.fields[f]);
      const bool shared = fields[f]->type == FieldType::kFloat ||
                          fields[f]->type == FieldType::kInt || fields[f]->type == FieldType::kUint;
      EXPECT_EQ(got.fields[f].shared_timestamps, shared);
      expect_chunks(got.fields[f].chunks, fields[f]->chunks, shared);
    }
    EXPECT_EQ(got.FindField("no such field"), nullptr);
  }
}

void ExpectVerifies(const BlockReader& reader) {
  absl::StatusOr<BlockCheck> check = VerifyBlock(reader);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->ok()) << check->damage.front().status;
  EXPECT_EQ(check->chunks, reader.chunk_count());
  EXPECT_EQ(check->frames, reader.frame_count());
}

// ------------------------------------------------------------------------------------------------
// File names

TEST(BlockFileNameTest, SpellsThePartitionZeroPadded) {
  EXPECT_EQ(BlockFileName({0, 1, 0}), "00000000000000000000-00000000000000000001-0000000000.blk");
  EXPECT_EQ(BlockFileName(kMeta), "01700000000000000000-01700007200000000000-0000000007.blk");
  EXPECT_EQ(BlockFileName({-1, 0, 9'999'999'999}),
            "-9999999999999999999-00000000000000000000-9999999999.blk");
  EXPECT_EQ(
      BlockFileName({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 1}),
      "-0776627963145224192-09223372036854775807-0000000001.blk");
}

TEST(BlockFileNameTest, NamesRoundTripAndSortByTime) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<int64_t> starts = {kMin,  kMin + 1, -kHour * 1000,    -kHour,  -2, -1, 0, 1,
                                       kHour, kStart,   kMax - 2 * kHour, kMax - 1};
  std::vector<std::pair<std::string, BlockMeta>> names;
  for (int64_t start : starts) {
    for (uint64_t seq : {uint64_t{0}, uint64_t{42}, block::kMaxSequence}) {
      const BlockMeta meta{start, start < kMax - 2 * kHour ? start + 2 * kHour : kMax, seq};
      const std::string name = BlockFileName(meta);
      EXPECT_EQ(ParseBlockFileName(name), std::optional<BlockMeta>(meta)) << name;
      names.emplace_back(name, meta);
    }
  }
  std::vector<std::pair<std::string, BlockMeta>> by_name = names;
  std::sort(by_name.begin(), by_name.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.start, a.second.end, a.second.sequence) <
           std::tie(b.second.start, b.second.end, b.second.sequence);
  });
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(by_name[i].first, names[i].first);
}

TEST(BlockFileNameTest, OnlyCanonicalNamesParse) {
  const std::string good = BlockFileName(kMeta);
  ASSERT_TRUE(ParseBlockFileName(good).has_value());
  const std::vector<std::string> bad = {
      "",
      "x.blk",
      good + ".tmp",
      "1-2-3.blk",
      good.substr(1),
      "0" + good,
      good.substr(0, good.size() - 4) + ".blq",
      "+1700000000000000000-01700007200000000000-0000000007.blk",
      "01700000000000000000_01700007200000000000-0000000007.blk",
      "01700000000000000000-01700007200000000000-000000000a.blk",
      "01700007200000000000-01700000000000000000-0000000007.blk",  // start >= end
      "01700000000000000000-01700000000000000000-0000000007.blk",
      "09223372036854775808-09223372036854775809-0000000007.blk",  // beyond int64
      "99999999999999999999-99999999999999999999-0000000007.blk",
      "-0776627963145224191-00000000000000000000-0000000007.blk",  // below int64's minimum
      "--999999999999999999-00000000000000000000-0000000007.blk",
  };
  for (const std::string& name : bad) EXPECT_FALSE(ParseBlockFileName(name).has_value()) << name;
}

// ------------------------------------------------------------------------------------------------
// Round trips

class BlockCodecTest : public BlockTest, public ::testing::WithParamInterface<BlockCompression> {};

INSTANTIATE_TEST_SUITE_P(Codecs, BlockCodecTest,
                         ::testing::Values(BlockCompression::kNone, BlockCompression::kLz4,
                                           BlockCompression::kZstd),
                         [](const auto& info) { return CodecName(info.param); });

TEST_P(BlockCodecTest, EveryFieldTypeRoundTripsWithSharedAndOwnTimestamps) {
  const std::vector<TestGroup> groups = MakeGroups(12, 3, 50);
  const std::string path = WriteBlock(env_, groups, GetParam());
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->meta(), kMeta);
  EXPECT_EQ(reader->frame_codec(), GetParam());
  EXPECT_EQ(reader->file_size(), *env_.GetFileSize(path));
  ExpectBlockHolds(*reader, groups);
  ExpectVerifies(*reader);
}

TEST_P(BlockCodecTest, ThousandsOfGroupsAndChunksRoundTrip) {
  const std::vector<TestGroup> groups = MakeGroups(3000, 2, 8);
  const std::string path = WriteBlock(env_, groups, GetParam());
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->chunk_count(), 3000u * 12);
  EXPECT_GT(reader->frame_count(), 10u) << "chunks spread over many frames";
  ExpectBlockHolds(*reader, groups);
  ExpectVerifies(*reader);
}

TEST_F(BlockTest, EmptyBlockIsValid) {
  const std::string path = WriteBlock(env_, {});
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->group_count(), 0u);
  EXPECT_EQ(reader->frame_count(), 0u);
  EXPECT_TRUE(reader->Measurements().empty());
  EXPECT_EQ(reader->FindGroup(SeriesKey("m", {})), std::nullopt);
  ExpectVerifies(*reader);
}

TEST_F(BlockTest, ChunkLargerThanAFrameGetsAFrameOfItsOwn) {
  // Incompressible strings: one chunk of about 200 KiB.
  std::vector<int64_t> ts;
  std::vector<std::string> values;
  uint64_t x = 1;
  for (int i = 0; i < 3000; ++i) {
    ts.push_back(kStart + i * kSecond);
    std::string v;
    for (int k = 0; k < 64; ++k) {
      x = x * 6364136223846793005u + 1442695040888963407u;
      v.push_back(static_cast<char>('!' + (x >> 58)));
    }
    values.push_back(v);
  }
  TestGroup g = MakeGroup("big", {{"id", "1"}}, 1, 1, 4);
  g.fields.push_back({"blob", FieldType::kString, {Encode(ts, absl::MakeConstSpan(values), true)}});
  ASSERT_GT(g.fields.back().chunks[0].size(), block::kTargetFrameBytes);
  const std::string path = WriteBlock(env_, {g}, BlockCompression::kLz4);
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, path);
  ASSERT_NE(reader, nullptr);
  // The first group's timestamp chunk, then the large chunk alone, then the group's other fields.
  EXPECT_EQ(reader->frame_count(), 3u);
  ExpectBlockHolds(*reader, {g});
  ExpectVerifies(*reader);
}

// The index is what a gateway keeps in memory for each of its hundreds of blocks.
TEST_F(BlockTest, IndexIsCompact) {
  std::vector<TestGroup> groups;
  for (int i = 0; i < 1000; ++i) {
    TestGroup g;
    g.measurement = "env";
    g.tags = {{"device", absl::StrCat("dev-", 10000 + i)}, {"site", absl::StrCat("s", i % 10)}};
    g.key = SeriesKey(g.measurement, {g.tags.begin(), g.tags.end()});
    std::vector<int64_t> ts;
    std::vector<double> values;
    for (int k = 0; k < 720; ++k) {
      ts.push_back(kStart + k * 10 * kSecond);
      values.push_back(20 + (k % 50) / 10.0);
    }
    g.ts_chunks.push_back(TimestampChunk(ts));
    for (const char* field : {"temp", "humidity", "pressure", "co2", "voc"}) {
      g.fields.push_back(
          {field, FieldType::kFloat, {Encode(ts, absl::MakeConstSpan(values), false)}});
    }
    groups.push_back(std::move(g));
  }
  std::sort(groups.begin(), groups.end(),
            [](const TestGroup& a, const TestGroup& b) { return a.key < b.key; });
  const std::string path = WriteBlock(env_, groups, BlockCompression::kLz4);
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, path);
  ASSERT_NE(reader, nullptr);
  const size_t per_group = reader->MemoryUsage() / groups.size();
  std::printf("index and tables: %zu bytes in memory per 5-field device (block of %llu bytes)\n",
              per_group, static_cast<unsigned long long>(reader->file_size()));
  EXPECT_LT(per_group, 100u);
}

// ------------------------------------------------------------------------------------------------
// Postings

TEST_F(BlockTest, PostingsMatchTagsLikeAScanWould) {
  const std::vector<TestGroup> groups = MakeGroups(200, 1, 4);
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, WriteBlock(env_, groups));
  ASSERT_NE(reader, nullptr);

  // What a scan over every group finds.
  const auto scan = [&](std::string_view m, const std::vector<TagView>& matchers) {
    std::vector<uint32_t> ids;
    for (uint32_t id = 0; id < groups.size(); ++id) {
      if (groups[id].measurement != m) continue;
      bool ok = true;
      for (const TagView& t : matchers) {
        const auto it = groups[id].tags.find(std::string(t.key));
        ok &= t.value.empty() ? it == groups[id].tags.end()
                              : it != groups[id].tags.end() && it->second == t.value;
      }
      if (ok) ids.push_back(id);
    }
    return ids;
  };

  EXPECT_EQ(reader->Measurements(), (std::vector<std::string_view>{"env0", "env1", "env2"}));
  for (std::string m : {"env0", "env1", "env2", "env3", "env"}) {
    SCOPED_TRACE(m);
    EXPECT_EQ(reader->GroupsOf(m), scan(m, {}));
    for (std::string site : {"site-0", "site-3", "site-6", "site-9"}) {
      EXPECT_EQ(reader->MatchGroups(m, {{"site", site}}), scan(m, {{"site", site}})) << site;
      for (std::string rack : {"r0", "r1", "", "r2"}) {
        const std::vector<TagView> matchers = {{"site", site}, {"rack", rack}};
        EXPECT_EQ(reader->MatchGroups(m, matchers), scan(m, matchers)) << site << " " << rack;
      }
    }
    EXPECT_EQ(reader->MatchGroups(m, {{"rack", ""}}), scan(m, {{"rack", ""}}));
    EXPECT_EQ(reader->MatchGroups(m, {{"nokey", ""}}), scan(m, {}));
    EXPECT_TRUE(reader->MatchGroups(m, {{"nokey", "x"}}).empty());
    EXPECT_TRUE(reader->MatchGroups(m, {{"device", "dev-10001"}, {"device", "dev-10002"}}).empty());
  }
  const std::vector<uint32_t> one = reader->MatchGroups("env1", {{"device", "dev-10001"}});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(groups[one[0]].tags.at("device"), "dev-10001");

  EXPECT_EQ(reader->TagKeys("env0"), (std::vector<std::string_view>{"device", "rack", "site"}));
  EXPECT_EQ(reader->TagValues("env0", "rack"), (std::vector<std::string_view>{"r0", "r1"}));
  EXPECT_EQ(reader->TagValues("env0", "site").size(), 7u);
  EXPECT_TRUE(reader->TagValues("env0", "nokey").empty());
  EXPECT_TRUE(reader->TagKeys("nothing").empty());

  // Regular expressions are the caller's: here, site=~/site-[0-2]/.
  const std::vector<uint32_t> low_sites =
      reader->GroupsWhereTag("env2", "site", [](std::string_view v) { return v < "site-3"; });
  std::vector<uint32_t> want;
  for (std::string site : {"site-0", "site-1", "site-2"}) {
    for (uint32_t id : scan("env2", {{"site", site}})) want.push_back(id);
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(low_sites, want);
}

TEST_F(BlockTest, FindGroupMissesKeysNotInTheBlock) {
  const std::vector<TestGroup> groups = MakeGroups(50, 1, 4);
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, WriteBlock(env_, groups));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->FindGroup(""), std::nullopt);
  EXPECT_EQ(reader->FindGroup(SeriesKey("env0", {})), std::nullopt);
  EXPECT_EQ(reader->FindGroup(SeriesKey("env0", {{"device", "dev-10000"}})), std::nullopt);
  EXPECT_EQ(reader->FindGroup(groups.back().key + "x"), std::nullopt);
  EXPECT_EQ(reader->FindGroup("\xff"), std::nullopt);
}

// ------------------------------------------------------------------------------------------------
// What the writer refuses

TEST_F(BlockTest, WriterRefusesInputThatBreaksTheFormatAndStaysUsable) {
  const TestGroup good = MakeGroup("m", {{"id", "b"}}, 1, 2, 10);
  const TestGroup earlier = MakeGroup("m", {{"id", "a"}}, 2, 2, 10);
  const TestGroup later = MakeGroup("m", {{"id", "c"}}, 3, 2, 10);
  const std::vector<int64_t> ts_out = {kMeta.end, kMeta.end + kSecond};
  const std::vector<double> two = {1.0, 2.0};

  struct Case {
    const char* name;
    std::function<void(TestGroup&)> damage;
  };
  const std::vector<Case> cases = {
      {"key not after the previous", [&](TestGroup& g) { g = earlier; }},
      {"same key again", [&](TestGroup& g) {}},
      {"tags not sorted",
       [&](TestGroup& g) {
         g.key = later.key.substr(0, 2) + std::string("\x02\x01z\x01z\x01y\x01y", 9);
       }},
      {"trailing bytes after the key",
       [&](TestGroup& g) {
         g = later;
         g.key += '\0';
       }},
      {"empty measurement",
       [&](TestGroup& g) {
         g = later;
         g.key = SeriesKey("", {});
       }},
      {"no field",
       [&](TestGroup& g) {
         g = later;
         g.fields.clear();
       }},
      {"field without chunks",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].chunks.clear();
       }},
      {"field key twice",
       [&](TestGroup& g) {
         g = later;
         g.fields[1].key = g.fields[0].key;
       }},
      {"empty field key",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].key.clear();
       }},
      {"type mismatch",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].type = FieldType::kInt;
       }},
      {"damaged chunk",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].chunks[0][5] ^= 1;
       }},
      {"bytes after a chunk",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].chunks[0] += "x";
       }},
      {"shared field with fewer chunks",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].chunks.pop_back();
       }},
      {"shared field not lined up",
       [&](TestGroup& g) {
         g = later;
         std::swap(g.fields[0].chunks[0], g.fields[0].chunks[1]);
       }},
      {"shared field without timestamp chunks",
       [&](TestGroup& g) {
         g = later;
         g.ts_chunks.clear();
       }},
      {"own-timestamp chunks out of order",
       [&](TestGroup& g) {
         g = later;
         std::swap(g.fields[3].chunks[0], g.fields[3].chunks[1]);
       }},
      {"timestamp chunk without timestamps",
       [&](TestGroup& g) {
         g = later;
         g.ts_chunks[0] = g.fields[0].chunks[0];
       }},
      {"chunk after the partition",
       [&](TestGroup& g) {
         g = later;
         g.fields.push_back({"late", FieldType::kFloat, {Encode(ts_out, two, true)}});
       }},
      {"mixed timestamp modes",
       [&](TestGroup& g) {
         g = later;
         g.fields[0].chunks[1] =
             Encode({kStart + 1000 * kSecond, kStart + 1001 * kSecond}, two, true);
       }},
  };

  absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
      BlockWriter::Create(&env_, kDir, kMeta, BlockCompression::kLz4);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->AddGroup(good.key, good.ts_chunks, good.fields).ok());
  for (const Case& c : cases) {
    TestGroup g = good;
    c.damage(g);
    const absl::Status s = (*writer)->AddGroup(g.key, g.ts_chunks, g.fields);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.name << ": " << s;
  }
  ASSERT_TRUE((*writer)->AddGroup(later.key, later.ts_chunks, later.fields).ok());
  absl::StatusOr<std::string> name = (*writer)->Finish();
  ASSERT_TRUE(name.ok()) << name.status();
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, BlockPath(kMeta));
  ASSERT_NE(reader, nullptr);
  ExpectBlockHolds(*reader, {good, later});
  EXPECT_TRUE(absl::IsFailedPrecondition((*writer)->AddGroup(later.key, {}, later.fields)));
  EXPECT_TRUE(absl::IsFailedPrecondition((*writer)->Finish().status()));
}

TEST_F(BlockTest, CreateRefusesBadMetaAndExistingBlocks) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      BlockWriter::Create(&env_, kDir, {5, 5, 1}, BlockCompression::kNone).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      BlockWriter::Create(&env_, kDir, {0, 5, block::kMaxSequence + 1}, BlockCompression::kNone)
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      BlockWriter::Create(&env_, kDir, kMeta, static_cast<BlockCompression>(3)).status()));
  WriteBlock(env_, MakeGroups(2, 1, 3));
  EXPECT_TRUE(absl::IsAlreadyExists(
      BlockWriter::Create(&env_, kDir, kMeta, BlockCompression::kNone).status()));
}

TEST_F(BlockTest, ReadChunkViewSharesTheFrameAndOutlivesTheReader) {
  std::unique_ptr<BlockReader> reader =
      OpenBlock(env_, WriteBlock(env_, MakeGroups(50, 2, 30), BlockCompression::kZstd));
  ASSERT_NE(reader, nullptr);
  const BlockGroup g = reader->group(7);
  const ChunkRef ref = g.fields[1].chunks[0];
  const std::string copied = *reader->ReadChunk(ref);
  absl::StatusOr<BlockReader::ChunkBytes> view = reader->ReadChunkView(ref);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->bytes, copied);
  ASSERT_NE(view->frame, nullptr);
  EXPECT_EQ(view->bytes.data(), view->frame->data() + ref.offset) << "a view, not a copy";
  reader->ReleaseCache();
  reader.reset();
  EXPECT_EQ(view->bytes, copied) << "the frame lives as long as its holder";
}

TEST_F(BlockTest, ReadChunkRefusesRefsOutsideTheBlock) {
  std::unique_ptr<BlockReader> reader = OpenBlock(env_, WriteBlock(env_, MakeGroups(3, 1, 3)));
  ASSERT_NE(reader, nullptr);
  ChunkRef ref = reader->group(0).timestamp_chunks[0];
  for (ChunkRef bad : {ChunkRef{.frame = 9, .offset = 0, .length = 1},
                       ChunkRef{.frame = 0, .offset = ref.offset, .length = 0},
                       ChunkRef{.frame = 0, .offset = 1u << 30, .length = 1},
                       ChunkRef{.frame = 0, .offset = 0, .length = ~0u}}) {
    EXPECT_TRUE(absl::IsInvalidArgument(reader->ReadChunk(bad).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(reader->ReadChunkView(bad).status()));
  }
}

// ------------------------------------------------------------------------------------------------
// Opening reads only the header, the footer and the index

// Forwards to FaultInjectionEnv and counts the bytes read through random-access files.
class CountingEnv final : public Env {
 public:
  explicit CountingEnv(Env* base) : base_(base) {}
  uint64_t bytes_read() const { return *bytes_read_; }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = base_->NewRandomAccessFile(path);
    if (!file.ok()) return file.status();
    return std::make_unique<CountingFile>(*std::move(file), bytes_read_);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return base_->NewWritableFile(p);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& p) override {
    return base_->NewAppendableFile(p);
  }
  absl::StatusOr<std::string> ReadFileToString(const std::string& p) override {
    return base_->ReadFileToString(p);
  }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& p) override {
    return base_->GetFileSize(p);
  }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& d) override {
    return base_->GetChildren(d);
  }
  absl::Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  absl::Status RenameFile(const std::string& f, const std::string& t) override {
    return base_->RenameFile(f, t);
  }
  absl::Status TruncateFile(const std::string& p, uint64_t s) override {
    return base_->TruncateFile(p, s);
  }
  absl::Status CreateDir(const std::string& d) override { return base_->CreateDir(d); }
  absl::Status RemoveDir(const std::string& d) override { return base_->RemoveDir(d); }
  absl::Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  absl::StatusOr<uint64_t> GetFreeSpace(const std::string& p) override {
    return base_->GetFreeSpace(p);
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return base_->LockFile(p);
  }
  int64_t NowNanos() override { return base_->NowNanos(); }
  int64_t MonotonicNanos() override { return base_->MonotonicNanos(); }

 private:
  class CountingFile final : public RandomAccessFile {
   public:
    CountingFile(std::unique_ptr<RandomAccessFile> base, std::shared_ptr<uint64_t> counter)
        : base_(std::move(base)), counter_(std::move(counter)) {}
    absl::Status Read(uint64_t offset, size_t n, char* scratch,
                      std::string_view* result) const override {
      absl::Status s = base_->Read(offset, n, scratch, result);
      *counter_ += result->size();
      return s;
    }
    uint64_t Size() const override { return base_->Size(); }

   private:
    std::unique_ptr<RandomAccessFile> base_;
    std::shared_ptr<uint64_t> counter_;
  };

  Env* base_;
  std::shared_ptr<uint64_t> bytes_read_ = std::make_shared<uint64_t>(0);
};

TEST_F(BlockTest, OpenReadsOnlyHeaderFooterAndIndex) {
  const std::string path = WriteBlock(env_, MakeGroups(500, 2, 30), BlockCompression::kLz4);
  CountingEnv counting(&env_);
  std::unique_ptr<BlockReader> reader = OpenBlock(counting, path);
  ASSERT_NE(reader, nullptr);
  const uint64_t data_bytes =
      reader->frame_offset(static_cast<uint32_t>(reader->frame_count() - 1));
  EXPECT_LT(counting.bytes_read(), reader->file_size() - data_bytes + block::kHeaderSize + 4096)
      << "read " << counting.bytes_read() << " of " << reader->file_size();
  const uint64_t after_open = counting.bytes_read();
  // Two chunks of one frame: one frame read.
  const BlockGroup g = reader->group(0);
  ASSERT_TRUE(reader->ReadChunk(g.fields[0].chunks[0]).ok());
  const uint64_t after_one = counting.bytes_read();
  EXPECT_GT(after_one, after_open);
  ASSERT_TRUE(reader->ReadChunk(g.timestamp_chunks[0]).ok());
  EXPECT_EQ(counting.bytes_read(), after_one) << "the last frame is cached";
}

// ------------------------------------------------------------------------------------------------
// Damage

// Recomputes the footer CRC of a block file after a deliberate change, so that the change reaches
// the parser: what a writer bug (or a newer writer) would produce.
void Reseal(std::string& file) {
  const size_t footer = file.size() - block::kFooterSize;
  const uint64_t index_offset = compression::DecodeFixed64(file.data() + footer);
  uint32_t crc = compression::crc32c::Value(file.data(), block::kHeaderSize);
  crc = compression::crc32c::Extend(crc, file.data() + index_offset, footer - index_offset);
  crc = compression::crc32c::Extend(crc, file.data() + footer, block::kFooterCheckedSize);
  std::string encoded;
  compression::PutFixed32(&encoded, crc);
  file.replace(footer + block::kFooterCheckedSize, 4, encoded);
}

// One way to damage a block file, and the byte range it changes. Applied to a fresh copy when
// tested, so that thousands of variants do not each hold a copy of the file.
struct Damaged {
  std::string what;
  uint64_t begin;  // [begin, end) differs from the original (truncation: from the cut).
  uint64_t end;
  std::function<void(std::string&)> apply;
};

struct DamageCase {
  const char* name;
  std::vector<Damaged> (*make)(const std::string& file, uint64_t index_offset);
};

std::vector<Damaged> FlipBits(uint64_t begin, uint64_t end, uint64_t stride) {
  std::vector<Damaged> out;
  for (uint64_t bit = 8 * begin; bit < 8 * end; bit += stride) {
    out.push_back({absl::StrCat("bit ", bit), bit / 8, bit / 8 + 1,
                   [bit](std::string& f) { f[bit / 8] ^= static_cast<char>(1 << (bit % 8)); }});
  }
  return out;
}

const DamageCase kDamageCases[] = {
    {"truncated",
     [](const std::string& file, uint64_t) {
       std::vector<Damaged> out;
       const uint64_t size = file.size();
       for (uint64_t len = 0; len < size; len += len < 64 || len + 300 > size ? 1 : 997) {
         out.push_back(
             {absl::StrCat("length ", len), len, size, [len](std::string& f) { f.resize(len); }});
       }
       return out;
     }},
    {"bytes appended",
     [](const std::string& file, uint64_t) {
       const uint64_t size = file.size();
       return std::vector<Damaged>{
           {"NUL", size, size + 1, [](std::string& f) { f.push_back('\0'); }},
           {"copy of the footer", size, size + block::kFooterSize,
            [](std::string& f) { f += f.substr(f.size() - block::kFooterSize); }}};
     }},
    {"header bit flipped",
     [](const std::string&, uint64_t) { return FlipBits(0, block::kHeaderSize, 1); }},
    {"footer bit flipped",
     [](const std::string& file, uint64_t) {
       return FlipBits(file.size() - block::kFooterSize, file.size(), 1);
     }},
    {"index bit flipped",
     [](const std::string& file, uint64_t index_offset) {
       const uint64_t end = file.size() - block::kFooterSize;
       return FlipBits(index_offset, end, 8 * (end - index_offset) / 400 + 1);
     }},
    {"data bit flipped",
     [](const std::string&, uint64_t index_offset) {
       const uint64_t begin = block::kHeaderSize;
       return FlipBits(begin, index_offset, (8 * (index_offset - begin) / 60) | 1);
     }},
    {"4 KiB sector zeroed",
     [](const std::string& file, uint64_t) {
       std::vector<Damaged> out;
       for (uint64_t sector = 0; sector < file.size(); sector += 4096) {
         const uint64_t end = std::min<uint64_t>(sector + 4096, file.size());
         out.push_back(
             {absl::StrCat("sector at ", sector), sector, end, [sector, end](std::string& f) {
                std::fill(f.begin() + sector, f.begin() + end, '\0');
              }});
       }
       return out;
     }},
};

class BlockDamageTest : public BlockCodecTest {};

INSTANTIATE_TEST_SUITE_P(Codecs, BlockDamageTest,
                         ::testing::Values(BlockCompression::kNone, BlockCompression::kLz4,
                                           BlockCompression::kZstd),
                         [](const auto& info) { return CodecName(info.param); });

// Damage to the header, index or footer fails Open with DataLoss. Damage to the data leaves the
// block openable: chunks in frames the damage touches fail to read or to parse (or, where the
// damage left them intact, read back exactly), every other chunk reads back exactly, and
// VerifyBlock counts exactly the failures.
TEST_P(BlockDamageTest, DamageIsFoundAtOpenOrConfinedToItsFrame) {
  const std::vector<TestGroup> groups = MakeGroups(300, 2, 40);
  const std::string path = WriteBlock(env_, groups, GetParam());
  const std::string file = *env_.ReadFileToString(path);
  std::unique_ptr<BlockReader> intact = OpenBlock(env_, path);
  ASSERT_NE(intact, nullptr);
  ASSERT_GE(intact->frame_count(), 3u);
  const uint64_t index_offset =
      compression::DecodeFixed64(file.data() + file.size() - block::kFooterSize);

  // Every chunk of the block, with its bytes.
  struct Chunk {
    ChunkRef ref;
    std::string bytes;
  };
  std::vector<Chunk> chunks;
  for (uint32_t g = 0; g < intact->group_count(); ++g) {
    const BlockGroup group = intact->group(g);
    std::vector<ChunkRef> refs = group.timestamp_chunks;
    for (const BlockField& f : group.fields)
      refs.insert(refs.end(), f.chunks.begin(), f.chunks.end());
    for (const ChunkRef& ref : refs) chunks.push_back({ref, *intact->ReadChunk(ref)});
  }
  const auto frame_end = [&](uint32_t frame) {
    return frame + 1 < intact->frame_count() ? intact->frame_offset(frame + 1) : index_offset;
  };

  for (const DamageCase& c : kDamageCases) {
    size_t variants = 0, survived_open = 0;
    for (const Damaged& d : c.make(file, index_offset)) {
      std::string damaged = file;
      d.apply(damaged);
      ++variants;
      SCOPED_TRACE(absl::StrCat(c.name, ": ", d.what));
      absl::StatusOr<std::unique_ptr<BlockReader>> reader =
          BlockReader::OpenFromBytes(std::move(damaged), path);
      const bool touches_metadata = d.begin < block::kHeaderSize || d.end > index_offset;
      if (touches_metadata) {
        EXPECT_TRUE(absl::IsDataLoss(reader.status())) << reader.status();
        continue;
      }
      ASSERT_TRUE(reader.ok()) << reader.status();
      ++survived_open;
      size_t failed = 0;
      for (const Chunk& chunk : chunks) {
        const bool in_damaged_frame =
            intact->frame_offset(chunk.ref.frame) < d.end && d.begin < frame_end(chunk.ref.frame);
        absl::StatusOr<std::string> bytes = (*reader)->ReadChunk(chunk.ref);
        if (!in_damaged_frame) {
          ASSERT_TRUE(bytes.ok()) << bytes.status();
          EXPECT_EQ(*bytes, chunk.bytes);
          continue;
        }
        if (!bytes.ok()) {
          EXPECT_TRUE(absl::IsDataLoss(bytes.status())) << bytes.status();
          ++failed;
          continue;
        }
        absl::StatusOr<compression::ParsedChunk> parsed = compression::ParseChunk(*bytes);
        if (parsed.ok() && parsed->encoded_size == bytes->size()) {
          EXPECT_EQ(*bytes, chunk.bytes) << "damage must not pass a chunk's CRC";
        } else {
          EXPECT_TRUE(absl::IsDataLoss(parsed.status()) || absl::IsInvalidArgument(parsed.status()))
              << parsed.status();
          ++failed;
        }
      }
      if (GetParam() == BlockCompression::kNone) {
        EXPECT_GT(failed, 0u) << "uncompressed frames: every changed byte is in some chunk";
      }
      absl::StatusOr<BlockCheck> check = VerifyBlock(**reader);
      ASSERT_TRUE(check.ok()) << check.status();
      EXPECT_EQ(check->damaged_chunks, failed);
      EXPECT_EQ(check->chunks, chunks.size());
    }
    EXPECT_GT(variants, 0u) << c.name;
    if (std::string_view(c.name) == "data bit flipped") {
      EXPECT_GT(survived_open, 0u);
    }
  }
}

TEST_F(BlockTest, ChecksummedHeaderOfANewerVersionIsFailedPrecondition) {
  const std::string path = WriteBlock(env_, MakeGroups(5, 1, 5), BlockCompression::kNone);
  const std::string file = *env_.ReadFileToString(path);
  for (size_t byte : {4, 5, 6, 7}) {
    std::string newer = file;
    newer[byte] = byte == 5 ? '\x07' : '\x02';
    Reseal(newer);
    EXPECT_TRUE(absl::IsFailedPrecondition(BlockReader::OpenFromBytes(newer).status())) << byte;
  }
  std::string reserved = file;
  reserved[reserved.size() - 12] = 1;  // Footer's reserved word.
  Reseal(reserved);
  EXPECT_TRUE(absl::IsFailedPrecondition(BlockReader::OpenFromBytes(reserved).status()));
}

TEST_F(BlockTest, ChecksummedButInconsistentIndexIsDataLoss) {
  const std::string path = WriteBlock(env_, MakeGroups(8, 2, 5), BlockCompression::kNone);
  const std::string file = *env_.ReadFileToString(path);
  ASSERT_TRUE(BlockReader::OpenFromBytes(file).ok());
  const uint64_t index_offset =
      compression::DecodeFixed64(file.data() + file.size() - block::kFooterSize);
  // An uncompressed index frame: kind byte and raw length varint, then the index itself. Every
  // byte changed and resealed must either still describe a valid block or fail with DataLoss (or
  // FailedPrecondition for the index version byte).
  size_t refused = 0, changes = 0;
  for (uint64_t pos = index_offset + 3; pos < file.size() - block::kFooterSize; ++pos) {
    for (char delta : {1, 0x40}) {
      std::string changed = file;
      changed[pos] = static_cast<char>(changed[pos] + delta);
      Reseal(changed);
      ++changes;
      absl::StatusOr<std::unique_ptr<BlockReader>> reader = BlockReader::OpenFromBytes(changed);
      if (!reader.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(reader.status()) ||
                    absl::IsFailedPrecondition(reader.status()))
            << reader.status();
        ++refused;
        continue;
      }
      // Accepted: still self-consistent (a tag value or time changed, say). Reading must not crash.
      absl::StatusOr<BlockCheck> check = VerifyBlock(**reader);
      EXPECT_TRUE(check.ok()) << check.status();
    }
  }
  EXPECT_GT(refused, changes / 3);

  std::string miscounted = file;
  miscounted[miscounted.size() - 16] ^= 1;  // Footer's group count.
  Reseal(miscounted);
  EXPECT_TRUE(absl::IsDataLoss(BlockReader::OpenFromBytes(miscounted).status()));

  // A block renamed to another partition's name.
  BlockMeta other = kMeta;
  other.sequence = 8;
  EXPECT_TRUE(absl::IsDataLoss(
      BlockReader::OpenFromBytes(file, absl::StrCat(kDir, "/", BlockFileName(other))).status()));
  EXPECT_TRUE(BlockReader::OpenFromBytes(file, "/quarantine/renamed.blk.bad").ok());
}

// ------------------------------------------------------------------------------------------------
// Atomic publish

std::vector<std::string> BlocksIn(Env& env) {
  std::vector<std::string> names;
  absl::StatusOr<std::vector<std::string>> children = env.GetChildren(kDir);
  EXPECT_TRUE(children.ok()) << children.status();
  if (children.ok()) {
    for (const std::string& name : *children) {
      if (ParseBlockFileName(name).has_value()) names.push_back(name);
    }
  }
  return names;
}

TEST_F(BlockTest, UnfinishedBlockIsNeverVisible) {
  const std::vector<TestGroup> groups = MakeGroups(300, 2, 40);
  for (CrashMode mode :
       {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix, CrashMode::kGarbleUnsynced}) {
    for (DirCrashMode dir_mode : {DirCrashMode::kRevertUnsynced, DirCrashMode::kKeepAll}) {
      FaultInjectionEnv env(static_cast<uint64_t>(mode) * 2 + static_cast<uint64_t>(dir_mode));
      MakeDirs(env);
      absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
          BlockWriter::Create(&env, kDir, kMeta, BlockCompression::kLz4);
      ASSERT_TRUE(writer.ok());
      for (const TestGroup& g : groups) {
        ASSERT_TRUE((*writer)->AddGroup(g.key, g.ts_chunks, g.fields).ok());
      }
      ASSERT_GT((*writer)->file_bytes(), block::kTargetFrameBytes) << "frames were written";
      env.SimulateCrash(mode, dir_mode);
      EXPECT_TRUE(BlocksIn(env).empty());
      writer->reset();
    }
  }
  // Without a crash, dropping the writer removes its .tmp.
  {
    absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
        BlockWriter::Create(&env_, kDir, kMeta, BlockCompression::kLz4);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->AddGroup(groups[0].key, groups[0].ts_chunks, groups[0].fields).ok());
    EXPECT_EQ(env_.GetChildren(kDir)->size(), 1u);
  }
  EXPECT_TRUE(env_.GetChildren(kDir)->empty());
}

// A crash at any sync point of Finish leaves either no block or the whole block, in any crash
// mode: the block's bytes are synced before the rename makes it visible.
TEST_F(BlockTest, CrashAtEverySyncPointOfFinishLeavesNoBlockOrAWholeOne) {
  const std::vector<TestGroup> groups = MakeGroups(100, 2, 20);
  for (CrashMode mode :
       {CrashMode::kDropUnsynced, CrashMode::kKeepRandomPrefix, CrashMode::kGarbleUnsynced}) {
    for (DirCrashMode dir_mode : {DirCrashMode::kRevertUnsynced, DirCrashMode::kKeepAll}) {
      bool finished_without_crash = false;
      for (uint64_t crash_at = 1; !finished_without_crash; ++crash_at) {
        SCOPED_TRACE(absl::StrCat("mode ", static_cast<int>(mode), " dir mode ",
                                  static_cast<int>(dir_mode), " crash at ", crash_at));
        ASSERT_LT(crash_at, 10u);
        FaultInjectionEnv env(crash_at);
        MakeDirs(env);
        absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
            BlockWriter::Create(&env, kDir, kMeta, BlockCompression::kZstd);
        ASSERT_TRUE(writer.ok());
        for (const TestGroup& g : groups) {
          ASSERT_TRUE((*writer)->AddGroup(g.key, g.ts_chunks, g.fields).ok());
        }
        const uint64_t base = env.sync_points();
        bool crashed = false;
        env.SetSyncPointCallback([&](uint64_t point) {
          if (point == base + crash_at) {
            env.SimulateCrash(mode, dir_mode);
            crashed = true;
          }
        });
        absl::StatusOr<std::string> name = (*writer)->Finish();
        env.SetSyncPointCallback(nullptr);
        writer->reset();
        if (!crashed) {
          ASSERT_TRUE(name.ok()) << name.status();
          finished_without_crash = true;
          env.SimulateCrash(mode, dir_mode);
        } else {
          EXPECT_FALSE(name.ok());
        }
        const std::vector<std::string> blocks = BlocksIn(env);
        ASSERT_LE(blocks.size(), 1u);
        if (finished_without_crash) {
          ASSERT_EQ(blocks.size(), 1u) << "a finished block survives";
        }
        if (blocks.empty()) continue;
        std::unique_ptr<BlockReader> reader = OpenBlock(env, absl::StrCat(kDir, "/", blocks[0]));
        ASSERT_NE(reader, nullptr);
        ExpectBlockHolds(*reader, groups);
        ExpectVerifies(*reader);
      }
    }
  }
}

TEST_F(BlockTest, FailedSyncLeavesNoBlockAndTheWriterRefusesMore) {
  const std::vector<TestGroup> groups = MakeGroups(10, 1, 10);
  for (int failing_sync : {1, 2}) {
    FaultInjectionEnv env(failing_sync);
    MakeDirs(env);
    absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
        BlockWriter::Create(&env, kDir, kMeta, BlockCompression::kLz4);
    ASSERT_TRUE(writer.ok());
    for (const TestGroup& g : groups)
      ASSERT_TRUE((*writer)->AddGroup(g.key, g.ts_chunks, g.fields).ok());
    // Sync point 1 is the file's sync, 2 the directory's (after the rename).
    const uint64_t base = env.sync_points();
    env.SetSyncPointCallback([&](uint64_t point) {
      if (point == base + static_cast<uint64_t>(failing_sync)) env.FailNextSyncs(1);
    });
    const absl::StatusOr<std::string> name = (*writer)->Finish();
    env.SetSyncPointCallback(nullptr);
    EXPECT_FALSE(name.ok()) << "sync " << failing_sync;
    EXPECT_FALSE((*writer)->Finish().ok());
    EXPECT_TRUE(BlocksIn(env).empty()) << "sync " << failing_sync;
    writer->reset();
    EXPECT_TRUE(env.GetChildren(kDir)->empty()) << "no .tmp left, sync " << failing_sync;
  }
}

TEST_F(BlockTest, FullDiskLeavesNoBlock) {
  const std::vector<TestGroup> groups = MakeGroups(200, 2, 40);
  env_.SetDiskCapacity(env_.UsedBytes() + 20'000);
  absl::StatusOr<std::unique_ptr<BlockWriter>> writer =
      BlockWriter::Create(&env_, kDir, kMeta, BlockCompression::kNone);
  ASSERT_TRUE(writer.ok());
  absl::Status status;
  for (const TestGroup& g : groups) {
    status = (*writer)->AddGroup(g.key, g.ts_chunks, g.fields);
    if (!status.ok()) break;
  }
  if (status.ok()) status = (*writer)->Finish().status();
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_TRUE(absl::IsResourceExhausted((*writer)->AddGroup(groups[0].key, {}, {})));
  writer->reset();
  EXPECT_TRUE(env_.GetChildren(kDir)->empty());
}

}  // namespace
}  // namespace edgetsdb
