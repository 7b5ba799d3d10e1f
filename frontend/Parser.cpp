//===- Parser.cpp - parser of the .nn language ----------------------------===//
//
// Recursive descent over the token vector. Precedence, loosest first:
// `|>`, `+ -`, `* /`, `@`, unary `-`. Every binary level is a loop, so a long
// flat expression builds a left-deep tree without deep recursion; only
// brackets and call arguments recurse, and their depth is bounded.
//
//===----------------------------------------------------------------------===//
#include "frontend/Parser.h"
#include "frontend/Lexer.h"

#include "llvm/ADT/SmallVector.h"

#include <cmath>

using namespace nnc;
using namespace nnc::ast;
using llvm::SMLoc;
using llvm::StringRef;

namespace {

class Parser {
public:
  Parser(std::vector<Token> &tokens, ASTContext &ctx, DiagEmitter &diag)
      : tokens(tokens), ctx(ctx), diag(diag) {}

  Module parseModule();

private:
  // Token access.
  const Token &cur() const { return tokens[pos]; }
  bool at(Tok k) const { return cur().is(k); }
  void advance() {
    if (!at(Tok::eof))
      ++pos;
  }
  bool consumeIf(Tok k) {
    if (!at(k))
      return false;
    advance();
    return true;
  }
  void skipNewlines() {
    while (at(Tok::newline))
      advance();
  }
  /// Reports "expected X" at the current token unless a previous error in
  /// this statement was already reported.
  void expected(const llvm::Twine &what) {
    if (failedStmt)
      return;
    failedStmt = true;
    std::string got = at(Tok::newline) ? "end of line"
                      : at(Tok::eof)   ? "end of file"
                                       : ("'" + cur().text + "'").str();
    diag.error(cur().loc(), "expected " + what + ", got " + got);
  }
  bool expect(Tok k, const llvm::Twine &context = "") {
    if (consumeIf(k))
      return true;
    expected(context.isTriviallyEmpty() ? llvm::Twine(spell(k))
                                        : spell(k) + " " + context);
    return false;
  }
  /// After an error, skips the rest of the statement.
  void recover();

  // Statements.
  Stmt *parseStatement(bool inBlock);
  Stmt *parseDecl(StmtKind kind);
  Stmt *parseAssign(StmtKind kind, bool named);
  Stmt *parseTrain();
  Stmt *parseBlock();
  std::optional<TypeSpec> parseType();
  bool expectEndOfStatement(bool inBlock);

  // Expressions.
  Expr *parseExpr();
  Expr *parseAdditive();
  Expr *parseMultiplicative();
  Expr *parseMatmul();
  Expr *parseUnary();
  Expr *parsePrimary();
  Expr *parseNumber();
  Expr *parseString();
  Expr *parseCallRest(SMLoc calleeLoc, StringRef callee, Expr *pipedArg);

  /// Enters one level of nesting; false (with an error) past kMaxNesting.
  bool enterNesting();

  std::vector<Token> &tokens;
  size_t pos = 0;
  ASTContext &ctx;
  DiagEmitter &diag;
  unsigned nesting = 0;
  bool failedStmt = false;
};

/// RAII guard of the nesting depth.
struct NestingScope {
  unsigned &depth;
  explicit NestingScope(unsigned &depth) : depth(depth) { ++depth; }
  ~NestingScope() { --depth; }
};

} // namespace

void Parser::recover() {
  // Skip to the end of the line, stepping over balanced brackets so that a
  // multi-line train or block body is skipped as a whole.
  int depth = 0;
  while (!at(Tok::eof)) {
    if (at(Tok::l_brace))
      ++depth;
    else if (at(Tok::r_brace)) {
      if (depth == 0)
        return; // the enclosing block's end
      --depth;
    } else if (at(Tok::newline) && depth == 0) {
      return;
    }
    advance();
  }
}

bool Parser::enterNesting() {
  if (nesting < kMaxNesting)
    return true;
  if (!failedStmt) {
    failedStmt = true;
    diag.error(cur().loc(), "expression nested too deeply (more than " +
                                llvm::Twine(kMaxNesting) + " levels)");
  }
  return false;
}

Module Parser::parseModule() {
  llvm::SmallVector<Stmt *> stmts;
  skipNewlines();
  while (!at(Tok::eof) && !diag.tooMany()) {
    failedStmt = false;
    if (Stmt *s = parseStatement(/*inBlock=*/false))
      stmts.push_back(s);
    if (failedStmt) {
      recover();
      consumeIf(Tok::r_brace); // a stray '}' after a failed block
    }
    skipNewlines();
  }
  return Module{ctx.copy(llvm::ArrayRef<Stmt *>(stmts))};
}

bool Parser::expectEndOfStatement(bool inBlock) {
  if (at(Tok::newline) || at(Tok::eof) || (inBlock && at(Tok::r_brace)))
    return true;
  expected("end of line after statement");
  return false;
}

Stmt *Parser::parseStatement(bool inBlock) {
  SMLoc loc = cur().loc();
  Stmt *stmt = nullptr;
  switch (cur().kind) {
  case Tok::kw_model: {
    advance();
    SMLoc nameLoc = cur().loc();
    StringRef name = cur().text;
    if (!expect(Tok::identifier, "(the model's name) after 'model'"))
      return nullptr;
    stmt = ctx.create<ModelStmt>(loc, name, nameLoc);
    break;
  }
  case Tok::kw_input:
    stmt = parseDecl(StmtKind::Input);
    break;
  case Tok::kw_target:
    stmt = parseDecl(StmtKind::Target);
    break;
  case Tok::kw_param:
    stmt = parseDecl(StmtKind::Param);
    break;
  case Tok::kw_output:
    stmt = parseAssign(StmtKind::Output, /*named=*/true);
    break;
  case Tok::kw_metric:
    stmt = parseAssign(StmtKind::Metric, /*named=*/true);
    break;
  case Tok::kw_loss:
    stmt = parseAssign(StmtKind::Loss, /*named=*/false);
    break;
  case Tok::kw_return: {
    advance();
    Expr *value = parseExpr();
    if (!value)
      return nullptr;
    stmt = ctx.create<AssignStmt>(StmtKind::Return, loc, "", loc, value);
    break;
  }
  case Tok::kw_train:
    stmt = parseTrain();
    break;
  case Tok::kw_block:
    stmt = parseBlock();
    break;
  case Tok::identifier:
    stmt = parseAssign(StmtKind::Assign, /*named=*/true);
    break;
  default:
    expected("a statement (model, input, target, param, output, loss, "
             "metric, train, block or NAME = ...)");
    return nullptr;
  }
  if (!stmt || !expectEndOfStatement(inBlock))
    return nullptr;
  return stmt;
}

Stmt *Parser::parseDecl(StmtKind kind) {
  SMLoc loc = cur().loc();
  advance();
  SMLoc nameLoc = cur().loc();
  StringRef name = cur().text;
  if (!expect(Tok::identifier, "(a name)") || !expect(Tok::colon))
    return nullptr;
  std::optional<TypeSpec> type = parseType();
  if (!type)
    return nullptr;
  Expr *init = nullptr;
  if (kind == StmtKind::Param && at(Tok::identifier) && cur().text == "init") {
    advance();
    if (!expect(Tok::equal, "after 'init'"))
      return nullptr;
    if (!(init = parseExpr()))
      return nullptr;
  }
  return ctx.create<DeclStmt>(kind, loc, name, nameLoc, *type, init);
}

std::optional<TypeSpec> Parser::parseType() {
  TypeSpec type;
  type.loc = cur().loc();
  type.dtype = cur().text;
  if (!expect(Tok::identifier, "(a type such as f32[batch, 784])") ||
      !expect(Tok::l_square, "after the element type"))
    return std::nullopt;
  llvm::SmallVector<Dim> dims;
  do {
    if (at(Tok::r_square) && !dims.empty())
      break; // trailing comma
    Dim dim{cur().loc(), "", cur().text};
    if (at(Tok::identifier))
      dim.name = cur().text;
    else if (!at(Tok::number)) {
      expected("a dimension (a positive integer or the batch name)");
      return std::nullopt;
    }
    advance();
    dims.push_back(dim);
  } while (consumeIf(Tok::comma));
  if (!expect(Tok::r_square, "to close the dimensions"))
    return std::nullopt;
  type.dims = ctx.copy(llvm::ArrayRef<Dim>(dims));
  return type;
}

Stmt *Parser::parseAssign(StmtKind kind, bool named) {
  SMLoc loc = cur().loc();
  if (kind != StmtKind::Assign)
    advance(); // the keyword
  SMLoc nameLoc = kind == StmtKind::Loss ? loc : cur().loc();
  StringRef name = kind == StmtKind::Loss ? "loss" : cur().text;
  if (named && !expect(Tok::identifier, "(a name)"))
    return nullptr;
  if (!expect(Tok::equal))
    return nullptr;
  Expr *value = parseExpr();
  if (!value)
    return nullptr;
  return ctx.create<AssignStmt>(kind, loc, name, nameLoc, value);
}

Stmt *Parser::parseTrain() {
  SMLoc loc = cur().loc();
  advance();
  if (!expect(Tok::l_brace, "after 'train'"))
    return nullptr;
  llvm::SmallVector<TrainEntry> entries;
  skipNewlines();
  while (!at(Tok::r_brace) && !at(Tok::eof)) {
    TrainEntry entry{cur().text, cur().loc(), nullptr};
    if (!at(Tok::identifier) && cur().kind >= Tok::kw_model &&
        cur().kind <= Tok::kw_return)
      advance(); // a keyword used as a key: reported as unknown later
    else if (!expect(Tok::identifier, "(a training setting)"))
      return nullptr;
    if (!expect(Tok::equal) || !(entry.value = parseExpr()))
      return nullptr;
    entries.push_back(entry);
    if (!at(Tok::r_brace) && !expect(Tok::newline, "after a setting"))
      return nullptr;
    skipNewlines();
  }
  if (!expect(Tok::r_brace, "to close 'train {'"))
    return nullptr;
  return ctx.create<TrainStmt>(loc, ctx.copy(llvm::ArrayRef<TrainEntry>(
                                        entries)));
}

Stmt *Parser::parseBlock() {
  SMLoc loc = cur().loc();
  advance();
  SMLoc nameLoc = cur().loc();
  StringRef name = cur().text;
  if (!expect(Tok::identifier, "(the block's name)") ||
      !expect(Tok::l_paren, "after the block's name"))
    return nullptr;
  llvm::SmallVector<BlockParam> params;
  while (!at(Tok::r_paren)) {
    params.push_back({cur().text, cur().loc()});
    if (!expect(Tok::identifier, "(a parameter name)"))
      return nullptr;
    if (!consumeIf(Tok::comma))
      break;
  }
  if (!expect(Tok::r_paren) || !expect(Tok::l_brace, "to open the body"))
    return nullptr;
  llvm::SmallVector<Stmt *> body;
  skipNewlines();
  bool sawReturn = false;
  while (!at(Tok::r_brace) && !at(Tok::eof) && !diag.tooMany()) {
    SMLoc stmtLoc = cur().loc();
    Tok kind = cur().kind;
    if (kind != Tok::identifier && kind != Tok::kw_param &&
        kind != Tok::kw_return) {
      expected("a binding, 'param' or 'return' in block '" + name + "'");
      return nullptr;
    }
    if (sawReturn) {
      diag.error(stmtLoc, "statement after 'return' in block '" + name + "'");
      failedStmt = true;
      return nullptr;
    }
    Stmt *s = parseStatement(/*inBlock=*/true);
    if (!s)
      return nullptr;
    sawReturn |= s->kind == StmtKind::Return;
    body.push_back(s);
    skipNewlines();
  }
  if (!at(Tok::r_brace)) {
    expect(Tok::r_brace, "to close block '" + name + "'");
    return nullptr;
  }
  if (!sawReturn) {
    diag.error(cur().loc(), "block '" + name + "' has no 'return'");
    failedStmt = true;
    return nullptr;
  }
  advance();
  return ctx.create<BlockStmt>(loc, name, nameLoc,
                               ctx.copy(llvm::ArrayRef<BlockParam>(params)),
                               ctx.copy(llvm::ArrayRef<Stmt *>(body)));
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Expr *Parser::parseExpr() {
  Expr *lhs = parseAdditive();
  while (lhs) {
    // A line that starts with `|>` continues the previous one.
    if (at(Tok::newline)) {
      size_t next = pos;
      while (tokens[next].is(Tok::newline))
        ++next;
      if (!tokens[next].is(Tok::pipe))
        break;
      pos = next;
    }
    if (!consumeIf(Tok::pipe))
      break;
    skipNewlines();
    SMLoc calleeLoc = cur().loc();
    StringRef callee = cur().text;
    if (!expect(Tok::identifier, "(an operation) after '|>'"))
      return nullptr;
    lhs = parseCallRest(calleeLoc, callee, lhs);
  }
  return lhs;
}

static std::optional<BinaryOp> binaryOpOf(Tok k) {
  switch (k) {
  case Tok::plus: return BinaryOp::Add;
  case Tok::minus: return BinaryOp::Sub;
  case Tok::star: return BinaryOp::Mul;
  case Tok::slash: return BinaryOp::Div;
  case Tok::at: return BinaryOp::MatMul;
  default: return std::nullopt;
  }
}

Expr *Parser::parseAdditive() {
  Expr *lhs = parseMultiplicative();
  while (lhs && (at(Tok::plus) || at(Tok::minus))) {
    SMLoc opLoc = cur().loc();
    BinaryOp op = *binaryOpOf(cur().kind);
    advance();
    skipNewlines();
    Expr *rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = ctx.create<BinaryExpr>(opLoc, op, lhs, rhs);
  }
  return lhs;
}

Expr *Parser::parseMultiplicative() {
  Expr *lhs = parseMatmul();
  while (lhs && (at(Tok::star) || at(Tok::slash))) {
    SMLoc opLoc = cur().loc();
    BinaryOp op = *binaryOpOf(cur().kind);
    advance();
    skipNewlines();
    Expr *rhs = parseMatmul();
    if (!rhs)
      return nullptr;
    lhs = ctx.create<BinaryExpr>(opLoc, op, lhs, rhs);
  }
  return lhs;
}

Expr *Parser::parseMatmul() {
  Expr *lhs = parseUnary();
  while (lhs && at(Tok::at)) {
    SMLoc opLoc = cur().loc();
    advance();
    skipNewlines();
    Expr *rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = ctx.create<BinaryExpr>(opLoc, BinaryOp::MatMul, lhs, rhs);
  }
  return lhs;
}

Expr *Parser::parseUnary() {
  SMLoc loc = cur().loc();
  unsigned minuses = 0;
  while (at(Tok::minus)) {
    ++minuses;
    advance();
  }
  Expr *operand = parsePrimary();
  if (!operand || minuses % 2 == 0)
    return operand;
  return ctx.create<NegExpr>(loc, operand);
}

Expr *Parser::parseNumber() {
  StringRef text = cur().text;
  SMLoc loc = cur().loc();
  advance();
  bool isInteger = text.find_first_of(".eE") == StringRef::npos;
  double value = 0;
  if (text.getAsDouble(value, /*AllowInexact=*/true))
    value = HUGE_VAL; // out of range: later checks report it
  return ctx.create<NumberExpr>(loc, value, isInteger, text);
}

Expr *Parser::parseString() {
  StringRef text = cur().text;
  SMLoc loc = cur().loc();
  advance();
  std::string decoded;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) {
      char e = text[++i];
      decoded += e == 'n' ? '\n' : e == 't' ? '\t' : e;
    } else {
      decoded += text[i];
    }
  }
  return ctx.create<StringExpr>(loc, ctx.copy(StringRef(decoded)));
}

Expr *Parser::parsePrimary() {
  SMLoc loc = cur().loc();
  switch (cur().kind) {
  case Tok::number:
    return parseNumber();
  case Tok::string:
    return parseString();
  case Tok::l_paren: {
    if (!enterNesting())
      return nullptr;
    NestingScope scope(nesting);
    advance();
    Expr *inner = parseExpr();
    if (!inner || !expect(Tok::r_paren, "to close '('"))
      return nullptr;
    return inner;
  }
  case Tok::l_square: {
    if (!enterNesting())
      return nullptr;
    NestingScope scope(nesting);
    advance();
    llvm::SmallVector<Expr *> elements;
    while (!at(Tok::r_square)) {
      Expr *e = parseExpr();
      if (!e)
        return nullptr;
      elements.push_back(e);
      if (!consumeIf(Tok::comma))
        break;
    }
    if (!expect(Tok::r_square, "to close the list"))
      return nullptr;
    return ctx.create<ListExpr>(loc,
                                ctx.copy(llvm::ArrayRef<Expr *>(elements)));
  }
  case Tok::identifier: {
    StringRef name = cur().text;
    advance();
    if (at(Tok::l_paren))
      return parseCallRest(loc, name, nullptr);
    return ctx.create<IdentExpr>(loc, name);
  }
  default:
    expected("an expression");
    return nullptr;
  }
}

Expr *Parser::parseCallRest(SMLoc calleeLoc, StringRef callee,
                            Expr *pipedArg) {
  llvm::SmallVector<Expr *> args;
  llvm::SmallVector<NamedArg> named;
  if (pipedArg)
    args.push_back(pipedArg);
  if (consumeIf(Tok::l_paren)) {
    if (!enterNesting())
      return nullptr;
    NestingScope scope(nesting);
    while (!at(Tok::r_paren)) {
      bool isNamed = at(Tok::identifier) && tokens[pos + 1].is(Tok::equal);
      if (isNamed) {
        NamedArg arg{cur().text, cur().loc(), nullptr};
        advance();
        advance();
        if (!(arg.value = parseExpr()))
          return nullptr;
        named.push_back(arg);
      } else {
        if (!named.empty()) {
          if (!failedStmt)
            diag.error(cur().loc(), "positional argument after named "
                                    "argument '" +
                                        named.back().name + "'");
          failedStmt = true;
          return nullptr;
        }
        Expr *e = parseExpr();
        if (!e)
          return nullptr;
        args.push_back(e);
      }
      if (!consumeIf(Tok::comma))
        break;
    }
    if (!expect(Tok::r_paren, "to close the arguments of '" + callee + "'"))
      return nullptr;
  }
  return ctx.create<CallExpr>(calleeLoc, callee,
                              ctx.copy(llvm::ArrayRef<Expr *>(args)),
                              ctx.copy(llvm::ArrayRef<NamedArg>(named)),
                              pipedArg != nullptr);
}

std::optional<Module> nnc::parseFile(llvm::SourceMgr &sourceMgr,
                                     unsigned bufferId, ASTContext &ctx,
                                     DiagEmitter &diag) {
  std::vector<Token> tokens;
  StringRef buffer = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  if (!lex(buffer, diag, tokens))
    return std::nullopt;
  Parser parser(tokens, ctx, diag);
  Module module = parser.parseModule();
  if (diag.hadErrors())
    return std::nullopt;
  return module;
}
