//===- Builtins.h - signatures of the language's operations -----*- C++ -*-===//
#ifndef NNC_FRONTEND_BUILTINS_H
#define NNC_FRONTEND_BUILTINS_H

#include "frontend/AST.h"
#include "frontend/Diagnostics.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// What an argument accepts.
enum class ArgKind {
  Tensor,     // any tensor expression
  Int,        // an integer constant
  Float,      // a number
  Bool,       // true / false
  Choice,     // one of ArgSpec::choices
  IntOrPair,  // 3 or [3, 3]
  IntList,    // [a, b, ...]
  Axes,       // an int or a list of ints
  Activation, // none or an elementwise activation
  Init,       // an initializer: glorot_uniform, normal(std=0.1), ...
  String,     // "..."
};

struct ArgSpec {
  llvm::StringRef name;
  ArgKind kind;
  bool required = false;
  llvm::StringRef choices = ""; // comma-separated, for Choice
};

struct OpSpec {
  llvm::StringRef name;
  std::vector<ArgSpec> args;
  /// Takes any number of tensors before its named arguments (concat).
  bool variadic = false;
  /// Creates parameters (counts for the naming rule of language.md).
  bool createsParams = false;
};

/// The operation called `name`, or null.
const OpSpec *lookupOp(llvm::StringRef name);
/// Names that stand for an enumerated choice when not bound to a value:
/// activations, paddings, initializers, true/false/none.
bool isKnownWord(llvm::StringRef name);
/// The names of all operations, for suggestions.
std::vector<llvm::StringRef> allOpNames();
std::vector<llvm::StringRef> splitChoices(llvm::StringRef choices);

/// "; did you mean 'x'?" for the closest candidate, or "".
std::string didYouMean(llvm::StringRef name,
                       llvm::ArrayRef<llvm::StringRef> candidates);

/// The expressions bound to each argument of `spec` (null where defaulted),
/// plus the variadic tensors. Reports count, unknown and duplicate argument
/// errors at the call.
struct BoundArgs {
  std::vector<const ast::Expr *> args;
  std::vector<const ast::Expr *> variadic;
};
std::optional<BoundArgs> bindArgs(const ast::CallExpr *call,
                                  const OpSpec &spec, DiagEmitter &diag);

} // namespace nnc

#endif // NNC_FRONTEND_BUILTINS_H
