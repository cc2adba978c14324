// Fuzz target: the CSV reader on any bytes, with a small record limit so the
// too-long path is reached. It must not crash, must end, must number lines
// forward, and must never hold a record longer than the limit.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "csv/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kLimit = 64;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  tayori::csv::ReaderOptions options;
  options.max_record_bytes = kLimit;
  options.skip_comment_lines = size > 0 && data[0] == '#';
  tayori::csv::Reader reader(in, options);
  tayori::csv::Record r;
  long last_line = 0;
  size_t records = 0;
  while (reader.Next(&r)) {
    if (++records > size) std::abort();  // every record consumes at least one byte
    if (r.line <= last_line || r.end_line < r.line) std::abort();
    last_line = r.end_line;
    size_t bytes = 0;
    for (const auto& f : r.fields) bytes += f.size();
    if (bytes > kLimit) std::abort();
    if (r.error == tayori::csv::RecordError::kNone && r.fields.empty()) std::abort();
    if (r.error != tayori::csv::RecordError::kNone && (!r.fields.empty() || r.error_line < r.line)) std::abort();
  }
  return 0;
}
