// libFuzzer: the DMARC record parser on arbitrary TXT values; a valid
// record's problems and any error must render in both languages.
#include <cstdint>
#include <string>

#include "readiness/dmarc_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tayori::readiness;
  const std::string txt(reinterpret_cast<const char*>(data), size);
  (void)IsDmarcRecord(txt);
  DmarcParse p = ParseDmarcRecord(txt);
  if (p.record) {
    for (const DmarcProblem& w : p.record->warnings) (void)w.ToText().Render(Lang::kJa);
    if (p.record->pct < 0 || p.record->pct > 100) __builtin_trap();
  } else {
    (void)p.error.Describe();
    (void)p.error.ToText().Render(Lang::kEn);
  }
  return 0;
}
