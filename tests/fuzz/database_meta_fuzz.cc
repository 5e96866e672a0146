// Fuzzes the database.meta decoder (db/storage_layout.h), which reads a file the engine trusts at
// open, and the database directory name unescaping. A decoded meta must encode back to the same
// bytes (the format has one spelling), and an unescaped name must escape back to its input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "db/storage_layout.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using edgetsdb::fuzz::AsBytes;
  using edgetsdb::fuzz::Check;
  const std::string_view bytes = AsBytes(data, size);
  absl::StatusOr<edgetsdb::DatabaseMeta> meta = edgetsdb::DecodeDatabaseMeta(bytes);
  if (meta.ok()) {
    // Varints may be overlong in what a reader accepts, so compare the decode of the re-encoding.
    absl::StatusOr<edgetsdb::DatabaseMeta> again =
        edgetsdb::DecodeDatabaseMeta(edgetsdb::EncodeDatabaseMeta(*meta));
    Check(again.ok() && *again == *meta);
  }
  if (std::optional<std::string> name = edgetsdb::UnescapeDatabaseName(bytes)) {
    Check(edgetsdb::EscapeDatabaseName(*name) == bytes);
  }
  return 0;
}
