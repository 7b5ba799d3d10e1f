//===- Parser.h - parser of the .nn language --------------------*- C++ -*-===//
#ifndef NNC_FRONTEND_PARSER_H
#define NNC_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"

#include <optional>

namespace nnc {

/// Parses the buffer `bufferId` of `sourceMgr` into nodes owned by `ctx`.
/// Syntax errors are reported through `diag`, several per file (the parser
/// skips to the next line after one); returns std::nullopt if there was any.
/// Nesting deeper than kMaxNesting is an error, so parsing needs bounded
/// stack; long flat expressions (a + b + ... or pipes) are parsed by loops.
std::optional<ast::Module> parseFile(llvm::SourceMgr &sourceMgr,
                                     unsigned bufferId, ast::ASTContext &ctx,
                                     DiagEmitter &diag);

/// Deepest nesting of brackets and calls in an expression.
constexpr unsigned kMaxNesting = 256;

} // namespace nnc

#endif // NNC_FRONTEND_PARSER_H
