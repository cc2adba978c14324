#include "readiness/mailbox_providers.h"

#include <cctype>
#include <string>

namespace tayori::readiness {
namespace {

// Consumer mailbox domains Japanese and international shops see in their
// lists. A shop cannot sign for any of them; when a shop owner has been
// sending "from" one of these, the report tells them to use their own
// domain. Subdomain matching is on only where the provider hands out
// mailboxes under subdomains; elsewhere a subdomain may be the provider's own
// signed service, and is no shop's anyway.
constexpr MailboxProvider kProviders[] = {
    // Google
    {"gmail.com", "Google", false},
    {"googlemail.com", "Google", false},
    // Yahoo (Yahoo Inc. and LINE Yahoo Japan)
    {"yahoo.com", "Yahoo", false},
    {"yahoo.co.jp", "LINE Yahoo", false},
    {"ymail.com", "Yahoo", false},
    {"rocketmail.com", "Yahoo", false},
    {"ybb.ne.jp", "LINE Yahoo (Yahoo! BB)", false},
    // Microsoft
    {"outlook.com", "Microsoft", false},
    {"outlook.jp", "Microsoft", false},
    {"hotmail.com", "Microsoft", false},
    {"hotmail.co.jp", "Microsoft", false},
    {"live.com", "Microsoft", false},
    {"live.jp", "Microsoft", false},
    {"msn.com", "Microsoft", false},
    // Apple
    {"icloud.com", "Apple", false},
    {"me.com", "Apple", false},
    {"mac.com", "Apple", false},
    // AOL
    {"aol.com", "AOL", false},
    {"aol.jp", "AOL", false},
    // Japanese mobile carriers
    {"docomo.ne.jp", "NTT docomo", false},
    {"ezweb.ne.jp", "KDDI (au)", false},
    {"au.com", "KDDI (au)", false},
    {"uqmobile.jp", "KDDI (UQ mobile)", false},
    {"softbank.ne.jp", "SoftBank", false},
    {"i.softbank.jp", "SoftBank", false},
    {"vodafone.ne.jp", "SoftBank (former Vodafone)", true},
    {"disney.ne.jp", "SoftBank (Disney Mobile)", true},
    {"ymobile.ne.jp", "SoftBank (Y!mobile)", false},
    {"pdx.ne.jp", "Willcom / Y!mobile", true},
    {"rakumail.jp", "Rakuten Mobile", false},
    // Japanese ISPs and free mail
    {"nifty.com", "NIFTY", false},
    {"biglobe.ne.jp", "BIGLOBE", false},
    {"ocn.ne.jp", "NTT Docomo Business (OCN)", false},
    {"so-net.ne.jp", "Sony Network Communications", false},
    {"plala.or.jp", "NTT Docomo (plala)", false},
    {"excite.co.jp", "Excite Japan", false},
    // Others common in international lists
    {"gmx.com", "GMX", false},
    {"gmx.de", "GMX", false},
    {"gmx.net", "GMX", false},
    {"web.de", "WEB.DE", false},
    {"mail.com", "mail.com", false},
    {"proton.me", "Proton", false},
    {"protonmail.com", "Proton", false},
    {"zoho.com", "Zoho", false},
    {"yandex.ru", "Yandex", false},
    {"yandex.com", "Yandex", false},
    {"mail.ru", "VK (Mail.ru)", false},
    {"qq.com", "Tencent", false},
    {"163.com", "NetEase", false},
    {"126.com", "NetEase", false},
    {"naver.com", "Naver", false},
    {"daum.net", "Kakao", false},
};

}  // namespace

const MailboxProvider* FindMailboxProvider(std::string_view domain) {
  std::string d(domain);
  for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!d.empty() && d.back() == '.') d.pop_back();
  for (const MailboxProvider& p : kProviders) {
    if (d == p.domain) return &p;
    if (p.subdomains && d.size() > p.domain.size() + 1 && d.ends_with(p.domain) &&
        d[d.size() - p.domain.size() - 1] == '.')
      return &p;
  }
  return nullptr;
}

Status CheckAuthorDomainAllowed(std::string_view domain) {
  const MailboxProvider* p = FindMailboxProvider(domain);
  if (!p) return Status::Ok();
  return InvalidInput(std::string(domain) + " is a mailbox provider's domain (" + std::string(p->provider) +
                      "): a shop cannot sign its mail, and its DMARC policy makes receivers reject or quarantine "
                      "newsletters From it; send From the shop's own domain or a platform subdomain");
}

}  // namespace tayori::readiness
