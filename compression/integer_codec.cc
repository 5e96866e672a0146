#include "compression/integer_codec.h"

namespace edgetsdb::compression {
// STUB: to be implemented.
void EncodeIntegers(Codec, absl::Span<const uint64_t>, bool, std::string*) {}
Codec EncodeIntegersAuto(absl::Span<const uint64_t>, bool, std::string*) {
  return Codec::kIntFrameOfReference;
}
absl::Status DecodeIntegers(Codec, std::string_view, size_t, std::vector<uint64_t>*) {
  return absl::UnimplementedError("integers");
}
}  // namespace edgetsdb::compression
