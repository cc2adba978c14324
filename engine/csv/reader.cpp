#include "csv/reader.h"

namespace tayori::csv {
namespace {

constexpr size_t kChunk = 16 * 1024;
constexpr char kByteOrderMark[] = "\xEF\xBB\xBF";

// Where the parser is inside the current record (RFC 4180 §2 grammar, with
// the lenient readings listed in reader.h).
enum class State {
  kFieldStart,     // nothing of the field read yet: a quote here opens a quoted field
  kUnquoted,       // inside an unquoted field: a quote is an ordinary character
  kQuoted,         // inside a quoted field: commas and line breaks are data
  kQuoteInQuoted,  // a quote inside a quoted field: either "" or the closing quote
};

}  // namespace

std::string Record::ErrorMessage(size_t max_record_bytes) const {
  switch (error) {
    case RecordError::kNone:
      return "";
    case RecordError::kTooLong:
      return "record longer than " + std::to_string(max_record_bytes) + " bytes" +
             (end_line > line ? " (lines " + std::to_string(line) + " to " + std::to_string(end_line) + ")" : "") +
             "; skipped";
    case RecordError::kUnclosedQuote:
      return "unclosed quote: the quoted field that starts on this line runs to the end of the file";
  }
  return "";
}

Reader::Reader(std::istream& in, ReaderOptions options) : in_(in), options_(options) {}

int Reader::Peek() {
  if (pos_ == buffer_.size()) {
    buffer_.resize(kChunk);
    in_.read(buffer_.data(), static_cast<std::streamsize>(kChunk));
    buffer_.resize(static_cast<size_t>(in_.gcount()));
    pos_ = 0;
    if (buffer_.empty()) return -1;
  }
  return static_cast<unsigned char>(buffer_[pos_]);
}

int Reader::Get() {
  int c = Peek();
  if (c >= 0) ++pos_;
  return c;
}

void Reader::SkipByteOrderMark() {
  // istream::read fills the whole chunk unless the input ends first, so the
  // first three bytes of the input are in the buffer after one Peek.
  if (Peek() >= 0 && buffer_.compare(pos_, 3, kByteOrderMark) == 0) pos_ += 3;
}

bool Reader::Next(Record* out) {
  if (!started_) {
    started_ = true;
    SkipByteOrderMark();
  }
  Record& r = *out;
  r.fields.clear();
  r.error = RecordError::kNone;
  r.error_line = 0;

  // Empty lines (and comment lines when asked) are not records.
  for (;;) {
    int c = Peek();
    if (c < 0) return false;
    if (c == '\r' || c == '\n') {
      Get();
      if (c == '\r' && Peek() == '\n') Get();
      ++line_;
      continue;
    }
    if (c == '#' && options_.skip_comment_lines) {
      while ((c = Peek()) >= 0 && c != '\r' && c != '\n') Get();
      continue;
    }
    break;
  }

  r.line = line_;
  std::string field;
  State state = State::kFieldStart;
  size_t bytes = 0;
  bool too_long = false;
  long quote_line = 0;
  // Past the limit the parser keeps going, so the record ends where the
  // grammar says it does, but stores nothing more.
  auto push = [&] {
    if (!too_long) r.fields.push_back(std::move(field));
    field.clear();
  };
  auto append = [&](int c) {
    if (!too_long) field += static_cast<char>(c);
  };
  for (;;) {
    int c = Get();
    if (c < 0) {
      r.end_line = line_;
      if (state == State::kQuoted) {
        r.fields.clear();
        r.error = RecordError::kUnclosedQuote;
        r.error_line = quote_line;
        return true;
      }
      push();
      break;
    }
    if (++bytes > options_.max_record_bytes && !too_long) {
      too_long = true;
      r.fields.clear();
      field.clear();
      field.shrink_to_fit();
    }
    bool line_break = c == '\r' || c == '\n';
    if (state == State::kQuoted) {
      if (c == '"') {
        state = State::kQuoteInQuoted;
        continue;
      }
      append(c);
      if (line_break) {
        if (c == '\r' && Peek() == '\n') {
          append(Get());
          ++bytes;
        }
        ++line_;
      }
      continue;
    }
    if (c == ',') {
      push();
      state = State::kFieldStart;
      continue;
    }
    if (line_break) {
      if (c == '\r' && Peek() == '\n') Get();
      r.end_line = line_;
      ++line_;
      push();
      break;
    }
    if (c == '"' && state == State::kFieldStart) {
      state = State::kQuoted;
      quote_line = line_;
      continue;
    }
    if (c == '"' && state == State::kQuoteInQuoted) {  // "" inside quotes
      append(c);
      state = State::kQuoted;
      continue;
    }
    append(c);
    state = State::kUnquoted;
  }
  if (too_long) {
    r.fields.clear();
    r.error = RecordError::kTooLong;
    r.error_line = r.line;
  }
  return true;
}

}  // namespace tayori::csv
