#include "render/template.h"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <exception>
#include <memory>
#include <string>

namespace tayori::render {
namespace km = kainjow::mustache;

namespace {

struct Token {
  enum Kind { kText, kNewline, kVar, kVarRaw, kBegin, kBeginInverted, kEnd, kBare } kind;
  std::string text;  // literal text, or the variable/section name
  size_t pos;        // offset in the source, for line numbers
  bool removed = false;
};

size_t LineOf(std::string_view text, size_t pos) {
  pos = std::min(pos, text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

Status ErrorAt(const TemplateSource& src, size_t pos, const std::string& why) {
  return InvalidInput(src.name + ":" + std::to_string(LineOf(src.text, pos)) + ": " + why);
}

// kainjow reports "Unclosed section \"x\" at 123" (a byte offset); turn that
// into "name:line: unclosed section "x"".
Status TranslateParseError(const TemplateSource& src, const std::string& message) {
  size_t at = message.rfind(" at ");
  std::string why = message;
  size_t pos = 0;
  if (at != std::string::npos && at + 4 < message.size() &&
      std::all_of(message.begin() + static_cast<std::ptrdiff_t>(at + 4), message.end(), ::isdigit)) {
    pos = std::stoul(message.substr(at + 4));
    why = message.substr(0, at);
  }
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  return ErrorAt(src, pos, "mustache syntax error: " + why);
}

Status Flatten(const TemplateSource& src, const km::component<std::string>& c, std::vector<Token>& out) {
  for (const auto& child : c.children) {
    const auto& tag = child.tag;
    switch (tag.type) {
      case km::tag_type::text:
        out.push_back({child.is_newline() ? Token::kNewline : Token::kText, child.text, child.position});
        break;
      case km::tag_type::variable:
        out.push_back({Token::kVar, tag.name, child.position});
        break;
      case km::tag_type::unescaped_variable:
        out.push_back({Token::kVarRaw, tag.name, child.position});
        break;
      case km::tag_type::section_begin:
      case km::tag_type::section_begin_inverted:
        out.push_back({tag.type == km::tag_type::section_begin ? Token::kBegin : Token::kBeginInverted, tag.name,
                       child.position});
        TAYORI_RETURN_IF_ERROR(Flatten(src, child, out));
        out.push_back({Token::kEnd, tag.name, child.position});
        break;
      case km::tag_type::comment:
      case km::tag_type::set_delimiter:
        out.push_back({Token::kBare, "", child.position});
        break;
      case km::tag_type::partial:
        return ErrorAt(src, child.position, "partials ({{> " + tag.name + "}}) are not supported");
      case km::tag_type::section_end:
        break;  // kainjow keeps matched ends out of the tree
    }
  }
  return Status::Ok();
}

bool IsBlank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// Mustache spec, "Standalone Tags": a line holding only section, comment or
// delimiter tags and white space is removed, newline included, so
//   {{#vip}}\nGold member\n{{/vip}}\n
// renders as "Gold member\n" rather than with blank lines around it.
void RemoveStandaloneLines(std::vector<Token>& tokens) {
  size_t start = 0;
  while (start < tokens.size()) {
    size_t end = start;
    while (end < tokens.size() && tokens[end].kind != Token::kNewline) ++end;
    bool has_tag = false, only_blank = true;
    for (size_t i = start; i < end; ++i) {
      switch (tokens[i].kind) {
        case Token::kBegin:
        case Token::kBeginInverted:
        case Token::kEnd:
        case Token::kBare:
          has_tag = true;
          break;
        case Token::kText:
          only_blank = only_blank && IsBlank(tokens[i].text);
          break;
        default:
          only_blank = false;
      }
    }
    if (has_tag && only_blank) {
      for (size_t i = start; i < end; ++i)
        if (tokens[i].kind == Token::kText) tokens[i].removed = true;
      if (end < tokens.size()) tokens[end].removed = true;
    }
    start = end + 1;
  }
}

// kainjow's trim() and delimiter rules, repeated here so the scan sees the
// tags the parser will see (std::isspace in the C locale).
bool IsTagSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsTagSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsTagSpace(s.back())) s.remove_suffix(1);
  return s;
}

// "=<% %>=" -> begin "<%", end "%>"; false when the parser would refuse it.
bool ParseSetDelimiter(std::string_view contents, std::string& begin, std::string& end) {
  if (contents.size() < 5 || contents.back() != '=') return false;
  std::string_view inner = Trim(contents.substr(1, contents.size() - 2));
  size_t space = inner.find(' ');
  if (space == std::string_view::npos) return false;
  size_t next = inner.find_first_not_of(' ', space + 1);
  if (next == std::string_view::npos) return false;
  std::string_view b = inner.substr(0, space), e = inner.substr(next);
  auto valid = [](std::string_view d) {
    return std::none_of(d.begin(), d.end(), [](char c) { return c == '=' || IsTagSpace(c); });
  };
  if (!valid(b) || !valid(e)) return false;
  begin = b;
  end = e;
  return true;
}

}  // namespace

Status CheckTemplateLimits(const TemplateSource& src) {
  std::string_view text = src.text;
  size_t bytes = text.size() - static_cast<size_t>(std::count(text.begin(), text.end(), '\r'));
  if (bytes > kMaxTemplateBytes)
    return InvalidInput(src.name + ": template is " + std::to_string(bytes) + " bytes; the limit is " +
                        std::to_string(kMaxTemplateBytes) + " bytes");

  // Tags as kainjow's parser finds them: the next begin delimiter, then the
  // end delimiter ("}}}" after "{{{"), contents trimmed. The scan stops where
  // the parser would stop with an error, having seen the same tags up to it.
  std::string begin = "{{", end = "}}";
  size_t depth = 0;
  size_t pos = 0;
  while ((pos = text.find(begin, pos)) != std::string_view::npos) {
    const size_t tag = pos;
    size_t contents = pos + begin.size();
    bool braces = begin == "{{" && end == "}}";
    bool triple = braces && contents < text.size() && text[contents] == '{';
    if (triple) ++contents;
    std::string_view close = triple ? std::string_view("}}}") : std::string_view(end);
    size_t close_at = text.find(close, contents);
    if (close_at == std::string_view::npos) break;  // "unclosed tag"
    std::string_view body = Trim(text.substr(contents, close_at - contents));
    pos = close_at + close.size();
    if (body.empty()) continue;
    if (body[0] == '=') {  // checked before "{{{": the parser does so too
      if (!ParseSetDelimiter(body, begin, end)) break;  // "invalid set delimiter tag"
      if (begin.size() > kMaxDelimiterBytes || end.size() > kMaxDelimiterBytes)
        return ErrorAt(src, tag, "a delimiter is longer than " + std::to_string(kMaxDelimiterBytes) + " bytes");
    } else if (triple) {
      continue;  // an unescaped variable, whatever it starts with
    } else if (body[0] == '#' || body[0] == '^') {
      if (++depth > kMaxSectionDepth)
        return ErrorAt(src, tag, "sections nested " + std::to_string(depth) + " deep; the limit is " +
                                     std::to_string(kMaxSectionDepth));
    } else if (body[0] == '/') {
      if (depth == 0) break;  // "unopened section"
      --depth;
    }
  }
  return Status::Ok();
}

void TemplateVariables::AddConstant(std::string name, std::string value) {
  vars_[std::move(name)] = Binding{false, 0, std::move(value)};
}

void TemplateVariables::AddSlot(std::string name, uint32_t slot) { vars_[std::move(name)] = Binding{true, slot, {}}; }

const TemplateVariables::Binding* TemplateVariables::Find(std::string_view name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

std::string TemplateVariables::Names() const {
  std::string out;
  for (const auto& [name, b] : vars_) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

void AppendHtmlEscaped(std::string& out, std::string_view s) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* rep;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      default: continue;
    }
    out.append(s.data() + run, i - run);
    out.append(rep);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

// What parsing leaves: the tokens, standalone lines marked removed, and the
// source for line numbers in the errors of binding.
struct ParsedTemplate {
  TemplateSource source;
  std::vector<Token> tokens;
};

Result<std::shared_ptr<const ParsedTemplate>> ParseTemplate(const TemplateSource& src) {
  TAYORI_RETURN_IF_ERROR(CheckTemplateLimits(src));
  km::component<std::string> root;
  std::string error;
  // kainjow reports errors through `error`, but it is not noexcept
  // (std::string::at, allocation): nothing may escape the render module.
  try {
    km::context<std::string> ctx;
    km::context_internal<std::string> internal{ctx};
    km::parser<std::string> parser{src.text, internal, root, error};
  } catch (const std::exception& e) {
    return InvalidInput(src.name + ": mustache parser failed: " + e.what());
  }
  if (!error.empty()) return TranslateParseError(src, error);
  auto parsed = std::make_shared<ParsedTemplate>();
  TAYORI_RETURN_IF_ERROR(Flatten(src, root, parsed->tokens));
  RemoveStandaloneLines(parsed->tokens);
  parsed->source = src;
  return std::shared_ptr<const ParsedTemplate>(std::move(parsed));
}

class TemplateBuilder {
 public:
  static Result<CompiledTemplate> Build(const ParsedTemplate& parsed, const TemplateVariables& vars,
                                        Escaping escaping) {
    const TemplateSource& src = parsed.source;
    const std::vector<Token>& tokens = parsed.tokens;
    for (const Token& t : tokens) {
      if (t.kind == Token::kVar || t.kind == Token::kVarRaw || t.kind == Token::kBegin ||
          t.kind == Token::kBeginInverted) {
        if (!vars.Find(t.text))
          return ErrorAt(src, t.pos, "unknown variable '" + t.text + "' (known: " + vars.Names() + ")");
      }
    }
    TemplateBuilder b;
    b.t_.literals_.reserve(src.text.size());
    // Open sections: the index of their kIf op, or -1 for a section decided
    // at compile time (its value is a constant).
    std::vector<int64_t> open;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      if (t.removed) continue;
      switch (t.kind) {
        case Token::kText:
        case Token::kNewline:
          b.t_.literals_ += t.text;
          break;
        case Token::kVar:
        case Token::kVarRaw: {
          const auto* v = vars.Find(t.text);
          bool escape = t.kind == Token::kVar && escaping == Escaping::kHtml;
          if (!v->is_slot) {
            if (escape) {
              AppendHtmlEscaped(b.t_.literals_, v->value);
            } else {
              b.t_.literals_ += v->value;
            }
          } else {
            b.Flush();
            b.t_.ops_.push_back({escape ? CompiledTemplate::Op::kVar : CompiledTemplate::Op::kVarRaw, v->slot, 0});
          }
          break;
        }
        case Token::kBegin:
        case Token::kBeginInverted: {
          const auto* v = vars.Find(t.text);
          bool inverted = t.kind == Token::kBeginInverted;
          if (!v->is_slot) {
            bool render = v->value.empty() == inverted;
            if (render) {
              open.push_back(-1);
            } else {
              // Skip to the matching end; its End token is consumed here.
              int depth = 1;
              while (depth > 0 && ++i < tokens.size()) {
                if (tokens[i].kind == Token::kBegin || tokens[i].kind == Token::kBeginInverted) ++depth;
                if (tokens[i].kind == Token::kEnd) --depth;
              }
            }
          } else {
            b.Flush();
            open.push_back(static_cast<int64_t>(b.t_.ops_.size()));
            b.t_.ops_.push_back({inverted ? CompiledTemplate::Op::kIfEmpty : CompiledTemplate::Op::kIfSet, v->slot, 0});
          }
          break;
        }
        case Token::kEnd: {
          int64_t op = open.back();
          open.pop_back();
          if (op >= 0) {
            b.Flush();
            b.t_.ops_[static_cast<size_t>(op)].b = static_cast<uint32_t>(b.t_.ops_.size());
          }
          break;
        }
        case Token::kBare:
          break;
      }
    }
    b.Flush();
    b.t_.literals_.shrink_to_fit();
    return std::move(b.t_);
  }

 private:
  // Turns the literal text added since the last op into a kText op.
  void Flush() {
    if (t_.literals_.size() > flushed_) {
      t_.ops_.push_back({CompiledTemplate::Op::kText, static_cast<uint32_t>(flushed_),
                         static_cast<uint32_t>(t_.literals_.size() - flushed_)});
      flushed_ = t_.literals_.size();
    }
  }

  CompiledTemplate t_;
  size_t flushed_ = 0;
};

Result<CompiledTemplate> CompiledTemplate::Compile(const TemplateSource& source, const TemplateVariables& vars,
                                                   Escaping escaping) {
  TAYORI_ASSIGN_OR_RETURN(auto parsed, ParseTemplate(source));
  return TemplateBuilder::Build(*parsed, vars, escaping);
}

Result<CompiledTemplate> CompiledTemplate::Compile(const ParsedTemplate& parsed, const TemplateVariables& vars,
                                                   Escaping escaping) {
  return TemplateBuilder::Build(parsed, vars, escaping);
}

void CompiledTemplate::Render(std::span<const std::string_view> slots, std::string& out) const {
  auto slot = [&](uint32_t i) { return i < slots.size() ? slots[i] : std::string_view(); };
  const size_t n = ops_.size();
  size_t pc = 0;
  while (pc < n) {
    const Op& op = ops_[pc];
    switch (op.kind) {
      case Op::kText:
        out.append(literals_.data() + op.a, op.b);
        ++pc;
        break;
      case Op::kVar:
        AppendHtmlEscaped(out, slot(op.a));
        ++pc;
        break;
      case Op::kVarRaw:
        out.append(slot(op.a));
        ++pc;
        break;
      case Op::kIfSet:
        pc = slot(op.a).empty() ? op.b : pc + 1;
        break;
      case Op::kIfEmpty:
        pc = slot(op.a).empty() ? pc + 1 : op.b;
        break;
    }
  }
}

bool CompiledTemplate::UsesSlot(uint32_t slot) const {
  for (const Op& op : ops_)
    if ((op.kind == Op::kVar || op.kind == Op::kVarRaw) && op.a == slot) return true;
  return false;
}

}  // namespace tayori::render
