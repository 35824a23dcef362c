#include "common/window.h"

#include "common/time_format.h"

namespace spate {
namespace {

inline char* Put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

}  // namespace

size_t FormatUtcSecondsTo(int64_t epoch_ms, char* buf) {
  const int64_t secs = FloorDiv(epoch_ms, 1000);
  const int64_t days = FloorDiv(secs, 86400);
  const int64_t sod = secs - days * 86400;
  const CivilDate date = CivilFromDays(days);
  char* p = buf;
  // Year: at least four digits, more when needed (|year| < 3e8 for any int64 ms).
  uint64_t year = date.year < 0 ? static_cast<uint64_t>(-date.year) : date.year;
  if (date.year < 0) *p++ = '-';
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + year % 10);
    year /= 10;
  } while (year != 0);
  for (int i = n; i < 4; ++i) *p++ = '0';
  while (n > 0) *p++ = digits[--n];
  *p++ = '-';
  p = Put2(p, date.month);
  *p++ = '-';
  p = Put2(p, date.day);
  *p++ = ' ';
  p = Put2(p, static_cast<int>(sod / 3600));
  *p++ = ':';
  p = Put2(p, static_cast<int>(sod / 60 % 60));
  *p++ = ':';
  p = Put2(p, static_cast<int>(sod % 60));
  return static_cast<size_t>(p - buf);
}

std::string FormatUtcSeconds(int64_t epoch_ms) {
  char buf[kUtcSecondsMaxLen];
  return std::string(buf, FormatUtcSecondsTo(epoch_ms, buf));
}

}  // namespace spate
