#include "readiness/dmarc_record.h"

#include <cctype>
#include <set>

namespace tayori::readiness {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

DmarcProblem Problem(DmarcProblem::Kind kind, std::string_view tag = {}, std::string_view value = {},
                     std::string_view detail = {}) {
  return DmarcProblem{kind, std::string(tag), std::string(value), std::string(detail)};
}

std::optional<DmarcPolicy> ParsePolicy(std::string_view v) {
  const std::string l = Lower(v);
  if (l == "none") return DmarcPolicy::kNone;
  if (l == "quarantine") return DmarcPolicy::kQuarantine;
  if (l == "reject") return DmarcPolicy::kReject;
  return std::nullopt;
}

std::optional<AlignmentMode> ParseMode(std::string_view v) {
  const std::string l = Lower(v);
  if (l == "r") return AlignmentMode::kRelaxed;
  if (l == "s") return AlignmentMode::kStrict;
  return std::nullopt;
}

// "a" *WSP ":" *WSP "b" lists (fo, rf); each item checked by `ok`.
template <typename Pred>
bool ColonList(std::string_view v, Pred ok) {
  size_t start = 0;
  while (true) {
    const size_t colon = v.find(':', start);
    std::string_view item = Trim(v.substr(start, colon == std::string_view::npos ? v.npos : colon - start));
    if (!ok(item)) return false;
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}

// dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (§6.4); the URI
// itself needs at least a scheme (RFC 3986 §3.1) and something after it.
bool ParseUriList(std::string_view tag, std::string_view v, std::vector<std::string>* out,
                  std::vector<DmarcProblem>* warnings) {
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    std::string_view item = Trim(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
    const size_t bang = item.rfind('!');
    if (bang != std::string_view::npos) {
      std::string_view size = item.substr(bang + 1);
      if (!size.empty() && std::string_view("kmgtKMGT").find(size.back()) != std::string_view::npos)
        size.remove_suffix(1);
      if (!AllDigits(size)) return false;
      item = item.substr(0, bang);
    }
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == item.size() ||
        !std::isalpha(static_cast<unsigned char>(item[0])))
      return false;
    for (size_t i = 1; i < colon; ++i) {
      const char c = item[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
    }
    if (Lower(item.substr(0, colon)) != "mailto")
      warnings->push_back(Problem(DmarcProblem::Kind::kNonMailtoUri, tag, item));
    out->emplace_back(item);
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

}  // namespace

std::string_view DmarcPolicyName(DmarcPolicy p) {
  switch (p) {
    case DmarcPolicy::kNone: return "none";
    case DmarcPolicy::kQuarantine: return "quarantine";
    case DmarcPolicy::kReject: return "reject";
  }
  return "?";
}

std::string DmarcProblem::Describe() const {
  switch (kind) {
    case Kind::kSyntax: return "not a tag=value list: " + detail;
    case Kind::kVersionNotFirst: return "v=DMARC1 is not the first tag";
    case Kind::kNoPolicy: return "p= is missing";
    case Kind::kBadValue: return tag + "= has the invalid value \"" + value + "\"";
    case Kind::kDuplicate: return tag + "= appears twice";
    case Kind::kUnknownTag: return "unknown tag " + tag + "=";
    case Kind::kNonMailtoUri: return tag + "= URI \"" + value + "\" is not mailto:";
  }
  return "?";
}

Text DmarcProblem::ToText() const {
  switch (kind) {
    case Kind::kSyntax: return Text(MessageId::kDmarcErrSyntax).Arg("detail", detail);
    case Kind::kVersionNotFirst: return Text(MessageId::kDmarcErrVersionNotFirst);
    case Kind::kNoPolicy: return Text(MessageId::kDmarcErrNoPolicy);
    case Kind::kBadValue:
    case Kind::kNonMailtoUri: return Text(MessageId::kDmarcErrBadValue).Arg("tag", tag).Arg("value", value);
    case Kind::kDuplicate: return Text(MessageId::kDmarcErrDuplicate).Arg("tag", tag);
    case Kind::kUnknownTag: return Text(MessageId::kDmarcErrBadValue).Arg("tag", tag).Arg("value", value);
  }
  return Text();
}

bool IsDmarcRecord(std::string_view txt) {
  txt = Trim(txt);
  if (txt.empty() || (txt[0] != 'v' && txt[0] != 'V')) return false;
  txt = Trim(txt.substr(1));
  if (txt.empty() || txt[0] != '=') return false;
  txt = Trim(txt.substr(1));
  // The version value is case-sensitive (§6.4: %x44 %x4d %x41 %x52 %x43 %x31).
  if (txt.substr(0, 6) != "DMARC1") return false;
  txt.remove_prefix(6);
  return txt.empty() || IsWsp(txt[0]) || txt[0] == ';';
}

DmarcParse ParseDmarcRecord(std::string_view txt) {
  DmarcParse result;
  DmarcRecord rec;
  std::set<std::string> seen;
  bool have_policy = false;
  bool first = true;
  size_t start = 0;
  auto fail = [&](DmarcProblem p) {
    result.error = std::move(p);
    return result;
  };
  while (start <= txt.size()) {
    const size_t semi = txt.find(';', start);
    std::string_view spec = Trim(txt.substr(start, semi == std::string_view::npos ? txt.npos : semi - start));
    start = semi == std::string_view::npos ? txt.size() + 1 : semi + 1;
    if (spec.empty()) {
      // A trailing ";" (or ";;") is allowed: dmarc-sep ends the record.
      if (first) return fail(Problem(DmarcProblem::Kind::kVersionNotFirst));
      continue;
    }
    const size_t eq = spec.find('=');
    if (eq == std::string_view::npos)
      return fail(Problem(DmarcProblem::Kind::kSyntax, {}, {}, std::string("\"").append(spec).append("\" has no \"=\"")));
    const std::string name = Lower(Trim(spec.substr(0, eq)));
    const std::string_view value = Trim(spec.substr(eq + 1));
    bool name_ok = !name.empty() && std::isalpha(static_cast<unsigned char>(name[0]));
    for (char c : name) name_ok = name_ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!name_ok)
      return fail(Problem(DmarcProblem::Kind::kSyntax, {}, {}, std::string("\"").append(spec).append("\" is not tag=value")));
    if (first) {
      if (name != "v" || value != "DMARC1") return fail(Problem(DmarcProblem::Kind::kVersionNotFirst));
      first = false;
      seen.insert(name);
      continue;
    }
    if (!seen.insert(name).second) return fail(Problem(DmarcProblem::Kind::kDuplicate, name));
    auto bad = [&] { return fail(Problem(DmarcProblem::Kind::kBadValue, name, value)); };

    if (name == "v") {
      return fail(Problem(DmarcProblem::Kind::kDuplicate, name));
    } else if (name == "p" || name == "sp") {
      auto p = ParsePolicy(value);
      if (!p) return bad();
      if (name == "p") {
        rec.policy = *p;
        have_policy = true;
      } else {
        rec.subdomain_policy = *p;
      }
    } else if (name == "adkim" || name == "aspf") {
      auto m = ParseMode(value);
      if (!m) return bad();
      (name == "adkim" ? rec.adkim : rec.aspf) = *m;
    } else if (name == "pct") {
      if (!AllDigits(value) || value.size() > 3 || std::stoi(std::string(value)) > 100) return bad();
      rec.pct = std::stoi(std::string(value));
    } else if (name == "rua" || name == "ruf") {
      if (!ParseUriList(name, value, name == "rua" ? &rec.rua : &rec.ruf, &rec.warnings)) return bad();
    } else if (name == "fo") {
      if (!ColonList(value, [](std::string_view i) { return i == "0" || i == "1" || i == "d" || i == "s"; }))
        return bad();
      rec.fo = std::string(value);
    } else if (name == "rf") {
      // Keywords of the IANA "Failure Reporting Formats" registry; "afrf" is
      // the only one, but any keyword is syntactically valid.
      if (!ColonList(value, [](std::string_view i) {
            if (i.empty()) return false;
            for (char c : i)
              if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
            return true;
          }))
        return bad();
      rec.rf = std::string(value);
    } else if (name == "ri") {
      if (!AllDigits(value) || value.size() > 10 || std::stoull(std::string(value)) > 0xFFFFFFFFull) return bad();
      rec.ri = static_cast<uint32_t>(std::stoull(std::string(value)));
    } else {
      rec.warnings.push_back(Problem(DmarcProblem::Kind::kUnknownTag, name, value));
    }
  }
  if (first) return fail(Problem(DmarcProblem::Kind::kVersionNotFirst));
  if (!have_policy) return fail(Problem(DmarcProblem::Kind::kNoPolicy, "p"));
  result.record = std::move(rec);
  return result;
}

}  // namespace tayori::readiness
