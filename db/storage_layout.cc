#include "db/storage_layout.h"

#include "absl/strings/str_cat.h"
#include "compression/coding.h"
#include "compression/crc32c.h"

namespace edgetsdb {
namespace {

namespace c = compression;

// "EDBM" as a little-endian u32.
constexpr uint32_t kMetaMagic = 0x4d424445;
constexpr uint8_t kMetaVersion = 1;

bool IsPlain(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_' || ch == '-';
}

int HexDigit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;  // Only upper case is ever written.
}

}  // namespace

absl::Status CheckDatabaseName(std::string_view name) {
  if (name.empty() || name.size() > kMaxDatabaseNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("database name must be 1 to ", kMaxDatabaseNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

std::string EscapeDatabaseName(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    const auto byte = static_cast<unsigned char>(ch);
    if (IsPlain(byte)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

std::optional<std::string> UnescapeDatabaseName(std::string_view dir_name) {
  std::string out;
  for (size_t i = 0; i < dir_name.size(); ++i) {
    const char ch = dir_name[i];
    if (ch != '%') {
      if (!IsPlain(static_cast<unsigned char>(ch))) return std::nullopt;
      out.push_back(ch);
      continue;
    }
    if (i + 2 >= dir_name.size()) return std::nullopt;
    const int hi = HexDigit(dir_name[i + 1]);
    const int lo = HexDigit(dir_name[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const auto byte = static_cast<unsigned char>(hi << 4 | lo);
    if (IsPlain(byte)) return std::nullopt;  // Not canonical: would have been written plainly.
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  if (!CheckDatabaseName(out).ok()) return std::nullopt;
  return out;
}

std::string DatabasesDir(const std::string& data_dir) {
  return absl::StrCat(data_dir, "/", kDatabasesDirName);
}

std::string DatabaseDir(const std::string& data_dir, std::string_view name) {
  return absl::StrCat(DatabasesDir(data_dir), "/", EscapeDatabaseName(name));
}

std::string BlocksDir(const std::string& database_dir) {
  return absl::StrCat(database_dir, "/", kBlocksDirName);
}

std::string QuarantineDir(const std::string& database_dir) {
  return absl::StrCat(database_dir, "/", kQuarantineDirName);
}

std::string EncodeDatabaseMeta(const DatabaseMeta& meta) {
  std::string out;
  c::PutFixed32(&out, kMetaMagic);
  out.push_back(static_cast<char>(kMetaVersion));
  c::PutVarint64(&out, meta.name.size());
  out.append(meta.name);
  c::PutVarint64(&out, static_cast<uint64_t>(meta.retention_ns));
  c::PutVarint64(&out, meta.replay_from_segment);
  c::PutFixed32(&out, c::crc32c::Value(out));
  return out;
}

absl::StatusOr<DatabaseMeta> DecodeDatabaseMeta(std::string_view bytes) {
  auto damaged = [](std::string_view why) {
    return absl::DataLossError(absl::StrCat("damaged database.meta: ", std::string(why)));
  };
  if (bytes.size() < 4 + 1 + 4) return damaged("too short");
  c::ByteReader in(bytes);
  uint32_t magic = 0;
  uint8_t version = 0;
  if (!in.ReadFixed32(&magic) || magic != kMetaMagic) return damaged("bad magic");
  const std::string_view checked = bytes.substr(0, bytes.size() - 4);
  c::ByteReader crc_in(bytes.substr(bytes.size() - 4));
  uint32_t crc = 0;
  if (!crc_in.ReadFixed32(&crc) || crc != c::crc32c::Value(checked)) return damaged("bad CRC");
  if (!in.ReadByte(&version)) return damaged("too short");
  if (version != kMetaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("database.meta version ", version, " needs a newer edgetsdb"));
  }
  DatabaseMeta meta;
  std::string_view name;
  uint64_t retention = 0;
  if (!in.ReadLengthPrefixed(&name) || !in.ReadVarint64(&retention) ||
      !in.ReadVarint64(&meta.replay_from_segment) || in.remaining() != 4) {
    return damaged("bad fields");
  }
  meta.name = std::string(name);
  meta.retention_ns = static_cast<int64_t>(retention);
  if (!CheckDatabaseName(meta.name).ok() || meta.retention_ns < 0) return damaged("bad fields");
  return meta;
}

absl::StatusOr<DatabaseMeta> ReadDatabaseMeta(Env* env, const std::string& database_dir) {
  const std::string path = absl::StrCat(database_dir, "/", kDatabaseMetaName);
  absl::StatusOr<std::string> bytes = env->ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<DatabaseMeta> meta = DecodeDatabaseMeta(*bytes);
  if (!meta.ok()) {
    return absl::Status(meta.status().code(), absl::StrCat(path, ": ", meta.status().message()));
  }
  return meta;
}

absl::Status WriteDatabaseMeta(Env* env, const std::string& database_dir,
                               const DatabaseMeta& meta) {
  return WriteFileAtomically(env, absl::StrCat(database_dir, "/", kDatabaseMetaName),
                             EncodeDatabaseMeta(meta));
}

}  // namespace edgetsdb
