#include "readiness/messages.h"

#include <array>

namespace tayori::readiness {
namespace {

struct Entry {
  MessageId id;
  const char* en;
  const char* ja;
};

// One row per message; tests check that both languages exist and use the
// same placeholders. Record contents and host names are quoted as found.
constexpr Entry kMessages[] = {
    {MessageId::kWordRoleActive, "in use", "使用中"},
    {MessageId::kWordRoleNext, "next key, rotation in progress", "次の鍵・切り替え中"},
    {MessageId::kWordRoleRetiring, "previous key, still published", "以前の鍵・公開継続中"},
    {MessageId::kWordStrict, "strict", "厳密"},
    {MessageId::kWordRelaxed, "relaxed", "緩和"},
    {MessageId::kWordNoAddress, "no address", "アドレスなし"},

    {MessageId::kFromOwnDomain, "{domain} is the shop's own domain, not a mailbox provider's.",
     "{domain} はショップ独自のドメインで、メールサービス事業者のドメインではありません。"},
    {MessageId::kFromMailboxProvider,
     "{domain} belongs to a mailbox provider ({provider}). It publishes a strict DMARC policy and only the "
     "provider can sign for it, so receivers reject newsletters sent from this address or file them as spam.",
     "{domain} はメールサービス事業者（{provider}）のドメインです。事業者が厳格な DMARC ポリシーを公開しており、"
     "事業者以外は署名できないため、このアドレスから送ったメールマガジンは受信側で拒否されるか、迷惑メールに振り分けられます。"},
    {MessageId::kFixFromMailboxProvider,
     "Send from an address on the shop's own domain (for example news@shop.example) and register that domain "
     "with Tayori.",
     "ショップ独自ドメインのアドレス（例: news@shop.example）を差出人にして、そのドメインを Tayori に登録してください。"},

    {MessageId::kDkimNoSelectors, "Tayori holds no DKIM key for {domain}, so its mail cannot be signed.",
     "Tayori には {domain} の DKIM 鍵がないため、メールに署名できません。"},
    {MessageId::kFixDkimRegister, "Register the domain: tayori domain add {domain} --tenant SHOP --mode hosted|delegated.",
     "ドメインを登録してください: tayori domain add {domain} --tenant SHOP --mode hosted|delegated"},
    {MessageId::kDkimKeyMatches,
     "Selector {selector} ({role}) publishes the key Tayori signs with ({bits}-bit {algorithm}).",
     "セレクタ {selector}（{role}）に、Tayori が署名に使う鍵（{algorithm} {bits} ビット）が公開されています。"},
    {MessageId::kDkimKeyMissing, "No DKIM key record is published at {name}, so receivers cannot verify the signature.",
     "{name} に DKIM 鍵のレコードが公開されていないため、受信側で署名を検証できません。"},
    {MessageId::kDkimKeyDiffers,
     "{name} publishes a different key from the one Tayori signs with, so DKIM verification fails at receivers.",
     "{name} に公開されている鍵が Tayori の署名鍵と一致しないため、受信側で DKIM の検証が失敗します。"},
    {MessageId::kDkimKeyInvalid, "The record at {name} is not a valid DKIM key record: {error}",
     "{name} のレコードは正しい DKIM 鍵レコードではありません: {error}"},
    {MessageId::kDkimKeyShort,
     "Selector {selector} publishes a {bits}-bit RSA key; receivers expect 2048 bits and may stop accepting shorter keys.",
     "セレクタ {selector} の RSA 鍵は {bits} ビットです。受信側は 2048 ビットを求めており、短い鍵は今後受け付けられなくなる可能性があります。"},
    {MessageId::kDkimKeyTesting,
     "The record at {name} carries t=y (testing mode): some receivers ignore the signature.",
     "{name} のレコードに t=y（テストモード）が付いているため、署名を無視する受信側があります。"},
    {MessageId::kFixDkimPublish,
     "Publish the record of selector {selector} again as Tayori prints it: tayori domain show {domain}.",
     "セレクタ {selector} のレコードを、Tayori が表示する内容のとおりに公開し直してください（tayori domain show {domain} で確認できます）。"},
    {MessageId::kFixDkimRotate, "Rotate to a 2048-bit key: tayori dkim rotate {domain}.",
     "2048 ビットの鍵に切り替えてください: tayori dkim rotate {domain}"},
    {MessageId::kFixDkimRemoveTesting, "Remove t=y from the record at {name}.",
     "{name} のレコードから t=y を削除してください。"},
    {MessageId::kDkimCnameOk, "{name} is a CNAME to {target}, as Tayori expects.",
     "{name} は想定どおり {target} への CNAME です。"},
    {MessageId::kDkimCnameMissing, "There is no CNAME at {name}; Tayori expects one pointing to {target}.",
     "{name} に CNAME がありません。{target} を指す CNAME が必要です。"},
    {MessageId::kDkimCnameWrong, "{name} is a CNAME to {found}, not to {target}.",
     "{name} の CNAME は {target} ではなく {found} を指しています。"},
    {MessageId::kDkimTxtInsteadOfCname,
     "{name} holds a copy of the key instead of a CNAME to {target}: signing works today, but fails after the "
     "next key rotation.",
     "{name} には {target} への CNAME ではなく鍵のコピーが登録されています。現在は署名が有効ですが、次に鍵を切り替えると失敗します。"},
    {MessageId::kFixDkimCreateCname,
     "Ask the shop to add this record to the DNS of {domain}: {name} CNAME {target}",
     "{domain} の DNS に次のレコードを追加するよう、ショップに依頼してください: {name} CNAME {target}"},
    {MessageId::kFixDkimReplaceWithCname,
     "Ask the shop to delete the TXT record at {name} and add this record instead: {name} CNAME {target}",
     "{name} の TXT レコードを削除し、代わりに次のレコードを追加するよう、ショップに依頼してください: {name} CNAME {target}"},

    {MessageId::kDmarcFound, "DMARC record at {name}: policy {policy} for {domain}.",
     "{name} に DMARC レコードがあります。{domain} へのポリシーは {policy} です。"},
    {MessageId::kDmarcFoundOrg,
     "{domain} has no DMARC record of its own; the record of its organizational domain at {name} applies: "
     "policy {policy}.",
     "{domain} には専用の DMARC レコードがなく、組織ドメインのレコード（{name}）が適用されます。ポリシーは {policy} です。"},
    {MessageId::kDmarcMissing, "There is no DMARC record at {name}.", "{name} に DMARC レコードがありません。"},
    {MessageId::kDmarcMissingWithOrg,
     "There is no DMARC record at {name}, nor at the organizational domain ({org_name}).",
     "{name} にも、組織ドメインの {org_name} にも DMARC レコードがありません。"},
    {MessageId::kDmarcInvalid,
     "The DMARC record at {name} has an error: {error}. Receivers ignore it, or at best treat it as p=none.",
     "{name} の DMARC レコードに誤りがあります（{error}）。受信側はこのレコードを無視するか、よくても p=none として扱います。"},
    {MessageId::kDmarcMultiple, "{name} has {count} DMARC records; receivers ignore them all.",
     "{name} に DMARC レコードが {count} 件あるため、受信側はすべて無視します。"},
    {MessageId::kFixDmarcAdd,
     "Publish a TXT record at _dmarc.{org}: \"v=DMARC1; p=none; rua=mailto:dmarc@{org}\" (p= can be made "
     "stricter later).",
     "_dmarc.{org} に TXT レコード「v=DMARC1; p=none; rua=mailto:dmarc@{org}」を公開してください（p= は後から厳しくできます）。"},
    {MessageId::kFixDmarcAddForBulk,
     "Gmail and Yahoo require DMARC from senders of more than 5,000 messages a day. Publish a TXT record at "
     "_dmarc.{org}: \"v=DMARC1; p=none; rua=mailto:dmarc@{org}\" (p= can be made stricter later).",
     "Gmail と Yahoo は、1 日に 5,000 通を超えて送る送信者に DMARC を必須としています。_dmarc.{org} に TXT レコード"
     "「v=DMARC1; p=none; rua=mailto:dmarc@{org}」を公開してください（p= は後から厳しくできます）。"},
    {MessageId::kFixDmarcCorrect,
     "Correct the record at {name}, for example to \"v=DMARC1; p=none; rua=mailto:dmarc@{org}\".",
     "{name} のレコードを修正してください（例:「v=DMARC1; p=none; rua=mailto:dmarc@{org}」）。"},
    {MessageId::kFixDmarcKeepOne, "Keep exactly one TXT record starting with v=DMARC1 at {name}.",
     "{name} にある v=DMARC1 で始まる TXT レコードを 1 件だけにしてください。"},
    {MessageId::kFixDmarcAddRua,
     "Add a report address to the record at {name} (for example rua=mailto:dmarc@{org}) to receive the daily "
     "reports of who sends mail in the domain's name.",
     "{name} のレコードにレポートの宛先（例: rua=mailto:dmarc@{org}）を追加してください。ドメイン名義でメールを送っている"
     "送信元の日次レポートが届くようになります。"},
    {MessageId::kFixDmarcRemoveUnknownTag, "Remove the unknown tag {tag}= from the record at {name}; receivers ignore it.",
     "{name} のレコードから不明なタグ {tag}= を削除してください。受信側は無視します。"},
    {MessageId::kFixDmarcMailtoUri,
     "Use mailto: addresses in {tag}= of the record at {name}; receivers send reports only by mail.",
     "{name} のレコードの {tag}= には mailto: のアドレスを指定してください。受信側はレポートをメールでしか送りません。"},

    {MessageId::kDmarcErrSyntax, "it is not a list of tag=value pairs ({detail})",
     "「タグ=値」の形式になっていません: {detail}"},
    {MessageId::kDmarcErrVersionNotFirst, "it must begin with v=DMARC1",
     "先頭が v=DMARC1 ではありません"},
    {MessageId::kDmarcErrNoPolicy, "the required p= tag is missing", "必須の p= タグがありません"},
    {MessageId::kDmarcErrBadValue, "{tag}= has the invalid value \"{value}\"",
     "{tag}= の値「{value}」が正しくありません"},
    {MessageId::kDmarcErrDuplicate, "{tag}= appears twice", "{tag}= が 2 回指定されています"},

    {MessageId::kDkimAligned, "Tayori signs with d={d}, aligned with the From domain {domain} ({mode}).",
     "Tayori は d={d} で署名しており、差出人ドメイン {domain} とアラインメントが取れています（{mode}）。"},
    {MessageId::kDkimNotAlignedStrict,
     "The DMARC record asks for strict DKIM alignment (adkim=s), but Tayori signs with d={d}, which is not "
     "exactly {domain}: DMARC fails for every message.",
     "DMARC レコードが厳密な DKIM アラインメント（adkim=s）を求めていますが、Tayori の署名ドメイン d={d} は {domain} と"
     "完全には一致しないため、すべてのメールで DMARC が失敗します。"},
    {MessageId::kDkimNotAligned,
     "Tayori signs with d={d}, which belongs to another organization than {domain}: DMARC fails for every message.",
     "Tayori の署名ドメイン d={d} は {domain} と別の組織のドメインのため、すべてのメールで DMARC が失敗します。"},
    {MessageId::kFixDkimAlignStrict,
     "Remove adkim=s from the DMARC record at {name} (relaxed alignment is the default), or have Tayori sign with "
     "d={domain}.",
     "{name} の DMARC レコードから adkim=s を削除するか（既定は緩和モードです）、Tayori が d={domain} で署名するよう設定してください。"},
    {MessageId::kFixDkimAlign, "Have Tayori sign with the From domain: register {domain} with Tayori.",
     "差出人ドメインで署名するよう、{domain} を Tayori に登録してください。"},
    {MessageId::kSpfAligned,
     "The bounce domain {envelope} is aligned with {domain} ({mode}), so SPF counts for DMARC as well.",
     "バウンス用ドメイン {envelope} は {domain} とアラインメントが取れているため、SPF も DMARC の判定に使われます（{mode}）。"},
    {MessageId::kSpfNotAlignedDkimCarries,
     "The bounce domain {envelope} is not aligned with {domain}. That is expected: DMARC passes on Tayori's "
     "aligned DKIM signature alone.",
     "バウンス用ドメイン {envelope} は {domain} とアラインメントが取れていませんが、問題ありません。"
     "DMARC は Tayori のアラインした DKIM 署名だけで合格します。"},
    {MessageId::kSpfNotAlignedNoDkim,
     "Neither the bounce domain {envelope} nor the DKIM signature is aligned with {domain}, so DMARC fails.",
     "バウンス用ドメイン {envelope} も DKIM 署名も {domain} とアラインメントが取れていないため、DMARC が失敗します。"},
    {MessageId::kFixSeeDkimAlignment, "Fix the DKIM alignment reported above.",
     "上に表示されている DKIM アラインメントの問題を解決してください。"},

    {MessageId::kSpfNoEgressIps,
     "No egress IP addresses are configured for relay {relay}, so SPF and reverse DNS cannot be checked.",
     "リレー {relay} の送信元 IP アドレスが設定されていないため、SPF と逆引き DNS を確認できません。"},
    {MessageId::kFixSpfConfigureEgress,
     "Set relays[].egress_ips to the addresses relay {relay} sends from (the relay provider lists them).",
     "relays[].egress_ips に、リレー {relay} の送信元アドレス（リレー事業者が公開しています）を設定してください。"},
    {MessageId::kSpfNotPublicAddress, "{ip} is not a public address, so receivers never see mail from it.",
     "{ip} はグローバルアドレスではないため、受信側がこのアドレスからのメールを受け取ることはありません。"},
    {MessageId::kSpfPass, "The SPF record of {envelope} authorizes {ip}.",
     "{envelope} の SPF レコードは {ip} を許可しています。"},
    {MessageId::kSpfNotAuthorized, "The SPF record of {envelope} does not authorize {ip} (result: {result}).",
     "{envelope} の SPF レコードは {ip} を許可していません（判定: {result}）。"},
    {MessageId::kSpfNoRecord, "{envelope} publishes no SPF record.",
     "{envelope} には SPF レコードがありません。"},
    {MessageId::kSpfPermError, "The SPF record of {envelope} cannot be evaluated: {error}.",
     "{envelope} の SPF レコードを評価できません: {error}"},
    {MessageId::kSpfTooManyLookups,
     "The SPF record of {envelope} needs more than 10 DNS lookups (RFC 7208 §4.6.4), so receivers answer "
     "permerror and treat the mail as unauthenticated by SPF.",
     "{envelope} の SPF レコードは DNS の参照が 10 回を超えるため（RFC 7208 §4.6.4）、受信側は permerror と判定し、"
     "SPF による認証がないものとして扱います。"},
    {MessageId::kSpfTempError, "The SPF record of {envelope} could not be checked for {ip}: {error}.",
     "{envelope} の SPF レコードを {ip} について確認できませんでした: {error}"},
    {MessageId::kFixSpfAddMechanism,
     "Add {mechanism} (or the relay provider's include:) to the SPF record of {envelope}, before its \"all\".",
     "{envelope} の SPF レコードの「all」より前に {mechanism}（またはリレー事業者が指定する include:）を追加してください。"},
    {MessageId::kFixSpfPublish, "Publish a TXT record at {envelope}: \"v=spf1 {mechanism} -all\".",
     "{envelope} に TXT レコード「v=spf1 {mechanism} -all」を公開してください。"},
    {MessageId::kFixSpfCorrect, "Correct the SPF record of {envelope} (and of the domains it includes).",
     "{envelope} の SPF レコード（と include 先のレコード）を修正してください。"},
    {MessageId::kFixSpfReduceLookups,
     "Remove include:, a, mx, ptr and exists terms from the SPF record of {envelope} (replace some with ip4:/ip6: "
     "ranges) until at most 10 DNS lookups remain.",
     "{envelope} の SPF レコードの include:、a、mx、ptr、exists を減らし（一部を ip4:/ip6: のアドレス範囲に置き換えるなど）、"
     "DNS の参照を 10 回以内にしてください。"},
    {MessageId::kSpfLookupCount, "DNS lookups the SPF record of {envelope} needs: {count} (the limit is 10).",
     "{envelope} の SPF レコードの DNS 参照は {count} 回です（上限は 10 回）。"},

    {MessageId::kPtrOk, "{ip} has the reverse name {ptr}, which resolves back to {ip}.",
     "{ip} の逆引き名は {ptr} で、{ptr} を正引きすると {ip} に戻ります。"},
    {MessageId::kPtrMissing,
     "{ip} has no reverse DNS name (PTR); Gmail and Yahoo refuse or distrust mail from such addresses.",
     "{ip} に逆引き DNS（PTR）がありません。Gmail や Yahoo は、このようなアドレスからのメールを拒否したり信用しなかったりします。"},
    {MessageId::kPtrMismatch, "{ip} has the reverse name {ptr}, but {ptr} does not resolve to {ip} ({found}).",
     "{ip} の逆引き名は {ptr} ですが、{ptr} を正引きしても {ip} になりません（{found}）。"},
    {MessageId::kFixPtrSet,
     "Ask whoever owns {ip} (the relay provider) to set its PTR to a host name that resolves back to {ip}.",
     "{ip} の管理者（リレー事業者）に、{ip} へ正引きできるホスト名を PTR に設定するよう依頼してください。"},
    {MessageId::kFixPtrForward,
     "Make {ptr} resolve to {ip} (an A or AAAA record), or change the PTR of {ip} to a name that does.",
     "{ptr} が {ip} を返すように A または AAAA レコードを設定するか、{ip} の PTR を正引きが一致するホスト名に変更してください。"},

    {MessageId::kMxOk, "Bounces to {envelope} reach {hosts}.", "{envelope} 宛てのバウンスは {hosts} に届きます。"},
    {MessageId::kMxNoInbound,
     "Bounces to {envelope} go to {hosts}; readiness.bounce_mx_hosts names no host of Tayori's inbound service to "
     "compare them with.",
     "{envelope} 宛てのバウンスは {hosts} に届きますが、readiness.bounce_mx_hosts に Tayori の受信サービスのホストが"
     "設定されていないため、照合できません。"},
    {MessageId::kMxMissing, "{envelope} has no MX record, so bounces cannot come back.",
     "{envelope} に MX レコードがないため、バウンスが戻ってきません。"},
    {MessageId::kMxNull, "{envelope} publishes a null MX (RFC 7505): it refuses all mail, bounces included.",
     "{envelope} は null MX（RFC 7505）を公開しており、バウンスを含むすべてのメールを受け取りません。"},
    {MessageId::kMxElsewhere, "Bounces to {envelope} go to {hosts}, not to Tayori's inbound service ({expected}).",
     "{envelope} 宛てのバウンスは Tayori の受信サービス（{expected}）ではなく {hosts} に届きます。"},
    {MessageId::kFixMxWhenInbound,
     "If Tayori's inbound service reads the bounces, point the MX of {envelope} at it and list its host names in "
     "readiness.bounce_mx_hosts; if another system reads them, nothing to change.",
     "Tayori の受信サービスでバウンスを読み取る場合は、{envelope} の MX をそちらに向け、そのホスト名を "
     "readiness.bounce_mx_hosts に設定してください。別のシステムで読み取る場合は変更不要です。"},
    {MessageId::kFixMxPointAtInbound, "Point the MX of {envelope} at {expected}.",
     "{envelope} の MX を {expected} に向けてください。"},
    {MessageId::kFixMxPublish, "Publish an MX record for {envelope} pointing to the host that receives its bounces.",
     "{envelope} に、バウンスを受け取るホストを指す MX レコードを公開してください。"},

    {MessageId::kTlsOk, "Relay {relay} ({host}:{port}) speaks TLS with a certificate that verifies.",
     "リレー {relay}（{host}:{port}）は TLS に対応しており、証明書の検証にも成功しました。"},
    {MessageId::kTlsConfiguredOff,
     "Relay {relay} is configured without TLS, so mail and the relay password cross the network unencrypted.",
     "リレー {relay} は TLS なしで設定されているため、メールとリレーのパスワードが暗号化されずにネットワークを流れます。"},
    {MessageId::kTlsNoStartTls, "Relay {relay} ({host}:{port}) does not offer STARTTLS.",
     "リレー {relay}（{host}:{port}）は STARTTLS に対応していません。"},
    {MessageId::kTlsBadCertificate, "The certificate of relay {relay} ({host}:{port}) does not verify: {error}",
     "リレー {relay}（{host}:{port}）の証明書を検証できません: {error}"},
    {MessageId::kTlsUnreachable, "Relay {relay} ({host}:{port}) could not be reached: {error}",
     "リレー {relay}（{host}:{port}）に接続できません: {error}"},
    {MessageId::kTlsFailed, "The TLS handshake with relay {relay} ({host}:{port}) failed: {error}",
     "リレー {relay}（{host}:{port}）との TLS 接続に失敗しました: {error}"},
    {MessageId::kFixTlsEnable, "Set tls = \"starttls\" (or \"implicit\") for relay {relay}.",
     "リレー {relay} の設定を tls = \"starttls\"（または \"implicit\"）にしてください。"},
    {MessageId::kFixTlsStartTls,
     "Use a port of the relay that offers STARTTLS (usually 587), or ask the relay provider to enable it.",
     "STARTTLS に対応したリレーのポート（通常は 587）を使うか、リレー事業者に有効化を依頼してください。"},
    {MessageId::kFixTlsCertificate,
     "Install a certificate valid for {host} on the relay, or set relays[].ca_file to the CA that issued it.",
     "リレーに {host} 用の正しい証明書を設定するか、relays[].ca_file に発行元の CA を指定してください。"},
    {MessageId::kFixTlsReach, "Check relays[].host and port, and that this machine may connect to {host}:{port}.",
     "relays[].host と port の設定、およびこのマシンから {host}:{port} へ接続できるかを確認してください。"},

    {MessageId::kUnsubOk, "{url} is https and answered a one-click unsubscribe POST with {status}.",
     "{url} は https で、ワンクリック配信停止の POST に {status} で応答しました。"},
    {MessageId::kUnsubNotHttps,
     "The unsubscribe address {url} is not https; Gmail and Yahoo show the one-click unsubscribe button only for "
     "https links (RFC 8058).",
     "配信停止のアドレス {url} が https ではありません。Gmail と Yahoo は https のリンクにしかワンクリック配信停止ボタンを表示しません（RFC 8058）。"},
    {MessageId::kUnsubRedirect,
     "{url} answered the one-click POST with a redirect ({status}) to {location}; mailbox providers do not follow "
     "redirects.",
     "{url} はワンクリック配信停止の POST に {location} へのリダイレクト（{status}）で応答しました。メールサービス事業者はリダイレクトをたどりません。"},
    {MessageId::kUnsubBadStatus, "{url} answered the one-click POST with HTTP {status}.",
     "{url} はワンクリック配信停止の POST に HTTP {status} で応答しました。"},
    {MessageId::kUnsubUnreachable, "{url} could not be reached: {error}",
     "{url} に接続できません: {error}"},
    {MessageId::kFixUnsubHttps,
     "Serve the unsubscribe endpoint behind TLS and set unsubscribe.base_url to its https:// address.",
     "配信停止の受付を TLS の内側で提供し、unsubscribe.base_url をその https:// のアドレスにしてください。"},
    {MessageId::kFixUnsubRedirect,
     "Set unsubscribe.base_url to the final address, and have the proxy pass POST /u/… to Tayori without a redirect.",
     "unsubscribe.base_url をリダイレクト先の最終的なアドレスにし、プロキシが POST /u/… をリダイレクトせずに Tayori へ転送するようにしてください。"},
    {MessageId::kFixUnsubProxy, "Check that the proxy in front of {url} passes POST requests to Tayori's HTTP listener.",
     "{url} の前段のプロキシが POST リクエストを Tayori の HTTP リスナーへ転送しているか確認してください。"},
    {MessageId::kFixUnsubReach, "Check the DNS name, the TLS certificate and the proxy behind {url}.",
     "{url} の DNS 名、TLS 証明書、プロキシの設定を確認してください。"},

    {MessageId::kDnsFailed, "The DNS lookup of {name} got no answer: {error}.",
     "{name} の DNS 問い合わせに応答がありませんでした: {error}"},
    {MessageId::kFixRetryDns, "Check that the DNS servers of the domain answer, then run the check again.",
     "ドメインの DNS サーバーが応答しているか確認してから、もう一度チェックしてください。"},
};

constexpr size_t kCount = static_cast<size_t>(MessageId::kLast);

constexpr std::array<const Entry*, kCount> BuildIndex() {
  std::array<const Entry*, kCount> index{};
  for (const Entry& e : kMessages) index[static_cast<size_t>(e.id)] = &e;
  return index;
}

constexpr auto kIndex = BuildIndex();

}  // namespace

std::string_view MessageTemplate(MessageId id, bool japanese) {
  const auto i = static_cast<size_t>(id);
  if (i >= kCount || kIndex[i] == nullptr) return {};
  return japanese ? kIndex[i]->ja : kIndex[i]->en;
}

std::vector<MessageId> AllMessageIds() {
  std::vector<MessageId> out;
  for (size_t i = 1; i < kCount; ++i) out.push_back(static_cast<MessageId>(i));
  return out;
}

}  // namespace tayori::readiness
