// Fuzzes ParseChunk and the chunk decoders. Random bytes rarely pass the CRC, so the input is
// also used as a chunk with its checksum recomputed: that reaches the header and stream
// validation behind the CRC, which is where damage that a CRC cannot see would land.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compression/chunk.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace c = edgetsdb::compression;
using edgetsdb::fuzz::Check;

void DecodeAll(std::string_view bytes) {
  auto parsed = c::ParseChunk(bytes);
  if (!parsed.ok()) return;
  Check(parsed->encoded_size <= bytes.size());
  std::vector<int64_t> ts;
  (void)c::DecodeChunkTimestamps(*parsed, &ts);
  (void)c::DecodeChunkValues(*parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = edgetsdb::fuzz::AsBytes(data, size);
  DecodeAll(input);
  if (size >= 4) {
    std::string resealed(input.substr(0, size - 4));
    c::PutFixed32(&resealed, c::crc32c::Value(resealed));
    DecodeAll(resealed);
  }
  return 0;
}
