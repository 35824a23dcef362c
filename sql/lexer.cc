#include "sql/lexer.h"

#include <cctype>
#include <cstdio>

#include "common/text.h"

namespace spate::sql {
namespace {

bool IsIdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsIdentPart(unsigned char c) { return IsIdentStart(c) || std::isdigit(c) || c == '$'; }

// Walks the script byte by byte while keeping the position of the next character. A UTF-8
// continuation byte does not move the column, so columns count characters.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  unsigned char peek(size_t ahead = 0) const {
    return i_ + ahead < s_.size() ? static_cast<unsigned char>(s_[i_ + ahead]) : 0;
  }
  bool has(size_t ahead) const { return i_ + ahead < s_.size(); }
  void advance() {
    unsigned char c = peek();
    ++i_;
    if (c == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++pos_.column;
    }
  }
  Position pos() const { return pos_; }
  size_t index() const { return i_; }
  std::string_view slice(size_t from) const { return s_.substr(from, i_ - from); }

 private:
  std::string_view s_;
  size_t i_ = 0;
  Position pos_;
};

std::string Printable(unsigned char c) {
  if (c >= 0x20 && c < 0x7F) return std::string(1, static_cast<char>(c));
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02X", c);
  return buf;
}

}  // namespace

Status ErrorAt(Position pos, std::string_view message) {
  return Status::InvalidArgument("line " + std::to_string(pos.line) + ", column " +
                                 std::to_string(pos.column) + ": " + std::string(message));
}

bool Token::IsKeyword(std::string_view keyword) const {
  if (kind != TokenKind::kIdentifier || text.size() != keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != keyword[i]) return false;
  }
  return true;
}

std::string Token::Describe() const {
  switch (kind) {
    case TokenKind::kEnd:
      return "end of script";
    case TokenKind::kString:
      return "string '" + std::string(Utf8Prefix(text, 40)) + (text.size() > 40 ? "..." : "") + "'";
    case TokenKind::kQuotedIdentifier:
      return "'`" + std::string(Utf8Prefix(text, 40)) + "`'";
    default:
      return "'" + std::string(Utf8Prefix(text, 40)) + "'";
  }
}

Result<std::vector<Token>> Tokenize(std::string_view script) {
  // Names and strings end up in the plan's proto strings, which must be UTF-8 (a plan with other
  // bytes does not serialize): reject them here, where the error can say where they are.
  for (Cursor v(script); !v.done();) {
    const size_t n = Utf8SequenceLength(script.substr(v.index()));
    if (n == 0) {
      return ErrorAt(v.pos(),
                     "byte '" + Printable(v.peek()) + "' is not UTF-8 (a script is UTF-8 text)");
    }
    for (size_t i = 0; i < n; ++i) v.advance();
  }
  std::vector<Token> out;
  Cursor c(script);
  while (true) {
    // Whitespace and comments.
    while (!c.done()) {
      unsigned char ch = c.peek();
      if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
        c.advance();
      } else if (ch == '-' && c.peek(1) == '-') {
        while (!c.done() && c.peek() != '\n') c.advance();
      } else if (ch == '/' && c.peek(1) == '*') {
        Position start = c.pos();
        c.advance();
        c.advance();
        while (!c.done() && !(c.peek() == '*' && c.peek(1) == '/')) c.advance();
        if (c.done()) return ErrorAt(start, "unterminated comment: '/*' has no '*/'");
        c.advance();
        c.advance();
      } else {
        break;
      }
    }
    Token t;
    t.pos = c.pos();
    if (c.done()) {
      t.kind = TokenKind::kEnd;
      out.push_back(std::move(t));
      return out;
    }
    unsigned char ch = c.peek();
    const TokenKind prev = out.empty() ? TokenKind::kEnd : out.back().kind;
    const bool after_name = prev == TokenKind::kIdentifier ||
                            prev == TokenKind::kQuotedIdentifier ||
                            (!out.empty() && out.back().IsSymbol(")"));
    if (IsIdentStart(ch)) {
      size_t from = c.index();
      while (!c.done() && IsIdentPart(c.peek())) c.advance();
      t.kind = TokenKind::kIdentifier;
      t.text = std::string(c.slice(from));
    } else if (std::isdigit(ch) || (ch == '.' && std::isdigit(c.peek(1)) && !after_name)) {
      size_t from = c.index();
      bool decimal = false;
      while (std::isdigit(c.peek())) c.advance();
      if (c.peek() == '.' && (std::isdigit(c.peek(1)) || from != c.index())) {
        decimal = true;
        c.advance();
        while (std::isdigit(c.peek())) c.advance();
      }
      if ((c.peek() == 'e' || c.peek() == 'E') &&
          (std::isdigit(c.peek(1)) ||
           ((c.peek(1) == '+' || c.peek(1) == '-') && std::isdigit(c.peek(2))))) {
        decimal = true;
        c.advance();
        if (c.peek() == '+' || c.peek() == '-') c.advance();
        while (std::isdigit(c.peek())) c.advance();
      }
      if (IsIdentStart(c.peek())) {
        return ErrorAt(t.pos, "malformed number '" + std::string(c.slice(from)) +
                                  Printable(c.peek()) + "...'");
      }
      t.kind = decimal ? TokenKind::kDecimal : TokenKind::kInteger;
      t.text = std::string(c.slice(from));
    } else if (ch == '\'' || ch == '`') {
      const unsigned char quote = ch;
      c.advance();
      std::string value;
      while (true) {
        if (c.done()) {
          return ErrorAt(t.pos, quote == '\'' ? "unterminated string literal"
                                              : "unterminated quoted identifier");
        }
        unsigned char x = c.peek();
        c.advance();
        if (x == quote) {
          if (c.peek() == quote && c.has(0)) {
            value.push_back(static_cast<char>(quote));
            c.advance();
            continue;
          }
          break;
        }
        value.push_back(static_cast<char>(x));
      }
      if (quote == '`' && value.empty()) return ErrorAt(t.pos, "empty quoted identifier");
      t.kind = quote == '\'' ? TokenKind::kString : TokenKind::kQuotedIdentifier;
      t.text = std::move(value);
    } else {
      static constexpr std::string_view kTwo[] = {"<>", "!=", "<=", ">=", "||", "=>"};
      t.kind = TokenKind::kSymbol;
      for (std::string_view two : kTwo) {
        if (ch == static_cast<unsigned char>(two[0]) &&
            c.peek(1) == static_cast<unsigned char>(two[1])) {
          t.text = std::string(two);
          break;
        }
      }
      if (t.text.empty()) {
        static constexpr std::string_view kOne = "(),;.+-*/%=<>[]";
        if (kOne.find(static_cast<char>(ch)) == std::string_view::npos) {
          return ErrorAt(t.pos, "unexpected character '" + Printable(ch) + "'");
        }
        t.text = std::string(1, static_cast<char>(ch));
      }
      for (size_t i = 0; i < t.text.size(); ++i) c.advance();
    }
    out.push_back(std::move(t));
  }
}

}  // namespace spate::sql
