#include "db/compaction.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "compression/chunk.h"
#include "db/block_query.h"
#include "db/rows.h"

namespace edgetsdb {
namespace {

namespace c = compression;
using head_internal::Rows;

// Floor of t to the window width (aligned to the epoch), as partitions are.
int64_t WindowStartOf(int64_t t, int64_t width) { return PartitionStart(t, width); }

absl::Status Damaged(const BlockReader& block, const absl::Status& cause) {
  return absl::DataLossError(absl::StrCat(block.path(), ": ", cause.message()));
}

// The chunk parsed; its views stay valid until scan reads a few more frames.
absl::StatusOr<c::ParsedChunk> ReadParsed(const BlockReader& block, const ChunkRef& ref,
                                          BlockScan* scan) {
  absl::StatusOr<std::string_view> bytes = scan->ReadChunk(block, ref);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<c::ParsedChunk> chunk = c::ParseChunk(*bytes);
  if (!chunk.ok()) return Damaged(block, chunk.status());
  return chunk;
}

// The group's fields, by key, with local ids for Rows::Column::field.
struct FieldTable {
  std::vector<FieldInfo> infos;
  absl::flat_hash_map<std::string, uint32_t> ids;

  // The id for key, and whether an older column of another type must be dropped (the newer type
  // wins, as the newer source would in a query).
  uint32_t Id(std::string_view key, FieldType type, Rows* rows) {
    const auto [it, inserted] =
        ids.try_emplace(std::string(key), static_cast<uint32_t>(infos.size()));
    const uint32_t id = it->second;  // Not the binding: clang 14 cannot capture one.
    if (inserted) {
      infos.push_back({std::string(key), type});
    } else if (infos[id].type != type) {
      infos[id].type = type;
      std::erase_if(rows->columns, [id](const Rows::Column& column) { return column.field == id; });
    }
    return id;
  }
};

// Appends one block's rows for a group to rows: the shared timestamps once, with the shared
// fields' values on them, then each other field's points as rows of their own (SortAndMerge folds
// equal timestamps together later).
absl::Status AppendGroup(const BlockReader& block, const BlockGroup& group, FieldTable* fields,
                         Rows* rows, BlockScan* scan) {
  std::vector<int64_t> ts;
  std::vector<size_t> at;
  std::vector<size_t> chunk_base;  // First row of each timestamp chunk.
  for (const ChunkRef& ref : group.timestamp_chunks) {
    absl::StatusOr<c::ParsedChunk> chunk = ReadParsed(block, ref, scan);
    if (!chunk.ok()) return chunk.status();
    ts.clear();
    if (absl::Status s = c::DecodeChunkTimestamps(*chunk, &ts); !s.ok()) return Damaged(block, s);
    chunk_base.push_back(rows->size());
    rows->ts.insert(rows->ts.end(), ts.begin(), ts.end());
  }
  for (const BlockField& field : group.fields) {
    const uint32_t id = fields->Id(field.key, field.type, rows);
    for (size_t i = 0; i < field.chunks.size(); ++i) {
      absl::StatusOr<c::ParsedChunk> chunk = ReadParsed(block, field.chunks[i], scan);
      if (!chunk.ok()) return chunk.status();
      absl::StatusOr<c::Column> values = c::DecodeChunkValues(*chunk);
      if (!values.ok()) return Damaged(block, values.status());
      if (static_cast<FieldType>(values->index()) != field.type) {
        return Damaged(block, absl::DataLossError("chunk type differs from its field's"));
      }
      at.clear();
      if (field.shared_timestamps) {
        if (i >= chunk_base.size() || field.chunks[i].count != group.timestamp_chunks[i].count) {
          return Damaged(block, absl::DataLossError("shared chunk without its timestamps"));
        }
        for (size_t r = 0; r < field.chunks[i].count; ++r) at.push_back(chunk_base[i] + r);
      } else {
        ts.clear();
        if (absl::Status s = c::DecodeChunkTimestamps(*chunk, &ts); !s.ok()) {
          return Damaged(block, s);
        }
        for (int64_t t : ts) {
          at.push_back(rows->size());
          rows->ts.push_back(t);
        }
      }
      Rows::Column& column = rows->ColumnFor(id, field.type, 0);
      if (absl::Status s = head_internal::StoreValues(*std::move(values), at, column, rows);
          !s.ok()) {
        return Damaged(block, s);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// The partition width and the level widths the retention allows, ascending.
std::vector<int64_t> UsableWidths(const CompactionLevels& levels, int64_t retention_ns) {
  std::vector<int64_t> widths = {levels.partition_ns};
  for (int64_t w : levels.levels_ns) {
    if (w <= widths.back() || w % widths.back() != 0) continue;
    if (retention_ns > 0 && w > retention_ns / 2) break;
    widths.push_back(w);
  }
  return widths;
}

}  // namespace

std::pair<int64_t, int64_t> FlushWindow(int64_t partition_start, const CompactionLevels& levels,
                                        int64_t now, int64_t retention_ns) {
  const std::vector<int64_t> widths = UsableWidths(levels, retention_ns);
  for (size_t level = widths.size(); level-- > 1;) {
    const int64_t start = WindowStartOf(partition_start, widths[level]);
    const int64_t end = PartitionEnd(start, widths[level]);
    if (end != kMaxTime && end <= now - levels.partition_ns) return {start, end};
  }
  return {partition_start, PartitionEnd(partition_start, levels.partition_ns)};
}

std::optional<CompactionPlan> PlanCompaction(absl::Span<const BlockMeta> blocks,
                                             const CompactionLevels& levels, int64_t now,
                                             int64_t retention_ns) {
  const int64_t partition = levels.partition_ns;
  if (partition <= 0 || blocks.empty()) return std::nullopt;
  const std::vector<int64_t> widths = UsableWidths(levels, retention_ns);
  // Flushes under memory pressure can write several blocks into the current partition; merge
  // them early once there are this many rather than let reads open them all.
  constexpr size_t kMaxBlocksPerOpenPartition = 4;

  for (size_t level = widths.size(); level-- > 0;) {
    const int64_t width = widths[level];
    // Windows (by start) with the blocks that lie inside them, oldest first.
    std::map<int64_t, std::vector<size_t>> windows;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const int64_t start = WindowStartOf(blocks[i].start, width);
      const int64_t end = PartitionEnd(start, width);
      if (blocks[i].end <= end || end == kMaxTime) windows[start].push_back(i);
    }
    for (auto& [start, inputs] : windows) {
      const int64_t end = PartitionEnd(start, width);
      const bool due = end != kMaxTime && end <= now - partition;
      const bool whole =
          inputs.size() == 1 && blocks[inputs[0]].start == start && blocks[inputs[0]].end == end;
      if (whole) continue;
      if (level == 0 && inputs.size() < 2) continue;
      if (!due && !(level == 0 && inputs.size() >= kMaxBlocksPerOpenPartition)) continue;
      CompactionPlan plan;
      plan.inputs = inputs;
      plan.start = start;
      plan.end = end;
      plan.codec = level == 0 ? c::BlockCompression::kLz4 : c::BlockCompression::kZstd;
      return plan;
    }
  }
  return std::nullopt;
}

absl::Status AddFlushGroup(BlockWriter* writer, FlushGroup&& group) {
  std::vector<FieldChunks> fields;
  fields.reserve(group.fields.size());
  for (FlushField& field : group.fields) {
    fields.push_back({std::move(field.key), field.type, std::move(field.chunks)});
  }
  return writer->AddGroup(group.series_key, group.timestamp_chunks, fields);
}

absl::StatusOr<std::string> MergeBlocks(Env* env, const std::string& dir,
                                        absl::Span<const BlockReader* const> inputs,
                                        const BlockMeta& out, compression::BlockCompression codec,
                                        uint32_t max_chunk_values) {
  absl::StatusOr<std::unique_ptr<BlockWriter>> writer = BlockWriter::Create(env, dir, out, codec);
  if (!writer.ok()) return writer.status();
  HeadOptions cut;
  cut.max_chunk_values = std::clamp<uint32_t>(max_chunk_values, 1, c::kMaxChunkValues);
  cut.partition_ns = out.end - out.start;
  cut.max_chunk_span_ns = out.end - out.start;

  // A k-way walk over the inputs' groups, which each lists in series key order.
  std::vector<uint32_t> cursor(inputs.size(), 0);
  // One per input, so that its frames are decompressed about once however the inputs interleave.
  std::vector<BlockScan> scans(inputs.size());
  std::vector<std::string> keys(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i]->group_count() > 0) keys[i] = inputs[i]->series_key(0);
  }
  for (;;) {
    const std::string* smallest = nullptr;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (cursor[i] < inputs[i]->group_count() && (smallest == nullptr || keys[i] < *smallest)) {
        smallest = &keys[i];
      }
    }
    if (smallest == nullptr) break;
    const std::string key = *smallest;
    Rows rows;
    FieldTable fields;
    for (size_t i = 0; i < inputs.size(); ++i) {  // Oldest first: later rows win.
      if (cursor[i] >= inputs[i]->group_count() || keys[i] != key) continue;
      const BlockGroup group = inputs[i]->group(cursor[i]);
      if (absl::Status s = AppendGroup(*inputs[i], group, &fields, &rows, &scans[i]); !s.ok()) {
        return s;
      }
      if (++cursor[i] < inputs[i]->group_count()) keys[i] = inputs[i]->series_key(cursor[i]);
    }
    rows.SortAndMerge();
    // Rows outside the output's range cannot exist in valid inputs; drop them defensively.
    const size_t begin =
        std::lower_bound(rows.ts.begin(), rows.ts.end(), out.start) - rows.ts.begin();
    const size_t end =
        out.end == kMaxTime
            ? rows.size()
            : std::lower_bound(rows.ts.begin(), rows.ts.end(), out.end) - rows.ts.begin();
    if (begin >= end) continue;
    FlushGroup group;
    group.series_key = key;
    if (absl::Status s =
            head_internal::EncodeFlushGroup(rows, begin, end, fields.infos, cut, &group);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = AddFlushGroup(writer->get(), std::move(group)); !s.ok()) return s;
  }
  return (*writer)->Finish();
}

}  // namespace edgetsdb
