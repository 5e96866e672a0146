// LineChunker: cuts a stream of text into chunks of whole lines, bounded in lines and bytes, so
// that `edgetsdb import` handles a file of any size in constant memory and knows the line number
// each chunk starts at.
#ifndef EDGETSDB_SERVER_LINE_CHUNKER_H_
#define EDGETSDB_SERVER_LINE_CHUNKER_H_

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace edgetsdb::cli {

struct LineChunk {
  // Whole lines, each with its '\n' (the input's last line may lack it). Valid until the next call
  // to Next. Empty when `overlong` is set.
  std::string_view text;
  size_t first_line = 1;  // 1-based line number of text's first line.
  size_t lines = 0;       // Lines in text (or 1 for an overlong line).
  // Line first_line was longer than max_line_bytes and was skipped, unread, to its end: a chunk
  // of its own, so that a file without newlines (a binary picked by mistake) costs bounded memory.
  bool overlong = false;
};

class LineChunker {
 public:
  struct Limits {
    size_t max_lines = 5000;
    // A chunk stops before the line that would take it past this (a single longer line still
    // makes a chunk, up to max_line_bytes).
    size_t max_bytes = size_t{4} << 20;
    size_t max_line_bytes = size_t{16} << 20;
    size_t read_bytes = size_t{1} << 20;  // Per read from the stream.
  };

  // in must outlive the chunker.
  LineChunker(std::istream& in, Limits limits);
  explicit LineChunker(std::istream& in) : LineChunker(in, Limits()) {}

  // The next chunk; false at the end of the input or after a read error (then read_error()).
  bool Next(LineChunk* chunk);
  bool read_error() const { return read_error_; }

 private:
  // Appends up to limits_.read_bytes to buffer_; sets eof_ at the end or on error.
  void Fill();
  LineChunk Take(size_t end, size_t lines);

  std::istream& in_;
  const Limits limits_;
  std::string buffer_;
  size_t pos_ = 0;         // Start of what Next has not returned yet.
  size_t next_line_ = 1;   // Line number at pos_.
  bool skipping_ = false;  // Discarding the rest of an overlong line.
  bool eof_ = false;
  bool read_error_ = false;
};

}  // namespace edgetsdb::cli

#endif  // EDGETSDB_SERVER_LINE_CHUNKER_H_
