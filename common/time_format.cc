#include "common/time_format.h"

namespace spate {
namespace {

// Reads exactly `n` ASCII digits at s[*pos]; advances *pos.
inline bool ReadDigits(std::string_view s, size_t* pos, int n, int* out) {
  if (s.size() - *pos < static_cast<size_t>(n)) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(s[*pos + i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  *pos += n;
  *out = v;
  return true;
}

inline bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

bool ParseRfc3339Millis(std::string_view s, int64_t* epoch_ms) {
  // YYYY-MM-DD('T'|'t'|' ')hh:mm:ss[.f{1,9}]('Z'|'z'|+hh:mm|-hh:mm|+hhmm|+hh)
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadDigits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !ReadDigits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !ReadDigits(s, &pos, 2, &day)) {
    return false;
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return false;
  ++pos;
  if (!ReadDigits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') || !ReadDigits(s, &pos, 2, &minute) ||
      !Expect(s, &pos, ':') || !ReadDigits(s, &pos, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {  // 60: a leap second, counted as the next second (POSIX)
    return false;
  }
  int millis = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() &&
           static_cast<unsigned>(static_cast<unsigned char>(s[pos]) - '0') <= 9u) {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return false;
    for (int i = digits; i < 3; ++i) millis *= 10;  // ".5" is 500 ms; beyond ms truncates
  }
  if (pos >= s.size()) return false;  // no zone offset: the instant is ambiguous
  int offset_min = 0;
  const char z = s[pos++];
  if (z == 'Z' || z == 'z') {
    // UTC
  } else if (z == '+' || z == '-') {
    int oh, om = 0;
    if (!ReadDigits(s, &pos, 2, &oh)) return false;
    if (pos < s.size()) {
      if (s[pos] == ':') ++pos;
      if (!ReadDigits(s, &pos, 2, &om)) return false;
    }
    if (oh > 23 || om > 59) return false;
    offset_min = (oh * 60 + om) * (z == '-' ? -1 : 1);
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  *epoch_ms = secs * 1000 + millis;
  return true;
}

}  // namespace spate
