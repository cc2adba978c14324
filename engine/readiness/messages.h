// The message table of the readiness report: every sentence a check can
// say, in English and Japanese, with {name} placeholders (text.h fills them).
// Sentences are written for a shop owner who is not a mail engineer: what was
// found, and what to do, one step each.
#pragma once

#include <string_view>
#include <vector>

namespace tayori::readiness {

enum class MessageId {
  kNone,
  // Words used inside other messages.
  kWordRoleActive,
  kWordRoleNext,
  kWordRoleRetiring,
  kWordStrict,
  kWordRelaxed,
  kWordNoAddress,
  // From domain.
  kFromOwnDomain,
  kFromMailboxProvider,
  kFixFromMailboxProvider,
  // DKIM keys and CNAMEs.
  kDkimNoSelectors,
  kFixDkimRegister,
  kDkimKeyMatches,
  kDkimKeyMissing,
  kDkimKeyDiffers,
  kDkimKeyInvalid,
  kDkimKeyShort,
  kDkimKeyTesting,
  kFixDkimPublish,
  kFixDkimRotate,
  kFixDkimRemoveTesting,
  kDkimCnameOk,
  kDkimCnameMissing,
  kDkimCnameWrong,
  kDkimTxtInsteadOfCname,
  kFixDkimCreateCname,
  kFixDkimReplaceWithCname,
  // DMARC record.
  kDmarcFound,
  kDmarcFoundOrg,
  kDmarcMissing,
  kDmarcMissingWithOrg,
  kDmarcInvalid,
  kDmarcMultiple,
  kFixDmarcAdd,
  kFixDmarcAddForBulk,
  kFixDmarcCorrect,
  kFixDmarcKeepOne,
  kFixDmarcAddRua,
  kFixDmarcRemoveUnknownTag,
  kFixDmarcMailtoUri,
  // Problems inside a DMARC record (nested in kDmarcInvalid / fixes).
  kDmarcErrSyntax,
  kDmarcErrVersionNotFirst,
  kDmarcErrNoPolicy,
  kDmarcErrBadValue,
  kDmarcErrDuplicate,
  // DKIM and SPF alignment.
  kDkimAligned,
  kDkimNotAlignedStrict,
  kDkimNotAligned,
  kFixDkimAlignStrict,
  kFixDkimAlign,
  kSpfAligned,
  kSpfNotAlignedDkimCarries,
  kSpfNotAlignedNoDkim,
  kFixSeeDkimAlignment,
  // SPF of the envelope (bounce) domain.
  kSpfNoEgressIps,
  kFixSpfConfigureEgress,
  kSpfNotPublicAddress,
  kSpfPass,
  kSpfNotAuthorized,
  kSpfNoRecord,
  kSpfPermError,
  kSpfTooManyLookups,
  kSpfTempError,
  kFixSpfAddMechanism,
  kFixSpfPublish,
  kFixSpfCorrect,
  kFixSpfReduceLookups,
  kSpfLookupCount,
  // Forward-confirmed reverse DNS of the egress IPs.
  kPtrOk,
  kPtrMissing,
  kPtrMismatch,
  kFixPtrSet,
  kFixPtrForward,
  // MX of the bounce domain.
  kMxOk,
  kMxNoInbound,
  kMxMissing,
  kMxNull,
  kMxElsewhere,
  kFixMxWhenInbound,
  kFixMxPointAtInbound,
  kFixMxPublish,
  // Relay TLS.
  kTlsOk,
  kTlsConfiguredOff,
  kTlsNoStartTls,
  kTlsBadCertificate,
  kTlsUnreachable,
  kTlsFailed,
  kFixTlsEnable,
  kFixTlsStartTls,
  kFixTlsCertificate,
  kFixTlsReach,
  // One-click unsubscribe endpoint.
  kUnsubOk,
  kUnsubNotHttps,
  kUnsubRedirect,
  kUnsubBadStatus,
  kUnsubUnreachable,
  kFixUnsubHttps,
  kFixUnsubRedirect,
  kFixUnsubProxy,
  kFixUnsubReach,
  // Any DNS lookup that got no usable answer.
  kDnsFailed,
  kFixRetryDns,
  kLast,  // not a message
};

// The template of `id`: English when `japanese` is false. Empty for kNone.
std::string_view MessageTemplate(MessageId id, bool japanese);

// Every id from kNone+1 to kLast-1, for tests of the table.
std::vector<MessageId> AllMessageIds();

}  // namespace tayori::readiness
