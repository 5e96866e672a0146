// Compiled tag matchers (SeriesSelector::matchers), shared by the head and the block readers.
// Regular expressions are RE2, the syntax of InfluxQL's Go regexps, and run in time linear in the
// input: a pattern from an untrusted query cannot exhaust the stack or the CPU.
#ifndef EDGETSDB_DB_TAG_MATCHER_H_
#define EDGETSDB_DB_TAG_MATCHER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "edgetsdb/db.h"
#include "edgetsdb/point.h"

namespace re2 {
class RE2;
}

namespace edgetsdb {

// Immutable once compiled; Matches is thread-safe.
class TagMatchers {
 public:
  // InvalidArgument naming the pattern for a regular expression RE2 refuses (or one over 64 KiB
  // of compiled program: a bound on what one query may cost).
  static absl::StatusOr<TagMatchers> Compile(const std::vector<TagMatcher>& matchers);

  TagMatchers(TagMatchers&&) noexcept;
  TagMatchers& operator=(TagMatchers&&) noexcept;
  ~TagMatchers();

  // Whether tags (sorted by key) satisfy every matcher. A missing tag compares as "", as in
  // InfluxQL; regular expressions match anywhere in the value (anchor them with ^ and $).
  bool Matches(absl::Span<const TagView> tags) const;
  bool empty() const { return matchers_.empty(); }

 private:
  struct Compiled {
    std::string key;
    TagMatcher::Op op;
    std::string value;
    std::unique_ptr<re2::RE2> regex;
  };
  TagMatchers() = default;
  std::vector<Compiled> matchers_;
};

}  // namespace edgetsdb

#endif  // EDGETSDB_DB_TAG_MATCHER_H_
