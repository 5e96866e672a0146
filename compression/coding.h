// Byte-level encoding helpers shared by every codec: little-endian fixed-width integers, LEB128
// varints, zigzag, and a bounds-checked cursor for decoding untrusted bytes.
#ifndef EDGETSDB_COMPRESSION_CODING_H_
#define EDGETSDB_COMPRESSION_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace edgetsdb::compression {

inline constexpr int kMaxVarint64Bytes = 10;

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  dst->append(buf, 4);
}

inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  dst->append(buf, 8);
}

inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

inline int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Maps signed integers to unsigned so that small magnitudes get small codes: 0,-1,1,-2 -> 0,1,2,3.
inline constexpr uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline constexpr int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

inline uint64_t DoubleBits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}
inline double BitsDouble(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

// A cursor over untrusted bytes. Every read checks bounds and returns false instead of reading past
// the end; once a read fails the cursor stays failed, so callers may check once after a sequence.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool ReadByte(uint8_t* v) {
    if (!ok_ || pos_ >= data_.size()) return Fail();
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  bool ReadFixed32(uint32_t* v) {
    if (!ok_ || data_.size() - pos_ < 4) return Fail();
    *v = DecodeFixed32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }

  bool ReadFixed64(uint64_t* v) {
    if (!ok_ || data_.size() - pos_ < 8) return Fail();
    *v = DecodeFixed64(data_.data() + pos_);
    pos_ += 8;
    return true;
  }

  // Rejects encodings longer than 10 bytes or with a 10th byte above 1 (values past 2^64).
  // Non-minimal encodings of smaller values (0x80 0x00 for 0) are accepted.
  bool ReadVarint64(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!ok_ || pos_ >= data_.size()) return Fail();
      const uint64_t byte = static_cast<uint8_t>(data_[pos_++]);
      if (shift == 63 && byte > 1) return Fail();
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    return Fail();
  }

  // Returns a view of the next n bytes (n is untrusted: checked against what remains).
  bool ReadBytes(uint64_t n, std::string_view* v) {
    if (!ok_ || n > data_.size() - pos_) return Fail();
    *v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  // A varint length followed by that many bytes.
  bool ReadLengthPrefixed(std::string_view* v) {
    uint64_t n;
    return ReadVarint64(&n) && ReadBytes(n, v);
  }

  std::string_view Rest() const { return ok_ ? data_.substr(pos_) : std::string_view(); }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  bool ok() const { return ok_; }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }

  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_CODING_H_
