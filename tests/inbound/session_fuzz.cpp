// The SMTP and LMTP session on any bytes. The first byte picks the
// protocol and how the rest is cut into reads; each delivery is answered
// with a reply chosen by the input, so every path through Delivered() is
// reached. The session must never crash, never hold more than its limits,
// and always answer with well-formed reply lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "inbound/command.h"
#include "inbound/session.h"

namespace {

using tayori::inbound::Reply;
using tayori::inbound::Session;

void CheckReplies(const std::string& out) {
  // Every reply line is "ddd" followed by ' ' or '-', ending in CRLF.
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find("\r\n", pos);
    if (end == std::string::npos || end - pos < 4) std::abort();
    for (size_t i = pos; i < pos + 3; ++i)
      if (out[i] < '0' || out[i] > '9') std::abort();
    if (out[pos + 3] != ' ' && out[pos + 3] != '-') std::abort();
    for (size_t i = pos; i < end; ++i)
      if (out[i] == '\r' || out[i] == '\n') std::abort();
    pos = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  tayori::inbound::SessionOptions options;
  options.protocol = (mode & 1) ? tayori::inbound::Protocol::kLmtp : tayori::inbound::Protocol::kSmtp;
  options.hostname = "fuzz.test";
  options.max_message_bytes = 4096;
  options.max_recipients = 5;
  Session session(options, [](std::string_view a) {
    tayori::inbound::RecipientVerdict v;
    if (tayori::inbound::StartsWithIgnoreCase(a, "b+")) v.kind = tayori::inbound::RecipientKind::kBounce;
    else if (tayori::inbound::StartsWithIgnoreCase(a, "fbl@")) v.kind = tayori::inbound::RecipientKind::kComplaint;
    else v.reason = "refused";
    return v;
  });
  const size_t chunk = 1 + ((mode >> 1) & 0x3f);  // 1..64 bytes a read
  std::string out;
  size_t deliveries = 0;
  for (size_t pos = 0; pos < input.size();) {
    std::string_view piece = input.substr(pos, chunk);
    pos += piece.size();
    out.clear();
    Session::Next next = session.Feed(piece, &out);
    CheckReplies(out);
    while (next == Session::Next::kDeliver) {
      tayori::inbound::Message m = session.TakeMessage();
      if (m.recipients.empty() || m.recipients.size() > options.max_recipients) std::abort();
      if (m.data.size() > options.max_message_bytes) std::abort();
      // Answer with a reply picked by the message: positive, transient,
      // permanent, too few, or an invalid code.
      std::vector<Reply> replies;
      switch ((deliveries++ + m.data.size()) % 5) {
        case 0: replies.assign(m.recipients.size(), Reply::Accepted()); break;
        case 1: replies.assign(m.recipients.size(), Reply::TryLater()); break;
        case 2: replies.assign(m.recipients.size(), Reply::Refused()); break;
        case 3: break;
        case 4: replies.assign(m.recipients.size(), Reply{999, "\r\nbad"}); break;
      }
      out.clear();
      next = session.Delivered(replies, &out);
      CheckReplies(out);
    }
    if (next == Session::Next::kClose) break;
    // Kept input is at most one read; a partial line at most the limit.
    if (session.buffered_bytes() > 64 * 1024 + options.max_message_bytes * 2) std::abort();
  }
  return 0;
}
