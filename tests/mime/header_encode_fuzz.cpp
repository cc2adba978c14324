// Fuzz target: header text encoding. Text that passes CheckHeaderText must
// come out of AppendUnstructured and AppendPhrase as 7-bit lines of at most
// 76 characters ending in CRLF, with encoded-words of at most 75 characters
// that never split a UTF-8 sequence, and must decode back to the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "header_test_util.h"
#include "mime/encoded_word.h"
#include "mime/header_safety.h"
#include "mime/utf8.h"

namespace {

using namespace tayori::mime;

void CheckField(const std::string& field, std::string_view text, bool phrase) {
  auto lines = testing::Lines(field);
  if (field.size() < 2 || field.compare(field.size() - 2, 2, "\r\n") != 0) std::abort();
  for (const auto& l : lines) {
    if (l.size() > HeaderFolder::kLineLimit) std::abort();
    for (unsigned char c : l)
      if (c >= 0x80 || c < 0x20) std::abort();
  }
  std::string value = field.substr(field.find(':') + 1);
  if (value.find("=?UTF-8?") != std::string::npos) {
    // Each word decodes on its own to valid UTF-8, and all of them to the text.
    size_t pos = 0;
    while ((pos = value.find("=?UTF-8?", pos)) != std::string::npos) {
      size_t end = value.find("?=", pos + 10);
      if (end == std::string::npos || end + 2 - pos > 75) std::abort();
      std::string decoded = testing::DecodeWords(value.substr(pos, end + 2 - pos));
      if (decoded == testing::kBad || !IsValidUtf8(decoded)) std::abort();
      pos = end + 2;
    }
    if (testing::DecodeWords(value) != text) std::abort();
  } else if (!phrase) {
    std::string unfolded;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value.compare(i, 2, "\r\n") == 0) {
        ++i;
        continue;
      }
      unfolded += value[i];
    }
    if (unfolded != (text.empty() ? "" : " " + std::string(text))) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!CheckHeaderText("Subject", text).ok()) return 0;
  std::string subject;
  {
    HeaderFolder f(&subject, "Subject");
    AppendUnstructured(f, text);
    f.Finish();
  }
  CheckField(subject, text, false);
  std::string to;
  {
    HeaderFolder f(&to, "To");
    AppendPhrase(f, text);
    f.Finish();
  }
  CheckField(to, text, true);
  return 0;
}
