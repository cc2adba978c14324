#include "cli/csv_import.h"

#include <cstdio>

namespace tayori::cli {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

CsvImport::CsvImport(const char* command, std::string file, csv::ReaderOptions options)
    : command_(command), file_(std::move(file)), options_(options), reader_(in_, options) {}

Status CsvImport::Open() {
  in_.open(file_, std::ios::binary);
  if (!in_) return InvalidInput(file_ + ": cannot open");
  return Status::Ok();
}

Status CsvImport::ReadHeader(csv::Record* out) {
  if (!reader_.Next(out)) {
    if (reader_.io_failed()) return Permanent(file_ + ": read error");
    return InvalidInput(file_ + ": empty file (expected a header line)");
  }
  if (out->error != csv::RecordError::kNone)
    return InvalidInput(file_ + ":" + std::to_string(out->error_line) + ": header: " +
                        out->ErrorMessage(options_.max_record_bytes));
  return Status::Ok();
}

bool CsvImport::Next(csv::Record* out) {
  while (reader_.Next(out)) {
    if (out->error != csv::RecordError::kNone) {
      Report(out->error_line, out->ErrorMessage(options_.max_record_bytes));
      continue;
    }
    bool blank = true;
    for (const auto& f : out->fields) blank = blank && TrimBlanks(f).empty();
    if (!blank) return true;
  }
  return false;
}

void CsvImport::Reject(const csv::Record& record, std::string_view reason) {
  if (record.end_line > record.line)
    Report(record.line, std::string(reason) + " (the record spans lines " + std::to_string(record.line) + " to " +
                            std::to_string(record.end_line) + ")");
  else
    Report(record.line, reason);
}

void CsvImport::Report(long line, std::string_view reason) {
  if (++rejected_ <= kShownRejections)
    std::fprintf(stderr, "tayori: %s: %s:%ld: %.*s\n", command_, file_.c_str(), line, static_cast<int>(reason.size()),
                 reason.data());
}

Status CsvImport::Finish() {
  if (rejected_ > kShownRejections)
    std::fprintf(stderr, "tayori: %s: %llu more rejected rows not shown\n", command_,
                 static_cast<unsigned long long>(rejected_ - kShownRejections));
  if (reader_.io_failed()) return Permanent(file_ + ": read error; the rows after the last one imported were not read");
  if (rejected_ > 0) return InvalidInput(std::to_string(rejected_) + " rows of " + file_ + " were rejected (see above)");
  return Status::Ok();
}

}  // namespace tayori::cli
