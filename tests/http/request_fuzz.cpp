// Fuzzes the pure request parsers: path decoding, media types, form bodies
// (both encodings) and Accept-Language. Input layout: the first byte selects
// the parser, the rest is its input; for forms a NUL splits the Content-Type
// from the body.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/form.h"
#include "http/language.h"
#include "http/path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace tayori::http;
  switch (data[0] % 4) {
    case 0: {
      auto p = DecodePath(in);
      if (p.ok()) {
        // A decoded path is non-empty, starts with '/', and has no NUL.
        if (p->empty() || (*p)[0] != '/' || p->find('\0') != std::string::npos) std::abort();
        (void)PathParameter(*p, "/u/");
      }
      break;
    }
    case 1: {
      size_t nul = in.find('\0');
      std::string_view type = in.substr(0, nul);
      std::string_view body = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
      FormError why;
      auto f = ParseForm(type, body, &why);
      if (f.ok() != (why == FormError::kNone)) std::abort();
      if (f.ok()) {
        if (f->size() > kMaxFields) std::abort();
        (void)IsOneClickUnsubscribe(*f);
      }
      break;
    }
    case 2: {
      auto mt = ParseMediaType(in);
      if (mt.ok() && mt->type.find('/') == std::string::npos) std::abort();
      break;
    }
    case 3: {
      constexpr std::array<std::string_view, 2> langs = {"ja", "en"};
      std::string_view l = ChooseLanguage(in, langs, "xx");
      if (l != "ja" && l != "en" && l != "xx") std::abort();
      break;
    }
  }
  return 0;
}
