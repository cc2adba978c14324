#include "inbound/session.h"

#include <charconv>

#include "inbound/command.h"

namespace tayori::inbound {
namespace {

constexpr size_t kMaxHeloChars = 255;  // a domain name; anything longer is cut for the record

void Put(std::string* out, int code, std::string_view text) { *out += Reply{code, std::string(text)}.Line(); }

// "Received:" fields in the header section (up to the first empty line).
int CountReceived(std::string_view message) {
  int n = 0;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    std::string_view line = message.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.empty() || line == "\r") break;
    if (StartsWithIgnoreCase(line, "Received:")) ++n;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return n;
}

}  // namespace

Session::Session(const SessionOptions& options, RecipientCheck check) : options_(options), check_(std::move(check)) {}

std::string Session::Greeting() const {
  return Reply{220, options_.hostname + (options_.protocol == Protocol::kLmtp ? " LMTP" : " ESMTP") + " Tayori"}
      .Line();
}

Session::Next Session::Feed(std::string_view bytes, std::string* out) {
  if (state_ == State::kDelivering) {
    // The server stops reading while a delivery is pending, so this is at
    // most what one read brought beyond the end of the message.
    kept_.append(bytes);
    return Next::kWait;
  }
  return Process(bytes, out);
}

Session::Next Session::Process(std::string_view input, std::string* out) {
  for (;;) {
    if (state_ == State::kClosed) return Next::kClose;
    if (input.empty()) return Next::kRead;
    if (state_ == State::kData) {
      input.remove_prefix(reader_.Feed(input));
      ++progress_;
      if (!reader_.done()) return Next::kRead;
      state_ = State::kCommand;
      if (EndOfData(out)) {
        state_ = State::kDelivering;
        delivering_recipients_ = recipients_.size();
        kept_.assign(input);
        return Next::kDeliver;
      }
      continue;
    }
    // A command line: up to LF (a CR before it is dropped below; a client
    // ending commands with a bare LF is understood, as most servers do).
    size_t lf = input.find('\n');
    std::string_view part = input.substr(0, lf == std::string_view::npos ? input.size() : lf + 1);
    input.remove_prefix(part.size());
    if (!line_too_long_ && line_.size() + part.size() > kMaxCommandLineBytes) {
      // §4.5.3.1.4: read the rest of the line away, then say so.
      line_too_long_ = true;
      std::string().swap(line_);
    }
    if (lf == std::string_view::npos) {
      if (!line_too_long_) line_.append(part);
      return Next::kRead;
    }
    ++progress_;
    if (line_too_long_) {
      line_too_long_ = false;
      Error(500, "5.5.2 line too long (limit " + std::to_string(kMaxCommandLineBytes) + " octets)", out);
      continue;
    }
    // The usual case, a whole line in one read, needs no copy.
    std::string_view line = part;
    if (!line_.empty()) {
      line_.append(part);
      line = line_;
    }
    line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Execute(line, out);
    line_.clear();
  }
}

void Session::Execute(std::string_view line, std::string* out) {
  Command cmd = ParseCommand(line);
  if (line.find('\0') != std::string_view::npos) cmd.verb = Verb::kUnknown;
  const bool lmtp = options_.protocol == Protocol::kLmtp;
  switch (cmd.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
      if (lmtp) return Error(500, "5.5.1 this is an LMTP server: use LHLO", out);
      return Hello(cmd.verb == Verb::kEhlo, cmd.args, out);
    case Verb::kLhlo:
      if (!lmtp) return Error(500, "5.5.1 LHLO is LMTP; use EHLO", out);
      return Hello(true, cmd.args, out);
    case Verb::kMail: return Mail(cmd.args, out);
    case Verb::kRcpt: return Rcpt(cmd.args, out);
    case Verb::kData: return Data(cmd.args, out);
    case Verb::kRset:
      Reset();
      return Put(out, 250, "2.0.0 Ok");
    case Verb::kNoop: return Put(out, 250, "2.0.0 Ok");
    case Verb::kQuit:
      Put(out, 221, "2.0.0 " + options_.hostname + " closing connection");
      state_ = State::kClosed;
      return;
    case Verb::kVrfy: return Put(out, 252, "2.5.0 cannot verify addresses; send a message");
    case Verb::kHelp: return Put(out, 214, "2.0.0 commands: EHLO HELO LHLO MAIL RCPT DATA RSET NOOP VRFY QUIT");
    case Verb::kExpn:
    case Verb::kNotImplemented: return Error(502, "5.5.1 command not implemented", out);
    case Verb::kUnknown: return Error(500, "5.5.2 command unrecognized", out);
  }
}

void Session::Hello(bool extended, std::string_view args, std::string* out) {
  if (args.empty()) return Error(501, extended ? "5.5.4 syntax: EHLO hostname" : "5.5.4 syntax: HELO hostname", out);
  Reset();  // §4.1.4: EHLO/HELO end any transaction
  helo_.assign(args.substr(0, kMaxHeloChars));
  if (!extended) return Put(out, 250, options_.hostname);
  // LMTP servers must offer PIPELINING and ENHANCEDSTATUSCODES (RFC 2033 §5).
  *out += "250-" + options_.hostname + "\r\n250-PIPELINING\r\n250-SIZE " +
          std::to_string(options_.max_message_bytes) +
          "\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n";
}

void Session::Mail(std::string_view args, std::string* out) {
  if (helo_.empty())
    return Error(503, options_.protocol == Protocol::kLmtp ? "5.5.1 send LHLO first" : "5.5.1 send EHLO first", out);
  if (has_sender_) return Error(503, "5.5.1 sender already given (RSET first)", out);
  PathArgs path;
  switch (ParsePathArgs(args, "FROM:", &path)) {
    case PathError::kNone: break;
    case PathError::kSyntax: return Error(501, "5.5.4 syntax: MAIL FROM:<address>", out);
    case PathError::kAddress:
    case PathError::kTooLong: return Error(501, "5.1.7 bad sender address syntax", out);
  }
  size_t declared = 0;
  for (const EsmtpParam& p : path.params) {
    if (p.keyword == "SIZE") {
      // RFC 1870: refuse at MAIL what could never be taken at DATA.
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), n);
      if (p.value.empty() || end != p.value.data() + p.value.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return Error(501, "5.5.4 syntax: SIZE=<digits>", out);
      if (ec == std::errc::result_out_of_range || n > options_.max_message_bytes)
        return Error(552, "5.3.4 message size exceeds fixed maximum message size (" +
                              std::to_string(options_.max_message_bytes) + " bytes)",
                     out);
      declared = static_cast<size_t>(n);
    } else if (p.keyword == "BODY") {
      if (!EqualsIgnoreCase(p.value, "7BIT") && !EqualsIgnoreCase(p.value, "8BITMIME"))
        return Error(555, "5.5.4 unsupported BODY type", out);
    } else if (p.keyword == "SMTPUTF8") {
      if (!p.value.empty()) return Error(501, "5.5.4 syntax: SMTPUTF8 takes no value", out);
    } else {
      return Error(555, "5.5.4 unsupported parameter " + p.keyword, out);
    }
  }
  has_sender_ = true;
  sender_ = std::move(path.address);
  declared_size_ = declared;
  Put(out, 250, "2.1.0 Ok");
}

void Session::Rcpt(std::string_view args, std::string* out) {
  if (!has_sender_) return Error(503, "5.5.1 need MAIL command", out);
  PathArgs path;
  switch (ParsePathArgs(args, "TO:", &path)) {
    case PathError::kNone: break;
    case PathError::kSyntax: return Error(501, "5.5.4 syntax: RCPT TO:<address>", out);
    case PathError::kAddress:
    case PathError::kTooLong: return Error(501, "5.1.3 bad recipient address syntax", out);
  }
  if (path.address.empty()) return Error(501, "5.1.3 bad recipient address syntax", out);
  if (!path.params.empty()) return Error(555, "5.5.4 unsupported parameter " + path.params.front().keyword, out);
  if (recipients_.size() >= options_.max_recipients) return Put(out, 452, "4.5.3 too many recipients");
  RecipientVerdict v = check_(path.address);
  if (v.kind == RecipientKind::kRefused)
    return Error(550, "5.1.1 <" + path.address + ">: recipient address rejected: " +
                          (v.reason.empty() ? std::string("not accepted here") : v.reason),
                 out);
  recipients_.push_back({std::move(path.address), v.kind});
  Put(out, 250, "2.1.5 Ok");
}

void Session::Data(std::string_view args, std::string* out) {
  if (!args.empty()) return Error(501, "5.5.4 syntax: DATA", out);
  if (!has_sender_) return Error(503, "5.5.1 need MAIL command", out);
  // RFC 2920 §3.1 (SMTP) and RFC 2033 §4.2 (LMTP).
  if (recipients_.empty())
    return Error(options_.protocol == Protocol::kLmtp ? 503 : 554, "5.5.1 no valid recipients", out);
  if (!storage_available_) return Put(out, 452, "4.3.1 insufficient system storage, try again later");
  reader_.Start(&message_, options_.max_message_bytes, declared_size_);
  state_ = State::kData;
  Put(out, 354, "end data with <CR><LF>.<CR><LF>");
}

bool Session::EndOfData(std::string* out) {
  std::string refusal;
  if (reader_.too_large())
    refusal = Reply{552, "5.3.4 message too large (" + std::to_string(reader_.size()) + " bytes; the limit is " +
                             std::to_string(options_.max_message_bytes) + ")"}
                  .Line();
  else if (reader_.line_too_long())
    refusal = Reply{554, "5.6.0 message refused: a line is longer than " + std::to_string(kMaxTextLineBytes) +
                             " octets (RFC 5321 section 4.5.3.1.6)"}
                  .Line();
  else if (CountReceived(message_) > kMaxReceivedFields)
    refusal = Reply{554, "5.4.6 mail loop: more than " + std::to_string(kMaxReceivedFields) +
                             " Received header fields"}
                  .Line();
  if (refusal.empty()) return true;
  // LMTP answers DATA once per recipient, refusals too (RFC 2033 §4.2).
  size_t n = options_.protocol == Protocol::kLmtp ? recipients_.size() : 1;
  for (size_t i = 0; i < n; ++i) *out += refusal;
  Reset();
  std::string().swap(message_);
  return false;
}

Message Session::TakeMessage() {
  Message m;
  m.sender = std::move(sender_);
  m.recipients = std::move(recipients_);
  m.data = std::move(message_);
  m.helo = helo_;
  sender_.clear();
  recipients_.clear();
  message_.clear();
  return m;
}

Session::Next Session::Delivered(const std::vector<Reply>& replies, std::string* out) {
  if (state_ != State::kDelivering) return state_ == State::kClosed ? Next::kClose : Next::kRead;
  const size_t n = delivering_recipients_;
  auto reply_for = [&](size_t i) {
    return i < replies.size() ? replies[i] : Reply::TryLater("internal error, try again later");
  };
  if (options_.protocol == Protocol::kLmtp) {
    for (size_t i = 0; i < n; ++i) *out += reply_for(i).Line();
  } else {
    std::vector<Reply> all;
    all.reserve(n);
    for (size_t i = 0; i < n; ++i) all.push_back(reply_for(i));
    *out += CombineForSmtp(all).Line();
  }
  Reset();
  state_ = State::kCommand;
  ++progress_;
  std::string kept = std::move(kept_);
  kept_.clear();
  return Process(kept, out);
}

void Session::Error(int code, std::string_view text, std::string* out) {
  Put(out, code, text);
  if (++errors_ >= kMaxErrors) {
    Put(out, 421, "4.7.0 " + options_.hostname + " too many errors, closing connection");
    state_ = State::kClosed;
  }
}

void Session::Reset() {
  has_sender_ = false;
  sender_.clear();
  declared_size_ = 0;
  recipients_.clear();
  message_.clear();
}

bool Session::idle() const {
  return state_ == State::kCommand && !has_sender_ && line_.empty() && !line_too_long_ && kept_.empty();
}

size_t Session::buffered_bytes() const { return message_.size() + line_.size() + kept_.size(); }

}  // namespace tayori::inbound
