// `tayori domain check DOMAIN [--json] [--lang en|ja]` and `domain check --all`:
// every author domain held to the sender rules of Gmail and Yahoo as receivers
// see them — DKIM keys served, DMARC, SPF of the envelope domain from the
// relays' egress IPs, reverse DNS, bounce MX, relay TLS, the one-click
// endpoint, no From on a mailbox provider's domain (readiness/, docs/readiness.md).
// Each check has a state (pass / warn / fail), what was found and what to do,
// in words an operator can forward to the shop owner. Lookups go to
// dns.resolver. Exit 0 when nothing fails (warnings allowed), 1 when a check
// fails, 2 for usage and configuration errors. Each result is recorded for
// `domain list/show` and /metrics (store/domain_readiness.h).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/support.h"
#include "daemon/domain_facts.h"
#include "daemon/domain_readiness.h"
#include "mime/idn.h"
#include "readiness/domain_check.h"
#include "readiness/network_lookups.h"
#include "readiness/report.h"
#include "readiness/text.h"
#include "store/keys.h"

namespace tayori::cli {
namespace {

struct CheckOptions {
  std::string domain;
  bool all = false;
  bool json = false;
  bool domain_only = false;  // the checks a shop owner acts on; the platform's left out
  std::string lang;  // en | ja; empty: from $LANG
};

int RunDomainCheck(const std::string& config_path, const CheckOptions& o) {
  const char* command = "domain check";
  if (o.all == !o.domain.empty()) {
    std::fprintf(stderr, "tayori: %s: give one DOMAIN or --all\n", command);
    return kExitUsage;
  }
  const char* env_lang = std::getenv("LANG");
  readiness::Lang lang = readiness::LangFromLocale(!o.lang.empty() ? o.lang : (env_lang ? env_lang : ""));
  bool failed = false;
  int code = WithDb(config_path, command, [&](const config::Config& cfg, store::Connection& db) -> Status {
    std::vector<std::string> domains;
    if (o.all) {
      TAYORI_ASSIGN_OR_RETURN(auto rows, store::ListSenderDomains(db));
      for (const auto& d : rows) domains.push_back(d.domain);
      if (domains.empty()) return NotFound("no sender domain yet (tayori domain add)");
    } else {
      TAYORI_ASSIGN_OR_RETURN(std::string a_label, mime::DomainToALabel(o.domain));
      domains.push_back(a_label);
    }
    readiness::NetworkOptions net;
    net.dns.servers = cfg.dns.resolver;
    TAYORI_ASSIGN_OR_RETURN(auto lookups, readiness::NetworkLookups::Create(net));
    std::optional<readiness::Report> platform;  // --all: the first domain's platform checks
    for (size_t i = 0; i < domains.size(); ++i) {
      TAYORI_ASSIGN_OR_RETURN(store::SenderDomainRow row, store::FindSenderDomain(db, domains[i]));
      TAYORI_ASSIGN_OR_RETURN(readiness::DomainFacts facts, daemon::GatherDomainFacts(db, cfg, domains[i]));
      // With --all the platform's checks (SPF, reverse DNS, MX, relays,
      // unsubscribe) are the same for every domain: shown with the first.
      readiness::CheckScope scope = !o.domain_only && (!o.all || i == 0) ? readiness::CheckScope::kAll
                                                                          : readiness::CheckScope::kDomainOnly;
      readiness::Report report = readiness::CheckDomain(facts, *lookups, scope);
      if (report.Overall() == readiness::State::kFail) failed = true;
      std::string out = o.json ? readiness::RenderJson(report, lang) : readiness::RenderText(report, lang);
      if (!out.empty() && out.back() != '\n') out += '\n';  // one JSON object per line
      std::fputs(out.c_str(), stdout);
      if (!o.json && i + 1 < domains.size()) std::fputs("\n", stdout);
      std::fflush(stdout);
      // Recorded whole (domain + platform checks), as the daemon records it:
      // `domain list/show`, /metrics and `campaign schedule` read it.
      if (o.domain_only) continue;  // a partial report is not recorded
      if (scope == readiness::CheckScope::kAll) {
        platform = readiness::Report{};
        for (const auto& c : report.checks)
          if (readiness::IsPlatformCheck(c.id)) platform->checks.push_back(c);
      } else if (platform) {
        for (const auto& c : platform->checks) report.checks.push_back(c);
      }
      TAYORI_RETURN_IF_ERROR(daemon::RecordReadiness(db, cfg, row.id, report, "cli"));
    }
    return Status::Ok();
  });
  if (code != kExitOk) return code;
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void AddDomainCheckCommand(CLI::App* domain, CliContext& ctx) {
  auto o = std::make_shared<CheckOptions>();
  auto* check = domain->add_subcommand("check", "hold a domain to the Gmail/Yahoo sender rules (DNS, TLS, unsubscribe)");
  check->add_option("domain", o->domain, "the author domain");
  check->add_flag("--all", o->all, "every sender domain (the platform's checks once)");
  check->add_flag("--json", o->json, "one JSON object per domain");
  check->add_flag("--domain-only", o->domain_only,
                  "only the author domain's checks (what a shop owner acts on); not recorded");
  check->add_option("--lang", o->lang, "en or ja (default: from $LANG)")->check(CLI::IsMember({"en", "ja"}));
  check->callback([&ctx, o] { ctx.run = [&ctx, o] { return RunDomainCheck(ctx.config_path, *o); }; });
}

}  // namespace tayori::cli
