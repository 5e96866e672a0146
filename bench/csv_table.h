// Reads the data files that compression_report and the dataset tests measure: CSV or text, one
// value per line or delimited columns, as found in public benchmark folders. It is lenient by
// design (missing cells, R's row-name column, a BOM, CRLF, quoted text) because the aim is to get
// at the numbers in files nobody wrote for us, not to validate them.
//
// What a file becomes:
//  - The delimiter is the most frequent of ',', '\t', ';' outside quotes in the first non-blank
//    line; none of them means one value per line.
//  - A UTF-8 byte order mark, '\r' before '\n', blank lines and spaces around fields are ignored.
//    A quoted field may hold the delimiter.
//  - The first line is a header unless every field of it is a number, a missing cell or a
//    date-time. Columns without a header name are named col1, col2, ...; the single column of a
//    headerless one-value-per-line file is named "value". A first data row with one more field
//    than the header, the last one not empty, starts with an unnamed row-name column (R's
//    write.csv), named "row".
//  - A cell that is empty, NA, N/A or null (any case) is missing and skipped. "nan" is a number.
//  - A column is numeric when every non-missing cell is a number (std::from_chars, so exact and
//    locale-free; a leading '+' is accepted). In a one-value-per-line file, a line that is not a
//    number is skipped and counted instead.
//  - One timestamp series (UTC nanoseconds) is taken, in this order of preference, from a column
//    named time/timestamp/date/datetime holding date-times or epoch numbers (s, ms, us or ns, by
//    magnitude); from year/month/day[/hour/minute/second] columns; from any column of date-times.
//    Date-times are YYYY-MM-DD[( |T)HH:MM[:SS[.frac]][Z|(+|-)HH[[:]MM]]], or with '/' in the date.
//    The columns a series is taken from are listed nowhere else in the table.
#ifndef EDGETSDB_BENCH_CSV_TABLE_H_
#define EDGETSDB_BENCH_CSV_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edgetsdb::bench {

struct NumericColumn {
  std::string name;
  std::vector<double> values;  // The non-missing cells, in row order.
  size_t missing = 0;          // Cells skipped as missing (empty, NA, N/A, null).
};

struct TimestampSeries {
  // The source column's name, or the date-part columns' names joined by '+' ("year+month+day").
  std::string name;
  // UTC nanoseconds, in row order. Rows without a timestamp (a missing cell) are left out.
  std::vector<int64_t> nanos;
};

struct Table {
  size_t rows = 0;  // Data rows: non-blank lines after the header.
  // One-value-per-line files only: lines that are not numbers (nor date-times, in a file of
  // date-times).
  size_t skipped_lines = 0;
  // Each list below is in the file's column order.
  std::vector<NumericColumn> numeric_columns;  // Those with at least one value.
  std::vector<std::string> text_columns;       // Names of columns with a non-numeric cell.
  // Names of columns without a value: every cell missing or, in a one-value-per-line file,
  // every line skipped.
  std::vector<std::string> empty_columns;
  std::optional<TimestampSeries> timestamps;  // Never empty when present.
};

// Parses the contents of a data file as described at the top of this file. Any text is a table:
// one without numbers just has no numeric column.
Table ParseTable(std::string_view text);

// The whole contents of a file. NotFound when it cannot be opened, DataLoss on a read error.
absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path);

// ReadFile, then ParseTable.
absl::StatusOr<Table> ReadTable(const std::filesystem::path& path);

// Whether a file is read as data, by its name alone: .csv, .txt, .tsv, .dat or no extension, and
// neither hidden nor a repository document (README, LICENSE, PROVENANCE, ... with any extension).
bool IsDataFileName(const std::filesystem::path& path);

// A path given to ListDataFiles that yielded no data file, or not all of them.
struct PathProblem {
  enum class Kind {
    kInaccessible,  // Does not exist or cannot be stat'ed: the caller's mistake.
    kNotDataFile,   // A file named explicitly that IsDataFileName rejects.
    kWalkError,     // A folder whose walk stopped early; the files found before are listed.
  };
  Kind kind;
  std::string path;    // As given.
  std::string detail;  // The system's message; empty for kNotDataFile.
};

struct DataFiles {
  std::vector<std::filesystem::path> files;
  std::vector<PathProblem> problems;  // In the order of the paths given.
};

// Expands files and folders into the data files to read: each path in the order given, a folder
// walked recursively (hidden folders skipped, unreadable ones passed over) and sorted, so that two
// runs over the same tree list the same files in the same order. Keeps only regular files that
// IsDataFileName accepts.
DataFiles ListDataFiles(const std::vector<std::string>& paths);

}  // namespace edgetsdb::bench

#endif  // EDGETSDB_BENCH_CSV_TABLE_H_
