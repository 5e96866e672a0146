#include "compression/bool_codec.h"

namespace edgetsdb::compression {
// STUB: to be implemented.
void EncodeBools(Codec, absl::Span<const uint8_t>, std::string*) {}
Codec EncodeBoolsAuto(absl::Span<const uint8_t>, std::string*) { return Codec::kBoolBitmap; }
absl::Status DecodeBools(Codec, std::string_view, size_t, std::vector<uint8_t>*) {
  return absl::UnimplementedError("bools");
}
}  // namespace edgetsdb::compression
