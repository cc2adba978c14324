// Fuzz target: template compilation on any bytes. CheckTemplateLimits runs
// before kainjow's parser, so no input may crash, throw, or use more than
// libFuzzer's memory limit; a template that compiles must render for both
// an empty and a set slot, and its output must not depend on anything else.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "render/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tayori::render;
  static const TemplateVariables vars = [] {
    TemplateVariables v;
    v.AddConstant("a", "A&");
    v.AddConstant("e", "");
    v.AddSlot("s", 0);
    return v;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  auto limits = CheckTemplateLimits({"t", text});
  auto t = CompiledTemplate::Compile({"t", text}, vars, size % 2 ? Escaping::kHtml : Escaping::kNone);
  if (!limits.ok() && t.ok()) std::abort();  // Compile checks the limits first
  if (!t.ok()) return 0;
  std::string_view set[] = {"<x>"};
  std::string a, b, c;
  t->Render({}, a);
  t->Render(set, b);
  t->Render({}, c);
  if (a != c) std::abort();
  if (t->IsConstant() && a != b) std::abort();
  return 0;
}
