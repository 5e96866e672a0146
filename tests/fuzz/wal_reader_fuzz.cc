// Fuzzes the WAL segment parser (ParseSegment in db/wal/wal_reader.h), which decides what ReplayWal
// replays, truncates or reports. Random bytes rarely pass a CRC, so besides the raw input the
// target also parses (a) the input behind a valid segment header, and (b) a segment of valid
// records whose payloads come from the input, then cut or changed at an input-chosen byte: there
// the exact survivors are known.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "compression/coding.h"
#include "compression/crc32c.h"
#include "db/wal/wal_format.h"
#include "db/wal/wal_reader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using edgetsdb::ParseSegment;
using edgetsdb::SegmentParse;
using edgetsdb::WalPosition;
using edgetsdb::fuzz::Check;
namespace wal = edgetsdb::wal;

struct Seen {
  uint8_t type;
  std::string payload;
  uint64_t offset;
};

// Parses and checks what holds for any bytes; returns the records delivered.
std::vector<Seen> ParseAndCheck(std::string_view segment, uint64_t expected_number) {
  std::vector<Seen> seen;
  absl::StatusOr<SegmentParse> parse = ParseSegment(
      segment, expected_number,
      [&](uint8_t type, std::string_view payload, const WalPosition& position) {
        // The payload is a view into the segment, after its record header.
        Check(payload.data() >= segment.data() + wal::kSegmentHeaderSize + wal::kRecordHeaderSize);
        Check(payload.data() + payload.size() <= segment.data() + segment.size());
        Check(position.offset + wal::kRecordHeaderSize + payload.size() <= segment.size());
        Check(type != wal::kZeroType);
        Check(payload.size() <= wal::kMaxPayloadSize);
        seen.push_back({type, std::string(payload), position.offset});
        return absl::OkStatus();
      });
  if (!parse.ok()) {
    // Only a header with a good checksum and an unknown version or reserved bits is refused.
    Check(absl::IsFailedPrecondition(parse.status()));
    Check(segment.size() >= wal::kSegmentHeaderSize);
    return seen;
  }
  Check(parse->valid_end <= segment.size());
  Check(parse->records == seen.size());
  Check(parse->invalid_reason.empty() == parse->clean(segment.size()));
  if (!parse->header_valid) {
    Check(seen.empty() && parse->valid_end == 0);
    return seen;
  }
  // Records tile the valid prefix exactly.
  uint64_t pos = wal::kSegmentHeaderSize;
  for (const Seen& s : seen) {
    Check(s.offset == pos);
    pos += wal::kRecordHeaderSize + s.payload.size();
  }
  Check(pos == parse->valid_end);
  // Truncating to the valid prefix (what the torn-tail repair does) gives a clean segment with the
  // same records.
  if (!parse->clean(segment.size())) {
    absl::StatusOr<SegmentParse> repaired =
        ParseSegment(segment.substr(0, parse->valid_end), expected_number, nullptr);
    Check(repaired.ok() && repaired->clean(parse->valid_end) && repaired->records == seen.size());
  }
  return seen;
}

std::string EncodeRecord(uint8_t type, std::string_view payload) {
  std::string r;
  const char t = static_cast<char>(type);
  edgetsdb::compression::PutFixed32(
      &r, edgetsdb::compression::crc32c::Extend(edgetsdb::compression::crc32c::Value(&t, 1),
                                                payload.data(), payload.size()));
  edgetsdb::compression::PutFixed32(&r, static_cast<uint32_t>(payload.size()));
  r.push_back(t);
  r.append(payload);
  return r;
}

// Input: [cut or flip selector: 2 bytes][xor byte] then records as [type][len][len bytes]...
void FuzzValidSegment(std::string_view input) {
  if (input.size() < 3) return;
  const uint16_t where = static_cast<uint8_t>(input[0]) | static_cast<uint8_t>(input[1]) << 8;
  const uint8_t xor_byte = static_cast<uint8_t>(input[2]);
  input.remove_prefix(3);

  std::string segment = wal::EncodeSegmentHeader(42);
  std::vector<Seen> built;
  while (input.size() >= 2) {
    const uint8_t type = static_cast<uint8_t>(input[0]) | 1;  // Never 0.
    const size_t len = std::min<size_t>(static_cast<uint8_t>(input[1]), input.size() - 2);
    const std::string_view payload = input.substr(2, len);
    built.push_back({type, std::string(payload), segment.size()});
    segment += EncodeRecord(type, payload);
    input.remove_prefix(2 + len);
  }
  const auto same = [&](const std::vector<Seen>& seen, size_t n) {
    Check(seen.size() == n);
    for (size_t i = 0; i < n; ++i) {
      Check(seen[i].type == built[i].type && seen[i].payload == built[i].payload &&
            seen[i].offset == built[i].offset);
    }
  };
  same(ParseAndCheck(segment, 42), built.size());
  // The record holding byte b (built.size() for the header).
  const auto record_at = [&](uint64_t b) {
    size_t i = 0;
    while (i < built.size() &&
           built[i].offset + wal::kRecordHeaderSize + built[i].payload.size() <= b) {
      ++i;
    }
    return i;
  };

  // Cut: exactly the records that end within the cut survive.
  const uint64_t cut = where % (segment.size() + 1);
  size_t whole = 0;
  while (whole < built.size() &&
         built[whole].offset + wal::kRecordHeaderSize + built[whole].payload.size() <= cut) {
    ++whole;
  }
  same(ParseAndCheck(std::string_view(segment).substr(0, cut), 42),
       cut < wal::kSegmentHeaderSize ? 0 : whole);

  // One changed byte: the records before the one it is in survive, no more. CRC-32C detects every
  // error burst up to 32 bits, so a change inside the type or payload always fails the record.
  if (xor_byte != 0 && !segment.empty()) {
    const uint64_t at = where % segment.size();
    std::string damaged = segment;
    damaged[at] ^= static_cast<char>(xor_byte);
    const std::vector<Seen> seen = ParseAndCheck(damaged, 42);
    if (at < wal::kSegmentHeaderSize) {
      Check(seen.empty());
    } else {
      same(seen, record_at(at));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = edgetsdb::fuzz::AsBytes(data, size);
  ParseAndCheck(input, 0);
  ParseAndCheck(wal::EncodeSegmentHeader(7) + std::string(input), 7);
  ParseAndCheck(wal::EncodeSegmentHeader(7) + std::string(input), 8);  // Wrong number.
  FuzzValidSegment(input);
  return 0;
}
