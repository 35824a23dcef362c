// Tokens of a Flink SQL script, with the line and column each starts at. Internal to sql/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace spate::sql {

/// A place in the script: 1-based line and column (columns count characters, not bytes).
struct Position {
  int line = 1;
  int column = 1;
};

/// Status::InvalidArgument("line L, column C: <message>").
Status ErrorAt(Position pos, std::string_view message);

enum class TokenKind {
  kIdentifier,        ///< unquoted name or keyword, as written
  kQuotedIdentifier,  ///< `name` (backticks removed, `` unescaped)
  kString,            ///< 'text' (quotes removed, '' unescaped)
  kInteger,           ///< digits only
  kDecimal,           ///< digits with a fraction or an exponent
  kSymbol,            ///< operator or punctuation: ( ) , ; . + - * / % = <> != < <= > >= || =>
  kEnd,               ///< end of the script
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  Position pos;

  /// True for an unquoted identifier equal to `keyword` (upper case) ignoring case.
  bool IsKeyword(std::string_view keyword) const;
  /// True for the symbol `symbol`.
  bool IsSymbol(std::string_view symbol) const {
    return kind == TokenKind::kSymbol && text == symbol;
  }
  /// How an error message names the token: "')'", "'FROM'", "string 'abc'", "end of script".
  std::string Describe() const;
};

/// Splits `script` into tokens; the last is always kEnd. Skips whitespace, `--` line comments
/// and `/* */` comments. Errors: bytes that are not UTF-8 (at the first), an unterminated
/// string, quoted identifier or comment (at its start) and a character that cannot start a
/// token.
Result<std::vector<Token>> Tokenize(std::string_view script);

}  // namespace spate::sql
