#include "db/tag_matcher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace edgetsdb {
namespace {

// A pattern as an error message quotes it: whole when short, else its start (a refused pattern
// may be hundreds of kilobytes).
std::string Quoted(const std::string& pattern) {
  constexpr size_t kMaxQuoted = 100;
  if (pattern.size() <= kMaxQuoted) return absl::StrCat("/", pattern, "/");
  return absl::StrCat("/", pattern.substr(0, kMaxQuoted), ".../ (", pattern.size(), " bytes)");
}

}  // namespace

absl::StatusOr<TagMatchers> TagMatchers::Compile(const std::vector<TagMatcher>& matchers) {
  TagMatchers out;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(1 << 20);  // Caps the compiled program and DFA cache per pattern.
  for (const TagMatcher& m : matchers) {
    Compiled compiled{m.key, m.op, m.value, nullptr};
    if (m.op == TagMatcher::Op::kRegexMatch || m.op == TagMatcher::Op::kRegexNoMatch) {
      compiled.regex = std::make_unique<RE2>(m.value, options);
      if (!compiled.regex->ok()) {
        return absl::InvalidArgumentError(absl::StrCat("bad regular expression ", Quoted(m.value),
                                                       " for tag \"", m.key,
                                                       "\": ", compiled.regex->error()));
      }
      if (compiled.regex->ProgramSize() > 64 * 1024) {
        return absl::InvalidArgumentError(
            absl::StrCat("regular expression ", Quoted(m.value), " is too large"));
      }
    }
    out.matchers_.push_back(std::move(compiled));
  }
  return out;
}

TagMatchers::TagMatchers(TagMatchers&&) noexcept = default;
TagMatchers& TagMatchers::operator=(TagMatchers&&) noexcept = default;
TagMatchers::~TagMatchers() = default;

bool TagMatchers::Matches(absl::Span<const TagView> tags) const {
  for (const Compiled& m : matchers_) {
    std::string_view value;
    auto it = std::lower_bound(tags.begin(), tags.end(), m.key,
                               [](const TagView& t, const std::string& k) { return t.key < k; });
    if (it != tags.end() && it->key == m.key) value = it->value;
    bool ok = false;
    switch (m.op) {
      case TagMatcher::Op::kEqual:
        ok = value == m.value;
        break;
      case TagMatcher::Op::kNotEqual:
        ok = value != m.value;
        break;
      case TagMatcher::Op::kRegexMatch:
      case TagMatcher::Op::kRegexNoMatch:
        ok = RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *m.regex) ==
             (m.op == TagMatcher::Op::kRegexMatch);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace edgetsdb
