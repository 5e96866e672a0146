#include "server/line_chunker.h"

#include <cstring>
#include <istream>

namespace edgetsdb::cli {

LineChunker::LineChunker(std::istream& in, Limits limits) : in_(in), limits_(limits) {}

void LineChunker::Fill() {
  const size_t old_size = buffer_.size();
  buffer_.resize(old_size + limits_.read_bytes);
  in_.read(buffer_.data() + old_size, static_cast<std::streamsize>(limits_.read_bytes));
  buffer_.resize(old_size + static_cast<size_t>(in_.gcount()));
  if (!in_) {
    eof_ = true;
    read_error_ = in_.bad();
  }
}

LineChunk LineChunker::Take(size_t end, size_t lines) {
  LineChunk chunk;
  chunk.text = std::string_view(buffer_).substr(pos_, end - pos_);
  chunk.first_line = next_line_;
  chunk.lines = lines;
  pos_ = end;
  next_line_ += lines;
  return chunk;
}

bool LineChunker::Next(LineChunk* chunk) {
  // What was returned last is no longer needed.
  buffer_.erase(0, pos_);
  pos_ = 0;
  for (;;) {
    if (skipping_) {
      const void* newline = std::memchr(buffer_.data(), '\n', buffer_.size());
      if (newline == nullptr) {
        buffer_.clear();
        if (eof_) return false;
        Fill();
        continue;
      }
      buffer_.erase(0, static_cast<const char*>(newline) - buffer_.data() + 1);
      skipping_ = false;
    }

    // Whole lines from pos_, within the limits.
    size_t end = pos_;
    size_t lines = 0;
    bool full = false;
    size_t overlong_end = 0;  // After the '\n' of an overlong line, if one was found.
    while (lines < limits_.max_lines) {
      const void* found = std::memchr(buffer_.data() + end, '\n', buffer_.size() - end);
      if (found == nullptr) break;
      const size_t next = static_cast<const char*>(found) - buffer_.data() + 1;
      if (next - 1 - end > limits_.max_line_bytes) {
        overlong_end = next;
        break;
      }
      if (lines > 0 && next - pos_ > limits_.max_bytes) {
        full = true;
        break;
      }
      end = next;
      ++lines;
    }
    if (lines == limits_.max_lines || full) {
      *chunk = Take(end, lines);
      return true;
    }
    // An overlong line, whole or (after the last newline) not yet: the lines before it first.
    const bool overlong_tail = buffer_.size() - end > limits_.max_line_bytes;
    if (overlong_end != 0 || overlong_tail) {
      if (lines > 0) {
        *chunk = Take(end, lines);
        return true;
      }
      *chunk = LineChunk{.text = {}, .first_line = next_line_, .lines = 1, .overlong = true};
      ++next_line_;
      if (overlong_end != 0) {
        pos_ = overlong_end;
      } else {
        buffer_.clear();
        skipping_ = true;
      }
      return true;
    }
    if (eof_) {
      if (buffer_.size() == pos_) return false;
      const bool unterminated = end < buffer_.size();
      *chunk = Take(buffer_.size(), lines + unterminated);
      return true;
    }
    Fill();
  }
}

}  // namespace edgetsdb::cli
