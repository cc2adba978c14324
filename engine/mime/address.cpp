#include "mime/address.h"

#include "mime/encoded_word.h"
#include "mime/header_safety.h"
#include "mime/idn.h"
#include "mime/syntax.h"
#include "mime/utf8.h"

namespace tayori::mime {
namespace {

// RFC 5321 §4.5.3.1.1 and §4.5.3.1.3: 64 octets of local part; a path of
// 256 octets including the angle brackets leaves 254 for the address.
constexpr size_t kMaxLocalPart = 64;
constexpr size_t kMaxAddress = 254;

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!IsAtext(s[i])) {
      return false;
    }
  }
  return true;
}

// Appended piece by piece: `"'" + std::string(s)` inserts at the front, which
// GCC 12 at -O3 reports as an overlapping memcpy (a false -Wrestrict).
std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

Status Bad(std::string_view text, const std::string& why) {
  return InvalidInput("address " + Quote(text) + " " + why);
}

// Skips white space and (nested) comments, RFC 5322 §3.2.2 CFWS.
Status SkipCfws(std::string_view s, size_t& i) {
  while (i < s.size()) {
    if (IsWsp(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      int depth = 0;
      do {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '(') {
          ++depth;
        } else if (s[i] == ')') {
          --depth;
        }
        ++i;
      } while (depth > 0 && i < s.size());
      if (depth > 0) return InvalidInput("unterminated comment '(' in " + Quote(s));
    } else {
      break;
    }
  }
  return Status::Ok();
}

// Reads a quoted-string starting at s[i] == '"'; returns its content with
// quoted-pairs resolved (RFC 5322 §3.2.4).
Result<std::string> ReadQuoted(std::string_view s, size_t& i) {
  std::string out;
  ++i;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\') {
      if (++i == s.size()) break;
    }
    out += s[i++];
  }
  if (i >= s.size()) return InvalidInput("unterminated quoted-string in " + Quote(s));
  ++i;
  return out;
}

// Splits a mailbox-list at the commas that are outside quotes, comments and
// angle brackets.
Result<std::vector<std::string_view>> SplitList(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  bool quoted = false, angle = false;
  int comment = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && (quoted || comment > 0)) {
      ++i;
    } else if (quoted) {
      if (c == '"') quoted = false;
    } else if (comment > 0) {
      if (c == '(') ++comment;
      if (c == ')') --comment;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment = 1;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    } else if (c == ',' && !angle) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quoted) return InvalidInput("unterminated quoted-string in " + Quote(s));
  if (comment > 0) return InvalidInput("unterminated comment '(' in " + Quote(s));
  parts.push_back(s.substr(start));
  return parts;
}

// `s` without its comments (outside quoted-strings); SplitList has already
// checked that quotes and comments are balanced.
std::string StripComments(std::string_view s) {
  std::string out;
  bool quoted = false;
  int comment = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (comment > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++comment;
      else if (c == ')') --comment;
      continue;
    }
    if (quoted) {
      out += c;
      if (c == '\\' && i + 1 < s.size()) out += s[++i];
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '(') {
      comment = 1;
      continue;
    }
    if (c == '"') quoted = true;
    out += c;
  }
  return out;
}

// Finds `target` outside quoted-strings and comments, or npos.
size_t FindTopLevel(std::string_view s, char target) {
  bool quoted = false;
  int comment = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && (quoted || comment > 0)) {
      ++i;
    } else if (quoted) {
      if (c == '"') quoted = false;
    } else if (comment > 0) {
      if (c == '(') ++comment;
      if (c == ')') --comment;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment = 1;
    } else if (c == target) {
      return i;
    }
  }
  return std::string_view::npos;
}

// The display name before '<': words (atoms, UTF-8 runs, obs-phrase dots,
// quoted-strings) joined by single spaces.
Result<std::string> ParsePhrase(std::string_view s, std::string_view whole) {
  std::string name;
  size_t i = 0;
  while (true) {
    TAYORI_RETURN_IF_ERROR(SkipCfws(s, i));
    if (i >= s.size()) break;
    if (!name.empty()) name += ' ';
    if (s[i] == '"') {
      TAYORI_ASSIGN_OR_RETURN(std::string q, ReadQuoted(s, i));
      name += q;
      continue;
    }
    size_t start = i;
    while (i < s.size() && (IsAtext(s[i]) || s[i] == '.' || static_cast<unsigned char>(s[i]) >= 0x80)) ++i;
    if (i == start)
      return Bad(whole, "has '" + std::string(1, s[i]) + "' in its display name; put the name in double quotes");
    name.append(s.substr(start, i - start));
  }
  return name;
}

Result<Mailbox> ParseOne(std::string_view piece) {
  if (FindTopLevel(piece, ':') != std::string_view::npos || FindTopLevel(piece, ';') != std::string_view::npos)
    return Bad(piece, "uses group syntax (':' or ';'), which is not accepted here");
  size_t lt = FindTopLevel(piece, '<');
  if (lt == std::string_view::npos) {
    std::string bare = StripComments(piece);
    std::string_view v = bare;
    while (!v.empty() && IsWsp(v.front())) v.remove_prefix(1);
    while (!v.empty() && IsWsp(v.back())) v.remove_suffix(1);
    return ParseAddrSpec(v);
  }
  size_t gt = piece.find('>', lt);
  if (gt == std::string_view::npos) return Bad(piece, "has '<' without a closing '>'");
  size_t after = gt + 1;
  TAYORI_RETURN_IF_ERROR(SkipCfws(piece, after));
  if (after != piece.size()) return Bad(piece, "has text after '>'");
  TAYORI_ASSIGN_OR_RETURN(std::string name, ParsePhrase(piece.substr(0, lt), piece));
  std::string_view inner = piece.substr(lt + 1, gt - lt - 1);
  while (!inner.empty() && IsWsp(inner.front())) inner.remove_prefix(1);
  while (!inner.empty() && IsWsp(inner.back())) inner.remove_suffix(1);
  TAYORI_ASSIGN_OR_RETURN(Mailbox m, ParseAddrSpec(inner));
  m.display_name = std::move(name);
  return m;
}

}  // namespace

std::string Mailbox::AddrSpec() const {
  std::string out;
  out.reserve(local_part.size() + domain.size() + 3);
  if (IsDotAtom(local_part)) {
    out = local_part;
  } else {
    out += '"';
    for (char c : local_part) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '@';
  out += domain;
  return out;
}

Result<Mailbox> ParseAddrSpec(std::string_view text) {
  TAYORI_RETURN_IF_ERROR(CheckHeaderText("address", text));
  if (text.empty()) return InvalidInput("address is empty");
  Mailbox m;
  size_t at;
  if (text.front() == '"') {
    size_t i = 0;
    auto q = ReadQuoted(text, i);
    if (!q.ok()) return Bad(text, "has an unterminated quoted local part");
    if (i >= text.size() || text[i] != '@') return Bad(text, "has text between the quoted local part and '@'");
    at = i;
    m.local_part = std::move(*q);
    for (char c : m.local_part) {
      if (static_cast<unsigned char>(c) >= 0x80)
        return Bad(text, "has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531); not supported");
    }
  } else {
    at = text.rfind('@');
    if (at == std::string_view::npos) return Bad(text, "has no '@'");
    std::string_view local = text.substr(0, at);
    if (local.find('@') != std::string_view::npos) return Bad(text, "has more than one '@'");
    if (local.empty()) return Bad(text, "has an empty local part (nothing before '@')");
    for (char c : local) {
      if (static_cast<unsigned char>(c) >= 0x80)
        return Bad(text, "has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531); not supported");
      if (IsWsp(c)) return Bad(text, "contains white space");
      if (c != '.' && !IsAtext(c))
        return Bad(text, "has '" + std::string(1, c) + "' in its local part; only letters, digits and !#$%&'*+-/=?^_`{|}~. are allowed unquoted");
    }
    if (local.front() == '.' || local.back() == '.') return Bad(text, "has a local part that starts or ends with '.'");
    if (local.find("..") != std::string_view::npos) return Bad(text, "has two dots in a row in its local part");
    m.local_part = std::string(local);
  }
  if (m.local_part.size() > kMaxLocalPart) return Bad(text, "has a local part longer than 64 octets (RFC 5321 §4.5.3.1.1)");
  std::string_view domain = text.substr(at + 1);
  if (domain.empty()) return Bad(text, "has an empty domain (nothing after '@')");
  if (domain.front() == '[') return Bad(text, "uses an address literal; only domain names are accepted");
  for (char c : domain)
    if (IsWsp(c)) return Bad(text, "contains white space");
  auto a = DomainToALabel(domain);
  if (!a.ok()) return Bad(text, "has an invalid domain: " + a.status().message());
  m.domain = std::move(*a);
  if (m.AddrSpec().size() > kMaxAddress) return Bad(text, "is longer than 254 octets (RFC 5321 §4.5.3.1.3)");
  return m;
}

Result<std::vector<Mailbox>> ParseMailboxList(std::string_view text) {
  TAYORI_RETURN_IF_ERROR(CheckHeaderText("address", text));
  TAYORI_ASSIGN_OR_RETURN(std::vector<std::string_view> parts, SplitList(text));
  std::vector<Mailbox> out;
  for (std::string_view p : parts) {
    bool blank = true;
    for (char c : p) blank = blank && IsWsp(c);
    if (blank) return InvalidInput("address list " + Quote(text) + " has an empty entry");
    TAYORI_ASSIGN_OR_RETURN(Mailbox m, ParseOne(p));
    out.push_back(std::move(m));
  }
  return out;
}

Result<Mailbox> ParseMailbox(std::string_view text) {
  TAYORI_ASSIGN_OR_RETURN(std::vector<Mailbox> list, ParseMailboxList(text));
  if (list.size() != 1)
    return InvalidInput("expected exactly one address, found " + std::to_string(list.size()) + " in " + Quote(text));
  return std::move(list.front());
}

Result<Mailbox> MakeMailbox(std::string_view display_name, std::string_view address) {
  TAYORI_RETURN_IF_ERROR(CheckHeaderText("display name", display_name));
  TAYORI_ASSIGN_OR_RETURN(Mailbox m, ParseAddrSpec(address));
  m.display_name = std::string(display_name);
  return m;
}

void AppendMailbox(HeaderFolder& f, const Mailbox& m) {
  if (m.display_name.empty()) {
    f.Word(m.AddrSpec());
    return;
  }
  AppendPhrase(f, m.display_name);
  std::string angle = "<";  // appended, not "<" + ...: see Quote
  angle += m.AddrSpec();
  angle += '>';
  f.Word(angle);
}

std::string FormatMailboxField(std::string_view field_name, const Mailbox& m) {
  std::string out;
  HeaderFolder f(&out, field_name);
  AppendMailbox(f, m);
  f.Finish();
  return out;
}

}  // namespace tayori::mime
