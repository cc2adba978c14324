#include "dkim/canonicalization.h"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tayori::dkim {
namespace {

// Byte classes for the body scanner. Ordinary bytes are copied in runs; only
// CR (a possible line end) and, in relaxed mode, SP/HTAB (WSP, RFC 5234) need
// a decision. LF on its own is ordinary: a line ends only at CRLF.
enum : uint8_t { kOrdinary = 0, kSpecial = 1 };

constexpr std::array<uint8_t, 256> MakeClasses(bool relaxed) {
  std::array<uint8_t, 256> t{};
  t['\r'] = kSpecial;
  if (relaxed) {
    t[' '] = kSpecial;
    t['\t'] = kSpecial;
  }
  return t;
}
constexpr auto kSimpleClasses = MakeClasses(false);
constexpr auto kRelaxedClasses = MakeClasses(true);

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

// Skips ordinary bytes: returns the first byte at or after p that is CR, or
// (relaxed) SP or HTAB; end when there is none. Bodies are mostly ordinary
// text, so this runs 16 bytes per step where SSE2 is available.
const char* SkipOrdinary(const char* p, const char* end, bool relaxed, const std::array<uint8_t, 256>& classes) {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i sp = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  while (end - p >= 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_cmpeq_epi8(block, cr);
    if (relaxed) hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(block, sp), _mm_cmpeq_epi8(block, tab)));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#else
  (void)relaxed;
#endif
  while (p < end && classes[static_cast<uint8_t>(*p)] == kOrdinary) ++p;
  return p;
}

}  // namespace

std::string_view CanonicalizationName(Canonicalization c) {
  return c == Canonicalization::kSimple ? "simple" : "relaxed";
}

std::optional<Canonicalization> ParseCanonicalization(std::string_view name) {
  if (name == "simple") return Canonicalization::kSimple;
  if (name == "relaxed") return Canonicalization::kRelaxed;
  return std::nullopt;
}

void AppendCanonicalHeader(std::string_view field, Canonicalization c, std::string* out) {
  if (c == Canonicalization::kSimple) {
    out->append(field);
    return;
  }
  size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  // §3.4.2: "Delete any WSP characters remaining before and after the colon".
  while (!name.empty() && IsWsp(name.back())) name.remove_suffix(1);
  for (char ch : name) out->push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
  out->push_back(':');
  if (colon == std::string_view::npos) return;
  std::string_view value = field.substr(colon + 1);
  // Unfolding removes the CRLF of each fold; the WSP that follows it joins the
  // surrounding run, which becomes one SP, or nothing at either end.
  bool pending_space = false;
  bool started = false;
  size_t i = 0;
  while (i < value.size()) {
    char ch = value[i];
    if (ch == '\r' || ch == '\n') {
      ++i;
      continue;
    }
    if (IsWsp(ch)) {
      pending_space = true;
      ++i;
      continue;
    }
    if (pending_space && started) out->push_back(' ');
    pending_space = false;
    started = true;
    size_t run = i;
    while (i < value.size() && !IsWsp(value[i]) && value[i] != '\r' && value[i] != '\n') ++i;
    out->append(value.data() + run, i - run);
  }
}

void BodyCanonicalizer::Update(std::string_view piece) {
  const char* p = piece.data();
  const char* end = p + piece.size();
  const auto& classes = canon_ == Canonicalization::kRelaxed ? kRelaxedClasses : kSimpleClasses;
  if (pending_cr_ && p < end) {
    pending_cr_ = false;
    if (*p == '\n') {
      ++p;
      EndLine();
    } else {
      StartContent();
      PutByte('\r');
    }
  }
  while (p < end) {
    const char* run = p;
    p = SkipOrdinary(p, end, canon_ == Canonicalization::kRelaxed, classes);
    if (p != run) {
      StartContent();
      Put(run, static_cast<size_t>(p - run));
    }
    if (p == end) break;
    char c = *p++;
    if (c == '\r') {
      if (p == end) {
        pending_cr_ = true;  // the LF may arrive with the next piece
      } else if (*p == '\n') {
        ++p;
        EndLine();
      } else {
        StartContent();
        PutByte('\r');
      }
    } else {
      pending_wsp_ = true;  // relaxed WSP: emitted only if content follows on this line
    }
  }
}

void BodyCanonicalizer::Finish() {
  if (pending_cr_) {
    pending_cr_ = false;
    StartContent();
    PutByte('\r');
  }
  // A last line without CRLF gets one (§3.4.3, §3.4.4); its trailing WSP is
  // dropped like any line end's in relaxed mode.
  if (line_has_content_) EndLine();
  // Empty lines still pending are trailing ones: they are dropped. A simple
  // body with nothing left is a single CRLF (§3.4.3); a relaxed one is empty.
  if (canon_ == Canonicalization::kSimple && output_size() == 0) Put("\r\n", 2);
  Flush();
}

void BodyCanonicalizer::StartContent() {
  // The empty lines seen so far are followed by content, so they were not
  // trailing after all.
  for (; pending_empty_lines_ > 0; --pending_empty_lines_) Put("\r\n", 2);
  if (pending_wsp_) {
    PutByte(' ');
    pending_wsp_ = false;
  }
  line_has_content_ = true;
}

void BodyCanonicalizer::EndLine() {
  if (line_has_content_) {
    Put("\r\n", 2);
  } else {
    ++pending_empty_lines_;
  }
  line_has_content_ = false;
  pending_wsp_ = false;
}

void BodyCanonicalizer::PutByte(char c) {
  if (used_ == sizeof buf_) Flush();
  buf_[used_++] = c;
}

void BodyCanonicalizer::Put(const char* p, size_t n) {
  if (n >= sizeof buf_) {
    Flush();
    sink_->Write(std::string_view(p, n));
    written_ += n;
    return;
  }
  if (n > sizeof buf_ - used_) Flush();
  std::memcpy(buf_ + used_, p, n);
  used_ += n;
}

void BodyCanonicalizer::Flush() {
  if (used_ == 0) return;
  sink_->Write(std::string_view(buf_, used_));
  written_ += used_;
  used_ = 0;
}

std::string CanonicalizeBody(std::string_view body, Canonicalization c) {
  StringSink sink;
  BodyCanonicalizer canon(c, &sink);
  canon.Update(body);
  canon.Finish();
  return sink.data();
}

}  // namespace tayori::dkim
