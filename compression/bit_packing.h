// Fixed-width bit packing of unsigned integers, the inner loop of the decimal and integer codecs.
//
// Values are packed least significant bit first into little-endian 64-bit words, in groups of 64
// values: a group of width w occupies exactly w words, so full groups unpack without bounds checks
// using a loop unrolled for each width. The final partial group is stored in as few bytes as it
// needs (PackedSize), and is unpacked from a zero-padded copy.
#ifndef EDGETSDB_COMPRESSION_BIT_PACKING_H_
#define EDGETSDB_COMPRESSION_BIT_PACKING_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace edgetsdb::compression {

inline constexpr size_t kPackGroup = 64;

// Bits needed to represent v: 0 for 0, 64 for values with the top bit set.
inline int BitWidth(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

// Bytes that PackBits appends for n values of the given width.
inline size_t PackedSize(size_t n, int width) { return (n * static_cast<size_t>(width) + 7) / 8; }

// Appends values[0, n), each of which must fit in `width` bits (0..64), to *out.
void PackBits(const uint64_t* values, size_t n, int width, std::string* out);

// Unpacks n values of `width` bits from in, which must hold at least PackedSize(n, width) bytes
// (the caller checks this against the untrusted length it was given).
void UnpackBits(const uint8_t* in, size_t n, int width, uint64_t* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_BIT_PACKING_H_
