// String columns: a dictionary when few distinct values repeat (status words, enum-like fields),
// otherwise LZ4 over the length-prefixed values.
#ifndef EDGETSDB_COMPRESSION_STRING_CODEC_H_
#define EDGETSDB_COMPRESSION_STRING_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "compression/codec.h"

namespace edgetsdb::compression {

void EncodeStrings(Codec codec, absl::Span<const std::string> values, std::string* out);
Codec EncodeStringsAuto(absl::Span<const std::string> values, std::string* out);
// Refuses streams whose decoded values would exceed kMaxStringChunkBytes, before allocating them.
// Otherwise follows the contract of DecodeIntegers (integer_codec.h).
// Format: docs/format/chunk.md, "String streams".
absl::Status DecodeStrings(Codec codec, std::string_view data, size_t count,
                           std::vector<std::string>* out);

}  // namespace edgetsdb::compression

#endif  // EDGETSDB_COMPRESSION_STRING_CODEC_H_
