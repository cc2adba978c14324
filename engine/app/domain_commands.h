// Sender domains and their DKIM keys from the shell: onboarding (hosted or
// delegated), verification through DNS, listing, rotation, and the OpenDKIM
// export. Each returns the process exit code (commands.h) and prints errors
// as "tayori: <command>: <reason>".
#pragma once

#include <string>

namespace tayori::app {

// hosted: DOMAIN is inside dkim.platform_zone; one key (first selector).
// delegated: the shop's own domain; keys for both selectors under
// key_host = <domain with dots as dashes>.<platform_zone>, and the two CNAMEs
// the shop creates once are printed. With a DNS provider the TXT records are
// published at once; with dns.provider = "none" they are printed.
int RunDomainAdd(const std::string& config_path, const std::string& domain, const std::string& tenant,
                 const std::string& mode);
// Looks each selector up through DNS (dns.resolver), at the shop's name, so
// a delegated domain verifies only once its CNAMEs exist; when every key is
// there the first becomes active and the domain verified. Else prints what
// is wrong per selector and exits 1. --manual: the operator asserts it
// (recorded as such in events).
int RunDomainVerify(const std::string& config_path, const std::string& domain, bool manual);
int RunDomainList(const std::string& config_path);
int RunDomainShow(const std::string& config_path, const std::string& domain);

// Drives the rotation of one domain (key_rotation.h) until it reaches a
// waiting point or finishes, printing each transition; --step: one step.
int RunDkimRotate(const std::string& config_path, const std::string& domain, bool step);
// Writes OpenDKIM's KeyTable, SigningTable (refile: syntax) and one key file
// per active key of every verified domain into DIR (0700; files 0600).
int RunDkimExportOpenDkim(const std::string& config_path, const std::string& dir);

}  // namespace tayori::app
