#include "inbound/data_reader.h"

#include <cstring>

#include "inbound/limits.h"

namespace tayori::inbound {

void DataReader::Start(std::string* message, size_t max_bytes, size_t reserve) {
  message_ = message;
  message_->clear();
  if (reserve > 0) message_->reserve(reserve < max_bytes ? reserve : max_bytes);
  max_bytes_ = max_bytes;
  size_ = 0;
  line_bytes_ = 0;
  state_ = State::kLineStart;
  too_large_ = false;
  line_too_long_ = false;
}

void DataReader::Drop() {
  // Give the memory back at once: this message will be refused anyway.
  std::string().swap(*message_);
}

void DataReader::Append(std::string_view text) {
  size_ += text.size();
  // Counted even after a long line dropped the message: "too large" is the
  // refusal a sender can act on (the size), so it wins.
  if (!too_large_ && size_ > max_bytes_) {
    too_large_ = true;
    Drop();
  }
  if (too_large_ || line_too_long_) return;
  message_->append(text);
}

size_t DataReader::Feed(std::string_view bytes) {
  size_t i = 0;
  auto line_byte = [&](size_t n) {
    line_bytes_ += n;
    if (line_bytes_ > kMaxTextLineBytes && !line_too_long_) {
      line_too_long_ = true;
      Drop();
    }
  };
  while (i < bytes.size() && state_ != State::kDone) {
    char c = bytes[i];
    switch (state_) {
      case State::kLineStart:
        line_bytes_ = 0;
        if (c == '.') {
          line_byte(1);
          state_ = State::kDot;
          ++i;
        } else {
          state_ = State::kText;
        }
        break;
      case State::kDot:
        // "." CR LF ends the message; any other dot line loses its first dot.
        if (c == '\r') {
          line_byte(1);
          state_ = State::kDotCr;
          ++i;
        } else {
          state_ = State::kText;
        }
        break;
      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
          ++i;
        } else {
          // "." CR and something else: text "\r" (the dot was stuffing).
          Append("\r");
          state_ = State::kCr;
        }
        break;
      case State::kText: {
        // The bulk of a message: copy a whole line (through its CRLF) in
        // one go when it is all in this read.
        const char* start = bytes.data() + i;
        const void* found = std::memchr(start, '\r', bytes.size() - i);
        if (!found) {
          size_t n = bytes.size() - i;
          line_byte(n);
          Append(bytes.substr(i, n));
          i += n;
          break;
        }
        size_t cr = static_cast<size_t>(static_cast<const char*>(found) - bytes.data());
        if (cr + 1 < bytes.size() && bytes[cr + 1] == '\n') {
          // The CRLF counts towards the line's 1000 octets (§4.5.3.1.6).
          line_byte(cr + 2 - i);
          Append(bytes.substr(i, cr + 2 - i));
          i = cr + 2;
          state_ = State::kLineStart;
        } else {
          line_byte(cr + 1 - i);
          Append(bytes.substr(i, cr + 1 - i));
          i = cr + 1;
          state_ = State::kCr;
        }
        break;
      }
      case State::kCr:
        if (c == '\n') {
          line_byte(1);
          Append("\n");
          state_ = State::kLineStart;
          ++i;
        } else {
          state_ = State::kText;  // a bare CR is text
        }
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

}  // namespace tayori::inbound
