#include "mime/date.h"

#include <cstdint>
#include <cstdlib>

namespace tayori::mime {
namespace {

constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Howard Hinnant's civil_from_days: days since 1970-01-01 to (y, m, d) in the
// proleptic Gregorian calendar, without the C library's locale or time zone.
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

void Two(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

}  // namespace

std::string FormatDate(SysTime t, int utc_offset_minutes) {
  int64_t secs = UnixSeconds(t) + int64_t{utc_offset_minutes} * 60;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  std::string out;
  out.reserve(31);
  out += kDays[((days % 7) + 7) % 7];
  out += ", ";
  if (d >= 10) out += static_cast<char>('0' + d / 10);  // RFC 5322 §3.3: day is 1*2DIGIT
  out += static_cast<char>('0' + d % 10);
  out += ' ';
  out += kMonths[m - 1];
  out += ' ';
  out += std::to_string(y);
  out += ' ';
  Two(out, static_cast<unsigned>(sod / 3600));
  out += ':';
  Two(out, static_cast<unsigned>(sod / 60 % 60));
  out += ':';
  Two(out, static_cast<unsigned>(sod % 60));
  out += ' ';
  out += utc_offset_minutes < 0 ? '-' : '+';
  unsigned off = static_cast<unsigned>(std::abs(utc_offset_minutes));
  Two(out, off / 60);
  Two(out, off % 60);
  return out;
}

}  // namespace tayori::mime
