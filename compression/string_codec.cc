#include "compression/string_codec.h"

namespace edgetsdb::compression {
// STUB: to be implemented.
void EncodeStrings(Codec, absl::Span<const std::string>, std::string*) {}
Codec EncodeStringsAuto(absl::Span<const std::string>, std::string*) {
  return Codec::kStringLz4;
}
absl::Status DecodeStrings(Codec, std::string_view, size_t, std::vector<std::string>*) {
  return absl::UnimplementedError("strings");
}
}  // namespace edgetsdb::compression
