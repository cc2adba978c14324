// Header-like fields: a message's header (as mime_tree.h reads it) and the
// field groups of a delivery-status (RFC 3464 §2.1) or feedback-report
// (RFC 5965 §3.1) body, which GMime leaves as text. Pure.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tayori::feedback {

struct Field {
  std::string name;   // as written
  std::string value;  // unfolded, trimmed, valid UTF-8
};
using Fields = std::vector<Field>;

// The value of the first field called `name` (case-insensitive), or nullptr.
const std::string* FindField(const Fields& fields, std::string_view name);
// Every value of the fields called `name`, in order.
std::vector<std::string> FindAll(const Fields& fields, std::string_view name);

// Calls `group` for each group of "Name: value" lines in `text`, groups
// separated by blank lines. Continuation lines (leading white space) join
// the previous value with one space; lines that are not fields are
// skipped; values are cut at kMaxFieldChars and made valid UTF-8. Stops
// early when `group` returns false. Linear in the size of `text`.
void ForEachFieldGroup(std::string_view text, const std::function<bool(Fields&)>& group);

// ASCII case-insensitive comparisons, used throughout the module.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
std::string ToLowerAscii(std::string_view s);
std::string_view TrimSpace(std::string_view s);

}  // namespace tayori::feedback
