#include "db/wal/wal_format.h"

#include <cinttypes>
#include <cstdio>

#include "compression/coding.h"
#include "compression/crc32c.h"
#include "compression/lz4_block.h"

namespace edgetsdb::wal {

std::optional<std::string> CompressWriteBatchPayload(std::string_view payload) {
  if (payload.size() < kMinCompressedPayload) return std::nullopt;
  std::string out;
  compression::PutVarint64(&out, payload.size());
  if (!compression::AppendLz4Block(payload, &out)) return std::nullopt;
  if (out.size() > payload.size() - payload.size() / 8) return std::nullopt;
  return out;
}

absl::StatusOr<std::string> DecompressWriteBatchPayload(std::string_view payload) {
  compression::ByteReader in(payload);
  uint64_t raw_size = 0;
  if (!in.ReadVarint64(&raw_size) || raw_size > kMaxPayloadSize) {
    return absl::DataLossError("compressed write batch record: bad raw size");
  }
  return compression::DecodeLz4Block(in.Rest(), raw_size, "compressed write batch record");
}

std::string SegmentFileName(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%08" PRIu64 ".wal", number);
  return buf;
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  const std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  uint64_t number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (number > (UINT64_MAX - digit) / 10) return std::nullopt;
    number = number * 10 + digit;
  }
  // Only the canonical spelling: "1.wal" or "000000001.wal" would alias "00000001.wal".
  if (number == 0 || SegmentFileName(number) != name) return std::nullopt;
  return number;
}

std::string EncodeSegmentHeader(uint64_t number) {
  std::string header(kSegmentMagic, sizeof kSegmentMagic);
  header.push_back(static_cast<char>(kFormatVersion));
  header.append(3, '\0');
  compression::PutFixed64(&header, number);
  compression::PutFixed32(&header, compression::crc32c::Value(header));
  return header;
}

}  // namespace edgetsdb::wal
