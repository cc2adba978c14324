#include "inbound/command.h"

#include "inbound/limits.h"

namespace tayori::inbound {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool Control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr VerbName kVerbs[] = {
    {"HELO", Verb::kHelo},  {"EHLO", Verb::kEhlo},  {"LHLO", Verb::kLhlo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},  {"DATA", Verb::kData},  {"RSET", Verb::kRset}, {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit},  {"VRFY", Verb::kVrfy},  {"EXPN", Verb::kExpn}, {"HELP", Verb::kHelp},
    {"STARTTLS", Verb::kNotImplemented}, {"AUTH", Verb::kNotImplemented}, {"BDAT", Verb::kNotImplemented},
    {"ETRN", Verb::kNotImplemented},     {"TURN", Verb::kNotImplemented}, {"ATRN", Verb::kNotImplemented},
};

// A mailbox as §4.1.2 has it, checked loosely: a local part (dot-string or
// quoted string, UTF-8 allowed for SMTPUTF8), "@", a non-empty domain or
// address literal; nothing that could not travel in a path.
bool ValidMailbox(std::string_view a) {
  if (EqualsIgnoreCase(a, "postmaster")) return true;
  bool quoted = false;
  size_t at = std::string_view::npos;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (Control(c)) return false;
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"' && at == std::string_view::npos) quoted = true;
    else if (c == ' ' || c == '<' || c == '>' || c == ',') return false;
    else if (c == '@') at = i;
  }
  return !quoted && at != std::string_view::npos && at > 0 && at + 1 < a.size();
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

Command ParseCommand(std::string_view line) {
  Command cmd;
  size_t sp = line.find(' ');
  std::string_view verb = line.substr(0, sp);
  for (const VerbName& v : kVerbs)
    if (EqualsIgnoreCase(verb, v.name)) cmd.verb = v.verb;
  if (sp != std::string_view::npos) {
    std::string_view args = line.substr(sp);
    while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
    while (!args.empty() && args.back() == ' ') args.remove_suffix(1);
    cmd.args = args;
  }
  return cmd;
}

PathError ParsePathArgs(std::string_view args, std::string_view keyword, PathArgs* out) {
  out->address.clear();
  out->params.clear();
  if (!StartsWithIgnoreCase(args, keyword)) return PathError::kSyntax;
  std::string_view rest = args.substr(keyword.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '<') return PathError::kSyntax;
  // The closing bracket: the first '>' outside a quoted local part.
  size_t close = 1;
  for (bool quoted = false; close < rest.size(); ++close) {
    char c = rest[close];
    if (quoted) {
      if (c == '\\') ++close;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      break;
    }
  }
  if (close >= rest.size()) return PathError::kSyntax;
  if (close + 1 > kMaxPathBytes) return PathError::kTooLong;
  std::string_view path = rest.substr(1, close - 1);
  // A source route ("@a,@b:") is obsolete and ignored (§4.1.2, §C).
  if (!path.empty() && path.front() == '@') {
    size_t colon = path.find(':');
    if (colon == std::string_view::npos) return PathError::kAddress;
    path.remove_prefix(colon + 1);
  }
  if (!path.empty() && !ValidMailbox(path)) return PathError::kAddress;
  out->address.assign(path);

  std::string_view params = rest.substr(close + 1);
  if (!params.empty() && params.front() != ' ') return PathError::kSyntax;
  while (!params.empty()) {
    while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
    if (params.empty()) break;
    size_t end = params.find(' ');
    std::string_view token = params.substr(0, end);
    params.remove_prefix(end == std::string_view::npos ? params.size() : end);
    size_t eq = token.find('=');
    std::string_view key = token.substr(0, eq);
    if (key.empty() || !Alnum(key.front())) return PathError::kSyntax;
    EsmtpParam p;
    for (char c : key) {
      if (!Alnum(c) && c != '-') return PathError::kSyntax;
      p.keyword += Upper(c);
    }
    if (eq != std::string_view::npos) {
      p.value = token.substr(eq + 1);
      if (p.value.empty()) return PathError::kSyntax;
      for (char c : p.value)
        if (Control(c) || c == '=') return PathError::kSyntax;
    }
    out->params.push_back(std::move(p));
  }
  return PathError::kNone;
}

}  // namespace tayori::inbound
