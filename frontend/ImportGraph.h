//===- ImportGraph.h - from .nn source to the nnc dialect -------*- C++ -*-===//
#ifndef NNC_FRONTEND_IMPORTGRAPH_H
#define NNC_FRONTEND_IMPORTGRAPH_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace nnc {

/// Parses the .nn file in buffer `bufferId` of `sourceMgr`, checks it (names,
/// blocks, arguments, shapes) and builds the model in the nnc dialect. Errors
/// are emitted as MLIR diagnostics located in the buffer; returns null if
/// there was any. The returned module verifies.
mlir::OwningOpRef<mlir::ModuleOp> importModel(llvm::SourceMgr &sourceMgr,
                                              unsigned bufferId,
                                              mlir::MLIRContext *context);

} // namespace nnc

#endif // NNC_FRONTEND_IMPORTGRAPH_H
