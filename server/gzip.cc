#include "server/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgetsdb::server {
namespace {

// windowBits 15 plus 16: a gzip wrapper only (no raw deflate, no zlib header), as the HTTP
// Content-Encoding names.
constexpr int kGzipWindowBits = 15 + 16;
// The output starts this large and doubles, so that a cap far above the real size does not
// allocate the whole cap up front.
constexpr size_t kInitialOutputBytes = 64 << 10;

struct InflateEnd {
  void operator()(z_stream* stream) const { inflateEnd(stream); }
};

absl::Status Corrupt(const z_stream& stream, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("gzip: ", std::string(what),
                   stream.msg != nullptr ? absl::StrCat(": ", stream.msg) : std::string()));
}

}  // namespace

absl::StatusOr<std::string> GunzipCapped(std::string_view compressed, size_t max_output_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) {
    return absl::InternalError("gzip: cannot initialize zlib");
  }
  const std::unique_ptr<z_stream, InflateEnd> cleanup(&stream);

  std::string out;
  const auto* next = reinterpret_cast<const Bytef*>(compressed.data());
  size_t remaining = compressed.size();
  bool in_member = true;  // The first member is required, even for an empty body.
  while (in_member) {
    if (out.size() == out.capacity() || out.size() == max_output_bytes) {
      // Room for one more byte than the cap, so that inflating past it is detected.
      const size_t limit = max_output_bytes + 1;
      out.reserve(std::min(limit, std::max(kInitialOutputBytes, 2 * out.size())));
    }
    const size_t room = std::min(out.capacity(), max_output_bytes + 1) - out.size();
    const size_t old_size = out.size();
    out.resize(old_size + room);
    // zlib counts in uInt: feed at most 1 GiB per call.
    const uInt in_chunk = static_cast<uInt>(std::min<size_t>(remaining, 1u << 30));
    const uInt out_chunk = static_cast<uInt>(std::min<size_t>(room, 1u << 30));
    stream.next_in = const_cast<Bytef*>(next);
    stream.avail_in = in_chunk;
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    stream.avail_out = out_chunk;
    const int rc = inflate(&stream, Z_NO_FLUSH);
    const size_t consumed = in_chunk - stream.avail_in;
    next += consumed;
    remaining -= consumed;
    out.resize(old_size + (out_chunk - stream.avail_out));
    if (out.size() > max_output_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("gzip: the body inflates to more than ", max_output_bytes, " bytes"));
    }
    switch (rc) {
      case Z_STREAM_END:
        // Another member may follow; anything else after a member is an error, as in Go.
        if (remaining == 0) {
          in_member = false;
        } else if (inflateReset(&stream) != Z_OK) {
          return Corrupt(stream, "cannot reset zlib");
        }
        break;
      case Z_OK:
        break;
      case Z_BUF_ERROR:
        // No progress: either the output is full (the loop grows it) or the input ended early.
        if (remaining == 0 && consumed == 0 && stream.avail_out > 0) {
          return Corrupt(stream, "truncated stream");
        }
        break;
      case Z_NEED_DICT:
      case Z_DATA_ERROR:
        return Corrupt(stream, "corrupt stream");
      case Z_MEM_ERROR:
        return absl::ResourceExhaustedError("gzip: out of memory");
      default:
        return Corrupt(stream, "inflate failed");
    }
    if (in_member && remaining == 0 && rc == Z_OK && stream.avail_out > 0) {
      // zlib consumed everything, had room, and did not reach the end: the input is cut short.
      return Corrupt(stream, "truncated stream");
    }
  }
  return out;
}

}  // namespace edgetsdb::server
