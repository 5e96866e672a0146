// CRC-32C (Castagnoli), the checksum of every edgetsdb chunk, block and log record. Debian 12 ships
// no C/C++ crc32c library, so this is the classic table-driven form plus the SSE4.2 instruction
// where the processor has it.
#ifndef EDGETSDB_COMPRESSION_CRC32C_H_
#define EDGETSDB_COMPRESSION_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgetsdb::compression::crc32c {

// Returns the CRC-32C of concat(A, data[0,n)) where init_crc is the CRC-32C of A.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

}  // namespace edgetsdb::compression::crc32c

#endif  // EDGETSDB_COMPRESSION_CRC32C_H_
