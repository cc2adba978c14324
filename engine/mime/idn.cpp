#include "mime/idn.h"

#include <idn2.h>

#include <cstdlib>
#include <memory>

namespace tayori::mime {
namespace {

bool IsAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 1035 §2.3.1 / RFC 5890 host name rules on the A-label form.
Status CheckHostname(const std::string& d, std::string_view original) {
  auto bad = [&](const std::string& why) {
    return InvalidInput("domain '" + std::string(original) + "': " + why);
  };
  if (d.empty()) return bad("is empty");
  if (d.size() > 253) return bad("is longer than 253 octets");
  size_t start = 0;
  int labels = 0;
  while (start <= d.size()) {
    size_t end = d.find('.', start);
    if (end == std::string::npos) end = d.size();
    std::string_view label(d.data() + start, end - start);
    if (label.empty()) return bad("has an empty label");
    if (label.size() > 63) return bad("label '" + std::string(label) + "' is longer than 63 octets");
    if (label.front() == '-' || label.back() == '-')
      return bad("label '" + std::string(label) + "' starts or ends with '-'");
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return bad("label '" + std::string(label) + "' contains '" + std::string(1, c) + "'");
    }
    ++labels;
    start = end + 1;
  }
  if (labels < 2) return bad("needs at least two labels");
  return Status::Ok();
}

}  // namespace

Result<std::string> DomainToALabel(std::string_view domain) {
  std::string input(domain);
  if (!input.empty() && input.back() == '.') input.pop_back();  // a root dot is not part of a mail domain
  if (input.find('\0') != std::string::npos) return InvalidInput("domain contains a NUL byte");
  std::string out;
  if (IsAscii(input)) {
    out.reserve(input.size());
    for (char c : input) out += Lower(c);
    // Existing A-labels must decode, or "xn--garbage" would pass.
    if (out.find("xn--") != std::string::npos) {
      char* u = nullptr;
      int rc = idn2_to_unicode_8z8z(out.c_str(), &u, 0);
      std::free(u);
      if (rc != IDN2_OK)
        return InvalidInput("domain '" + std::string(domain) + "': invalid A-label: " + idn2_strerror(rc));
    }
  } else {
    char* a = nullptr;
    int rc = idn2_to_ascii_8z(input.c_str(), &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      std::free(a);
      return InvalidInput("domain '" + std::string(domain) + "': not a valid internationalized domain: " +
                          idn2_strerror(rc));
    }
    out = a;
    std::free(a);
    for (char& c : out) c = Lower(c);
  }
  TAYORI_RETURN_IF_ERROR(CheckHostname(out, domain));
  return out;
}

Result<std::string> DomainToULabel(std::string_view domain) {
  std::string input(domain);
  if (input.find("xn--") == std::string::npos) return input;
  char* u = nullptr;
  int rc = idn2_to_unicode_8z8z(input.c_str(), &u, 0);
  if (rc != IDN2_OK) {
    std::free(u);
    return InvalidInput("domain '" + input + "': invalid A-label: " + idn2_strerror(rc));
  }
  std::string out = u;
  std::free(u);
  return out;
}

}  // namespace tayori::mime
