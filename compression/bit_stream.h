// Bit-granular writer and reader, most significant bit first (the order Gorilla's paper describes).
//
// The reader is total over untrusted input: reading past the end yields zero bits and sets a sticky
// overrun flag instead of touching memory beyond the buffer. Decoders loop a bounded number of
// times (the value count from a validated header) and check overrun() once at the end, so a
// corrupt stream costs at most that many iterations and is then reported.
#ifndef EDGETSDB_COMPRESSION_BIT_STREAM_H_
#define EDGETSDB_COMPRESSION_BIT_STREAM_H_

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace edgetsdb::compression {

// Loads below read big-endian words with memcpy and a byte swap.
static_assert(std::endian::native == std::endian::little, "edgetsdb assumes a little-endian host");

class BitWriter {
 public:
  // Appends to *out, which must outlive the writer. Call Finish() before using *out.
  explicit BitWriter(std::string* out) : out_(out) {}

  // Writes the low nbits (0..64) of value.
  void Write(uint64_t value, int nbits) {
    assert(nbits >= 0 && nbits <= 64);
    if (nbits > 32) {
      WriteSmall(value >> 32, nbits - 32);
      nbits = 32;
    }
    WriteSmall(value, nbits);
  }

  void WriteBit(bool bit) { WriteSmall(bit ? 1 : 0, 1); }

  // Flushes the last partial byte, padded with zero bits.
  void Finish() {
    while (pending_bits_ > 0) {
      const int take = pending_bits_ >= 8 ? 8 : pending_bits_;
      const uint64_t byte = (pending_ >> (pending_bits_ - take)) << (8 - take);
      out_->push_back(static_cast<char>(byte & 0xff));
      pending_bits_ -= take;
    }
  }

 private:
  // Invariant: pending_bits_ < 32 between calls, so a write of up to 32 bits fits in 64.
  void WriteSmall(uint64_t value, int nbits) {
    if (nbits == 0) return;
    value &= ~uint64_t{0} >> (64 - nbits);
    pending_ = (pending_ << nbits) | value;
    pending_bits_ += nbits;
    if (pending_bits_ >= 32) {
      const uint32_t word = static_cast<uint32_t>(pending_ >> (pending_bits_ - 32));
      const char bytes[4] = {static_cast<char>(word >> 24), static_cast<char>(word >> 16),
                             static_cast<char>(word >> 8), static_cast<char>(word)};
      out_->append(bytes, 4);
      pending_bits_ -= 32;
      flushed_bytes_ += 4;
    }
  }

  std::string* out_;
  uint64_t pending_ = 0;
  int pending_bits_ = 0;
  uint64_t flushed_bytes_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view data)
      : data_(reinterpret_cast<const uint8_t*>(data.data())), size_(data.size()) {}

  // Reads nbits (0..64). Past the end the missing bits read as zero and overrun() becomes true.
  uint64_t Read(int nbits) {
    assert(nbits >= 0 && nbits <= 64);
    if (nbits > 56) {
      const uint64_t high = ReadSmall(nbits - 32);
      return (high << 32) | ReadSmall(32);
    }
    return ReadSmall(nbits);
  }

  // Reads nbits (0..64) from nine bytes without branching on nbits, which suits decoders whose
  // widths vary from value to value.
  uint64_t ReadVariable(int nbits) {
    assert(nbits >= 0 && nbits <= 64);
    const uint64_t byte = pos_ >> 3;
    uint8_t window[9];
    if (byte + 9 <= size_) [[likely]] {
      std::memcpy(window, data_ + byte, 9);
    } else {
      std::memset(window, 0, sizeof window);
      if (byte < size_) std::memcpy(window, data_ + byte, size_ - byte);
    }
    uint64_t word;
    std::memcpy(&word, window, 8);
    const int shift = static_cast<int>(pos_ & 7);
    // The 64 bits from pos_: the first word shifted, topped up from the ninth byte.
    const uint64_t top = (__builtin_bswap64(word) << shift) | (uint64_t{window[8]} >> (8 - shift));
    pos_ += static_cast<uint64_t>(nbits);
    return nbits == 0 ? 0 : top >> (64 - nbits);
  }

  // A word whose top 57 bits (at least) are the next bits from pos_, zero past the end.
  uint64_t PeekWord() const {
    const uint64_t byte = pos_ >> 3;
    uint64_t word;
    if (byte + 8 <= size_) [[likely]] {
      std::memcpy(&word, data_ + byte, 8);
      word = __builtin_bswap64(word);
    } else {
      word = 0;
      if (byte < size_) {
        uint8_t tail[8] = {};
        std::memcpy(tail, data_ + byte, size_ - byte);
        std::memcpy(&word, tail, 8);
        word = __builtin_bswap64(word);
      }
    }
    return word << (pos_ & 7);
  }

  // For decoders that examine bits before deciding how many to consume: PeekWord's top 57 bits
  // (at least) are the next bits, zero past the end; Skip consumes them.
  void Skip(int nbits) { pos_ += static_cast<uint64_t>(nbits); }

  bool overrun() const { return pos_ > size_ * 8; }
  uint64_t bit_position() const { return pos_; }

  // True when the stream ends within the current byte and the bits left in it are zero, as the
  // writer pads them: a decoder that has read its count checks this to refuse trailing damage.
  bool AtPaddedEnd() const {
    if (overrun() || size_ != (pos_ + 7) / 8) return false;
    const int used = static_cast<int>(pos_ & 7);
    return used == 0 || (data_[size_ - 1] & (0xff >> used)) == 0;
  }

 private:
  uint64_t ReadSmall(int nbits) {
    if (nbits == 0) return 0;
    const uint64_t value = PeekWord() >> (64 - nbits);
    pos_ += static_cast<uint64_t>(nbits);
    return value;
  }

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_BIT_STREAM_H_
