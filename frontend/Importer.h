//===- Importer.h - semantic analysis state (frontend-internal) -*- C++ -*-===//
//
// Shared by ImportGraph.cpp (statements, names, blocks, expressions) and
// ImportOps.cpp (one builder per language operation).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_FRONTEND_IMPORTER_H
#define NNC_FRONTEND_IMPORTER_H

#include "frontend/AST.h"
#include "frontend/Builtins.h"
#include "frontend/Diagnostics.h"
#include "ir/NncOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

namespace nnc {

/// A value during analysis: a tensor, a constant, a word naming a choice
/// (`relu`, `same`, `true`), a list, or an error already reported.
struct SValue {
  enum Kind { Error, Tensor, Number, String, Word, List, Call } kind = Error;
  mlir::Value tensor;
  double number = 0;
  bool isInteger = false;
  llvm::StringRef text; // String and Word
  std::vector<SValue> list;
  const ast::Expr *expr = nullptr; // where it came from
  bool isInput = false;            // exactly an `input` as declared

  static SValue error() { return {}; }
  static SValue of(mlir::Value v, const ast::Expr *e) {
    SValue s;
    s.kind = Tensor;
    s.tensor = v;
    s.expr = e;
    return s;
  }
  bool ok() const { return kind != Error; }
  mlir::RankedTensorType type() const {
    return llvm::cast<mlir::RankedTensorType>(tensor.getType());
  }
};

/// A number as the user would write it: 0.001, 64, 1e-07.
std::string formatNumber(double value);

/// Describes the kind of an SValue for messages: "a number", "'relu'", ...
std::string describe(const SValue &v);

/// How the parameters created while evaluating one binding are named.
struct Naming {
  std::string prefix;  // "" at top level, "r1." inside a block called by r1
  std::string binding; // "h1", or "h_2" for the second creating binding of h
  bool multi = false;  // several creating calls: <binding>.<op><k>.<param>
  llvm::StringMap<unsigned> calls; // op -> calls so far in this binding
};

class Importer {
public:
  Importer(DiagEmitter &diag, mlir::ModuleOp module);

  void importModule(const ast::Module &ast);

  //===--------------------------------------------------------------------===//
  // Used by the op builders (ImportOps.cpp).
  //===--------------------------------------------------------------------===//

  DiagEmitter &diag;
  mlir::OpBuilder builder;
  mlir::ModuleOp module;

  mlir::Location loc(llvm::SMLoc at) { return diag.loc(at); }
  SValue evaluate(const ast::Expr *expr);
  /// Like evaluate, but a name that is not bound is a word (`relu`, `same`,
  /// or a misspelling that the caller reports among the valid choices).
  SValue evaluateWord(const ast::Expr *expr);
  /// A rank-0 constant of `elementType`.
  mlir::Value constant(double value, mlir::Type elementType, llvm::SMLoc at);
  /// Creates a variable (parameter or state) for the call being evaluated
  /// and returns a load of it. `explicitName` comes from `name=`.
  mlir::Value createVariable(const ast::CallExpr *call, llvm::StringRef param,
                             VariableKind kind, mlir::RankedTensorType type,
                             InitKind init, double scale,
                             llvm::StringRef explicitName);
  /// Where the call's parameters start: bumps the per-op call counter.
  void beginCreatingCall(llvm::StringRef op);
  /// Reads an initializer: a name or normal(std=...) / uniform(limit=...).
  bool parseInit(const ast::Expr *expr, InitKind &init, double &scale);
  /// The batch dim's name as declared ("" if none).
  llvm::StringRef getBatchName() const { return batchName; }
  int64_t nextDropoutStream() { return dropoutStreams++; }

private:
  using Scope = llvm::StringMap<SValue>;

  // Statements.
  void collectBlocks(const ast::Module &ast);
  mlir::func::FuncOp createGraphFunction(const ast::Module &ast,
                                         llvm::StringRef modelName);
  mlir::RankedTensorType convertType(const ast::TypeSpec &type,
                                     bool allowBatch);
  void importStatement(const ast::Stmt *stmt);
  SValue evaluateBinding(const ast::AssignStmt *stmt, llvm::StringRef name);
  void importParam(const ast::DeclStmt *decl);
  mlir::Value declareVariable(llvm::StringRef name, llvm::SMLoc at,
                              VariableKind kind, mlir::RankedTensorType type,
                              InitKind init, double scale);
  void importTrain(const ast::TrainStmt *train);
  mlir::DictionaryAttr parseOptimizer(const ast::Expr *expr);
  void checkOutputsIndependentOfTargets();
  void checkUncalledBlocks();

  // Expressions.
  SValue evaluateLeaf(const ast::Expr *expr);
  SValue combine(const ast::BinaryExpr *expr, SValue lhs, SValue rhs);
  SValue negate(const ast::Expr *expr, SValue operand);
  SValue evaluateCall(const ast::CallExpr *call, SValue *piped);
  SValue callBlock(const ast::CallExpr *call, const ast::BlockStmt *block,
                   SValue *piped);
  unsigned countCreatingCalls(const ast::Expr *expr);
  bool blockCreatesParams(const ast::BlockStmt *block);

  Scope *scope = nullptr;
  Scope topScope;
  /// Per scope: how many parameter-creating bindings each name had.
  llvm::StringMap<unsigned> *rebinds = nullptr;
  llvm::StringMap<unsigned> topRebinds;
  Naming *naming = nullptr;
  /// Prefix of names created inside the block being expanded ("r1.").
  std::string blockPrefix;
  /// Prefix of the parameters of the creating call being imported.
  std::string callPrefix;
  /// The graph's arguments, bound when their declaration is reached.
  llvm::DenseMap<const ast::DeclStmt *, SValue> pendingArgs;

  llvm::StringMap<const ast::BlockStmt *> blocks;
  std::vector<const ast::BlockStmt *> blockOrder;
  llvm::DenseMap<const ast::BlockStmt *, int> blockCreates; // memo
  std::vector<const ast::BlockStmt *> blockStack;
  llvm::DenseSet<const ast::BlockStmt *> calledBlocks;
  llvm::StringMap<llvm::SMLoc> metricNames;
  llvm::StringMap<llvm::SMLoc> variableNames;
  mlir::func::FuncOp graph;
  mlir::OpBuilder moduleBuilder;
  llvm::StringRef batchName;
  llvm::SMLoc batchLoc;
  int64_t dropoutStreams = 0;
  const ast::Stmt *lossStmt = nullptr;
  const ast::Stmt *modelStmt = nullptr;
  const ast::Stmt *trainStmt = nullptr;
  unsigned numOutputs = 0;
  llvm::StringMap<llvm::SMLoc> outputNames;
};

/// Builds the nnc ops of the built-in operation `spec` called by `call`
/// (ImportOps.cpp). `piped` is the value of a `|>` left operand.
SValue importBuiltin(Importer &importer, const ast::CallExpr *call,
                     const OpSpec &spec, SValue *piped);

} // namespace nnc

#endif // NNC_FRONTEND_IMPORTER_H
