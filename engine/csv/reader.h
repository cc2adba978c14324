// Module csv/: the one CSV reader of the subscriber and suppression imports (BOM, quotes, line
// numbers); pure, the standard library only. May include: nothing of the project (its links in
// CMakeLists.txt, and what they link publicly; scripts/check-layering checks both).
//
// A streaming reader of CSV files that operators bring from spreadsheets
// (subscriber lists, suppression lists): RFC 4180 records, read one at a time
// with the line numbers an operator needs to find a bad row, in bounded
// memory whatever the file holds.
//
// Beyond RFC 4180, because spreadsheets write it:
//   * a UTF-8 byte order mark at the very start (Excel's "CSV UTF-8") is
//     skipped, so it does not end up in the first header name;
//   * records end with CRLF, LF or a lone CR (old Mac exports);
//   * a quote that does not start a field is an ordinary character (a"b),
//     and text after a closing quote joins the field ("a"b is ab), as
//     Python's csv module and spreadsheets read them;
//   * empty lines are not records; they are skipped (line numbers still
//     count them).
// A quoted field may hold commas, doubled quotes ("") and line breaks, which
// is why a record may span several lines.
//
// Pure: no I/O beyond the std::istream it is given. Not thread-safe; one
// Reader per stream.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace tayori::csv {

// The longest record read, in bytes (including its line breaks). A real row —
// an address of at most 254 octets, a name of 255 characters, a few fields —
// is far below this; the bound is what keeps a file with no line breaks, or a
// quote that never closes, from growing one record without limit. A longer
// record is returned as an error (RecordError::kTooLong) with no fields, and
// reading goes on after it.
inline constexpr size_t kMaxRecordBytes = 64 * 1024;

enum class RecordError {
  kNone,
  kTooLong,        // longer than the limit: no fields; the reader resumed after its end
  kUnclosedQuote,  // the input ended inside a quoted field (opened on error_line)
};

struct Record {
  std::vector<std::string> fields;  // at least one when error == kNone
  long line = 0;                    // 1-based line the record starts on
  long end_line = 0;                // line it ends on (> line when a quoted field holds a line break)
  RecordError error = RecordError::kNone;
  long error_line = 0;              // where to point the operator: the opening quote for kUnclosedQuote

  // What is wrong, in words for "FILE:LINE: <message>"; empty when error == kNone.
  std::string ErrorMessage(size_t max_record_bytes = kMaxRecordBytes) const;
};

struct ReaderOptions {
  size_t max_record_bytes = kMaxRecordBytes;
  // A line whose first byte is '#' (where a record would start) is a comment
  // and skipped whole, quotes and all.
  bool skip_comment_lines = false;
};

class Reader {
 public:
  // `in` must outlive the Reader.
  explicit Reader(std::istream& in, ReaderOptions options = {});

  // Reads the next record into `*out`; false at the end of the input. A
  // record with an error is returned too (so the caller reports it at its
  // line) and the next call reads on after it.
  bool Next(Record* out);

  // True when the stream failed for a reason other than its end (an I/O
  // error): the records read so far are right, but the file was not read whole.
  bool io_failed() const { return in_.bad(); }

 private:
  int Peek();  // next byte (0..255) or -1 at the end, not consumed
  int Get();   // next byte, consumed
  void SkipByteOrderMark();

  std::istream& in_;
  ReaderOptions options_;
  std::string buffer_;
  size_t pos_ = 0;
  long line_ = 1;  // line of the next byte
  bool started_ = false;
};

}  // namespace tayori::csv
