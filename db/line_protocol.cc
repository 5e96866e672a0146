// The line protocol parser: one pass over each line with a byte-class table, views into the body
// for every token that holds no backslash, and a scratch buffer for those that do.
#include "db/line_protocol.h"

#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgetsdb {
namespace {

// An error quotes the start of its line, as InfluxDB's do, but only the start: a reply that
// echoes a 64 KiB line back for every bad one would cost more than the write.
constexpr size_t kMaxExcerptBytes = 64;

// Byte classes, one table for every context.
enum : uint8_t {
  kEndsMeasurement = 1 << 0,  // ',' ' '
  kEndsKey = 1 << 1,          // ',' '=' ' ': tag keys, tag values, field keys.
  kEscapableInMeasurement = 1 << 2,
  kEscapableInKey = 1 << 3,
  kEndsValue = 1 << 4,  // ',' ' ': unquoted field values.
  kBackslash = 1 << 5,
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> classes{};
  classes[','] =
      kEndsMeasurement | kEndsKey | kEscapableInMeasurement | kEscapableInKey | kEndsValue;
  classes[' '] =
      kEndsMeasurement | kEndsKey | kEscapableInMeasurement | kEscapableInKey | kEndsValue;
  classes['='] = kEndsKey | kEscapableInKey;
  classes['\\'] = kBackslash | kEscapableInMeasurement | kEscapableInKey;
  return classes;
}
constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

inline uint8_t ClassOf(char c) { return kClasses[static_cast<uint8_t>(c)]; }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

const char* SkipBlanks(const char* p, const char* end) {
  while (p < end && IsBlank(*p)) ++p;
  return p;
}

// Returns the end of the name starting at p: the first byte of class `ends` that no backslash
// escapes. *escaped is set when an escape sequence occurs, so that the name needs unescaping.
template <uint8_t kEnds, uint8_t kEscapable>
const char* ScanName(const char* p, const char* end, bool* escaped) {
  *escaped = false;
  while (p < end) {
    const uint8_t cls = ClassOf(*p);
    if ((cls & (kEnds | kBackslash)) == 0) {
      ++p;
    } else if (cls & kBackslash) {
      // A backslash escapes only the bytes that would mean something here; before any other
      // byte it is an ordinary byte.
      if (p + 1 < end && (ClassOf(p[1]) & kEscapable)) {
        *escaped = true;
        p += 2;
      } else {
        ++p;
      }
    } else {
      break;
    }
  }
  return p;
}

// Parses a decimal int64 or uint64 magnitude from [p, end) which holds only digits (at least one).
// False on overflow of `limit`.
bool ParseMagnitude(const char* p, const char* end, uint64_t limit, uint64_t* out) {
  uint64_t v = 0;
  for (; p < end; ++p) {
    const uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (v > (limit - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

bool AllDigits(const char* p, const char* end) {
  if (p == end) return false;
  for (; p < end; ++p) {
    if (!IsDigit(*p)) return false;
  }
  return true;
}

// A signed decimal int64: "-?[0-9]+".
bool ParseInt64(const char* p, const char* end, int64_t* out) {
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  if (!AllDigits(p, end)) return false;
  constexpr uint64_t kMaxPositive = std::numeric_limits<int64_t>::max();
  uint64_t magnitude;
  if (!ParseMagnitude(p, end, negative ? kMaxPositive + 1 : kMaxPositive, &magnitude)) {
    return false;
  }
  // Two's complement negation, so that -2^63 needs no special case.
  *out = static_cast<int64_t>(negative ? 0 - magnitude : magnitude);
  return true;
}

// Parses a float in line protocol's syntax, "-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?",
// which excludes what from_chars would also take (inf, nan, hex). Returns the reason it is not
// one, or nullptr.
const char* ParseFloat(const char* begin, const char* end, double* out) {
  const char* p = begin;
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  const char* const int_begin = p;
  while (p < end && IsDigit(*p)) ++p;
  const char* const int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  if (p < end && *p == '.') {
    frac_begin = ++p;
    while (p < end && IsDigit(*p)) ++p;
    frac_end = p;
  }
  if (int_begin == int_end && frac_begin == frac_end) return "invalid number";
  const bool has_exponent = p < end && (*p == 'e' || *p == 'E');
  int64_t exponent = 0;
  if (has_exponent) {
    ++p;
    const bool negative_exponent = p < end && *p == '-';
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !IsDigit(*p)) return "invalid number";
    // Saturates: far beyond any double's range either way.
    constexpr int64_t kExponentCap = 1'000'000;
    for (; p < end && IsDigit(*p); ++p) {
      if (exponent < kExponentCap) exponent = exponent * 10 + (*p - '0');
    }
    if (negative_exponent) exponent = -exponent;
  }
  if (p != end) return "invalid number";
  // Clinger's fast path, which covers nearly every sensor reading: with at most 15 digits the
  // mantissa is an exact double below 2^53, and so is 10^k for k <= 15, so one IEEE division
  // gives the correctly rounded value, as from_chars would, in a fraction of its time.
  constexpr size_t kMaxFastDigits = 15;
  const size_t int_digits = int_end - int_begin;
  const size_t frac_digits = frac_end - frac_begin;
  if (!has_exponent && int_digits + frac_digits <= kMaxFastDigits) {
    constexpr double kPowersOfTen[kMaxFastDigits + 1] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    int64_t mantissa = 0;
    for (const char* d = int_begin; d < int_end; ++d) mantissa = mantissa * 10 + (*d - '0');
    for (const char* d = frac_begin; d < frac_end; ++d) mantissa = mantissa * 10 + (*d - '0');
    const double v = static_cast<double>(mantissa) / kPowersOfTen[frac_digits];
    *out = negative ? -v : v;
    return nullptr;
  }
  const std::from_chars_result r = std::from_chars(begin, end, *out);
  if (r.ec == std::errc() && r.ptr == end) return nullptr;
  if (r.ec != std::errc::result_out_of_range) return "invalid number";
  // Out of range: too large for a double is an error; too small rounds to zero, as Go's
  // ParseFloat (and so InfluxDB) has it. The decimal exponent of the first significant digit
  // tells which.
  int64_t magnitude = exponent;
  const char* first = int_begin;
  while (first < int_end && *first == '0') ++first;
  if (first < int_end) {
    magnitude += int_end - first - 1;
  } else {
    const char* f = frac_begin;
    while (f < frac_end && *f == '0') ++f;
    magnitude -= f - frac_begin + 1;
  }
  if (magnitude >= 0) return "float out of range";
  *out = negative ? -0.0 : 0.0;
  return nullptr;
}

// Parses one line at a time, keeping its scratch between lines.
class Parser {
 public:
  Parser(Precision precision, int64_t now_ns, WriteBatch* batch)
      : scale_(NanosecondsPer(precision)), now_ns_(now_ns), batch_(batch) {}

  // Parses the point in [p, end): no '\n', no leading or trailing blanks, not empty, not a
  // comment. Adds it to the batch and returns nullptr, or returns why it could not.
  const char* ParsePoint(const char* p, const char* end);

 private:
  template <uint8_t kEscapable>
  std::string_view Unescape(const char* p, const char* end);
  std::string_view Token(const char* p, const char* end, bool escaped, uint8_t escapable);
  // Parses the field value at p (not at end); on success *value holds it and *next where the
  // value ends.
  const char* ParseFieldValue(const char* p, const char* end, FieldView* field, const char** next);

  const int64_t scale_;
  const int64_t now_ns_;
  WriteBatch* const batch_;
  std::vector<TagView> tags_;
  std::vector<FieldView> fields_;
  // Unescaped tokens of the current line. Reserved to the line's length before the first one, so
  // that it never reallocates under the views of earlier tokens: unescaping only shortens.
  std::string unescaped_;
  bool unescaped_ready_ = false;
  size_t line_size_ = 0;
  std::string batch_error_;  // Holds the reason when the batch refuses a point.
};

template <uint8_t kEscapable>
std::string_view Parser::Unescape(const char* p, const char* end) {
  if (!unescaped_ready_) {
    unescaped_.clear();
    unescaped_.reserve(line_size_);
    unescaped_ready_ = true;
  }
  const size_t start = unescaped_.size();
  while (p < end) {
    if (*p == '\\' && p + 1 < end && (ClassOf(p[1]) & kEscapable)) ++p;
    unescaped_.push_back(*p++);
  }
  return std::string_view(unescaped_.data() + start, unescaped_.size() - start);
}

std::string_view Parser::Token(const char* p, const char* end, bool escaped, uint8_t escapable) {
  if (!escaped) return std::string_view(p, end - p);
  return escapable == kEscapableInMeasurement ? Unescape<kEscapableInMeasurement>(p, end)
                                              : Unescape<kEscapableInKey>(p, end);
}

const char* Parser::ParseFieldValue(const char* p, const char* end, FieldView* field,
                                    const char** next) {
  if (*p == '"') {
    // A string: \" and \\ are escapes; a backslash before anything else is itself.
    const char* const begin = ++p;
    bool escaped = false;
    while (p < end && *p != '"') {
      if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\')) {
        escaped = true;
        ++p;
      }
      ++p;
    }
    if (p == end) return "unbalanced quotes";
    if (!escaped) {
      field->value = std::string_view(begin, p - begin);
    } else {
      if (!unescaped_ready_) {
        unescaped_.clear();
        unescaped_.reserve(line_size_);
        unescaped_ready_ = true;
      }
      const size_t start = unescaped_.size();
      for (const char* s = begin; s < p; ++s) {
        if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) ++s;  // s + 1 < p: p is the quote.
        unescaped_.push_back(*s);
      }
      field->value = std::string_view(unescaped_.data() + start, unescaped_.size() - start);
    }
    *next = p + 1;
    return nullptr;
  }

  const char* q = p;
  while (q < end && !(ClassOf(*q) & kEndsValue)) ++q;
  *next = q;
  const char first = *p;
  const char last = q[-1];
  if (first == '-' || first == '.' || IsDigit(first)) {
    if (last == 'i') {
      int64_t v;
      if (!ParseInt64(p, q - 1, &v)) {
        // "1.5i" is a malformed number, "9223372036854775808i" a well-formed one out of range.
        const char* digits = p + (first == '-');
        return AllDigits(digits, q - 1) ? "integer out of range" : "invalid number";
      }
      field->value = v;
      return nullptr;
    }
    if (last == 'u') {
      uint64_t v;
      if (!AllDigits(p, q - 1)) return "invalid number";
      if (!ParseMagnitude(p, q - 1, std::numeric_limits<uint64_t>::max(), &v)) {
        return "unsigned out of range";
      }
      field->value = v;
      return nullptr;
    }
    double v;
    if (const char* reason = ParseFloat(p, q, &v)) return reason;
    field->value = v;
    return nullptr;
  }
  if (first == '+') return "invalid number";
  // Anything else unquoted must be a boolean; a bare word (a string without its quotes, the
  // usual mistake) is reported as InfluxDB does.
  const std::string_view word(p, q - p);
  if (word == "t" || word == "T" || word == "true" || word == "True" || word == "TRUE") {
    field->value = true;
    return nullptr;
  }
  if (word == "f" || word == "F" || word == "false" || word == "False" || word == "FALSE") {
    field->value = false;
    return nullptr;
  }
  return "invalid boolean";
}

const char* Parser::ParsePoint(const char* p, const char* const end) {
  line_size_ = end - p;
  unescaped_ready_ = false;
  tags_.clear();
  fields_.clear();
  bool escaped;

  const char* q = ScanName<kEndsMeasurement, kEscapableInMeasurement>(p, end, &escaped);
  if (q == p) return "missing measurement";
  const std::string_view measurement = Token(p, q, escaped, kEscapableInMeasurement);
  p = q;

  while (p < end && *p == ',') {
    ++p;
    q = ScanName<kEndsKey, kEscapableInKey>(p, end, &escaped);
    if (q == p) return "missing tag key";
    if (q == end || *q != '=') return "missing tag value";
    const std::string_view key = Token(p, q, escaped, kEscapableInKey);
    p = q + 1;
    q = ScanName<kEndsKey, kEscapableInKey>(p, end, &escaped);
    if (q < end && *q == '=') return "invalid tag format";
    if (q == p) return "missing tag value";
    tags_.push_back({key, Token(p, q, escaped, kEscapableInKey)});
    p = q;
  }
  // Here p is at the end or at the space that ends the tag set.
  p = SkipBlanks(p, end);
  if (p == end) return "missing fields";

  for (;;) {
    q = ScanName<kEndsKey, kEscapableInKey>(p, end, &escaped);
    if (q == p) return "missing field key";
    if (q == end || *q != '=') return "invalid field format";
    // Built in place: a FieldView copied from the stack cost a store-forwarding stall per field.
    FieldView& field = fields_.emplace_back();
    field.key = Token(p, q, escaped, kEscapableInKey);
    p = q + 1;
    if (p == end || (ClassOf(*p) & kEndsValue)) return "missing field value";
    if (const char* reason = ParseFieldValue(p, end, &field, &p)) return reason;
    if (p == end || *p == ' ') break;
    if (*p != ',') return "invalid field format";  // As in f="a"b.
    ++p;
  }

  int64_t timestamp = now_ns_;
  if (p < end) {
    // Trailing blanks are gone, so something other than blanks follows.
    p = SkipBlanks(p, end);
    if (!ParseInt64(p, end, &timestamp)) return "bad timestamp";
    if (__builtin_mul_overflow(timestamp, scale_, &timestamp)) return "time outside range";
  }

  const absl::Status status = batch_->Add(measurement, tags_, fields_, timestamp);
  if (!status.ok()) {
    batch_error_ = std::string(status.message());
    return batch_error_.c_str();
  }
  return nullptr;
}

std::string ErrorReason(size_t line, std::string_view text, std::string_view reason) {
  const bool truncated = text.size() > kMaxExcerptBytes;
  const std::string_view excerpt = text.substr(0, kMaxExcerptBytes);
  return absl::StrCat("line ", line, ": unable to parse '",
                      absl::string_view(excerpt.data(), excerpt.size()), truncated ? "..." : "",
                      "': ", absl::string_view(reason.data(), reason.size()));
}

template <uint8_t kEscapable>
void AppendEscaped(std::string_view text, std::string* out) {
  for (char c : text) {
    if (ClassOf(c) & kEscapable) out->push_back('\\');
    out->push_back(c);
  }
}

}  // namespace

absl::StatusOr<Precision> ParsePrecision(std::string_view text) {
  if (text.empty() || text == "ns" || text == "n") return Precision::kNanoseconds;
  if (text == "u" || text == "us") return Precision::kMicroseconds;
  if (text == "ms") return Precision::kMilliseconds;
  if (text == "s") return Precision::kSeconds;
  if (text == "m") return Precision::kMinutes;
  if (text == "h") return Precision::kHours;
  return absl::InvalidArgumentError(absl::StrCat("unknown precision '",
                                                 absl::string_view(text.data(), text.size()),
                                                 "' (want ns, u, ms, s, m or h)"));
}

int64_t NanosecondsPer(Precision precision) {
  switch (precision) {
    case Precision::kNanoseconds:
      return 1;
    case Precision::kMicroseconds:
      return 1'000;
    case Precision::kMilliseconds:
      return 1'000'000;
    case Precision::kSeconds:
      return 1'000'000'000;
    case Precision::kMinutes:
      return 60 * int64_t{1'000'000'000};
    case Precision::kHours:
      return 3600 * int64_t{1'000'000'000};
  }
  return 1;
}

ParseResult ParseLineProtocol(std::string_view body, Precision precision, int64_t now_ns,
                              WriteBatch* batch) {
  ParseResult result;
  Parser parser(precision, now_ns, batch);
  const char* p = body.data();
  const char* const body_end = p + body.size();
  size_t line = 0;
  while (p < body_end) {
    ++line;
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', body_end - p));
    const char* end = newline != nullptr ? newline : body_end;
    const char* const next = newline != nullptr ? newline + 1 : body_end;
    if (end > p && end[-1] == '\r') --end;
    p = SkipBlanks(p, end);
    while (end > p && IsBlank(end[-1])) --end;
    if (p == end || *p == '#') {
      p = next;
      continue;
    }
    if (const char* reason = parser.ParsePoint(p, end)) {
      if (result.errors.size() < kMaxReportedErrors) {
        result.errors.push_back({line, ErrorReason(line, std::string_view(p, end - p), reason)});
      }
      ++result.error_count;
    } else {
      ++result.points;
    }
    p = next;
  }
  return result;
}

void AppendLineProtocol(std::string_view measurement, absl::Span<const TagView> tags,
                        absl::Span<const FieldView> fields, int64_t timestamp_ns,
                        std::string* out) {
  AppendEscaped<kEscapableInMeasurement>(measurement, out);
  for (const TagView& tag : tags) {
    out->push_back(',');
    AppendEscaped<kEscapableInKey>(tag.key, out);
    out->push_back('=');
    AppendEscaped<kEscapableInKey>(tag.value, out);
  }
  char buf[32];  // Enough for any int64, uint64 or shortest double.
  for (size_t i = 0; i < fields.size(); ++i) {
    out->push_back(i == 0 ? ' ' : ',');
    AppendEscaped<kEscapableInKey>(fields[i].key, out);
    out->push_back('=');
    const auto& value = fields[i].value;
    switch (value.index()) {
      case 0: {
        const auto r = std::to_chars(buf, buf + sizeof buf, std::get<0>(value));
        out->append(buf, r.ptr);
        break;
      }
      case 1: {
        const auto r = std::to_chars(buf, buf + sizeof buf, std::get<1>(value));
        out->append(buf, r.ptr);
        out->push_back('i');
        break;
      }
      case 2: {
        const auto r = std::to_chars(buf, buf + sizeof buf, std::get<2>(value));
        out->append(buf, r.ptr);
        out->push_back('u');
        break;
      }
      case 3:
        out->append(std::get<3>(value) ? "true" : "false");
        break;
      case 4:
        out->push_back('"');
        for (char c : std::get<4>(value)) {
          if (c == '"' || c == '\\') out->push_back('\\');
          out->push_back(c);
        }
        out->push_back('"');
        break;
    }
  }
  out->push_back(' ');
  const auto r = std::to_chars(buf, buf + sizeof buf, timestamp_ns);
  out->append(buf, r.ptr);
  out->push_back('\n');
}

}  // namespace edgetsdb
