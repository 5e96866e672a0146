#include "compression/bit_packing.h"

#include <array>
#include <cstring>
#include <utility>

namespace edgetsdb::compression {
namespace {

inline uint64_t LoadWord(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;  // Little-endian hosts only; see the static_assert below.
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "bit packing assumes a little-endian host");

template <int W>
void PackGroup(const uint64_t* in, uint64_t* words) {
  if constexpr (W == 0) {
    return;
  } else {
    constexpr uint64_t kMask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
    for (int i = 0; i < W; ++i) words[i] = 0;
#pragma GCC unroll 64
    for (int i = 0; i < 64; ++i) {
      const int bit = i * W;
      const int word = bit >> 6;
      const int shift = bit & 63;
      const uint64_t v = in[i] & kMask;
      words[word] |= v << shift;
      if (shift + W > 64) words[word + 1] |= v >> (64 - shift);
    }
  }
}

template <int W>
void UnpackGroup(const uint8_t* in, uint64_t* out) {
  if constexpr (W == 0) {
    for (int i = 0; i < 64; ++i) out[i] = 0;
  } else {
    constexpr uint64_t kMask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
    uint64_t words[W];
    for (int i = 0; i < W; ++i) words[i] = LoadWord(in + 8 * i);
#pragma GCC unroll 64
    for (int i = 0; i < 64; ++i) {
      const int bit = i * W;
      const int word = bit >> 6;
      const int shift = bit & 63;
      uint64_t v = words[word] >> shift;
      if (shift + W > 64) v |= words[word + 1] << (64 - shift);
      out[i] = v & kMask;
    }
  }
}

using PackFn = void (*)(const uint64_t*, uint64_t*);
using UnpackFn = void (*)(const uint8_t*, uint64_t*);

template <size_t... W>
constexpr auto MakePackTable(std::index_sequence<W...>) {
  return std::array<PackFn, sizeof...(W)>{&PackGroup<W>...};
}
template <size_t... W>
constexpr auto MakeUnpackTable(std::index_sequence<W...>) {
  return std::array<UnpackFn, sizeof...(W)>{&UnpackGroup<W>...};
}

constexpr auto kPack = MakePackTable(std::make_index_sequence<65>());
constexpr auto kUnpack = MakeUnpackTable(std::make_index_sequence<65>());

}  // namespace

void PackBits(const uint64_t* values, size_t n, int width, std::string* out) {
  if (width == 0 || n == 0) return;
  const PackFn pack = kPack[width];
  uint64_t words[64];
  size_t i = 0;
  const size_t start = out->size();
  out->resize(start + PackedSize(n, width));
  auto* dst = reinterpret_cast<uint8_t*>(out->data()) + start;
  for (; i + kPackGroup <= n; i += kPackGroup) {
    pack(values + i, words);
    std::memcpy(dst, words, 8 * width);
    dst += 8 * width;
  }
  if (i < n) {
    uint64_t tail[kPackGroup] = {};
    std::memcpy(tail, values + i, (n - i) * sizeof(uint64_t));
    pack(tail, words);
    std::memcpy(dst, words, PackedSize(n - i, width));
  }
}

void UnpackBits(const uint8_t* in, size_t n, int width, uint64_t* out) {
  const UnpackFn unpack = kUnpack[width];
  size_t i = 0;
  for (; i + kPackGroup <= n; i += kPackGroup) {
    unpack(in, out + i);
    in += 8 * width;
  }
  if (i < n) {
    uint8_t padded[8 * 64] = {};
    std::memcpy(padded, in, PackedSize(n - i, width));
    uint64_t tail[kPackGroup];
    unpack(padded, tail);
    std::memcpy(out + i, tail, (n - i) * sizeof(uint64_t));
  }
}

}  // namespace edgetsdb::compression
