// Report texts in the operator's language. A check records a message id and
// its arguments, not a sentence, so one Report renders in English for the
// operator's terminal and in Japanese for a shop owner (tayori domain check
// --lang ja, or the shop's locale) without running the checks again.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "readiness/messages.h"

namespace tayori::readiness {

enum class Lang { kEn, kJa };

// "ja", "ja_JP.UTF-8", "ja-JP" → kJa; anything else → kEn.
Lang LangFromLocale(std::string_view locale);
std::string_view LangCode(Lang lang);  // "en", "ja"

class Text {
 public:
  Text() = default;  // empty: nothing to say
  explicit Text(MessageId id) : id_(id) {}

  // Sets {name} to `value` as found in DNS or configuration. Control
  // characters are replaced with '?' and values past 300 bytes are cut with
  // "…", so a hostile TXT record cannot drive the operator's terminal.
  Text& Arg(std::string name, std::string_view value);
  Text& Arg(std::string name, long long value);
  // Sets {name} to another message, rendered in the same language.
  Text& Arg(std::string name, Text nested);

  MessageId id() const { return id_; }
  bool empty() const { return id_ == MessageId::kNone; }
  // The template of id() in `lang` with every {name} replaced.
  std::string Render(Lang lang) const;

 private:
  struct Value {
    std::string literal;
    std::shared_ptr<const Text> nested;
  };
  MessageId id_ = MessageId::kNone;
  std::vector<std::pair<std::string, Value>> args_;
};

}  // namespace tayori::readiness
