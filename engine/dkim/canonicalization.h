// DKIM canonicalization (RFC 6376 §3.4): the "simple" and "relaxed" forms of
// header fields and of the body. Pure functions and a streaming body
// canonicalizer; nothing here allocates per byte.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dkim/hash.h"

namespace tayori::dkim {

enum class Canonicalization { kSimple, kRelaxed };

std::string_view CanonicalizationName(Canonicalization c);  // "simple" / "relaxed"
std::optional<Canonicalization> ParseCanonicalization(std::string_view name);

// Appends the canonical form of one header field to *out, WITHOUT the final
// CRLF (callers add it, except for the DKIM-Signature field being signed,
// RFC 6376 §3.7). `field` is the field as it appears in the message
// ("Name: value", folding CRLFs included) minus its terminating CRLF.
//   simple  (§3.4.1): unchanged.
//   relaxed (§3.4.2): name lower-cased, value unfolded, runs of WSP reduced
//                     to one SP, WSP around the colon and at the end removed.
void AppendCanonicalHeader(std::string_view field, Canonicalization c, std::string* out);

// Canonicalizes a message body given in any number of pieces and writes the
// result to a sink (usually a Sha256Hasher), buffering output so the sink sees
// a few large writes. Splitting the body differently never changes the
// output. Lines end at CRLF; a bare CR or LF is an ordinary character.
//   simple  (§3.4.3): trailing empty lines removed; an empty body becomes CRLF;
//                     a missing final CRLF is added.
//   relaxed (§3.4.4): also WSP at line ends removed and runs of WSP reduced to
//                     one SP; an empty body stays empty.
// Not thread-safe; one per body.
class BodyCanonicalizer {
 public:
  // *sink must outlive this object.
  BodyCanonicalizer(Canonicalization c, ByteSink* sink) : canon_(c), sink_(sink) {}
  BodyCanonicalizer(const BodyCanonicalizer&) = delete;
  BodyCanonicalizer& operator=(const BodyCanonicalizer&) = delete;

  void Update(std::string_view piece);
  // Flushes the last line. Call exactly once; Update() must not follow.
  void Finish();
  // Canonical bytes produced so far (all of them after Finish()).
  size_t output_size() const { return written_ + used_; }

 private:
  void StartContent();
  void EndLine();
  void Put(const char* p, size_t n);
  void PutByte(char c);
  void Flush();

  Canonicalization canon_;
  ByteSink* sink_;
  size_t pending_empty_lines_ = 0;  // empty lines not yet known to be non-trailing
  bool line_has_content_ = false;
  bool pending_wsp_ = false;  // relaxed: WSP seen, emitted as one SP if content follows
  bool pending_cr_ = false;   // a CR that may start a CRLF
  size_t written_ = 0;  // bytes already handed to the sink
  size_t used_ = 0;     // bytes in buf_
  char buf_[4096];
};

// Convenience for tests and small inputs: the whole canonical body.
std::string CanonicalizeBody(std::string_view body, Canonicalization c);

}  // namespace tayori::dkim
