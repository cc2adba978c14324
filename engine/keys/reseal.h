// `tayori dkim reseal`: moves every stored DKIM key to the active KEK and to
// the current blob format (TK2, bound to its key row; crypto/seal.h), so an
// old KEK can be retired and TK1 blobs of earlier releases gain their
// binding. Each key is opened with the KEK it names, checked against its p=
// (sealed_keys.h), sealed again and written in a transaction of its own that
// applies only if the row still holds what was read. Keys already under the
// active KEK as TK2 are opened and checked too, and left as they are, so the
// command is idempotent and doubles as an audit: a key that cannot be
// opened or does not match its p= is reported and left untouched.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/seal.h"
#include "store/connection.h"

namespace tayori::keys {

struct ResealSummary {
  int keys = 0;      // key rows examined
  int resealed = 0;  // moved to the active KEK / TK2 now
  int current = 0;   // already under the active KEK as TK2, and sound
  int failed = 0;    // could not be opened, checked or written; unchanged
};

// `keks` as LoadKeks() gives them: the active one first. `report` gets one
// line per key (never a secret). An error Status only when the key rows
// cannot be read at all; per-key problems are counted in `failed`.
Result<ResealSummary> ResealKeys(store::Connection& db, const std::vector<crypto::Kek>& keks,
                                 const std::function<void(const std::string&)>& report,
                                 const std::string& actor = "cli");


}  // namespace tayori::keys
