//===- InitAll.h - registration of everything nnc's tools use ---*- C++ -*-===//
#ifndef NNC_TOOLS_INITALL_H
#define NNC_TOOLS_INITALL_H

#include "ir/NncDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace nnc {

/// The dialects that nnc's IR may contain at any stage.
inline void registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<NncDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::tensor::TensorDialect,
                  mlir::linalg::LinalgDialect>();
}

/// nnc's passes and the upstream ones its pipelines use.
inline void registerAllPasses() {
  registerNncPasses();
  mlir::registerTransformsPasses();
}

} // namespace nnc

#endif // NNC_TOOLS_INITALL_H
