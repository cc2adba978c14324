// A mustache template compiled once per campaign into a flat program that
// renders per recipient without parsing, lookups by name, or allocation
// beyond the output buffer.
//
// Parsing is kainjow mustache's (its parser and error messages); errors are
// reported as "<template name>:<line>: <reason>". The dialect, checked at
// compile time so nothing fails per recipient:
//   {{name}}       the value, HTML-escaped when the template is HTML
//   {{{name}}} {{&name}}  the value unescaped
//   {{#name}}...{{/name}}  rendered when the value is non-empty
//   {{^name}}...{{/name}}  rendered when the value is empty
//   {{! comment }}, {{=<% %>=}} delimiter changes
// Partials, lambdas and lists are not supported. Every name must be known
// (TemplateVariables); an unknown one is a compile error naming the line.
// Standalone section, comment and delimiter tags take their whole line with
// them (mustache spec, "Standalone Tags").
//
// Before the parser runs, a linear scan checks the template against
// kMaxTemplateBytes and kMaxSectionDepth (CheckTemplateLimits), so a
// hostile template costs a bounded amount of memory and time to refuse.
//
// Constants (shop and campaign fields) are substituted at compile time;
// per-recipient values are "slots" passed to Render in a fixed order.
//
// Thread-safety: a CompiledTemplate is immutable; Render may run on many
// threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace tayori::render {

// The names a template may use, each bound to a constant or a slot index.
class TemplateVariables {
 public:
  void AddConstant(std::string name, std::string value);
  void AddSlot(std::string name, uint32_t slot);

  struct Binding {
    bool is_slot = false;
    uint32_t slot = 0;
    std::string value;
  };
  const Binding* Find(std::string_view name) const;
  // "a, b, c": for error messages.
  std::string Names() const;

 private:
  std::map<std::string, Binding, std::less<>> vars_;
};

enum class Escaping { kNone, kHtml };

struct TemplateSource {
  std::string name;  // for errors: a file name such as "html.mustache"
  std::string text;
};

// Limits on a template's source, checked before kainjow's parser sees it.
// The parser keeps a copy of each section's text, so its memory grows with
// nesting depth times size: 16,000 nested sections in 448 KB took 3.4 GB and
// 12 s. Under these limits the worst template measured (256 KiB of line
// breaks inside 32 sections: one parser node per line break) takes about
// 85 MB and 0.1 s to compile.
//
// 256 KiB: Gmail clips a message whose HTML passes about 102 KB, so no
// newsletter that reads well comes near; the reference templates are under
// 4 KB. Counted without CR bytes, so a file weighs the same with CRLF or LF
// line ends (Compile sees the CRLF form, `campaign create` the file).
inline constexpr size_t kMaxTemplateBytes = 256 * 1024;
// 32: sections here are only "if set" / "if empty" (no lists), so a real
// template nests a few deep (the reference templates do not nest at all).
inline constexpr size_t kMaxSectionDepth = 32;
// 8: the parser compares the begin delimiter at every byte, so a long one
// costs size times length; "<% %>" and "[[ ]]" are what templates use.
inline constexpr size_t kMaxDelimiterBytes = 8;

// Checks `source` against the limits above in one linear scan, following
// delimiter changes as the parser does. Errors are kInvalidInput and name
// the template and the limit: "html: template is 300000 bytes; the limit is
// 262144 bytes", "html:40: sections nested 33 deep; the limit is 32".
// Anything else wrong with the template is left to Compile.
Status CheckTemplateLimits(const TemplateSource& source);

// A template parsed (CheckTemplateLimits, then kainjow's parser), not yet
// bound to variables: what compiling costs that depends on the text alone.
// Immutable; shared between campaigns through a TemplateCache
// (render/template_cache.h).
struct ParsedTemplate;
Result<std::shared_ptr<const ParsedTemplate>> ParseTemplate(const TemplateSource& source);

class CompiledTemplate {
 public:
  // Parses, then binds: unknown names are errors here, constants are
  // substituted and sections on constants decided.
  static Result<CompiledTemplate> Compile(const TemplateSource& source, const TemplateVariables& vars,
                                          Escaping escaping);
  // Binds a template parsed before (the same result as from its source).
  static Result<CompiledTemplate> Compile(const ParsedTemplate& parsed, const TemplateVariables& vars,
                                          Escaping escaping);

  // Appends the rendered text to `out`. `slots[i]` is the value of slot i;
  // slots beyond slots.size() render as empty.
  void Render(std::span<const std::string_view> slots, std::string& out) const;

  // Whether slot `slot` can appear in the output (in a variable tag).
  bool UsesSlot(uint32_t slot) const;
  // True when the output is the same for every recipient.
  bool IsConstant() const { return ops_.size() <= 1 && (ops_.empty() || ops_[0].kind == Op::kText); }
  // Size of the literal text: a good first guess for reserving output.
  size_t LiteralSize() const { return literals_.size(); }

 private:
  struct Op {
    enum Kind : uint8_t { kText, kVar, kVarRaw, kIfSet, kIfEmpty } kind;
    uint32_t a;  // kText: offset into literals_; kVar*/kIf*: slot
    uint32_t b;  // kText: length; kIf*: index of the first op after the section
  };
  std::string literals_;
  std::vector<Op> ops_;

  friend class TemplateBuilder;
};

// Appends `s` with & < > " ' replaced by HTML character references.
void AppendHtmlEscaped(std::string& out, std::string_view s);

}  // namespace tayori::render
