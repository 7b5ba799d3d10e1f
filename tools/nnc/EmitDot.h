//===- EmitDot.h - the forward graph as Graphviz DOT ------------*- C++ -*-===//
#ifndef NNC_TOOLS_NNC_EMITDOT_H
#define NNC_TOOLS_NNC_EMITDOT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc {
/// Writes the model's forward graph: inputs and targets (ellipses),
/// parameters (grey boxes), ops with their result shape and source line,
/// and the outputs, loss and metrics (double octagons).
void emitDot(mlir::ModuleOp module, llvm::raw_ostream &os);
} // namespace nnc

#endif // NNC_TOOLS_NNC_EMITDOT_H
