// What the CSV import commands (`subscribers import`, `suppress import`)
// share: the file read with csv::Reader (byte order mark, quotes, bounded
// records, line numbers), and one way of refusing a row. Every refused row is
// reported on stderr as "tayori: COMMAND: FILE:LINE: reason" (the first
// kShownRejections of them, then a count), the good rows go on, and Finish()
// turns any refusal into kInvalidInput, i.e. exit code 2. No row is ever
// dropped without a line saying so, except rows with nothing in them.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "base/status.h"
#include "csv/reader.h"

namespace tayori::cli {

class CsvImport {
 public:
  static constexpr uint64_t kShownRejections = 100;

  // `command` (e.g. "subscribers import") must outlive the object.
  CsvImport(const char* command, std::string file, csv::ReaderOptions options = {});

  // Opens the file (kInvalidInput when it cannot be).
  Status Open();

  // The first record, as a header: kInvalidInput naming the file (and line)
  // when the file is empty or the record is unreadable.
  Status ReadHeader(csv::Record* out);

  // The next record with something in it. Unreadable records (too long, an
  // unclosed quote) are reported and skipped; so are records whose every
  // field is blank (a spreadsheet's empty rows), silently: they hold nothing.
  bool Next(csv::Record* out);

  // Reports `record` refused for `reason` (at its first line, naming its
  // last when a quoted field made it span several).
  void Reject(const csv::Record& record, std::string_view reason);

  uint64_t rejected() const { return rejected_; }
  const std::string& file() const { return file_; }

  // After the last record: says how many refusals were not shown, and
  // returns kPermanent when the file could not be read to its end (exit 1),
  // else kInvalidInput when any row was refused (exit 2).
  Status Finish();

 private:
  void Report(long line, std::string_view reason);

  const char* command_;
  std::string file_;
  std::ifstream in_;
  csv::ReaderOptions options_;
  csv::Reader reader_;
  uint64_t rejected_ = 0;
};

// `s` without the spaces and tabs around it.
std::string_view TrimBlanks(std::string_view s);

}  // namespace tayori::cli
