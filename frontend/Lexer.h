//===- Lexer.h - tokens of the .nn language ---------------------*- C++ -*-===//
#ifndef NNC_FRONTEND_LEXER_H
#define NNC_FRONTEND_LEXER_H

#include "frontend/Diagnostics.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include <vector>

namespace nnc {

enum class Tok {
  eof,
  newline,
  identifier,
  number,
  string,
  // Keywords.
  kw_model,
  kw_input,
  kw_target,
  kw_param,
  kw_output,
  kw_loss,
  kw_metric,
  kw_train,
  kw_block,
  kw_return,
  // Punctuation and operators.
  l_paren,
  r_paren,
  l_square,
  r_square,
  l_brace,
  r_brace,
  comma,
  colon,
  equal,
  plus,
  minus,
  star,
  slash,
  at,
  pipe, // |>
};

struct Token {
  Tok kind;
  /// The token's text in the source buffer (for strings, with the quotes).
  llvm::StringRef text;
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  bool is(Tok k) const { return kind == k; }
};

/// Returns a printable name of a token kind for "expected ..." messages.
llvm::StringRef spell(Tok kind);

/// Splits `buffer` into tokens. Newlines inside `(` or `[` are dropped (the
/// line continues); consecutive newlines become one. Reports bad characters,
/// unterminated strings and unbalanced brackets through `diag`; returns false
/// if there was any.
bool lex(llvm::StringRef buffer, DiagEmitter &diag, std::vector<Token> &out);

} // namespace nnc

#endif // NNC_FRONTEND_LEXER_H
