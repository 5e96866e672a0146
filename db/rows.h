// Rows: a group's (device's) points decoded into columns, the form in which the head and
// compaction sort, merge (last write wins) and cut points before encoding them as chunks. Shared by
// db/head.cc and db/compaction.cc; not part of the public API.
#ifndef EDGETSDB_DB_ROWS_H_
#define EDGETSDB_DB_ROWS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "compression/chunk.h"
#include "compression/codec.h"
#include "db/head.h"
#include "edgetsdb/db.h"
#include "edgetsdb/point.h"

namespace edgetsdb {

// What the allocator adds to each block (glibc: an 8-byte header, 16-byte granularity).
inline constexpr size_t kAllocationOverheadBytes = 16;

// Heap bytes behind a buffer of this capacity.
inline size_t AllocationBytes(size_t capacity_bytes) {
  return capacity_bytes == 0 ? 0 : capacity_bytes + kAllocationOverheadBytes;
}

// Bytes a std::string holds outside itself (libstdc++ keeps up to 15 bytes inline).
inline size_t HeapBytes(const std::string& s) {
  return s.capacity() > 15 ? AllocationBytes(s.capacity() + 1) : 0;
}

// Floor of t to a multiple of width, clamped to kMinTime.
inline int64_t PartitionStart(int64_t t, int64_t width) {
  int64_t r = t % width;
  if (r < 0) r += width;
  if (t < kMinTime + r) return kMinTime;
  return t - r;
}

inline int64_t PartitionEnd(int64_t start, int64_t width) {
  if (start == kMinTime) {
    // Clamped (unless kMinTime is aligned): it ends where the aligned partition holding kMinTime
    // does, where PartitionStart begins the next one. Cannot overflow: kMinTime + width < 0.
    int64_t r = start % width;
    if (r < 0) r += width;
    return start + (width - r);
  }
  if (start > kMaxTime - width) return kMaxTime;
  return start + width;
}

namespace head_internal {

// Rows of one group: a timestamp column and one column per field, typed values by row plus a
// presence bitmap (a row may lack some fields). Columns may be shorter than the timestamp column:
// rows past a column's end lack that field. The open run is a Rows in arrival order; sealing,
// queries and flushes merge into one and sort it.
struct Rows {
  struct Column {
    uint32_t field = 0;  // Measurement field id.
    FieldType type = FieldType::kFloat;
    // The codec the automatic choice picked when these values were last encoded, if they were
    // (see Head::Seal).
    compression::Codec codec_hint = compression::Codec::kNone;
    std::vector<uint64_t> bits;        // Numeric and bool values (double bits, 0/1), by row.
    std::vector<std::string> strings;  // String values, by row.
    std::vector<uint64_t> present;     // Bitmap by row.

    bool Present(size_t row) const {
      const size_t word = row / 64;
      return word < present.size() && (present[word] >> (row % 64) & 1) != 0;
    }
    void MarkPresent(size_t row) {
      const size_t word = row / 64;
      if (word >= present.size()) present.resize(word + 1);
      present[word] |= uint64_t{1} << (row % 64);
    }
    void SetBits(size_t row, uint64_t v) {
      if (bits.size() <= row) bits.resize(row + 1);
      bits[row] = v;
      MarkPresent(row);
    }
    void SetString(size_t row, std::string v) {
      if (strings.size() <= row) strings.resize(row + 1);
      strings[row] = std::move(v);
      MarkPresent(row);
    }
    // Makes room for rows [0, rows), so that setting them does not reallocate.
    void Grow(size_t rows) {
      if (type == FieldType::kString) {
        if (strings.size() < rows) strings.resize(rows);
      } else if (bits.size() < rows) {
        bits.resize(rows);
      }
      if (present.size() < (rows + 63) / 64) present.resize((rows + 63) / 64);
    }
    void Clear() {
      bits.clear();
      strings.clear();
      present.clear();
    }
  };

  std::vector<int64_t> ts;
  std::vector<Column> columns;
  size_t string_bytes = 0;  // Heap bytes of the string values, for memory accounting.

  size_t size() const { return ts.size(); }

  // The column of the field, created if missing. hint: the position to try first.
  Column& ColumnFor(uint32_t field, FieldType type, size_t hint) {
    if (hint < columns.size() && columns[hint].field == field) return columns[hint];
    for (Column& column : columns) {
      if (column.field == field) return column;
    }
    columns.emplace_back();
    columns.back().field = field;
    columns.back().type = type;
    return columns.back();
  }

  void SetString(Column& column, size_t row, std::string value) {
    string_bytes += HeapBytes(value);
    column.SetString(row, std::move(value));
  }

  // Appends src's rows, which are newer than these, with only the wanted columns (by field id;
  // nullptr = all).
  void Append(const Rows& src, const std::vector<bool>* wanted) {
    const size_t base = size();
    ts.insert(ts.end(), src.ts.begin(), src.ts.end());
    for (size_t c = 0; c < src.columns.size(); ++c) {
      const Column& from = src.columns[c];
      if (wanted != nullptr && !(*wanted)[from.field]) continue;
      Column* to = nullptr;
      const size_t n = std::max(from.bits.size(), from.strings.size());
      for (size_t r = 0; r < n; ++r) {
        if (!from.Present(r)) continue;
        if (to == nullptr) {
          to = &ColumnFor(from.field, from.type, c);
          to->Grow(base + n);
        }
        if (from.type == FieldType::kString) {
          SetString(*to, base + r, from.strings[r]);
        } else {
          to->SetBits(base + r, from.bits[r]);
        }
      }
    }
  }

  // Sorts by time, stably, and merges rows with equal timestamps into one: for each field, the
  // value of the last row (in the order given) that has it. Afterwards timestamps strictly ascend.
  void SortAndMerge() {
    const size_t n = size();
    bool strictly_ascending = true;
    for (size_t i = 1; i < n && strictly_ascending; ++i) strictly_ascending = ts[i - 1] < ts[i];
    if (strictly_ascending) return;

    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [this](uint32_t a, uint32_t b) { return ts[a] < ts[b]; });
    Rows out;
    out.ts.reserve(n);
    out.columns.reserve(columns.size());
    for (const Column& column : columns) {
      out.columns.emplace_back();
      out.columns.back().field = column.field;
      out.columns.back().type = column.type;
      out.columns.back().codec_hint = column.codec_hint;
    }
    for (size_t i = 0; i < n;) {
      size_t j = i + 1;
      while (j < n && ts[order[j]] == ts[order[i]]) ++j;
      const size_t row = out.ts.size();
      out.ts.push_back(ts[order[i]]);
      for (size_t c = 0; c < columns.size(); ++c) {
        Column& from = columns[c];
        for (size_t k = j; k-- > i;) {
          if (!from.Present(order[k])) continue;
          if (from.type == FieldType::kString) {
            out.SetString(out.columns[c], row, std::move(from.strings[order[k]]));
          } else {
            out.columns[c].SetBits(row, from.bits[order[k]]);
          }
          break;
        }
      }
      i = j;
    }
    *this = std::move(out);
  }

  void Clear() {
    ts.clear();
    for (Column& column : columns) column.Clear();
    string_bytes = 0;
  }

  size_t MemoryBytes() const {
    size_t bytes = AllocationBytes(ts.capacity() * sizeof(int64_t)) +
                   AllocationBytes(columns.capacity() * sizeof(Column));
    for (const Column& column : columns) {
      bytes += AllocationBytes(column.bits.capacity() * sizeof(uint64_t)) +
               AllocationBytes(column.present.capacity() * sizeof(uint64_t)) +
               AllocationBytes(column.strings.capacity() * sizeof(std::string));
    }
    return bytes + string_bytes;
  }
};

// Where sorted rows [begin, end) are cut into runs or chunks: at max_chunk_values rows, when the
// span would exceed max_chunk_span_ns, at partition boundaries, and before a string column would
// exceed what a chunk may hold. Returns the end of each piece.
std::vector<size_t> CutPoints(const Rows& rows, size_t begin, size_t end,
                              const HeadOptions& options);

// Encodes the column's values at the given rows (ascending) as one chunk; aligned chunks store no
// timestamps of their own. codec: as ChunkEncodeOptions::value_codec; kNone for the automatic
// choice.
absl::Status EncodeColumn(const Rows& all, const Rows::Column& column,
                          const std::vector<size_t>& rows, bool aligned, compression::Codec codec,
                          std::string* out);

// A timestamp chunk for rows [begin, end): the timestamps, and bool values that readers ignore,
// all false as the block format's writers store them (docs/format/block.md); run-length coded,
// they take a few bytes.
absl::Status EncodeTimestampChunk(const Rows& rows, size_t begin, size_t end, std::string* out);

// The rows of [begin, end) where the column has a value.
void PresentRows(const Rows::Column& column, size_t begin, size_t end, std::vector<size_t>* out);

// The column's values at the given rows, typed.
ValueColumn GatherValues(const Rows::Column& column, const std::vector<size_t>& rows);

// Stores decoded chunk values at the given rows (ascending) of column.
absl::Status StoreValues(compression::Column values, const std::vector<size_t>& rows,
                         Rows::Column& column, Rows* owner);

// Encodes sorted, merged rows [begin, end) of one group as a block stores them (FlushGroup):
// cut as CutPoints says, fields sorted by key (infos[column.field].key), a field sharing the
// group's timestamp chunks when it has a value in every row. Internal if encoding fails (a bug).
absl::Status EncodeFlushGroup(const Rows& rows, size_t begin, size_t end,
                              const std::vector<FieldInfo>& infos, const HeadOptions& options,
                              FlushGroup* out);

}  // namespace head_internal
}  // namespace edgetsdb

#endif  // EDGETSDB_DB_ROWS_H_
