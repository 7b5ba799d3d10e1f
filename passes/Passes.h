//===- Passes.h - graph-level passes of nnc ---------------------*- C++ -*-===//
#ifndef NNC_PASSES_PASSES_H
#define NNC_PASSES_PASSES_H

#include "ir/NncOps.h"
#include "mlir/Pass/Pass.h"

namespace nnc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The arguments of an entry point under construction: every variable of
/// the module but optimizer slots (tagged nnc.variable, in module order),
/// then whatever the pass appends.
struct EntryArguments {
  EntryArguments(mlir::ModuleOp module, mlir::OpBuilder &b);
  void add(mlir::Type type, mlir::DictionaryAttr tags) {
    types.push_back(type);
    attrs.push_back(tags);
  }
  llvm::SmallVector<mlir::Type> types;
  llvm::SmallVector<mlir::DictionaryAttr> attrs;
  llvm::SmallVector<VariableOp> variables;
  llvm::StringMap<unsigned> index; // variable name -> argument number
};

/// Erases the ops of `block` whose results are unused and that have no
/// side effects, last first (so chains of dead ops go too).
void eraseDeadOps(mlir::Block &block);

} // namespace nnc

#endif // NNC_PASSES_PASSES_H
