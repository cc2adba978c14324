// Fuzz target: message splitting and canonicalization. Besides not crashing,
// checks the properties the signer relies on: splitting the body anywhere
// gives the same canonical bytes, and relaxed output has no WSP runs and no
// WSP before a line end.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dkim/canonicalization.h"
#include "dkim/message.h"

using tayori::dkim::Canonicalization;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckRelaxed(const std::string& out) {
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    bool wsp = out[i] == ' ' || out[i] == '\t';
    Check(out[i] != '\t');
    Check(!(wsp && (out[i + 1] == ' ' || out[i + 1] == '\t')));
    Check(!(wsp && out[i + 1] == '\r' && i + 2 < out.size() && out[i + 2] == '\n'));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t cut = size == 0 ? 0 : data[0] % (size + 1);

  for (auto c : {Canonicalization::kSimple, Canonicalization::kRelaxed}) {
    std::string whole = tayori::dkim::CanonicalizeBody(input, c);
    tayori::dkim::StringSink sink;
    tayori::dkim::BodyCanonicalizer canon(c, &sink);
    canon.Update(input.substr(0, cut));
    canon.Update(input.substr(cut));
    canon.Finish();
    Check(sink.data() == whole);
    Check(canon.output_size() == whole.size());
    // Canonical bodies end in CRLF (or are empty, relaxed only), and
    // canonicalizing again changes nothing.
    Check(whole.empty() ? c == Canonicalization::kRelaxed : whole.size() >= 2 && whole.ends_with("\r\n"));
    Check(tayori::dkim::CanonicalizeBody(whole, c) == whole);
    if (c == Canonicalization::kRelaxed) CheckRelaxed(whole);
  }

  auto view = tayori::dkim::SplitMessage(input);
  if (view.ok()) {
    for (const auto& f : view->fields) {
      Check(!f.name.empty());
      std::string relaxed;
      tayori::dkim::AppendCanonicalHeader(f.field, Canonicalization::kRelaxed, &relaxed);
      Check(relaxed.find("\r\n") == std::string::npos);
      std::string simple;
      tayori::dkim::AppendCanonicalHeader(f.field, Canonicalization::kSimple, &simple);
      Check(simple == f.field);
    }
  }
  // The vectorized CRLF check agrees with the obvious definition.
  bool crlf_only = true;
  for (size_t i = 0; i < size; ++i) {
    if (input[i] == '\r' && (i + 1 == size || input[i + 1] != '\n')) crlf_only = false;
    if (input[i] == '\n' && (i == 0 || input[i - 1] != '\r')) crlf_only = false;
  }
  Check(tayori::dkim::CheckCrlfLineEnds(input).ok() == crlf_only);
  return 0;
}
