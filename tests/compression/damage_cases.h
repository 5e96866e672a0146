// Table-driven damage for the column decoders (integer, bool, string). Each case turns a
// well-formed stream of `count` values into variants, bytes and a count, that the decoder must
// refuse with one of the two canonical codes or, when the damage leaves a well-formed stream (a
// flipped bit inside a packed value), decode to exactly `count` values. Whether the count is right
// is the chunk header's job: it is covered by the chunk's CRC.
#ifndef EDGETSDB_TESTS_COMPRESSION_DAMAGE_CASES_H_
#define EDGETSDB_TESTS_COMPRESSION_DAMAGE_CASES_H_

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "compression/codec.h"
#include "gtest/gtest.h"

namespace edgetsdb::compression::test {

enum class Outcome { kError, kErrorOrCountValues };

struct Variant {
  std::string bytes;
  size_t count;
};

struct DamageCase {
  const char* name;
  Outcome outcome;
  // appended_byte is the codec's choice of a byte to append (see ExpectDamageRefusedOrCountValues).
  std::vector<Variant> (*damage)(const std::string& stream, size_t count, char appended_byte);
};

inline const DamageCase kDamageCases[] = {
    {"truncated at every length", Outcome::kError,
     [](const std::string& s, size_t count, char) {
       std::vector<Variant> out;
       for (size_t len = 0; len < s.size(); ++len) out.push_back({s.substr(0, len), count});
       return out;
     }},
    {"bytes appended", Outcome::kError,
     [](const std::string& s, size_t count, char appended_byte) {
       return std::vector<Variant>{{s + '\0', count}, {s + appended_byte, count}, {s + s, count}};
     }},
    {"count halved or doubled", Outcome::kError,
     [](const std::string& s, size_t count, char) {
       return std::vector<Variant>{{s, count / 2}, {s, count * 2}};
     }},
    {"count above the chunk limit", Outcome::kError,
     [](const std::string& s, size_t count, char) {
       return std::vector<Variant>{{s, kMaxChunkValues + 1},
                                   {s, std::numeric_limits<size_t>::max()}};
     }},
    {"count off by one", Outcome::kErrorOrCountValues,
     [](const std::string& s, size_t count, char) {
       return std::vector<Variant>{{s, count - 1}, {s, count + 1}};
     }},
    {"each bit flipped", Outcome::kErrorOrCountValues,
     [](const std::string& s, size_t count, char) {
       std::vector<Variant> out;
       for (size_t bit = 0; bit < 8 * s.size(); ++bit) {
         std::string flipped = s;
         flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
         out.push_back({std::move(flipped), count});
       }
       return out;
     }},
    {"each byte zeroed or saturated", Outcome::kErrorOrCountValues,
     [](const std::string& s, size_t count, char) {
       std::vector<Variant> out;
       for (size_t i = 0; i < s.size(); ++i) {
         for (char fill : {'\0', '\xff'}) {
           std::string damaged = s;
           damaged[i] = fill;
           out.push_back({std::move(damaged), count});
         }
       }
       return out;
     }},
};

// Applies every case of kDamageCases to `stream`, which `codec` made from `count` values, and
// expects `decode` to refuse each variant with DataLoss or InvalidArgument or, where the case
// allows it, to yield exactly the variant's count of values, which `check_values` (if given) then
// inspects. Besides NUL and a second copy of the stream, `appended_byte` is appended: one the
// codec's decoder could take for the start of more data.
template <typename T>
void ExpectDamageRefusedOrCountValues(
    absl::Status (*decode)(Codec, std::string_view, size_t, std::vector<T>*), Codec codec,
    const std::string& stream, size_t count, char appended_byte,
    std::type_identity_t<void (*)(const std::vector<T>&)> check_values = nullptr) {
  for (const DamageCase& c : kDamageCases) {
    for (const Variant& v : c.damage(stream, count, appended_byte)) {
      std::vector<T> decoded;
      const absl::Status status = decode(codec, v.bytes, v.count, &decoded);
      if (status.ok()) {
        EXPECT_EQ(c.outcome, Outcome::kErrorOrCountValues)
            << c.name << ": " << v.bytes.size() << " bytes, count " << v.count;
        EXPECT_EQ(decoded.size(), v.count) << c.name;
        if (check_values != nullptr) {
          SCOPED_TRACE(c.name);
          check_values(decoded);
        }
      } else {
        EXPECT_TRUE(status.code() == absl::StatusCode::kDataLoss ||
                    status.code() == absl::StatusCode::kInvalidArgument)
            << c.name << ": " << status;
      }
    }
  }
}

}  // namespace edgetsdb::compression::test

#endif  // EDGETSDB_TESTS_COMPRESSION_DAMAGE_CASES_H_
