// Fuzz target: HtmlToText on any bytes. It must not crash, and valid UTF-8
// in must give valid UTF-8 out (references decode to whole code points,
// tags and '&' sit on character boundaries). Its running time is linear by
// construction; libFuzzer's -timeout catches a regression on large inputs.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/utf8.h"
#include "render/html_to_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view html(reinterpret_cast<const char*>(data), size);
  std::string text = tayori::render::HtmlToText(html);
  if (tayori::mime::IsValidUtf8(html) && !tayori::mime::IsValidUtf8(text)) std::abort();
  if (!text.empty() && text.back() != '\n') std::abort();
  return 0;
}
