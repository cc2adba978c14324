// The files `tayori dkim export-opendkim DIR` writes for an OpenDKIM that
// signs with Tayori's keys (docs/dkim-keys.md):
//
//   DIR/keys/<domain>.<selector>.private  the PKCS#8 PEM private key, 0600
//   DIR/KeyTable      "<selector>._domainkey.<domain> <domain>:<selector>:<key file>"
//   DIR/SigningTable  "*@<domain> <selector>._domainkey.<domain>" (refile: syntax)
//
// DIR and DIR/keys are made 0700, every file is written 0600 through a
// temporary file and a rename. The key file paths in KeyTable are absolute
// whatever DIR was given as: OpenDKIM opens them from its own working
// directory, not from DIR.
//
// The export is the whole set of signing keys, so once the tables are
// written, the key files an earlier export left in DIR/keys whose key is not
// in this set (a selector retired or revoked by a rotation, a domain removed
// or no longer verified) are deleted: a private key no longer in use does not
// stay on disk. Only regular files named like the export's own key files
// (<domain>.<selector>.private) in DIR/keys are candidates; nothing else in
// DIR is ever touched.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace tayori::keys {

struct OpenDkimKey {
  std::string domain;    // A-label, lower case
  std::string selector;
  std::string pem;       // the private key
};

struct OpenDkimExport {
  std::string dir;                   // absolute, as written in KeyTable
  size_t keys_written = 0;
  std::vector<std::string> removed;  // absolute paths of the stale key files deleted
};

// Writes `keys` into `dir` (created if missing) as described above. Errors
// are kPermanent and name the file; a failure leaves the previous tables in
// place (they are replaced only after every key file is written).
Result<OpenDkimExport> WriteOpenDkimExport(const std::string& dir, const std::vector<OpenDkimKey>& keys);

}  // namespace tayori::keys
