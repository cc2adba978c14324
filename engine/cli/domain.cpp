// `tayori domain add|verify|list|show`: sender (author) domains and their
// DKIM keys from the shell — onboarding (hosted: inside dkim.platform_zone,
// one key; delegated: the shop's own domain, keys for both selectors under
// key_host and two CNAMEs the shop creates once), verification through DNS
// (at the shop's name, so a delegated domain verifies only once its CNAMEs
// exist; --manual: the operator asserts it), listing. With a DNS provider the
// TXT records are published at once; with dns.provider = "none" they are printed.
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/support.h"
#include "readiness/mailbox_providers.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <functional>
#include <optional>

#include "keys/lifecycle.h"
#include "keys/rotation.h"
#include "keys/sealed_keys.h"
#include "base/log.h"
#include "config/config.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "dns/provider.h"
#include "dns/resolver.h"
#include "dns/txt.h"
#include "mime/idn.h"
#include "net/transfers.h"
#include "store/db_worker.h"
#include "store/domain_readiness.h"
#include "store/keys.h"
#include "readiness/report.h"
#include "readiness/text.h"
#include "dkim/key_record.h"

namespace tayori::cli {
namespace {

using scheduler::DomainState;
using scheduler::KeyState;

std::string StateName(KeyState s) { return std::string(scheduler::Name(s)); }
std::string StateName(DomainState s) { return std::string(scheduler::Name(s)); }

// The active KEK, which seals new keys (every configured one must load).
Result<crypto::Kek> LoadActiveKek(const config::Config& cfg) {
  TAYORI_ASSIGN_OR_RETURN(auto keks, keys::LoadKeks(cfg.dkim));
  return keks.front();
}

// Applies DNS changes through the configured provider on a loop of our own.
Status ApplyDnsChanges(const config::Config& cfg, std::vector<dns::RecordChange> changes) {
  loop::Loop loop;
  Status result = Internal("DNS change did not finish");
  {
    net::Transfers transfers(loop, net::PoolOptions{2, 0});
    TAYORI_ASSIGN_OR_RETURN(auto provider, dns::MakeProvider(cfg.dns, cfg.dkim.platform_zone, loop, transfers));
    if (!provider) return Internal("no DNS provider configured");
    bool finished = false;
    provider->Apply(std::move(changes), [&](Status st) {
      result = std::move(st);
      finished = true;
      loop.Stop();
    });
    if (!finished) loop.Run();
  }
  return result;
}

bool InZone(const std::string& domain, const std::string& zone) {
  return domain == zone ||
         (domain.size() > zone.size() && domain.compare(domain.size() - zone.size() - 1, zone.size() + 1, "." + zone) == 0);
}

void PrintTxt(const std::string& name, const std::string& value) {
  std::printf("  %s. IN TXT %s\n", name.c_str(), dns::QuoteTxt(value).c_str());
}

std::string DnsResolverName(const config::Config& cfg) {
  return cfg.dns.resolver.empty() ? "the system resolver" : cfg.dns.resolver;
}



int RunDomainList(const std::string& config_path) {
  return WithDb(config_path, "domain list", [&](const config::Config&, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(auto domains, store::ListSenderDomains(db));
    TAYORI_ASSIGN_OR_RETURN(auto readiness, store::AllDomainReadiness(db));
    // READINESS: the last `domain check` (CLI or daemon): the worst state of
    // the domain's own checks, then the platform's when worse, and
    // STOP:CHECKS when a mandatory check fails (its campaigns stop).
    std::printf("%-32s %-12s %-10s %-9s %-30s %s\n", "DOMAIN", "SHOP", "MODE", "STATE", "READINESS", "KEYS");
    for (const auto& d : domains) {
      TAYORI_ASSIGN_OR_RETURN(auto keys, store::DomainKeys(db, d.id));
      std::string k;
      for (auto it = keys.rbegin(); it != keys.rend(); ++it)
        if (it->state != KeyState::kRevoked) k += it->selector + ":" + StateName(it->state) + " ";
      std::string ready = "unchecked";
      if (auto r = readiness.find(d.id); r != readiness.end() && !r->second.checked_at.empty()) {
        const auto& x = r->second;
        ready = x.domain_state;
        auto rank = [](const std::string& st) { return st == "fail" ? 3 : st == "warn" ? 2 : st == "pass" ? 1 : 0; };
        if (rank(x.platform_state) > std::max(1, rank(x.domain_state))) ready += ",platform:" + x.platform_state;
        if (!x.mandatory_failed.empty()) ready += " STOP:" + x.mandatory_failed;
      }
      std::printf("%-32s %-12s %-10s %-9s %-30s %s\n", d.domain.c_str(), d.tenant_slug.c_str(), d.mode.c_str(),
                  StateName(d.state).c_str(), ready.c_str(), k.c_str());
    }
    return Status::Ok();
  });
}

int RunDomainShow(const std::string& config_path, const std::string& domain_in, const std::string& lang_in) {
  return WithDb(config_path, "domain show", [&](const config::Config& cfg, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(std::string domain, mime::DomainToALabel(domain_in));
    TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow d, store::FindSenderDomain(db, domain));
    std::printf("domain    %s\nshop      %s\nmode      %s\nkey host  %s\nstate     %s%s%s\n", d.domain.c_str(),
                d.tenant_slug.c_str(), d.mode.c_str(), d.key_host.c_str(), StateName(d.state).c_str(),
                d.state_reason.empty() ? "" : ": ", d.state_reason.c_str());
    TAYORI_ASSIGN_OR_RETURN(auto keys, store::DomainKeys(db, d.id));
    for (const auto& k : keys) {
      std::printf("  selector %-6s %-10s %s %d bits, created %s, state since %s\n", k.selector.c_str(),
                  StateName(k.state).c_str(),
                  k.algorithm.c_str(), k.bits, k.created_at.c_str(), k.state_changed_at.c_str());
      if (k.state == KeyState::kRetiring && k.retire_after_s)
        std::printf("    retiring until %lld (unix)\n", static_cast<long long>(k.retire_after_s));
      if (k.state == KeyState::kRevoked)
        std::printf("    record %s\n", k.record_removed_s ? "removed" : "shows empty p= (removal pending)");
    }
    if (d.state == DomainState::kVerified) {
      keys::RotationDecision r = keys::DecideRotation(keys, SystemClock::Instance().Now(), keys::PolicyFrom(cfg.dkim), false);
      std::printf("rotation  %s: %s\n", std::string(keys::RotationActionName(r.action)).c_str(), r.reason.c_str());
    }
    // The last readiness check, as `domain check` printed it then.
    TAYORI_ASSIGN_OR_RETURN(auto ready, store::FindDomainReadiness(db, d.id));
    if (!ready || ready->checked_at.empty()) {
      std::printf("readiness never checked (tayori domain check %s)\n", d.domain.c_str());
      return Status::Ok();
    }
    std::printf("readiness %s (the domain's checks %s, the platform's %s), checked %s UTC by %s, next %s UTC\n",
                ready->state.c_str(), ready->domain_state.c_str(), ready->platform_state.c_str(),
                ready->checked_at.c_str(), ready->checked_by.c_str(), ready->next_check_at.c_str());
    if (!ready->mandatory_failed.empty())
      std::printf("          campaigns stop: %s\n", ready->reason.c_str());
    const char* env_lang = std::getenv("LANG");
    readiness::Lang lang = readiness::LangFromLocale(!lang_in.empty() ? lang_in : (env_lang ? env_lang : ""));
    TAYORI_ASSIGN_OR_RETURN(std::string text, readiness::RenderTextFromJson(lang == readiness::Lang::kJa
                                                                               ? ready->report_ja
                                                                               : ready->report_en));
    std::fputs(text.c_str(), stdout);
    return Status::Ok();
  });
}

}  // namespace

int RunDomainAdd(const std::string& config_path, const std::string& domain_in, const std::string& tenant,
                 const std::string& mode) {
  return WithDb(config_path, "domain add", [&](const config::Config& cfg, store::Connection& db) -> Status {
    if (mode != "hosted" && mode != "delegated") return InvalidInput("--mode must be hosted or delegated");
    TAYORI_ASSIGN_OR_RETURN(std::string domain, mime::DomainToALabel(domain_in));
    TAYORI_RETURN_IF_ERROR(readiness::CheckAuthorDomainAllowed(domain));
    TAYORI_ASSIGN_OR_RETURN(crypto::Kek kek, LoadActiveKek(cfg));
    TAYORI_ASSIGN_OR_RETURN(uint64_t tenant_id, store::TenantIdBySlug(db, tenant));
    const std::string& zone = cfg.dkim.platform_zone;
    std::string key_host = domain;
    if (mode == "hosted") {
      if (!InZone(domain, zone))
        return InvalidInput("hosted domain " + domain + " is not inside the platform zone " + zone +
                            " (use --mode delegated for a shop's own domain)");
    } else {
      if (InZone(domain, zone))
        return InvalidInput("domain " + domain + " is inside the platform zone " + zone + "; use --mode hosted");
      std::string label = domain;
      for (char& c : label)
        if (c == '.') c = '-';
      key_host = label + "." + zone;
    }
    TAYORI_ASSIGN_OR_RETURN(uint64_t id, store::InsertSenderDomain(db, tenant_id, domain, mode, key_host));
    std::printf("sender domain %s added for shop %s (%s)\n", domain.c_str(), tenant.c_str(), mode.c_str());
    // Delegated domains get both selectors at once: the shop creates its two
    // CNAMEs once and every later rotation happens behind them.
    size_t n = mode == "delegated" ? 2 : 1;
    std::vector<dns::RecordChange> changes;
    std::vector<store::KeyTransition> published;
    for (size_t i = 0; i < n; ++i) {
      const std::string& selector = cfg.dkim.selectors[i];
      TAYORI_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::GenerateRsa(cfg.dkim.rsa_bits));
      TAYORI_ASSIGN_OR_RETURN(std::string pem, key->ToPem());
      store::NewDomainKey nk;
      nk.sender_domain_id = id;
      nk.selector = selector;
      nk.bits = key->bits();
      nk.public_key = key->PublicKeyBase64();
      TAYORI_ASSIGN_OR_RETURN(nk.private_key_sealed,
                              crypto::Seal(kek, crypto::KeyBinding{domain, selector, nk.public_key}, pem));
      nk.kek_id = kek.id;
      TAYORI_ASSIGN_OR_RETURN(uint64_t dk, store::InsertDomainKey(db, nk));
      changes.push_back(dns::RecordChange{dns::ChangeAction::kUpsert, keys::SelectorName(selector, key_host), "TXT",
                                          dkim::KeyRecordText(*key), cfg.dkim.record_ttl_s});
      published.push_back(store::KeyTransition{dk, KeyState::kPending, KeyState::kPublished,
                                               SystemClock::Instance().Now(), {}, false,
                                               "published via " + std::string(config::DnsProviderName(cfg.dns.provider))});
    }
    if (cfg.dns.provider == config::DnsProvider::kNone) {
      std::printf("DKIM TXT records to publish under %s (dns.provider = \"none\"):\n", zone.c_str());
      for (const auto& c : changes) PrintTxt(c.name, c.value);
    } else {
      Status st = ApplyDnsChanges(cfg, changes);
      if (!st.ok())
        return st.WithContext("the keys are stored (pending) but publishing failed; `tayori domain verify " + domain +
                              "` publishes them again");
      TAYORI_RETURN_IF_ERROR(store::ApplyKeyTransitions(db, published, "cli"));
      std::printf("DKIM TXT records published through %s in zone %s:\n",
                  std::string(config::DnsProviderName(cfg.dns.provider)).c_str(), zone.c_str());
      for (const auto& c : changes) std::printf("  %s. IN TXT (%zu bytes)\n", c.name.c_str(), c.value.size());
    }
    if (mode == "delegated") {
      std::printf("CNAME records the shop owner creates once in the zone of %s:\n", domain.c_str());
      for (size_t i = 0; i < n; ++i) {
        const std::string& s = cfg.dkim.selectors[i];
        std::printf("  %s. IN CNAME %s.\n", keys::SelectorName(s, domain).c_str(), keys::SelectorName(s, key_host).c_str());
      }
    }
    std::printf("the domain cannot send until `tayori domain verify %s` succeeds\n", domain.c_str());
    return Status::Ok();
  });
}

int RunDomainVerify(const std::string& config_path, const std::string& domain_in, bool manual) {
  return WithDb(config_path, "domain verify", [&](const config::Config& cfg, store::Connection& db) -> Status {
    TAYORI_ASSIGN_OR_RETURN(std::string domain, mime::DomainToALabel(domain_in));
    TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow d, store::FindSenderDomain(db, domain));
    TAYORI_ASSIGN_OR_RETURN(auto all, store::DomainKeys(db, d.id));
    std::vector<store::DomainKeyRow> keys;  // oldest first
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (it->state == KeyState::kPending || it->state == KeyState::kPublished || it->state == KeyState::kActive)
        keys.push_back(*it);
    if (keys.empty()) return Permanent("sender domain " + domain + " has no keys");
    SysTime now = SystemClock::Instance().Now();

    if (!manual) {
      // Keys still pending after a failed publish at `domain add` go out now.
      if (cfg.dns.provider != config::DnsProvider::kNone) {
        std::vector<dns::RecordChange> changes;
        std::vector<store::KeyTransition> moves;
        for (const auto& k : keys) {
          if (k.state != KeyState::kPending) continue;
          changes.push_back({dns::ChangeAction::kUpsert, keys::SelectorName(k.selector, d.key_host), "TXT", keys::KeyTxtValue(k),
                             cfg.dkim.record_ttl_s});
          moves.push_back({k.domain_key_id, KeyState::kPending, KeyState::kPublished, now, {}, false,
                           "published via provider"});
        }
        if (!changes.empty()) {
          TAYORI_RETURN_IF_ERROR(ApplyDnsChanges(cfg, changes));
          TAYORI_RETURN_IF_ERROR(store::ApplyKeyTransitions(db, moves, "cli"));
          for (auto& k : keys)
            if (k.state == KeyState::kPending) k.state = KeyState::kPublished;
        }
      }
      dns::ResolverOptions ro;
      ro.servers = cfg.dns.resolver;
      int bad = 0;
      for (const auto& k : keys) {
        std::string name = keys::SelectorName(k.selector, domain);
        auto r = dns::ResolveTxtBlocking(ro, name);
        std::string why;
        if (r.ok() && keys::RecordsPublishKey(*r, k.public_key, &why)) {
          std::printf("  selector %s: ok (%s answers with the key)\n", k.selector.c_str(), name.c_str());
          continue;
        }
        ++bad;
        if (!r.ok()) why = r.status().message();
        std::printf("  selector %s: NOT OK: %s: %s\n", k.selector.c_str(), name.c_str(), why.c_str());
        if (d.mode == "delegated")
          std::printf("    the shop must create: %s. IN CNAME %s.\n", name.c_str(),
                      keys::SelectorName(k.selector, d.key_host).c_str());
        else
          std::printf("    expected: %s. IN TXT %s\n", keys::SelectorName(k.selector, d.key_host).c_str(),
                      dns::QuoteTxt(keys::KeyTxtValue(k)).c_str());
      }
      if (bad)
        return Permanent(std::to_string(bad) + " selector(s) of " + domain + " do not resolve to the stored key (via " +
                         DnsResolverName(cfg) + "); the domain stays " + StateName(d.state));
    }

    bool has_active = false;
    for (const auto& k : keys) has_active |= k.state == KeyState::kActive;
    std::vector<store::KeyTransition> moves;
    std::string how = manual ? "operator-asserted (--manual), not checked in DNS" : "checked through DNS";
    // The oldest key becomes the signing key; the others stay published.
    for (const auto& k : keys) {
      if (k.state == KeyState::kActive) continue;
      KeyState next = has_active ? KeyState::kPublished : KeyState::kActive;
      has_active = true;
      if (next == k.state) continue;
      moves.push_back({k.domain_key_id, k.state, next, now, {}, false, how});
      std::printf("  selector %s: %s\n", k.selector.c_str(), StateName(next).c_str());
    }
    std::optional<store::DomainStateChange> change;
    if (d.state != DomainState::kVerified)
      change = store::DomainStateChange{d.id, DomainState::kVerified,
                                        manual ? "verified manually by the operator" : "keys verified through DNS"};
    TAYORI_RETURN_IF_ERROR(store::ApplyKeyTransitions(db, moves, manual ? "cli (manual)" : "cli", change));
    std::printf("sender domain %s is verified%s and may send\n", domain.c_str(), manual ? " (manually)" : "");
    return Status::Ok();
  });
}

void AddDomainCommands(CLI::App& app, CliContext& ctx) {
  auto* domain = app.add_subcommand("domain", "sender (author) domains and their DKIM keys");
  domain->require_subcommand(1);
  auto d = std::make_shared<std::array<std::string, 3>>();
  (*d)[2] = "hosted";
  auto* dadd = domain->add_subcommand("add", "register a sender domain, create and publish its DKIM key(s)");
  dadd->add_option("domain", (*d)[0], "the From domain")->required();
  dadd->add_option("--tenant", (*d)[1], "shop slug")->required();
  dadd->add_option("--mode", (*d)[2], "hosted (platform zone) or delegated (shop's own DNS, two CNAMEs)")
      ->check(CLI::IsMember({"hosted", "delegated"}));
  dadd->callback([&ctx, d] { ctx.run = [&ctx, d] { return RunDomainAdd(ctx.config_path, (*d)[0], (*d)[1], (*d)[2]); }; });
  auto* dverify = domain->add_subcommand("verify", "check the domain's keys through DNS and allow it to send");
  auto manual = std::make_shared<bool>(false);
  dverify->add_option("domain", (*d)[0], "the domain")->required();
  dverify->add_flag("--manual", *manual, "the operator checked the DNS records; mark verified without a lookup");
  dverify->callback([&ctx, d, manual] { ctx.run = [&ctx, d, manual] { return RunDomainVerify(ctx.config_path, (*d)[0], *manual); }; });
  auto* dlist = domain->add_subcommand("list", "every sender domain with its state and selectors");
  dlist->callback([&ctx] { ctx.run = [&ctx] { return RunDomainList(ctx.config_path); }; });
  auto* dshow = domain->add_subcommand("show", "one domain with every key, its state and its last readiness check");
  dshow->add_option("domain", (*d)[0], "the domain")->required();
  auto show_lang = std::make_shared<std::string>();
  dshow->add_option("--lang", *show_lang, "en or ja (default: from $LANG)")->check(CLI::IsMember({"en", "ja"}));
  dshow->callback([&ctx, d, show_lang] {
    ctx.run = [&ctx, d, show_lang] { return RunDomainShow(ctx.config_path, (*d)[0], *show_lang); };
  });
  AddDomainCheckCommand(domain, ctx);
}

}  // namespace tayori::cli
