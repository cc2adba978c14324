// Reads the text of a message after DATA's 354 (RFC 5321 §4.1.1.4), pure:
// bytes in, the message out. It removes the dot a sender stuffed in front of
// lines that start with one (§4.5.2), ends at the line "." — only a CRLF "."
// CRLF ends it; a bare LF or CR is message text, so no line end can be
// smuggled past it — and keeps at most `max_bytes` of text: past the limit
// the rest is counted and dropped, so a 50 MB message costs no more memory
// than the limit.
//
// Not thread-safe; one per session.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tayori::inbound {

class DataReader {
 public:
  // Starts a message: text is appended to *message (cleared first), which
  // must stay alive until done(). `reserve` is a hint (a declared SIZE=).
  void Start(std::string* message, size_t max_bytes, size_t reserve = 0);

  // Consumes bytes up to and including the end-of-data line and returns how
  // many it consumed (all of them unless the message ended within them).
  size_t Feed(std::string_view bytes);

  bool done() const { return state_ == State::kDone; }
  // Past max_bytes: the message was dropped (and its memory released).
  bool too_large() const { return too_large_; }
  // A line longer than kMaxTextLineBytes: the message was dropped. (A
  // message can be both; the caller reports the size first.)
  bool line_too_long() const { return line_too_long_; }
  // Text bytes of the message, kept or not (after unstuffing, without the
  // final ".").
  size_t size() const { return size_; }

 private:
  enum class State {
    kLineStart,  // at the start of a line
    kDot,        // a "." at the start of a line
    kDotCr,      // "." CR at the start of a line
    kText,       // inside a line
    kCr,         // a CR inside a line
    kDone,
  };
  void Append(std::string_view text);
  void Drop();

  std::string* message_ = nullptr;
  size_t max_bytes_ = 0;
  size_t size_ = 0;
  size_t line_bytes_ = 0;  // of the current line, as sent (a stuffed dot counts)
  State state_ = State::kDone;
  bool too_large_ = false;
  bool line_too_long_ = false;
};

}  // namespace tayori::inbound
