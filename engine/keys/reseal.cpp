#include "keys/reseal.h"

#include <cstdio>
#include <map>

#include "keys/sealed_keys.h"
#include "base/log.h"
#include "store/keys.h"

namespace tayori::keys {
namespace {

std::string FormatName(crypto::SealFormat f) {
  switch (f) {
    case crypto::SealFormat::kTk1: return "TK1";
    case crypto::SealFormat::kTk2: return "TK2";
    case crypto::SealFormat::kUnknown: break;
  }
  return "unknown format";
}

}  // namespace

Result<ResealSummary> ResealKeys(store::Connection& db, const std::vector<crypto::Kek>& keks,
                                 const std::function<void(const std::string&)>& report, const std::string& actor) {
  if (keks.empty()) return ConfigError("no key-encryption key configured (dkim.keks)");
  const crypto::Kek& active = keks.front();
  TAYORI_ASSIGN_OR_RETURN(auto rows, store::AllDomainKeys(db));
  // A TK2 blob is bound to one (domain, selector); a key material row joined
  // to two key rows could not be bound to both.
  std::map<uint64_t, int> uses;
  for (const auto& [d, k] : rows) ++uses[k.dkim_key_id];
  ResealSummary sum;
  for (const auto& [d, k] : rows) {
    ++sum.keys;
    std::string name = d.domain + " selector " + k.selector + " (" + std::string(scheduler::Name(k.state)) + ")";
    auto fail = [&](const std::string& why) {
      ++sum.failed;
      report(name + ": FAILED: " + why);
      log::Warn("dkim", "reseal: " + name + ": " + why);
    };
    if (uses[k.dkim_key_id] > 1) {
      fail("its key material (dkim key " + std::to_string(k.dkim_key_id) + ") is joined to " +
           std::to_string(uses[k.dkim_key_id]) + " key rows; it cannot be bound to one");
      continue;
    }
    crypto::SealFormat format = crypto::FormatOf(k.private_key_sealed);
    auto opened = OpenDomainKey(keks, d.domain, k);
    if (!opened.ok()) {
      fail(opened.status().message());
      continue;
    }
    if (k.kek_id == active.id && format == crypto::SealFormat::kTk2) {
      ++sum.current;
      continue;
    }
    auto sealed = crypto::Seal(active, BindingOf(d.domain, k), opened->pem);
    if (!sealed.ok()) {
      fail(sealed.status().message());
      continue;
    }
    Status st = store::ResealKey(db, k.dkim_key_id, k.private_key_sealed, k.kek_id, *sealed, active.id, actor);
    if (!st.ok()) {
      fail(st.message());
      continue;
    }
    ++sum.resealed;
    std::string how = k.kek_id + "/" + FormatName(format) + " -> " + active.id + "/TK2";
    report(name + ": resealed (" + how + ")");
    log::Info("dkim", "reseal: " + name + ": " + how);
  }
  return sum;
}


}  // namespace tayori::keys
