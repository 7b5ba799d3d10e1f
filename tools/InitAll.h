//===- InitAll.h - registration of everything nnc's tools use ---*- C++ -*-===//
#ifndef NNC_TOOLS_INITALL_H
#define NNC_TOOLS_INITALL_H

#include "codegen/Passes.h"
#include "ir/NncDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

namespace nnc {

/// nnc's dialect and the upstream ones its pipelines go through, with their
/// interface models (bufferization, conversion to LLVM, translation).
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<NncDialect>();
  registerGradAllreduceBufferization(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

/// nnc's passes and the upstream ones (the pipelines are textual). Safe to
/// call more than once.
inline void registerAllPasses() {
  static bool registered = [] {
    registerNncPasses();
    registerNncCodegenPasses();
    mlir::registerAllPasses();
    return true;
  }();
  (void)registered;
}

} // namespace nnc

#endif // NNC_TOOLS_INITALL_H
