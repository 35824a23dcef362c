// Display of bytes from the outside world: valid UTF-8 stays, everything else is escaped.
#include "common/text.h"

#include <catch2/catch.hpp>
#include <string>

namespace spate {
namespace {

TEST_CASE("display escaping keeps valid UTF-8 text as it is", "[unit]") {
  bool escaped = true;
  CHECK(EscapeForDisplay("{\"content\":\"crash\"}", &escaped) == "{\"content\":\"crash\"}");
  CHECK_FALSE(escaped);
  // Two-, three- and four-byte sequences, and backslashes as JSON records hold them.
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xa5 cr\\u0061sh";
  CHECK(EscapeForDisplay(text, &escaped) == text);
  CHECK_FALSE(escaped);
  CHECK(EscapeForDisplay("") == "");
}

TEST_CASE("display escaping writes bytes that are not UTF-8 as \\xNN", "[unit]") {
  bool escaped = false;
  CHECK(EscapeForDisplay("crash \xff\xfe broken", &escaped) == "crash \\xff\\xfe broken");
  CHECK(escaped);
  // A sequence cut short, at the end or before another character.
  CHECK(EscapeForDisplay("ab\xe2\x82") == "ab\\xe2\\x82");
  CHECK(EscapeForDisplay("\xc3x") == "\\xc3x");
  // A lone continuation byte, an overlong '/', a UTF-16 surrogate, beyond U+10FFFF.
  CHECK(EscapeForDisplay("\x80") == "\\x80");
  CHECK(EscapeForDisplay("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(EscapeForDisplay("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(EscapeForDisplay("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
}

TEST_CASE("display escaping writes NUL and control bytes as \\xNN", "[unit]") {
  bool escaped = false;
  CHECK(EscapeForDisplay(std::string("a\0b", 3), &escaped) == "a\\x00b");
  CHECK(escaped);
  CHECK(EscapeForDisplay("line\nnext\r\t\x1b[31m\x7f") == "line\\x0anext\\x0d\\x09\\x1b[31m\\x7f");
}

TEST_CASE("display escaping of any byte string is valid UTF-8 without control bytes", "[unit]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string out = EscapeForDisplay(all + all);
  for (unsigned char c : out) {
    CHECK(c >= 0x20);
    CHECK(c < 0x7f);  // every byte >= 0x80 here is on its own, so none survives
  }
  bool escaped = false;
  CHECK(EscapeForDisplay(out, &escaped) == out);  // escaping twice changes nothing more
  CHECK_FALSE(escaped);
}

}  // namespace
}  // namespace spate
