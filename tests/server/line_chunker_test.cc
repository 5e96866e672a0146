// LineChunker: whole lines in bounded chunks, with the line number each starts at, whatever the
// read size; overlong lines skipped in bounded memory.
#include "server/line_chunker.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace edgetsdb::cli {
namespace {

struct Chunk {
  std::string text;
  size_t first_line;
  size_t lines;
  bool overlong;

  friend bool operator==(const Chunk&, const Chunk&) = default;
};

void PrintTo(const Chunk& c, std::ostream* os) {
  *os << "{\"" << c.text << "\", line " << c.first_line << ", " << c.lines << " lines"
      << (c.overlong ? ", overlong" : "") << "}";
}

std::vector<Chunk> Chunks(const std::string& input, LineChunker::Limits limits) {
  std::istringstream in(input);
  LineChunker chunker(in, limits);
  std::vector<Chunk> chunks;
  LineChunk chunk;
  while (chunker.Next(&chunk)) {
    chunks.push_back({std::string(chunk.text), chunk.first_line, chunk.lines, chunk.overlong});
  }
  EXPECT_FALSE(chunker.read_error());
  return chunks;
}

LineChunker::Limits Limits(size_t max_lines, size_t max_bytes, size_t max_line_bytes,
                           size_t read_bytes) {
  return {.max_lines = max_lines,
          .max_bytes = max_bytes,
          .max_line_bytes = max_line_bytes,
          .read_bytes = read_bytes};
}

TEST(LineChunkerTest, EmptyInputHasNoChunks) {
  EXPECT_TRUE(Chunks("", LineChunker::Limits()).empty());
}

TEST(LineChunkerTest, ChunksHoldAtMostMaxLinesAndNumberThem) {
  for (size_t read_bytes : {1, 3, 7, 1024}) {
    SCOPED_TRACE(read_bytes);
    EXPECT_EQ(Chunks("a\nb\nc\nd\ne\n", Limits(2, 1024, 1024, read_bytes)),
              (std::vector<Chunk>{
                  {"a\nb\n", 1, 2, false}, {"c\nd\n", 3, 2, false}, {"e\n", 5, 1, false}}));
  }
}

TEST(LineChunkerTest, LastLineWithoutNewlineIsKept) {
  for (size_t read_bytes : {1, 2, 1024}) {
    SCOPED_TRACE(read_bytes);
    EXPECT_EQ(Chunks("a\n\nb", Limits(10, 1024, 1024, read_bytes)),
              (std::vector<Chunk>{{"a\n\nb", 1, 3, false}}));
  }
}

TEST(LineChunkerTest, ChunkStopsBeforeTheLineThatWouldPassMaxBytes) {
  // 4 + 4 fits in 9 bytes; a third line would not. A single line longer than max_bytes (but not
  // than max_line_bytes) still makes a chunk.
  EXPECT_EQ(Chunks("aaa\nbbb\nccc\n0123456789\nd\n", Limits(100, 9, 64, 5)),
            (std::vector<Chunk>{{"aaa\nbbb\n", 1, 2, false},
                                {"ccc\n", 3, 1, false},
                                {"0123456789\n", 4, 1, false},
                                {"d\n", 5, 1, false}}));
}

TEST(LineChunkerTest, OverlongLineIsSkippedAndCountedAsOneLine) {
  const std::string input = absl::StrCat("a\n", std::string(100, 'x'), "\nb\n");
  for (size_t read_bytes : {1, 8, 1000}) {
    SCOPED_TRACE(read_bytes);
    EXPECT_EQ(Chunks(input, Limits(10, 1000, 16, read_bytes)),
              (std::vector<Chunk>{{"a\n", 1, 1, false}, {"", 2, 1, true}, {"b\n", 3, 1, false}}));
  }
}

TEST(LineChunkerTest, InputWithoutNewlinesCostsBoundedMemory) {
  // A binary file picked by mistake: one overlong "line" and nothing else.
  EXPECT_EQ(Chunks(std::string(1 << 20, 'x'), Limits(10, 1000, 4096, 512)),
            (std::vector<Chunk>{{"", 1, 1, true}}));
}

}  // namespace
}  // namespace edgetsdb::cli
