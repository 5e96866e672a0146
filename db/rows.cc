#include "db/rows.h"

#include <bit>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace edgetsdb::head_internal {
namespace {

namespace c = compression;

std::vector<const std::vector<std::string>*> StringColumns(const Rows& rows) {
  std::vector<const std::vector<std::string>*> out;
  for (const Rows::Column& column : rows.columns) {
    if (column.type == FieldType::kString) out.push_back(&column.strings);
  }
  return out;
}

template <typename T>
std::vector<T> Gather(const Rows::Column& column, const std::vector<size_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (size_t r : rows) {
    if constexpr (std::is_same_v<T, std::string>) {
      out.push_back(column.strings[r]);
    } else if constexpr (std::is_same_v<T, double>) {
      out.push_back(std::bit_cast<double>(column.bits[r]));
    } else if constexpr (std::is_same_v<T, uint8_t>) {
      out.push_back(column.bits[r] != 0);
    } else {
      out.push_back(static_cast<T>(column.bits[r]));
    }
  }
  return out;
}

template <typename T>
absl::Status EncodeValues(const std::vector<int64_t>& ts, const Rows::Column& column,
                          const std::vector<size_t>& rows, const c::ChunkEncodeOptions& options,
                          std::string* out) {
  const std::vector<T> values = Gather<T>(column, rows);
  return c::EncodeChunk(ts, absl::MakeConstSpan(values), options, out);
}

}  // namespace

std::vector<size_t> CutPoints(const Rows& rows, size_t begin, size_t end,
                              const HeadOptions& options) {
  std::vector<size_t> cuts;
  if (begin >= end) return cuts;
  const std::vector<int64_t>& ts = rows.ts;
  const std::vector<const std::vector<std::string>*> string_columns = StringColumns(rows);
  std::vector<size_t> string_bytes(string_columns.size(), 0);
  // Adds the row's strings to the piece's; true when some column would then exceed the limit.
  auto add_strings = [&](size_t row) {
    bool overflow = false;
    for (size_t s = 0; s < string_columns.size(); ++s) {
      const std::vector<std::string>& column = *string_columns[s];
      string_bytes[s] += row < column.size() ? column[row].size() : 0;
      overflow |= string_bytes[s] > c::kMaxStringChunkBytes;
    }
    return overflow;
  };
  size_t start = begin;
  // The last timestamp of the piece's partition (its end may be kMaxTime, which it includes).
  auto partition_last = [&](int64_t t) {
    const int64_t end = PartitionEnd(PartitionStart(t, options.partition_ns), options.partition_ns);
    return end == kMaxTime ? kMaxTime : end - 1;
  };
  int64_t last = partition_last(ts[begin]);
  add_strings(begin);
  for (size_t i = begin + 1; i < end; ++i) {
    const uint64_t span = static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[start]);
    const bool cut = i - start >= options.max_chunk_values ||
                     span > static_cast<uint64_t>(options.max_chunk_span_ns) || ts[i] > last ||
                     (!string_columns.empty() && add_strings(i));
    if (cut) {
      cuts.push_back(i);
      start = i;
      last = partition_last(ts[i]);
      std::fill(string_bytes.begin(), string_bytes.end(), 0);
      add_strings(i);
    }
  }
  cuts.push_back(end);
  return cuts;
}

ValueColumn GatherValues(const Rows::Column& column, const std::vector<size_t>& rows) {
  switch (column.type) {
    case FieldType::kFloat:
      return Gather<double>(column, rows);
    case FieldType::kInt:
      return Gather<int64_t>(column, rows);
    case FieldType::kUint:
      return Gather<uint64_t>(column, rows);
    case FieldType::kBool:
      return Gather<uint8_t>(column, rows);
    case FieldType::kString:
      return Gather<std::string>(column, rows);
  }
  return {};
}

absl::Status EncodeColumn(const Rows& all, const Rows::Column& column,
                          const std::vector<size_t>& rows, bool aligned, c::Codec codec,
                          std::string* out) {
  std::vector<int64_t> ts;
  ts.reserve(rows.size());
  for (size_t r : rows) ts.push_back(all.ts[r]);
  c::ChunkEncodeOptions options;
  options.store_timestamps = !aligned;
  options.value_codec = codec;
  switch (column.type) {
    case FieldType::kFloat:
      return EncodeValues<double>(ts, column, rows, options, out);
    case FieldType::kInt:
      return EncodeValues<int64_t>(ts, column, rows, options, out);
    case FieldType::kUint:
      return EncodeValues<uint64_t>(ts, column, rows, options, out);
    case FieldType::kBool:
      return EncodeValues<uint8_t>(ts, column, rows, options, out);
    case FieldType::kString:
      return EncodeValues<std::string>(ts, column, rows, options, out);
  }
  return absl::InternalError("head: unknown field type");
}

absl::Status EncodeTimestampChunk(const Rows& rows, size_t begin, size_t end, std::string* out) {
  const std::vector<uint8_t> zeros(end - begin, 0);
  return c::EncodeChunk(absl::MakeConstSpan(rows.ts).subspan(begin, end - begin),
                        absl::MakeConstSpan(zeros), {}, out);
}

void PresentRows(const Rows::Column& column, size_t begin, size_t end, std::vector<size_t>* out) {
  out->clear();
  for (size_t r = begin; r < end; ++r) {
    if (column.Present(r)) out->push_back(r);
  }
}

absl::Status StoreValues(c::Column values, const std::vector<size_t>& rows, Rows::Column& column,
                         Rows* owner) {
  return std::visit(
      [&](auto& v) -> absl::Status {
        using T = typename std::decay_t<decltype(v)>::value_type;
        if (v.size() != rows.size()) return absl::DataLossError("chunk value count");
        if (!rows.empty()) column.Grow(rows.back() + 1);  // Rows ascend.
        for (size_t i = 0; i < rows.size(); ++i) {
          if constexpr (std::is_same_v<T, std::string>) {
            owner->SetString(column, rows[i], std::move(v[i]));
          } else if constexpr (std::is_same_v<T, double>) {
            column.SetBits(rows[i], std::bit_cast<uint64_t>(v[i]));
          } else {
            column.SetBits(rows[i], static_cast<uint64_t>(v[i]));
          }
        }
        return absl::OkStatus();
      },
      values);
}

absl::Status EncodeFlushGroup(const Rows& rows, size_t begin, size_t end,
                              const std::vector<FieldInfo>& infos, const HeadOptions& options,
                              FlushGroup* out) {
  // A field shares the group's timestamp chunks when it has a value at every timestamp of the
  // range, as the block format has it; otherwise each of its chunks carries its own.
  std::vector<size_t> order;  // Columns with a value in the range, by key.
  std::vector<bool> shared(rows.columns.size());
  std::vector<size_t> present;
  for (size_t col = 0; col < rows.columns.size(); ++col) {
    PresentRows(rows.columns[col], begin, end, &present);
    if (present.empty()) continue;
    shared[col] = present.size() == end - begin;
    order.push_back(col);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return infos[rows.columns[a].field].key < infos[rows.columns[b].field].key;
  });
  const bool any_shared =
      std::any_of(order.begin(), order.end(), [&](size_t col) { return shared[col]; });

  out->timestamp_chunks.clear();
  out->fields.clear();
  out->fields.resize(order.size());
  for (size_t f = 0; f < order.size(); ++f) {
    out->fields[f].key = infos[rows.columns[order[f]].field].key;
    out->fields[f].type = rows.columns[order[f]].type;
  }
  auto failed = [](const absl::Status& s) {
    return absl::InternalError(absl::StrCat("encoding a flushed group failed: ", s.message()));
  };
  size_t piece_begin = begin;
  for (size_t piece_end : CutPoints(rows, begin, end, options)) {
    if (any_shared) {
      out->timestamp_chunks.emplace_back();
      if (absl::Status s =
              EncodeTimestampChunk(rows, piece_begin, piece_end, &out->timestamp_chunks.back());
          !s.ok()) {
        return failed(s);
      }
    }
    for (size_t f = 0; f < order.size(); ++f) {
      const Rows::Column& column = rows.columns[order[f]];
      PresentRows(column, piece_begin, piece_end, &present);
      if (present.empty()) continue;
      std::string chunk;
      if (absl::Status s =
              EncodeColumn(rows, column, present, shared[order[f]], c::Codec::kNone, &chunk);
          !s.ok()) {
        return failed(s);
      }
      out->fields[f].chunks.push_back(std::move(chunk));
    }
    piece_begin = piece_end;
  }
  return absl::OkStatus();
}

}  // namespace edgetsdb::head_internal
