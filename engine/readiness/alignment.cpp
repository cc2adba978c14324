#include "readiness/alignment.h"

#include <libpsl.h>

#include <cctype>
#include <cstdlib>

namespace tayori::readiness {
namespace {

std::string Normalize(std::string_view d) {
  std::string out(d);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// psl_latest() loads the newest of the system list and libpsl's built-in
// one; it is loaded once and never freed (a process-wide constant, read-only
// after load, which libpsl documents as safe to share between threads).
const psl_ctx_t* Psl() {
  static const psl_ctx_t* psl = [] {
    psl_ctx_t* p = psl_latest(nullptr);
    return p ? static_cast<const psl_ctx_t*>(p) : psl_builtin();
  }();
  return psl;
}

}  // namespace

std::string OrganizationalDomain(std::string_view domain) {
  const std::string d = Normalize(domain);
  if (d.empty()) return d;
  const char* reg = psl_registrable_domain(Psl(), d.c_str());
  return reg ? std::string(reg) : d;
}

bool Aligned(std::string_view authenticated_domain, std::string_view from_domain, AlignmentMode mode) {
  const std::string a = Normalize(authenticated_domain);
  const std::string f = Normalize(from_domain);
  if (a.empty() || f.empty()) return false;
  if (mode == AlignmentMode::kStrict) return a == f;
  return OrganizationalDomain(a) == OrganizationalDomain(f);
}

std::string EnvelopeDomain(std::string_view return_path) {
  const size_t at = return_path.rfind('@');
  std::string_view d = at == std::string_view::npos ? return_path : return_path.substr(at + 1);
  if (!d.empty() && d.back() == '>') d.remove_suffix(1);
  return Normalize(d);
}

}  // namespace tayori::readiness
