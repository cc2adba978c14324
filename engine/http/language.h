// Content negotiation by Accept-Language (RFC 9110 §12.5.4), for pages that
// exist in a few languages. Pure; safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace tayori::http {

// Picks one of `available` (lower-case primary language tags such as "ja",
// "en") for the header value `accept_language`. A range matches a language
// when its primary subtag equals it ("ja-JP" → "ja") or is "*"; a specific
// range beats "*". The highest q-value wins, ties go to the range listed
// first, q=0 excludes. Returns `fallback` when the header is empty, malformed
// or matches nothing.
std::string_view ChooseLanguage(std::string_view accept_language, std::span<const std::string_view> available,
                                std::string_view fallback);

}  // namespace tayori::http
