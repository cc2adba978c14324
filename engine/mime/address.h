// Module mime/: RFC 5322/2045 message pieces: addresses, header encoding and folding, transfer
// encodings, IDN (the only includer of libidn2); pure, no I/O. May include: base/ (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// RFC 5322 §3.4 mailboxes: parsing what a shop or a subscriber typed, with a
// clear reason for each rejected address, and formatting for the header.
//
// Accepted: "addr-spec", "display name <addr-spec>", quoted display names,
// comments (ignored), UTF-8 display names (RFC 6532 §3.2). Rejected, each with
// its own reason: line breaks and control characters, a missing or doubled
// '@', empty or over-long parts, bad dots, characters outside atext in an
// unquoted local part, a non-ASCII local part (would need SMTPUTF8, RFC 6531,
// which Tayori does not use), address literals ([192.0.2.1]), group syntax,
// and a domain that is not a valid host name. Internationalized domains are
// converted to A-labels (DomainToALabel), the form every header, the envelope
// and DKIM d= carry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mime/header_folder.h"

namespace tayori::mime {

struct Mailbox {
  std::string display_name;  // UTF-8, as the reader sees it (quotes removed); may be empty
  std::string local_part;    // semantic form: quoted-string content without quotes/escapes
  std::string domain;        // lower-case A-label form

  // "local@domain", quoting the local part when it is not a dot-atom.
  std::string AddrSpec() const;
};

// Parses one addr-spec ("user@example.com", no display name, no brackets).
Result<Mailbox> ParseAddrSpec(std::string_view text);

// Parses a mailbox-list (RFC 5322 §3.4: mailboxes separated by commas).
Result<std::vector<Mailbox>> ParseMailboxList(std::string_view text);

// Parses exactly one mailbox; more than one is an error (From carries exactly
// one address, RFC 5322 §3.6.2 when Sender is absent).
Result<Mailbox> ParseMailbox(std::string_view text);

// Builds a mailbox from a separately stored name and address (the database
// keeps them apart): the address is parsed with ParseAddrSpec and the name
// must pass CheckHeaderText.
Result<Mailbox> MakeMailbox(std::string_view display_name, std::string_view address);

// Appends the mailbox as `display-name <addr-spec>` (or a bare addr-spec when
// the name is empty); the name is written as atoms, a quoted-string or
// encoded-words (encoded_word.h).
void AppendMailbox(HeaderFolder& f, const Mailbox& m);

// "Name: mailbox\r\n", folded; convenience for static headers and tests.
std::string FormatMailboxField(std::string_view field_name, const Mailbox& m);

}  // namespace tayori::mime
