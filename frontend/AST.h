//===- AST.h - syntax tree of the .nn language ------------------*- C++ -*-===//
//
// Nodes live in an arena (ASTContext) and are never destroyed one by one, so
// a 200,000-term expression costs no recursive destructor. Nodes hold only
// trivially destructible members: StringRefs into the source buffer (or the
// arena), ArrayRefs allocated in the arena, and pointers to other nodes.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_FRONTEND_AST_H
#define NNC_FRONTEND_AST_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/SMLoc.h"

#include <type_traits>

namespace nnc::ast {

class ASTContext {
public:
  template <typename T, typename... Args>
  T *create(Args &&...args) {
    static_assert(std::is_trivially_destructible_v<T>,
                  "AST nodes are never destroyed");
    return new (allocator.Allocate<T>()) T(std::forward<Args>(args)...);
  }
  template <typename T>
  llvm::ArrayRef<T> copy(llvm::ArrayRef<T> items) {
    static_assert(std::is_trivially_destructible_v<T>);
    if (items.empty())
      return {};
    T *data = allocator.Allocate<T>(items.size());
    std::uninitialized_copy(items.begin(), items.end(), data);
    return {data, items.size()};
  }
  llvm::StringRef copy(llvm::StringRef s) {
    char *data = allocator.Allocate<char>(s.size());
    std::copy(s.begin(), s.end(), data);
    return {data, s.size()};
  }

private:
  llvm::BumpPtrAllocator allocator;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

enum class ExprKind { Number, String, Ident, List, Neg, Binary, Call };

struct Expr {
  ExprKind kind;
  /// Where the expression starts (for a binary expression: its operator).
  llvm::SMLoc loc;
  Expr(ExprKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct NumberExpr : Expr {
  double value;
  bool isInteger;
  llvm::StringRef text;
  NumberExpr(llvm::SMLoc loc, double value, bool isInteger,
             llvm::StringRef text)
      : Expr(ExprKind::Number, loc), value(value), isInteger(isInteger),
        text(text) {}
};

struct StringExpr : Expr {
  llvm::StringRef value; // escapes decoded
  StringExpr(llvm::SMLoc loc, llvm::StringRef value)
      : Expr(ExprKind::String, loc), value(value) {}
};

struct IdentExpr : Expr {
  llvm::StringRef name;
  IdentExpr(llvm::SMLoc loc, llvm::StringRef name)
      : Expr(ExprKind::Ident, loc), name(name) {}
};

struct ListExpr : Expr {
  llvm::ArrayRef<Expr *> elements;
  ListExpr(llvm::SMLoc loc, llvm::ArrayRef<Expr *> elements)
      : Expr(ExprKind::List, loc), elements(elements) {}
};

/// Unary minus (the parser folds `- -x` to `x`).
struct NegExpr : Expr {
  Expr *operand;
  NegExpr(llvm::SMLoc loc, Expr *operand)
      : Expr(ExprKind::Neg, loc), operand(operand) {}
};

enum class BinaryOp { Add, Sub, Mul, Div, MatMul };

struct BinaryExpr : Expr {
  BinaryOp op;
  Expr *lhs, *rhs;
  BinaryExpr(llvm::SMLoc opLoc, BinaryOp op, Expr *lhs, Expr *rhs)
      : Expr(ExprKind::Binary, opLoc), op(op), lhs(lhs), rhs(rhs) {}
};

struct NamedArg {
  llvm::StringRef name;
  llvm::SMLoc loc;
  Expr *value;
};

/// `f(a, b, k=v)`; `a |> f(b)` is a call with `piped` set and `a` first.
struct CallExpr : Expr {
  llvm::StringRef callee;
  llvm::ArrayRef<Expr *> args;
  llvm::ArrayRef<NamedArg> named;
  bool piped;
  CallExpr(llvm::SMLoc calleeLoc, llvm::StringRef callee,
           llvm::ArrayRef<Expr *> args, llvm::ArrayRef<NamedArg> named,
           bool piped)
      : Expr(ExprKind::Call, calleeLoc), callee(callee), args(args),
        named(named), piped(piped) {}
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

/// A dimension of a declared type: a positive size or the batch name.
struct Dim {
  llvm::SMLoc loc;
  llvm::StringRef name; // non-empty for a named (batch) dim
  llvm::StringRef text; // the size as written
};

struct TypeSpec {
  llvm::SMLoc loc;
  llvm::StringRef dtype;
  llvm::ArrayRef<Dim> dims;
};

enum class StmtKind {
  Model,
  Input,
  Target,
  Param,
  Assign,
  Output,
  Loss,
  Metric,
  Train,
  Block,
  Return
};

struct Stmt {
  StmtKind kind;
  llvm::SMLoc loc; // the statement's first token
  Stmt(StmtKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct ModelStmt : Stmt {
  llvm::StringRef name;
  llvm::SMLoc nameLoc;
  ModelStmt(llvm::SMLoc loc, llvm::StringRef name, llvm::SMLoc nameLoc)
      : Stmt(StmtKind::Model, loc), name(name), nameLoc(nameLoc) {}
};

/// `input NAME: TYPE`, `target NAME: TYPE`, `param NAME: TYPE [init=EXPR]`.
struct DeclStmt : Stmt {
  llvm::StringRef name;
  llvm::SMLoc nameLoc;
  TypeSpec type;
  Expr *init; // param only; may be null
  DeclStmt(StmtKind kind, llvm::SMLoc loc, llvm::StringRef name,
           llvm::SMLoc nameLoc, TypeSpec type, Expr *init)
      : Stmt(kind, loc), name(name), nameLoc(nameLoc), type(type),
        init(init) {}
};

/// `NAME = EXPR`, `output NAME = EXPR`, `metric NAME = EXPR`, `loss = EXPR`
/// (name "loss"), `return EXPR` (empty name).
struct AssignStmt : Stmt {
  llvm::StringRef name;
  llvm::SMLoc nameLoc;
  Expr *value;
  AssignStmt(StmtKind kind, llvm::SMLoc loc, llvm::StringRef name,
             llvm::SMLoc nameLoc, Expr *value)
      : Stmt(kind, loc), name(name), nameLoc(nameLoc), value(value) {}
};

struct TrainEntry {
  llvm::StringRef key;
  llvm::SMLoc keyLoc;
  Expr *value;
};

struct TrainStmt : Stmt {
  llvm::ArrayRef<TrainEntry> entries;
  TrainStmt(llvm::SMLoc loc, llvm::ArrayRef<TrainEntry> entries)
      : Stmt(StmtKind::Train, loc), entries(entries) {}
};

struct BlockParam {
  llvm::StringRef name;
  llvm::SMLoc loc;
};

struct BlockStmt : Stmt {
  llvm::StringRef name;
  llvm::SMLoc nameLoc;
  llvm::ArrayRef<BlockParam> params;
  llvm::ArrayRef<Stmt *> body; // ends with a Return statement
  BlockStmt(llvm::SMLoc loc, llvm::StringRef name, llvm::SMLoc nameLoc,
            llvm::ArrayRef<BlockParam> params, llvm::ArrayRef<Stmt *> body)
      : Stmt(StmtKind::Block, loc), name(name), nameLoc(nameLoc),
        params(params), body(body) {}
};

struct Module {
  llvm::ArrayRef<Stmt *> stmts;
};

} // namespace nnc::ast

#endif // NNC_FRONTEND_AST_H
